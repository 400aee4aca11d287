"""`make serve FN=<cloud name>`: one function on 127.0.0.1 with functions-framework, against the local
warehouse and an in-process sandbox. Ctrl-C stops both."""

from __future__ import annotations

import argparse
import json
import os
import sys

from functions_framework import create_app

from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import build_world
from tools.pipeline import by_cloud_name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--function", required=True, help="Cloud name, e.g. salesforce-sync")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        entry = by_cloud_name(args.function)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    if not entry.source.is_file():
        print(f"{entry.cloud_name} is not implemented yet ({entry.source} is missing)", file=sys.stderr)
        return 2
    with Sandbox(build_world(args.seed, args.scale)) as sandbox:
        os.environ.update(settings_env(sandbox))
        app = create_app(entry.target, str(entry.source))
        print(f"sandbox at {sandbox.http_url} and {sandbox.https_url}")
        print(f"{entry.cloud_name} on http://127.0.0.1:{args.port}/  (Ctrl-C stops)")
        print(f"  curl -s -X POST http://127.0.0.1:{args.port}/ -H 'Content-Type: application/json' "
              f"-d '{json.dumps(entry.demo_body)}'")
        app.run(host="127.0.0.1", port=args.port, debug=False, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

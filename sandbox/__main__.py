"""`python -m sandbox --seed 7 --scale 1`: serve the fake source APIs by hand until Ctrl-C, SIGTERM or --ttl."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import threading
import time
from collections.abc import Sequence

from sandbox.env import settings_env
from sandbox.server import Sandbox, interrupt_on_sigterm
from sandbox.world import build_world


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    parser.add_argument("--scale", type=int, default=1, help="world size multiplier (default 1)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port-http", type=int, default=0, help="plain HTTP port (default: a free one)")
    parser.add_argument("--port-https", type=int, default=0, help="HTTPS port (default: a free one)")
    parser.add_argument("--ttl", type=float, default=None, help="stop after this many seconds")
    return parser.parse_args(argv)


def table(sandbox: Sandbox) -> str:
    world = sandbox.world
    rows = [
        ("http", sandbox.http_url), ("https", sandbox.https_url), ("ca_file", sandbox.ca_file),
        ("world", f"seed={world.seed} scale={world.scale} anchor={world.anchor:%Y-%m-%d} "
                  f"accounts={len(world.accounts)} emails={len(world.emails)} calls={len(world.calls)}"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    world = build_world(seed=args.seed, scale=args.scale)
    with (interrupt_on_sigterm(),
          Sandbox(world, host=args.host, http_port=args.port_http, https_port=args.port_https) as sandbox,
          contextlib.suppress(KeyboardInterrupt)):
        print(table(sandbox), flush=True)
        print("\nsettings that point the functions at it (export them, or use make serve):", flush=True)
        print("\n".join(f"  {name}={shlex.quote(value)}" for name, value in settings_env(sandbox).items()), flush=True)
        print(f"ready in {time.monotonic() - started:.1f}s; Ctrl-C (or SIGTERM) to stop", flush=True)
        threading.Event().wait(args.ttl)
    print(f"stopped after {len(sandbox.log)} requests", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

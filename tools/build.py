"""`make build`: assemble build/<job>/ = the job folder + shared/ + sql/ + requirements.txt.

That folder is the deployable source Terraform zips; it needs nothing else from the repository.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tools.pipeline import ROOT, FunctionEntry, implemented

BUILD_DIR = ROOT / "build"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", "README.md", "tests")


def build_one(entry: FunctionEntry, out_dir: Path = BUILD_DIR) -> Path:
    target = out_dir / entry.folder
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(entry.source.parent, target, ignore=_IGNORE)
    shutil.copytree(ROOT / "shared", target / "shared", ignore=_IGNORE)
    shutil.copytree(ROOT / "sql", target / "sql", ignore=_IGNORE)
    shutil.copy2(ROOT / "requirements.txt", target / "requirements.txt")
    return target


def main() -> int:
    for entry in implemented():
        print(f"built {build_one(entry).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

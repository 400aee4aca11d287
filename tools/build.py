"""`make build`: assemble build/<job>/ = the job folder + shared/ + sql/ + requirements.txt.

That folder is the deployable source Terraform zips; it needs nothing else from the repository. The summary gives
each bundle's installed size: the folder itself plus its production dependencies, measured as the files the
installed distributions of requirements.txt and everything they require (markers evaluated for this interpreter)
occupy in this environment, i.e. what `pip install -r requirements.txt` adds to a function's image.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import shutil
import sys
from pathlib import Path

from packaging.requirements import Requirement

from tools.pipeline import ROOT, FunctionEntry, implemented

BUILD_DIR = ROOT / "build"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", "README.md", "tests")
MIB = 1024 * 1024


def build_one(entry: FunctionEntry, out_dir: Path = BUILD_DIR) -> Path:
    target = out_dir / entry.folder
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(entry.source.parent, target, ignore=_IGNORE)
    shutil.copytree(ROOT / "shared", target / "shared", ignore=_IGNORE)
    shutil.copytree(ROOT / "sql", target / "sql", ignore=_IGNORE)
    shutil.copy2(ROOT / "requirements.txt", target / "requirements.txt")
    return target


def build_all(out_dir: Path = BUILD_DIR) -> list[Path]:
    return [build_one(entry, out_dir) for entry in implemented()]


def requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(roots: list[Requirement]) -> dict[str, metadata.Distribution]:
    """Installed distributions of `roots` and, transitively, of what they require, by normalised name."""
    found: dict[str, metadata.Distribution] = {}
    pending = [(req, frozenset(req.extras)) for req in roots]
    while pending:
        req, extras = pending.pop()
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
            continue
        if _key(req.name) in found:
            continue
        dist = metadata.distribution(req.name)
        found[_key(req.name)] = dist
        pending += [(Requirement(r), frozenset(req.extras)) for r in dist.requires or []]
    return found


def installed_bytes(dist: metadata.Distribution) -> int:
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(out_dir: Path = BUILD_DIR) -> int:
    closure = dependency_closure(requirements(ROOT / "requirements.txt"))
    dependencies = sum(installed_bytes(dist) for dist in closure.values())
    for bundle in build_all(out_dir):
        own = folder_bytes(bundle)
        shown = bundle.relative_to(ROOT) if bundle.is_relative_to(ROOT) else bundle
        print(f"built {shown}: {(own + dependencies) / MIB:.1f} MiB installed "
              f"(bundle {own / MIB:.2f} MiB + {len(closure)} dependencies {dependencies / MIB:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

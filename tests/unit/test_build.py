"""`make build` bundles import on their own: a fresh interpreter inside the bundle, nothing else on the path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.build import build_one
from tools.pipeline import FunctionEntry, implemented

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class FixtureEntry(FunctionEntry):
    @property
    def source(self) -> Path:
        return FIXTURES / self.folder / "main.py"


ENTRIES = [FixtureEntry("probe-job", "probe_job"), *implemented()]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.cloud_name)
def test_bundle_imports_in_a_fresh_interpreter_from_its_own_folder(entry: FunctionEntry, tmp_path: Path) -> None:
    bundle = build_one(entry, tmp_path)
    assert {"main.py", "shared", "sql", "requirements.txt"} <= {p.name for p in bundle.iterdir()}
    assert (bundle / "sql" / "tables" / "etl_run_log.sql").is_file()
    assert not list(bundle.rglob("__pycache__"))
    probe = (f"import main; assert callable(main.{entry.target}); import shared.sqlfiles as s; "
             f"assert s.SQL_DIR == __import__('pathlib').Path.cwd() / 'sql', s.SQL_DIR")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WAREHOUSE")}
    # -I: isolated, so neither the repository nor PYTHONPATH is importable; only the bundle folder is added.
    result = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, ''); " + probe],
                            cwd=bundle, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

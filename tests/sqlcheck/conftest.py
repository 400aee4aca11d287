from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.sqlcheck import catalog
from tools.sqlcheck.zetasql import ZetaSQL


@pytest.fixture(scope="session")
def zetasql() -> Iterator[ZetaSQL]:
    """One analyzer server per test process (installed by `make sqlcheck`, which `make unit` depends on)."""
    server = ZetaSQL()
    yield server
    server.close()


@pytest.fixture(scope="session")
def project_catalog(zetasql: ZetaSQL) -> catalog.Catalog:
    return catalog.build(zetasql)

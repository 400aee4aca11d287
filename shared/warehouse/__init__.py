"""Warehouse access: `connect(url)` gives the backend named by the WAREHOUSE setting."""

from __future__ import annotations

from shared.warehouse.base import Row, Typed, Warehouse


def connect(url: str, client: object = None) -> Warehouse:
    """`duckdb:///relative/path.duckdb`, `duckdb:////absolute/path.duckdb`, `duckdb:///:memory:`,
    or `bigquery://PROJECT/DATASET` (optionally `?location=EU`)."""
    if url.startswith("duckdb:///"):
        from shared.warehouse.duckdb_backend import DuckDBWarehouse

        return DuckDBWarehouse(url.removeprefix("duckdb:///"))
    if url.startswith("bigquery://"):
        from shared.warehouse.bigquery_backend import BigQueryWarehouse

        location = url.split("?location=", 1)[1] if "?location=" in url else None
        parts = url.removeprefix("bigquery://").split("?", 1)[0].strip("/").split("/")
        if len(parts) != 2 or not all(parts):
            raise ValueError("WAREHOUSE must look like bigquery://PROJECT/DATASET")
        return BigQueryWarehouse(parts[0], parts[1], client=client, location=location)
    raise ValueError("WAREHOUSE must start with duckdb:/// or bigquery://")


__all__ = ["Row", "Typed", "Warehouse", "connect"]

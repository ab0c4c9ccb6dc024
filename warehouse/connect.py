"""Opening a warehouse from a URL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from warehouse.base import Warehouse, mask_password
from warehouse.errors import WarehouseError


def connect(url: str, *, migrate: bool = True) -> Warehouse:
    """Open the warehouse at ``url``, check it answers, and apply pending migrations.

    ``duckdb:///path/to/file.duckdb`` (or a bare ``.duckdb`` path) opens the embedded
    warehouse; ``postgresql://user@host:port/db`` opens Postgres.
    """
    warehouse = _open(url)
    try:
        with warehouse.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        warehouse.dispose()
        raise WarehouseError(f"cannot reach warehouse {mask_password(url)}: {_first_line(exc)}") from None
    if migrate:
        warehouse.migrate()
    return warehouse


def _open(url: str) -> Warehouse:
    if url.startswith("duckdb://"):
        from warehouse.duckdb_warehouse import DuckDBWarehouse

        path = url.removeprefix("duckdb://").removeprefix("/")
        if not path or path == ":memory:":
            raise WarehouseError(f"warehouse {url}: give a file path, for example duckdb:///demo/warehouse.duckdb")
        return DuckDBWarehouse.open(url, Path(path))
    if url.endswith(".duckdb") and "://" not in url:
        from warehouse.duckdb_warehouse import DuckDBWarehouse

        return DuckDBWarehouse.open(url, Path(url))
    if url.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://")):
        from warehouse.postgres_warehouse import PostgresWarehouse

        driver_url = "postgresql+psycopg2://" + url.split("://", 1)[1]
        return PostgresWarehouse.open(driver_url)
    raise WarehouseError(
        f"warehouse URL {mask_password(url)!r} is not supported; use duckdb:///path/file.duckdb or postgresql://user@host/db"
    )


def _first_line(exc: sa.exc.SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__

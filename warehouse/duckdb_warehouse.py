"""DuckDB: the embedded default warehouse, one file, nothing to run."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.arrow_query import BATCH
from warehouse.base import Warehouse, unseen_rows

MEMORY_LIMIT = "C360_DUCKDB_MEMORY_LIMIT"
"""Environment variable capping DuckDB's memory (``4GB``); unset, DuckDB takes 80 % of RAM."""


LENT_MEMORY = "256 MiB"
"""The warehouse's cap while it lends its memory (``DuckDBWarehouse.memory_lent``)."""


class DuckDBWarehouse(Warehouse):
    """A warehouse in a DuckDB file, loaded through Arrow without a row-by-row path."""

    driver_errors = (duckdb.Error,)

    def __init__(self, url: str, engine: sa.Engine, memory_limit: str | None) -> None:
        super().__init__(url, engine)
        self._memory_limit = memory_limit

    @classmethod
    def open(cls, url: str, path: Path) -> DuckDBWarehouse:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(f"duckdb:///{path}")
        memory_limit = os.environ.get(MEMORY_LIMIT)
        sa.event.listen(engine, "connect", functools.partial(_configure, memory_limit=memory_limit))
        return cls(url, engine, memory_limit)

    @contextlib.contextmanager
    def memory_lent(self, conn: Connection) -> Iterator[None]:
        """The database's memory cap is lowered to ``LENT_MEMORY`` while Splink trains and
        scores beside it: what the warehouse caches, and the pairs the transaction stores,
        are written out rather than held next to Splink's own gigabyte (550 MB of scored
        pairs at a million customers, at the run's peak).

        Set through a connection of its own: the setting is the database's, and the
        transaction's connection refuses even ``SET`` once one of its statements failed.
        """
        limit = conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar_one()
        if _bytes(limit) > _bytes(LENT_MEMORY):
            self._set_memory_limit(LENT_MEMORY)
        try:
            yield
        finally:
            self._set_memory_limit(self._memory_limit)

    def _set_memory_limit(self, limit: str | None) -> None:
        with self.engine.connect() as settings:
            if limit:
                settings.exec_driver_sql("SET memory_limit = ?", (limit,))
            else:
                settings.exec_driver_sql("RESET memory_limit")

    def _bulk_insert(self, conn: Connection, table: str, columns: str, data: pa.Table) -> int:
        return self._insert_from(conn, table, data, f"SELECT {columns} FROM {BATCH}", columns=f"({columns})")

    def _bulk_insert_query(self, conn: Connection, table: str, select: str, data: pa.Table) -> int:
        # The conversion runs inside the load: no intermediate Arrow table to build and read back.
        return self._insert_from(conn, table, data, select, columns="BY NAME")

    def insert_unseen(self, conn: Connection, table: str, data: pa.Table, *, select: str, column: str) -> int:
        """One statement: the converted rows are checked against ``table`` as they are
        inserted, without a temporary table to create, fill, read and drop (a third of an
        incremental batch's time)."""
        if data.num_rows == 0:
            return 0
        with self._bulk_errors(table):
            return self._insert_from(conn, table, data, unseen_rows(f"({select})", table, column), columns="BY NAME")

    def fetch_arrow(
        self, conn: Connection, sql: str, schema: pa.Schema, params: Mapping[str, Any] | None = None
    ) -> pa.Table:
        """DuckDB hands the result over as Arrow itself, in the same transaction."""
        compiled = sa.text(sql).compile(dialect=conn.dialect)
        values = compiled.construct_params(dict(params or {}))
        positional = [values[name] for name in compiled.positiontup or ()]
        duck = conn.connection.driver_connection
        duck.complete()  # an earlier statement's result read only in part would refuse the query
        return duck.sql(str(compiled), params=positional or None).to_arrow_table().cast(schema)

    def index_for_lookups(self, conn: Connection, table: str, column: str) -> None:
        """Nothing: DuckDB answers such lookups by hashing the column, never through a
        secondary index, which would only slow every load down."""

    @staticmethod
    def _insert_from(conn: Connection, table: str, data: pa.Table, select: str, *, columns: str) -> int:
        """INSERT INTO ``table`` ``columns`` ``select``, with ``data`` as ``batch``.

        DuckDB finds ``data`` as the local Arrow relation of that name (a replacement scan),
        not as a registered view: a view stays in the catalog, holding its Arrow data, until
        the transaction ends, so a resolve run that stored a million scored pairs held
        1.4 GB of them to its end.
        """
        duck = conn.connection.driver_connection
        _c360_arrow_batch = duck.from_arrow(data)  # read by its name in the statement
        statement = f"WITH {BATCH} AS (SELECT * FROM _c360_arrow_batch) INSERT INTO {table} {columns} {select}"
        [(inserted,)] = duck.execute(statement).fetchall()
        return inserted


_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def _bytes(size: str) -> float:
    """Bytes in a size as DuckDB prints settings (``953.6 MiB``, ``2.0 GiB``; bare, bytes)."""
    number, _, unit = size.partition(" ")
    return float(number) * _UNITS.get(unit, 1)


def _configure(dbapi_connection: object, _record: object, *, memory_limit: str | None) -> None:
    """Timestamps are read and written in UTC whatever the machine's zone; memory is capped when asked.

    Beyond the cap DuckDB spills to a directory beside the database file.
    """
    dbapi_connection.execute("SET TimeZone = 'UTC'")  # type: ignore[attr-defined]
    if memory_limit:
        dbapi_connection.execute("SET memory_limit = ?", [memory_limit])  # type: ignore[attr-defined]

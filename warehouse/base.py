"""The interface every warehouse backend implements."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.errors import WarehouseError
from warehouse.identifiers import column_list, quote_identifier
from warehouse.migrate import apply_migrations

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Warehouse", "WarehouseError", "execute_script", "mask_password"]

_FETCHED_ROWS = 50_000
"""Rows turned into Arrow at a time by ``fetch_arrow``."""


class Warehouse(ABC):
    """A connection pool to one warehouse, with bulk load and transactions."""

    driver_errors: tuple[type[Exception], ...] = ()
    """The database driver's own exceptions, raised by the bulk path outside SQLAlchemy."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            self._prepare_session(conn)
            yield conn

    def fetch_all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[sa.Row]:
        """Run one query in its own transaction and return every row."""
        with self.transaction() as conn:
            return list(conn.execute(sa.text(sql), dict(params or {})))

    def fetch_frame(self, conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """A query's result as a DataFrame of Python objects, values exactly as stored."""
        import pandas as pd  # only the transforms read frames; extract tasks start faster without it

        result = conn.execute(sa.text(sql), dict(params or {}))
        # Plain tuples: pandas probes each Row object for a dozen attributes it lacks.
        rows = [tuple(row) for row in result.fetchall()]
        return pd.DataFrame(rows, columns=list(result.keys()), dtype=object)

    def fetch_arrow(
        self, conn: Connection, sql: str, schema: pa.Schema, params: Mapping[str, Any] | None = None
    ) -> pa.Table:
        """A query's result as an Arrow table of ``schema`` (its columns, in order).

        Read a part at a time, so no Python object per value outlives its part: a million
        customers' records as a frame of Python objects took gigabytes, as Arrow a few
        hundred megabytes.
        """
        result = conn.execute(sa.text(sql), dict(params or {}))
        if list(result.keys()) != schema.names:
            raise WarehouseError(f"query returns columns {list(result.keys())}, expected {schema.names}")
        batches = [
            pa.RecordBatch.from_arrays(
                [pa.array(values, field.type) for values, field in zip(zip(*part, strict=True), schema, strict=True)],
                schema=schema,
            )
            for part in result.partitions(_FETCHED_ROWS)
        ]
        return pa.Table.from_batches(batches, schema=schema)

    def table_columns(self, conn: Connection, schema: str, table: str) -> list[str]:
        """Column names of ``schema.table`` in order; empty when the table does not exist."""
        rows = conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position"
            ),
            {"schema": schema, "table": table},
        )
        return [row[0] for row in rows]

    def bulk_insert(self, conn: Connection, table: str, data: pa.Table, *, select: str | None = None) -> int:
        """Append an Arrow table to ``table`` (already quoted) by column name.

        With ``select``, what lands is that DuckDB query's result over ``data`` (named
        ``batch`` in it), so a load converts on the way in: DuckDB runs the query inside
        the load, other warehouses run it in memory as they load. Its columns must have
        the table's types. Returns the rows the database reports inserted, not the rows
        it was given.
        """
        if data.num_rows == 0:
            return 0
        with self._bulk_errors(table):
            if select is not None:
                return self._bulk_insert_query(conn, table, select, data)
            return self._bulk_insert(conn, table, column_list(data.column_names), data)

    @contextmanager
    def _bulk_errors(self, table: str) -> Iterator[None]:
        """The driver's own errors from a bulk path, as a WarehouseError naming the table."""
        try:
            yield
        except self.driver_errors as exc:
            reason = " ".join(str(exc).split())
            raise WarehouseError(f"bulk load into {table} failed: {reason}") from exc

    def insert_unseen(self, conn: Connection, table: str, data: pa.Table, *, select: str, column: str) -> int:
        """Like ``bulk_insert`` with ``select``, but only the rows whose ``column`` value
        ``table`` does not hold yet; returns the rows inserted.

        The rows go to a temporary table by the bulk path first, then only unseen ones move
        on: each is one lookup in ``column``'s index (``index_for_lookups``).
        """
        if data.num_rows == 0:
            return 0
        arriving = "_c360_arriving"
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {arriving}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {arriving} AS SELECT * FROM {table} WHERE 1 = 0")
        self.bulk_insert(conn, arriving, data, select=select)
        landed = conn.exec_driver_sql(f"INSERT INTO {table} {unseen_rows(arriving, table, column)}").rowcount
        conn.exec_driver_sql(f"DROP TABLE {arriving}")
        return landed

    def upsert(self, conn: Connection, table: str, data: pa.Table, key: Sequence[str]) -> int:
        """Insert rows of ``data`` into ``table``, replacing rows with the same ``key``.

        Rows go through a temporary table by the bulk path, then one set-based
        ``INSERT ... ON CONFLICT`` merges them; both backends accept that statement.
        """
        if data.num_rows == 0:
            return 0
        staging = "_c360_upsert"
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {staging}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} AS SELECT * FROM {table} WHERE 1 = 0")
        self.bulk_insert(conn, staging, data)
        columns = [quote_identifier(name) for name in data.column_names]
        keys = [quote_identifier(name) for name in key]
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column not in keys)
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {staging} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )
        conn.exec_driver_sql(f"DROP TABLE {staging}")
        return data.num_rows

    def present(self, conn: Connection, table: str, column: str, values: Sequence[str], **equal: str) -> set[str]:
        """Which of ``values`` occur in ``table.column`` (on rows whose columns equal ``equal``).

        The values go in by the bulk path and are joined: a query per value, or one with
        thousands of bound parameters, costs far more.
        """
        if not values:
            return set()
        wanted = "_c360_wanted"
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {wanted}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {wanted} (value VARCHAR)")
        self.bulk_insert(conn, wanted, pa.table({"value": pa.array(list(values), pa.string())}))
        conditions = "".join(f" AND t.{quote_identifier(name)} = :{name}" for name in equal)
        rows = conn.execute(
            sa.text(
                f"SELECT DISTINCT w.value FROM {wanted} w JOIN {table} t "
                f"ON t.{quote_identifier(column)} = w.value{conditions}"
            ),
            equal,
        )
        found = {row[0] for row in rows}
        conn.exec_driver_sql(f"DROP TABLE {wanted}")
        return found

    def migrate(self) -> list[int]:
        """Bring the schemas up to date; returns the versions applied now."""
        with self.transaction() as conn:
            self._lock_for_migration(conn)
            return apply_migrations(conn)

    def grant_mart_reader(self, role: str) -> None:  # noqa: B027 - optional hook
        """Let ``role`` read ``mart`` and nothing else, where the backend has roles.

        An embedded DuckDB file has none: BI tools open it read-only instead.
        """

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @abstractmethod
    def _bulk_insert(self, conn: Connection, table: str, columns: str, data: pa.Table) -> int:
        """Load ``data`` into ``table (columns)`` through the backend's bulk path; returns rows inserted."""

    @abstractmethod
    def _bulk_insert_query(self, conn: Connection, table: str, select: str, data: pa.Table) -> int:
        """Load the rows ``select`` (DuckDB SQL over ``data`` as ``batch``) computes; returns rows inserted."""

    def index_for_lookups(self, conn: Connection, table: str, column: str) -> None:
        """Index ``column`` of ``table`` (already quoted) for lookups of single values, if not yet done."""
        index = column.strip("_") + "_" + hashlib.sha256(table.encode()).hexdigest()[:16]
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {quote_identifier(index)} ON {table} ({quote_identifier(column)})"
        )

    def refresh_statistics(self, conn: Connection, schemas: Sequence[str]) -> None:  # noqa: B027 - optional hook
        """Bring the planner's statistics on the tables of ``schemas`` up to date, where the
        backend keeps them apart from the data (DuckDB's follow every write)."""

    @contextmanager
    def memory_lent(self, conn: Connection) -> Iterator[None]:
        """While it lasts, the warehouse holds as little memory of this process as it can,
        for in-process work beside it (Splink's scratch DuckDB); a server's is its own."""
        yield

    def _prepare_session(self, conn: Connection) -> None:  # noqa: B027 - optional hook
        """Pin session settings (time zone) on a fresh transaction."""

    def _lock_for_migration(self, conn: Connection) -> None:  # noqa: B027 - optional hook
        """Keep two processes from migrating at once."""


def unseen_rows(rows: str, table: str, column: str) -> str:
    """A query of the rows of ``rows`` (a table, or a query in brackets) whose ``column``
    value ``table`` does not hold yet."""
    quoted = quote_identifier(column)
    return f"SELECT * FROM {rows} AS a WHERE NOT EXISTS (SELECT 1 FROM {table} AS e WHERE e.{quoted} = a.{quoted})"


def mask_password(url: str) -> str:
    """Replace the password in a URL with ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


_CREATES_TEMPORARY_TABLE = re.compile(r"^\s*CREATE\s+TEMPORARY\s+TABLE\s+(\w+)\s+AS\b", re.IGNORECASE)


def execute_script(conn: Connection, statements: Sequence[str], params: Mapping[str, Any] | None = None) -> None:
    """Run several statements in order on one connection with shared bind parameters.

    On Postgres a temporary table made from a query is analyzed at once: autovacuum never
    visits temporary tables, and the joins on them that follow were planned blind.
    """
    analyze = conn.dialect.name == "postgresql"
    for statement in statements:
        conn.execute(sa.text(statement), dict(params or {}))
        created = _CREATES_TEMPORARY_TABLE.match(statement) if analyze else None
        if created:
            conn.exec_driver_sql(f"ANALYZE {created.group(1)}")

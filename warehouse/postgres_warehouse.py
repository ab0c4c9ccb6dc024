"""Postgres: the production warehouse, loaded with COPY."""

from __future__ import annotations

import io

import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.base import Warehouse

_MIGRATION_LOCK_KEY = 360_360
"""Advisory lock id held while migrating, so concurrent start-ups apply each migration once."""


class PostgresWarehouse(Warehouse):
    """A warehouse in a Postgres database."""

    driver_errors = (psycopg2.Error,)

    @classmethod
    def open(cls, url: str) -> PostgresWarehouse:
        engine = sa.create_engine(
            url,
            connect_args={"options": "-c timezone=UTC", "application_name": "c360"},
            pool_pre_ping=True,
        )
        return cls(url, engine)

    def _bulk_insert(self, conn: Connection, table: str, columns: str, data: pa.Table) -> int:
        # Arrow writes nulls as empty unquoted fields and every string quoted, which is
        # exactly how COPY's CSV format tells NULL from an empty string.
        buffer = io.BytesIO()
        pa_csv.write_csv(data, buffer, pa_csv.WriteOptions(include_header=False))
        buffer.seek(0)
        with conn.connection.driver_connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
            return cursor.rowcount

    def _lock_for_migration(self, conn: Connection) -> None:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})

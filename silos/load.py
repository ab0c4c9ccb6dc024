"""Putting the SQL silos into real database servers: MariaDB, Postgres, or any SQLAlchemy URL.

The generator writes SQLite files; a test or a docker-compose stack wants the same data
where a real loan origination or core banking system would keep it. Loading replaces the
silo's tables in the target database and streams rows in bounded chunks.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from c360.errors import C360Error
from connectors.sql import driver_url
from silos.schema import DATABASES
from warehouse.base import mask_password

CHUNK_ROWS = 20_000


def load_silo(silos_dir: Path, silo: str, url: str) -> dict[str, int]:
    """Replace the tables of ``silo`` (loan_origination or core_banking) at ``url``; returns rows per table."""
    source_path = silos_dir / f"{silo}.sqlite"
    if not source_path.is_file():
        raise C360Error(f"{source_path}: not found; run `c360 silos generate --out {silos_dir}` first")
    metadata = DATABASES[silo]
    engine = sa.create_engine(driver_url(url))
    counts = {}
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            metadata.create_all(conn)
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            try:
                for table in metadata.sorted_tables:
                    counts[table.name] = _copy_table(source, conn, table)
            finally:
                source.close()
    except sa.exc.OperationalError as exc:
        raise C360Error(
            f"cannot load {silo} into {mask_password(url)}: {str(exc.orig).strip().splitlines()[0]}"
        ) from None
    finally:
        engine.dispose()
    return counts


def _copy_table(source: sqlite3.Connection, conn: sa.Connection, table: sa.Table) -> int:
    names = [column.name for column in table.columns]
    cursor = source.execute(f"SELECT {', '.join(names)} FROM {table.name} ORDER BY rowid")
    copied = 0
    while rows := cursor.fetchmany(CHUNK_ROWS):
        if conn.dialect.name == "postgresql":
            _copy_into_postgres(conn, table, names, rows)
        else:
            conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in rows])
        copied += len(rows)
    return copied


def _copy_into_postgres(conn: sa.Connection, table: sa.Table, names: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
    buffer.seek(0)
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table.name} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)

"""Versioned, idempotent schema migrations, applied on start-up.

Migrations are ``migrations/NNNN_name.sql`` files, applied in order, each recorded in
``meta.schema_migration`` with a checksum. An applied migration is never edited: a
changed checksum stops start-up, because the warehouse no longer matches the code.

A migration named ``NNNN_name.duckdb.sql`` (or ``.postgresql.sql``) applies to that
warehouse alone, for what one engine needs and the other must not have.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.errors import WarehouseError
from warehouse.sqlfiles import split_statements

_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)(?:\.(duckdb|postgresql))?\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    script: str
    dialect: str | None = None
    """The only warehouse (SQLAlchemy dialect name) it applies to; None for every one."""

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.script.encode("utf-8")).hexdigest()


def available_migrations(dialect: str) -> list[Migration]:
    """Every migration shipped with this version of the code for a ``dialect`` warehouse, oldest first."""
    migrations = []
    for entry in resources.files("warehouse.migrations").iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match and match[3] in (None, dialect):
            migrations.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8"), match[3]))
    return sorted(migrations, key=lambda migration: migration.version)


def apply_migrations(conn: Connection) -> list[int]:
    """Apply the migrations not yet recorded; returns the versions applied."""
    conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS meta")
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS meta.schema_migration ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    applied = dict(conn.execute(sa.text("SELECT version, checksum FROM meta.schema_migration")).all())
    newly_applied = []
    for migration in available_migrations(conn.dialect.name):
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise WarehouseError(
                    f"migration {migration.version:04d}_{migration.name} was changed after it was applied; "
                    "add a new migration instead of editing an applied one"
                )
            continue
        for statement in split_statements(migration.script):
            conn.exec_driver_sql(statement)
        conn.execute(
            sa.text("INSERT INTO meta.schema_migration (version, name, checksum) VALUES (:version, :name, :checksum)"),
            {"version": migration.version, "name": migration.name, "checksum": migration.checksum},
        )
        newly_applied.append(migration.version)
    return newly_applied

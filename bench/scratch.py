"""A throw-away Postgres database for one benchmark run."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """The URL of a new, uniquely named database on ``admin_url``'s server, dropped on exit."""
    name = f"c360_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine("postgresql+psycopg2://" + admin_url.split("://", 1)[1], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

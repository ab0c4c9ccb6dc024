"""What the benchmarks share: a throw-away Postgres database, the sample bank's settings with
its CRM served, and a process's own peak memory."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from c360.settings import Settings
from silos.serve import sample_bank_settings, serving_crm


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


def peak_kib() -> int:
    """This process's peak resident memory since it started its own program.

    ``getrusage`` would also count the memory of the parent it was forked from.
    """
    status = Path("/proc/self/status").read_text(encoding="ascii")
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


@contextlib.contextmanager
def serving_sample_bank(warehouse_url: str, silos: Path) -> Iterator[Settings]:
    """Settings for a pipeline run over the sample bank in ``silos``, its CRM served meanwhile."""
    with serving_crm(silos) as (crm_url, crm_token):
        yield sample_bank_settings(warehouse_url, silos, crm_url, crm_token)


def error_line(stderr: str) -> str:
    """The line naming the exception that ended a child, not SQLAlchemy's closing link to its docs."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    named = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return (named or lines or ["no message"])[-1]

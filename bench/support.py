"""What the benchmarks share: a throw-away Postgres database, the sample bank's settings with
its CRM served, a process's own peak memory, and how many pairs blocking rules make."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from c360.settings import Settings
from silos.serve import sample_bank_settings, serving_crm

if TYPE_CHECKING:
    import pandas as pd


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


def count_comparisons(tables: object, rules: list[object], link_type: str = "dedupe_only") -> int:
    """How many pairs blocking ``rules`` make over Splink ``tables`` (one, or a list to link),
    by Splink's exact count."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    counts = count_comparisons_from_blocking_rules(
        tables, blocking_rules=rules, link_type=link_type, record_sample_proportion=1.0
    )
    return int(counts[-1]["cumulative_comparison_count"])


def query_frame(url: str, sql: str) -> pd.DataFrame:
    """One query's result from the warehouse at ``url``, connected for it alone."""
    from warehouse import connect

    warehouse = connect(url)
    try:
        with warehouse.transaction() as conn:
            return warehouse.fetch_frame(conn, sql)
    finally:
        warehouse.dispose()


def c360_comparisons(url: str) -> int:
    """How many pairs our resolver's blocking rules make on the staged records of the warehouse at ``url``."""
    from splink import DuckDBAPI

    from transforms.resolve import _RECORDS, match

    records = query_frame(url, _RECORDS)
    records["record"] = records["source_system"] + "/" + records["source_entity"] + "/" + records["source_id"]
    return count_comparisons(DuckDBAPI().register(match.splink_frame(records)), list(match._BLOCKING))

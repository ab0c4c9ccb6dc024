"""Segment golden customers and publish them to ``mart`` for BI.

Rules come from ``config/segments.yml`` (``c360.segment_rules``) and reach the SQL as
small reference tables (``reference.py``); the SQL beside this file does the work inside
the warehouse, on DuckDB and Postgres alike, in one transaction (see ``README.md``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from c360.errors import C360Error
from c360.segment_rules import DIMENSIONS, SegmentRules
from transforms.segment.reference import create_reference_tables
from warehouse import Warehouse
from warehouse.base import execute_script
from warehouse.sqlfiles import load_statements

_PACKAGE = "transforms.segment"


class SegmentError(C360Error):
    """A segment run that would break the history, such as one dated before the last run."""


@dataclass(frozen=True)
class SegmentResult:
    """Customers published, how many fell in each segment, and how many moved since the last run."""

    customers: int
    segments: dict[str, dict[str, int]]
    """Per dimension, customers per segment."""
    moved: int | None
    """Customer-dimension pairs whose segment changed since the previous run; None on the first."""


@dataclass(frozen=True)
class _PreviousRun:
    as_of: dt.date
    rules_version: str


def segment_customers(warehouse: Warehouse, rules: SegmentRules, as_of: dt.date) -> SegmentResult:
    """Rebuild ``mart.customer_360`` for the business date ``as_of``, moving the history on.

    A run dated before the previous one is refused: history intervals only move forward.
    """
    params = _parameters(rules, as_of)
    with warehouse.transaction() as conn:
        previous = _previous_run(conn)
        if previous is not None and as_of < previous.as_of:
            raise SegmentError(
                f"segments were last computed as of {previous.as_of}; a run as of {as_of} would rewrite history"
            )
        _remember_rules(conn, rules, params["refreshed_at"])
        warehouse.refresh_statistics(conn, ("staging", "core"))
        create_reference_tables(conn, rules)
        execute_script(conn, load_statements(_PACKAGE, "facts.sql"), params)
        execute_script(conn, load_statements(_PACKAGE, "segments.sql"), params)
        moved = None
        if previous is not None:
            moved = _moved(conn)
            unchanged_rerun = (previous.as_of, previous.rules_version) == (as_of, rules.version) and moved == 0
            if not unchanged_rerun:
                migration = {**params, "from_as_of": previous.as_of, "from_rules_version": previous.rules_version}
                execute_script(conn, load_statements(_PACKAGE, "migration.sql"), migration)
        execute_script(conn, load_statements(_PACKAGE, "publish.sql"), params)
        _publish_strategy(conn, rules)
        segments = _segment_counts(conn)
    customers = sum(segments.get("lifecycle", {}).values())
    return SegmentResult(customers=customers, segments=segments, moved=moved)


def _parameters(rules: SegmentRules, as_of: dt.date) -> dict[str, Any]:
    months_back = as_of.year * 12 + as_of.month - rules.trailing_months
    window_start = dt.date(months_back // 12, months_back % 12 + 1, 1)
    needs = rules.needs_tier
    return {
        "as_of": as_of,
        "as_of_text": as_of.isoformat(),
        "window_start": window_start,
        "trailing_months": str(rules.trailing_months),
        "home_currency": rules.home_currency,
        "rules_version": rules.version,
        "refreshed_at": dt.datetime.now(dt.UTC),
        "rating_policy": rules.risk_grade.policy,
        "rating_valid_days": str(rules.risk_grade.rating_valid_days),
        "rating_since": as_of - dt.timedelta(days=rules.risk_grade.rating_valid_days),
        "contribution_method": rules.contribution_tier.method,
        "no_revenue_tier": rules.contribution_tier.no_revenue,
        "churn_cutoff": as_of - dt.timedelta(days=rules.lifecycle.churn_after_days),
        "churn_after_days": str(rules.lifecycle.churn_after_days),
        "high_net_worth_deposits": rules.customer_type.high_net_worth_deposits,
        "high_net_worth_text": _plain(rules.customer_type.high_net_worth_deposits),
        "multinational_if_foreign_currency": rules.customer_type.multinational_if_foreign_currency,
        "size_standard": rules.customer_type.size_standard,
        "needs_exposure": needs.exposure_at_least,
        "needs_exposure_text": _plain(needs.exposure_at_least) if needs.exposure_at_least is not None else "",
        "needs_products": needs.products_at_least,
        "needs_high_net_worth": needs.high_net_worth,
        "strategic_rules": str(len(rules.relationship_model.strategic_when)),
    }


def _plain(number: float) -> str:
    """A threshold as reasons quote it: 50000000, 0.5 (never 5e+07)."""
    return f"{number:.6f}".rstrip("0").rstrip(".")


def _previous_run(conn: Connection) -> _PreviousRun | None:
    row = conn.execute(
        sa.text("SELECT MAX(as_of_date), MAX(segment_rules_version) FROM mart.customer_360")
    ).one_or_none()
    if row is None or row[0] is None:
        return None
    return _PreviousRun(as_of=row[0], rules_version=row[1])


def _remember_rules(conn: Connection, rules: SegmentRules, now: dt.datetime) -> None:
    """Keep each rules version the first time a run uses it; the history cites these."""
    conn.execute(
        sa.text(
            "INSERT INTO meta.segment_rules (rules_version, rules, first_used_at) "
            "SELECT :version, :rules, :now WHERE NOT EXISTS "
            "(SELECT 1 FROM meta.segment_rules WHERE rules_version = :version)"
        ),
        {"version": rules.version, "rules": rules.model_dump_json(), "now": now},
    )


def _moved(conn: Connection) -> int:
    return conn.execute(
        sa.text(
            "SELECT COUNT(*) FROM (SELECT customer_id, dimension, segment FROM mart.customer_segment_history"
            " WHERE valid_to IS NULL) AS h"
            " FULL OUTER JOIN _seg_value AS v ON v.customer_id = h.customer_id AND v.dimension = h.dimension"
            " WHERE h.segment IS DISTINCT FROM v.segment"
        )
    ).scalar_one()


def _publish_strategy(conn: Connection, rules: SegmentRules) -> None:
    conn.execute(sa.text("DELETE FROM mart.segment_strategy"))
    rows = [
        {"dimension": dimension, "segment": segment, "rules_version": rules.version, **entry.model_dump()}
        for dimension, entries in rules.strategy.items()
        for segment, entry in entries.items()
    ]
    if rows:
        conn.execute(
            sa.text(
                "INSERT INTO mart.segment_strategy (dimension, segment, service_team, review_frequency,"
                " pricing_spread_bps, note, rules_version) VALUES (:dimension, :segment, :service_team,"
                " :review_frequency, :pricing_spread_bps, :note, :rules_version)"
            ),
            rows,
        )


def _segment_counts(conn: Connection) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for dimension, segment, customers in conn.execute(
        sa.text("SELECT dimension, segment, COUNT(*) FROM _seg_value GROUP BY dimension, segment")
    ):
        counts[dimension][segment] = int(customers)
    return {dimension: dict(sorted(counts[dimension].items())) for dimension in DIMENSIONS if dimension in counts}

"""Segment golden customers and publish ``mart.customer_360`` for BI.

Rules come from ``config/segments.yml``; the SQL beside this file does the work inside
the warehouse (see ``README.md``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from c360.config import SegmentRules
from warehouse import Warehouse
from warehouse.base import execute_script
from warehouse.sqlfiles import load_statements


@dataclass(frozen=True)
class SegmentResult:
    """Customers published and how many fell in each lifecycle stage."""

    customers: int
    lifecycle: dict[str, int]


def segment_customers(warehouse: Warehouse, rules: SegmentRules, as_of: dt.date) -> SegmentResult:
    """Rebuild ``mart.customer_360`` for the business date ``as_of``."""
    churn_after_days = rules.lifecycle.churn_after_days
    params = {
        "as_of": as_of,
        "as_of_text": as_of.isoformat(),
        "churn_cutoff": as_of - dt.timedelta(days=churn_after_days),
        "churn_after_days": str(churn_after_days),
        "rules_version": rules.version,
        "refreshed_at": dt.datetime.now(dt.UTC),
    }
    with warehouse.transaction() as conn:
        execute_script(conn, load_statements("transforms.segment", "lifecycle.sql"), params)
        rows = conn.exec_driver_sql("SELECT lifecycle, COUNT(*) FROM mart.customer_360 GROUP BY lifecycle").all()
    counts = Counter({stage: int(count) for stage, count in rows})
    return SegmentResult(customers=sum(counts.values()), lifecycle=dict(sorted(counts.items())))

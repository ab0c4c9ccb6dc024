"""Resolve staged party records into golden customers with stable ids.

This first matcher links records that share a valid unified social credit code; see
``README.md`` beside this file for what ``resolve.sql`` reads and writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from c360.config import MatchingConfig
from warehouse import Warehouse
from warehouse.base import execute_script
from warehouse.sqlfiles import load_statements


@dataclass(frozen=True)
class ResolveResult:
    """Records in, golden customers out, and ids issued or retired by this run."""

    records: int
    customers: int
    ids_issued: int
    ids_retired: int


def resolve_customers(warehouse: Warehouse, matching: MatchingConfig) -> ResolveResult:
    """Rebuild ``core.customer`` and ``core.customer_xref`` from ``staging.party`` in one transaction."""
    resolved_at = dt.datetime.now(dt.UTC)
    priorities = matching.survivorship.source_priority
    with warehouse.transaction() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS _resolve_priority")
        conn.exec_driver_sql("CREATE TEMPORARY TABLE _resolve_priority (source_system TEXT, priority INTEGER)")
        warehouse.bulk_insert(
            conn,
            "_resolve_priority",
            pa.table(
                {
                    "source_system": pa.array(priorities, pa.string()),
                    "priority": pa.array(range(len(priorities)), pa.int32()),
                }
            ),
        )
        execute_script(conn, load_statements("transforms.resolve", "resolve.sql"), {"resolved_at": resolved_at})
        conn.exec_driver_sql("DROP TABLE _resolve_priority")
        counts = conn.exec_driver_sql(
            "SELECT (SELECT COUNT(*) FROM core.customer_xref), (SELECT COUNT(*) FROM core.customer)"
        ).one()
        ids = conn.execute(
            sa.text(
                "SELECT SUM(CASE WHEN issued_at = :at THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN retired_at = :at THEN 1 ELSE 0 END) FROM core.customer_id_registry"
            ),
            {"at": resolved_at},
        ).one()
    return ResolveResult(
        records=counts[0], customers=counts[1], ids_issued=int(ids[0] or 0), ids_retired=int(ids[1] or 0)
    )

"""Resolve staged party records into golden customers with stable ids.

``match.py`` decides which records belong together (deterministic keys, Splink, guarded
clustering); ``resolve.sql`` turns those clusters into ids, cross-references and golden
records. See ``README.md`` beside this file for what each reads and writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from c360.config import MatchingConfig
from transforms.resolve.match import cluster, deterministic_links, probabilistic_links
from warehouse import Warehouse
from warehouse.base import execute_script
from warehouse.sqlfiles import load_statements

if TYPE_CHECKING:
    import pandas as pd


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
        records = warehouse.fetch_frame(conn, _RECORDS)
        records["record"] = records["source_system"] + "/" + records["source_entity"] + "/" + records["source_id"]
        links = deterministic_links(records)
        if matching.probabilistic.enabled:
            links += probabilistic_links(records, matching.probabilistic.match_probability)
        _load_assignments(warehouse, conn, records, cluster(records, links))
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
        conn.exec_driver_sql("DROP TABLE _resolve_assignment")
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


_RECORDS = """
SELECT source_system, source_entity, source_id, name_core, name_romanized, legal_form, name_place, city, district,
    phone, email, legal_representative, industry_section, is_branch,
    CASE WHEN uscc_valid THEN uscc END AS uscc,
    CASE WHEN resident_id_valid THEN resident_id END AS resident_id
FROM staging.party
"""


def _load_assignments(warehouse: Warehouse, conn: Connection, records: pd.DataFrame, assignments: list) -> None:
    """``_resolve_assignment``: each record's cluster key, the rule that put it there and the match weight."""
    triples = zip(records["source_system"], records["source_entity"], records["source_id"], strict=True)
    keys = dict(zip(records["record"], triples, strict=True))
    conn.exec_driver_sql("DROP TABLE IF EXISTS _resolve_assignment")
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE _resolve_assignment (source_system TEXT, source_entity TEXT, source_id TEXT,"
        " cluster_key TEXT, match_rule TEXT, match_weight DOUBLE PRECISION)"
    )
    warehouse.bulk_insert(
        conn,
        "_resolve_assignment",
        pa.table(
            {
                "source_system": pa.array([keys[item.record][0] for item in assignments], pa.string()),
                "source_entity": pa.array([keys[item.record][1] for item in assignments], pa.string()),
                "source_id": pa.array([keys[item.record][2] for item in assignments], pa.string()),
                "cluster_key": pa.array([item.cluster for item in assignments], pa.string()),
                "match_rule": pa.array([item.rule for item in assignments], pa.string()),
                "match_weight": pa.array([item.weight for item in assignments], pa.float64()),
            }
        ),
    )

"""Resolve staged party records into golden customers with stable ids.

``match.py`` decides which records belong together (deterministic keys, Splink, guarded
clustering); ``resolve.sql`` turns those clusters into ids, cross-references and golden
records. See ``README.md`` beside this file for what each reads and writes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from c360.config import GOLDEN_ATTRIBUTES, MatchingConfig
from transforms.resolve.match import (
    RULE_STEWARD,
    Assignment,
    Candidate,
    Link,
    cluster,
    deterministic_links,
    probabilistic_links,
)
from transforms.resolve.pii import hash_identifiers
from transforms.resolve.stewardship import Decisions, load_decisions
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
    reviews_queued: int


def resolve_customers(warehouse: Warehouse, matching: MatchingConfig) -> ResolveResult:
    """Rebuild ``core.customer`` and ``core.customer_xref`` from ``staging.party`` in one transaction."""
    resolved_at = dt.datetime.now(dt.UTC)
    priorities = matching.survivorship.source_priority
    with warehouse.transaction() as conn:
        records = hash_identifiers(warehouse.fetch_frame(conn, _RECORDS))
        records["record"] = records["source_system"] + "/" + records["source_entity"] + "/" + records["source_id"]
        decisions = load_decisions(conn)
        links = [Link(left, right, RULE_STEWARD, None) for left, right in decisions.must_link]
        links += deterministic_links(records)
        candidates: list[Candidate] = []
        if matching.probabilistic.enabled:
            scored = probabilistic_links(
                records, matching.probabilistic.match_probability, matching.probabilistic.review_probability
            )
            links += scored.links
            candidates = scored.candidates
            _save_model(conn, scored.model_json, len(records), resolved_at)
        assignments = cluster(records, links, decisions.cannot_link, decisions.split)
        _load_assignments(warehouse, conn, records, assignments)
        queued = _queue_reviews(warehouse, conn, candidates, assignments, decisions, resolved_at)
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
        conn.exec_driver_sql("DROP TABLE IF EXISTS _resolve_rule")
        conn.exec_driver_sql("CREATE TEMPORARY TABLE _resolve_rule (attribute TEXT, rule TEXT)")
        warehouse.bulk_insert(
            conn,
            "_resolve_rule",
            pa.table(
                {
                    "attribute": pa.array(GOLDEN_ATTRIBUTES, pa.string()),
                    "rule": pa.array([matching.survivorship.rule(name) for name in GOLDEN_ATTRIBUTES], pa.string()),
                }
            ),
        )
        execute_script(conn, load_statements("transforms.resolve", "resolve.sql"), {"resolved_at": resolved_at})
        conn.exec_driver_sql("DROP TABLE _resolve_rule")
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
        records=counts[0],
        customers=counts[1],
        ids_issued=int(ids[0] or 0),
        ids_retired=int(ids[1] or 0),
        reviews_queued=queued,
    )


_RECORDS = """
SELECT source_system, source_entity, source_id, name_core, name_romanized, legal_form, name_place, city, district,
    phone, email, legal_representative, industry_section, is_branch,
    CASE WHEN uscc_valid THEN uscc END AS uscc,
    CASE WHEN resident_id_valid THEN resident_id END AS resident_id
FROM staging.party
"""


def _load_assignments(
    warehouse: Warehouse, conn: Connection, records: pd.DataFrame, assignments: list[Assignment]
) -> None:
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


def _save_model(conn: Connection, model_json: str, records: int, trained_at: dt.datetime) -> None:
    """Keep the trained model as a new version in ``meta.match_model``."""
    if not model_json:
        return
    conn.execute(
        sa.text(
            "INSERT INTO meta.match_model (model_version, trained_at, records, settings_json) "
            "SELECT COALESCE(MAX(model_version), 0) + 1, :at, :records, :model FROM meta.match_model"
        ),
        {"at": trained_at, "records": records, "model": model_json},
    )


def _queue_reviews(
    warehouse: Warehouse,
    conn: Connection,
    candidates: list[Candidate],
    assignments: list[Assignment],
    decisions: Decisions,
    queued_at: dt.datetime,
) -> int:
    """Replace the review queue with this run's uncertain pairs that are still open questions.

    A pair drops out once a steward decided it or other links already put both records in
    one customer.
    """
    cluster_of = {item.record: item.cluster for item in assignments}
    open_pairs = [
        candidate
        for candidate in candidates
        if cluster_of.get(candidate.left) != cluster_of.get(candidate.right)
        and not decisions.decided(candidate.left, candidate.right)
    ]
    conn.exec_driver_sql("DELETE FROM core.review_queue")
    count = len(open_pairs)
    warehouse.bulk_insert(
        conn,
        "core.review_queue",
        pa.table(
            {
                "left_record": pa.array([pair.left for pair in open_pairs], pa.string()),
                "right_record": pa.array([pair.right for pair in open_pairs], pa.string()),
                "match_probability": pa.array([pair.probability for pair in open_pairs], pa.float64()),
                "match_weight": pa.array([pair.weight for pair in open_pairs], pa.float64()),
                "explanation": pa.array(
                    [json.dumps(pair.explanation, ensure_ascii=False, default=str) for pair in open_pairs], pa.string()
                ),
                "queued_at": pa.array([queued_at] * count, pa.timestamp("us", tz="UTC")),
            }
        ),
    )
    return count

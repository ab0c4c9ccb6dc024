"""Resolve staged party records into golden customers with stable ids.

``match.py`` decides which records belong together (deterministic keys, Splink, guarded
clustering); ``resolve.sql`` turns those clusters into ids, cross-references and golden
records. See ``README.md`` beside this file for what each reads and writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import get_args

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from c360.config import GOLDEN_ATTRIBUTES, MatchingConfig, Probabilistic
from c360.settings import ResolveMode
from transforms.resolve.clusters import GUARDED_COLUMNS, RULE_STEWARD, Link, cluster, links_frame
from transforms.resolve.match import deterministic_links, score_pairs, splink_frame
from transforms.resolve.model import Model, model_in_force
from transforms.resolve.pairs import Basis, changes_since_last_run, fingerprints, store_changes, stored_links
from transforms.resolve.pii import hash_identifiers
from transforms.resolve.stewardship import Decisions, load_decisions
from warehouse import Warehouse
from warehouse.base import execute_script
from warehouse.sqlfiles import load_statements


@dataclass(frozen=True)
class ResolveResult:
    """Records in, golden customers out, what was scored, and ids issued or retired by this run."""

    records: int
    customers: int
    records_scored: int
    """New or changed records whose pairs Splink scored (all of them on a full run)."""
    model_version: int | None
    model_trained: bool
    ids_issued: int
    ids_retired: int
    reviews_queued: int


RESOLVE_MODES = get_args(ResolveMode)


def resolve_customers(
    warehouse: Warehouse, matching: MatchingConfig, mode: ResolveMode = "incremental"
) -> ResolveResult:
    """Bring ``core.customer`` and ``core.customer_xref`` in line with ``staging.party``, in one transaction.

    Whatever the mode, the result is the one scoring every record under the model in
    force would give: an incremental run only skips pairs whose records are unchanged.
    """
    if mode not in RESOLVE_MODES:
        raise ValueError(f"resolve mode {mode!r}: expected one of {', '.join(RESOLVE_MODES)}")
    resolved_at = dt.datetime.now(dt.UTC)
    priorities = matching.survivorship.source_priority
    with warehouse.transaction() as conn:
        scoring, queued = _match(warehouse, conn, matching, mode, resolved_at)
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
        execute_script(
            conn,
            load_statements("transforms.resolve", "resolve.sql"),
            {"resolved_at": resolved_at, "everything": mode != "incremental"},
        )
        conn.exec_driver_sql("DROP TABLE _resolve_rule")
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
        records=counts[0],
        customers=counts[1],
        records_scored=scoring.records_scored,
        model_version=scoring.model.version if scoring.model else None,
        model_trained=bool(scoring.model and scoring.model.trained),
        ids_issued=int(ids[0] or 0),
        ids_retired=int(ids[1] or 0),
        reviews_queued=queued,
    )


def _match(
    warehouse: Warehouse, conn: Connection, matching: MatchingConfig, mode: ResolveMode, resolved_at: dt.datetime
) -> tuple[_Scoring, int]:
    """Cluster the staged records into ``_resolve_assignment`` and queue pairs for review;
    returns the scoring and the pairs queued.

    Records, links and clusters live only in here: at a million customers they take
    gigabytes, which go before the golden records are built in the warehouse.
    """
    # Arrow-backed columns: a million customers' records as Python objects took gigabytes.
    records = warehouse.fetch_arrow(conn, _RECORDS, _RECORD_SCHEMA).to_pandas(types_mapper=pd.ArrowDtype)
    records["record"] = records["source_system"] + "/" + records["source_entity"] + "/" + records["source_id"]
    records["fingerprint"] = fingerprints(records)
    records = hash_identifiers(records)
    decisions = load_decisions(conn)
    steward = links_frame(Link(left, right, RULE_STEWARD, None) for left, right in decisions.must_link)
    with warehouse.memory_lent(conn):  # Splink's scratch DuckDB takes the memory meanwhile
        scoring = _score_changes(warehouse, conn, records, matching.probabilistic, mode, resolved_at)
    records = records[[*_KEYS, *GUARDED_COLUMNS]]  # what clustering and the assignments still read
    threshold = matching.probabilistic.match_probability
    links = pd.concat(
        [steward, deterministic_links(records), stored_links(warehouse, conn, threshold)], ignore_index=True
    )
    assignments = cluster(records, links, decisions.cannot_link, decisions.split)
    del links
    _load_assignments(warehouse, conn, records, assignments)
    return scoring, _queue_reviews(warehouse, conn, decisions, threshold, resolved_at)


@dataclass(frozen=True)
class _Scoring:
    model: Model | None
    records_scored: int


def _score_changes(
    warehouse: Warehouse,
    conn: Connection,
    records: pd.DataFrame,
    probabilistic: Probabilistic,
    mode: ResolveMode,
    now: dt.datetime,
) -> _Scoring:
    """Score the pairs of new and changed records (all records unless incremental) and keep them."""
    model = None
    if probabilistic.enabled:
        frame = splink_frame(records)
        model = model_in_force(
            conn, frame, retrain=mode == "retrain", change_to_retrain=probabilistic.retrain_when_records_change_by,
            now=now,
        )  # fmt: skip
    if model is None:
        conn.exec_driver_sql("DELETE FROM core.match_pair")
        conn.exec_driver_sql("DELETE FROM core.match_record")
        return _Scoring(None, 0)
    basis = Basis(model.version, probabilistic.review_probability, probabilistic.match_probability)
    changes = changes_since_last_run(warehouse, conn, records, basis)
    touched = changes.touched if mode == "incremental" else changes.touched | True  # full, retrain: every record
    scored = score_pairs(frame, records["record"], model.model_json, touched, basis.scored_from, basis.explained_below)
    changed = records.loc[touched, ["record", "fingerprint"]]
    store_changes(warehouse, conn, changes.removed, scored, changed, basis)
    return _Scoring(model, int(touched.sum()))


_RECORDS = """
SELECT source_system, source_entity, source_id, name_core, name_romanized, name_lead, legal_form, name_place,
    city, district, address_detail, phone, email, legal_representative, industry_section, date_of_birth, id_document,
    is_branch,
    CASE WHEN uscc_valid THEN uscc END AS uscc,
    CASE WHEN resident_id_valid THEN resident_id END AS resident_id
FROM staging.party
"""

_KEYS = ("source_system", "source_entity", "source_id")
"""A staged record's key."""
_TEXT_COLUMNS = (
    "source_system", "source_entity", "source_id", "name_core", "name_romanized", "name_lead", "legal_form",
    "name_place", "city", "district", "address_detail", "phone", "email", "legal_representative", "industry_section",
)  # fmt: skip
_RECORD_SCHEMA = pa.schema(
    [
        *((name, pa.string()) for name in _TEXT_COLUMNS),
        ("date_of_birth", pa.date32()),
        ("id_document", pa.string()),
        ("is_branch", pa.bool_()),
        ("uscc", pa.string()),
        ("resident_id", pa.string()),
    ]
)
"""The columns of ``_RECORDS``, in order."""


def _load_assignments(warehouse: Warehouse, conn: Connection, records: pd.DataFrame, assignments: pd.DataFrame) -> None:
    """``_resolve_assignment``: each record's cluster key, the rule that put it there and the match weight."""
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
                **{column: pa.array(records[column], pa.string()) for column in _KEYS},
                "cluster_key": pa.array(assignments["cluster"], pa.string()),
                "match_rule": pa.array(assignments["rule"], pa.string()),
                "match_weight": pa.array(assignments["weight"], pa.float64(), from_pandas=True),
            }
        ),
    )


def _queue_reviews(
    warehouse: Warehouse, conn: Connection, decisions: Decisions, threshold: float, queued_at: dt.datetime
) -> int:
    """Replace the review queue with this run's uncertain pairs that are still open questions.

    A pair drops out once a steward decided it or other links already put both records in
    one customer. Chosen in the warehouse, beside the pairs and the clusters.
    """
    decided = [*decisions.must_link, *decisions.cannot_link]
    conn.exec_driver_sql("DROP TABLE IF EXISTS _resolve_decided")
    conn.exec_driver_sql("CREATE TEMPORARY TABLE _resolve_decided (left_record TEXT, right_record TEXT)")
    warehouse.bulk_insert(
        conn,
        "_resolve_decided",
        pa.table(
            {
                "left_record": pa.array([one for one, _ in decided] + [other for _, other in decided], pa.string()),
                "right_record": pa.array([other for _, other in decided] + [one for one, _ in decided], pa.string()),
            }
        ),
    )
    conn.exec_driver_sql("DELETE FROM core.review_queue")
    conn.execute(sa.text(_OPEN_PAIRS), {"threshold": threshold, "queued_at": queued_at})
    conn.exec_driver_sql("DROP TABLE _resolve_decided")
    return int(conn.exec_driver_sql("SELECT COUNT(*) FROM core.review_queue").scalar_one())


_OPEN_PAIRS = """
INSERT INTO core.review_queue (left_record, right_record, match_probability, match_weight, explanation, queued_at)
SELECT pair.left_record, pair.right_record, pair.match_probability, pair.match_weight, pair.explanation, :queued_at
FROM core.match_pair pair
JOIN _resolve_assignment l ON l.source_system || '/' || l.source_entity || '/' || l.source_id = pair.left_record
JOIN _resolve_assignment r ON r.source_system || '/' || r.source_entity || '/' || r.source_id = pair.right_record
WHERE pair.match_probability < :threshold AND l.cluster_key <> r.cluster_key
    AND NOT EXISTS (
        SELECT 1 FROM _resolve_decided decided
        WHERE decided.left_record = pair.left_record AND decided.right_record = pair.right_record
    )
"""

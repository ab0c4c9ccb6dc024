"""Data stewards' part in resolution: the review queue and decisions kept as data.

A decision is a row in ``core.steward_decision`` and every resolve run honours it:
``must_link`` joins two records, ``cannot_link`` keeps them apart, ``split`` makes a record
stand alone. Records are named ``source_system/source_entity/source_id``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from c360.errors import C360Error
from transforms.resolve.match import ScoredPair
from warehouse import Warehouse

DECISIONS = ("must_link", "cannot_link", "split")


@dataclass(frozen=True)
class Decisions:
    must_link: list[tuple[str, str]]
    cannot_link: list[tuple[str, str]]
    split: list[str]


def pending_reviews(warehouse: Warehouse, limit: int = 50) -> list[ScoredPair]:
    """The queue, most uncertain first (closest to even odds)."""
    rows = warehouse.fetch_all(
        "SELECT left_record, right_record, match_probability, match_weight, explanation FROM core.review_queue "
        "ORDER BY ABS(match_probability - 0.5), left_record, right_record LIMIT :limit",
        {"limit": limit},
    )
    return [ScoredPair(row[0], row[1], row[2], row[3], json.loads(row[4])) for row in rows]


def record_decision(
    warehouse: Warehouse, decision: str, left: str, right: str | None, decided_by: str, note: str | None = None
) -> int:
    """Store a decision (checked against the staged records); returns its id. It applies from the next resolve run."""
    if decision not in DECISIONS:
        raise C360Error(f"decision must be one of {list(DECISIONS)}, not {decision!r}")
    if (decision == "split") != (right is None):
        raise C360Error(f"{decision} names {'one record' if decision == 'split' else 'two records'}")
    if right is not None and left == right:
        raise C360Error(f"{decision}: a record cannot be paired with itself ({left})")
    with warehouse.transaction() as conn:
        for record in filter(None, (left, right)):
            if not _staged(conn, record):
                raise C360Error(f"no staged record {record!r}; records are named source_system/source_entity/source_id")
        decision_id = conn.execute(
            sa.text("SELECT COALESCE(MAX(decision_id), 0) + 1 FROM core.steward_decision")
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO core.steward_decision (decision_id, decision, left_record, right_record, decided_by, note,"
                " decided_at) VALUES (:id, :decision, :left, :right, :by, :note, :at)"
            ),
            {"id": decision_id, "decision": decision, "left": left, "right": right, "by": decided_by, "note": note,
             "at": dt.datetime.now(dt.UTC)},
        )  # fmt: skip
    return int(decision_id)


def load_decisions(conn: sa.Connection) -> Decisions:
    """Every decision, latest last: a later decision on the same pair replaces an earlier one."""
    latest: dict[frozenset[str], str] = {}
    split: list[str] = []
    rows = conn.execute(
        sa.text("SELECT decision, left_record, right_record FROM core.steward_decision ORDER BY decision_id")
    )
    for decision, left, right in rows:
        if decision == "split":
            split.append(left)
        else:
            latest[frozenset((left, right))] = decision
    pairs = {decision: [tuple(sorted(pair)) for pair, chosen in latest.items() if chosen == decision]
             for decision in ("must_link", "cannot_link")}  # fmt: skip
    return Decisions(pairs["must_link"], pairs["cannot_link"], split)


def _staged(conn: sa.Connection, record: str) -> bool:
    parts = record.split("/", 2)
    if len(parts) != 3:
        return False
    return (
        conn.execute(
            sa.text(
                "SELECT 1 FROM staging.party"
                " WHERE source_system = :system AND source_entity = :entity AND source_id = :id"
            ),
            {"system": parts[0], "entity": parts[1], "id": parts[2]},
        ).first()
        is not None
    )

"""What the last resolve run scored, so the next one scores only what changed.

Splink's score for a pair depends on the two records and the model, nothing else. So a
run keeps every plausible pair it scored (``core.match_pair``) and a fingerprint of each
record it compared (``core.match_record``); the next run, on the same ``Basis`` (model,
review floor, match probability), scores only pairs with a new or changed record and keeps
the rest. Clustering then runs over all pairs, so the outcome is the one a full re-run
would give. Pairs pass from Splink to the warehouse in batches, and only links (no
explanations) come back, so a million records' pairs never sit in memory with their
explanations.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Connection

from transforms.resolve.clusters import RULE_PROBABILISTIC
from transforms.resolve.match import STAGED_COLUMNS
from transforms.resolve.scratch import scratch_duckdb
from warehouse import Warehouse

FINGERPRINTED = (*STAGED_COLUMNS, "is_branch")
"""Every field matching reads: a record whose fields are unchanged scores as before."""


@dataclass(frozen=True)
class Changes:
    touched: pd.Series
    """Per record (aligned with the records): new or changed, so its pairs are scored again."""
    removed: list[str]
    """Records scored before that are no longer staged."""


def fingerprints(records: pd.DataFrame) -> pd.Series:
    """A digest of each record's matched fields, taken before identifiers are hashed for the run.

    MD5 of the fields as a JSON array (a null is not an empty text), computed by DuckDB: in
    Python, a JSON text per record took tens of seconds at a million customers.
    """
    fields = ", ".join(f"CAST({column} AS VARCHAR)" for column in FINGERPRINTED)
    matched = pa.Table.from_pandas(records[list(FINGERPRINTED)], preserve_index=False)
    with scratch_duckdb() as duck:
        duck.register("_matched", matched)
        digests = duck.sql(f"SELECT md5(CAST(to_json([{fields}]) AS VARCHAR)) AS digest FROM _matched").to_arrow_table()
    return pd.Series(digests["digest"], index=records.index, dtype=pd.ArrowDtype(pa.string()))


@dataclass(frozen=True)
class Basis:
    """What a record's pairs were scored under: a pair scored under another basis is scored again.

    Each field is the ``core.match_record`` column of that name."""

    model_version: int
    scored_from: float
    """The review floor: pairs below it are not kept."""
    explained_below: float
    """The match probability: pairs below it may go to review, and keep their explanation."""


def changes_since_last_run(warehouse: Warehouse, conn: Connection, records: pd.DataFrame, basis: Basis) -> Changes:
    """Which records need scoring: all of them when the model, the review floor or the match probability changed.

    Compared as Arrow columns, each record's stored fingerprint looked up by position: a
    million customers' stored fingerprints as Python objects took more memory than the
    records themselves, and a hash join sorted back into order took 1.3 GB more at its peak.
    """
    stored = warehouse.fetch_arrow(
        conn,
        "SELECT record, fingerprint, model_version, scored_from, explained_below FROM core.match_record",
        _MATCH_RECORD,
    )
    current = pa.array(records["record"], pa.string())
    removed = sorted(stored.filter(pc.invert(pc.is_in(stored["record"], value_set=current)))["record"].to_pylist())
    same_basis = stored.filter(
        functools.reduce(pc.and_, (pc.equal(stored[column], value) for column, value in asdict(basis).items()))
    )
    before = pc.take(same_basis["fingerprint"], pc.index_in(current, value_set=same_basis["record"]))
    unchanged = pc.fill_null(pc.equal(pa.array(records["fingerprint"], pa.string()), before), False)
    touched = pd.Series(pc.invert(unchanged).to_numpy(zero_copy_only=False), index=records.index, dtype=bool)
    return Changes(touched, removed)


_MATCH_RECORD = pa.schema(
    [
        ("record", pa.string()),
        ("fingerprint", pa.string()),
        ("model_version", pa.int64()),
        ("scored_from", pa.float64()),
        ("explained_below", pa.float64()),
    ]
)


def store_changes(
    warehouse: Warehouse,
    conn: Connection,
    removed: list[str],
    scored: Iterable[pa.Table],
    touched: pd.DataFrame,
    basis: Basis,
) -> None:
    """Forget the pairs and fingerprints of changed and removed records; keep the new scores and fingerprints.

    ``touched`` holds the new and changed records (``record``, ``fingerprint``), now scored
    under ``basis``; untouched records' rows stay as they are. Passed on as Arrow columns:
    as Python texts, a hundred thousand customers' records took a third of a second.
    """
    records = pa.array(touched["record"], pa.string())
    changed = pa.chunked_array([records, pa.array(removed, pa.string())], pa.string())
    conn.exec_driver_sql("DROP TABLE IF EXISTS _resolve_changed")
    conn.exec_driver_sql("CREATE TEMPORARY TABLE _resolve_changed (record TEXT)")
    warehouse.bulk_insert(conn, "_resolve_changed", pa.table({"record": changed}))
    conn.exec_driver_sql(
        "DELETE FROM core.match_pair WHERE left_record IN (SELECT record FROM _resolve_changed)"
        " OR right_record IN (SELECT record FROM _resolve_changed)"
    )
    conn.exec_driver_sql("DELETE FROM core.match_record WHERE record IN (SELECT record FROM _resolve_changed)")
    conn.exec_driver_sql("DROP TABLE _resolve_changed")
    for batch in scored:
        warehouse.bulk_insert(conn, "core.match_pair", batch)
    warehouse.bulk_insert(
        conn,
        "core.match_record",
        pa.table(
            {
                "record": records,
                "fingerprint": pa.array(touched["fingerprint"], pa.string()),
                **{column: pa.repeat(value, len(touched)) for column, value in asdict(basis).items()},
            }
        ).cast(_MATCH_RECORD),
    )


def stored_links(warehouse: Warehouse, conn: Connection, threshold: float) -> pd.DataFrame:
    """Every kept pair at or above the match probability, as probabilistic links (``LINK_COLUMNS``)."""
    pairs = warehouse.fetch_arrow(
        conn,
        "SELECT left_record, right_record, match_weight FROM core.match_pair WHERE match_probability >= :threshold",
        _LINKS,
        {"threshold": threshold},
    )
    return pd.DataFrame(
        {
            "left": pairs["left_record"].to_pandas(types_mapper=pd.ArrowDtype),
            "right": pairs["right_record"].to_pandas(types_mapper=pd.ArrowDtype),
            "rule": RULE_PROBABILISTIC,
            "weight": pairs["match_weight"].to_numpy(),
        }
    )


_LINKS = pa.schema([("left_record", pa.string()), ("right_record", pa.string()), ("match_weight", pa.float64())])

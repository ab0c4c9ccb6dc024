"""Writing rows that failed an expectation to ``quarantine.<entity>``, with the reason."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Connection

from c360.canonical import INVALID_SUFFIX
from expectations.validate import QUARANTINE_SEVERITY, ROW_ID, ValidationOutcome
from warehouse import Warehouse, table_name


def quarantine_failures(
    warehouse: Warehouse,
    conn: Connection,
    *,
    entity: str,
    frame: pd.DataFrame,
    outcome: ValidationOutcome,
    lineage: dict[str, str],
    quarantined_at: dt.datetime,
) -> int:
    """Write one quarantine row per critical failure; returns the number of rows affected.

    ``frame`` holds the canonical records with ``_row_id``, ``source_id``, ``source_file``
    and ``source_line``; ``lineage`` adds columns shared by the whole batch (source, batch).
    """
    failures = [failure for failure in outcome.failures if failure.severity == QUARANTINE_SEVERITY]
    if not failures:
        return 0
    rows = frame.set_index(ROW_ID, drop=False)
    records = []
    for failure in failures:
        row = rows.loc[failure.row_id]
        records.append(
            {
                **lineage,
                "source_id": _text(row.get("source_id")),
                "source_file": _text(row.get("source_file")),
                "source_line": None if pd.isna(row.get("source_line")) else int(row["source_line"]),
                "expectation": failure.expectation,
                "column_name": failure.column.removesuffix(INVALID_SUFFIX) if failure.column else None,
                "failed_value": _text(failure.value),
                "severity": failure.severity,
                "reason": failure.reason,
                "record": json.dumps(
                    {key: _text(value) for key, value in row.items() if key != ROW_ID}, ensure_ascii=False
                ),
                "quarantined_at": quarantined_at,
            }
        )
    data = pa.Table.from_pylist(records, schema=_schema(lineage))
    warehouse.bulk_insert(conn, table_name("quarantine", entity), data)
    return len({failure.row_id for failure in failures})


def _schema(lineage: dict[str, str]) -> pa.Schema:
    text_columns = [*lineage, "source_id", "source_file"]
    return pa.schema(
        [(name, pa.string()) for name in text_columns]
        + [
            ("source_line", pa.int64()),
            ("expectation", pa.string()),
            ("column_name", pa.string()),
            ("failed_value", pa.string()),
            ("severity", pa.string()),
            ("reason", pa.string()),
            ("record", pa.string()),
            ("quarantined_at", pa.timestamp("us", tz="UTC")),
        ]
    )


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return None
    return str(value)

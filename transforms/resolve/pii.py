"""Resident ID numbers, identity documents and phones are matched through keyed hashes, never as they are.

The key is drawn at random for each resolve run and lives only in memory. Equal values
still meet (the deterministic key, Splink's exact comparisons and blocking), but nothing a
run writes (review-queue explanations, the saved model) holds an ID number, a document
number, a phone, or a hash that could be reversed by hashing every possible ID number, as
a plain hash could.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pandas as pd
import pyarrow as pa

HASHED_COLUMNS = ("resident_id", "phone", "id_document")


def hash_identifiers(records: pd.DataFrame, key: bytes | None = None) -> pd.DataFrame:
    """``records`` with each value of ``HASHED_COLUMNS`` replaced by its HMAC-SHA256 (hex, 32 characters)."""
    key = key if key is not None else secrets.token_bytes(32)
    # assign, not copy: the other columns are shared (copy-on-write), not duplicated.
    return records.assign(
        **{
            column: pd.Series(
                [
                    None if pd.isna(value) else hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:32]
                    for value in records[column]
                ],
                index=records.index,
                dtype=pd.ArrowDtype(pa.string()),
            )
            for column in HASHED_COLUMNS
        }
    )

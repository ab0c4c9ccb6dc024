"""Resident ID numbers, identity documents and phones are matched through keyed hashes, never as they are.

The key is drawn at random for each resolve run and lives only in memory. Equal values
still meet (the deterministic key, Splink's exact comparisons and blocking), but nothing a
run writes (review-queue explanations, the saved model) holds an ID number, a document
number, a phone, or a hash that could be reversed by hashing every possible ID number, as
a plain hash could.
"""

from __future__ import annotations

import hashlib
import secrets

import pandas as pd
import pyarrow as pa

from transforms.resolve.scratch import scratch_duckdb

HASHED_COLUMNS = ("resident_id", "phone", "id_document")


def hash_identifiers(records: pd.DataFrame, key: bytes | None = None) -> pd.DataFrame:
    """``records`` with each value of ``HASHED_COLUMNS`` replaced by its HMAC-SHA256 (hex, 32 characters).

    HMAC (RFC 2104) is computed by DuckDB's SHA-256, a column at a time: in Python, one
    call per value cost ten seconds at a million customers.
    """
    key = key if key is not None else secrets.token_bytes(32)
    block = (key if len(key) <= _SHA256_BLOCK else hashlib.sha256(key).digest()).ljust(_SHA256_BLOCK, b"\0")
    inner, outer = bytes(byte ^ 0x36 for byte in block), bytes(byte ^ 0x5C for byte in block)
    hmacs = ", ".join(
        f"left(sha256($outer || unhex(sha256($inner || encode({column})))), 32) AS {column}"
        for column in HASHED_COLUMNS
    )
    identifiers = pa.Table.from_pandas(records[list(HASHED_COLUMNS)].astype(pd.ArrowDtype(pa.string())))
    with scratch_duckdb() as duck:
        duck.register("_identifiers", identifiers)
        hashed = duck.sql(f"SELECT {hmacs} FROM _identifiers", params={"inner": inner, "outer": outer}).to_arrow_table()
    # assign, not copy: the other columns are shared (copy-on-write), not duplicated.
    return records.assign(
        **{
            column: pd.Series(hashed[column], index=records.index, dtype=pd.ArrowDtype(pa.string()))
            for column in HASHED_COLUMNS
        }
    )


_SHA256_BLOCK = 64
"""SHA-256's block in bytes: an HMAC key is padded to it."""

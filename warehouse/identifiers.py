"""Quoting for identifiers that come from configuration or source file headers.

Such names are never pasted into SQL as they are: they are checked, then quoted.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_IDENTIFIER_BYTES = 63
"""Postgres truncates longer identifiers silently; we refuse them instead."""


def quote_identifier(name: str) -> str:
    """Quote ``name`` for SQL, refusing names that would be truncated or are unsafe."""
    if not name or "\x00" in name:
        raise ValueError(f"invalid identifier {name!r}")
    if len(name.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise ValueError(f"identifier {name!r} is longer than {MAX_IDENTIFIER_BYTES} bytes")
    return '"' + name.replace('"', '""') + '"'


def table_name(schema: str, table: str) -> str:
    """A quoted ``schema.table`` name."""
    return f"{quote_identifier(schema)}.{quote_identifier(table)}"


def column_list(names: Sequence[str]) -> str:
    """``names`` quoted and comma-separated, for a column list in a statement."""
    return ", ".join(quote_identifier(name) for name in names)

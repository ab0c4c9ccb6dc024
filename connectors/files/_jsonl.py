"""Streaming a JSON-lines file in bounded chunks, keeping lines that are not JSON objects."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from connectors.files._csv import CsvChunk
from connectors.landing import UnparsedRow, records_to_rows


def read_chunks(
    path: Path, encoding: str, required: Sequence[str], chunk_rows: int
) -> Iterator[tuple[list[str], CsvChunk]]:
    """Yield (columns, chunk) pairs; columns are the keys seen in the chunk plus ``required``.

    Values become text as they would in a CSV export: JSON null is missing, numbers and
    booleans their JSON spelling, nested values their JSON text.
    """
    with path.open(
        encoding="utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding, errors="surrogateescape"
    ) as handle:
        records: list[tuple[int, dict]] = []
        chunk = CsvChunk()
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                chunk.unparsed.append(UnparsedRow(line_number, f"not valid JSON: {exc.msg}", _printable(line)))
            else:
                if isinstance(record, dict):
                    records.append((line_number, record))
                else:
                    chunk.unparsed.append(
                        UnparsedRow(line_number, "a JSON value that is not an object", _printable(line))
                    )
            if len(records) + len(chunk.unparsed) >= chunk_rows:
                yield _finish(records, chunk, required)
                records, chunk = [], CsvChunk()
        if records or chunk.unparsed:
            yield _finish(records, chunk, required)


def _finish(records: list[tuple[int, dict]], chunk: CsvChunk, required: Sequence[str]) -> tuple[list[str], CsvChunk]:
    columns, chunk.rows = records_to_rows(records, required)
    return columns, chunk


def _printable(line: str) -> str:
    return line.rstrip("\r\n").encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")

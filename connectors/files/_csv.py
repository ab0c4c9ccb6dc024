"""Streaming a delimited text file in bounded chunks, keeping what cannot be parsed."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from c360.errors import SourceError
from connectors.landing import UnparsedRow

_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""Lone surrogates: where ``surrogateescape`` kept bytes the encoding could not decode."""


@dataclass
class CsvChunk:
    """Up to ``chunk_rows`` parsed rows (line number, values) and the rows that failed."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    unparsed: list[UnparsedRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) + len(self.unparsed)


def read_header(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header row, refusing empty, blank or duplicate column names."""
    with _open(path, encoding) as handle:
        try:
            header = next(csv.reader(handle, delimiter=delimiter), None)
        except csv.Error as exc:
            raise SourceError(f"{path}: cannot read the header: {exc}") from None
    if not header:
        raise SourceError(f"{path}: the file is empty; a header row is expected")
    if any(_UNDECODABLE.search(name) for name in header):
        raise SourceError(f"{path}: the header is not valid {encoding}; check the encoding in sources.yml")
    header = [name.strip() for name in header]
    blank = [position + 1 for position, name in enumerate(header) if not name]
    if blank:
        raise SourceError(f"{path}: header column(s) {blank} have no name")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise SourceError(f"{path}: header repeats column(s) {duplicates}")
    return header


def read_chunks(path: Path, encoding: str, delimiter: str, chunk_rows: int) -> Iterator[CsvChunk]:
    """Yield the data rows after the header in chunks of at most ``chunk_rows`` rows.

    A row with the wrong number of fields, bytes that are not valid in the declared
    encoding, or that the CSV parser rejects, is returned as unparsed with its line
    number instead of stopping the file.
    """
    with _open(path, encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        header_width: int | None = None
        chunk = CsvChunk()
        last_line = 0
        while True:
            first_line = last_line + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                last_line = reader.line_num
                chunk.unparsed.append(UnparsedRow(first_line, f"CSV parse error: {exc}", ""))
                continue
            last_line = reader.line_num
            if header_width is None:
                header_width = len(values)
                continue
            if not values:
                continue
            if any(_UNDECODABLE.search(value) for value in values):
                chunk.unparsed.append(
                    UnparsedRow(
                        first_line, f"bytes that are not valid {encoding}", _shown_as_escapes(values, delimiter)
                    )
                )
            elif len(values) != header_width:
                chunk.unparsed.append(
                    UnparsedRow(
                        first_line,
                        f"expected {header_width} fields, found {len(values)}",
                        _to_text(values, delimiter),
                    )
                )
            else:
                chunk.rows.append((first_line, values))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = CsvChunk()
        if len(chunk):
            yield chunk


def _open(path: Path, encoding: str) -> io.TextIOWrapper:
    # utf-8-sig reads files with and without a byte-order mark alike. Undecodable bytes
    # become lone surrogates, so the row holding them can be quarantined by itself.
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else encoding
    return path.open(encoding=codec, errors="surrogateescape", newline="")


def _shown_as_escapes(values: list[str], delimiter: str) -> str:
    text = _to_text(values, delimiter)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _to_text(values: list[str], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerow(values)
    return buffer.getvalue().rstrip("\r\n")

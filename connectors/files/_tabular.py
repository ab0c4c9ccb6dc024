"""Streaming Excel sheets and Parquet files in bounded chunks, every value as text.

Spreadsheets keep numbers as floating point: an identifier typed as a number has lost
digits before we read it. Whole numbers are written back without a decimal point, and
anything else is kept as the text the file holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from c360.errors import SourceError
from connectors.files._csv import CsvChunk


def read_excel_chunks(path: Path, sheet: str | None, chunk_rows: int) -> Iterator[tuple[list[str], CsvChunk]]:
    """(header, chunk) pairs from one sheet; the first row is the header."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise SourceError(f"{path}: not a readable Excel workbook: {exc}") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise SourceError(f"{path}: no sheet {sheet!r}; the workbook has {workbook.sheetnames}")
        rows = (workbook[sheet] if sheet else workbook.worksheets[0]).iter_rows(values_only=True)
        first = next(rows, None)
        header = [_cell_text(value) or "" for value in first or ()]
        while header and not header[-1]:
            header.pop()
        if not header or not all(header):
            raise SourceError(f"{path}: the first row must name every column; found {header}")
        chunk = CsvChunk()
        for line, values in enumerate(rows, start=2):
            texts = [_cell_text(value) for value in values[: len(header)]]
            if not any(texts):
                continue
            chunk.rows.append((line, texts + [None] * (len(header) - len(texts))))
            if len(chunk) >= chunk_rows:
                yield header, chunk
                chunk = CsvChunk()
        if len(chunk):
            yield header, chunk
    finally:
        workbook.close()


def read_parquet_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[list[str], CsvChunk]]:
    """(columns, chunk) pairs from a Parquet file, read by record batches."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(f"{path}: not a readable Parquet file: {exc}") from None
    columns = parquet.schema_arrow.names
    line = 0
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        texts = [pc.cast(column, pa.string()).to_pylist() for column in batch.columns]
        chunk = CsvChunk()
        for values in zip(*texts, strict=True):
            line += 1
            chunk.rows.append((line, list(values)))
        yield columns, chunk


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None

"""File drops: CSV exports a department leaves in a folder.

Each file is one batch, identified by its content hash: a file that was renamed or sent
again is recognised and not landed twice. See this package's README for configuration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

from c360.config import FileEntity
from c360.errors import SourceError
from connectors.files._csv import CsvChunk, read_chunks, read_header
from connectors.files._jsonl import read_chunks as read_jsonl_chunks
from connectors.files._tabular import read_excel_chunks, read_parquet_chunks
from connectors.landing import (
    ExtractResult,
    count_batch_rows,
    drop_redeliveries,
    ensure_raw_table,
    quarantine_repeats,
    quarantine_unparsed,
    record_batch,
    rows_to_arrow,
)
from connectors.text import land_raw
from warehouse import Warehouse

CHUNK_ROWS = 50_000
"""Rows held in memory at once while landing a file."""


def extract_files(warehouse: Warehouse, source: str, entity: str, config: FileEntity, silos_dir: Path) -> ExtractResult:
    """Land every matching file not landed before, one transaction per file."""
    result = ExtractResult(source=source, entity=entity)
    paths = sorted(path for path in silos_dir.glob(config.path) if path.is_file())
    if not paths:
        raise SourceError(f"{source}.{entity}: no file matches {config.path!r} in {silos_dir}")
    for path in paths:
        digest = file_sha256(path)
        if _already_landed(warehouse, source, entity, digest):
            result.items_skipped += 1
            continue
        batch_id, read, landed, unparsed, redelivered = _land_file(warehouse, source, entity, config, path, digest)
        result.batch_ids.append(batch_id)
        result.rows_read += read
        result.rows_landed += landed
        result.rows_unparsed += unparsed
        result.rows_redelivered += redelivered
    return result


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks so memory stays flat."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _already_landed(warehouse: Warehouse, source: str, entity: str, digest: str) -> bool:
    rows = warehouse.fetch_all(
        "SELECT 1 FROM meta.batch WHERE source = :source AND entity = :entity AND content_sha256 = :digest",
        {"source": source, "entity": entity, "digest": digest},
    )
    return bool(rows)


def _land_file(
    warehouse: Warehouse, source: str, entity: str, config: FileEntity, path: Path, digest: str
) -> tuple[str, int, int, int, int]:
    batch_id = f"{source}.{entity}.{digest[:16]}"
    extracted_at = dt.datetime.now(dt.UTC)
    read = unparsed = 0
    with warehouse.transaction() as conn:
        table = None
        for columns, chunk in _chunks(source, entity, config, path):
            table = ensure_raw_table(warehouse, conn, source, entity, columns, batch_id=batch_id)
            land_raw(
                warehouse, conn, table, rows_to_arrow(columns, chunk.rows), batch_id=batch_id,
                source_file=path.name, extracted_at=extracted_at,
            )  # fmt: skip
            quarantine_unparsed(
                warehouse,
                conn,
                source=source,
                entity=entity,
                batch_id=batch_id,
                source_file=path.name,
                rows=chunk.unparsed,
                quarantined_at=extracted_at,
            )
            read += len(chunk)
            unparsed += len(chunk.unparsed)
        if table is None:
            table = ensure_raw_table(warehouse, conn, source, entity, config.source_columns, batch_id=batch_id)
        unparsed += quarantine_repeats(conn, table, source=source, entity=entity, batch_id=batch_id, at=extracted_at)
        redelivered = drop_redeliveries(warehouse, conn, table, batch_id=batch_id)
        landed = count_batch_rows(conn, table, batch_id)
        record_batch(
            conn,
            batch_id=batch_id,
            source=source,
            entity=entity,
            source_file=path.name,
            content_sha256=digest,
            rows_read=read,
            rows_landed=landed,
            rows_unparsed=unparsed,
            rows_redelivered=redelivered,
            extracted_at=extracted_at,
        )
    return batch_id, read, landed, unparsed, redelivered


def _chunks(source: str, entity: str, config: FileEntity, path: Path) -> Iterator[tuple[list[str], CsvChunk]]:
    """(columns, chunk) pairs from a file of the entity's format."""
    if config.format == "jsonl":
        yield from read_jsonl_chunks(path, config.encoding, config.source_columns, CHUNK_ROWS)
        return
    if config.format == "excel":
        chunks = read_excel_chunks(path, config.sheet, CHUNK_ROWS)
    elif config.format == "parquet":
        chunks = read_parquet_chunks(path, CHUNK_ROWS)
    else:
        header = read_header(path, config.encoding, config.delimiter)
        _check_mapped_columns(source, entity, config, path, header)
        chunks = ((header, chunk) for chunk in read_chunks(path, config.encoding, config.delimiter, CHUNK_ROWS))
    checked = False
    for columns, chunk in chunks:
        if not checked:
            _check_mapped_columns(source, entity, config, path, columns)
            checked = True
        yield columns, chunk


def _check_mapped_columns(source: str, entity: str, config: FileEntity, path: Path, columns: list[str]) -> None:
    missing = sorted(set(config.source_columns) - set(columns))
    if missing:
        raise SourceError(
            f"{path}: column(s) {missing} named in sources.yml ({source}.entities.{entity}.mapping) "
            f"are not in the file's header {columns}"
        )

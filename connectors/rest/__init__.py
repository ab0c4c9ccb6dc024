"""JSON APIs: paginated collections (cursor, page or offset style) behind a bearer token.

Each page lands as one batch in one transaction. Once every page is in, the entity's
watermark moves to the latest change time seen, sent back as the ``incremental``
parameter next run; a run that stops half-way leaves it where it was. A page
token the API hands out twice stops the run, since following it would loop for ever.
A record the same page carries twice is quarantined; one an earlier run already landed
(the inclusive boundary of an incremental window) is counted and not landed again. See the README.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import httpx

from c360.config import CursorPagination, PagePagination, RestEntity, RestSource
from c360.errors import SourceError
from connectors.landing import (
    ExtractResult,
    UnparsedRow,
    count_batch_rows,
    drop_redeliveries,
    ensure_raw_table,
    quarantine_repeats,
    quarantine_unparsed,
    read_state,
    record_batch,
    records_to_rows,
    rows_to_arrow,
    save_state,
)
from connectors.rest._http import Clock, get_json
from connectors.text import land_raw
from warehouse import Warehouse


def extract_collection(
    warehouse: Warehouse,
    source_name: str,
    entity_name: str,
    source: RestSource,
    entity: RestEntity,
    base_url: str,
    token: str | None,
    *,
    clock: Clock = Clock(),  # noqa: B008 - stateless
) -> ExtractResult:
    """Land every page of one collection changed since the last watermark."""
    label = f"{source_name}.{entity_name}"
    if source.auth == "bearer" and not token:
        raise SourceError(
            f"{label}: no bearer token; set C360_SOURCE_{source_name.upper()}_TOKEN or the password of the Airflow "
            f"connection c360_source_{source_name}"
        )
    result = ExtractResult(source=source_name, entity=entity_name)
    state = read_state(warehouse, source_name, entity_name) if entity.incremental else None
    watermark = state[0] if state else None
    headers = {"Authorization": f"Bearer {token}"} if source.auth == "bearer" else {}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=source.timeout_seconds) as client:

        def fetch(params: dict[str, str | int]) -> dict:
            if entity.incremental and watermark:
                params[entity.incremental.param] = watermark
            body = get_json(
                client, entity.path, params, label=label, max_retry_seconds=source.max_retry_seconds, clock=clock
            )
            if not isinstance(body, dict) or not isinstance(body.get(entity.records), list):
                raise SourceError(f"{label}: {entity.path} answered without a {entity.records!r} list")
            return body

        latest = watermark
        for page_label, records in _pages(entity, fetch, label):
            if not records:
                continue
            latest = _later(latest, records, entity)
            batch_id, read, landed, unparsed, redelivered = _land_page(
                warehouse, source_name, entity_name, entity, f"{entity.path} {page_label}", records
            )
            result.batch_ids.append(batch_id)
            result.rows_read += read
            result.rows_landed += landed
            result.rows_unparsed += unparsed
            result.rows_redelivered += redelivered
    if latest is not None and latest != watermark:
        # Only a run that read every page may move the watermark: pages need not come in
        # change-time order, so a run that stopped half-way must start from the old one.
        with warehouse.transaction() as conn:
            save_state(
                conn, source=source_name, entity=entity_name, cursor_value=latest, key_value="",
                batch_id=result.batch_ids[-1], at=dt.datetime.now(dt.UTC),
            )  # fmt: skip
    return result


def _pages(entity: RestEntity, fetch: Callable[[dict], dict], label: str) -> Iterator[tuple[str, list[object]]]:
    """(page label, records) for every page of the collection, in order."""
    pagination = entity.pagination
    if isinstance(pagination, CursorPagination):
        seen: set[str] = set()
        cursor: str | None = None
        number = 1
        while True:
            params: dict[str, str | int] = {pagination.page_size_param: pagination.page_size}
            if cursor:
                params[pagination.cursor_param] = cursor
            body = fetch(params)
            yield f"page {number}", body[entity.records]
            cursor = body.get(pagination.next_field)
            if not cursor:
                return
            if cursor in seen:
                raise SourceError(f"{label}: page token {cursor!r} came back a second time after page {number}")
            seen.add(cursor)
            number += 1
    elif isinstance(pagination, PagePagination):
        page = pagination.first_page
        while True:
            records = fetch({pagination.page_param: page, pagination.page_size_param: pagination.page_size})[
                entity.records
            ]
            yield f"page {page}", records
            if len(records) < pagination.page_size:
                return
            page += 1
    else:
        offset = 0
        while True:
            records = fetch({pagination.offset_param: offset, pagination.limit_param: pagination.page_size})[
                entity.records
            ]
            yield f"offset {offset}", records
            if len(records) < pagination.page_size:
                return
            offset += len(records)


def _later(latest: str | None, records: list[object], entity: RestEntity) -> str | None:
    """The latest change time among ``records`` and ``latest``, compared as times."""
    if entity.incremental is None:
        return None
    candidates = [latest] if latest else []
    for record in records:
        if isinstance(record, dict) and isinstance(record.get(entity.incremental.field), str):
            candidates.append(record[entity.incremental.field])
    parsed = []
    for value in candidates:
        try:
            parsed.append((dt.datetime.fromisoformat(value), value))
        except ValueError:
            continue
    return max(parsed)[1] if parsed else latest


def _land_page(
    warehouse: Warehouse,
    source: str,
    entity: str,
    config: RestEntity,
    page: str,
    records: list[object],
) -> tuple[str, int, int, int, int]:
    batch_id = f"{source}.{entity}.{uuid.uuid4().hex[:16]}"
    extracted_at = dt.datetime.now(dt.UTC)
    objects = [(position, record) for position, record in enumerate(records, start=1) if isinstance(record, dict)]
    not_objects = [
        UnparsedRow(position, "a record that is not a JSON object", str(record))
        for position, record in enumerate(records, start=1)
        if not isinstance(record, dict)
    ]
    columns, rows = records_to_rows(objects, config.source_columns)
    with warehouse.transaction() as conn:
        table = ensure_raw_table(warehouse, conn, source, entity, columns, batch_id=batch_id)
        land_raw(
            warehouse, conn, table, rows_to_arrow(columns, rows), batch_id=batch_id, source_file=page,
            extracted_at=extracted_at,
        )  # fmt: skip
        quarantine_unparsed(
            warehouse, conn, source=source, entity=entity, batch_id=batch_id, source_file=page, rows=not_objects,
            quarantined_at=extracted_at,
        )  # fmt: skip
        repeats = quarantine_repeats(conn, table, source=source, entity=entity, batch_id=batch_id, at=extracted_at)
        unparsed = len(not_objects) + repeats
        redelivered = drop_redeliveries(warehouse, conn, table, batch_id=batch_id)
        landed = count_batch_rows(conn, table, batch_id)
        record_batch(
            conn, batch_id=batch_id, source=source, entity=entity, source_file=page, content_sha256=None,
            rows_read=len(records), rows_landed=landed, rows_unparsed=unparsed, rows_redelivered=redelivered,
            extracted_at=extracted_at,
        )  # fmt: skip
    return batch_id, len(records), landed, unparsed, redelivered

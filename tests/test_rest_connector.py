"""Paginated JSON APIs on a real HTTP server on loopback: pagination, auth, retries, re-deliveries."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from c360.config import RestEntity, RestSource
from c360.errors import SourceError
from connectors.rest import extract_collection
from silos.serve import serving_crm
from warehouse import Warehouse, connect

RECORDS = [
    {"id": f"P{n:03d}", "company": f"公司{n}", "updated_at": f"2026-06-{1 + n % 28:02d}T10:00:00+08:00"}
    for n in range(23)
]


class FakeClock:
    """Time that passes only when someone waits, so retry tests take no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    opened = connect(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    yield opened
    opened.dispose()


@pytest.fixture
def scripted_api() -> Iterator[Callable[[Callable[[str, dict], tuple[int, dict, dict]]], str]]:
    """Start an HTTP server whose answers come from a function of (path, query)."""
    servers = []

    def start(answer: Callable[[str, dict], tuple[int, dict, dict]]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                status, headers, body = answer(
                    url.path, {key: values[-1] for key, values in parse_qs(url.query).items()}
                )
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _source(
    pagination: dict, *, auth: str = "none", max_retry_seconds: float = 30, incremental: bool = False
) -> tuple[RestSource, RestEntity]:
    entity = RestEntity(
        path="/records",
        records="items",
        pagination=pagination,
        incremental={"param": "since", "field": "updated_at"} if incremental else None,
        canonical="party",
        mapping={"source_id": "id", "name": "company"},
    )
    source = RestSource(kind="rest", auth=auth, max_retry_seconds=max_retry_seconds, entities={"records": entity})
    return source, entity


def _landed_ids(warehouse: Warehouse) -> list[str]:
    return sorted(row[0] for row in warehouse.fetch_all("SELECT id FROM raw.api__records"))


@pytest.mark.parametrize(
    "pagination",
    [{"style": "page", "page_size": 5}, {"style": "offset", "page_size": 5}, {"style": "page", "page_size": 23}],
)
def test_page_and_offset_styles_read_every_record_once(scripted_api, warehouse: Warehouse, pagination: dict) -> None:
    def answer(path: str, query: dict) -> tuple[int, dict, dict]:
        size = int(query.get("page_size") or query["limit"])
        start = (int(query["page"]) - 1) * size if "page" in query else int(query["offset"])
        return 200, {}, {"items": RECORDS[start : start + size]}

    source, entity = _source(pagination)
    result = extract_collection(warehouse, "api", "records", source, entity, scripted_api(answer), None)
    assert result.rows_landed == 23
    assert _landed_ids(warehouse) == sorted(record["id"] for record in RECORDS)


def test_cursor_pages_of_the_crm_api_with_a_token_and_incremental_reruns(
    generated_silos: Path, warehouse: Warehouse
) -> None:
    source = RestSource(
        kind="rest",
        entities={
            "contacts": RestEntity(
                path="/api/v1/contacts",
                pagination={"style": "cursor", "page_size": 50},
                incremental={"param": "updated_since", "field": "updated_at"},
                canonical="party",
                mapping={"source_id": "id", "name": "company"},
            )
        },
    )
    contacts = (generated_silos / "crm" / "contacts.jsonl").read_text(encoding="utf-8").splitlines()
    with serving_crm(generated_silos) as (url, token):
        first = extract_collection(warehouse, "crm", "contacts", source, source.entities["contacts"], url, token)
        again = extract_collection(warehouse, "crm", "contacts", source, source.entities["contacts"], url, token)
    assert first.rows_landed == len(contacts) and len(first.batch_ids) == -(-len(contacts) // 50)
    assert again.rows_landed == 0 and again.rows_read == again.rows_redelivered > 0
    [(count, distinct)] = warehouse.fetch_all("SELECT COUNT(*), COUNT(DISTINCT id) FROM raw.crm__contacts")
    assert count == distinct == len(contacts)


def test_a_missing_or_wrong_token_is_a_clear_error(generated_silos: Path, warehouse: Warehouse) -> None:
    source, entity = _source({"style": "cursor"}, auth="bearer")
    with serving_crm(generated_silos) as (url, _):
        with pytest.raises(SourceError, match=r"api\.records: no bearer token; set C360_SOURCE_API_TOKEN"):
            extract_collection(warehouse, "api", "records", source, entity, url, None)
        contacts = RestEntity(
            path="/api/v1/contacts",
            pagination={"style": "cursor"},
            canonical="party",
            mapping={"source_id": "id", "name": "company"},
        )
        with pytest.raises(SourceError, match=r"answered 401: .*bearer token"):
            extract_collection(warehouse, "api", "contacts", source, contacts, url, "not-the-token")


def test_429_and_503_are_retried_honouring_retry_after(scripted_api, warehouse: Warehouse) -> None:
    calls = []

    def answer(path: str, query: dict) -> tuple[int, dict, dict]:
        calls.append(query)
        if len(calls) == 1:
            return 429, {"Retry-After": "7"}, {"error": "slow down"}
        if len(calls) == 2:
            return 503, {}, {"error": "maintenance"}
        return 200, {}, {"items": RECORDS[:3]}

    clock = FakeClock()
    source, entity = _source({"style": "page", "page_size": 10})
    result = extract_collection(warehouse, "api", "records", source, entity, scripted_api(answer), None, clock=clock)
    assert result.rows_landed == 3
    assert clock.waits == [7.0, 2.0]


def test_retries_stop_within_the_bounded_time_and_leave_the_watermark(scripted_api, warehouse: Warehouse) -> None:
    clock = FakeClock()
    source, entity = _source({"style": "page", "page_size": 10}, max_retry_seconds=20, incremental=True)
    url = scripted_api(lambda path, query: (503, {}, {"error": "down"}))
    with pytest.raises(
        SourceError, match=r"api\.records: /records still failing after 5 attempt\(s\) in 15 s: HTTP 503"
    ):
        extract_collection(warehouse, "api", "records", source, entity, url, None, clock=clock)
    assert sum(clock.waits) <= 20
    assert warehouse.fetch_all("SELECT * FROM meta.source_state") == []


def test_a_page_token_handed_out_twice_stops_the_run(scripted_api, warehouse: Warehouse) -> None:
    def answer(path: str, query: dict) -> tuple[int, dict, dict]:
        return 200, {}, {"items": RECORDS[:2] if "cursor" not in query else RECORDS[2:4], "next_cursor": "abc"}

    source, entity = _source({"style": "cursor", "page_size": 2})
    with pytest.raises(SourceError, match=r"page token 'abc' came back a second time after page 2"):
        extract_collection(warehouse, "api", "records", source, entity, scripted_api(answer), None)
    assert _landed_ids(warehouse) == ["P000", "P001", "P002", "P003"], "pages before the loop stay landed"


def test_an_api_that_is_down_fails_with_its_url(warehouse: Warehouse) -> None:
    clock = FakeClock()
    source, entity = _source({"style": "page"}, max_retry_seconds=3)
    with pytest.raises(SourceError, match=r"api\.records: /records still failing after \d+ attempt\(s\).*ConnectError"):
        extract_collection(warehouse, "api", "records", source, entity, "http://127.0.0.1:1", None, clock=clock)


def test_a_page_repeating_a_record_quarantines_the_repeat(scripted_api, warehouse: Warehouse) -> None:
    source, entity = _source({"style": "page", "page_size": 10})
    url = scripted_api(lambda path, query: (200, {}, {"items": [RECORDS[0], RECORDS[1], RECORDS[0]]}))
    result = extract_collection(warehouse, "api", "records", source, entity, url, None)
    assert (result.rows_read, result.rows_landed, result.rows_unparsed) == (3, 2, 1)
    [(line, reason)] = warehouse.fetch_all("SELECT source_line, reason FROM quarantine.unparsed_row")
    assert (line, reason) == (3, "exact re-delivery of line 1")


def test_a_run_that_stops_half_way_loses_nothing_on_the_next_run(scripted_api, warehouse: Warehouse) -> None:
    newest_first = sorted(RECORDS, key=lambda record: record["updated_at"], reverse=True)
    broken = {"page 2": True}

    def answer(path: str, query: dict) -> tuple[int, dict, dict]:
        page = int(query["page"])
        if page == 2 and broken.pop("page 2", False):
            return 400, {}, {"error": "bad gateway configuration"}
        since = query.get("since")
        matching = [record for record in newest_first if since is None or record["updated_at"] >= since]
        return 200, {}, {"items": matching[(page - 1) * 5 : page * 5]}

    source, entity = _source({"style": "page", "page_size": 5}, incremental=True)
    url = scripted_api(answer)
    with pytest.raises(SourceError, match="answered 400"):
        extract_collection(warehouse, "api", "records", source, entity, url, None)
    assert len(_landed_ids(warehouse)) == 5
    assert warehouse.fetch_all("SELECT * FROM meta.source_state") == [], (
        "a half-read collection keeps the old watermark"
    )
    rerun = extract_collection(warehouse, "api", "records", source, entity, url, None)
    assert (rerun.rows_landed, rerun.rows_redelivered) == (18, 5)
    assert _landed_ids(warehouse) == sorted(record["id"] for record in RECORDS)

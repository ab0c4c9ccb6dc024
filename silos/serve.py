"""The CRM's JSON API: contacts and interactions, paginated, behind a bearer token.

    GET /api/v1/contacts?page_size=100&cursor=...&updated_since=2026-01-01T00:00:00+08:00
    -> {"data": [...], "next_cursor": "..." | null}

The server reads the generator's JSON-lines files through an index of line offsets, so
memory does not grow with the number of records. ``/health`` answers without a token.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import logging
import secrets
import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from c360.errors import C360Error
from c360.settings import Settings
from silos.world import AS_OF

log = logging.getLogger(__name__)

RESOURCES = ("contacts", "interactions")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class JsonLines:
    """Random access to the records of a JSON-lines file by position."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offsets = array("q")
        with path.open("rb") as handle:
            position = 0
            for line in handle:
                if line.strip():
                    self.offsets.append(position)
                position += len(line)
        self._lock = threading.Lock()
        self._handle = path.open("rb")

    def __len__(self) -> int:
        return len(self.offsets)

    def record(self, position: int) -> dict:
        with self._lock:
            self._handle.seek(self.offsets[position])
            return json.loads(self._handle.readline())

    def close(self) -> None:
        self._handle.close()


class CrmApi(ThreadingHTTPServer):
    """A real HTTP server over the CRM files in ``crm_dir``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], crm_dir: Path, token: str) -> None:
        if not token:
            raise C360Error("the CRM API needs a bearer token: pass --token or set C360_CRM_TOKEN")
        missing = [name for name in RESOURCES if not (crm_dir / f"{name}.jsonl").is_file()]
        if missing:
            raise C360Error(
                f"{crm_dir}: no {', '.join(f'{name}.jsonl' for name in missing)}; run `c360 silos generate` first"
            )
        self.token = token
        self.resources = {name: JsonLines(crm_dir / f"{name}.jsonl") for name in RESOURCES}
        super().__init__(address, _Handler)

    def server_close(self) -> None:
        super().server_close()
        for resource in self.resources.values():
            resource.close()

    def page(self, resource: str, cursor: str | None, page_size: int, updated_since: dt.datetime | None) -> dict:
        records = self.resources[resource]
        position = decode_cursor(cursor) if cursor else 0
        data = []
        while position < len(records) and len(data) < page_size:
            record = records.record(position)
            position += 1
            if updated_since is None or dt.datetime.fromisoformat(record["updated_at"]) >= updated_since:
                data.append(record)
        return {"data": data, "next_cursor": encode_cursor(position) if position < len(records) else None}


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("cursor is not one this API issued") from None
    if not isinstance(position, int) or position < 0:
        raise ValueError("cursor is not one this API issued")
    return position


class _Handler(BaseHTTPRequestHandler):
    server: CrmApi
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/health":
            self._send(HTTPStatus.OK, {"status": "ok"})
            return
        if not self._authorized():
            self._send(
                HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"}, {"WWW-Authenticate": "Bearer"}
            )
            return
        resource = url.path.removeprefix("/api/v1/")
        if resource not in RESOURCES:
            self._send(
                HTTPStatus.NOT_FOUND, {"error": f"no resource {url.path}; try /api/v1/contacts or /api/v1/interactions"}
            )
            return
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        try:
            page_size = int(query.get("page_size", DEFAULT_PAGE_SIZE))
            if not 1 <= page_size <= MAX_PAGE_SIZE:
                raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
            since = dt.datetime.fromisoformat(query["updated_since"]) if "updated_since" in query else None
            if since is not None and since.tzinfo is None:
                raise ValueError("updated_since needs a time zone, for example +08:00")
            body = self.server.page(resource, query.get("cursor"), page_size, since)
        except ValueError as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self._send(HTTPStatus.OK, body)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), self.server.token.encode())

    def _send(self, status: HTTPStatus, body: dict, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


@contextmanager
def serving_crm(silos_dir: Path, token: str | None = None) -> Iterator[tuple[str, str]]:
    """Serve the CRM of ``silos_dir`` on a free loopback port for the duration of the block.

    Yields the base URL and the bearer token (a fresh random one unless given).
    """
    token = token or secrets.token_urlsafe(24)
    server = CrmApi(("127.0.0.1", 0), silos_dir / "crm", token)
    thread = threading.Thread(target=server.serve_forever, name="crm-api", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", token
    finally:
        server.shutdown()
        server.server_close()


def sample_bank_settings(warehouse_url: str, silos_dir: Path, crm_url: str, crm_token: str) -> Settings:
    """Settings for a pipeline run over the sample bank in ``silos_dir``, its CRM served at ``crm_url``."""
    return Settings(
        warehouse_url=warehouse_url,
        silos_dir=silos_dir,
        data_docs_dir=silos_dir.parent / "data_docs",
        as_of=AS_OF,
        source_urls={"crm": crm_url},
        source_tokens={"crm": crm_token},
    )

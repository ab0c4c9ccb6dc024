"""GET with timeouts and retries that honour Retry-After, within a bounded total time."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Mapping

import httpx

from c360.errors import SourceError

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0


class Clock:
    """Real time; tests pass one that only pretends to wait."""

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)


def get_json(
    client: httpx.Client,
    url: str,
    params: Mapping[str, str | int],
    *,
    label: str,
    max_retry_seconds: float,
    clock: Clock = Clock(),  # noqa: B008 - stateless
) -> object:
    """The JSON body of ``GET url``, retrying 429/5xx and network errors with backoff.

    A Retry-After header (seconds or an HTTP date) sets the wait; otherwise the wait
    doubles from one second. Once the next wait would pass ``max_retry_seconds`` since the
    first attempt, the request fails with the last reason.
    """
    started = clock.monotonic()
    backoff = FIRST_BACKOFF_SECONDS
    attempt = 0
    while True:
        attempt += 1
        try:
            response = client.get(url, params=dict(params))
        except httpx.TransportError as exc:
            reason, wait = f"{type(exc).__name__}: {exc}", backoff
        else:
            if response.status_code < 400:
                try:
                    return response.json()
                except ValueError:
                    raise SourceError(f"{label}: {url} answered with something that is not JSON") from None
            if response.status_code not in RETRY_STATUSES:
                raise SourceError(f"{label}: {url} answered {response.status_code}: {_error_text(response)}")
            reason = f"HTTP {response.status_code}"
            wait = _retry_after(response) if "Retry-After" in response.headers else backoff
        elapsed = clock.monotonic() - started
        if elapsed + wait > max_retry_seconds:
            raise SourceError(f"{label}: {url} still failing after {attempt} attempt(s) in {elapsed:.0f} s: {reason}")
        log.warning("%s: %s (attempt %d); retrying in %.1f s", label, reason, attempt, wait)
        clock.sleep(wait)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def _retry_after(response: httpx.Response) -> float:
    value = response.headers["Retry-After"].strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return FIRST_BACKOFF_SECONDS
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _error_text(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:200] or response.reason_phrase

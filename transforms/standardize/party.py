"""Source rows to canonical party records: one shape for every system's customers.

Only cleaning happens here; judging (is this date real, is this key unique) is the
expectation suite's job, so a bad value is kept as it came for the quarantine to show.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

import pandas as pd
from stdnum.cn import uscc as uscc_checksum

CANONICAL_COLUMNS = (
    "source_id",
    "name",
    "name_original",
    "uscc",
    "uscc_valid",
    "phone",
    "address",
    "industry_code",
    "relationship_status",
    "last_activity_date",
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")
_BRACKETS = str.maketrans({"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"})
_WHITESPACE = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")


def standardize_party(raw: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Canonical party columns from a raw frame, given canonical field -> source column.

    Values stay Python objects (``None`` for missing) so nothing is coerced to a float.
    """

    def column(field: str) -> list[object]:
        source_column = mapping.get(field)
        return [None] * len(raw) if source_column is None else raw[source_column].tolist()

    names = [clean_text(value) for value in column("name")]
    usccs = [clean_code(value) for value in column("uscc")]
    canonical = {
        "source_id": [clean_text(value) for value in column("source_id")],
        "name": [clean_name(name) for name in names],
        "name_original": column("name"),
        "uscc": usccs,
        "uscc_valid": [None if code is None else bool(uscc_checksum.is_valid(code)) for code in usccs],
        "phone": [clean_phone(value) for value in column("phone")],
        "address": [clean_text(value) for value in column("address")],
        "industry_code": [clean_code(value) for value in column("industry_code")],
        "relationship_status": [_lower(clean_text(value)) for value in column("relationship_status")],
        "last_activity_date": [iso_date_or_original(value) for value in column("last_activity_date")],
    }
    return pd.DataFrame(canonical, index=raw.index, dtype=object)


def clean_text(value: object) -> str | None:
    """NFKC (full-width to half-width), one space between words, empty as missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    return text or None


def clean_name(value: str | None) -> str | None:
    """A display name with one bracket style: ``（北京）`` and ``[北京]`` become ``(北京)``."""
    if value is None:
        return None
    return value.translate(_BRACKETS).replace("( ", "(").replace(" )", ")")


def clean_code(value: object) -> str | None:
    """An identifier or code: half-width, upper case, no spaces or hyphens."""
    text = clean_text(value)
    if text is None:
        return None
    return text.upper().replace(" ", "").replace("-", "") or None


def clean_phone(value: object) -> str | None:
    """Digits only, without a leading +86 / 0086 country code."""
    text = clean_text(value)
    if text is None:
        return None
    digits = _NOT_DIGIT.sub("", text)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (11, 10, 12):
            digits = digits[len(prefix) :]
            break
    return digits or None


def iso_date_or_original(value: object) -> str | None:
    """``YYYY-MM-DD`` when the value is a date in a known format; otherwise the value as given."""
    text = clean_text(value)
    if text is None:
        return None
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).date().isoformat()
        except ValueError:
            continue
    return text


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None

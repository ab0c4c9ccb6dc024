"""Cleaning one value by the kind of canonical field it fills.

Dates and decimals are parsed strictly; a value that does not parse is kept beside the
field (as ``<field>__invalid``) so the expectation suite can quarantine the row and show
the value as it came.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import unicodedata
from collections.abc import Callable

from c360.canonical import INVALID_SUFFIX

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")
_DATETIME_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}")
_BRACKETS = str.maketrans({"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"})
_WHITESPACE = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")


def clean_key(value: object) -> str | None:
    """A source system's own key, exactly as it has it, less surrounding blanks."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


def clean_text(value: object) -> str | None:
    """NFKC (full-width to half-width), one space between words, empty as missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    return text or None


def clean_name(value: object) -> str | None:
    """A display name with one bracket style: ``（北京）`` and ``[北京]`` become ``(北京)``."""
    text = clean_text(value)
    if text is None:
        return None
    return text.translate(_BRACKETS).replace("( ", "(").replace(" )", ")")


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
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11, 12):
            digits = digits[len(prefix) :]
            break
    return digits or None


def clean_lower(value: object) -> str | None:
    """Statuses and e-mail addresses compare case-insensitively."""
    text = clean_text(value)
    return text.lower() if text is not None else None


def parse_date(value: object) -> tuple[dt.date | None, str | None]:
    """(date, None) for a real date in a known format, (None, text) for anything else."""
    text = clean_text(value)
    if text is None:
        return None, None
    timestamp = _DATETIME_PREFIX.match(text)
    candidate = timestamp.group(1) if timestamp else text
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(candidate, date_format).date(), None
        except ValueError:
            continue
    return None, text


def parse_decimal(value: object) -> tuple[float | None, str | None]:
    """(number, None) for a plain decimal number, (None, text) for anything else (n/a, 0,35%, 约500万)."""
    text = clean_text(value)
    if text is None:
        return None, None
    try:
        number = decimal.Decimal(text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text) else text)
    except decimal.InvalidOperation:
        return None, text
    return (float(number), None) if number.is_finite() else (None, text)


CLEANERS: dict[str, Callable[[object], str | None]] = {
    "key": clean_key,
    "text": clean_text,
    "name": clean_name,
    "code": clean_code,
    "phone": clean_phone,
    "email": clean_lower,
    "status": clean_lower,
}
__all__ = ["CLEANERS", "INVALID_SUFFIX", "PARSERS"]

PARSERS: dict[str, Callable[[object], tuple[object, str | None]]] = {
    "date": parse_date,
    "decimal": parse_decimal,
    "fraction": parse_decimal,
}

"""Cleaning one value by the kind of canonical field it fills.

Dates, decimals, phones, currencies and industry codes are parsed strictly; a value that
does not parse is kept beside the field (as ``<field>__invalid``) so the expectation
suite can quarantine or flag the row and show the value as it came.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import unicodedata
from collections.abc import Callable

from c360.canonical import INVALID_SUFFIX
from transforms.standardize.industry import parse_industry_code

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


def parse_phone(value: object) -> tuple[str | None, str | None]:
    """(E.164 number, None) for a valid phone number, (None, text) for anything else.

    Numbers without a country code are read as Chinese: ``(010)6552 8888`` is +861065528888.
    """
    import phonenumbers

    text = clean_text(value)
    if text is None:
        return None, None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None, text
    if not phonenumbers.is_valid_number(number):
        return None, text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


_CURRENCY_NAMES = {
    "人民币": "CNY",
    "RMB": "CNY",
    "元": "CNY",
    "美元": "USD",
    "港币": "HKD",
    "港元": "HKD",
    "欧元": "EUR",
}


def parse_currency(value: object) -> tuple[str | None, str | None]:
    """(ISO 4217 code, None) for a known currency (人民币 and RMB are CNY), (None, text) otherwise."""
    import pycountry

    text = clean_code(value)
    if text is None:
        return None, None
    code = _CURRENCY_NAMES.get(text, text)
    return (code, None) if pycountry.currencies.get(alpha_3=code) is not None else (None, text)


def parse_industry(value: object) -> tuple[str | None, str | None]:
    """(GB/T 4754 code with its section letter, None) for a valid code, (None, text) otherwise."""
    code, _, invalid = parse_industry_code(clean_code(value))
    return code, invalid


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


def parse_month(value: object) -> tuple[dt.date | None, str | None]:
    """(first day of the month, None) for ``2026-06``, ``2026/06``, ``202606`` or a date in it.

    (None, text) for anything else.
    """
    text = clean_text(value)
    if text is None:
        return None, None
    for month_format in ("%Y-%m", "%Y/%m", "%Y%m"):
        try:
            return dt.datetime.strptime(text, month_format).date(), None
        except ValueError:
            continue
    day, _ = parse_date(text)
    return (day.replace(day=1), None) if day is not None else (None, text)


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


def parse_count(value: object) -> tuple[int | None, str | None]:
    """(whole number, None) for a count such as ``120`` or ``1,200``; (None, text) for ``约120``, ``-3`` or ``2.5``."""
    number, invalid = parse_decimal(value)
    if number is None or number < 0 or not float(number).is_integer():
        return None, invalid if number is None else clean_text(value)
    return int(number), None


CLEANERS: dict[str, Callable[[object], str | None]] = {
    "key": clean_key,
    "text": clean_text,
    "name": clean_name,
    "code": clean_code,
    "email": clean_lower,
    "status": clean_lower,
}
__all__ = ["CLEANERS", "INVALID_SUFFIX", "PARSERS"]

PARSERS: dict[str, Callable[[object], tuple[object, str | None]]] = {
    "date": parse_date,
    "month": parse_month,
    "decimal": parse_decimal,
    "count": parse_count,
    "fraction": parse_decimal,
    "phone": parse_phone,
    "currency": parse_currency,
    "industry": parse_industry,
}

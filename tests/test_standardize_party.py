"""Cleaning source values into canonical party fields, on real Chinese and English examples."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.standardize.party import (
    clean_code,
    clean_name,
    clean_phone,
    clean_text,
    iso_date_or_original,
    standardize_party,
)

VALID_USCC = "91110105MA01ABCD3X"


def _valid_uscc() -> str:
    from stdnum.cn import uscc

    body = VALID_USCC[:17]
    return body + uscc.calc_check_digit(body)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("北京华信科技有限公司（北京）", "北京华信科技有限公司(北京)"),
        ("北京华信科技有限公司【北京】", "北京华信科技有限公司(北京)"),
        ("  ＡＢＣ　Trading   Co., Ltd. ", "ABC Trading Co., Ltd."),
        ("", None),
        (None, None),
    ],
)
def test_names_are_half_width_with_one_bracket_style(raw: str | None, expected: str | None) -> None:
    assert clean_name(clean_text(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("（010）6552 8888", "01065528888"),
        ("   ", None),
    ],
)
def test_phones_keep_digits_without_country_code(raw: str, expected: str | None) -> None:
    assert clean_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026/06/30", "2026-06-30"),
        ("20260630", "2026-06-30"),
        ("2026-02-30", "2026-02-30"),
        ("next week", "next week"),
    ],
)
def test_dates_are_iso_when_real_and_kept_as_given_otherwise(raw: str, expected: str) -> None:
    assert iso_date_or_original(raw) == expected


def test_full_width_credit_code_is_normalised() -> None:
    assert clean_code("９１１１ ０１０５-ma01ａｂｃｄ") == "91110105MA01ABCD"


def test_credit_code_checksum_is_checked_not_trusted() -> None:
    good = _valid_uscc()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    raw = pd.DataFrame({"id": ["1", "2", "3"], "name": ["甲公司", "乙公司", "丙公司"], "code": [good, bad, None]})
    canonical = standardize_party(raw, {"source_id": "id", "name": "name", "uscc": "code"})
    assert canonical["uscc_valid"].tolist() == [True, False, None]
    assert canonical["uscc"].tolist() == [good, bad, None]


def test_identifiers_never_become_numbers() -> None:
    raw = pd.DataFrame({"id": ["000123"], "name": ["某某"], "code": ["110101199003070000"]}, dtype=object)
    canonical = standardize_party(raw, {"source_id": "id", "name": "name", "uscc": "code"})
    assert canonical.loc[0, "source_id"] == "000123"
    assert canonical.loc[0, "uscc"] == "110101199003070000"


def test_unmapped_fields_are_missing_and_original_name_is_kept() -> None:
    raw = pd.DataFrame({"id": ["1"], "name": ["上海 远航 物流有限公司 "]})
    canonical = standardize_party(raw, {"source_id": "id", "name": "name"})
    assert canonical.loc[0, "name"] == "上海 远航 物流有限公司"
    assert canonical.loc[0, "name_original"] == "上海 远航 物流有限公司 "
    assert canonical.loc[0, "phone"] is None

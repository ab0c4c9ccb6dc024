"""Cleaning source values into canonical fields, on real Chinese and English examples."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from stdnum.cn import ric, uscc

from c360.canonical import FACILITY, PARTY
from transforms.standardize import standardize_frame
from transforms.standardize.fields import clean_code, clean_name, clean_phone, parse_date, parse_decimal

GOOD_USCC = "91110105MA01ABCD3" + uscc.calc_check_digit("91110105MA01ABCD3")
GOOD_RESIDENT_ID = "11010519491231002" + ric.calc_check_digit("11010519491231002?")  # a placeholder check digit


def _bad_checksum(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


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
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("（010）6552 8888", "01065528888"),
        ("   ", None),
    ],
)
def test_phones_keep_digits_without_country_code(raw: str, expected: str | None) -> None:
    assert clean_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026/06/30", (dt.date(2026, 6, 30), None)),
        ("20260630", (dt.date(2026, 6, 30), None)),
        ("2026-06-30 10:00:00+08:00", (dt.date(2026, 6, 30), None)),
        ("2026-02-30", (None, "2026-02-30")),
        ("next week", (None, "next week")),
        (None, (None, None)),
    ],
)
def test_dates_parse_strictly_and_keep_what_does_not_parse(raw: str | None, expected: tuple) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19593000.00", (19593000.0, None)),
        ("1,250,000.5", (1250000.5, None)),
        ("n/a", (None, "n/a")),
        ("约500万", (None, "约500万")),
    ],
)
def test_decimals_parse_strictly(raw: str, expected: tuple) -> None:
    assert parse_decimal(raw) == expected


def test_full_width_credit_code_is_normalised() -> None:
    assert clean_code("９１１１ ０１０５-ma01ａｂｃｄ") == "91110105MA01ABCD"


def test_certificates_are_sorted_by_type_and_checksums_checked() -> None:
    raw = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "name": ["甲公司", "乙公司", "王芳", "丙公司"],
            "cert_type": ["统一社会信用代码", "统一社会信用代码", "居民身份证", None],
            "cert_no": [GOOD_USCC, _bad_checksum(GOOD_USCC), GOOD_RESIDENT_ID, None],
        },
        dtype=object,
    )
    mapping = {"source_id": "id", "name": "name", "certificate_type": "cert_type", "certificate_number": "cert_no"}
    canonical = standardize_frame(PARTY, raw, mapping)
    assert canonical["uscc"].tolist() == [GOOD_USCC, _bad_checksum(GOOD_USCC), None, None]
    assert canonical["uscc_valid"].tolist() == [True, False, None, None]
    assert canonical["resident_id"].tolist() == [None, None, GOOD_RESIDENT_ID, None]
    assert canonical["resident_id_valid"].tolist() == [None, None, True, None]


def test_identifiers_never_become_numbers() -> None:
    raw = pd.DataFrame({"id": ["000123"], "name": ["某某"], "code": ["110101199003070000"]}, dtype=object)
    canonical = standardize_frame(PARTY, raw, {"source_id": "id", "name": "name", "uscc": "code"})
    assert canonical.loc[0, "source_id"] == "000123"
    assert canonical.loc[0, "uscc"] == "110101199003070000"


def test_original_name_is_kept_beside_the_clean_one() -> None:
    raw = pd.DataFrame({"id": ["1"], "name": ["上海 远航 物流有限公司 "]}, dtype=object)
    canonical = standardize_frame(PARTY, raw, {"source_id": "id", "name": "name"})
    assert canonical.loc[0, "name"] == "上海 远航 物流有限公司"
    assert canonical.loc[0, "name_original"] == "上海 远航 物流有限公司 "
    assert canonical.loc[0, "phone"] is None


def test_facility_values_that_do_not_parse_are_kept_for_the_quarantine() -> None:
    raw = pd.DataFrame(
        {
            "id": ["F1", "F2"],
            "borrower": ["B1", "B1"],
            "amount": ["5000000.00", "五百万"],
            "start": ["2026-01-05", "2026-13-01"],
            "status": ["ACTIVE", "closed"],
        },
        dtype=object,
    )
    mapping = {"source_id": "id", "party_id": "borrower", "amount": "amount", "start_date": "start", "status": "status"}
    canonical = standardize_frame(FACILITY, raw, mapping)
    assert canonical["amount"].tolist()[0] == 5_000_000.0 and pd.isna(canonical["amount"].tolist()[1])
    assert canonical["amount__invalid"].tolist() == [None, "五百万"]
    assert canonical["start_date"].tolist() == [dt.date(2026, 1, 5), None]
    assert canonical["start_date__invalid"].tolist() == [None, "2026-13-01"]
    assert canonical["status"].tolist() == ["active", "closed"]

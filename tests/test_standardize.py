"""Cleaning source values into canonical fields, on real Chinese and English examples."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from stdnum.cn import ric, uscc

from c360.canonical import FACILITY, PARTY, REVENUE
from transforms.standardize import standardize_frame
from transforms.standardize.fields import (
    clean_code,
    clean_name,
    parse_count,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_month,
    parse_phone,
)
from transforms.standardize.industry import parse_industry_code
from transforms.standardize.names import parse_party_name
from transforms.standardize.places import split_address

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
        ("+86 138-0013-8000", ("+8613800138000", None)),
        ("0086 13800138000", ("+8613800138000", None)),
        ("13800138000", ("+8613800138000", None)),
        ("１３８００１３８０００", ("+8613800138000", None)),
        ("（010）6552 8888", ("+861065528888", None)),
        ("0755-8345 6789", ("+8675583456789", None)),
        ("+852 2523 1234", ("+85225231234", None)),
        ("12345", (None, "12345")),
        ("n/a", (None, "n/a")),
        ("   ", (None, None)),
    ],
)
def test_phones_become_e164_and_invalid_ones_are_kept_aside(raw: str, expected: tuple) -> None:
    assert parse_phone(raw) == expected


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("120", (120, None)),
        (1200.0, (1200, None)),
        ("1,200", (1200, None)),
        ("0", (0, None)),
        (None, (None, None)),
        ("2.5", (None, "2.5")),
        ("-3", (None, "-3")),
        ("约120人", (None, "约120人")),
    ],
)
def test_counts_are_whole_and_not_negative(raw: object, expected: tuple) -> None:
    assert parse_count(raw) == expected


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


def test_values_that_compare_equal_keep_their_own_text() -> None:
    # Each distinct value is cleaned once; 1, 1.0 and True are equal in Python but not the same key.
    raw = pd.DataFrame({"id": [1, 1.0, True, "1", 1], "name": ["某某"] * 5}, dtype=object)
    canonical = standardize_frame(PARTY, raw, {"source_id": "id", "name": "name"})
    assert canonical["source_id"].tolist() == ["1", "1.0", "True", "1", "1"]


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


@pytest.mark.parametrize(
    ("raw", "core", "legal_form", "branch", "place"),
    [
        ("北京华信科技有限公司", "华信科技", "limited_company", False, "北京市"),
        ("华信科技有限责任公司", "华信科技", "limited_company", False, None),
        ("广东省深圳华信科技有限公司", "华信科技", "limited_company", False, "深圳市"),
        ("华信（北京）科技有限公司", "华信科技", "limited_company", False, "北京市"),
        ("ＡＢＣ华信科技股份有限公司", "ABC华信科技", "joint_stock_company", False, None),
        ("北京华信投资合伙企业(有限合伙)", "华信投资", "limited_partnership", False, "北京市"),
        ("廣州華信電子有限公司", "华信电子", "limited_company", False, "广州市"),
        ("北京华信科技有限公司上海分公司", "华信科技上海", "limited_company", True, "北京市"),
        ("中国工商银行股份有限公司北京分行", "中国工商银行北京", "joint_stock_company", True, None),
        ("Huaxin Technology Co., Ltd.", "Huaxin Technology", "limited_company", False, None),
        ("Beijing Huaxin Technology Co.,Ltd.", "Huaxin Technology", "limited_company", False, "北京市"),
        ("Huaxin (Shenzhen) Trading Co., Ltd.", "Huaxin Trading", "limited_company", False, "深圳市"),
        ("Acme Holdings Inc.", "Acme Holdings", "corporation", False, None),
        ("Beijing Huaxin Technology Co., Ltd. Shanghai Branch", "Huaxin Technology Shanghai", "limited_company", True,
         "北京市"),
        ("Holtd", "Holtd", None, False, None),
        ("张伟", "张伟", None, False, None),
    ],
)  # fmt: skip
def test_names_split_into_trade_name_legal_form_branch_and_place(
    raw: str, core: str, legal_form: str | None, branch: bool, place: str | None
) -> None:
    name = parse_party_name(clean_name(raw))
    assert (name.core, name.legal_form, name.branch, name.place) == (core, legal_form, branch, place)


def test_a_branch_never_has_the_same_core_name_as_its_parent() -> None:
    parent = parse_party_name("北京华信科技有限公司")
    branch = parse_party_name("北京华信科技有限公司上海分公司")
    assert branch.branch and not parent.branch
    assert branch.core != parent.core


def test_traditional_names_become_simplified_and_romanized_forms_bridge_languages() -> None:
    assert parse_party_name("華信科技有限公司").display == "华信科技有限公司"
    assert parse_party_name("北京华信有限公司").romanized == "huaxin"
    assert parse_party_name("Beijing Huaxin Co., Ltd.").romanized == "huaxin"
    # English industry words read as the Chinese terms they translate.
    assert parse_party_name("Mingneng Chemical Co., Ltd.").romanized == parse_party_name("明能化工有限公司").romanized
    assert parse_party_name("Hongda Environmental Technology Co., Ltd.").romanized == "hongdahuanbaokeji"
    # A translated name still shares the lead of its trade name.
    assert parse_party_name("凯昌运输有限公司").lead == parse_party_name("Kaichang Transportation Co., Ltd.").lead
    assert parse_party_name("凯昌运输有限公司").lead == "kaichang"


def test_an_english_place_that_names_two_cities_is_removed_but_names_neither() -> None:
    # Suzhou is 苏州 (Jiangsu) or 宿州 (Anhui): guessing would keep the company from matching itself.
    suzhou = parse_party_name("Suzhou Xinguang Construction Co., Ltd.")
    assert (suzhou.core, suzhou.place) == ("Xinguang Construction", None)
    xian = parse_party_name("NorMa (Xi'an) Technology Co., Ltd.")
    assert (xian.core, xian.place) == ("NorMa Technology", "西安市")


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("北京市海淀区中关村大街1号", ("北京市", "北京市", "海淀区", "中关村大街1号")),
        ("广东省深圳市南山区科技园路8号", ("广东省", "深圳市", "南山区", "科技园路8号")),
        ("深圳市福田区深南大道1000号", ("广东省", "深圳市", "福田区", "深南大道1000号")),
        ("浙江杭州西湖区文三路", ("浙江省", "杭州市", "西湖区", "文三路")),
        ("上海浦东新区世纪大道100号", ("上海市", "上海市", "浦东新区", "世纪大道100号")),
        ("中关村大街1号", (None, None, None, "中关村大街1号")),
        # A city's short name that begins a district's full name: the district (Beijing's 朝阳区), not 朝阳市.
        ("朝阳区建设路220号", ("北京市", "北京市", "朝阳区", "建设路220号")),
        ("辽宁省朝阳市双塔区朝阳大街3号", ("辽宁省", "朝阳市", "双塔区", "朝阳大街3号")),
        ("吉林市船营区解放大路1号", ("吉林省", "吉林市", "船营区", "解放大路1号")),
        (None, (None, None, None, None)),
    ],
)
def test_addresses_split_into_province_city_district_and_the_rest(address: str | None, expected: tuple) -> None:
    parts = split_address(address)
    assert (parts.province, parts.city, parts.district, parts.rest) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("C3911", ("C3911", "C", None)),
        ("3911", ("C3911", "C", None)),
        ("I65", ("I65", "I", None)),
        ("K7010", ("K7010", "K", None)),
        ("A3911", (None, None, "A3911")),
        ("9999", (None, None, "9999")),
        ("制造业", (None, None, "制造业")),
        (None, (None, None, None)),
    ],
)
def test_industry_codes_find_their_gbt_4754_section(code: str | None, expected: tuple) -> None:
    assert parse_industry_code(code) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("cny", ("CNY", None)), ("人民币", ("CNY", None)), ("RMB", ("CNY", None)), ("美元", ("USD", None)),
     ("XYZ", (None, "XYZ")), ("", (None, None))],
)  # fmt: skip
def test_currencies_become_iso_4217_codes(raw: str, expected: tuple) -> None:
    assert parse_currency(raw) == expected


def test_a_composite_key_joins_its_columns_and_a_month_is_its_first_day() -> None:
    raw = pd.DataFrame(
        {"account": ["A1", "A1", None], "month": ["2026-05", "2026/06", "2026-07"], "interest": ["12.50", "n/a", "3"]},
        dtype=object,
    )
    mapping = {
        "source_id": ["account", "month"], "account_id": "account", "period": "month", "interest_income": "interest",
    }  # fmt: skip
    canonical = standardize_frame(REVENUE, raw, mapping)
    assert canonical["source_id"].tolist() == ["A1:2026-05", "A1:2026/06", None]
    assert canonical["period"].tolist() == [dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)]
    assert canonical["interest_income__invalid"].tolist() == [None, "n/a", None]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2026-06", (dt.date(2026, 6, 1), None)), ("202606", (dt.date(2026, 6, 1), None)),
     ("2026-06-17", (dt.date(2026, 6, 1), None)), ("2026-13", (None, "2026-13")), ("June", (None, "June"))],
)  # fmt: skip
def test_months_parse_strictly(raw: str, expected: tuple) -> None:
    assert parse_month(raw) == expected

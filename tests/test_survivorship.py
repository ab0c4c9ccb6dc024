"""Golden attributes are chosen per attribute by the configured rule, and each names its source record."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from c360.config import MatchingConfig
from transforms.resolve import resolve_customers
from warehouse import Warehouse

USCC = "91110105MA01C3EX2T"
EARLY = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _party(warehouse: Warehouse, system: str, source_id: str, extracted_at: dt.datetime, **values: str | None) -> None:
    row = {
        "source_system": system,
        "source_entity": "parties",
        "source_id": source_id,
        "batch_id": "b1",
        "extracted_at": extracted_at,
        "name_original": values["name"],
        "uscc": USCC,
        "uscc_valid": True,
        "resident_id_valid": False,
        "is_branch": False,
        **values,
    }
    with warehouse.transaction() as conn:
        conn.execute(
            sa.text(f"INSERT INTO staging.party ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"), row
        )


def test_each_golden_attribute_follows_its_rule_and_names_its_record(warehouse: Warehouse) -> None:
    _party(warehouse, "los", "L1", EARLY, name="北京华信科技有限公司", phone="+861065528888", address="北京市朝阳区",
           email=None, industry_code="C3911")  # fmt: skip
    _party(warehouse, "crm", "C1", LATE, name="华信科技", phone="+8613800138000", address="北京市朝阳区建国路88号",
           email="li@huaxin.cn", industry_code="I6510")  # fmt: skip
    matching = MatchingConfig.model_validate(
        {
            "survivorship": {
                "source_priority": ["los", "crm"],
                "attributes": {"phone": "recency", "address": "completeness"},
            },
            "probabilistic": {"enabled": False},
        }
    )
    resolve_customers(warehouse, matching)

    [golden] = warehouse.fetch_all(
        "SELECT name, uscc, phone, email, address, industry_code, survivor_source_system FROM core.customer"
    )
    assert tuple(golden) == (
        "北京华信科技有限公司", USCC, "+8613800138000", "li@huaxin.cn", "北京市朝阳区建国路88号", "C3911", "los",
    )  # fmt: skip
    lineage = {
        row[0]: tuple(row[1:])
        for row in warehouse.fetch_all(
            "SELECT attribute, survivorship_rule, source_system, source_id, extracted_at"
            " FROM core.customer_attribute_source"
        )
    }
    assert lineage["name"] == ("priority", "los", "L1", EARLY)
    assert lineage["phone"] == ("recency", "crm", "C1", LATE)
    assert lineage["address"] == ("completeness", "crm", "C1", LATE)
    assert lineage["email"] == ("priority", "crm", "C1", LATE), "the only record holding a value supplies it"
    assert lineage["industry_code"] == ("priority", "los", "L1", EARLY)
    assert "legal_representative" not in lineage, "no record holds one"

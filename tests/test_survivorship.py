"""Golden attributes are chosen per attribute by the configured rule, and each names its source record."""

from __future__ import annotations

import datetime as dt
import random

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


def test_survivors_match_the_documented_rules_on_ties_missing_values_and_unranked_sources(
    warehouse: Warehouse,
) -> None:
    """Six customers, their records spread over four sources (one not in the priority list),
    sharing extraction times and missing values at random; every attribute's survivor is
    the record the README's rule ranks first."""
    generator = random.Random(11)
    priority = ["los", "core", "crm"]
    rules = {"name": "completeness", "phone": "recency", "email": "recency", "address": "completeness"}
    records = []
    for customer in range(6):
        uscc = _USCCS[customer]
        for number in range(generator.randint(1, 6)):
            values = {
                attribute: generator.choice([None, f"{attribute}-{customer}-{'x' * generator.randint(1, 3)}"])
                for attribute in ("phone", "email", "address", "legal_representative", "industry_code")
            }
            record = {
                "source_system": generator.choice([*priority, "spreadsheet"]),
                "source_id": f"R{customer}{number}",
                "extracted_at": generator.choice([EARLY, LATE]),
                "name": f"华信{'科' * generator.randint(1, 3)}{customer}",
                "uscc": uscc,
                **values,
            }
            records.append(record)
            _party(warehouse, record["source_system"], record["source_id"], record["extracted_at"],
                   **{key: record[key] for key in ("name", "uscc", *values)})  # fmt: skip
    matching = MatchingConfig.model_validate(
        {
            "survivorship": {"source_priority": priority, "attributes": rules},
            "probabilistic": {"enabled": False},
        }
    )
    resolve_customers(warehouse, matching)

    lineage = {
        (uscc, attribute): (value, rule, system, source_id)
        for uscc, attribute, value, rule, system, source_id in warehouse.fetch_all(
            "SELECT c.uscc, a.attribute, a.value, a.survivorship_rule, a.source_system, a.source_id"
            " FROM core.customer_attribute_source a JOIN core.customer c ON c.customer_id = a.customer_id"
        )
    }
    expected = {}
    for attribute in ("name", "uscc", "phone", "email", "address", "legal_representative", "industry_code"):
        rule = rules.get(attribute, "priority")
        for uscc in _USCCS[:6]:
            holding = [r for r in records if r["uscc"] == uscc and r[attribute] is not None]
            if not holding:
                continue

            def standing(record: dict, rule: str = rule, attribute: str = attribute) -> tuple:
                ranked = priority.index(record["source_system"]) if record["source_system"] in priority else 10**6
                newest_first = -record["extracted_at"].timestamp()
                by_priority = (ranked, newest_first, record["source_system"], "parties", record["source_id"])
                if rule == "recency":
                    return (newest_first, *by_priority)
                if rule == "completeness":
                    return (-len(record[attribute]), *by_priority)
                return by_priority

            survivor = min(holding, key=standing)
            expected[uscc, attribute] = (survivor[attribute], rule, survivor["source_system"], survivor["source_id"])
    assert lineage == expected


_USCCS = [
    "91110105MA01C3EX2T", "91310000MA1FL8XQ3B", "91440300MA5G9JXT6Q",
    "914201003036453568", "91510100MA61R5TX1L", "91330106MA27XUP49J",
]  # fmt: skip

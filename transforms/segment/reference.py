"""The segment rules as small temporary tables, so the SQL beside them stays set-based.

Each rule list becomes rows (exchange rates, the master scale, contribution tiers, the
size standard, the strategic rules) that ``facts.sql`` and ``segments.sql`` join to;
the SQL never changes with the rules, and no configured value is pasted into it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from c360.segment_rules import GRADES, SIZE_CLASSES, SegmentRules
from transforms.standardize.industry import SECTIONS


def create_reference_tables(conn: Connection, rules: SegmentRules) -> None:
    """Create and fill every ``_seg_*`` reference table the segment SQL reads."""
    rates = {rules.home_currency: 1.0, **rules.exchange_rates}
    _temporary_table(
        conn, "_seg_fx", "currency TEXT, rate DECIMAL(18, 6)",
        [{"currency": currency, "rate": rate} for currency, rate in rates.items()],
    )  # fmt: skip
    _temporary_table(
        conn, "_seg_loan_product", "product TEXT", [{"product": product} for product in rules.loan_account_products]
    )
    _temporary_table(
        conn, "_seg_bespoke", "product TEXT", [{"product": product} for product in rules.needs_tier.bespoke_products]
    )
    scale = rules.risk_grade.master_scale
    _temporary_table(
        conn, "_seg_scale", "grade TEXT, grade_rank INTEGER, pd_upper DOUBLE PRECISION",
        [{"grade": grade, "grade_rank": rank, "pd_upper": scale[grade]} for rank, grade in enumerate(GRADES, start=1)],
    )  # fmt: skip
    _temporary_table(
        conn, "_seg_tier", "tier TEXT, tier_rank INTEGER, up_to DECIMAL(9, 6)",
        [
            {"tier": tier.name, "tier_rank": rank, "up_to": tier.up_to}
            for rank, tier in enumerate(rules.contribution_tier.tiers, start=1)
        ],
    )  # fmt: skip
    _temporary_table(
        conn, "_seg_industry", "section TEXT, name_zh TEXT, name_en TEXT, note TEXT",
        [
            {"section": section.letter, "name_zh": section.name_zh, "name_en": section.name_en,
             "note": rules.industry.notes.get(section.letter)}
            for section in SECTIONS
        ],
    )  # fmt: skip
    _temporary_table(
        conn, "_seg_size",
        "standard_line TEXT, prefix TEXT, class_rank INTEGER,"
        " min_employees DECIMAL(20, 2), min_revenue DECIMAL(20, 2), min_assets DECIMAL(20, 2)",
        _size_rows(rules),
    )  # fmt: skip
    rule_rows, condition_rows = _strategic_rows(rules.relationship_model.strategic_when)
    _temporary_table(conn, "_seg_strategic_rule", "rule_no INTEGER, dimensions INTEGER, description TEXT", rule_rows)
    _temporary_table(conn, "_seg_strategic", "rule_no INTEGER, dimension TEXT, segment TEXT", condition_rows)


def _size_rows(rules: SegmentRules) -> list[dict[str, object]]:
    rows = []
    for line_name, line in rules.customer_type.sizes.items():
        for prefix in line.industries or [""]:
            for rank, size_class in enumerate(SIZE_CLASSES, start=1):
                thresholds = getattr(line, size_class)
                rows.append(
                    {
                        "standard_line": line_name,
                        "prefix": prefix,
                        "class_rank": rank,
                        "min_employees": thresholds.employees,
                        "min_revenue": thresholds.annual_revenue,
                        "min_assets": thresholds.total_assets,
                    }
                )
    return rows


def _strategic_rows(
    strategic_when: Sequence[Mapping[str, Sequence[str]]],
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rules, conditions = [], []
    for number, rule in enumerate(strategic_when, start=1):
        description = "; ".join(f"{dimension} {' or '.join(segments)}" for dimension, segments in rule.items())
        rules.append({"rule_no": number, "dimensions": len(rule), "description": description})
        conditions += [
            {"rule_no": number, "dimension": dimension, "segment": segment}
            for dimension, segments in rule.items()
            for segment in segments
        ]
    return rules, conditions


def _temporary_table(conn: Connection, name: str, columns: str, rows: list[dict[str, object]]) -> None:
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {name} ({columns})"))
    if rows:
        placeholders = ", ".join(f":{column}" for column in rows[0])
        conn.execute(sa.text(f"INSERT INTO {name} ({', '.join(rows[0])}) VALUES ({placeholders})"), rows)
    conn.execute(sa.text(f"ANALYZE {name}"))  # Postgres never gathers statistics on temporary tables itself

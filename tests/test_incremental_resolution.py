"""A resolve run after changes scores only what changed and ends where a full run would, on both warehouses."""

from __future__ import annotations

import sqlalchemy as sa

from c360.config import load_config
from c360.pipeline import run_pipeline
from c360.settings import Settings
from c360.stages import open_warehouse
from transforms.resolve import ResolveResult, resolve_customers
from warehouse import Warehouse

RECORD = "source_system || '/' || source_entity || '/' || source_id"
STAGED_COLUMNS = (
    "source_system, source_entity, source_id, batch_id, source_file, source_line, extracted_at, name, name_original,"
    " uscc, uscc_valid, resident_id, resident_id_valid, legal_representative, phone, email, address, industry_code,"
    " name_core, name_romanized, name_lead, legal_form, is_branch, name_place, province, city, district,"
    " address_detail, industry_section, date_of_birth, id_document"
)
GOLDEN_COLUMNS = (
    "customer_id, name, uscc, phone, email, address, legal_representative, industry_code, record_count,"
    " source_systems, survivor_source_system, survivor_source_entity, survivor_source_id"
)
LINEAGE_COLUMNS = (
    "customer_id, attribute, value, survivorship_rule, source_system, source_entity, source_id, extracted_at"
)


def _resolve(settings: Settings, mode: str) -> ResolveResult:
    with open_warehouse(settings) as warehouse:
        return resolve_customers(warehouse, load_config(settings.config_dir).matching, mode)


def _outcome(settings: Settings) -> dict[str, object]:
    """Everything a run publishes about matching: who is whom, why, golden records, open questions."""
    with open_warehouse(settings) as warehouse:
        return {
            "xref": sorted(
                (row[0], row[1], row[2], None if row[3] is None else round(row[3], 6))
                for row in warehouse.fetch_all(
                    f"SELECT {RECORD}, customer_id, match_rule, match_weight FROM core.customer_xref"
                )
            ),
            "golden": sorted(tuple(row) for row in warehouse.fetch_all(f"SELECT {GOLDEN_COLUMNS} FROM core.customer")),
            "lineage": sorted(
                tuple(row)
                for row in warehouse.fetch_all(f"SELECT {LINEAGE_COLUMNS} FROM core.customer_attribute_source")
            ),
            "queue": sorted(
                (row[0], row[1], round(row[2], 6))
                for row in warehouse.fetch_all(
                    "SELECT left_record, right_record, match_probability FROM core.review_queue"
                )
            ),
        }


_KEYS = {
    "core.customer_xref": "source_system, source_entity, source_id",
    "core.customer_attribute_source": "customer_id, attribute",
    "core.match_record": "record",
    "core.match_pair": "left_record, right_record",
}
"""What each table resolution rewrites holds one row of (DuckDB does not enforce it with a key)."""


def _repeated_keys(settings: Settings) -> dict[str, int]:
    with open_warehouse(settings) as warehouse:
        return {
            table: warehouse.fetch_all(
                f"SELECT COUNT(*) FROM (SELECT {key} FROM {table} GROUP BY {key} HAVING COUNT(*) > 1) AS repeated"
            )[0][0]
            for table, key in _KEYS.items()
        }


def test_a_run_after_changes_scores_only_them_and_equals_a_full_run(settings: Settings) -> None:
    run_pipeline(settings)
    with open_warehouse(settings) as warehouse:
        [(model_version,)] = warehouse.fetch_all("SELECT MAX(model_version) FROM meta.match_model")
        linked = warehouse.fetch_all(
            f"SELECT {RECORD}, customer_id, source_system, source_entity, source_id FROM core.customer_xref"
            " WHERE match_rule = 'probabilistic' ORDER BY 1"
        )
        (moved, moved_from, *_), (_, copied_customer, system, entity, source_id) = linked[0], linked[-1]
        former_partners = {
            row[0]
            for row in warehouse.fetch_all(
                f"SELECT {RECORD} FROM core.customer_xref WHERE customer_id = :id", {"id": moved_from}
            )
        } - {moved}
        removed = warehouse.fetch_all(f"SELECT {RECORD} FROM core.customer_xref WHERE match_rule = 'single_record'")[0][
            0
        ]
        with warehouse.transaction() as conn:
            # A record renamed beyond recognition, one deleted upstream, and a new record for
            # a known customer (the copy of one of its records, under a new id).
            conn.execute(
                sa.text(
                    "UPDATE staging.party SET name = '远东测绘有限公司', name_original = '远东测绘有限公司',"
                    " name_core = '远东测绘', name_romanized = 'yuandongcehui', name_lead = 'yuandong', phone = NULL,"
                    " email = NULL, address = NULL, address_detail = NULL, date_of_birth = NULL"
                    f" WHERE {RECORD} = :record"
                ),
                {"record": moved},
            )
            conn.execute(sa.text(f"DELETE FROM staging.party WHERE {RECORD} = :record"), {"record": removed})
            conn.execute(
                sa.text(
                    f"INSERT INTO staging.party ({STAGED_COLUMNS})"
                    f" SELECT {STAGED_COLUMNS.replace('source_id,', ':new_id,', 1)} FROM staging.party"
                    " WHERE source_system = :system AND source_entity = :entity AND source_id = :id"
                ),
                {"new_id": source_id + "-NEW", "system": system, "entity": entity, "id": source_id},
            )

    incremental = _resolve(settings, "incremental")

    assert incremental.records_scored == 2, "the renamed record and the new one"
    assert (incremental.model_version, incremental.model_trained) == (model_version, False)
    after_incremental = _outcome(settings)
    customer_of = {row[0]: row[1] for row in after_incremental["xref"]}
    assert removed not in customer_of
    assert customer_of[f"{system}/{entity}/{source_id}-NEW"] == copied_customer, "joins the customer it belongs to"
    assert all(customer_of[moved] != customer_of[partner] for partner in former_partners), "nothing links it now"
    assert _repeated_keys(settings) == dict.fromkeys(_KEYS, 0)

    full = _resolve(settings, "full")

    assert full.records_scored == full.records
    assert _outcome(settings) == after_incremental
    assert _repeated_keys(settings) == dict.fromkeys(_KEYS, 0)
    assert (full.ids_issued, full.ids_retired) == (0, 0)
    with open_warehouse(settings) as warehouse:
        [(rewritten, total)] = warehouse.fetch_all(
            "SELECT SUM(CASE WHEN resolved_at = (SELECT MAX(resolved_at) FROM core.customer_xref) THEN 1 ELSE 0 END),"
            " COUNT(*) FROM core.customer_xref"
        )
    assert 0 < rewritten <= 10 < total, "only what changed is rewritten; the full run after it rewrites nothing"


def test_retraining_makes_a_new_model_version_and_scores_every_record(settings: Settings) -> None:
    run_pipeline(settings)
    before = _outcome(settings)

    unchanged = _resolve(settings, "incremental")
    retrained = _resolve(settings, "retrain")

    assert (unchanged.records_scored, unchanged.model_trained) == (0, False)
    assert retrained.model_trained and retrained.model_version == unchanged.model_version + 1
    assert retrained.records_scored == retrained.records
    assert _outcome(settings)["xref"] == before["xref"], "the same data trains the same model"
    with open_warehouse(settings) as warehouse:
        recipes = warehouse.fetch_all("SELECT DISTINCT recipe FROM meta.match_model")
    assert len(recipes) == 1 and recipes[0][0]


def test_a_model_is_retrained_once_the_records_changed_by_more_than_the_configured_share(settings: Settings) -> None:
    run_pipeline(settings)
    with open_warehouse(settings) as warehouse:
        [(staged,)] = warehouse.fetch_all("SELECT COUNT(*) FROM staging.party")
        with warehouse.transaction() as conn:
            # A third of the records gone (a source retired): the prior no longer fits.
            conn.exec_driver_sql("DELETE FROM staging.party WHERE source_system = 'crm'")
        [(left,)] = warehouse.fetch_all("SELECT COUNT(*) FROM staging.party")
    assert left < 0.75 * staged, "the sample bank's CRM holds more than a quarter of the records"

    after = _resolve(settings, "incremental")

    assert after.model_trained and after.records_scored == after.records == left


def _rewritten(warehouse: Warehouse, table: str, at: object) -> int:
    return warehouse.fetch_all(f"SELECT COUNT(*) FROM {table} WHERE resolved_at = :at", {"at": at})[0][0]


def test_golden_records_are_rebuilt_only_for_customers_whose_records_changed_and_equal_a_full_run(
    settings: Settings,
) -> None:
    """A record's name respelled (nothing matching compares), then the sources' priority
    reversed: each incremental run rewrites the golden records those changes touch and no
    other, and a full run after it finds nothing to change."""
    run_pipeline(settings)
    with open_warehouse(settings) as warehouse:
        [(customer, system, entity, source_id, name)] = warehouse.fetch_all(
            "SELECT customer_id, survivor_source_system, survivor_source_entity, survivor_source_id, name"
            " FROM core.customer WHERE record_count > 1 AND source_systems LIKE '%,%' ORDER BY customer_id LIMIT 1"
        )
        with warehouse.transaction() as conn:
            conn.execute(
                sa.text(
                    "UPDATE staging.party SET name = :name"
                    " WHERE source_system = :system AND source_entity = :entity AND source_id = :id"
                ),
                {"name": name + "（集团）", "system": system, "entity": entity, "id": source_id},
            )

    respelled = _resolve(settings, "incremental")

    assert respelled.records_scored == 0, "the name's standardized parts, which matching compares, are the same"
    with open_warehouse(settings) as warehouse:
        [(at,)] = warehouse.fetch_all("SELECT MAX(resolved_at) FROM core.customer_xref")
        assert warehouse.fetch_all("SELECT name FROM core.customer WHERE customer_id = :id", {"id": customer}) == [
            (name + "（集团）",)
        ]
        assert _rewritten(warehouse, "core.customer", at) == 1
        assert _rewritten(warehouse, "core.customer_attribute_source", at) == 1, "the name's lineage only"
    after_respelling = _outcome(settings)
    _resolve(settings, "full")
    assert _outcome(settings) == after_respelling

    matching = load_config(settings.config_dir).matching
    survivorship = matching.survivorship
    reversed_priority = matching.model_copy(
        update={
            "survivorship": survivorship.model_copy(
                update={"source_priority": list(reversed(survivorship.source_priority))}
            )
        }
    )
    with open_warehouse(settings) as warehouse:
        resolve_customers(warehouse, reversed_priority, "incremental")
        [(at,)] = warehouse.fetch_all("SELECT MAX(resolved_at) FROM core.customer_xref")
        [(multi_source,)] = warehouse.fetch_all("SELECT COUNT(*) FROM core.customer WHERE source_systems LIKE '%,%'")
        assert _rewritten(warehouse, "core.customer", at) >= multi_source // 2, "their names come from another source"
    after_reversal = _outcome(settings)
    with open_warehouse(settings) as warehouse:
        resolve_customers(warehouse, reversed_priority, "full")
    assert _outcome(settings) == after_reversal

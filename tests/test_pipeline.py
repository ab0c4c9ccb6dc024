"""The whole pipeline over the sample silos, on DuckDB and on Postgres."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from c360.pipeline import PipelineFailed, run_pipeline
from c360.sample import CONTACT_HEADER, write_sample_silos
from c360.settings import Settings
from c360.stages import open_warehouse


def _rows(settings: Settings, sql: str) -> list[tuple]:
    with open_warehouse(settings) as warehouse:
        return [tuple(row) for row in warehouse.fetch_all(sql)]


def _customer_of(settings: Settings, source_id: str) -> tuple[str, str, str]:
    [row] = _rows(
        settings,
        "SELECT m.customer_id, m.lifecycle, m.lifecycle_reason FROM core.customer_xref x "
        f"JOIN mart.customer_360 m ON m.customer_id = x.customer_id WHERE x.source_id = '{source_id}'",
    )
    return row


def test_every_bad_row_is_quarantined_by_the_check_named_and_no_good_row_is(settings: Settings, tmp_path: Path) -> None:
    bad_rows = write_sample_silos(settings.silos_dir).bad_rows
    run_pipeline(settings)
    failed = _rows(settings, "SELECT source_id, expectation, reason FROM quarantine.party")
    unparsed = _rows(settings, "SELECT raw_text, reason, source_line FROM quarantine.unparsed_row")
    for bad in bad_rows:
        if bad.caught_by == "unparsed":
            assert any(text.startswith(bad.source_id + ",") for text, _, _ in unparsed), bad
        else:
            assert (bad.source_id, bad.caught_by) in {(row[0], row[1]) for row in failed}, bad
    assert {row[0] for row in failed} == {bad.source_id for bad in bad_rows if bad.caught_by != "unparsed"}
    assert len(unparsed) == sum(bad.caught_by == "unparsed" for bad in bad_rows)
    assert all(reason for _, _, reason in failed)


def test_rows_in_equal_rows_out_plus_quarantined_for_every_batch(settings: Settings) -> None:
    run_pipeline(settings)
    batches = _rows(
        settings, "SELECT rows_read, rows_landed, rows_unparsed, rows_standardized, rows_quarantined FROM meta.batch"
    )
    assert len(batches) == 2
    for read, landed, unparsed, standardized, quarantined in batches:
        assert read == landed + unparsed
        assert landed == standardized + quarantined
    [(staged,)] = _rows(settings, "SELECT COUNT(*) FROM staging.party")
    assert staged == sum(batch[3] for batch in batches)


def test_records_sharing_a_valid_credit_code_become_one_customer(settings: Settings) -> None:
    run_pipeline(settings)
    shared = _rows(
        settings,
        "SELECT p.uscc, COUNT(DISTINCT x.customer_id), COUNT(*) FROM staging.party p "
        "JOIN core.customer_xref x ON x.source_system = p.source_system AND x.source_id = p.source_id "
        "WHERE p.uscc_valid GROUP BY p.uscc HAVING COUNT(*) > 1",
    )
    assert len(shared) >= 10, "the sample must put many companies in both systems"
    assert all(customers == 1 for _, customers, _ in shared)
    unlinked = _rows(
        settings,
        "SELECT c.record_count, x.match_rule FROM core.customer_xref x JOIN staging.party p "
        "ON x.source_system = p.source_system AND x.source_id = p.source_id "
        "JOIN core.customer c ON c.customer_id = x.customer_id WHERE NOT p.uscc_valid",
    )
    assert unlinked and all(row == (1, "single_record") for row in unlinked)
    [(customers,)] = _rows(settings, "SELECT COUNT(*) FROM core.customer")
    [(distinct_keys,)] = _rows(
        settings,
        "SELECT COUNT(DISTINCT CASE WHEN uscc_valid THEN uscc ELSE source_system || source_id END) FROM staging.party",
    )
    assert customers == distinct_keys


def test_golden_record_names_its_surviving_source_record(settings: Settings) -> None:
    run_pipeline(settings)
    rows = _rows(
        settings,
        "SELECT c.name, p.name, c.source_systems, c.survivor_source_system FROM core.customer c "
        "JOIN staging.party p ON p.source_system = c.survivor_source_system AND p.source_id = c.survivor_source_id",
    )
    assert rows
    assert all(golden == source for golden, source, _, _ in rows)
    assert all(survivor == "loan_origination" for _, _, systems, survivor in rows if "loan_origination" in systems)


def test_lifecycle_with_its_reason(settings: Settings) -> None:
    run_pipeline(settings)
    assert _customer_of(settings, "LOS000001")[1:] == ("existing", "existing: 1 active customer record(s)")
    churned = _customer_of(settings, "LOS000009")
    assert churned[1] == "churned"
    assert churned[2].startswith("churned: all 1 customer record(s) closed and last activity ")
    assert churned[2].endswith("is more than 365 days before 2026-06-30")
    recently_closed = _customer_of(settings, "LOS000011")
    assert recently_closed[1] == "existing"
    assert "nothing active, but last activity" in recently_closed[2]
    prospect = _customer_of(settings, "CRM-00003")
    assert prospect[1:] == ("prospect", "prospect: known only as a lead in crm, never as a customer")


def test_mart_masks_phone_numbers(settings: Settings) -> None:
    run_pipeline(settings)
    phones = _rows(settings, "SELECT phone_masked FROM mart.customer_360 WHERE phone_masked IS NOT NULL")
    assert phones
    assert all(phone[3:7] == "****" and len(phone) == 11 for (phone,) in phones)


def test_a_rerun_changes_nothing(settings: Settings) -> None:
    run_pipeline(settings)
    snapshot_sql = {
        "xref": "SELECT source_system, source_id, customer_id FROM core.customer_xref ORDER BY 1, 2",
        "mart": "SELECT customer_id, lifecycle, lifecycle_reason FROM mart.customer_360 ORDER BY 1",
        "raw": "SELECT COUNT(*) FROM raw.crm__contacts",
        "quarantine": "SELECT COUNT(*) FROM quarantine.party",
        "ids": "SELECT COUNT(*) FROM core.customer_id_registry",
    }
    before = {name: _rows(settings, sql) for name, sql in snapshot_sql.items()}
    results = run_pipeline(settings)
    after = {name: _rows(settings, sql) for name, sql in snapshot_sql.items()}
    assert after == before
    extract_results = [result for result in results if result.stage == "extract"]
    assert all(result.rows_in == 0 for result in extract_results)


def _write_contacts(silos_dir: Path, name: str, rows: list[list[str]]) -> None:
    with (silos_dir / "crm" / name).open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CONTACT_HEADER)
        writer.writerows(rows)


def test_ids_stay_stable_when_new_records_arrive_and_a_merge_retires_an_id(settings: Settings) -> None:
    run_pipeline(settings)
    before = dict(_rows(settings, "SELECT source_id, customer_id FROM core.customer_xref"))
    unlinked_contact = _rows(
        settings,
        "SELECT c.source_id, c.name, l.uscc, l.source_id FROM staging.party c JOIN staging.party l "
        "ON l.source_system = 'loan_origination' AND SUBSTR(l.source_id, 4) = '0' || SUBSTR(c.source_id, 5) "
        "WHERE c.source_system = 'crm' AND c.uscc IS NULL AND l.uscc_valid ORDER BY c.source_id",
    )
    assert unlinked_contact, "the sample must hold a CRM contact without a credit code"
    contact_id, contact_name, uscc, borrower_id = unlinked_contact[0]
    _write_contacts(
        settings.silos_dir,
        "contacts_update.csv",
        [
            [contact_id, contact_name, uscc, "13800000000", "", "2026/06/01"],
            ["CRM-99999", "重庆新客户科技有限公司", "", "13900000000", "重庆市", "2026/06/02"],
        ],
    )
    run_pipeline(settings)
    after = dict(_rows(settings, "SELECT source_id, customer_id FROM core.customer_xref"))
    assert after[contact_id] == after[borrower_id] == before[borrower_id]
    unchanged = {source_id: customer for source_id, customer in before.items() if source_id != contact_id}
    assert {source_id: after[source_id] for source_id in unchanged} == unchanged
    assert after["CRM-99999"] not in before.values()
    [(status, merged_into)] = _rows(
        settings,
        f"SELECT status, merged_into FROM core.customer_id_registry WHERE customer_id = '{before[contact_id]}'",
    )
    assert (status, merged_into) == ("merged", before[borrower_id])


def test_a_broken_source_fails_alone_and_is_recorded(settings: Settings) -> None:
    (settings.silos_dir / "crm" / "contacts.csv").unlink()
    with pytest.raises(PipelineFailed, match=r"extract crm: crm\.contacts: no file matches 'crm/contacts\*\.csv'"):
        run_pipeline(settings)
    runs = _rows(settings, "SELECT stage, source, status, message FROM meta.pipeline_run ORDER BY stage, source")
    assert [run[:3] for run in runs] == [("extract", "crm", "failed"), ("extract", "loan_origination", "succeeded")]
    assert "no file matches" in runs[0][3]
    [(landed,)] = _rows(settings, "SELECT COUNT(*) FROM raw.loan_origination__borrowers")
    assert landed > 0

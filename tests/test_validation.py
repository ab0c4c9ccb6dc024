"""Validation per batch on both warehouses: the stop over the limit, the summary, the Data Docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from c360.config import FileEntity, FileSource, QuarantineLimit
from c360.errors import BatchStopped
from connectors.files import extract_files
from transforms.standardize import standardize_source
from warehouse import Warehouse

GOOD = "C{n:03d},北京华信科技{n}有限公司,010-6552 88{n:02d}\n"
NAMELESS = "C{n:03d},,010-6552 88{n:02d}\n"


def _source(limit: QuarantineLimit) -> FileSource:
    entity = FileEntity(
        path="drop/*.csv",
        canonical="party",
        mapping={"source_id": "id", "name": "name", "phone": "phone"},
        quarantine_limit=limit,
    )
    return FileSource(kind="files", entities={"contacts": entity})


def _drop(directory: Path, good: int, nameless: int) -> None:
    rows = [GOOD.format(n=n) for n in range(good)] + [NAMELESS.format(n=n) for n in range(good, good + nameless)]
    (directory / "drop").mkdir(parents=True, exist_ok=True)
    (directory / "drop" / "contacts.csv").write_text("id,name,phone\n" + "".join(rows), "utf-8")


def _land(warehouse: Warehouse, directory: Path, source: FileSource) -> None:
    extract_files(warehouse, "drop", "contacts", source.entities["contacts"], directory)


def test_a_batch_over_the_quarantine_limit_stops_whole_and_names_source_expectation_and_rows(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    source = _source(QuarantineLimit(share=0.2, min_rows=20))
    _drop(tmp_path, good=5, nameless=25)
    _land(warehouse, tmp_path, source)
    with pytest.raises(BatchStopped) as stopped:
        standardize_source(warehouse, "drop", source)
    message = str(stopped.value)
    assert message.startswith("drop.contacts batch ")
    assert "25 of 30 rows" in message
    assert "expect_column_values_to_not_be_null on name: 25 rows" in message
    assert warehouse.fetch_all("SELECT COUNT(*) FROM staging.party")[0][0] == 0
    assert warehouse.fetch_all("SELECT COUNT(*) FROM quarantine.party")[0][0] == 0
    [(standardized_at,)] = warehouse.fetch_all("SELECT standardized_at FROM meta.batch")
    assert standardized_at is None, "the batch waits, whole, for the next run"

    relaxed = _source(QuarantineLimit(share=1.0, min_rows=20))
    result = standardize_source(warehouse, "drop", relaxed)
    assert (result.rows_in, result.rows_out, result.rows_quarantined) == (30, 5, 25)


def test_few_bad_rows_are_quarantined_without_stopping_the_batch(warehouse: Warehouse, tmp_path: Path) -> None:
    source = _source(QuarantineLimit(share=0.2, min_rows=20))
    _drop(tmp_path, good=10, nameless=5)  # a third of the batch, but fewer than min_rows
    _land(warehouse, tmp_path, source)
    result = standardize_source(warehouse, "drop", source)
    assert (result.rows_in, result.rows_out, result.rows_quarantined) == (15, 10, 5)


def test_each_batch_has_a_summary_per_expectation_and_a_data_docs_page(warehouse: Warehouse, tmp_path: Path) -> None:
    source = _source(QuarantineLimit())
    _drop(tmp_path, good=8, nameless=2)
    with (tmp_path / "drop" / "contacts.csv").open("a", encoding="utf-8") as drop:
        drop.write("C099,上海远航物流有限公司,12345\n")  # not a phone number: reported, not quarantined
    _land(warehouse, tmp_path, source)
    docs = tmp_path / "docs" / "run-1"
    result = standardize_source(warehouse, "drop", source, docs=docs)

    summary = {
        (row[0], row[1]): tuple(row[2:])
        for row in warehouse.fetch_all(
            "SELECT expectation, column_name, severity, rows_evaluated, rows_passed, rows_failed, rows_quarantined "
            "FROM meta.validation_summary"
        )
    }
    assert summary[("expect_column_values_to_not_be_null", "name")] == ("critical", 11, 9, 2, 2)
    assert summary[("expect_column_values_to_be_unique", "source_id")] == ("critical", 11, 11, 0, 0)
    assert summary[("expect_column_values_to_be_null", "phone__invalid")] == ("warning", 11, 10, 1, 0)

    [batch_id] = result.batch_ids
    assert result.data_docs == docs / "index.html"
    index = result.data_docs.read_text("utf-8")
    assert batch_id in index and "<td>11</td><td>9</td><td>2</td>" in index
    page = (docs / "drop" / f"{batch_id}.html").read_text("utf-8")
    assert "a customer without a name cannot be matched or shown" in page, "the expectation as the suite says it"

"""Landing file drops in raw: lineage, re-sent files, bad rows, bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import connectors.files as files_connector
from c360.config import FileEntity
from c360.errors import SourceError
from connectors.files import extract_files
from warehouse import Warehouse

HEADER = "客户编号,客户名称,统一社会信用代码\n"


def _entity(encoding: str = "gb18030") -> FileEntity:
    return FileEntity(
        path="drop/*.csv",
        encoding=encoding,
        canonical="party",
        mapping={"source_id": "客户编号", "name": "客户名称", "uscc": "统一社会信用代码"},
    )


def _jsonl_entity() -> FileEntity:
    return FileEntity(
        path="drop/*.jsonl",
        format="jsonl",
        canonical="party",
        mapping={"source_id": "id", "name": "company", "uscc": "credit_code"},
    )


def _write(directory: Path, name: str, text: str, encoding: str = "gb18030") -> Path:
    path = directory / "drop" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_lands_every_row_as_text_with_lineage(warehouse: Warehouse, tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a.csv",
        HEADER + "C001,北京华信科技有限公司,911101050000000001\nC002,上海远航物流有限公司,000000000000000002\n",
    )
    result = extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    assert (result.rows_read, result.rows_landed, result.rows_unparsed) == (2, 2, 0)
    rows = warehouse.fetch_all(
        'SELECT "客户编号", "客户名称", "统一社会信用代码", _source_file, _source_line, _batch_id '
        "FROM raw.crm__contacts ORDER BY _source_line"
    )
    assert [tuple(row[:5]) for row in rows] == [
        ("C001", "北京华信科技有限公司", "911101050000000001", "a.csv", 2),
        ("C002", "上海远航物流有限公司", "000000000000000002", "a.csv", 3),
    ]
    assert {row[5] for row in rows} == set(result.batch_ids)
    ledger = warehouse.fetch_all("SELECT rows_read, rows_landed, rows_unparsed, source_file FROM meta.batch")
    assert [tuple(row) for row in ledger] == [(2, 2, 0, "a.csv")]


def test_a_renamed_or_resent_file_is_not_landed_twice(warehouse: Warehouse, tmp_path: Path) -> None:
    text = HEADER + "C001,北京华信科技有限公司,911101050000000001\n"
    first = _write(tmp_path, "export_monday.csv", text)
    extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    first.rename(first.with_name("export_tuesday.csv"))
    again = extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    assert (again.rows_read, again.items_skipped, again.batch_ids) == (0, 1, [])
    assert warehouse.fetch_all("SELECT COUNT(*) FROM raw.crm__contacts")[0][0] == 1


def test_ragged_rows_are_quarantined_while_the_rest_lands(warehouse: Warehouse, tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a.csv",
        HEADER
        + "C001,北京华信科技有限公司,911101050000000001\n"
        + "C002,只有两列\n"
        + "C003,深圳鼎盛能源有限公司,91440305000000000X,多余\n"
        + "C004,杭州金桥贸易有限公司,913301060000000004\n",
    )
    result = extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    assert (result.rows_read, result.rows_landed, result.rows_unparsed) == (4, 2, 2)
    quarantined = warehouse.fetch_all(
        "SELECT source_file, source_line, reason, raw_text FROM quarantine.unparsed_row ORDER BY source_line"
    )
    assert [tuple(row) for row in quarantined] == [
        ("a.csv", 3, "expected 3 fields, found 2", "C002,只有两列"),
        ("a.csv", 4, "expected 3 fields, found 4", "C003,深圳鼎盛能源有限公司,91440305000000000X,多余"),
    ]
    landed = warehouse.fetch_all('SELECT "客户编号" FROM raw.crm__contacts ORDER BY 1')
    assert [row[0] for row in landed] == ["C001", "C004"]


def test_a_file_missing_a_mapped_column_is_refused_by_name(warehouse: Warehouse, tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", "客户编号,客户名称\nC001,北京华信科技有限公司\n")
    with pytest.raises(SourceError, match=rf"{path}: column\(s\) \['统一社会信用代码'\] named in sources.yml"):
        extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)


def test_undecodable_bytes_quarantine_their_row_only(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "drop" / "a.csv"
    path.parent.mkdir(parents=True)
    lines = [HEADER, "C001,北京华信科技有限公司,911101050000000001\n"]
    path.write_bytes("".join(lines).encode("utf-8") + b"C002,\xff\xfe broken,1\n" + "C003,成都,1\n".encode())
    result = extract_files(warehouse, "crm", "contacts", _entity("utf-8"), tmp_path)
    assert (result.rows_read, result.rows_landed, result.rows_unparsed) == (3, 2, 1)
    quarantined = warehouse.fetch_all("SELECT source_line, reason, raw_text FROM quarantine.unparsed_row")
    assert [tuple(row) for row in quarantined] == [(3, "bytes that are not valid utf-8", "C002,\\xff\\xfe broken,1")]


def test_wrong_encoding_for_the_whole_file_names_the_file(warehouse: Warehouse, tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", HEADER + "C001,北京华信科技有限公司,911101050000000001\n", encoding="gb18030")
    with pytest.raises(SourceError, match=rf"{path}: the header is not valid utf-8"):
        extract_files(warehouse, "crm", "contacts", _entity("utf-8"), tmp_path)


def test_a_crash_mid_file_leaves_no_partial_batch(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_bulk_insert
) -> None:
    rows = "".join(f"C{number:03d},公司{number},91110105000000{number:04d}\n" for number in range(10))
    _write(tmp_path, "a.csv", HEADER + rows)
    monkeypatch.setattr(files_connector, "CHUNK_ROWS", 3)
    real_bulk_insert = warehouse.bulk_insert
    crash_bulk_insert(warehouse, 3, RuntimeError("connection lost"))
    with pytest.raises(RuntimeError, match="connection lost"):
        extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    assert warehouse.fetch_all("SELECT COUNT(*) FROM meta.batch")[0][0] == 0
    assert (
        warehouse.fetch_all(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'crm__contacts'"
        )[0][0]
        == 0
    )

    monkeypatch.setattr(warehouse, "bulk_insert", real_bulk_insert)
    retried = extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    assert retried.rows_landed == 10
    assert warehouse.fetch_all("SELECT COUNT(*), COUNT(DISTINCT _row_hash) FROM raw.crm__contacts")[0] == (10, 10)


def test_utf8_with_byte_order_mark_reads_the_header(warehouse: Warehouse, tmp_path: Path) -> None:
    _write(tmp_path, "a.csv", "\ufeff" + HEADER + "C001,北京华信科技有限公司,911101050000000001\n", encoding="utf-8")
    result = extract_files(warehouse, "crm", "contacts", _entity("utf-8"), tmp_path)
    assert result.rows_landed == 1


def test_new_columns_in_a_later_file_are_added(warehouse: Warehouse, tmp_path: Path) -> None:
    _write(tmp_path, "a.csv", HEADER + "C001,北京华信科技有限公司,911101050000000001\n")
    extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    _write(tmp_path, "b.csv", HEADER.rstrip("\n") + ",客户经理\nC002,上海远航物流有限公司,913101150000000002,王芳\n")
    extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    rows = warehouse.fetch_all('SELECT "客户编号", "客户经理" FROM raw.crm__contacts ORDER BY 1')
    assert [tuple(row) for row in rows] == [("C001", None), ("C002", "王芳")]
    recorded = warehouse.fetch_all(
        "SELECT column_name, first_batch_id FROM meta.source_column ORDER BY first_seen_at, column_name"
    )
    batches = [row[0] for row in warehouse.fetch_all("SELECT batch_id FROM meta.batch ORDER BY extracted_at")]
    assert {row[0] for row in recorded} == {"客户编号", "客户名称", "统一社会信用代码", "客户经理"}
    assert dict((name, batch) for name, batch in recorded)["客户经理"] == batches[1]


def test_no_matching_file_is_an_error_naming_the_glob(warehouse: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"crm\.contacts: no file matches 'drop/\*\.csv'"):
        extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)


def test_exact_repeats_within_a_file_are_quarantined_once_landed(warehouse: Warehouse, tmp_path: Path) -> None:
    row = "C001,北京华信科技有限公司,911101050000000001\n"
    _write(tmp_path, "a.csv", HEADER + row + "C002,上海远航物流有限公司,913101150000000002\n" + row)
    result = extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    assert (result.rows_read, result.rows_landed, result.rows_unparsed) == (3, 2, 1)
    quarantined = warehouse.fetch_all("SELECT source_line, reason FROM quarantine.unparsed_row")
    assert [tuple(row) for row in quarantined] == [(4, "exact re-delivery of line 2")]


def test_json_lines_land_with_missing_keys_as_nulls_and_bad_lines_quarantined(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    lines = [
        '{"id": "CRM-1", "company": "深圳鼎盛能源有限公司", "credit_code": "914403050000000001", "score": 7}',
        '{"id": "CRM-2", "company": "Norvex (Shanghai) Trading Co., Ltd."}',
        "{not json",
        '["an", "array"]',
    ]
    path = tmp_path / "drop" / "contacts.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = extract_files(warehouse, "crm", "contacts", _jsonl_entity(), tmp_path)
    assert (result.rows_read, result.rows_landed, result.rows_unparsed) == (4, 2, 2)
    rows = warehouse.fetch_all(
        "SELECT id, company, credit_code, score, _source_line FROM raw.crm__contacts ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        ("CRM-1", "深圳鼎盛能源有限公司", "914403050000000001", "7", 1),
        ("CRM-2", "Norvex (Shanghai) Trading Co., Ltd.", None, None, 2),
    ]
    reasons = warehouse.fetch_all("SELECT source_line, reason FROM quarantine.unparsed_row ORDER BY source_line")
    assert [row[0] for row in reasons] == [3, 4]
    assert reasons[0][1].startswith("not valid JSON") and reasons[1][1] == "a JSON value that is not an object"


def test_an_excel_export_with_chinese_headers_is_onboarded_by_configuration(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户清单"
    sheet.append(["客户编号", "客户名称", "统一社会信用代码", "开户日期"])
    sheet.append(["C001", "北京华信科技有限公司", "911101050000000001", dt.datetime(2026, 3, 1)])
    sheet.append([1002, "上海远航物流有限公司", None, dt.date(2026, 4, 2)])
    sheet.append([None, None, None, None])
    (tmp_path / "drop").mkdir()
    workbook.save(tmp_path / "drop" / "customers.xlsx")
    entity = FileEntity(
        path="drop/*.xlsx",
        format="excel",
        sheet="客户清单",
        canonical="party",
        mapping={"source_id": "客户编号", "name": "客户名称", "uscc": "统一社会信用代码"},
    )
    result = extract_files(warehouse, "branch", "customers", entity, tmp_path)
    assert (result.rows_read, result.rows_landed) == (2, 2)
    rows = warehouse.fetch_all(
        'SELECT "客户编号", "统一社会信用代码", "开户日期", _source_line FROM raw.branch__customers ORDER BY 4'
    )
    assert [tuple(row) for row in rows] == [
        ("C001", "911101050000000001", "2026-03-01", 2),
        ("1002", None, "2026-04-02", 3),
    ]


def test_a_missing_excel_sheet_is_named(warehouse: Warehouse, tmp_path: Path) -> None:
    from openpyxl import Workbook

    (tmp_path / "drop").mkdir()
    Workbook().save(tmp_path / "drop" / "customers.xlsx")
    entity = FileEntity(path="drop/*.xlsx", format="excel", sheet="客户清单", canonical="none")
    with pytest.raises(SourceError, match=r"customers\.xlsx: no sheet '客户清单'"):
        extract_files(warehouse, "branch", "customers", entity, tmp_path)


def test_parquet_lands_in_bounded_chunks_with_every_value_as_text(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "drop").mkdir()
    table = pa.table(
        {
            "id": pa.array([110101199003070000 + n for n in range(7)], pa.int64()),
            "name": [f"公司{n}" for n in range(7)],
            "amount": pa.array([1.5] * 7),
        }
    )
    pq.write_table(table, tmp_path / "drop" / "parties.parquet")
    monkeypatch.setattr(files_connector, "CHUNK_ROWS", 3)
    entity = FileEntity(
        path="drop/*.parquet", format="parquet", canonical="party", mapping={"source_id": "id", "name": "name"}
    )
    result = extract_files(warehouse, "lake", "parties", entity, tmp_path)
    assert result.rows_landed == 7
    rows = warehouse.fetch_all("SELECT id, amount, _source_line FROM raw.lake__parties ORDER BY _source_line")
    assert tuple(rows[0]) == ("110101199003070000", "1.5", 1)
    assert tuple(rows[-1]) == ("110101199003070006", "1.5", 7)


def test_a_later_file_repeating_rows_lands_only_what_is_new(warehouse: Warehouse, tmp_path: Path) -> None:
    first = "C001,北京华信科技有限公司,911101050000000001\n"
    _write(tmp_path, "monday.csv", HEADER + first)
    extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    _write(tmp_path, "tuesday.csv", HEADER + first + "C002,上海远航物流有限公司,913101150000000002\n")
    result = extract_files(warehouse, "crm", "contacts", _entity(), tmp_path)
    assert (result.rows_read, result.rows_landed, result.rows_redelivered, result.rows_unparsed) == (2, 1, 1, 0)
    assert [row[0] for row in warehouse.fetch_all('SELECT "客户编号" FROM raw.crm__contacts ORDER BY 1')] == [
        "C001",
        "C002",
    ]

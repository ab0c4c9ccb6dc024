"""The sample bank: deterministic, true to its ground truth, loadable into real servers, served over HTTP."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from stdnum.cn import ric, uscc

from connectors.sql import driver_url
from silos.badrows import KINDS
from silos.generate import generate_silos
from silos.load import load_silo
from silos.serve import CrmApi


def _csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def _digests(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_the_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    generate_silos(tmp_path / "a", 150, seed=11)
    generate_silos(tmp_path / "b", 150, seed=11)
    generate_silos(tmp_path / "c", 150, seed=12)
    first, again, other = (_digests(tmp_path / name) for name in "abc")
    assert first == again
    assert len(first) == 11
    assert first["loan_origination.sqlite"] != other["loan_origination.sqlite"]


def test_every_party_record_is_in_the_ground_truth(generated_silos: Path) -> None:
    truth = {
        (row["source_system"], row["entity"], row["source_id"])
        for row in _csv(generated_silos / "truth" / "records.csv")
    }
    with sqlite3.connect(generated_silos / "loan_origination.sqlite") as los:
        borrowers = {
            ("loan_origination", "borrower", row[0]) for row in los.execute("SELECT borrower_id FROM borrower")
        }
        facilities = {
            ("loan_origination", "facility", row[0]) for row in los.execute("SELECT facility_id FROM facility")
        }
    with sqlite3.connect(generated_silos / "core_banking.sqlite") as core:
        customers = {("core_banking", "customer", row[0]) for row in core.execute("SELECT cust_no FROM customer")}
        accounts = {("core_banking", "account", row[0]) for row in core.execute("SELECT account_no FROM account")}
    contacts = {
        ("crm", "contacts", json.loads(line)["id"])
        for line in (generated_silos / "crm" / "contacts.jsonl").open(encoding="utf-8")
    }
    ratings = _csv(next((generated_silos / "risk").glob("ratings_*.csv")), encoding="gb18030")
    rated = {("risk", "ratings", row["评级编号"]) for row in ratings if row["评级编号"]}
    for records in (borrowers, facilities, customers, accounts, contacts, rated):
        assert records and records <= truth


def test_identifiers_carry_valid_checksums_except_the_listed_typos(generated_silos: Path) -> None:
    typos = {
        row["source_id"]
        for row in _csv(generated_silos / "manifest" / "bad_rows.csv")
        if row["kind"] == "invalid_checksum"
    }
    with sqlite3.connect(generated_silos / "loan_origination.sqlite") as los:
        for borrower_id, code, resident_id in los.execute("SELECT borrower_id, uscc, id_number FROM borrower"):
            assert (code is None or uscc.is_valid(code)) != (borrower_id in typos)
            assert resident_id is None or ric.is_valid(resident_id)
    with sqlite3.connect(generated_silos / "core_banking.sqlite") as core:
        for cust_no, cert_type, cert_no in core.execute("SELECT cust_no, cert_type, cert_no FROM customer"):
            valid = ric.is_valid(cert_no) if cert_type == "居民身份证" else uscc.is_valid(cert_no)
            assert valid != (cust_no in typos)


def test_the_bank_has_the_customers_and_hard_cases_matching_must_face(generated_silos: Path) -> None:
    customers = _csv(generated_silos / "truth" / "customers.csv")
    segments = Counter(row["segment"] for row in customers)
    assert {"micro", "small", "medium", "large", "multinational", "sole_proprietor", "high_net_worth"} <= set(segments)
    assert segments["medium"] + segments["small"] + segments["micro"] > segments["large"]
    assert all(row["english_name"] for row in customers if row["segment"] == "multinational")
    assert {row["lifecycle"] for row in customers} == {"prospect", "existing", "churned"}

    groups = _csv(generated_silos / "truth" / "groups.csv")
    by_key = {row["customer_key"]: row for row in customers}
    branches = [row for row in groups if row["relation"] == "branch"]
    assert branches
    for branch in branches:
        parent, member = by_key[branch["group_key"]], by_key[branch["customer_key"]]
        assert member["name"].startswith(parent["name"]) and member["name"].endswith("分公司")
        assert member["uscc"] != parent["uscc"], "a branch is its own legal entity"

    individuals = [row for row in customers if row["kind"] == "individual"]
    people = Counter(row["person"] for row in individuals)
    namesakes = [person for person, count in people.items() if count > 1]
    assert namesakes, "same-name individuals with different ID numbers"
    for person in namesakes:
        ids = [row["resident_id"] for row in individuals if row["person"] == person]
        assert len(set(ids)) == len(ids)


def test_the_manifest_lists_every_kind_of_bad_row_it_promises(generated_silos: Path) -> None:
    manifest = _csv(generated_silos / "manifest" / "bad_rows.csv")
    assert {row["kind"] for row in manifest} == set(KINDS)
    summary = json.loads((generated_silos / "silos.json").read_text(encoding="utf-8"))
    assert summary["bad_rows"] == dict(Counter(row["kind"] for row in manifest)) | {
        kind: 0 for kind in KINDS if kind not in {row["kind"] for row in manifest}
    }
    ratings_file = next((generated_silos / "risk").glob("ratings_*.csv"))
    lines = ratings_file.read_text(encoding="gb18030").splitlines()
    for bad in manifest:
        if bad["entity"] == "ratings":
            assert bad["source_id"] in lines[int(bad["line"]) - 1], bad


def test_the_watchlist_is_an_excel_sheet_with_chinese_headers(generated_silos: Path) -> None:
    workbook = load_workbook(next((generated_silos / "risk").glob("watchlist_*.xlsx")), read_only=True)
    rows = list(workbook["观察名单"].iter_rows(values_only=True))
    assert rows[0] == ("客户名称", "统一社会信用代码", "列入日期", "原因")
    assert len(rows) > 1


@pytest.mark.parametrize(("silo", "server"), [("loan_origination", "mariadb_url"), ("core_banking", "postgres_url")])
def test_sql_silos_load_into_real_servers_and_read_back(
    generated_silos: Path, silo: str, server: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(server)
    counts = load_silo(generated_silos, silo, url)
    expected = {
        key.split(".", 1)[1]: count
        for key, count in json.loads((generated_silos / "silos.json").read_text(encoding="utf-8"))["counts"].items()
        if key.startswith(silo + ".")
    }
    assert counts == expected
    engine = sa.create_engine(driver_url(url))
    with engine.connect() as conn, sqlite3.connect(generated_silos / f"{silo}.sqlite") as original:
        for table, count in expected.items():
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == count
        table, key, name = (
            ("borrower", "borrower_id", "borrower_name")
            if silo == "loan_origination"
            else ("customer", "cust_no", "cust_name")
        )
        loaded = dict(conn.execute(sa.text(f"SELECT {key}, {name} FROM {table}")).all())
        assert loaded == dict(original.execute(f"SELECT {key}, {name} FROM {table}").fetchall())
    engine.dispose()
    assert load_silo(generated_silos, silo, url) == expected, "loading again replaces, never duplicates"


@pytest.fixture
def crm_api(generated_silos: Path) -> Iterator[str]:
    server = CrmApi(("127.0.0.1", 0), generated_silos / "crm", token="test-token")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _get(url: str, token: str | None = "test-token") -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_crm_api_refuses_requests_without_the_token(crm_api: str) -> None:
    assert _get(f"{crm_api}/api/v1/contacts", token=None)[0] == 401
    assert _get(f"{crm_api}/api/v1/contacts", token="wrong")[0] == 401
    assert _get(f"{crm_api}/health", token=None) == (200, {"status": "ok"})


def test_the_crm_api_pages_through_every_record_once(crm_api: str, generated_silos: Path) -> None:
    served, cursor = [], None
    while True:
        status, page = _get(f"{crm_api}/api/v1/contacts?page_size=37" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200 and len(page["data"]) <= 37
        served.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    on_disk = [json.loads(line) for line in (generated_silos / "crm" / "contacts.jsonl").open(encoding="utf-8")]
    assert served == on_disk


def test_the_crm_api_filters_by_update_time_and_rejects_bad_input(crm_api: str) -> None:
    status, page = _get(f"{crm_api}/api/v1/interactions?page_size=1000&updated_since=2026-06-01T00:00:00%2B08:00")
    assert status == 200 and page["data"]
    assert all(record["updated_at"] >= "2026-06-01" for record in page["data"])
    assert _get(f"{crm_api}/api/v1/contacts?cursor=not-a-cursor")[0] == 400
    assert _get(f"{crm_api}/api/v1/contacts?page_size=0")[0] == 400
    assert _get(f"{crm_api}/api/v1/contacts?updated_since=2026-06-01")[0] == 400
    assert _get(f"{crm_api}/api/v1/accounts")[0] == 404


def test_the_data_dictionary_describes_every_column_of_the_sql_silos() -> None:
    from c360.settings import PROJECT_ROOT
    from silos.schema import DATABASES

    dictionary = (PROJECT_ROOT / "docs" / "silos.md").read_text(encoding="utf-8")
    for metadata in DATABASES.values():
        for table in metadata.sorted_tables:
            section = dictionary.split(f"### `{table.name}`", 1)
            assert len(section) == 2, table.name
            body = section[1].split("###", 1)[0]
            for column in table.columns:
                assert f"`{column.name}`" in body, f"{table.name}.{column.name}"

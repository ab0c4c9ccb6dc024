"""The ``c360`` command as a user runs it: the demo, and one-line errors for bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb

C360 = str(Path(sys.executable).with_name("c360"))


def _c360(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([C360, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _customers_line(output: str) -> str:
    match = re.search(r"^customers: (\d+) \((.*)\) in mart\.customer_360", output, re.MULTILINE)
    assert match, output
    return match.group(0)


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("c360: error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_demo_builds_the_customer_view_and_a_second_run_gives_the_same_counts(tmp_path: Path) -> None:
    first = _c360("demo", "--customers", "200", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    line = _customers_line(first.stdout)
    assert int(line.split()[1]) > 0
    with duckdb.connect(str(tmp_path / "demo" / "warehouse.duckdb"), read_only=True) as conn:
        [(rows,)] = conn.execute("SELECT COUNT(*) FROM mart.customer_360").fetchall()
    assert rows == int(line.split()[1])

    second = _c360("demo", "--customers", "200", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert _customers_line(second.stdout) == line

    status = _c360("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    for stage in ("extract", "standardize", "resolve", "segment"):
        assert stage in status.stdout
    assert "succeeded" in status.stdout

    evaluated = _c360("evaluate", "--truth", "demo/silos/truth/records.csv", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    figures = dict(re.findall(r"^pairwise (\w+) +([\d.]+)$", evaluated.stdout, re.MULTILINE))
    assert float(figures["precision"]) == 1.0
    assert float(figures["recall"]) >= 0.9


def test_a_broken_configuration_is_one_line_naming_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "sources.yml").write_text("sources:\n  crm:\n    kind: ftp\n    entities: {}\n", encoding="utf-8")
    result = _c360(
        "run", "--config-dir", str(config), "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}", cwd=tmp_path
    )
    _assert_one_line_error(result, "sources.yml", "sources.crm:", "'kind'")


def test_an_unreachable_warehouse_is_named_without_its_password(tmp_path: Path) -> None:
    result = _c360("status", "--warehouse", "postgresql://analyst:s3cret@127.0.0.1:1/c360", cwd=tmp_path)
    _assert_one_line_error(result, "cannot reach warehouse postgresql://analyst:***@127.0.0.1:1/c360")
    assert "s3cret" not in result.stderr


def test_a_file_that_cannot_be_read_is_named_and_nothing_is_half_written(tmp_path: Path) -> None:
    assert _c360("demo", "--customers", "50", cwd=tmp_path).returncode == 0
    broken = tmp_path / "demo" / "silos" / "risk" / "ratings_20260701.csv"
    broken.write_bytes(b"\x81\x30\xff,rating\n1,2\n")
    result = _c360("run", "--stage", "extract", "--source", "risk", cwd=tmp_path)
    _assert_one_line_error(result, str(Path("demo/silos/risk/ratings_20260701.csv")), "not valid gb18030")
    with duckdb.connect(str(tmp_path / "demo" / "warehouse.duckdb"), read_only=True) as conn:
        [(batches,)] = conn.execute(
            "SELECT COUNT(*) FROM meta.batch WHERE source_file = 'ratings_20260701.csv'"
        ).fetchall()
    assert batches == 0


def test_silos_generate_writes_the_bank_and_reports_counts(tmp_path: Path) -> None:
    result = _c360("silos", "generate", "--customers", "40", "--seed", "3", "--out", "bank", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "40 customers, seed 3" in result.stdout
    assert (tmp_path / "bank" / "loan_origination.sqlite").is_file()
    assert (tmp_path / "bank" / "manifest" / "bad_rows.csv").is_file()


def test_silos_load_without_a_target_is_refused(tmp_path: Path) -> None:
    _assert_one_line_error(_c360("silos", "load", "--dir", "bank", cwd=tmp_path), "--los-url or --core-url")


def test_an_invalid_business_date_is_refused(tmp_path: Path) -> None:
    result = _c360("status", "--as-of", "30/06/2026", cwd=tmp_path)
    _assert_one_line_error(result, "as_of")

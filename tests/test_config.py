"""The configuration a bank edits is validated, and errors name the file and key."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from c360.config import load_config
from c360.errors import ConfigError
from c360.segment_rules import load_segment_rules
from c360.settings import PROJECT_ROOT


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    return directory


def _edit(path: Path, change: Callable[[dict], object]) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _contacts(document: dict) -> dict:
    return document["sources"]["crm"]["entities"]["contacts"]


def test_shipped_configuration_is_valid() -> None:
    config = load_config(PROJECT_ROOT / "config")
    assert set(config.sources.sources) == {"loan_origination", "core_banking", "crm", "risk"}
    assert {entity.canonical for _, _, entity in config.sources.entities()} == {
        "party", "facility", "account", "interaction", "rating", "revenue", "repayment", "none",
    }  # fmt: skip
    assert load_segment_rules(PROJECT_ROOT / "config").version


def test_unknown_canonical_field_names_its_key(config_dir: Path) -> None:
    _edit(config_dir / "sources.yml", lambda doc: _contacts(doc)["mapping"].update(nickname="昵称"))
    with pytest.raises(ConfigError, match=r"sources\.yml: sources\.crm\.rest\.entities\.contacts: .*'nickname'"):
        load_config(config_dir)


def test_unmapped_required_field_is_refused(config_dir: Path) -> None:
    _edit(config_dir / "sources.yml", lambda doc: _contacts(doc)["mapping"].pop("name"))
    with pytest.raises(ConfigError, match=r"contacts: .*required party field\(s\) \['name'\] are not mapped"):
        load_config(config_dir)


def test_only_the_source_key_may_combine_several_columns(config_dir: Path) -> None:
    _edit(config_dir / "sources.yml", lambda doc: _contacts(doc)["mapping"].update(name=["company", "branch"]))
    with pytest.raises(ConfigError, match=r"contacts: .*only source_id may name several columns, not \['name'\]"):
        load_config(config_dir)


def test_a_composite_source_key_needs_its_columns_in_the_source(config_dir: Path) -> None:
    config = load_config(config_dir)
    income = config.sources.sources["core_banking"].entities["income"]
    assert income.mapping["source_id"] == ["account_no", "month"]
    assert income.source_columns[:2] == ["account_no", "month"]


def test_unknown_encoding_is_refused(config_dir: Path) -> None:
    _edit(
        config_dir / "sources.yml", lambda doc: doc["sources"]["risk"]["entities"]["ratings"].update(encoding="klingon")
    )
    with pytest.raises(ConfigError, match=r"ratings\.encoding: .*unknown encoding 'klingon'"):
        load_config(config_dir)


def test_misspelt_key_is_refused(config_dir: Path) -> None:
    _edit(
        config_dir / "sources.yml",
        lambda doc: doc["sources"]["loan_origination"]["entities"]["borrowers"].update(cursr="x"),
    )
    with pytest.raises(ConfigError, match=r"sources\.loan_origination\.sql\.entities\.borrowers\.cursr: Extra inputs"):
        load_config(config_dir)


def test_an_unknown_pagination_style_is_refused(config_dir: Path) -> None:
    _edit(config_dir / "sources.yml", lambda doc: _contacts(doc)["pagination"].update(style="link-header"))
    with pytest.raises(ConfigError, match=r"contacts\.pagination: Input tag 'link-header'"):
        load_config(config_dir)


def test_credentials_in_an_api_url_are_refused(config_dir: Path) -> None:
    _edit(config_dir / "sources.yml", lambda doc: doc["sources"]["crm"].update(default_url="http://:tok3n@crm:8765"))
    with pytest.raises(ConfigError, match=r"crm\.rest\.default_url: .*must not hold credentials") as caught:
        load_config(config_dir)
    assert "tok3n" not in str(caught.value)


def test_unknown_source_kind_is_refused(config_dir: Path) -> None:
    _edit(config_dir / "sources.yml", lambda doc: doc["sources"]["crm"].update(kind="ftp"))
    with pytest.raises(ConfigError, match=r"sources\.crm: Input tag 'ftp' .* does not match any of the expected tags"):
        load_config(config_dir)


def test_a_password_in_a_default_url_is_refused(config_dir: Path) -> None:
    _edit(
        config_dir / "sources.yml",
        lambda doc: doc["sources"]["core_banking"].update(default_url="postgresql://core:hunter2@db/core"),
    )
    with pytest.raises(ConfigError, match=r"core_banking\.sql\.default_url: .*must not hold a password") as caught:
        load_config(config_dir)
    assert "hunter2" not in str(caught.value)


def test_table_and_column_names_must_be_plain_identifiers(config_dir: Path) -> None:
    _edit(
        config_dir / "sources.yml",
        lambda doc: doc["sources"]["loan_origination"]["entities"]["borrowers"].update(table="borrower; DROP TABLE x"),
    )
    with pytest.raises(ConfigError, match=r"borrowers\.table: String should match pattern"):
        load_config(config_dir)


def test_source_name_must_be_a_safe_identifier(config_dir: Path) -> None:
    _edit(config_dir / "sources.yml", lambda doc: doc["sources"].update({"Bad-Name": doc["sources"]["crm"]}))
    with pytest.raises(ConfigError, match=r"sources\.Bad-Name"):
        load_config(config_dir)


def test_priority_must_name_configured_sources(config_dir: Path) -> None:
    _edit(config_dir / "matching.yml", lambda doc: doc["survivorship"]["source_priority"].append("treasury"))
    with pytest.raises(ConfigError, match=r"source_priority names unknown source\(s\) \['treasury'\]"):
        load_config(config_dir)


def test_missing_file_is_named(config_dir: Path) -> None:
    (config_dir / "matching.yml").unlink()
    with pytest.raises(ConfigError, match=r"matching\.yml: file not found"):
        load_config(config_dir)


def test_broken_yaml_is_named(config_dir: Path) -> None:
    (config_dir / "segments.yml").write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"segments\.yml: not valid YAML"):
        load_segment_rules(config_dir)


def test_broken_segment_rules_do_not_stop_ingestion(config_dir: Path) -> None:
    (config_dir / "segments.yml").write_text("version: [unclosed\n", encoding="utf-8")
    assert load_config(config_dir).sources.sources


def test_churn_period_must_be_positive(config_dir: Path) -> None:
    _edit(config_dir / "segments.yml", lambda doc: doc["lifecycle"].update(churn_after_days=0))
    with pytest.raises(ConfigError, match=r"lifecycle\.churn_after_days: Input should be greater than 0"):
        load_segment_rules(config_dir)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda doc: doc["relationship_model"]["strategic_when"].append({"risk_grade": ["AAA+"]}),
            r"relationship_model\.strategic_when\[4\]\.risk_grade: unknown segment\(s\) \['AAA\+'\]",
        ),
        (
            lambda doc: doc["relationship_model"]["strategic_when"].append({"colour": ["blue"]}),
            r"relationship_model\.strategic_when\[4\]\.colour: unknown dimension",
        ),
        (
            lambda doc: doc["strategy"].update(contribution_tier={"gold": {"service_team": "Gold desk"}}),
            r"strategy\.contribution_tier: unknown segment\(s\) \['gold'\]",
        ),
        (
            lambda doc: doc["contribution_tier"]["tiers"].pop(),
            r"contribution_tier: Value error, the last tier's up_to must be 1",
        ),
        (
            lambda doc: doc["risk_grade"]["master_scale"].pop("BB"),
            r"risk_grade: Value error, master_scale needs every grade; missing \['BB'\]",
        ),
        (
            lambda doc: doc["customer_type"]["sizes"]["retail"].update(industries=["F51"]),
            r"customer_type: Value error, sizes lists industries \['F51'\] more than once",
        ),
        (
            lambda doc: doc["customer_type"]["sizes"]["other"]["large"].update(headcount=300),
            r"customer_type\.sizes\.other\.large\.headcount: Extra inputs are not permitted",
        ),
    ],
)
def test_segment_rules_are_refused_with_the_key_at_fault(
    config_dir: Path, change: Callable[[dict], object], message: str
) -> None:
    _edit(config_dir / "segments.yml", change)
    with pytest.raises(ConfigError, match=r"segments\.yml: .*" + message):
        load_segment_rules(config_dir)

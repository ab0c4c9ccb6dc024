"""The configuration a bank edits: sources, matching and segment rules.

Each YAML file is validated with pydantic when it is read; any problem ends in a
``ConfigError`` that names the file and the offending key, so a data engineer can fix
it without reading code.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from c360.errors import ConfigError

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,29}$")]
"""A name that becomes part of a warehouse table name: lower-case, digits, underscores."""

PARTY_FIELDS = {
    "source_id": "the record's key in its source system",
    "name": "company or person name",
    "uscc": "unified social credit code (统一社会信用代码)",
    "phone": "phone number",
    "address": "registered or contact address",
    "industry_code": "GB/T 4754 industry code",
    "relationship_status": "active or closed, for customers",
    "last_activity_date": "date of the last transaction or contact",
}
REQUIRED_PARTY_FIELDS = ("source_id", "name")

ModelT = TypeVar("ModelT", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileEntity(_Strict):
    """One kind of export a source drops as files, mapped to canonical party fields."""

    path: str = Field(description="glob, relative to the silos directory")
    format: Literal["csv"] = "csv"
    encoding: str = "utf-8"
    delimiter: str = Field(",", min_length=1, max_length=1)
    canonical: Literal["party"] = "party"
    relationship: Literal["customer", "lead"]
    mapping: dict[str, str]

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc
        return value

    @field_validator("mapping")
    @classmethod
    def _canonical_fields(cls, mapping: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(mapping) - set(PARTY_FIELDS))
        if unknown:
            raise ValueError(f"unknown canonical field(s) {unknown}; known: {sorted(PARTY_FIELDS)}")
        missing = [field for field in REQUIRED_PARTY_FIELDS if field not in mapping]
        if missing:
            raise ValueError(f"required canonical field(s) {missing} are not mapped")
        return mapping


class Source(_Strict):
    """A department system and the entities it delivers."""

    kind: Literal["files"]
    description: str = ""
    entities: dict[Identifier, FileEntity] = Field(min_length=1)


class SourcesConfig(_Strict):
    """``config/sources.yml``: every department system the platform reads."""

    sources: dict[Identifier, Source] = Field(min_length=1)


class Survivorship(_Strict):
    source_priority: list[Identifier] = Field(min_length=1)


class MatchingConfig(_Strict):
    """``config/matching.yml``: how records become golden customers."""

    survivorship: Survivorship


class LifecycleRules(_Strict):
    churn_after_days: PositiveInt = Field(
        description="a customer with everything closed and no activity for this long is churned"
    )


class SegmentRules(_Strict):
    """``config/segments.yml``: the segment rules, versioned so history can cite them."""

    version: str = Field(min_length=1)
    lifecycle: LifecycleRules


class Config(_Strict):
    """All configuration, cross-checked."""

    sources: SourcesConfig
    matching: MatchingConfig
    segments: SegmentRules

    @model_validator(mode="after")
    def _priority_names_sources(self) -> Config:
        unknown = [name for name in self.matching.survivorship.source_priority if name not in self.sources.sources]
        if unknown:
            raise ConfigError(
                f"matching.yml: survivorship.source_priority names unknown source(s) {unknown}; "
                f"sources.yml declares {sorted(self.sources.sources)}"
            )
        return self


def load_config(config_dir: Path) -> Config:
    """Read and validate every configuration file in ``config_dir``."""
    return Config(
        sources=load_yaml(config_dir / "sources.yml", SourcesConfig),
        matching=load_yaml(config_dir / "matching.yml", MatchingConfig),
        segments=load_yaml(config_dir / "segments.yml", SegmentRules),
    )


def load_yaml(path: Path, model: type[ModelT]) -> ModelT:
    """Parse one YAML file into ``model``, turning every failure into a ``ConfigError``."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        return model.model_validate(document if document is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the dotted key path."""
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problems.append(f"{key}: {error['msg']}")
    return "; ".join(problems)

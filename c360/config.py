"""The configuration a bank edits: sources and matching (segment rules: ``c360.segment_rules``).

Each YAML file is validated with pydantic when it is read; any problem ends in a
``ConfigError`` that names the file and the offending key, so a data engineer can fix
it without reading code.
"""

from __future__ import annotations

import codecs
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from c360.canonical import ENTITIES
from c360.errors import ConfigError

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,29}$")]
"""A name that becomes part of a warehouse table name: lower-case, digits, underscores."""

ModelT = TypeVar("ModelT", bound=BaseModel)
CanonicalName = Literal["party", "facility", "account", "interaction", "rating", "revenue", "repayment", "none"]
ColumnName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
TableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuarantineLimit(StrictModel):
    """When a batch is bad enough to stop as a whole rather than quarantine row by row.

    A batch stops when more than ``share`` of its rows fail a critical expectation and at
    least ``min_rows`` do: a format change upstream should halt the load, not quietly
    send every row to quarantine; a few bad rows in a small batch should not.
    """

    share: float = Field(0.2, gt=0, le=1, description="largest share of a batch's rows that may be quarantined")
    min_rows: PositiveInt = Field(20, description="quarantined rows below which a batch never stops")


class _Entity(StrictModel):
    """What every entity declares: the canonical entity it feeds and how its columns map."""

    canonical: CanonicalName
    mapping: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="canonical field: source column; source_id may list several columns (a composite key)",
    )
    quarantine_limit: QuarantineLimit = Field(default_factory=QuarantineLimit)

    @property
    def source_columns(self) -> list[str]:
        """Every source column the mapping names, once each, in mapping order."""
        columns = (
            column for value in self.mapping.values() for column in ([value] if isinstance(value, str) else value)
        )
        return list(dict.fromkeys(columns))

    @model_validator(mode="after")
    def _mapping_fits_canonical_entity(self) -> _Entity:
        if self.canonical == "none":
            if self.mapping:
                raise ValueError("an entity with canonical: none is only landed, so it takes no mapping")
            return self
        entity = ENTITIES[self.canonical]
        unknown = sorted(set(self.mapping) - set(entity.field_names))
        if unknown:
            raise ValueError(f"mapping: unknown {self.canonical} field(s) {unknown}; known: {list(entity.field_names)}")
        missing = [name for name in entity.required if name not in self.mapping]
        if missing:
            raise ValueError(f"mapping: required {self.canonical} field(s) {missing} are not mapped")
        listed = sorted(
            name for name, value in self.mapping.items() if not isinstance(value, str) and name != "source_id"
        )
        if listed:
            raise ValueError(f"mapping: only source_id may name several columns, not {listed}")
        if any(not isinstance(value, str) and not value for value in self.mapping.values()):
            raise ValueError("mapping: source_id names no column")
        return self


class FileEntity(_Entity):
    """One kind of export a source drops as files."""

    path: str = Field(description="glob, relative to the silos directory")
    format: Literal["csv", "jsonl", "excel", "parquet"] = "csv"
    encoding: str = Field("utf-8", description="csv and jsonl")
    delimiter: str = Field(",", min_length=1, max_length=1, description="csv")
    sheet: str | None = Field(None, description="excel: the sheet to read; the first one when unset")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc
        return value


class SqlEntity(_Entity):
    """One table of a source database, read incrementally by cursor column and key."""

    table: TableName
    key: ColumnName = Field(description="primary key; breaks ties between rows with the same cursor value")
    cursor: ColumnName = Field(description="a column that grows when a row is inserted or changed, e.g. updated_at")
    batch_rows: PositiveInt = Field(
        2 * 122_880,
        description="rows per batch; each batch commits with its watermark. The default is two DuckDB row groups:"
        " a DuckDB warehouse writes whole row groups straight to its file instead of through its log, and"
        " converts and stores the two in parallel (a million rows: 1.0 s against 2.0 s with one)",
    )
    lookback_seconds: NonNegativeInt = Field(
        0, description="re-read this far behind the watermark, for rows committed late with an older cursor value"
    )


class FileSource(StrictModel):
    """A department that drops files in a folder."""

    kind: Literal["files"]
    description: str = ""
    entities: dict[Identifier, FileEntity] = Field(min_length=1)


class SqlSource(StrictModel):
    """A department system whose database the platform reads."""

    kind: Literal["sql"]
    description: str = ""
    default_url: str | None = Field(
        None,
        description="used when neither C360_SOURCE_<NAME>_URL nor the Airflow connection c360_source_<name> is set; "
        "sqlite paths are relative to the silos directory; never holds a password",
    )
    timezone: str = Field("UTC", description="zone of the source's timestamps that carry none, e.g. Asia/Shanghai")
    entities: dict[Identifier, SqlEntity] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from None
        return value

    @field_validator("default_url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value and re.search(r"://[^/@]*:[^/@]*@", value):
            raise ValueError("must not hold a password; put the URL in C360_SOURCE_<NAME>_URL or an Airflow connection")
        return value


class CursorPagination(StrictModel):
    """The API hands out a token for the next page (``next_cursor``); null on the last page."""

    style: Literal["cursor"]
    cursor_param: str = "cursor"
    next_field: str = "next_cursor"
    page_size_param: str = "page_size"
    page_size: PositiveInt = 500


class PagePagination(StrictModel):
    """Numbered pages from ``first_page``; a short or empty page is the last."""

    style: Literal["page"]
    page_param: str = "page"
    first_page: int = 1
    page_size_param: str = "page_size"
    page_size: PositiveInt = 500


class OffsetPagination(StrictModel):
    """Records from an offset; a short or empty page is the last."""

    style: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: PositiveInt = 500


Pagination = Annotated[CursorPagination | PagePagination | OffsetPagination, Field(discriminator="style")]


class Incremental(StrictModel):
    """Ask only for records changed since the latest ``field`` value already landed."""

    param: str = Field(description="query parameter the API filters on, e.g. updated_since")
    field: str = Field(description="record field holding the change time, e.g. updated_at")


class RestEntity(_Entity):
    """One paginated collection of a JSON API."""

    path: str = Field(pattern=r"^/", description="path under the source's URL, e.g. /api/v1/contacts")
    records: str = Field("data", description="key of the page's JSON object that holds the records")
    pagination: Pagination
    incremental: Incremental | None = None


class RestSource(StrictModel):
    """A department system reached through its JSON API."""

    kind: Literal["rest"]
    description: str = ""
    default_url: str | None = Field(
        None,
        description="used when neither C360_SOURCE_<NAME>_URL nor the Airflow connection c360_source_<name> is set",
    )
    auth: Literal["bearer", "none"] = "bearer"
    timeout_seconds: PositiveFloat = 30.0
    max_retry_seconds: PositiveFloat = Field(
        300.0, description="give up once retries of one request have taken this long"
    )
    entities: dict[Identifier, RestEntity] = Field(min_length=1)

    @field_validator("default_url")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        if value and re.search(r"://[^/@]*@", value):
            raise ValueError(
                "must not hold credentials; the token comes from C360_SOURCE_<NAME>_TOKEN or an Airflow connection"
            )
        return value


Source = Annotated[FileSource | SqlSource | RestSource, Field(discriminator="kind")]


class SourcesConfig(StrictModel):
    """``config/sources.yml``: every department system the platform reads."""

    sources: dict[Identifier, Source] = Field(min_length=1)

    def entities(self) -> list[tuple[str, str, FileEntity | SqlEntity | RestEntity]]:
        """Every (source, entity, configuration), in file order."""
        return [
            (name, entity_name, entity)
            for name, source in self.sources.items()
            for entity_name, entity in source.entities.items()
        ]


GOLDEN_ATTRIBUTES = ("name", "uscc", "phone", "email", "address", "legal_representative", "industry_code")
"""Attributes of the golden record, each chosen among a customer's records by its survivorship rule."""

SurvivorshipRule = Literal["priority", "recency", "completeness"]


class Survivorship(StrictModel):
    """How each golden attribute is chosen among the records that hold a value for it.

    ``priority``: the first source in ``source_priority``, then the newest record;
    ``recency``: the newest record, then priority; ``completeness``: the longest value,
    then priority. Attributes not listed use ``priority``.
    """

    source_priority: list[Identifier] = Field(min_length=1)
    attributes: dict[Literal[GOLDEN_ATTRIBUTES], SurvivorshipRule] = Field(default_factory=dict)  # type: ignore[valid-type]

    def rule(self, attribute: str) -> SurvivorshipRule:
        return self.attributes.get(attribute, "priority")


class Probabilistic(StrictModel):
    """Splink's part: pairs scored at least this likely to match are linked."""

    enabled: bool = True
    match_probability: float = Field(0.9, gt=0, lt=1, description="link pairs at or above this match probability")
    review_probability: float = Field(
        0.5, gt=0, lt=1, description="pairs from this probability up to match_probability go to the review queue"
    )
    retrain_when_records_change_by: float = Field(
        0.25,
        gt=0,
        description="train a new model version when the staged records grew or shrank by more than this share",
    )

    @model_validator(mode="after")
    def _review_band_below_links(self) -> Probabilistic:
        if self.review_probability >= self.match_probability:
            raise ValueError("review_probability must be below match_probability")
        return self


class MatchingConfig(StrictModel):
    """``config/matching.yml``: how records become golden customers."""

    survivorship: Survivorship
    probabilistic: Probabilistic = Field(default_factory=Probabilistic)


class Config(StrictModel):
    """Sources and matching, cross-checked. Segment rules load on their own
    (``c360.segment_rules``), so a broken rules file never stops ingestion."""

    sources: SourcesConfig
    matching: MatchingConfig

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

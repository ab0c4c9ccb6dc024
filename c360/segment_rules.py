"""``config/segments.yml``: the segment rules a bank edits, validated before any run uses them.

Every rule that names a segment value is checked against the values its dimension can
take, so a typo (``strategic_when: [{lifecycle: [existng]}]``) is refused with the key
that holds it, not silently matched by nobody. The rules carry a version; history rows
cite it, so a rules change shows up as migrations rather than as rewritten history.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, StringConstraints, model_validator

from c360.config import Identifier, StrictModel, load_yaml
from transforms.standardize.industry import SECTIONS

GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
"""Risk grades, best first; an internal rating's modifier (AA+, AA-) folds into its grade."""

Grade = Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC"]
Section = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
IndustryPrefix = Annotated[str, StringConstraints(pattern=r"^[A-T](\d{1,4})?$")]

SIZE_CLASSES = ("large", "medium", "small")
"""Enterprise size classes a threshold row can name, largest first; below small is micro."""

CUSTOMER_SIZES = (
    "micro", "small", "medium", "large", "multinational",
    "sole_proprietor", "high_net_worth", "individual_other", "unknown",
)  # fmt: skip
"""Enterprise sizes (micro, small and medium make SME), then the kinds of individual."""

DIMENSIONS = (
    "risk_grade",
    "contribution_tier",
    "industry",
    "needs_tier",
    "lifecycle",
    "customer_type",
    "customer_size",
    "relationship_model",
)
"""Every segment dimension, in the order the mart and the history list them."""


class RiskGradeRules(StrictModel):
    """The latest internal rating decides; without one, the PD through the master scale."""

    policy: Literal["latest", "most_conservative"] = Field(
        "most_conservative",
        description="with several current ratings: the latest one, or the worst of them",
    )
    rating_valid_days: PositiveInt = Field(730, description="a rating older than this on the as-of date is not used")
    master_scale: dict[Grade, PositiveFloat] = Field(
        description="per grade, the highest one-year PD it admits (inclusive)"
    )

    @model_validator(mode="after")
    def _scale_covers_every_grade_in_order(self) -> RiskGradeRules:
        missing = [grade for grade in GRADES if grade not in self.master_scale]
        if missing:
            raise ValueError(f"master_scale needs every grade; missing {missing}")
        bounds = [self.master_scale[grade] for grade in GRADES]
        if any(low >= high for low, high in itertools.pairwise(bounds)):
            raise ValueError(f"master_scale PD bounds must rise from AAA to CCC; got {self.master_scale}")
        if bounds[-1] != 1:
            raise ValueError("master_scale.CCC must be 1, so that every PD has a grade")
        return self


class ContributionTier(StrictModel):
    name: Identifier
    up_to: float = Field(gt=0, le=1, description="cumulative share (of revenue or of customers) the tier reaches")


class ContributionRules(StrictModel):
    """Tiers of trailing interest plus fee income, by cumulative share of revenue or of customers."""

    method: Literal["share_of_revenue", "quantile"]
    tiers: list[ContributionTier] = Field(min_length=1)
    no_revenue: Identifier = Field("none", description="tier of customers with no revenue in the window")

    @model_validator(mode="after")
    def _tiers_rise_to_one(self) -> ContributionRules:
        names = [tier.name for tier in self.tiers] + [self.no_revenue]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must differ (no_revenue included); got {names}")
        cuts = [tier.up_to for tier in self.tiers]
        if any(low >= high for low, high in itertools.pairwise(cuts)):
            raise ValueError(f"tiers' up_to must rise; got {cuts}")
        if cuts[-1] != 1:
            raise ValueError("the last tier's up_to must be 1, so that every earning customer has a tier")
        return self

    @property
    def tier_names(self) -> tuple[str, ...]:
        return (*(tier.name for tier in self.tiers), self.no_revenue)


class IndustryRules(StrictModel):
    notes: dict[Section, str] = Field(default_factory=dict, description="strategy note per GB/T 4754 section")


class NeedsRules(StrictModel):
    """Premium needs when any one criterion holds; basic otherwise."""

    exposure_at_least: NonNegativeFloat | None = Field(None, description="active facilities, home currency")
    products_at_least: PositiveInt | None = Field(None, description="distinct active products")
    bespoke_products: list[str] = Field(default_factory=list, description="any of these makes needs premium")
    high_net_worth: bool = Field(True, description="a high-net-worth individual has premium needs")


class LifecycleRules(StrictModel):
    churn_after_days: PositiveInt = Field(
        description="a customer with everything closed and no activity for this long is churned"
    )


class SizeThresholds(StrictModel):
    """The least of each measure a class needs; a measure left out does not count for the class."""

    employees: NonNegativeFloat | None = None
    annual_revenue: NonNegativeFloat | None = None
    total_assets: NonNegativeFloat | None = None

    @model_validator(mode="after")
    def _some_measure(self) -> SizeThresholds:
        if self.employees is None and self.annual_revenue is None and self.total_assets is None:
            raise ValueError("give at least one of employees, annual_revenue, total_assets")
        return self


class IndustrySizeStandard(StrictModel):
    """One industry's line of the size standard: the least a large, medium and small enterprise has."""

    industries: list[IndustryPrefix] = Field(
        default_factory=list, description="GB/T 4754 sections or code prefixes; empty for every other industry"
    )
    large: SizeThresholds
    medium: SizeThresholds
    small: SizeThresholds


class CustomerTypeRules(StrictModel):
    """Individual or enterprise, and the size class within each."""

    high_net_worth_deposits: PositiveFloat = Field(
        description="an individual with at least this in active deposits (home currency) is high-net-worth"
    )
    multinational_if_foreign_currency: bool = Field(
        True, description="an enterprise with facilities or accounts in a foreign currency is multinational"
    )
    size_standard: str = Field(min_length=1, description="the name of the size standard, quoted in reasons")
    sizes: dict[Identifier, IndustrySizeStandard] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_catch_all(self) -> CustomerTypeRules:
        catch_all = [name for name, line in self.sizes.items() if not line.industries]
        if len(catch_all) != 1:
            raise ValueError(f"sizes needs exactly one entry without industries (the rest); got {catch_all}")
        prefixes = [prefix for line in self.sizes.values() for prefix in line.industries]
        repeated = sorted({prefix for prefix in prefixes if prefixes.count(prefix) > 1})
        if repeated:
            raise ValueError(f"sizes lists industries {repeated} more than once")
        return self


class StrategyEntry(StrictModel):
    service_team: str | None = None
    review_frequency: Literal["monthly", "quarterly", "semiannual", "annual"] | None = None
    pricing_spread_bps: int | None = Field(None, description="spread over the base rate, in basis points")
    note: str | None = None


class SegmentRules(StrictModel):
    """``config/segments.yml`` as a whole, cross-checked."""

    version: str = Field(min_length=1, description="bump whenever a rule changes; history cites it")
    home_currency: Currency = "CNY"
    exchange_rates: dict[Currency, PositiveFloat] = Field(
        default_factory=dict, description="home-currency units per unit of each other currency"
    )
    trailing_months: PositiveInt = Field(12, description="window of revenue and days past due")
    loan_account_products: list[str] = Field(
        default_factory=lambda: ["loan"], description="account products that are loans; the rest are deposits"
    )
    risk_grade: RiskGradeRules
    contribution_tier: ContributionRules
    industry: IndustryRules = Field(default_factory=IndustryRules)
    needs_tier: NeedsRules
    lifecycle: LifecycleRules
    customer_type: CustomerTypeRules
    relationship_model: RelationshipRules
    strategy: dict[str, dict[str, StrategyEntry]] = Field(default_factory=dict)

    def values(self, dimension: str) -> tuple[str, ...]:
        """Every segment ``dimension`` can take under these rules."""
        return {
            "risk_grade": (*GRADES, "unrated"),
            "contribution_tier": self.contribution_tier.tier_names,
            "industry": (*(section.letter for section in SECTIONS), "unknown"),
            "needs_tier": ("basic", "premium"),
            "lifecycle": ("prospect", "existing", "churned"),
            "customer_type": ("enterprise", "individual", "unknown"),
            "customer_size": CUSTOMER_SIZES,
            "relationship_model": ("strategic", "transactional"),
        }[dimension]

    @model_validator(mode="after")
    def _named_segments_exist(self) -> SegmentRules:
        for number, rule in enumerate(self.relationship_model.strategic_when, start=1):
            for dimension, segments in rule.items():
                self._check_segments(f"relationship_model.strategic_when[{number}].{dimension}", dimension, segments)
        for dimension, entries in self.strategy.items():
            self._check_segments(f"strategy.{dimension}", dimension, list(entries))
        return self

    def _check_segments(self, key: str, dimension: str, segments: list[str]) -> None:
        if dimension not in DIMENSIONS:
            raise ValueError(f"{key}: unknown dimension; use one of {list(DIMENSIONS)}")
        unknown = [segment for segment in segments if segment not in self.values(dimension)]
        if unknown:
            raise ValueError(f"{key}: unknown segment(s) {unknown}; {dimension} takes {list(self.values(dimension))}")


class RelationshipRules(StrictModel):
    """Strategic when any one rule holds (every dimension it names has one of the listed segments)."""

    strategic_when: list[dict[str, list[str]]] = Field(min_length=1)

    @model_validator(mode="after")
    def _rules_not_empty(self) -> RelationshipRules:
        for number, rule in enumerate(self.strategic_when, start=1):
            if not rule or any(not segments for segments in rule.values()):
                raise ValueError(f"strategic_when[{number}] needs at least one dimension with segments")
            if "relationship_model" in rule:
                raise ValueError(f"strategic_when[{number}] cannot depend on relationship_model itself")
        return self


SegmentRules.model_rebuild()


def load_segment_rules(config_dir: Path) -> SegmentRules:
    """Read and validate ``segments.yml``; a ``ConfigError`` names the file and key when it is wrong."""
    return load_yaml(config_dir / "segments.yml", SegmentRules)

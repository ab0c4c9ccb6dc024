"""Which segment rules a run uses: the file's, or the last good ones when the file is refused.

Every version a run used is kept in ``meta.segment_rules``. A rules file that does not
validate, or that reuses a kept version number for different rules, is refused; the
newest kept version then stays in force and the refusal is reported to the caller.
"""

from __future__ import annotations

from pathlib import Path

from c360.errors import ConfigError
from c360.segment_rules import SegmentRules, load_segment_rules
from warehouse import Warehouse


def rules_in_force(warehouse: Warehouse, config_dir: Path) -> tuple[SegmentRules, ConfigError | None]:
    """The rules to run with, and why the file was refused (None when it was not).

    With nothing kept yet, a refused file is an error: there are no good rules to keep.
    """
    try:
        rules = load_segment_rules(config_dir)
        _refuse_reused_version(warehouse, rules, config_dir)
        return rules, None
    except ConfigError as refusal:
        kept = warehouse.fetch_all(
            "SELECT rules FROM meta.segment_rules ORDER BY first_used_at DESC, rules_version DESC LIMIT 1"
        )
        if not kept:
            raise
        return SegmentRules.model_validate_json(kept[0][0]), refusal


def _refuse_reused_version(warehouse: Warehouse, rules: SegmentRules, config_dir: Path) -> None:
    kept = warehouse.fetch_all(
        "SELECT rules FROM meta.segment_rules WHERE rules_version = :version", {"version": rules.version}
    )
    if kept and SegmentRules.model_validate_json(kept[0][0]) != rules:
        raise ConfigError(
            f"{config_dir / 'segments.yml'}: version: {rules.version!r} was already used with different rules;"
            " give changed rules a new version"
        )

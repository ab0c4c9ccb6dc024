"""Bad rows injected on purpose, at a documented rate, and the manifest that lists them."""

from __future__ import annotations

from dataclasses import dataclass

BAD_ROW_EVERY = 211
"""After the first few, one eligible row in 211 (about 0.47 %) of each bad-row target is spoiled."""

KINDS = {
    "invalid_date": "a date that is not a calendar date (2026-02-30) or not a date at all",
    "negative_amount": "a facility amount below zero",
    "out_of_scale_rating": "an internal rating outside AAA…CCC (AAAA, D+)",
    "unparseable_number": "a number written so it cannot be parsed (n/a, 0,35%, 约500万)",
    "broken_quoting": "a CSV field with a stray double quote inside a quoted field",
    "ragged_row": "a CSV row with one field more than the header",
    "exact_redelivery": "a record delivered twice, byte for byte",
    "invalid_checksum": "a credit code or ID number with a mistyped last character (kept, flagged, never a match key)",
}


@dataclass(frozen=True)
class BadRow:
    """One spoiled record: where it is and what is wrong with it."""

    system: str
    entity: str
    file: str
    source_id: str
    line: int | None
    kind: str
    detail: str

    FIELDS = ("system", "entity", "file", "source_id", "line", "kind", "detail")

    def as_row(self) -> list[str]:
        return [
            self.system,
            self.entity,
            self.file,
            self.source_id,
            "" if self.line is None else str(self.line),
            self.kind,
            self.detail,
        ]


class Injector:
    """Decides, row by row, which eligible rows of one target to spoil and how.

    The first rows of every target carry one of each kind, so even a tiny sample has
    them all; after that, one row in :data:`BAD_ROW_EVERY`, cycling through the kinds.
    """

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        self.seen = 0

    def pick(self) -> str | None:
        self.seen += 1
        if self.seen <= 3 * len(self.kinds):
            return self.kinds[self.seen // 3] if self.seen % 3 == 2 else None
        if self.seen % BAD_ROW_EVERY == 0:
            return self.kinds[(self.seen // BAD_ROW_EVERY) % len(self.kinds)]
        return None

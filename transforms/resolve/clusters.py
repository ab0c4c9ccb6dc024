"""Guarded clustering: links applied strongest first, each refused when it would put in one
customer what cannot be one.

A link is refused when it would put in one cluster two different valid credit codes, two
different valid ID numbers, a branch and a non-branch, two records a steward said are not
one customer, or (for a probabilistic link) names registered in different places. A
record a steward split out stands alone.

Applying links one at a time is sequential by nature and, in Python, slow at millions of
records. But a guard can only refuse a link inside a connected group of records that holds
a contradiction (two codes, two places, a branch beside its parent, a cannot-link): in
every other group all links are accepted, whatever their order, so those groups are found
as connected components, in bulk. Only the groups holding a contradiction, a few percent
of the records, are clustered link by link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.resolve.scratch import scratch_duckdb
from transforms.standardize.places import same_place

RULE_USCC = "exact_uscc"
RULE_RESIDENT_ID = "exact_resident_id"
RULE_PROBABILISTIC = "probabilistic"
RULE_STEWARD = "steward_must_link"
RULE_SINGLE = "single_record"
RULE_SPLIT = "steward_split"
_RULE_ORDER = {RULE_STEWARD: 0, RULE_USCC: 1, RULE_RESIDENT_ID: 2, RULE_PROBABILISTIC: 3}
"""Strongest first: links are applied in this order, then by match weight."""

LINK_COLUMNS = ("left", "right", "rule", "weight")
"""A frame of links: two records, the rule that links them, Splink's match weight (null
for deterministic and steward links)."""
GUARDED_COLUMNS = ("record", "uscc", "resident_id", "is_branch", "name_place")
"""What clustering reads of each record."""


@dataclass(frozen=True, slots=True)
class Link:
    left: str
    right: str
    rule: str
    weight: float | None
    """Splink's match weight (log2 of the Bayes factor); None for deterministic links."""


def links_frame(links: Iterable[Link]) -> pd.DataFrame:
    """A few links (a steward's, a test's) as the frame ``cluster`` reads."""
    rows = [(link.left, link.right, link.rule, link.weight) for link in links]
    return pd.DataFrame(rows, columns=list(LINK_COLUMNS)).astype({"weight": "float64"})


def cluster(
    records: pd.DataFrame,
    links: pd.DataFrame,
    cannot_link: Iterable[tuple[str, str]] = (),
    split: Iterable[str] = (),
) -> pd.DataFrame:
    """Every record's cluster, in the order of ``records``: columns ``record``, ``cluster``
    (its smallest member, stable for the same members), ``rule`` and ``weight`` (of the
    strongest accepted link that placed the record; ``single_record`` if none).

    ``links`` has ``LINK_COLUMNS``; links naming a record not in ``records`` are ignored.
    """
    return _clustered(records, links, list(cannot_link), list(split), in_bulk=True)


def _clustered(
    records: pd.DataFrame, links: pd.DataFrame, cannot_link: list[tuple[str, str]], split: list[str], *, in_bulk: bool
) -> pd.DataFrame:
    """``cluster``; with ``in_bulk`` false, every record is clustered link by link (what the bulk path must equal)."""
    names = pa.array(records["record"], pa.string())
    count = len(names)
    alone = pc.is_in(names, value_set=pa.array(split, pa.string())).to_numpy(zero_copy_only=False)
    # Both ends looked up at once (each lookup hashes every record's name first), their texts not copied.
    sides = [pa.array(links[side], pa.string()) for side in ("left", "right")]
    ends = pa.chunked_array([chunk for side in sides for chunk in _chunks(side)], pa.string())
    left, right = np.split(_positions(names, ends), 2)
    known = (left >= 0) & (right >= 0) & (left != right)
    known[known] = ~alone[left[known]] & ~alone[right[known]]
    # A rule's order is its position in _RULE_ORDER, as ``rules`` below reads it back.
    rule_order = pc.index_in(pa.array(links["rule"], pa.string()), value_set=pa.array(list(_RULE_ORDER), pa.string()))
    applied = _Links(
        left[known],
        right[known],
        rule_order.to_numpy().astype(np.int8)[known],
        links["weight"].to_numpy(dtype=np.float64, na_value=np.nan)[known],
    )
    component = _components(count, applied)
    contradicted = _contradicted(records, component, names, cannot_link)
    cluster_at = _smallest_member(names, component)
    rule, weight = applied.strongest_per_record(count)
    slow = contradicted[component] if in_bulk else np.ones(count, dtype=bool)
    if slow.any():
        within = slow[applied.left]
        guarded = _GuardedUnion(records[slow], names, np.flatnonzero(slow), cannot_link)
        for at in _strongest_first(applied, within, names):
            guarded.apply(int(applied.left[at]), int(applied.right[at]), int(applied.rule[at]), applied.weight[at])
        cluster_at, rule, weight = guarded.result(cluster_at, rule, weight)
    rules = np.array([*_RULE_ORDER, RULE_SINGLE, RULE_SPLIT], dtype=object)
    rule = np.where(alone, _SPLIT, rule)
    return pd.DataFrame(
        {
            "record": records["record"],
            "cluster": pd.Series(pc.take(names, cluster_at), index=records.index, dtype=pd.ArrowDtype(pa.string())),
            "rule": rules[rule],
            "weight": np.where(rule == _RULE_ORDER[RULE_PROBABILISTIC], weight, np.nan),
        },
        index=records.index,
    )


_SINGLE, _SPLIT = len(_RULE_ORDER), len(_RULE_ORDER) + 1
"""Positions of ``single_record`` and ``steward_split`` among the rules' codes."""


@dataclass(frozen=True)
class _Links:
    """Links as positions of records, with the rule's order (strongest 0) and the weight (NaN for none)."""

    left: np.ndarray
    right: np.ndarray
    rule: np.ndarray
    weight: np.ndarray

    def strongest_per_record(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Per record, the rule and weight of its strongest link, which places it where no
        guard refuses a link; between equals, the first link.

        Chosen by DuckDB in one grouping on two cores: sorting the four million ends of a
        million customers' links twice took 1.1 s.
        """
        both = np.arange(2 * len(self.left)) % len(self.left)
        ends = pa.table(
            {
                "record": np.concatenate([self.left, self.right]),
                "rule": np.concatenate([self.rule, self.rule]),
                "strength": -np.nan_to_num(np.concatenate([self.weight, self.weight])),
                "link": both,
            }
        )
        with scratch_duckdb() as duck:
            duck.register("_ends", ends)
            strongest = duck.sql(
                "SELECT record, arg_min(link, (rule, strength, link)) AS link FROM _ends GROUP BY record"
            ).fetchnumpy()
        rule = np.full(count, _SINGLE, dtype=np.int8)
        weight = np.full(count, np.nan)
        rule[strongest["record"]] = self.rule[strongest["link"]]
        weight[strongest["record"]] = self.weight[strongest["link"]]
        return rule, weight


def _chunks(array: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return array.chunks if isinstance(array, pa.ChunkedArray) else [array]


def _positions(names: pa.Array, wanted: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Where each wanted record is among ``names``, which are distinct (-1 where it is not).

    Joined by DuckDB, on two cores: Arrow's lookup (one core) took 1.8 s for the four
    million ends of a million customers' links, this 0.8.
    """
    found = np.full(len(wanted), -1, dtype=np.int64)
    with scratch_duckdb() as duck:
        duck.register("_names", pa.table({"name": names, "position": pa.array(np.arange(len(names)))}))
        duck.register("_wanted", pa.table({"name": wanted, "at": pa.array(np.arange(len(wanted)))}))
        joined = duck.sql("SELECT w.at, n.position FROM _wanted AS w JOIN _names AS n ON n.name = w.name").fetchnumpy()
    found[joined["at"]] = joined["position"]
    return found


def _components(count: int, links: _Links) -> np.ndarray:
    """Each record's connected component under all links, guards aside."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    graph = coo_array((np.ones(len(links.left), dtype=np.int8), (links.left, links.right)), shape=(count, count))
    return connected_components(graph, directed=False)[1]


def _contradicted(
    records: pd.DataFrame, component: np.ndarray, names: pa.Array, cannot_link: list[tuple[str, str]]
) -> np.ndarray:
    """Per component, whether it holds what a guard could refuse: two credit codes, two ID
    numbers, a branch and a non-branch, two places in names, or both records of a cannot-link."""
    guarded = ("uscc", "resident_id", "name_place")
    held = pa.table(
        {
            "component": component,
            **{column: pa.array(records[column], pa.string(), from_pandas=True) for column in guarded},
            "is_branch": pa.array(records["is_branch"].fillna(False), pa.bool_()),  # as the guard reads it
        }
    )
    # Two values where the smallest is not the largest; grouped by DuckDB, on two cores,
    # in half the time Arrow's distinct count took on one at a million customers.
    holding_two = " OR ".join(f"min({column}) <> max({column})" for column in (*guarded, "is_branch"))
    with scratch_duckdb() as duck:
        duck.register("_held", held)
        flagged = duck.sql(f"SELECT component FROM _held GROUP BY component HAVING {holding_two}").fetchnumpy()
    contradicted = np.zeros(int(component.max(initial=-1)) + 1, dtype=bool)
    contradicted[flagged["component"]] = True
    if cannot_link:
        one = _positions(names, pa.array([left for left, _ in cannot_link], pa.string()))
        other = _positions(names, pa.array([right for _, right in cannot_link], pa.string()))
        both = (one >= 0) & (other >= 0)
        same = component[one[both]] == component[other[both]]
        contradicted[component[one[both]][same]] = True
    return contradicted


def _smallest_member(names: pa.Array, component: np.ndarray) -> np.ndarray:
    """Each record's cluster key where every link is accepted: where the smallest record of
    its component stands (kept as positions, not as a million texts).

    The smallest of each component is found by DuckDB in one pass, without ranking all
    the names (1.2 s in Arrow at a million customers).
    """
    with scratch_duckdb() as duck:
        duck.register(
            "_members", pa.table({"component": component, "name": names, "position": pa.array(np.arange(len(names)))})
        )
        smallest = duck.sql(
            "SELECT component, arg_min(position, name) AS position FROM _members GROUP BY component"
        ).fetchnumpy()
    at_component = np.empty(int(component.max(initial=-1)) + 1, dtype=np.int64)
    at_component[smallest["component"]] = smallest["position"]
    return at_component[component]


def _strongest_first(links: _Links, within: np.ndarray, names: pa.Array) -> np.ndarray:
    """Positions of the links ``within`` holds, strongest first, ties by the records' names."""
    at = np.flatnonzero(within)
    rules = links.rule[at].tolist()
    weights = (-np.nan_to_num(links.weight[at])).tolist()
    left = pc.take(names, pa.array(links.left[at])).to_pylist()
    right = pc.take(names, pa.array(links.right[at])).to_pylist()
    order = sorted(range(len(at)), key=lambda i: (rules[i], weights[i], left[i], right[i]))
    return at[order]


class _GuardedUnion:
    """Union-find over the records of contradicted components, refusing links a guard or a
    steward forbids; a record holds a parent and a compact guard, member lists exist only for
    clusters of more than one."""

    def __init__(
        self, records: pd.DataFrame, names: pa.Array, positions: np.ndarray, cannot_link: Iterable[tuple[str, str]]
    ) -> None:
        self.names = dict(zip(positions.tolist(), pc.take(names, pa.array(positions)).to_pylist(), strict=True))
        self.parent = {position: position for position in positions.tolist()}
        self.guards = {
            position: _Guard.of(uscc, resident, bool(branch), place)
            for position, uscc, resident, branch, place in zip(
                positions.tolist(),
                records["uscc"],
                records["resident_id"],
                records["is_branch"].fillna(False),
                records["name_place"],
                strict=True,
            )
        }
        self.members: dict[int, list[int]] = {}
        self.apart: dict[str, set[str]] = {}
        for left, right in cannot_link:
            self.apart.setdefault(left, set()).add(right)
            self.apart.setdefault(right, set()).add(left)
        self.placed: dict[int, tuple[int, float]] = {}

    def root(self, position: int) -> int:
        parent = self.parent
        while parent[position] != position:
            parent[position] = parent[parent[position]]
            position = parent[position]
        return position

    def apply(self, left: int, right: int, rule: int, weight: float) -> None:
        """Join the clusters of two records unless already one, or a guard or a steward refuses."""
        mine, theirs = self.root(left), self.root(right)
        by_name = rule == _RULE_ORDER[RULE_PROBABILISTIC]
        if mine == theirs or not self.guards[mine].compatible(self.guards[theirs], by_name=by_name):
            return
        if self._kept_apart(mine, theirs):
            return
        keep, gone = (mine, theirs) if self.names[mine] < self.names[theirs] else (theirs, mine)
        self.parent[gone] = keep
        self.guards[keep] = self.guards[keep].union(self.guards.pop(gone))
        self.members[keep] = [*self.members.get(keep, [keep]), *self.members.pop(gone, [gone])]
        for position in (left, right):
            if position not in self.placed:  # links come strongest first
                self.placed[position] = (rule, weight)

    def _kept_apart(self, one: int, other: int) -> bool:
        if not self.apart:
            return False
        theirs = {self.names[member] for member in self.members.get(other, [other])}
        return any(
            not self.apart[name].isdisjoint(theirs)
            for name in (self.names[member] for member in self.members.get(one, [one]))
            if name in self.apart
        )

    def result(
        self, cluster_at: np.ndarray, rule: np.ndarray, weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bulk result with these records' clusters (their roots' positions), rules and weights put in."""
        cluster_at, rule, weight = cluster_at.copy(), rule.copy(), weight.copy()
        for position in self.parent:
            cluster_at[position] = self.root(position)
            rule[position], weight[position] = self.placed.get(position, (_SINGLE, np.nan))
        return cluster_at, rule, weight


_NONE: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Guard:
    """What a cluster holds that another must not contradict (tuples of distinct values)."""

    credit_codes: tuple[str, ...]
    resident_ids: tuple[str, ...]
    branch: tuple[bool, ...]
    name_places: tuple[str, ...]
    """Places the members' names carry: 上海夏鼎 and 北京夏鼎 are two companies, whatever links them."""

    @classmethod
    def of(cls, uscc: object, resident_id: object, branch: bool, place: object) -> _Guard:
        """One record's guard; missing values hold nothing."""
        return cls(
            (uscc,) if isinstance(uscc, str) else _NONE,
            (resident_id,) if isinstance(resident_id, str) else _NONE,
            (branch,),
            (place,) if isinstance(place, str) else _NONE,
        )

    def compatible(self, other: _Guard, *, by_name: bool) -> bool:
        """Whether one customer may hold both; places count only when names are the evidence.

        A shared credit code outweighs a name written with another city (the company moved).
        """
        return (
            len({*self.credit_codes, *other.credit_codes}) <= 1
            and len({*self.resident_ids, *other.resident_ids}) <= 1
            and len({*self.branch, *other.branch}) <= 1
            and (
                not by_name
                or all(same_place(mine, theirs) for mine in self.name_places for theirs in other.name_places)
            )
        )

    def union(self, other: _Guard) -> _Guard:
        return _Guard(
            _distinct(self.credit_codes, other.credit_codes),
            _distinct(self.resident_ids, other.resident_ids),
            _distinct(self.branch, other.branch),
            _distinct(self.name_places, other.name_places),
        )


def _distinct(mine: tuple, theirs: tuple) -> tuple:
    return mine if not theirs else tuple(dict.fromkeys((*mine, *theirs)))

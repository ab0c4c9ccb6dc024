"""The sample bank's true customers, one at a time, as a pure function of (seed, index).

Generating customer *i* never needs the others in memory, so a million customers stream
to disk in bounded memory. Corporate groups and look-alikes refer to neighbours by index
and simply regenerate them.

A company's registered name is unique where it is registered: no registry accepts a
second 北京华信科技有限公司. So a company's (trade name, city, industry) is not drawn at
random but is its index under a keyed permutation of all such triples, distinct for
distinct customers; look-alikes and subsidiaries, which borrow a neighbour's trade name,
take a city or industry whose triple belongs to an index beyond any bank of up to a
million customers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin
from stdnum.cn import ric, uscc

from silos.places import (
    BRAND_CHARACTERS,
    CITIES,
    FOREIGN_SYLLABLES,
    GIVEN_NAMES,
    ROADS,
    SURNAMES,
    TRADES,
    City,
    Trade,
)

AS_OF = dt.date(2026, 6, 30)
"""The business date the sample bank describes."""

GROUP_SPACING = 97
"""Every 97th customer heads a corporate group; the next three are its branch, subsidiary and second branch."""
LOOKALIKE_SPACING = 41
"""Every 41st enterprise is a different company named almost like its neighbour (a hard negative)."""
NAMESAKE_SHARE = 0.25
"""Share of high-net-worth individuals named like an earlier individual, with another ID number (a hard negative)."""

_USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_NAMED_CUSTOMERS = 1_000_000
"""Banks up to this size hold each registered name once (look-alikes pick names beyond it)."""


@dataclass(frozen=True)
class TrueCustomer:
    """One real customer of the bank, as the ground truth knows it."""

    key: str
    index: int
    kind: str
    """``enterprise`` or ``individual``."""
    segment: str
    """micro, small, medium, large, multinational, sole_proprietor or high_net_worth."""
    lifecycle: str
    """prospect, existing or churned: which systems know the customer and how."""
    name: str
    brand: str
    """The trade name inside the legal name (华信 in 北京华信科技有限公司)."""
    english_name: str | None
    uscc: str | None
    resident_id: str | None
    person: str
    """The legal representative, or the individual themselves."""
    city: City
    district: str
    street: str
    mobile: str
    landline: str
    email: str
    trade: Trade
    registered_capital: int
    employees: int
    annual_revenue: int
    group_key: str | None
    group_relation: str | None
    """``parent``, ``branch`` or ``subsidiary`` for members of a corporate group."""

    @property
    def address(self) -> str:
        return (
            f"{self.city.province}{self.city.city}{self.district}{self.street}"
            if self.city.province != self.city.city
            else f"{self.city.city}{self.district}{self.street}"
        )


def customer_key(index: int) -> str:
    return f"K{index:08d}"


@lru_cache(maxsize=4096)
def true_customer(seed: int, index: int) -> TrueCustomer:
    """The customer at ``index``; the same (seed, index) always gives the same customer."""
    rng = random.Random(f"{seed}:{index}")
    group_position = index % GROUP_SPACING
    if index >= GROUP_SPACING and group_position in (1, 2, 3):
        return _group_member(seed, index, rng, true_customer(seed, index - group_position), group_position)
    is_group_parent = index > 0 and group_position == 0
    if not is_group_parent and rng.random() < 0.12:
        return _individual(seed, index, rng)
    return _enterprise(seed, index, rng, is_group_parent=is_group_parent)


def _lifecycle(rng: random.Random) -> str:
    roll = rng.random()
    return "prospect" if roll < 0.15 else "churned" if roll < 0.27 else "existing"


def _enterprise(seed: int, index: int, rng: random.Random, *, is_group_parent: bool) -> TrueCustomer:
    roll = rng.random()
    segment = (
        "large"
        if is_group_parent
        else "multinational"
        if roll < 0.06
        else "large"
        if roll < 0.18
        else "medium"
        if roll < 0.40
        else "small"
        if roll < 0.75
        else "micro"
    )
    if segment == "multinational":
        syllables, city, trade = _FOREIGN_NAMES.triple(seed, index)
        brand_en = "".join(english for english, _ in syllables)
        brand = "".join(chinese for _, chinese in syllables)
        name = f"{brand}({city.city.removesuffix('市')}){trade.chinese}有限公司"
        english = f"{brand_en} ({city.english}) {trade.english} Co., Ltd."
    else:
        characters, city, trade = _DOMESTIC_NAMES.triple(seed, index)
        brand = "".join(characters)
        if index > 0 and index % LOOKALIKE_SPACING == 0:
            brand, city, trade = _lookalike_of(seed, index - 1, rng) or (brand, city, trade)
        suffix = "股份有限公司" if segment == "large" and rng.random() < 0.6 else "有限公司"
        name = f"{city.city.removesuffix('市')}{brand}{trade.chinese}{suffix}"
        english = (
            f"{city.english} {''.join(lazy_pinyin(brand)).title()} {trade.english} Co., Ltd."
            if segment == "large"
            else None
        )
    return _company(
        index,
        rng,
        segment=segment,
        name=name,
        brand=brand,
        english=english,
        city=city,
        trade=trade,
        group_key=customer_key(index) if is_group_parent else None,
        group_relation="parent" if is_group_parent else None,
        lifecycle="existing" if is_group_parent else None,
    )


def _lookalike_of(seed: int, neighbour: int, rng: random.Random) -> tuple[str, City, Trade] | None:
    """Brand, city and trade of a neighbour, changed just enough to be another company."""
    other = true_customer(seed, neighbour)
    if other.kind != "enterprise" or other.segment == "multinational" or other.group_relation:
        return None
    brand = tuple(other.brand)
    if rng.random() < 0.5:
        cities = [city for city in CITIES if city != other.city]
        city, _ = _DOMESTIC_NAMES.unclaimed(seed, rng, brand, [(city, other.trade) for city in cities])
        return other.brand, city, other.trade
    trades = [trade for trade in TRADES if trade != other.trade]
    _, trade = _DOMESTIC_NAMES.unclaimed(seed, rng, brand, [(other.city, trade) for trade in trades])
    return other.brand, other.city, trade


def _group_member(seed: int, index: int, rng: random.Random, parent: TrueCustomer, position: int) -> TrueCustomer:
    # Each member sits in its own city, never the parent's, so no two members share a name.
    others = [city for city in CITIES if city != parent.city]
    branch_cities = [others[(parent.index // GROUP_SPACING + branch) % len(others)] for branch in (1, 3)]
    brand = parent.brand
    if position == 2 and parent.segment != "multinational":
        # 华信科技(上海)有限公司 is registered in Shanghai: its name must be free there.
        free = [city for city in others if city not in branch_cities]
        city, _ = _DOMESTIC_NAMES.unclaimed(seed, rng, tuple(brand), [(city, parent.trade) for city in free])
    else:
        city = others[(parent.index // GROUP_SPACING + position) % len(others)]
    short_city = city.city.removesuffix("市")
    if position == 2:
        relation = "subsidiary"
        name = f"{brand}{parent.trade.chinese}({short_city})有限公司"
        english = f"{''.join(lazy_pinyin(brand)).title()} {parent.trade.english} ({city.english}) Co., Ltd."
        segment = "medium"
    else:
        relation = "branch"
        name = f"{parent.name}{short_city}分公司"
        english = f"{parent.english_name} {city.english} Branch" if parent.english_name else None
        segment = "medium"
    return _company(
        index,
        rng,
        segment=segment,
        name=name,
        brand=brand,
        english=english,
        city=city,
        trade=parent.trade,
        group_key=parent.key,
        group_relation=relation,
        lifecycle="existing",
    )


def _individual(seed: int, index: int, rng: random.Random) -> TrueCustomer:
    city = rng.choice(CITIES)
    trade = rng.choice(TRADES)
    person = _person_name(rng)
    sole_proprietor = rng.random() < 0.55
    if not sole_proprietor and rng.random() < NAMESAKE_SHARE:
        namesake = _earlier_individual(seed, index)
        if namesake is not None:
            person = namesake.person
    birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 45))
    body = f"{city.birth_code}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    resident_id = body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit
    if sole_proprietor:
        shop = rng.choice(("便利店", "餐馆", "五金店", "服装店", "维修部", "茶叶店"))
        name = f"{city.city}{rng.choice(city.districts)}{person}{shop}"
        segment, credit_code = "sole_proprietor", _credit_code(rng, "92", city)
        employees, revenue = rng.randrange(1, 10), rng.randrange(200_000, 3_000_000)
    else:
        name, segment, credit_code = person, "high_net_worth", None
        employees, revenue = 0, 0
    return _make(
        index,
        rng,
        kind="individual",
        segment=segment,
        name=name,
        brand=person,
        english=None,
        city=city,
        trade=trade,
        uscc=credit_code,
        resident_id=resident_id,
        employees=employees,
        revenue=revenue,
        group_key=None,
        group_relation=None,
        lifecycle=_lifecycle(rng),
        person=person,
    )


def _earlier_individual(seed: int, index: int) -> TrueCustomer | None:
    """The nearest earlier individual within a short look-back, if any."""
    for earlier in range(index - 1, max(-1, index - 60), -1):
        candidate = true_customer(seed, earlier)
        if candidate.kind == "individual":
            return candidate
    return None


def _company(
    index: int,
    rng: random.Random,
    *,
    segment: str,
    city: City,
    group_key: str | None,
    group_relation: str | None,
    lifecycle: str | None,
    **fields: object,
) -> TrueCustomer:
    """An enterprise of its size class with a credit code of its own; lifecycle drawn unless given."""
    employees, revenue = _size(rng, segment)
    credit_code = _credit_code(rng, "91", city)
    return _make(
        index,
        rng,
        kind="enterprise",
        segment=segment,
        city=city,
        uscc=credit_code,
        resident_id=None,
        employees=employees,
        revenue=revenue,
        group_key=group_key,
        group_relation=group_relation,
        lifecycle=lifecycle or _lifecycle(rng),
        **fields,
    )


def _make(
    index: int, rng: random.Random, *, person: str | None = None, english: str | None, **fields: object
) -> TrueCustomer:
    city: City = fields["city"]  # type: ignore[assignment]
    representative = person or _person_name(rng)
    local_digits = 8 if len(city.area_code) == 3 else 7
    domain = rng.choice(("163.com", "qq.com", "example.cn"))
    return TrueCustomer(
        key=customer_key(index),
        index=index,
        english_name=english,
        person=representative,
        district=rng.choice(city.districts),
        street=f"{rng.choice(ROADS)}{rng.randrange(1, 999)}号",
        mobile=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        landline=f"{city.area_code}-{rng.randrange(2 * 10 ** (local_digits - 1), 9 * 10 ** (local_digits - 1))}",
        email=f"{''.join(lazy_pinyin(representative))}{rng.randrange(1, 999)}@{domain}",
        registered_capital=rng.choice((1, 3, 5, 10, 50, 100, 500, 1000, 5000)) * 1_000_000,
        annual_revenue=fields.pop("revenue"),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


def _size(rng: random.Random, segment: str) -> tuple[int, int]:
    """Employees and annual revenue (yuan) typical of the size class."""
    employees, revenue = {
        "micro": ((2, 20), (500_000, 5_000_000)),
        "small": ((20, 100), (5_000_000, 50_000_000)),
        "medium": ((100, 300), (50_000_000, 400_000_000)),
        "large": ((300, 20_000), (400_000_000, 20_000_000_000)),
        "multinational": ((200, 50_000), (300_000_000, 50_000_000_000)),
    }[segment]
    return rng.randrange(*employees), rng.randrange(*revenue)


def _credit_code(rng: random.Random, prefix: str, city: City) -> str:
    body = prefix + city.region_code + "".join(rng.choice(_USCC_CHARACTERS) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_NAMES) for _ in range(rng.choice((1, 2))))


class _NameSpace:
    """Every (trade-name characters, city, industry) triple, in an order keyed by the seed.

    ``triple(seed, i)`` is a bijection on indexes below ``size``: a Feistel network over
    enough bits, walked until it lands inside the space (format-preserving encryption),
    so distinct customers get distinct registered names without any of them in memory.
    """

    def __init__(self, trade_names: list[tuple[str, ...]]) -> None:
        self.trade_names = trade_names
        self.position = {name: at for at, name in enumerate(trade_names)}
        self.size = len(trade_names) * len(CITIES) * len(TRADES)
        self.half_bits = ((self.size - 1).bit_length() + 1) // 2

    def triple(self, seed: int, index: int) -> tuple[tuple[str, ...], City, Trade]:
        code = self._walk(seed, index % self.size, inverse=False)
        rest, name = divmod(code, len(self.trade_names))
        trade, city = divmod(rest, len(CITIES))
        return self.trade_names[name], CITIES[city], TRADES[trade]

    def unclaimed(
        self, seed: int, rng: random.Random, name: tuple[str, ...], choices: list[tuple[City, Trade]]
    ) -> tuple[City, Trade]:
        """One of these (city, industry) choices for ``name`` that no company of the first million holds.

        Drawn at random among those, so two look-alikes of one trade name rarely pick the
        same; the least claimed choice when all are held.
        """
        owners = {choice: self._owner(seed, name, *choice) for choice in choices}
        free = [choice for choice in choices if owners[choice] >= _NAMED_CUSTOMERS]
        return rng.choice(free) if free else max(choices, key=owners.__getitem__)

    def _owner(self, seed: int, name: tuple[str, ...], city: City, trade: Trade) -> int:
        code = (TRADES.index(trade) * len(CITIES) + CITIES.index(city)) * len(self.trade_names) + self.position[name]
        return self._walk(seed, code, inverse=True)

    def _walk(self, seed: int, value: int, *, inverse: bool) -> int:
        while True:
            value = self._feistel(seed, value, inverse=inverse)
            if value < self.size:
                return value

    def _feistel(self, seed: int, value: int, *, inverse: bool) -> int:
        mask = (1 << self.half_bits) - 1
        left, right = value >> self.half_bits, value & mask
        rounds = range(4)
        if inverse:
            left, right = right, left
            rounds = reversed(rounds)
        for round_ in rounds:
            digest = hashlib.blake2b(f"{seed}:{round_}:{right}".encode(), digest_size=8).digest()
            left, right = right, left ^ (int.from_bytes(digest) & mask)
        if inverse:
            left, right = right, left
        return (left << self.half_bits) | right


_BRAND_CHARACTERS = tuple(dict.fromkeys(BRAND_CHARACTERS))
_DOMESTIC_NAMES = _NameSpace(
    [(first, second) for first in _BRAND_CHARACTERS for second in _BRAND_CHARACTERS if first != second]
)
_FOREIGN_NAMES = _NameSpace(
    [
        (first, second, third)
        for first in FOREIGN_SYLLABLES
        for second in FOREIGN_SYLLABLES
        for third in FOREIGN_SYLLABLES
        if len({first, second, third}) == 3
    ]
)

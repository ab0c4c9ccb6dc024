"""China's administrative divisions, for splitting addresses and finding place names in company names.

The divisions come from python-stdnum's table of division codes (the one it checks
resident ID numbers against), so the list is kept up to date by that library rather
than here. Only divisions still in force are used.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

_ENTRY = re.compile(r"^(?P<indent>\s*)(?P<code>\d+) (?:province|county)=\"(?P<names>[^\"]*)\"")
_PERIOD = re.compile(r"^\[(?P<start>\d*)-(?P<end>\d*)\](?P<name>.*)$")
_MUNICIPALITIES = ("11", "12", "31", "50")
"""Beijing, Tianjin, Shanghai, Chongqing: provinces that are also the city."""
_NOT_A_PLACE = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖行政单位")
_SHORT_FORM = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市)$")


@dataclass(frozen=True)
class Division:
    code: str
    """Six-digit division code: province XX0000, city XXYY00, county XXYYZZ."""
    name: str

    @property
    def level(self) -> int:
        return 1 if self.code.endswith("0000") else 2 if self.code.endswith("00") else 3


@dataclass(frozen=True)
class AddressParts:
    province: str | None
    city: str | None
    district: str | None
    rest: str | None


def split_address(address: str | None) -> AddressParts:
    """Province, city, district (county) and the rest of a Chinese address.

    Leading place names are read in order, each level optional; a city or district also
    tells its province. ``北京市海淀区中关村大街1号`` gives (北京市, 北京市, 海淀区, 中关村大街1号);
    an address that starts with no known place keeps everything in ``rest``.
    """
    if not address:
        return AddressParts(None, None, None, None)
    found: dict[int, Division] = {}
    position = 0
    for level in (1, 2, 3):
        match = _longest_prefix(address, position, level, found)
        if match is not None:
            division, length = match
            found[level] = division
            position += length
    province, city, district = _complete(found)
    rest = address[position:].strip(" ,，") or None
    return AddressParts(province, city, district, rest)


def strip_places(name: str) -> tuple[str, str | None]:
    """A name without the province or city names it starts with or holds in brackets.

    English names lose a leading province or city in pinyin (``Beijing Huaxin`` -> Huaxin,
    ``NorMa (Xi'an) Technology`` -> NorMa Technology); a pinyin that names two places
    (Suzhou: 苏州 or 宿州) is still removed but gives no place.

    Returns (name without them, the place found). ``北京华信科技`` -> (华信科技, 北京市);
    ``华信(北京)科技`` -> (华信科技, 北京市); ``江苏省南京华信`` -> (华信, 南京市), the city being
    the more telling. At least two characters are always left.
    """
    place = None
    if name.isascii():
        first, _, remainder = name.partition(" ")
        romanized = _romanized_places()
        if _letters(first) in romanized and len(remainder) >= 2:
            return remainder, _name_of(romanized[_letters(first)])
        for bracketed in re.finditer(r" ?\(([A-Za-z']+)\)", name):
            if _letters(bracketed.group(1)) in romanized:
                return name.replace(bracketed.group(0), "", 1), _name_of(romanized[_letters(bracketed.group(1))])
        return name, None
    for level in (1, 2):  # the city, where a province and a city lead: 江苏省南京华信 is in 南京市
        match = _longest_prefix(name, 0, level, {})
        if match is not None and len(name) - match[1] >= 2:
            place = match[0].name
            name = name[match[1] :]
    for bracketed in re.finditer(r"\(([^()]+)\)", name):
        division = _named(bracketed.group(1), (1, 2))
        if division is not None:
            place = place or division.name
            name = name.replace(bracketed.group(0), "", 1)
            break
    return name, place


def same_place(first: str, second: str) -> bool:
    """Whether two place names can be the same place: equal, or a province and a city in it."""
    if first == second:
        return True
    one, other = _named(first, (1, 2)), _named(second, (1, 2))
    if one is None or other is None:
        return True  # not a place we know: no evidence either way
    if one.level == other.level:
        return one.code == other.code
    return one.code[:2] == other.code[:2]


def province_of(place: str) -> str | None:
    """The province a province or city name lies in (苏州市 -> 江苏省); None for a place we do not know."""
    division = _named(place, (1, 2))
    if division is None:
        return None
    province = _by_code().get(division.code[:2] + "0000")
    return province.name if province is not None else None


def _longest_prefix(text: str, start: int, level: int, found: dict[int, Division]) -> tuple[Division, int] | None:
    """The division of ``level`` named at ``text[start:]`` (full or short name), within those already found.

    A short name gives way to the longer full name of a lower level it begins: 朝阳区 is a
    district (of Beijing), not the city 朝阳 (Liaoning) followed by 区; 吉林市 is the city,
    not the province 吉林 followed by 市.
    """
    match = _prefix_of_level(text, start, level, found)
    if match is None or match[0].name == text[start : start + match[1]]:
        return match
    for lower in range(level + 1, 4):
        longer = _prefix_of_level(text, start, lower, found)
        if longer is not None and longer[1] > match[1] and longer[0].name == text[start : start + longer[1]]:
            return None
    return match


def _prefix_of_level(text: str, start: int, level: int, found: dict[int, Division]) -> tuple[Division, int] | None:
    names = _names_by_level()[level]
    for length in range(min(len(text) - start, _longest_name()), 1, -1):
        for division in names.get(text[start : start + length], ()):
            if all(division.code.startswith(parent.code[: 2 * parent.level]) for parent in found.values()):
                return division, length
    return None


def _named(text: str, levels: tuple[int, ...]) -> Division | None:
    for level in levels:
        divisions = _names_by_level()[level].get(text)
        if divisions:
            return divisions[0]
    return None


def _complete(found: dict[int, Division]) -> tuple[str | None, str | None, str | None]:
    """Fill the province and city a lower level implies; a municipality is its own city."""
    by_code = _by_code()
    lowest = found.get(3) or found.get(2) or found.get(1)
    if lowest is None:
        return None, None, None
    province = by_code.get(lowest.code[:2] + "0000")
    if lowest.code[:2] in _MUNICIPALITIES:
        city = province
    else:
        city = found.get(2) or by_code.get(lowest.code[:4] + "00") if lowest.level >= 2 else None
    district = found.get(3)
    return (
        province.name if province else None,
        city.name if city else None,
        district.name if district else None,
    )


@functools.cache
def _divisions() -> tuple[Division, ...]:
    """Every division in force, from stdnum's ``cn/loc.dat``."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text("utf-8")
    divisions = []
    province = ""
    for line in text.splitlines():
        entry = _ENTRY.match(line)
        if entry is None:
            continue
        if not entry.group("indent"):
            province = entry.group("code")
            continue
        code = province + entry.group("code")
        for spelled in entry.group("names").split(","):
            period = _PERIOD.match(spelled)
            if period is not None and period.group("end"):
                continue  # abolished
            name = period.group("name") if period else spelled
            if name and name not in _NOT_A_PLACE:
                divisions.append(Division(code, name))
    return tuple(divisions)


@functools.cache
def _by_code() -> dict[str, Division]:
    return {division.code: division for division in _divisions()}


@functools.cache
def _names_by_level() -> dict[int, dict[str, tuple[Division, ...]]]:
    """Per level, each full name and, for provinces and cities, each short name (广东, 深圳)."""
    names: dict[int, dict[str, list[Division]]] = {1: {}, 2: {}, 3: {}}
    for division in _divisions():
        spellings = {division.name}
        if division.level < 3:
            short = _SHORT_FORM.sub("", division.name)
            if len(short) >= 2:
                spellings.add(short)
        for spelling in spellings:
            names[division.level].setdefault(spelling, []).append(division)
    return {level: {name: tuple(found) for name, found in by_name.items()} for level, by_name in names.items()}


@functools.cache
def _longest_name() -> int:
    return max(len(name) for by_name in _names_by_level().values() for name in by_name)


@functools.cache
def _romanized_places() -> dict[str, Division | None]:
    """Provinces and cities by their short name in pinyin (beijing, shenzhen, guangdong).

    None where the pinyin names places in different provinces (suzhou: 苏州 and 宿州); a
    province and its namesake city (jilin) count as the province.
    """
    from pypinyin import lazy_pinyin

    places: dict[str, Division | None] = {}
    for level in (2, 1):
        for name, divisions in _names_by_level()[level].items():
            if _SHORT_FORM.sub("", name) != name:
                continue
            romanized = "".join(lazy_pinyin(name)).lower()
            known = places.get(romanized, divisions[0])
            clash = romanized in places and (known is None or known.code[:2] != divisions[0].code[:2])
            places[romanized] = None if clash else divisions[0]
    return places


def _letters(word: str) -> str:
    """``Xi'an`` -> xian: an English place name as its pinyin key."""
    return re.sub(r"[^a-z]", "", word.lower())


def _name_of(division: Division | None) -> str | None:
    return division.name if division is not None else None

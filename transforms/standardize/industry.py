"""GB/T 4754-2017 industry codes: the section (门类) a code belongs to.

A code is a section letter and up to four digits (``C3911``), or the digits alone
(``3911``); its first two digits, the division (大类), decide the section. The twenty
sections and their division ranges are the standard's own and do not change between
its revisions' minor updates; segmentation reads names and strategy notes from config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^(?P<letter>[A-T])?(?P<digits>\d{2}(?:\d{1,2})?)?$")


@dataclass(frozen=True)
class Section:
    letter: str
    first_division: int
    last_division: int
    name_zh: str
    name_en: str


SECTIONS: tuple[Section, ...] = (
    Section("A", 1, 5, "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    Section("B", 6, 12, "采矿业", "Mining"),
    Section("C", 13, 43, "制造业", "Manufacturing"),
    Section("D", 44, 46, "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    Section("E", 47, 50, "建筑业", "Construction"),
    Section("F", 51, 52, "批发和零售业", "Wholesale and retail trade"),
    Section("G", 53, 60, "交通运输、仓储和邮政业", "Transport, storage and postal services"),
    Section("H", 61, 62, "住宿和餐饮业", "Accommodation and catering"),
    Section("I", 63, 65, "信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    Section("J", 66, 69, "金融业", "Finance"),
    Section("K", 70, 70, "房地产业", "Real estate"),
    Section("L", 71, 72, "租赁和商务服务业", "Leasing and business services"),
    Section("M", 73, 75, "科学研究和技术服务业", "Scientific research and technical services"),
    Section("N", 76, 79, "水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    Section("O", 80, 82, "居民服务、修理和其他服务业", "Resident, repair and other services"),
    Section("P", 83, 83, "教育", "Education"),
    Section("Q", 84, 85, "卫生和社会工作", "Health and social work"),
    Section("R", 86, 90, "文化、体育和娱乐业", "Culture, sports and entertainment"),
    Section("S", 91, 96, "公共管理、社会保障和社会组织", "Public administration, social security and organizations"),
    Section("T", 97, 97, "国际组织", "International organizations"),
)


def parse_industry_code(code: str | None) -> tuple[str | None, str | None, str | None]:
    """(code, section letter, None) for a valid code, (None, None, code) for anything else.

    A letter that contradicts the digits (``A3911``) is invalid; a bare letter is a section.
    """
    if code is None:
        return None, None, None
    match = _CODE.match(code)
    if match is None or not (match.group("letter") or match.group("digits")):
        return None, None, code
    letter, digits = match.group("letter"), match.group("digits")
    if digits is None:
        return code, letter, None
    division = int(digits[:2])
    section = next(
        (section for section in SECTIONS if section.first_division <= division <= section.last_division), None
    )
    if section is None or (letter is not None and letter != section.letter):
        return None, None, code
    return section.letter + digits, section.letter, None

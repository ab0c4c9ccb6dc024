"""How one customer's details drift between systems: the messiness matching must undo."""

from __future__ import annotations

import random

from silos.world import TrueCustomer

HOMOPHONES = dict(
    zip(
        "宏鸿弘信鑫新欣华化达大通同瑞锐丰峰远源元盛胜恒衡泰太德得诚成众中龙隆明名星兴辉晖昌长金今世仕嘉佳锦程润泽博天东光春合和",
        "鸿宏宏鑫信欣新化华大达同通锐瑞峰丰源元园胜盛衡恒太泰得德成诚中众隆龙名明兴星晖辉长昌今金仕世佳嘉金成闰则伯田冬广纯和合",
        strict=True,
    )
)
"""Characters and a same-sounding character a clerk might type instead (同音字)."""

_FULL_WIDTH = str.maketrans({chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)} | {" ": "\u3000"})


def suffix_variant(name: str) -> str:
    """有限公司 and 有限责任公司 are the same legal form, written either way."""
    if name.endswith("有限责任公司"):
        return name.removesuffix("有限责任公司") + "有限公司"
    if name.endswith("有限公司") and not name.endswith("股份有限公司"):
        return name.removesuffix("有限公司") + "有限责任公司"
    return name


def full_width(text: str) -> str:
    """Brackets, digits and Latin letters typed in full width, as Chinese input methods do."""
    return text.translate(_FULL_WIDTH)


def drop_city_prefix(customer: TrueCustomer, name: str) -> str:
    """北京华信科技有限公司 -> 华信科技有限公司: the registration city left out."""
    prefix = customer.city.city.removesuffix("市")
    return name.removeprefix(prefix) if name.startswith(prefix) and len(name) > len(prefix) + 4 else name


def add_province_prefix(customer: TrueCustomer, name: str) -> str:
    """深圳华信科技有限公司 -> 广东省深圳华信科技有限公司."""
    province = customer.city.province
    if province == customer.city.city or not name.startswith(customer.city.city.removesuffix("市")):
        return name
    return province + name


def typo(rng: random.Random, name: str, brand: str) -> str:
    """A same-sounding character, or two characters swapped, inside the trade name."""
    position = name.find(brand)
    if position < 0 or len(brand) < 2:
        return name
    characters = list(name)
    swappable = [offset for offset, character in enumerate(brand) if character in HOMOPHONES]
    if swappable and rng.random() < 0.7:
        offset = position + rng.choice(swappable)
        characters[offset] = HOMOPHONES[characters[offset]]
    else:
        characters[position], characters[position + 1] = characters[position + 1], characters[position]
    return "".join(characters)


def broken_checksum(code: str) -> str:
    """The same identifier with its last character mistyped, so its checksum fails."""
    last = code[-1]
    replacement = "0" if last != "0" else "1"
    return code[:-1] + replacement


def phone_style(rng: random.Random, mobile: str) -> str:
    """One mobile number as different systems store it."""
    return rng.choice(
        (
            mobile,
            f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
            f"0086{mobile}",
            full_width(mobile),
        )
    )

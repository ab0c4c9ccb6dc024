"""Company and person names: one spelling to display, and the parts matching compares.

A registered Chinese company name is [place] trade name [industry] legal form, and a
branch adds [place] 分公司 behind its parent's name; English names end in Co., Ltd. or
Inc. Matching wants the trade name without the parts that vary between systems (the
legal form written 有限公司 or 有限责任公司, the city left out or added), and must know a
branch, because a branch is not its parent.

Traditional characters become simplified with OpenCC; the romanized form (pinyin, from
pypinyin) lets an English name be compared with a Chinese one: an English name's closing
industry words count as the Chinese terms they translate (Mingneng Chemical reads as
明能化工, mingnenghuagong). The legal-form table is
ours: no maintained library covers Chinese legal forms, and the codes below are what the
resolution rules and the marts refer to.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from transforms.standardize.places import strip_places

LEGAL_FORMS: tuple[tuple[str, str], ...] = (
    # Longest first: 股份有限公司 before 有限公司.
    ("股份有限公司", "joint_stock_company"),
    ("有限责任公司", "limited_company"),
    ("有限公司", "limited_company"),
    ("(有限合伙)", "limited_partnership"),
    ("(普通合伙)", "general_partnership"),
    ("(特殊普通合伙)", "general_partnership"),
    ("合伙企业", "partnership"),
    ("个人独资企业", "sole_proprietorship"),
    ("company limited by shares", "joint_stock_company"),
    ("co., ltd.", "limited_company"),
    ("co., ltd", "limited_company"),
    ("co. ltd.", "limited_company"),
    ("co.,ltd.", "limited_company"),
    ("co.,ltd", "limited_company"),
    ("company limited", "limited_company"),
    ("limited", "limited_company"),
    ("ltd.", "limited_company"),
    ("ltd", "limited_company"),
    ("l.l.c.", "limited_company"),
    ("llc", "limited_company"),
    ("incorporated", "corporation"),
    ("inc.", "corporation"),
    ("inc", "corporation"),
    ("corporation", "corporation"),
    ("corp.", "corporation"),
    ("plc", "public_limited_company"),
    ("l.p.", "limited_partnership"),
    ("lp", "limited_partnership"),
)
"""Legal-form endings (compared case-insensitively) and the code each stands for."""

INDUSTRY_TERMS: tuple[tuple[str, str], ...] = (
    # The usual English for the industry terms (行业用语) of registered names; longest first.
    ("information technology", "信息技术"),
    ("construction engineering", "建设工程"),
    ("real estate development", "房地产开发"),
    ("machinery manufacturing", "机械制造"),
    ("environmental protection", "环保"),
    ("import and export", "进出口"),
    ("hotel management", "酒店管理"),
    ("supply chain", "供应链"),
    ("new materials", "新材料"),
    ("biotechnology", "生物科技"),
    ("pharmaceutical", "医药"),
    ("communication", "通信"),
    ("transportation", "运输"),
    ("environmental", "环保"),
    ("construction", "建筑"),
    ("agriculture", "农业"),
    ("electronics", "电子"),
    ("real estate", "房地产"),
    ("technology", "科技"),
    ("investment", "投资"),
    ("consulting", "咨询"),
    ("industrial", "实业"),
    ("new energy", "新能源"),
    ("machinery", "机械"),
    ("logistics", "物流"),
    ("chemical", "化工"),
    ("software", "软件"),
    ("holdings", "控股"),
    ("textile", "纺织"),
    ("trading", "贸易"),
    ("commerce", "商贸"),
    ("network", "网络"),
    ("shipping", "航运"),
    ("mining", "矿业"),
    ("energy", "能源"),
    ("medical", "医疗"),
    ("culture", "文化"),
    ("steel", "钢铁"),
    ("power", "电力"),
    ("group", "集团"),
    ("food", "食品"),
)
"""English industry words at the end of a name and the Chinese term each renders."""

BRANCH_MARKERS = ("分公司", "分行", "支行", "分理处", "营业部", "办事处", "分店", "branch office", "branch")
"""Endings that make a record a branch (分支机构) rather than the company itself."""

_WORD_EDGE = re.compile(r"[\s,.]+$")


@dataclass(frozen=True)
class PartyName:
    display: str
    """Cleaned, simplified-Chinese spelling for people to read."""
    core: str
    """The trade name: no legal form, no branch marker, no leading or bracketed place names."""
    legal_form: str | None
    branch: bool
    place: str | None
    """The province or city the name carries (北京市 for 北京华信科技有限公司)."""
    romanized: str
    """The core in lower-case letters and digits only: pinyin for Chinese."""
    lead: str
    """The romanized first word of the trade name, where an English name meets its Chinese
    one when nothing else does: ``kaichang`` for 凯昌运输 and Kaichang Transportation (the
    first word of an English core, the pinyin of a Chinese core's first two characters)."""


def parse_party_name(cleaned: str) -> PartyName:
    """Split a cleaned name (NFKC, one bracket style: see ``fields.clean_name``) into its parts.

    ``北京华信科技有限公司上海分公司`` -> core 华信科技上海, limited_company, branch;
    ``Huaxin Technology Co., Ltd.`` -> core Huaxin Technology, limited_company.
    """
    display = to_simplified(cleaned)
    rest, branch = _without_branch_marker(display)
    # A branch is named after its parent, legal form included, then its own place.
    parent, legal_form, branch_place = _split_branch(rest) if branch else (*_without_legal_form(rest), "")
    core, place = strip_places(parent)
    core = " ".join(filter(None, (core.strip(" ,.-"), branch_place))) if core.isascii() else core + branch_place
    core = core or display
    lead = romanize(core.split()[0]) if core.isascii() else romanize(core[:2])
    return PartyName(display, core, legal_form, branch, place, romanize(_industry_in_chinese(core)), lead)


def to_simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones; other text unchanged."""
    return _converter().convert(text)


@functools.lru_cache(maxsize=100_000)
def romanize(text: str) -> str:
    """Lower-case letters and digits only; Chinese characters as toneless pinyin.

    Cached: a trade name's lead and a customer's name recur across systems, and pinyin
    lookup costs more than the rest of parsing a name.
    """
    from pypinyin import lazy_pinyin

    return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(text)).lower())


def _industry_in_chinese(core: str) -> str:
    """An English core, its closing industry words in Chinese: Hongda Environmental Technology -> hongda环保科技."""
    if not core.isascii():
        return core
    rest, terms = core.lower(), ""
    while found := next((item for item in INDUSTRY_TERMS if rest.endswith(" " + item[0])), None):
        rest, terms = rest[: -len(found[0]) - 1].rstrip(), found[1] + terms
    return rest + terms


def _without_branch_marker(name: str) -> tuple[str, bool]:
    lowered = name.lower()
    for marker in BRANCH_MARKERS:
        if lowered.endswith(marker):
            return _WORD_EDGE.sub("", name[: len(name) - len(marker)]), True
    return name, False


def _without_legal_form(name: str) -> tuple[str, str | None]:
    """The name before its legal form, and the form's code; 合伙企业(有限合伙) counts as one form."""
    found = None
    for _ in range(2):
        lowered = name.lower()
        ending, code = next(
            ((ending, code) for ending, code in LEGAL_FORMS if lowered.endswith(ending) and _starts_word(name, ending)),
            (None, None),
        )
        if ending is None:
            break
        name, found = _WORD_EDGE.sub("", name[: len(name) - len(ending)]), found or code
    return name, found


def _split_branch(name: str) -> tuple[str, str | None, str]:
    """A branch name as (parent's name before its legal form, that form, the branch's own part)."""
    lowered = name.lower()
    for ending, code in LEGAL_FORMS:
        at = lowered.rfind(ending)
        if at > 0 and _starts_word(name, ending, at):
            return _WORD_EDGE.sub("", name[:at]), code, name[at + len(ending) :].strip()
    return name, None, ""


def _starts_word(name: str, ending: str, at: int | None = None) -> bool:
    """Whether an ending found at ``at`` (default: the end) may be a legal form there.

    Chinese endings may follow anything; an English one must start a word, so 'Ltd' does
    not match inside 'Holtd'.
    """
    if not (ending[0].isascii() and ending[0].isalpha()):
        return True
    start = len(name) - len(ending) if at is None else at
    return start > 0 and not name[start - 1].isalnum()


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")

"""Party records: which certificate is which and whether its checksum holds; name, address and industry parts."""

from __future__ import annotations

import pandas as pd
from stdnum.cn import ric, uscc

from transforms.standardize.industry import parse_industry_code
from transforms.standardize.names import parse_party_name, to_simplified
from transforms.standardize.places import split_address

_USCC_TYPES = ("信用代码", "营业执照", "uscc", "credit code")
_RESIDENT_ID_TYPES = ("身份证", "resident", "identity card")


def derive_party(canonical: pd.DataFrame, original_names: list[object]) -> pd.DataFrame:
    """Sort certificates into credit codes and resident IDs, and check both checksums.

    An identifier that fails its checksum is kept for display and flagged; matching
    uses only valid ones. A valid resident ID also gives the date of birth where the
    source has none (its digits 7 to 14).
    """
    frame = canonical.copy()
    frame["name_original"] = original_names
    for position, (kind, number) in enumerate(zip(frame["certificate_type"], frame["certificate_number"], strict=True)):
        if number is None or kind is None:
            continue
        label = kind.lower()
        if any(marker in label for marker in _USCC_TYPES) and frame.at[frame.index[position], "uscc"] is None:
            frame.at[frame.index[position], "uscc"] = number
        elif (
            any(marker in label for marker in _RESIDENT_ID_TYPES)
            and frame.at[frame.index[position], "resident_id"] is None
        ):
            frame.at[frame.index[position], "resident_id"] = number
    frame["uscc_valid"] = [None if code is None else bool(uscc.is_valid(code)) for code in frame["uscc"]]
    frame["resident_id_valid"] = [
        None if number is None else bool(ric.is_valid(number)) for number in frame["resident_id"]
    ]
    identities = zip(frame["date_of_birth"], frame["resident_id"], frame["resident_id_valid"], strict=True)
    frame["date_of_birth"] = [
        ric.get_birth_date(number) if born is None and valid else born for born, number, valid in identities
    ]
    names = [None if name is None else parse_party_name(name) for name in frame["name"]]
    frame["name"] = [None if name is None else name.display for name in names]
    frame["name_core"] = [None if name is None else name.core for name in names]
    frame["name_romanized"] = [None if name is None else name.romanized for name in names]
    frame["name_lead"] = [None if name is None else name.lead or None for name in names]
    frame["legal_form"] = [None if name is None else name.legal_form for name in names]
    frame["is_branch"] = [None if name is None else name.branch for name in names]
    frame["name_place"] = [None if name is None else name.place for name in names]
    frame["address"] = [None if address is None else to_simplified(address) for address in frame["address"]]
    addresses = [split_address(address) for address in frame["address"]]
    for part in ("province", "city", "district"):
        frame[part] = [getattr(address, part) for address in addresses]
    frame["address_detail"] = [address.rest for address in addresses]
    frame["industry_section"] = [parse_industry_code(code)[1] for code in frame["industry_code"]]
    return frame.drop(columns=["certificate_type", "certificate_number"])

"""Party records: which certificate is which, and whether its checksum holds."""

from __future__ import annotations

import pandas as pd
from stdnum.cn import ric, uscc

_USCC_TYPES = ("信用代码", "营业执照", "uscc", "credit code")
_RESIDENT_ID_TYPES = ("身份证", "resident", "identity card")


def derive_party(canonical: pd.DataFrame, original_names: list[object]) -> pd.DataFrame:
    """Sort certificates into credit codes and resident IDs, and check both checksums.

    An identifier that fails its checksum is kept for display and flagged; matching
    uses only valid ones.
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
    return frame.drop(columns=["certificate_type", "certificate_number"])

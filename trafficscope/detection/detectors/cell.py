"""CELL_ID: the serving cell, as sibling keys mcc, mnc, lac/tac and cid/ci of one object.

A phone's cell (MCC, MNC, location area or tracking area code, cell id)
locates it to a few hundred metres. Reported when one parent key path holds
a cell id key and at least two of the others, with numeric values (hex cell
ids are accepted) and a plausible MCC. The value is `mcc-mnc-lac-cid`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ...model import Field
from ..keys import split_key
from .base import Detector, FlowCandidate

ROLES = {
    "mcc": "mcc", "mnc": "mnc", "lac": "lac", "tac": "lac", "cid": "cid", "ci": "cid",
    "cellid": "cid", "cell": "cid", "nci": "cid", "eci": "cid", "bsid": "cid", "sid": "mcc",
    "nid": "mnc",
}
_NUM = re.compile(r"(?:[0-9]{1,12}|0x[0-9A-Fa-f]{1,10})")


class CellIdDetector(Detector):
    ENTITY = "CELL_ID"

    @staticmethod
    def wants_key(key: str) -> bool:
        return split_key(key)[1] in ROLES

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        groups: dict[tuple[str, str, tuple[str, ...]], dict[str, Field]] = {}
        for f in fields:
            if not f.key:
                continue
            parent, last = split_key(f.key)
            role = ROLES.get(last)
            if role is None or not _NUM.fullmatch(f.value.strip()):
                continue
            groups.setdefault((f.location, parent, f.encoding), {}).setdefault(role, f)
        for roles in groups.values():
            cid = roles.get("cid")
            if cid is None or len(roles) < 3 or cid.value.strip() in ("0", "-1"):
                continue
            mcc = roles.get("mcc")
            if mcc is not None and not 200 <= _int(mcc.value) <= 799 and "sid" not in (
                    mcc.key or "").lower():
                continue
            value = "-".join(roles[r].value.strip() if r in roles else "" for r in
                             ("mcc", "mnc", "lac", "cid"))
            yield FlowCandidate(cid, value, 0.8, ("keys:" + "+".join(sorted(roles)),))


def _int(text: str) -> int:
    text = text.strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return -1

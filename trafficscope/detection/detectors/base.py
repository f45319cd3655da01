"""What every pattern detector is made of: named patterns and a pure validator.

A detector is a class used as a namespace, never instantiated: class
constants say what it finds, static methods say how to check and normalise a
candidate. Following Presidio, `validate` returns True (the candidate is
certainly of this type: confidence rises to at least `VALIDATED`), False
(drop it) or None (keep the pattern's base score).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, NamedTuple

from ...model import Field

#: Confidence of a pattern match that its validator confirmed.
VALIDATED = 0.95

#: Edges (character classes a match must not touch) and Python-only guards.
DIGITS = "0-9"
NOT_AFTER_DIGIT_DOT = r"(?<![0-9]\.)"  # no decimal fraction: `1.13812345678`
NOT_BEFORE_DOT_DIGIT = r"(?!\.[0-9])"
ALNUM = "0-9A-Za-z"
#: Hyperscan prefilters of the stand-alone digit-run patterns: a whole run of 15
#: digits (IMEI, IMSI) or of 18, the last may be X (resident ID). One expression
#: per length, shared by the patterns of that length, costs Hyperscan what one
#: for all lengths did (the patterns' own expressions: about twice as much), and a
#: run's match end goes only to the patterns of its length. ICCID (19-20 digits)
#: uses its own, `89` first: in the benchmark's ordinary traffic, runs that long
#: that were no ICCID gave ten times as many match ends as ICCIDs did.
DIGIT_RUN_15 = "(?:^|[^0-9])[0-9]{15}(?:[^0-9]|$)"
DIGIT_RUN_18 = "(?:^|[^0-9])[0-9]{17}[0-9Xx](?:[^0-9]|$)"


class Pattern(NamedTuple):
    """A named regex with a base score, in the engine's shared dialect.

    `regex` must read the same in Python `re` and Hyperscan (ASCII classes, no
    lookaround). `edge_before`/`edge_after` are classes of characters that
    must not touch the match (both engines check them); `guard_before`/
    `guard_after` are extra lookarounds that Python checks. A `needs_key`
    pattern is reported only under a key naming the detector's entity.
    `anchor`/`anchor_reach`, `prefilter`: see `EnginePattern` (an anchor lets
    the engine search an unbounded pattern near its Hyperscan match ends; a
    prefilter is a looser, faster Hyperscan expression several patterns share).
    """

    name: str
    regex: str
    score: float
    edge_before: str = ""
    edge_after: str = ""
    guard_before: str = ""
    guard_after: str = ""
    caseless: bool = False
    needs_key: bool = False
    anchor: str = ""
    anchor_reach: int = 0
    prefilter: str = ""


def whole_number(name: str, regex: str, score: float, *, needs_key: bool = False,
                 prefilter: str = "") -> Pattern:
    """A pattern for a number that stands alone: no digit touches it, and it is not
    part of a decimal (`1.13812345678`, `13812345678.5`)."""
    return Pattern(name, regex, score, edge_before=DIGITS, edge_after=DIGITS,
                   guard_before=NOT_AFTER_DIGIT_DOT, guard_after=NOT_BEFORE_DOT_DIGIT,
                   needs_key=needs_key, prefilter=prefilter)


class FlowCandidate(NamedTuple):
    """A value a detector found from several fields of one flow."""

    field: Field
    value: str  # already normalised
    score: float
    evidence: tuple[str, ...]


class Detector:
    """Defaults for the class constants and hooks of a pattern detector."""

    ENTITY: ClassVar[str] = ""
    #: Entities a key may relabel the match to (a MAC under `bssid` is a WIFI_BSSID).
    KEY_ENTITIES: ClassVar[tuple[str, ...]] = ()
    PATTERNS: ClassVar[tuple[Pattern, ...]] = ()
    #: Digit-based values: a time/counter key (`ts`, `seq`) halves the confidence.
    NUMERIC: ClassVar[bool] = False
    #: Evidence string recorded when `validate` returns True.
    VALIDATOR: ClassVar[str] = "validated"

    @staticmethod
    def validate(text: str) -> bool | None:
        return None

    @staticmethod
    def normalize(text: str) -> str:
        return text

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        """Values that need several fields of a flow together (lat + lon)."""
        return ()

    @staticmethod
    def wants_key(key: str) -> bool:
        """Whether `from_flow` may use a field under the key path `key`. It must give
        nothing for a flow where no field has a key it wants: the Scanner does not
        call it for such flows (most flows), asking once per key."""
        return True

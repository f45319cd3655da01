"""Shared Hyperscan prefilters: each must be found in every text its pattern matches.

A prefilter that missed a match would hide it from `re` (the engine runs the
exact pattern only over the fields where the prefilter fired), so each
pattern's prefilter is checked against strings generated from the pattern.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trafficscope.detection.detectors import DETECTORS
from trafficscope.detection.detectors.base import Pattern

PREFILTERED = [(d.__name__, p) for d in DETECTORS for p in d.PATTERNS if p.prefilter]


def test_broad_patterns_have_prefilters() -> None:
    # the digit, hex and email patterns that fire every few dozen bytes of dense text
    names = {p.name for _, p in PREFILTERED}
    assert {"imei", "cn-imsi", "iccid", "cn-ric", "cn-mobile", "international", "email",
            "colon", "dash", "hex16", "uuid"} <= names


@pytest.mark.parametrize(("detector", "pattern"), PREFILTERED,
                         ids=[f"{d}-{p.name}" for d, p in PREFILTERED])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_prefilter_is_found_in_every_match(detector: str, pattern: Pattern,
                                           data: st.DataObject) -> None:
    flags = re.ASCII | (re.IGNORECASE if pattern.caseless else 0)
    text = data.draw(st.from_regex(re.compile(pattern.regex, flags), fullmatch=True))
    assert re.search(pattern.prefilter, text, flags), (detector, pattern.name, text)

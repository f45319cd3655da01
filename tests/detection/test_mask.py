from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trafficscope.detection import mask, value_sha256


@pytest.mark.parametrize(("value", "masked"), [
    ("490154203237518", "49***********18"),  # long: two first and two last kept
    ("02:1a:11:f0:c3:7e", "02*************7e"),  # separators are masked too
    ("R58M1ABC", "R******C"),  # 5-8 characters: one kept at each end
    ("Li", "**"),  # short values are masked entirely
    ("李雷", "**"),  # whatever the script
    ("", ""),  # nothing to mask
    ("jane.doe.test@example.org", "j***@***.org"),  # email: first char and TLD only
    ("a@b.cn", "a***@***.cn"),  # short email, fixed-width masks
    ("@handle", "@*****e"),  # not an email (no local part): generic rule
    ("version@1", "ve*****@1"),  # no dot in the domain: generic rule
])
def test_mask(value: str, masked: str) -> None:
    assert mask(value) == masked


@given(st.text(max_size=60))
def test_mask_hides_most_of_long_values(value: str) -> None:
    out = mask(value)
    if "@" not in value:
        assert len(out) == len(value)
        assert sum(a == b for a, b in zip(out, value, strict=True)) <= 4 + value.count("*")


def test_value_sha256() -> None:
    assert value_sha256("490154203237518") == hashlib.sha256(b"490154203237518").hexdigest()
    assert len(value_sha256("李雷")) == 64
    assert value_sha256("\ud800") != value_sha256("")  # lone surrogates do not raise

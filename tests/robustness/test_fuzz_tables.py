"""Hypothesis over every registered reader and decoder: arbitrary bytes raise only
the project's errors. Formats and decoders come from their tables (READERS,
DECODERS, VALUE_DECODERS), so a reader or decoder added there is fuzzed at once.

CI runs Hypothesis's default (100 examples per test); `make fuzz` sets
HYPOTHESIS_PROFILE=fuzz: 100,000 examples per format and decoder.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trafficscope.decoding.content import DECODERS, decode
from trafficscope.decoding.limits import Budget, Limits
from trafficscope.decoding.values import VALUE_DECODERS, walk
from trafficscope.errors import DecodeError, ReadError
from trafficscope.model import Field, Flow
from trafficscope.profile import load_profile
from trafficscope.sources import READERS
from trafficscope.store import Store

#: Bytes a capture of each format starts with, so the fuzzer gets past the magic.
PREFIXES = {"har": [b"{", b'{"log": {"entries": [{'], "mitm": [b"5:", b"120:"],
            "pcap": [b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"], "pcapng": [b"\x0a\x0d\x0d\x0a"]}
LIMITS = Limits(max_decoded_body=1 << 20)


def _drain(fmt: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(content)
        try:
            for flow in READERS[fmt](path):
                assert isinstance(flow, Flow)
        except ReadError as e:
            assert e.path == str(path) and "\n" not in str(e)


@pytest.mark.parametrize("fmt", sorted(READERS))
@given(data=st.data(), content=st.binary(max_size=400))
def test_reader_raises_only_read_error(fmt: str, data: st.DataObject, content: bytes) -> None:
    prefix = data.draw(st.sampled_from([b"", *PREFIXES.get(fmt, [])]))
    _drain(fmt, prefix + content)


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(content=st.binary(max_size=600))
def test_content_decoder_raises_only_decode_error(name: str, content: bytes) -> None:
    with contextlib.suppress(DecodeError):
        out = decode(content, name, 4096)
        assert len(out) <= 4096


@pytest.mark.parametrize("name", [name for name, _, _ in VALUE_DECODERS])
@given(text=st.text(max_size=300))
def test_value_decoder_never_raises(name: str, text: str) -> None:
    decoder = next(d for n, _, d in VALUE_DECODERS if n == name)
    with contextlib.suppress(DecodeError):
        decoder(text, LIMITS, Budget.of(LIMITS))


@given(text=st.text(max_size=300) | st.binary(max_size=300).map(
    lambda b: b.decode("latin-1")))
def test_walk_never_raises(text: str) -> None:
    for f in walk("body", None, text, (), LIMITS):
        assert isinstance(f, Field) and isinstance(f.value, str)


@given(content=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_profile_raises_only_read_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.toml"
        path.write_bytes(content)
        with contextlib.suppress(ReadError):
            load_profile(path)


@given(content=st.binary(max_size=200))
def test_store_on_arbitrary_file_raises_only_read_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.db"
        path.write_bytes(content)
        try:
            Store(path).close()
        except ReadError as e:
            assert "\n" not in str(e)


"""Readers raise ReadError and nothing else, whatever the bytes (as mitmproxy fuzzes its own)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources import iter_flows
from trafficscope.sources.har import read_har
from trafficscope.sources.mitmflow import read_flow_file

Reader = Callable[[Path], Iterator[Flow]]
READERS: list[Reader] = [read_har, read_flow_file, iter_flows]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)
KEYS = ["request", "url", "method", "headers", "postData", "text", "params", "encoding",
        "cookies", "startedDateTime", "serverIPAddress", "response", "status", "httpVersion",
        "_webSocketMessages", "name", "value", "mimeType", "headersSize", "bodySize", "time"]
har_like = st.recursive(
    st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(["base64", "h3", "http://a.b:99/", "[::1]",
                                              "2024-01-01T00:00:00Z", "multipart/form-data"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner,
                                                                max_size=6),
    max_leaves=30,
)


def drain(reader: Reader, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(content)
        try:
            for flow in reader(path):
                assert isinstance(flow, Flow)
        except ReadError as e:
            assert e.path == str(path)
            assert "\n" not in str(e)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes(reader: Reader, content: bytes) -> None:
    drain(reader, content)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_arbitrary_json(reader: Reader, value: Any) -> None:
    drain(reader, json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(har_like, max_size=5), cut=st.integers(min_value=0, max_value=400))
def test_har_like_entries(entries: list[Any], cut: int) -> None:
    content = json.dumps({"log": {"entries": entries}}).encode()
    drain(read_har, content)
    drain(read_har, content[:cut])


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from([b"12:", b"0:~", b"5:hello,", b"\x1f\x8b", b"x\x9c"]),
       content=st.binary(max_size=200))
def test_magic_prefixes(prefix: bytes, content: bytes) -> None:
    for reader in READERS:
        drain(reader, prefix + content)

"""`string_end` (where a JSON string ends, at C speed) against the JSON grammar."""

from __future__ import annotations

import io
import json
import re
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st

from trafficscope.sources import jsonguard
from trafficscope.sources.jsonguard import ESCAPE_SHARE, StringCap, backslash_run, string_end

# The grammar's answer: plain characters and whole escapes, then the quote.
REFERENCE = re.compile(rb'[^"\\]*(?:\\[\s\S][^"\\]*)*')

pieces = st.lists(st.sampled_from([b"a", b"\\", b'"', b"\\\\", b'\\"', b"x" * 5000, b"\\u00e9",
                                   b"\xc3\xa9", b"\0"]), max_size=40).map(b"".join)


@given(pieces, st.integers(0, 3))
def test_string_end_agrees_with_the_grammar(data: bytes, pos: int) -> None:
    pos = min(pos, len(data))
    assert string_end(data, pos) == REFERENCE.match(data, pos).end()  # type: ignore[union-attr]


@given(pieces, st.integers(0, 3))
def test_vectorized_search_agrees_with_the_grammar(data: bytes, pos: int) -> None:
    pos = min(pos, len(data))
    with patch.object(jsonguard, "_VECTOR_MIN", 1), patch.object(jsonguard, "_VECTOR_BLOCK", 3):
        assert string_end(data, pos) == REFERENCE.match(data, pos).end()  # type: ignore[union-attr]


def test_escaped_quotes_and_backslash_runs() -> None:
    assert string_end(b'ab\\"c"d', 0) == 5
    assert string_end(b'ab\\\\"c', 0) == 4
    assert string_end(b'\\\\\\"x\\', 0) == 5  # data ends inside an escape
    long = b"\\n" * 10_000 + b'"'
    assert string_end(long, 0) == len(long) - 1  # past the first window


class _Sliced(bytes):
    """Bytes that count the bytes copied out of them by slicing: string_end's work."""

    copied = 0

    def __getitem__(self, key):  # type: ignore[no-untyped-def, override]
        out = super().__getitem__(key)
        if isinstance(key, slice):
            _Sliced.copied += len(out)
        return out


def test_strings_of_escapes_cost_their_own_length_not_the_reads() -> None:
    # 2,000 strings of 3,000 escaped quotes in one read (a structured mutant: deep JSON
    # sent as a string value in 2,000 HAR entries, 20 MB, read in 19 s CPU). Past its
    # first window each string took the rest of the read at once: 12 GB copied (and
    # counted, blanked) for 12 MB of data; now windows doubling up to the string's end.
    one = b'\\"' * 3000
    data = _Sliced(b'", "'.join([one] * 2000) + b'"')
    _Sliced.copied = 0
    ends, pos = [], 0
    while pos < len(data):
        stop = string_end(data, pos)
        ends.append(stop)
        pos = stop + 4
    assert ends == [i * (len(one) + 4) + len(one) for i in range(2000)]
    assert _Sliced.copied < 4 * len(data)


# BMP text without surrogates: json.dumps writes a surrogate pair as two \\u
# escapes that read back as one character, so the prefix check would not hold.
@given(st.lists(st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)),
                      max_size=300), max_size=8),
       st.integers(1, 200))
def test_capped_stream_stays_json_with_strings_cut(texts: list[str], cap: int) -> None:
    doc = json.dumps(texts).encode()
    capped = StringCap(io.BytesIO(doc), cap)
    out = json.loads(io.BufferedReader(capped, 7).read())
    assert len(out) == len(texts)
    for got, text in zip(out, texts, strict=True):
        assert text.startswith(got)
        assert len(json.dumps(got)[1:-1].encode()) <= cap or got == text


def test_a_string_of_escapes_is_cut_at_its_escape_share() -> None:
    cap = 32 * ESCAPE_SHARE  # room for 32 escapes
    doc = json.dumps(['"' * 1000, "after", "\\" * 10]).encode()
    capped = StringCap(io.BytesIO(doc), cap)
    out = json.loads(io.BufferedReader(capped, 64).read())
    # whole escapes only (the cut backs off an escape that ends just before it)
    assert out[0] == '"' * len(out[0]) and 28 <= len(out[0]) <= 32
    assert out[1:] == ["after", "\\" * 10]  # the next strings are read as they are
    assert capped.cuts == 1


def test_escape_share_counts_per_string() -> None:
    cap = 4 * ESCAPE_SHARE
    texts = ['"' * 4, "\n" * 4, "é" * 3]  # \u00e9: one backslash each
    capped = StringCap(io.BytesIO(json.dumps(texts).encode()), cap)
    assert json.loads(io.BufferedReader(capped).read()) == texts
    assert capped.cuts == 0


@given(st.binary(max_size=40).map(lambda b: b.replace(b"\\", b"")), st.integers(0, 5000),
       st.integers(0, 3), st.integers(0, 3))
def test_backslash_run_counts_the_trailing_backslashes(head: bytes, run: int, lo: int,
                                                        tail: int) -> None:
    data = head + b"\\" * run + b"x" * tail
    lo = min(lo, len(head) + run)
    hi = len(head) + run
    assert backslash_run(data, lo, hi) == min(run, hi - lo)

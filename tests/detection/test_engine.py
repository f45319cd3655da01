"""Both engine backends must return the same spans; Hyperscan is only faster."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from trafficscope.detection import engine as engine_mod
from trafficscope.detection.detectors import DETECTORS
from trafficscope.detection.engine import Engine, EnginePattern, literal_regex

from .conftest import BACKENDS

DIGITS = "0-9"
PATTERNS = [
    EnginePattern(r"[0-9]{15}", False, DIGITS, DIGITS),
    EnginePattern(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}", False, "0-9A-Za-z:", "0-9A-Za-z:"),
    EnginePattern(literal_regex("Jane Doe"), True, "0-9A-Za-z", "0-9A-Za-z"),
    EnginePattern(literal_regex("李雷"), True),
    EnginePattern(literal_regex("a.b*c(d)"), False),
    EnginePattern(r"1[3-9][0-9]{9}", False, DIGITS, DIGITS, r"(?<![0-9]\.)", r"(?!\.[0-9])"),
] + [EnginePattern(p.regex, p.caseless, p.edge_before, p.edge_after, p.guard_before,
                   p.guard_after, p.anchor, p.anchor_reach, p.prefilter)
      for d in DETECTORS for p in d.PATTERNS]

SAMPLES = [
    "",
    "imei=490154203237518&x=1",
    "4901542032375180",  # 16 digits: no 15-digit match inside
    "mac 02:1A:11:F0:C3:7E and aa:02:1a:11:f0:c3:7e:ff",
    "hello jane doe! JANE DOE, janedoe, xJane Doe",
    "我是李雷，你好",
    "a.b*c(d) abc(d)",
    "v=1.13812345678 tel 13812345678 13812345678.5",
    "ll=39.9042,116.4074 jane@example.org image@2x.png +86 138 1234 5678",
    "\x00\x01 surrogate \ud800 end",
]


def engines() -> list[Engine]:
    return [Engine(PATTERNS, b) for b in BACKENDS]


ENGINES = engines()


@pytest.mark.parametrize("text", SAMPLES)
def test_backends_agree(text: str) -> None:
    results = [e.scan(text) for e in ENGINES]
    assert all(r == results[0] for r in results)


def test_backends_agree_on_a_flow() -> None:
    results = [e.scan_many(SAMPLES) for e in ENGINES]
    assert all(r == results[0] for r in results)
    # the same as scanning each text alone
    alone = [(i, *hit) for i, t in enumerate(SAMPLES) for hit in ENGINES[0].scan(t)]
    assert results[0] == alone


@pytest.mark.parametrize("backend", BACKENDS)
def test_spans_and_guards(backend: str) -> None:
    e = Engine(PATTERNS[:6], backend)
    assert e.scan("imei=490154203237518&x=1") == [(0, 5, 20)]
    assert e.scan("4901542032375180") == []  # a 15-digit match would touch a digit
    assert e.scan("hello jane doe! JANE DOE, janedoe, xJane Doe") == [
        (2, 6, 14), (2, 16, 24)]  # caseless, but not inside a longer word
    assert e.scan("我是李雷，你好") == [(3, 2, 4)]  # character offsets, not bytes
    # not after "1." (a decimal fraction) nor before ".5"
    assert e.scan("v=1.13812345678 tel 13812345678 13812345678.5") == [(5, 20, 31)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_patterns(backend: str) -> None:
    e = Engine([], backend)
    assert e.scan("anything") == [] and e.scan_many(["a", "b"]) == []


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="not available"):
        Engine(PATTERNS, "re2")


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
def test_many_events_fall_back_to_single_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "MAX_EVENTS", 3)
    texts = ["490154203237518 " * 10, "nothing", "a 352099001761481 b"]
    e = Engine(PATTERNS[:1], "hyperscan")
    assert e.scan_many(texts) == Engine(PATTERNS[:1], "re").scan_many(texts)
    assert len(e.scan_many(texts)) == 11


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
def test_many_texts_are_scanned_in_joins_of_bounded_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fields of many flows come in one call: they are joined JOIN_CHARS at a
    # time (here 64 characters), and the spans are those of each text alone.
    texts = [*SAMPLES, "a" * 100, *SAMPLES[::-1], "x" * 20 + " 13812345678"] * 3
    e = Engine(PATTERNS, "hyperscan")
    calls: list[int] = []
    joined = e._joined
    monkeypatch.setattr(e, "_joined",
                        lambda ts, which: calls.append(len(which)) or joined(ts, which))
    monkeypatch.setattr(engine_mod, "JOIN_CHARS", 64)
    got = e.scan_many(texts)
    alone = [(i, *hit) for i, t in enumerate(texts) for hit in Engine(PATTERNS, "re").scan(t)]
    assert got == alone
    assert len(calls) > 6 and sum(calls) == sum(1 for t in texts if t)
    monkeypatch.setattr(engine_mod, "JOIN_CHARS", 1 << 30)
    calls.clear()
    assert e.scan_many(texts) == alone and calls == [len(texts)]


@pytest.mark.parametrize("text", [
    "plain", "a b", "+86 (0)10-1234", "a.b*c?d[e]{f}|g^h$i\\j", "tab\there", "nul\x00x",
    "李雷", "naïve", "100%", "#frag", "~/x", "'quote\"", "\x7f",
])
def test_literal_regex_matches_itself(text: str) -> None:
    pat = EnginePattern(literal_regex(text))
    assert re.fullmatch(pat.python_regex, text, re.ASCII)
    for e in [Engine([pat], b) for b in BACKENDS]:
        assert e.scan(f"<{text}>") == [(0, 1, 1 + len(text))]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(
    [*"0123456789abcdefABCDEF:-.@+ ,xyz李", "jane@example.org", "490154203237518", "Jane Doe",
     "13812345678"]), max_size=40).map("".join), max_size=4))
def test_backends_agree_on_random_flows(texts: list[str]) -> None:
    results = [e.scan_many(texts) for e in ENGINES]
    assert all(r == results[0] for r in results)


def test_without_hyperscan_the_re_backend_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "_hs", None)  # as on a platform without wheels
    assert engine_mod.available_backends() == ("re",)
    e = Engine(PATTERNS[:1])
    assert e.backend == "re"
    assert e.scan("imei=490154203237518&x=1") == [(0, 5, 20)]
    with pytest.raises(ValueError, match="not available"):
        Engine(PATTERNS[:1], "hyperscan")


ALONE = engine_mod.ALONE_CHARS


@pytest.mark.parametrize("texts", [
    ["id=490154203237518", "x", "jane doe", "ts=1700000000000", "mac 02:1a:11:f0:c3:7e"],
    # long fields are scanned alone; short ones joined
    ["a" * ALONE + " 490154203237518 jane@example.org", "Jane Doe", "",
     "13812345678", "b" * (ALONE - 1) + "@x.cn"],
    ["no digits here", "nor here"],
])
def test_long_and_short_fields_agree_with_re(texts: list[str]) -> None:
    hs_or_re = [Engine(PATTERNS, b).scan_many(texts) for b in BACKENDS]
    assert all(r == hs_or_re[0] for r in hs_or_re)
    alone = [(i, *hit) for i, t in enumerate(texts) for hit in Engine(PATTERNS, "re").scan(t)]
    assert hs_or_re[0] == alone


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(
    [*"0123456789abcdefABCDEF:-.@+ ,xyz李", "jane@example.org", "490154203237518", "Jane Doe",
     "13812345678", "02:1a:11:f0:c3:7e", "a" * 300]), max_size=40).map("".join), max_size=5))
def test_backends_agree_on_random_flows_with_long_fields(texts: list[str]) -> None:
    results = [Engine(PATTERNS, b).scan_many(texts) for b in BACKENDS]
    assert all(r == results[0] for r in results)


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
def test_a_large_field_is_scanned_without_copies() -> None:
    # A 64 MiB body next to small fields: the old engine joined every field of the
    # flow (three copies); now a long text is encoded once, alone.
    import tracemalloc

    size = 64 * 1024 * 1024
    body = "x" * (size - 40) + " jane@example.org 02:1a:11:f0:c3:7e"
    texts = ["jane@example.org", body, "13812345678"]
    e = Engine(PATTERNS, "hyperscan")
    tracemalloc.start()
    try:
        hits = e.scan_many(texts)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    email = next(i for i, p in enumerate(PATTERNS) if "@" in p.regex)
    assert {(ti, s) for ti, pid, s, _ in hits if pid == email} == {(0, 0), (1, size - 39)}
    assert peak < 1.25 * size, f"peak {peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB field"


# Windows: with Hyperscan, `re` searches only near the reported match ends. These
# tokens make matches touch, overlap, nest and sit next to almost-matches (digit runs
# one longer or shorter, dots after digits, several `@`), so that a window cut in the
# wrong place would lose or invent a span.
WINDOW_TOKENS = [*"0123456789abcXYZ:-.@+ _,李", "89860012345678901234", "8986001234567890123",
                 "460001234567890", "4600012345678901", "+86 138-1234-5678", "0086 13812345678",
                 "a.b-c@d.e-f.cn", "x@y.co.uk.", "@@", "02-1A-11-F0-C3-7E", "02:1a:11:f0:c3:7e:",
                 "110101199003077777", "11010119900307777X", "490154203237518",
                 "+1 (650) 253-0000", "jane@example.org", "q" * 70, "q" * 63]


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
@settings(max_examples=300, deadline=None)
@example([" " + "q" * 64 + "@d.cn", "李 " + "q" * 64 + "@d.cn"])  # the longest local part
@given(st.lists(st.lists(st.sampled_from(WINDOW_TOKENS), max_size=30).map("".join),
                max_size=4))
def test_windows_give_the_spans_of_a_whole_search(texts: list[str]) -> None:
    e = Engine(PATTERNS, "hyperscan")
    with mock.patch.object(engine_mod, "WINDOW_COST", 0):  # windows, however many ends
        got = e.scan_many(texts)
    assert got == Engine(PATTERNS, "re").scan_many(texts) == e.scan_many(texts)
    for th in e.hits(texts):  # and the ends are used, not dropped
        assert all(isinstance(ends, list) and ends for ends in th.ends.values())
        assert (th.data is None) == texts[th.text_index].isascii()
        text = texts[th.text_index]
        for pid, ends in th.ends.items():  # `matches` gives the text of those spans
            with mock.patch.object(engine_mod, "WINDOW_COST", 0):
                assert e.matches(pid, text, ends, th.data) == [
                    text[s:end] for s, end in e.spans(pid, text, ends, th.data)]


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
def test_a_window_is_searched_not_the_whole_text() -> None:
    imei = next(i for i, p in enumerate(PATTERNS) if p.regex == "[0-9]{15}")
    text = "x" * 5000 + " 490154203237518 " + "y" * 5000 + " 352099001761481"
    e = Engine(PATTERNS, "hyperscan")
    (th,) = e.hits([text])
    ends = th.ends[imei]
    # Hyperscan's ends: past the space after the first (the edge), the text's end for
    # the second
    assert ends == [5017, 10033]
    windows = engine_mod._windows(15, "", 0, text, ends)
    assert windows == [(5001, 5017), (10017, 10033)]  # 16 characters before each end
    assert e.spans(imei, text, ends) == [(5001, 5016), (10018, 10033)] == e.spans(imei, text)
    assert engine_mod._window_spans(e._regex(imei), (15, 2, 0, 15), "", text, ends) == [
        (5001, 5016), (10018, 10033)]  # from the windows, not a whole search (None)
    assert engine_mod._window_spans(e._regex(imei), (15, 2, 0, 15), "", text, ends * 40) is None


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
def test_a_digit_run_goes_to_the_patterns_of_its_length() -> None:
    by_regex = {p.regex: i for i, p in enumerate(PATTERNS)}
    imei, imsi = by_regex["[0-9]{15}"], by_regex["460(?:0[0-9]|11|15|20)[0-9]{10}"]
    iccid, ric = by_regex["89[0-9]{17,18}"], by_regex["[1-9][0-9]{16}[0-9Xx]"]
    e = Engine(PATTERNS, "hyperscan")
    runs = {"490154203237518": {imei, imsi}, "11010519491231002X": {ric},
            "8986001234567890123": {iccid}, "1234567890123456789": set()}
    for run, expected in runs.items():
        got = {pid for th in e.hits([f"a {run} b"]) for pid in th.ends}
        assert got & {imei, imsi, iccid, ric} == expected, run


class _CountingSearch:
    """A compiled pattern that counts its searches."""

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx, self.searches = rx, 0

    def search(self, *args: Any) -> re.Match[str] | None:
        self.searches += 1
        return self.rx.search(*args)


def test_a_window_is_searched_again_only_where_another_match_fits() -> None:
    ab = _CountingSearch(re.compile("ab"))
    pad = "x" * 2 * engine_mod.WINDOW_COST  # (fewer ends than the text's length allows)
    # one end: after the match no two characters are left before it, one search
    assert engine_mod._window_spans(ab, (2, 0, 0, 2), "", "xxabxx" + pad, [4]) == [(2, 4)]  # type: ignore[arg-type]
    assert ab.searches == 1
    # two ends in one window: room for the second match, found by a second search
    ab.searches = 0
    assert engine_mod._window_spans(ab, (2, 0, 0, 2), "", "xxabab" + pad, [4, 6]) == [  # type: ignore[arg-type]
        (2, 4), (4, 6)]
    assert ab.searches == 2
    # room left but nothing there: searched again, nothing found
    ab.searches = 0
    assert engine_mod._window_spans(ab, (2, 0, 0, 2), "", "xxabxx" + pad, [4, 6]) == [(2, 4)]  # type: ignore[arg-type]
    assert ab.searches == 2


def test_reach_of_patterns() -> None:
    def reach(p: EnginePattern) -> tuple[int | None, int, int, int] | None:
        return engine_mod._reach(p, re.compile(p.python_regex, re.ASCII))

    assert reach(PATTERNS[0]) == (15, 1, 0, 15)  # the edge is a one-character lookahead
    assert reach(PATTERNS[5]) == (11, 2, 0, 11)  # (?!\.[0-9]) reads two
    email = next(p for p in PATTERNS if "@" in p.regex)
    assert email.anchor == "@" and reach(email) == (None, 2, 64, 6)  # unbounded, anchored
    assert reach(EnginePattern("a+")) is None  # unbounded: whole texts
    assert reach(EnginePattern("ab", guard_after=r"(?!x*y)")) is None
    assert reach(EnginePattern("ab", guard_after=r"(?!x{40})")) is None  # past LOOK
    assert reach(EnginePattern(r"ab\b")) == (2, 1, 0, 2)
    assert reach(EnginePattern("ab$")) is None  # a window's end would satisfy `$`
    assert reach(EnginePattern("(?:ab(?=c)|d)+x")) is None
    assert reach(EnginePattern("(?:ab(?=cd)|d){1,3}x")) == (7, 2, 0, 2)
    # over UTF-8: widths in bytes, the anchor's reach four bytes a character
    # over UTF-8: an ASCII pattern's characters are bytes; a non-ASCII literal's are not
    assert engine_mod._bytes_pattern(email)[1:] == ((None, 2, 64, 6), b"@")  # type: ignore[index]
    wide = EnginePattern("李[a-z]{1,9}@[a-z]+", anchor="@", anchor_reach=10)
    assert engine_mod._bytes_pattern(wide)[1] == (None, 0, 40, 6)  # type: ignore[index]
    assert engine_mod._bytes_pattern(EnginePattern("李雷"))[1] == (6, 0, 0, 6)  # type: ignore[index]


@pytest.mark.parametrize(("regex", "safe"), [
    ("[0-9]{15}", True), ("李雷", True), ("(?i:ab)c", True), (r"\d\s\w", True),
    (".", False), ("[^0-9]", False), (r"\D", False), (r"\W", False), (r"\S", False),
    ("[é]", False), ("a(?![^b])", False), ("(?:a|[^x]){2}", False),
])
def test_patterns_that_read_the_same_over_utf8(regex: str, safe: bool) -> None:
    assert (engine_mod._bytes_pattern(EnginePattern(regex)) is not None) is safe


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
def test_non_ascii_texts_are_searched_as_utf8() -> None:
    e = Engine(PATTERNS, "hyperscan")
    imei = next(i for i, p in enumerate(PATTERNS) if p.regex == "[0-9]{15}")
    # 李雷 is 2 characters, 6 bytes; the first IMEI ends at byte 22 (+1: the NUL edge)
    texts = ["李雷 490154203237518", "490154203237518", "é490154203237518é 李 490154203237518"]
    hits = {th.text_index: th for th in e.hits(texts)}
    assert hits[0].ends[imei] == [23] and hits[0].data == texts[0].encode()
    assert hits[1].ends[imei] == [16] and hits[1].data is None  # ASCII: characters
    # an edge may be the first byte of a character (é)
    assert hits[2].ends[imei] == [18, 39]
    # spans come back in characters (from windows over the bytes: short texts would
    # otherwise be searched whole)
    with mock.patch.object(engine_mod, "WINDOW_COST", 0):
        assert e.spans(imei, texts[2], hits[2].ends[imei], hits[2].data) == [(1, 16), (20, 35)]
        assert e.matches(imei, texts[2], hits[2].ends[imei], hits[2].data) == [
            "490154203237518"] * 2
        b = e._bytes[imei]
        assert engine_mod._window_spans(b[0], b[1], b[2], hits[2].data, [18, 39]) == [
            (2, 17), (24, 39)]
    assert e.scan_many(texts) == Engine(PATTERNS, "re").scan_many(texts)
    assert engine_mod._characters("a李b".encode(), 0, 5) == 3  # a, 李, b
    assert engine_mod._characters("a李b".encode(), 1, 2) == 1  # the lead byte of 李
    offsets = engine_mod._CharacterOffsets()
    data = "a李b李".encode()
    assert offsets.spans(data, [(4, 5), (0, 1)]) == [(2, 3), (0, 1)]
    assert offsets.spans(data, [(1, 4), (5, 8)]) == [(1, 2), (3, 4)]  # between known ones
    assert offsets.spans(b"\xc3\xa9x", [(2, 3)]) == [(1, 2)]  # another text: start over


# A pattern with a `prefilter` (or an anchor) relies on that expression matching
# wherever the pattern does: a value of each such pattern, between random
# neighbours, is found by both backends alike (a prefilter that misses a form, say
# after a detector's regex changes, fails here).
PREFILTERED = [(p, i) for i, p in enumerate(PATTERNS) if p.prefilter or p.anchor]


@pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")
@settings(max_examples=200, deadline=None)
@given(st.data())
def test_prefilters_cover_their_patterns(data: st.DataObject) -> None:
    assert len(PREFILTERED) >= 5  # IMEI, IMSI, 3GPP identity (IMSI), resident ID, email
    p, pid = data.draw(st.sampled_from(PREFILTERED))
    value = data.draw(st.from_regex(f"(?{'i' if p.caseless else ''}a:{p.regex})", fullmatch=True))
    around = st.text(st.sampled_from(" ,;=&:/\x00é李x0.-@"), max_size=3)
    text = data.draw(around) + value + data.draw(around)
    e = Engine(PATTERNS, "hyperscan")
    expected = Engine(PATTERNS, "re").scan_many([text])
    assert e.scan_many([text]) == expected
    if any(hit[1] == pid for hit in expected):  # found by re: Hyperscan reported it too
        assert any(pid in th.ends for th in e.hits([text]))

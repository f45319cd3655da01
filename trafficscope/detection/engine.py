"""One pass over the fields of a flow for every pattern: Hyperscan, or `re`.

An `EnginePattern` is an ASCII regular expression that both engines read the
same way (no lookaround, no backreferences, explicit ASCII classes), plus
guards on the characters around a match. Hyperscan has no lookaround, so it
serves as a prefilter: it says which patterns may occur in which field, and
where their matches end, and Python's `re` then finds the exact spans (guards
included) for those pairs only, searching only near those ends (`spans`).
The fallback backend (no `hyperscan` wheel) asks one combined `re`
whether anything occurs at all and, when it does, runs the same per-pattern
`finditer`. Both backends therefore return identical spans; Hyperscan makes
the "nothing here" case, the common one, cheap.

`hits(texts)` scans each text of `ALONE_CHARS` or more alone with a
single-match database (each pattern reports at most once, and no joined copy
of a large field is made, so memory stays a small multiple of the largest
field). The other texts go through one Hyperscan call per `JOIN_CHARS` of
them (callers pass the fields of many flows at once: a call costs as much as
scanning a few KB): UTF-8 joined by NUL (which no pattern matches), match end
offsets mapped back to the texts. When a call reports more than `MAX_EVENTS`
matches, or one per `BYTES_PER_EVENT` bytes (identifier-dense text: one
Python callback per match), the scan stops and each of its texts is scanned
alone with the single-match database instead. Compiled databases
are cached on disk (`hscache`). Literal text (profile values) goes through
`literal_regex`. As patterns are ASCII or literal, a match in a text is a
match in its bytes, so the prefilter never hides a match from `re`.

Windows. Every match `re` finds (start s, end e) is also a Hyperscan match
of the looser expression (the pattern's own with edges, or a `prefilter`
several patterns share), reported at end e or e + 1 (the edge character).
So for a reported end E, a match ends at or before E and starts in
`[E - 1 - width, E]` (width: the pattern's longest match; for a pattern
with an `anchor`, from `anchor_reach` before the last anchor character).
`spans` merges these start ranges into disjoint windows and runs `re` over
each window only, ending the search `LOOK` characters past the window's last
end so that lookaheads see the real text; a match is kept when it starts in
the window and ends by its last end (after a match, the window is searched
again only if a match of the pattern's shortest length still fits before that
end). As no match starts between windows, `finditer` over a window is in step
with `finditer` over the whole text, and both give the same spans (the tests
compare them with the `re` backend).

A text that is not ASCII is searched as its UTF-8, with the pattern compiled
for bytes (`_bytes_pattern`: only where it reads the same there), so
Hyperscan's byte offsets are used as they are; the spans found are turned
into character offsets (`spans`), or decoded into the matched values
(`matches`, what the Scanner uses). Texts scanned alone or after too many
events (no ends), texts with more ends than their length over `WINDOW_COST`,
and unbounded patterns without an anchor are searched whole.

An `Engine` keeps scratch space: use one per thread.
"""

from __future__ import annotations

import importlib
import logging
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from re import _constants as _const  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from . import hscache

log = logging.getLogger(__name__)

_hs: Any
try:  # x86_64 wheels only; the `re` backend gives the same results, slower
    _hs = importlib.import_module("hyperscan")
except ImportError:  # pragma: no cover - depends on the platform
    _hs = None

BACKENDS = ("hyperscan", "re")
#: Match events per flow scan before switching to per-field single-match scans
#: (each event is a Python call; past this the text is identifier-dense): at
#: least MAX_EVENTS, or one per BYTES_PER_EVENT bytes of the joined texts.
#: Events are cheap next to what they save: their ends let `re` search small
#: windows instead of whole texts.
MAX_EVENTS = 512
BYTES_PER_EVENT = 16
#: Texts this long (characters) are scanned on their own, single-match, never
#: joined: no copy of a large field is made, and its events stay bounded.
ALONE_CHARS = 64 * 1024
#: Short texts are joined for one Hyperscan call up to about this many characters (a
#: call costs about as much as scanning a few KB; the joined copy stays small).
JOIN_CHARS = 256 * 1024
_SEP = b"\x00"
_PLUS_ONE = (1).__add__  # a text's length and its separator's
#: Characters a lookahead may read past a match's end (checked per pattern).
LOOK = 32
#: About as many characters as `re` searches in the time the Python work of one
#: window takes: with more ends than a text's length over this, it is searched whole.
WINDOW_COST = 128


@dataclass(frozen=True, slots=True)
class EnginePattern:
    """A pattern both engines can run, with guards on the characters around it.

    `edge_before`/`edge_after` are character-class bodies (`0-9A-Za-z`): a
    match must not touch such a character. Python checks them with
    lookaround; Hyperscan with `(?:^|[^...])` / `(?:[^...]|$)`, which keeps
    long runs (hex tokens, digit ids) from reporting a match at every offset.
    `guard_before`/`guard_after` are further lookarounds that only `re` checks.
    """

    regex: str
    caseless: bool = False
    edge_before: str = ""
    edge_after: str = ""
    guard_before: str = ""  # e.g. r"(?<![0-9]\.)"
    guard_after: str = ""
    #: A character every match holds, none after it and at most `anchor_reach`
    #: characters after the match's start (`@` in an email): bounds where an
    #: unbounded pattern's match can start, given where it ends.
    anchor: str = ""
    anchor_reach: int = 0
    #: A Hyperscan expression to use instead of the pattern's own (with edges): it
    #: must match wherever the pattern does, ending at the same place or one
    #: character later, and may be shared (one entry serves several patterns).
    prefilter: str = ""

    @property
    def python_regex(self) -> str:
        body = f"(?i:{self.regex})" if self.caseless else f"(?:{self.regex})"
        before = f"(?<![{self.edge_before}])" if self.edge_before else ""
        after = f"(?![{self.edge_after}])" if self.edge_after else ""
        return f"{before}{self.guard_before}{body}{after}{self.guard_after}"

    @property
    def hyperscan_regex(self) -> str:
        if self.prefilter:
            return self.prefilter
        before = f"(?:^|[^{self.edge_before}])" if self.edge_before else ""
        after = f"(?:[^{self.edge_after}]|$)" if self.edge_after else ""
        return f"{before}(?:{self.regex}){after}"


def literal_regex(text: str) -> str:
    """`text` as a regex that Python's `re` and Hyperscan both read literally.

    ASCII letters and digits stay; other printable ASCII is backslash-escaped
    (a literal in both dialects); control characters become `\\xHH`; non-ASCII
    characters stay as they are (Hyperscan then matches their UTF-8 bytes).
    """
    out = []
    for ch in text:
        o = ord(ch)
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif 0x20 <= o < 0x7F:
            out.append("\\" + ch)
        elif o < 0x80:
            out.append(f"\\x{o:02x}")
        else:
            out.append(ch)
    return "".join(out)


def available_backends() -> tuple[str, ...]:
    return BACKENDS if _hs is not None else ("re",)


#: Per text: pattern index -> Hyperscan match ends, or () when they are not
#: known (the text is then searched whole).
Hits = dict[int, list[int] | tuple[()]]


class TextHits(NamedTuple):
    """The patterns that may match one text, and where their matches end.

    `ends` are character offsets in the text, or, when `data` is set (a text
    that is not ASCII), byte offsets in `data`, its UTF-8: `spans` then
    searches the bytes, and only the spans it finds become character offsets.
    """

    text_index: int
    ends: Hits
    data: bytes | None = None


def _on_event(pid: int, _start: int, end: int, _flags: int,
              context: tuple[list[tuple[int, int]], int]) -> bool:
    events, limit = context
    events.append((pid, end))
    return len(events) > limit  # True stops the scan


def _on_single(pid: int, _start: int, _end: int, _flags: int, ids: set[int]) -> None:
    ids.add(pid)


class Engine:
    """Finds every pattern in texts in one scan; spans come from `re`.

    `scan(text)` returns `(pattern index, start, end)`; `scan_many(texts)`
    returns `(text index, pattern index, start, end)`; both sorted, with
    character offsets. `hits(texts)` is the prefilter with match ends, and
    `spans(pid, text, ends)` the exact spans of one pattern near those ends.
    """

    def __init__(self, patterns: Sequence[EnginePattern], backend: str = "auto") -> None:
        if backend == "auto":
            backend = "hyperscan" if _hs is not None else "re"
        if backend not in available_backends():
            raise ValueError(f"engine backend {backend!r} is not available")
        self.backend = backend
        self.patterns = tuple(patterns)
        # Python regexes are compiled when a pattern first needs one (with a thousand
        # profile variants, compiling them all would add ~0.1 s to every start).
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self.patterns)
        # Per pattern, worked out when first needed (start-up stays as it was):
        # its reach (`_reach`), and the pattern over UTF-8 bytes for texts that are not
        # ASCII (`_bytes_pattern`; None: not the same there).
        self._reach: list[Any] = [_UNSET] * len(self.patterns)
        self._bytes: list[Any] = [_UNSET] * len(self.patterns)
        self._characters = _CharacterOffsets()
        # Hyperscan entries, (expression, caseless) -> the patterns that share it.
        self._entries, self._members = _entries(self.patterns)
        self._multi: Any = None
        self._single: Any = None
        self._any: re.Pattern[str] | None = None
        if not self.patterns:
            return
        if backend == "hyperscan":
            self._multi = _hs_database(self._entries, single=False)
            self._single = _hs_database(self._entries, single=True)
        else:
            self._any = re.compile("|".join(p.python_regex for p in self.patterns), re.ASCII)
        log.debug("engine: %d patterns, %d entries on %s", len(self.patterns),
                  len(self._entries), backend)

    def _alone(self, text: str) -> Hits:
        """Patterns that may match `text`, from a single-match scan of it alone."""
        ids: set[int] = set()
        self._single.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=_on_single,
                          context=ids)
        members = self._members
        return {pid: () for k in ids for pid in members[k]}

    def _joined(self, texts: Sequence[str], which: Sequence[int]) -> dict[int, TextHits]:
        """Hits per text for the short texts `which`, from one scan of them joined."""
        sub = [texts[i] for i in which] if len(which) != len(texts) else texts
        datas: list[bytes] | None = None
        if all(map(str.isascii, sub)):  # the common case: one join, one encode
            data = "\x00".join(sub).encode("ascii")
        else:
            datas = list(map(str.encode, sub, repeat("utf-8"), repeat("surrogatepass")))
            data = _SEP.join(datas)
        events: list[tuple[int, int]] = []
        limit = max(MAX_EVENTS, len(data) // BYTES_PER_EVENT)
        try:
            self._multi.scan(data, match_event_handler=_on_event, context=(events, limit))
        except _hs.ScanTerminated:
            return {i: TextHits(i, hits) for i in which if (hits := self._alone(texts[i]))}
        if not events:
            return {}
        starts = list(accumulate(map(_PLUS_ONE, map(len, sub if datas is None else datas)),
                                 initial=0))
        by_text: dict[int, dict[int, list[int]]] = {}  # text -> entry -> byte ends
        for k, end in events:
            j = bisect_right(starts, end - 1) - 1
            entries = by_text.get(j)
            if entries is None:
                entries = by_text[j] = {}
            ends = entries.get(k)
            if ends is None:
                entries[k] = [end - starts[j]]
            else:
                ends.append(end - starts[j])
        members = self._members
        per_text: dict[int, TextHits] = {}
        for j, entries in by_text.items():
            i = which[j]
            got: Hits = {pid: ends for k, ends in entries.items() for pid in members[k]}
            if datas is not None and len(datas[j]) != len(sub[j]):  # ends are in bytes
                per_text[i] = TextHits(i, got, datas[j])
            else:
                per_text[i] = TextHits(i, got)
        return per_text

    def hits(self, texts: Sequence[str]) -> list[TextHits]:
        """The patterns that may match each text (a superset) and their match ends,
        for the texts where any may, sorted by text."""
        if not self.patterns or not texts:
            return []
        if self._any is not None:
            search = self._any.search
            if len(texts) > 1 and search("\x00".join(texts)) is None:
                return []
            return [TextHits(i, dict.fromkeys(range(len(self.patterns)), ()))
                    for i, t in enumerate(texts) if search(t) is not None]
        lengths = list(map(len, texts))
        if max(lengths) < ALONE_CHARS and sum(lengths) < JOIN_CHARS:  # the common case
            found = self._joined(texts, range(len(texts)))
        else:
            found = {}
            group: list[int] = []
            size = 0
            for i, n in enumerate(lengths):
                if n >= ALONE_CHARS:
                    if hits := self._alone(texts[i]):
                        found[i] = TextHits(i, hits)
                elif n:
                    group.append(i)
                    size += n + 1
                    if size >= JOIN_CHARS:
                        found.update(self._joined(texts, group))
                        group, size = [], 0
            if group:
                found.update(self._joined(texts, group))
        return [found[i] for i in sorted(found)]

    def candidates(self, texts: Sequence[str]) -> list[tuple[int, list[int]]]:
        """(text index, pattern indices that may match it): a superset, sorted."""
        return [(th.text_index, sorted(th.ends)) for th in self.hits(texts)]

    def _regex(self, pid: int) -> re.Pattern[str]:
        rx = self._compiled[pid]
        if rx is None:
            rx = self._compiled[pid] = re.compile(self.patterns[pid].python_regex, re.ASCII)
        return rx

    def _windowed(self, pid: int, text: str, ends: Sequence[int],
                  data: bytes | None) -> list[tuple[int, int]] | None:
        """Spans from windows before `ends`: in `data` when given, else in `text`; None
        when the whole text must be searched."""
        if not ends:
            return None
        if data is None:
            reach = self._reach[pid]
            if reach is _UNSET:
                reach = self._reach[pid] = _reach(self.patterns[pid], self._regex(pid))
            return _window_spans(self._regex(pid), reach, self.patterns[pid].anchor,
                                 text, ends)
        b = self._bytes[pid]
        if b is _UNSET:
            b = self._bytes[pid] = _bytes_pattern(self.patterns[pid])
        return None if b is None else _window_spans(b[0], b[1], b[2], data, ends)

    def spans(self, pid: int, text: str, ends: Sequence[int] = (),
              data: bytes | None = None) -> list[tuple[int, int]]:
        """Exact (start, end) of pattern `pid` in `text`, guards checked.

        With `ends` (Hyperscan match ends, from `hits`: in `text`, or in `data`,
        the text's UTF-8, when given), only windows before those ends are
        searched; the result is the same.
        """
        got = self._windowed(pid, text, ends, data)
        if got is None:
            return [m.span() for m in self._regex(pid).finditer(text)]
        return self._characters.spans(data, got) if data is not None and got else got

    def matches(self, pid: int, text: str, ends: Sequence[int] = (),
                data: bytes | None = None) -> list[str]:
        """The text of each span `spans` gives (no character offsets worked out)."""
        got = self._windowed(pid, text, ends, data)
        if got is None:
            return [m.group() for m in self._regex(pid).finditer(text)]
        if data is None:
            return [text[s:e] for s, e in got]
        return [data[s:e].decode("utf-8", "surrogatepass") for s, e in got]

    def scan_many(self, texts: Sequence[str]) -> list[tuple[int, int, int, int]]:
        out: list[tuple[int, int, int, int]] = []
        for ti, hits, data in self.hits(texts):
            text = texts[ti]
            for pid in sorted(hits):
                out.extend((ti, pid, s, e) for s, e in self.spans(pid, text, hits[pid], data))
        return out

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        return [(pid, s, e) for _, pid, s, e in self.scan_many((text,))]


_UNSET: Any = object()
_NOT_CONTINUATION = bytes(b for b in range(256) if b & 0xC0 != 0x80)


class _CharacterOffsets:
    """Byte offsets in UTF-8 as character offsets, remembering those of the last
    text: its patterns' spans are converted one pattern after another."""

    def __init__(self) -> None:
        self._data = b""
        self._bytes = [0]
        self._chars = [0]

    def spans(self, data: bytes, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Byte spans in `data` (at character boundaries) as character spans."""
        if data is not self._data:
            self._data, self._bytes, self._chars = data, [0], [0]
        known, chars = self._bytes, self._chars
        at: dict[int, int] = {}
        for b in sorted({b for span in spans for b in span}):
            i = bisect_right(known, b) - 1
            at[b] = c = chars[i] + _characters(data, known[i], b)
            if known[i] != b:
                known.insert(i + 1, b)
                chars.insert(i + 1, c)
        return [(at[s], at[e]) for s, e in spans]


def _characters(data: bytes, start: int, end: int) -> int:
    """Characters that begin in `data[start:end]` (UTF-8: bytes less continuation bytes).

    A byte end inside a character (an edge class matched its first byte) counts
    that character: the offset is then one past the match's end, which windows
    allow for.
    """
    return end - start - len(data[start:end].translate(None, _NOT_CONTINUATION))


#: (longest match or None: anchored, lookahead, anchor reach, shortest match)
_Reach = tuple[int | None, int, int, int]


def _window_spans(rx: re.Pattern[Any], reach: _Reach | None, anchor: Any, subject: Any,
                  ends: Sequence[int]) -> list[tuple[int, int]] | None:
    """Spans of `rx` in `subject`, searched only in windows before `ends`; None when
    the whole subject must be searched (see the module's docstring)."""
    if reach is None or len(ends) * WINDOW_COST > len(subject):
        return None  # (many ends: one search of the whole text costs less)
    width, look, anchor_reach, least = reach
    out: list[tuple[int, int]] = []
    n = len(subject)
    search = rx.search
    for lo, last in _windows(width, anchor, anchor_reach, subject, ends):
        stop = min(n, last + look)
        # (what `finditer` does, without its scanner object: windows hold a match or two;
        # the next search starts at the end of a match, which is never empty here)
        while (m := search(subject, lo, stop)) is not None:
            s, e = m.span()
            if s > last:
                break
            if e > last:  # cut short by the window's end
                return None
            if e == s:  # an empty match: let `finditer` over the whole text take it
                return None
            out.append((s, e))
            if last - e < least:  # no room for another match that ends by `last`
                break
            lo = e
    return out


def _windows(width: int | None, anchor: Any, anchor_reach: int, subject: Any,
             ends: Sequence[int]) -> list[tuple[int, int]]:
    """Disjoint (first start, last end) windows: a match ending at or before one of
    `ends` starts in one of them, at or before its last end (see the module's
    docstring)."""
    if len(ends) == 1 and width is not None:  # the common case: one window
        return [(max(ends[0] - 1 - width, 0), ends[0])]
    out: list[tuple[int, int]] = []
    for end in sorted(ends):
        if width is not None:
            lo = end - 1 - width
        else:  # anchored: the match starts at most anchor_reach before its last anchor
            lo = subject.rfind(anchor, 0, max(end - 1, 0)) - anchor_reach
        lo = max(lo, 0)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((lo, end))
    return out


def _reach(p: EnginePattern, rx: re.Pattern[Any], scale: int = 1) -> _Reach | None:
    """(longest match or None when anchored, lookahead reach, anchor reach, shortest
    match), or None when `re` must search whole texts (unbounded and not anchored,
    or a lookahead past LOOK). `scale`: units per character of the anchor reach (4
    over UTF-8)."""
    tree = _parser.parse(rx.pattern, rx.flags)
    least, width = tree.getwidth()
    look = _lookahead(tree)
    if look is None or look > LOOK:
        return None
    if width < _parser.MAXREPEAT:
        return width, look, 0, least
    if p.anchor and p.anchor_reach > 0:
        return None, look, p.anchor_reach * scale, least
    return None


def _bytes_pattern(p: EnginePattern) -> tuple[re.Pattern[bytes], _Reach | None, bytes] | None:
    """`p` compiled over UTF-8 bytes, with its reach and anchor there; None when it
    would not match the same there (a negated class, `.`, a non-ASCII class)."""
    try:
        rx = re.compile(p.python_regex.encode("utf-8", "surrogatepass"))
    except re.error:
        return None
    if not _byte_safe(_parser.parse(rx.pattern, rx.flags)):
        return None
    # A byte-safe pattern written in ASCII matches ASCII bytes only: its characters are
    # bytes, so the anchor reach stays; a non-ASCII literal may take 4 bytes a character.
    scale = 1 if rx.pattern.isascii() else 4
    return rx, _reach(p, rx, scale), p.anchor.encode("utf-8", "surrogatepass")


# (sre's opcodes and category codes are ints that overlap: keep them apart)
_NEGATED_OPS = frozenset({_const.ANY, _const.NOT_LITERAL, _const.NEGATE,
                          _const.NOT_LITERAL_IGNORE})
_NEGATED_CATEGORIES = frozenset({_const.CATEGORY_NOT_DIGIT, _const.CATEGORY_NOT_SPACE,
                                 _const.CATEGORY_NOT_WORD, _const.CATEGORY_NOT_LINEBREAK})


def _byte_safe(tree: Any) -> bool:
    """No item of `tree` can match part of a character or read one as a unit: no
    negations or `.`, and classes of ASCII only."""
    for op, av in tree:
        if op in _NEGATED_OPS or (op is _const.CATEGORY and av in _NEGATED_CATEGORIES):
            return False
        if op is _const.IN:
            for iop, iav in av:
                if (iop in _NEGATED_OPS or (iop is _const.CATEGORY and iav in _NEGATED_CATEGORIES)
                        or (iop is _const.LITERAL and iav > 0x7F)
                        or (iop is _const.RANGE and iav[1] > 0x7F)):
                    return False
            continue
        subs = [av[1]] if op in (_const.ASSERT, _const.ASSERT_NOT) else _subtrees(op, av)
        if not all(_byte_safe(sub) for sub in subs):
            return False
    return True


_AT_ONE = frozenset({_const.AT_BOUNDARY, _const.AT_NON_BOUNDARY, _const.AT_UNI_BOUNDARY,
                     _const.AT_UNI_NON_BOUNDARY, _const.AT_LOC_BOUNDARY,
                     _const.AT_LOC_NON_BOUNDARY})  # read one character ahead
_NESTED = frozenset({_const.SUBPATTERN, _const.MAX_REPEAT, _const.MIN_REPEAT,
                     _const.POSSESSIVE_REPEAT, _const.ATOMIC_GROUP})


def _subtrees(op: Any, av: Any) -> list[Any]:
    """The sub-patterns of a group, repeat or alternation item of a parse tree (an
    assertion's are left to the caller: lookbehind and lookahead differ)."""
    if op is _const.BRANCH:
        return list(av[1])
    if op in _NESTED:
        return [av if op is _const.ATOMIC_GROUP else av[-1]]
    return []


def _lookahead(tree: Any) -> int | None:
    """The farthest `tree` reads past where a match may end, through lookaheads and
    word boundaries (None: unbounded, or an end-of-text assertion, which a window's
    end would satisfy)."""
    far = 0
    for op, av in tree:
        subs: list[Any] = _subtrees(op, av)
        if op in (_const.ASSERT, _const.ASSERT_NOT):
            direction, sub = av
            if direction == 1:
                w = sub.getwidth()[1]
                inner = _lookahead(sub)
                if w >= _parser.MAXREPEAT or inner is None:
                    return None
                far = max(far, w + inner)
        elif op is _const.AT:
            if av in _AT_ONE:
                far = max(far, 1)
            elif av not in (_const.AT_BEGINNING, _const.AT_BEGINNING_LINE,
                            _const.AT_BEGINNING_STRING):
                return None
        for sub in subs:
            inner = _lookahead(sub)
            if inner is None:
                return None
            far = max(far, inner)
    return far


_Entries = tuple[tuple[tuple[str, bool], ...], tuple[tuple[int, ...], ...]]


def _entries(patterns: Sequence[EnginePattern]) -> _Entries:
    """((Hyperscan expression, caseless) per entry, the patterns of each entry)."""
    entries: dict[tuple[str, bool], list[int]] = {}
    for i, p in enumerate(patterns):
        entries.setdefault((p.hyperscan_regex, p.caseless), []).append(i)
    return tuple(entries), tuple(tuple(m) for m in entries.values())


def _hs_database(entries: Sequence[tuple[str, bool]], single: bool) -> Any:
    single_flag = _hs.HS_FLAG_SINGLEMATCH if single else 0
    flags = [single_flag | (_hs.HS_FLAG_CASELESS if caseless else 0) for _, caseless in entries]
    return hscache.compile_db(_hs, [e.encode("utf-8") for e, _ in entries],
                              list(range(len(entries))), flags)

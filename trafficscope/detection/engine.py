"""One pass over the fields of a flow for every pattern: Hyperscan, or `re`.

An `EnginePattern` is an ASCII regular expression that both engines read the
same way (no lookaround, no backreferences, explicit ASCII classes), plus
guards on the characters around a match. Hyperscan has no lookaround, so it
serves as a prefilter: it says which patterns may occur in which field, and
Python's `re` then finds the exact spans (guards included) for those pairs
only. The fallback backend (no `hyperscan` wheel) asks one combined `re`
whether anything occurs at all and, when it does, runs the same per-pattern
`finditer`. Both backends therefore return identical spans; Hyperscan makes
the "nothing here" case, the common one, cheap.

`candidates(texts)` scans each text of `ALONE_CHARS` or more alone with a
single-match database (each pattern reports at most once, and no joined copy
of a large field is made, so memory stays a small multiple of the largest
field). The other texts of a flow go through one Hyperscan call: UTF-8
joined by NUL (which no pattern matches), match end offsets mapped back to
the texts. When they report more than `MAX_EVENTS` matches (identifier-dense
text: one Python callback per match), the scan stops and each text is
scanned alone with the single-match database instead. Compiled databases
are cached on disk (`hscache`). Literal text (profile values) goes through
`literal_regex`. As patterns are ASCII or literal, a match in a text is a
match in its bytes, so the prefilter never hides a match from `re`.

An `Engine` keeps scratch space: use one per thread.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from . import hscache

log = logging.getLogger(__name__)

_hs: Any
try:  # x86_64 wheels only; the `re` backend gives the same results, slower
    _hs = importlib.import_module("hyperscan")
except ImportError:  # pragma: no cover - depends on the platform
    _hs = None

BACKENDS = ("hyperscan", "re")
#: Match events per flow scan before switching to per-field single-match scans
#: (each event is a Python call; past this the text is identifier-dense).
MAX_EVENTS = 512
#: Texts this long (characters) are scanned on their own, single-match, never
#: joined: no copy of a large field is made, and its events stay bounded.
ALONE_CHARS = 64 * 1024
_SEP = b"\x00"


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

    @property
    def python_regex(self) -> str:
        body = f"(?i:{self.regex})" if self.caseless else f"(?:{self.regex})"
        before = f"(?<![{self.edge_before}])" if self.edge_before else ""
        after = f"(?![{self.edge_after}])" if self.edge_after else ""
        return f"{before}{self.guard_before}{body}{after}{self.guard_after}"

    @property
    def hyperscan_regex(self) -> str:
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


def _on_event(pid: int, _start: int, end: int, _flags: int, events: list[tuple[int, int]]) -> bool:
    events.append((pid, end))
    return len(events) > MAX_EVENTS  # True stops the scan


def _on_single(pid: int, _start: int, _end: int, _flags: int, ids: set[int]) -> None:
    ids.add(pid)


class Engine:
    """Finds every pattern in texts in one scan; spans come from `re`.

    `scan(text)` returns `(pattern index, start, end)`; `scan_many(texts)`
    returns `(text index, pattern index, start, end)`; both sorted, with
    character offsets.
    """

    def __init__(self, patterns: Sequence[EnginePattern], backend: str = "auto") -> None:
        if backend == "auto":
            backend = "hyperscan" if _hs is not None else "re"
        if backend not in available_backends():
            raise ValueError(f"engine backend {backend!r} is not available")
        self.backend = backend
        self.patterns = tuple(patterns)
        self._compiled = [re.compile(p.python_regex, re.ASCII) for p in self.patterns]
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

    def _alone(self, text: str) -> set[int]:
        """Patterns that may match `text`, from a single-match scan of it alone."""
        ids: set[int] = set()
        self._single.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=_on_single,
                          context=ids)
        members = self._members
        return {pid for k in ids for pid in members[k]}

    def _joined(self, texts: Sequence[str], which: list[int]) -> dict[int, set[int]]:
        """Patterns per text for the short texts `which`, from one scan of them joined."""
        datas = [texts[i].encode("utf-8", "surrogatepass") for i in which]
        starts = [0, *accumulate(len(d) + 1 for d in datas)][:-1]
        events: list[tuple[int, int]] = []
        with contextlib.suppress(_hs.ScanTerminated):
            self._multi.scan(_SEP.join(datas), match_event_handler=_on_event, context=events)
        if len(events) > MAX_EVENTS:
            return {i: ids for i in which if (ids := self._alone(texts[i]))}
        members = self._members
        per_text: dict[int, set[int]] = {}
        for k, end in events:
            per_text.setdefault(which[bisect_right(starts, end - 1) - 1], set()).update(
                members[k])
        return per_text

    def candidates(self, texts: Sequence[str]) -> list[tuple[int, list[int]]]:
        """(text index, pattern indices that may match it): a superset, sorted."""
        if not self.patterns:
            return []
        if self._any is not None:
            search = self._any.search
            if len(texts) > 1 and search("\x00".join(texts)) is None:
                return []
            every = list(range(len(self.patterns)))
            return [(i, every) for i, t in enumerate(texts) if search(t) is not None]
        found: dict[int, set[int]] = {}
        short = []
        for i, t in enumerate(texts):
            if len(t) >= ALONE_CHARS:
                if ids := self._alone(t):
                    found[i] = ids
            elif t:
                short.append(i)
        if short:
            found.update(self._joined(texts, short))
        return [(i, sorted(found[i])) for i in sorted(found)]

    def spans(self, pid: int, text: str) -> list[tuple[int, int]]:
        """Exact (start, end) of pattern `pid` in `text`, guards checked."""
        return [m.span() for m in self._compiled[pid].finditer(text)]

    def scan_many(self, texts: Sequence[str]) -> list[tuple[int, int, int, int]]:
        out: list[tuple[int, int, int, int]] = []
        for ti, ids in self.candidates(texts):
            text = texts[ti]
            for pid in ids:
                out.extend((ti, pid, s, e) for s, e in self.spans(pid, text))
        return out

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        return [(pid, s, e) for _, pid, s, e in self.scan_many((text,))]


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

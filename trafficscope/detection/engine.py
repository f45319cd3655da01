"""One pass over the fields of a flow for every pattern: Hyperscan, or `re`.

An `EnginePattern` is an ASCII regular expression that both engines read the
same way (no lookaround, no backreferences, explicit ASCII classes), plus
guards on the characters around a match. Hyperscan has no lookaround, so it
serves as a prefilter: it says which patterns occur in which field, and Python's `re` then
finds the exact spans (guards included) for those pairs only. The fallback
backend (no `hyperscan` wheel) asks one combined `re` whether anything occurs
at all and, when it does, runs the same per-pattern `finditer`. Both backends
therefore return identical spans; Hyperscan makes the "nothing here" case,
the common one, cheap.

`scan_many(texts)` scans the fields of a flow with one Hyperscan call: the
UTF-8 texts joined by NUL (which no pattern matches), match end offsets mapped
back to the texts. When a flow reports more than `MAX_EVENTS` matches (long
digit runs), the scan stops and each text is scanned alone with a
single-match database instead. Literal text (profile values) goes through
`literal_regex`. As patterns are ASCII or literal, a match in a text is a match
in its bytes, so the prefilter never hides a match from `re`.

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
from typing import Any

log = logging.getLogger(__name__)

_hs: Any
try:  # x86_64 wheels only; the `re` backend gives the same results, slower
    _hs = importlib.import_module("hyperscan")
except ImportError:  # pragma: no cover - depends on the platform
    _hs = None

BACKENDS = ("hyperscan", "re")
#: Match events per flow scan before switching to per-field single-match scans.
MAX_EVENTS = 512
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


def _on_single(pid: int, _start: int, _end: int, _flags: int, ids: list[int]) -> None:
    ids.append(pid)


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
        self._multi: Any = None
        self._single: Any = None
        self._any: re.Pattern[str] | None = None
        if not self.patterns:
            return
        if backend == "hyperscan":
            self._multi = self._hs_database(0)  # the single-match one is built on first need
        else:
            self._any = re.compile("|".join(p.python_regex for p in self.patterns), re.ASCII)
        log.debug("engine: %d patterns on %s", len(self.patterns), backend)

    def _hs_database(self, extra: int) -> Any:
        n = len(self.patterns)
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        db.compile(
            expressions=[p.hyperscan_regex.encode("utf-8") for p in self.patterns],
            ids=list(range(n)),
            elements=n,
            flags=[extra | (_hs.HS_FLAG_CASELESS if p.caseless else 0) for p in self.patterns],
        )
        return db

    def _single_ids(self, text: str) -> list[int]:
        if self._single is None:
            self._single = self._hs_database(_hs.HS_FLAG_SINGLEMATCH)
        ids: list[int] = []
        self._single.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=_on_single,
                          context=ids)
        return sorted(ids)

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
        datas = [t.encode("utf-8", "surrogatepass") for t in texts]
        starts = []
        pos = 0
        for d in datas:
            starts.append(pos)
            pos += len(d) + 1
        events: list[tuple[int, int]] = []
        with contextlib.suppress(_hs.ScanTerminated):
            self._multi.scan(_SEP.join(datas), match_event_handler=_on_event, context=events)
        if len(events) > MAX_EVENTS:
            return [(i, ids) for i, t in enumerate(texts) if t and (ids := self._single_ids(t))]
        per_text: dict[int, set[int]] = {}
        for pid, end in events:
            per_text.setdefault(bisect_right(starts, end - 1) - 1, set()).add(pid)
        return [(i, sorted(per_text[i])) for i in sorted(per_text)]

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

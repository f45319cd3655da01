"""Streaming JSON with caps on hostile shapes: nesting depth and string length.

ijson (yajl) has neither cap, and both cost more than their size: its memory
grows with the square of the nesting depth (~2 GB at 30,000 levels) and a long
string is rebuilt once per buffer read (minutes for 200 MB). `guarded_events`
stops at `MAX_NESTING` levels; `StringCap` shortens every JSON string to
`max_chars` bytes (and to `max_chars // ESCAPE_SHARE` escapes) before the
parser sees it, so memory and time stay bounded.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

import ijson

#: Objects and arrays nested deeper than this stop the reader. A real HAR nests
#: about 10 deep (Chrome's `_initiator` stacks a few dozen).
MAX_NESTING = 512

#: Bytes ijson reads at once: large reads keep a long string's rebuilds few.
READ_SIZE = 16 * 1024 * 1024

_ESCAPE_WINDOW = 4096  # bytes first searched past an escape; then the rest of the read
_VECTOR_MIN = 1 << 20  # past an escape, data this long is searched with numpy
_VECTOR_BLOCK = 1 << 20  # ... a block at a time

#: A kept string holds at most one escape per this many bytes of its cap. yajl
#: unescapes a long string again for every read it spans, so 64 MiB made only
#: of escapes took 10 s. Real text has far fewer: escaped JSON about one per
#: 10 bytes, CJK text as \uXXXX one per 6 bytes (2 Mi characters still fit).
ESCAPE_SHARE = 32


class TooDeep(ValueError):
    """The JSON nests deeper than `MAX_NESTING`."""


def guarded_events(stream: IO[bytes], backend: Any = ijson) -> Iterator[tuple[str, str, Any]]:
    """ijson's (prefix, event, value) events, stopping at `MAX_NESTING` levels.

    Built from `basic_parse` (whose memory is linear in the depth) with each
    container's prefix kept on a stack, so an event costs O(1) and never a join
    over the whole path (the quadratic part of `ijson.parse`). `backend`: ijson's
    default (yajl, in C), or another of its backends.
    """
    bases: list[str] = []  # prefix of each open container
    current = ""  # prefix of the next value
    for event, value in backend.basic_parse(stream, use_float=True, buf_size=READ_SIZE):
        if event == "map_key":
            base = bases[-1]
            yield base, event, value
            current = value if len(bases) == 1 else f"{base}.{value}"
        elif event == "start_map" or event == "start_array":
            yield current, event, value
            if len(bases) >= MAX_NESTING:
                raise TooDeep(f"JSON nested deeper than {MAX_NESTING} levels")
            bases.append(current)
            if event == "start_array":
                current = "item" if len(bases) == 1 else f"{current}.item"
        elif event == "end_map" or event == "end_array":
            current = bases.pop()
            yield current, event, value
        else:
            yield current, event, value


def backslash_run(data: bytes, lo: int, hi: int) -> int:
    """How many backslashes end data[lo:hi] (a run never counted past `lo`).

    In blocks that double from the end: a block of nothing but backslashes is
    told by `count` (C speed on every shape); `rstrip` finds the run's start
    in the first block that has another byte.
    """
    step, top = 64, hi
    while top > lo:
        bottom = max(lo, top - step)
        if data.count(b"\\", bottom, top) < top - bottom:
            return hi - bottom - len(data[bottom:top].rstrip(b"\\"))
        top, step = bottom, step * 2
    return hi - lo


def _quote_after_lone_escapes(plain: bytes) -> int | None:
    """`_unescaped_quote` for data without an escaped backslash, where every
    backslash escapes the next byte, so a quote after any other byte ends the
    string; None when `plain` holds two backslashes in a row. Fewer passes than
    the general case (`plain[0]` is a backslash, never a quote)."""
    import numpy as np

    a = np.frombuffer(plain, np.uint8)
    head = a[:_VECTOR_BLOCK] == 0x5C  # escape-dense data usually shows pairs early
    if (head[1:] & head[:-1]).any():
        return None
    backslash = a == 0x5C
    if (backslash[1:] & backslash[:-1]).any():
        return None
    hits = np.flatnonzero((a[1:] == 0x22) & ~backslash[:-1])
    return int(hits[0]) + 1 if hits.size else -1


def _unescaped_quote(plain: bytes) -> tuple[int, bool]:
    """In `plain`, which starts at the start of a run of backslashes: the index of
    the first unescaped quote (-1 if none), and whether `plain` ends inside an
    escape (after an odd run of backslashes).

    Vectorized (numpy) for long escape-dense data, where `bytes.count` and
    `replace` slow down on every match: in blocks of 1 MiB (bounded memory), the
    bytes that are not backslashes are listed; the gap before each is the run of
    backslashes it follows, and a quote after an even run ends the string.
    """
    import numpy as np  # only for long strings full of escapes

    run = 0  # backslashes that end the previous block
    for start in range(0, len(plain), _VECTOR_BLOCK):
        a = np.frombuffer(plain, np.uint8, min(_VECTOR_BLOCK, len(plain) - start), start)
        others = np.flatnonzero(a != 0x5C)
        if not others.size:
            run += len(a)
            continue
        gaps = np.empty(others.size, np.int64)
        gaps[0] = others[0] + run
        np.subtract(others[1:], others[:-1] + 1, out=gaps[1:])
        hits = np.flatnonzero((a[others] == 0x22) & ((gaps & 1) == 0))
        if hits.size:
            return start + int(others[hits[0]]), False
        run = len(a) - 1 - int(others[-1])
    return -1, run % 2 == 1


def string_end(data: bytes, pos: int) -> int:
    """Where the JSON string content starting at `pos` ends: the index of its closing
    quote; `len(data)` when the data ends first; the index of a last, lone backslash
    when the data ends inside an escape.

    C-speed on every shape: `bytes.find` (memchr) finds the quote of a string
    without escapes, however long; past an escape, escaped backslashes are blanked
    out of a window (a small one, doubled until it holds the string's end, and at
    least up to the next quote), so that every
    backslash left escapes the next byte; counts say whether an unescaped quote
    is there, and `find` past the blanked escaped quotes gives it. Past 1 MiB,
    numpy finds the first quote after an even run of backslashes.
    No per-byte Python: a 200 MB string made only of escapes reads in under a
    second. The window never grows past twice the string's length (or the next
    quote): taking the rest of the data at once made each string full of escapes
    cost the whole read (16 MiB), quadratic in strings per read.
    """
    end = len(data)
    quote = data.find(b'"', pos)
    slash = data.find(b"\\", pos, end if quote < 0 else quote)
    if slash < 0:
        return end if quote < 0 else quote
    # data[slash] starts an escape (runs of backslashes pair up from their start)
    hi = min(end, slash + _ESCAPE_WINDOW)
    while True:
        if data.find(b'"', slash, hi) < 0:  # no quote: the string goes on past hi
            if hi < end:
                quote = data.find(b'"', hi)
                hi = end if quote < 0 else max(quote + 1, _grown(slash, hi, end))
                continue
            # unless the data ends inside an escape: runs of backslashes pair up
            return end - 1 if backslash_run(data, slash, end) % 2 else end
        plain = data if slash == 0 and hi == end else data[slash:hi]
        if len(plain) >= _VECTOR_MIN:
            lone = _quote_after_lone_escapes(plain)
            if lone is None:
                found, open_escape = _unescaped_quote(plain)
            else:
                found, open_escape = lone, plain.endswith(b"\\")
            if found >= 0:
                return slash + found
            if hi == end:
                return end - 1 if open_escape else end
            hi = _grown(slash, hi, end)
            continue
        if b"\\\\" in plain:  # a pass that a string without them does not need
            plain = plain.replace(b"\\\\", b"\0\0")  # same length
        # every backslash left escapes the next byte: unless each quote follows
        # one (two counts, twice the speed of blanking them), the string ends here
        if plain.count(b'"') != plain.count(b'\\"'):
            return slash + plain.replace(b'\\"', b"\0\0").find(b'"')
        if hi == end:
            return end - 1 if plain.endswith(b"\\") else end
        # a small window first (the common short string), then doubled: the bytes
        # blanked again add up to at most the final window
        hi = _grown(slash, hi, end)


def _grown(start: int, hi: int, end: int) -> int:
    """The window data[start:hi] doubled, within the data."""
    return min(end, start + 2 * (hi - start))


class StringCap(io.RawIOBase):
    """A read-only stream of JSON text whose strings are cut at `max_chars` bytes.

    Only the bytes inside strings are counted; a cut never splits an escape or
    a UTF-8 character, so the text stays valid JSON. Reads are C-speed scans
    (`string_end`), not a loop over bytes.
    """

    def __init__(self, raw: IO[bytes], max_chars: int) -> None:
        self._raw = raw
        self._max = max_chars
        self._max_escapes = max(1, max_chars // ESCAPE_SHARE)
        self._in_string = False
        self._length = 0  # bytes of the current string so far
        self._escapes = 0  # backslashes kept of the current string so far
        self._carry = b""  # an escape split by a read, finished by the next
        self._out = b""
        self.cuts = 0  # strings cut so far

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._out:
            chunk = self._raw.read(max(len(view), 64 * 1024))
            if not chunk:
                self._out, self._carry = self._carry, b""
                if not self._out:
                    return 0
                break
            self._out = self._filter(self._carry + chunk)
        n = min(len(view), len(self._out))
        view[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _filter(self, data: bytes) -> bytes:
        self._carry = b""
        parts: list[bytes] = []
        pos, end = 0, len(data)
        while pos < end:
            if not self._in_string:
                quote = data.find(b'"', pos)
                if quote < 0:
                    parts.append(data[pos:])
                    break
                parts.append(data[pos:quote + 1])
                pos = quote + 1
                self._in_string, self._length, self._escapes = True, 0, 0
                continue
            stop = string_end(data, pos)
            parts.append(self._keep(data, pos, stop))
            if stop == end:
                break
            if data[stop:stop + 1] == b"\\":  # an escape cut by the read
                self._carry = data[stop:]
                break
            parts.append(b'"')
            self._in_string = False
            pos = stop + 1
        return b"".join(parts)

    def _keep(self, data: bytes, start: int, stop: int) -> bytes:
        """The part of data[start:stop] (string content) within the cap."""
        room = self._max - self._length
        self._length += stop - start
        if room <= 0:
            return b""
        cut = min(stop, start + room)
        escapes = data.count(b"\\", start, cut)
        if self._escapes + escapes > self._max_escapes:
            cut = self._escape_cut(data, start, cut, self._max_escapes - self._escapes)
            self._length = self._max  # the rest of this string is dropped
        elif cut == stop:
            self._escapes += escapes
            return data[start:stop]
        self.cuts += 1
        escape = data.rfind(b"\\", max(start, cut - 6), cut)
        if escape >= 0:  # do not cut inside \uXXXX or \n
            run = escape + 1 - backslash_run(data, start, escape + 1)
            cut = escape - ((escape - run) % 2)
        while cut > start and data[cut] & 0xC0 == 0x80:  # nor inside a UTF-8 character
            cut -= 1
        return data[start:cut]

    @staticmethod
    def _escape_cut(data: bytes, start: int, stop: int, allowed: int) -> int:
        """The largest cut in data[start:stop] keeping at most `allowed` backslashes
        (binary search over C-speed counts; the caller then backs off an escape)."""
        lo, hi = start, stop  # count(start, lo) <= allowed < count(start, hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if data.count(b"\\", start, mid) <= allowed:
                lo = mid
            else:
                hi = mid
        return lo

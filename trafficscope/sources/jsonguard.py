"""Streaming JSON with caps on hostile shapes: nesting depth and string length.

ijson (yajl) has neither cap, and both cost more than their size: its memory
grows with the square of the nesting depth (~2 GB at 30,000 levels) and a long
string is rebuilt once per buffer read (minutes for 200 MB). `guarded_events`
stops at `MAX_NESTING` levels; `StringCap` shortens every JSON string to
`max_chars` bytes before the parser sees it, so memory stays bounded.
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
READ_SIZE = 4 * 1024 * 1024

_ESCAPE_WINDOW = 4096  # bytes first searched past an escape; doubled until the string ends


class TooDeep(ValueError):
    """The JSON nests deeper than `MAX_NESTING`."""


def guarded_events(stream: IO[bytes]) -> Iterator[tuple[str, str, Any]]:
    """ijson's (prefix, event, value) events, stopping at `MAX_NESTING` levels.

    Built from `basic_parse` (whose memory is linear in the depth) with each
    container's prefix kept on a stack, so an event costs O(1) and never a join
    over the whole path (the quadratic part of `ijson.parse`).
    """
    bases: list[str] = []  # prefix of each open container
    current = ""  # prefix of the next value
    for event, value in ijson.basic_parse(stream, use_float=True, buf_size=READ_SIZE):
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


def string_end(data: bytes, pos: int) -> int:
    """Where the JSON string content starting at `pos` ends: the index of its closing
    quote; `len(data)` when the data ends first; the index of a last, lone backslash
    when the data ends inside an escape.

    C-speed on every shape: `bytes.find` (memchr) finds the quote of a string
    without escapes, however long; past an escape, escaped backslashes are blanked
    out of a growing window (so every backslash left escapes the next byte), then
    escaped quotes, and `find` gives the closing quote. No per-byte Python.
    """
    end = len(data)
    quote = data.find(b'"', pos)
    slash = data.find(b"\\", pos, end if quote < 0 else quote)
    if slash < 0:
        return end if quote < 0 else quote
    # data[slash] starts an escape (runs of backslashes pair up from their start)
    window = _ESCAPE_WINDOW
    while True:
        hi = min(end, slash + window)
        plain = data[slash:hi].replace(b"\\\\", b"\0\0")  # same length
        quote = plain.replace(b'\\"', b"\0\0").find(b'"')
        if quote >= 0:
            return slash + quote
        if hi == end:
            return end - 1 if plain.endswith(b"\\") else end
        window *= 2


class StringCap(io.RawIOBase):
    """A read-only stream of JSON text whose strings are cut at `max_chars` bytes.

    Only the bytes inside strings are counted; a cut never splits an escape or
    a UTF-8 character, so the text stays valid JSON. Reads are C-speed scans
    (`string_end`), not a loop over bytes.
    """

    def __init__(self, raw: IO[bytes], max_chars: int) -> None:
        self._raw = raw
        self._max = max_chars
        self._in_string = False
        self._length = 0  # bytes of the current string so far
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
                self._in_string, self._length = True, 0
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
        if stop - start <= room:
            return data[start:stop]
        if room <= 0:
            return b""
        self.cuts += 1
        cut = start + room
        escape = data.rfind(b"\\", max(start, cut - 6), cut)
        if escape >= 0:  # do not cut inside \uXXXX or \n
            run = escape
            while run > start and data[run - 1] == 0x5C:
                run -= 1
            cut = escape - ((escape - run) % 2)
        while cut > start and data[cut] & 0xC0 == 0x80:  # nor inside a UTF-8 character
            cut -= 1
        return data[start:cut]

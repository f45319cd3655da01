"""Opening inputs: compressed files inflated transparently, OS errors as one-line reasons.

Compression is sniffed from the magic bytes, never guessed from the suffix: a
HAR may be gzip-compressed under any name, and mitmproxy writes `.zhar` as zlib.
"""

from __future__ import annotations

import io
import os
import zlib
from typing import IO, Any

from trafficscope.errors import ReadError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"


def open_maybe_compressed(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open `path` for reading, transparently inflating gzip or zlib data (sniffed, not
    guessed from the suffix). Raises `ReadError` when the file cannot be opened."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e
    try:
        head = raw.read(2)
        raw.seek(0)
    except OSError as e:
        raw.close()
        raise ReadError(path, os_reason(e)) from e
    if head == GZIP_MAGIC:
        return io.BufferedReader(_InflateReader(raw, 31))
    if is_zlib_header(head):
        return io.BufferedReader(_InflateReader(raw, 15))
    return raw


def is_zlib_header(head: bytes) -> bool:
    """True when `head` starts like a zlib stream (RFC 1950: deflate, valid check bits)."""
    return len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (
        (head[0] << 8) | head[1]) % 31 == 0


class _InflateReader(io.RawIOBase):
    """A read-only stream inflating gzip (`wbits=31`) or zlib (`wbits=15`) data.

    Unlike `gzip.GzipFile`, it hands out everything that inflates before a
    truncation and then simply ends (the JSON parser reports the break), so the
    entries before it are read.
    """

    def __init__(self, raw: IO[bytes], wbits: int) -> None:
        self._raw = raw
        self._wbits = wbits
        self._inflate = zlib.decompressobj(wbits)
        self._pending = b""  # inflated, not yet handed out
        self._carry = b""  # read, not yet inflated

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending and view.nbytes:
            if self._inflate.eof and not self._next_member():
                return 0
            chunk = self._inflate.unconsumed_tail or self._carry or self._raw.read(64 * 1024)
            self._carry = b""
            if not chunk:
                return 0  # truncated: the JSON parser says where
            self._pending = self._inflate.decompress(chunk, view.nbytes)
        n = min(view.nbytes, len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _next_member(self) -> bool:
        """Start on the next member of a concatenated gzip file; False at the true end."""
        rest = self._inflate.unused_data or self._raw.read(64 * 1024)
        if self._wbits != 31 or not rest.startswith(GZIP_MAGIC):
            return False
        self._inflate = zlib.decompressobj(self._wbits)
        self._carry = rest
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()


def os_reason(error: BaseException) -> str:
    """A short, lowercase reason for an OS or decompression error, for `ReadError`."""
    if isinstance(error, FileNotFoundError):
        return "no such file or directory"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    if isinstance(error, EOFError):
        return "truncated compressed data"
    if isinstance(error, zlib.error):
        return f"corrupt compressed data ({first_line(error)})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return first_line(error)


def first_line(error: BaseException) -> str:
    """The first line of an error's message: later lines (ijson's) quote the file's content."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

"""Inputs: find the captures among the paths given, tell their format, read them as `Flow`s.

The format is sniffed from the first bytes, never guessed from the suffix; each
format has one reader in `READERS`. Every reader raises `ReadError` and nothing
else, so a caller needs one `except` to name the file and the reason.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources.files import GZIP_MAGIC, UTF8_BOM, is_zlib_header, os_reason

__all__ = ["READERS", "detect_format", "expand_inputs", "iter_flows"]

SNIFF_BYTES = 4096

#: Capture magic numbers (both byte orders; microsecond and nanosecond pcap).
_MAGIC = {
    b"\xa1\xb2\xc3\xd4": "pcap",
    b"\xd4\xc3\xb2\xa1": "pcap",
    b"\xa1\xb2\x3c\x4d": "pcap",
    b"\x4d\x3c\xb2\xa1": "pcap",
    b"\x0a\x0d\x0d\x0a": "pcapng",
}

#: A mitmproxy flow file is a sequence of tnetstrings: "<length>:<data><type>".
_TNETSTRING = re.compile(rb"\d{1,12}:")

UNKNOWN_FORMAT = (
    "not a capture trafficscope can read (expected HAR, mitmproxy flow file, pcap or pcapng)"
)


def detect_format(path: str | os.PathLike[str]) -> str:
    """`har`, `mitm`, `pcap` or `pcapng`, from the file's first bytes.

    Raises `ReadError` for a missing, unreadable, empty or unknown file, a folder,
    or anything but a regular file.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e
    if stat.S_ISDIR(mode):
        raise ReadError(path, "is a directory")
    if not stat.S_ISREG(mode):  # a pipe or device would block or never end
        raise ReadError(path, "not a regular file")
    head = _head(path, SNIFF_BYTES)
    if not head:
        raise ReadError(path, "empty file")
    if head[:4] in _MAGIC:
        return _MAGIC[head[:4]]
    if _TNETSTRING.match(head):
        return "mitm"
    if head[:2] == GZIP_MAGIC or is_zlib_header(head):
        head = _inflated_head(head)
    if _starts_json_object(head):
        return "har"
    raise ReadError(path, UNKNOWN_FORMAT)


def iter_flows(path: str | os.PathLike[str], keylog: str | os.PathLike[str] | None = None,
               ) -> Iterator[Flow]:
    """The flows of one capture, read by the reader of its format.

    The format is checked at once (a bad path raises here); read errors raise
    `ReadError` while iterating, after the flows read before them. With a
    `keylog`, pcap/pcapng captures are also decrypted (tshark) into HTTP flows.
    """
    fmt = detect_format(path)
    flows = READERS[fmt](path)
    if keylog is not None and fmt in ("pcap", "pcapng"):
        from trafficscope.sources.pcap.keylog import read_decrypted

        return itertools.chain(flows, read_decrypted(path, keylog))
    return flows


def expand_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given; folders walked recursively (sorted) for files of a known format.

    Raises `ReadError` for a path that does not exist, or a folder with no capture in it.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ReadError(path, "no such file or directory")
        if not path.is_dir():
            found.append(path)
            continue
        captures = [p for p in _walk(path) if _is_capture(p)]
        if not captures:
            raise ReadError(path, "no readable capture in this folder")
        found.extend(captures)
    return found


def _read_har(path: str | os.PathLike[str]) -> Iterator[Flow]:
    # Imported on use, like the other readers: a run over captures need not load ijson.
    from trafficscope.sources.har import read_har

    return read_har(path)


def _read_mitm(path: str | os.PathLike[str]) -> Iterator[Flow]:
    # Imported here: importing trafficscope must not load mitmproxy.
    from trafficscope.sources.mitmflow import read_flow_file

    return read_flow_file(path)


def _read_pcap(path: str | os.PathLike[str]) -> Iterator[Flow]:
    from trafficscope.sources.pcap.reader import read_pcap

    return read_pcap(path)


#: format -> reader; a reader raises `ReadError` only.
READERS: dict[str, Callable[[str | os.PathLike[str]], Iterator[Flow]]] = {
    "har": _read_har,
    "mitm": _read_mitm,
    "pcap": _read_pcap,
    "pcapng": _read_pcap,
}


def _head(path: str | os.PathLike[str], n: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e


def _inflated_head(head: bytes) -> bytes:
    """The first bytes of gzip or zlib data: what inflates before any corruption."""
    wbits = 31 if head[:2] == GZIP_MAGIC else 15
    inflate = zlib.decompressobj(wbits)
    out = b""
    # In small pieces, so that data corrupt further on still shows its format and
    # the reader can say where it breaks.
    for start in range(0, len(head), 64):
        try:
            out += inflate.decompress(head[start:start + 64], SNIFF_BYTES - len(out))
        except zlib.error:
            break
        if len(out) >= SNIFF_BYTES or inflate.eof:
            break
    return out


def _starts_json_object(head: bytes) -> bool:
    return head.removeprefix(UTF8_BOM).lstrip(b" \t\r\n").startswith(b"{")


def _walk(folder: Path) -> list[Path]:
    """Every file under `folder`, sorted; symlinked folders are not followed."""
    files = [
        Path(root, name)
        for root, _dirs, names in os.walk(folder)
        for name in names
    ]
    return sorted(p for p in files if p.is_file())


def _is_capture(path: Path) -> bool:
    try:
        detect_format(path)
    except ReadError:
        return False
    return True

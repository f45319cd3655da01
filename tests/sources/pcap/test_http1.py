"""HTTP/1.x request framing: resynchronising on junk costs work linear in the bytes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from trafficscope.sources.pcap import http1
from trafficscope.sources.pcap.http1 import RequestParser

REQUEST = b"GET /track?imei=490154203237518 HTTP/1.1\r\nHost: h.example\r\n\r\n"


class CountingRegex:
    """`_REQUEST_LINE`, counting the bytes each match or search may look at."""

    def __init__(self, rx: re.Pattern[bytes]) -> None:
        self.rx, self.scanned = rx, 0

    def match(self, buf: Any, pos: int = 0) -> re.Match[bytes] | None:
        self.scanned += len(buf) - pos
        return self.rx.match(buf, pos)

    def search(self, buf: Any, pos: int = 0) -> re.Match[bytes] | None:
        self.scanned += len(buf) - pos
        return self.rx.search(buf, pos)


@pytest.mark.parametrize("junk", [
    b"GET /" + b"a" * 40_000,  # a request line that never ends
    (b"x" * 4095 + b"\n") * 10,  # junk lines: each newline could end a request line
])
def test_junk_a_byte_at_a_time_is_searched_once(monkeypatch: pytest.MonkeyPatch,
                                                junk: bytes) -> None:
    counting = CountingRegex(http1._REQUEST_LINE)
    monkeypatch.setattr(http1, "_REQUEST_LINE", counting)
    parser = RequestParser()
    data = junk + b"\r\n" + REQUEST
    got = [r for i in range(len(data)) for r in parser.feed(data[i : i + 1], 0.0)]
    # the request after the junk is found, whole
    assert [(r.method, r.target) for r in got] == [("GET", "/track?imei=490154203237518")]
    # ... and each byte was looked at a few times, not once per packet that followed
    # (before: up to 16 KB per packet, 600 MB here)
    assert counting.scanned <= 4 * len(data), counting.scanned
    assert parser.held < 3 * http1._RESYNC_KEEP  # junk kept within bounds


def test_a_request_line_cut_by_the_junk_trim_is_still_found() -> None:
    parser = RequestParser()
    junk = b"z" * (2 * http1._RESYNC_KEEP - 5)
    got = []
    for piece in (junk, REQUEST[:10], REQUEST[10:]):
        got += parser.feed(piece, 0.0)
    assert [r.target for r in got] == ["/track?imei=490154203237518"]

"""HTTP/1.x request framing over a reassembled byte stream.

`RequestParser.feed(data, ts)` takes the client's bytes as they come and
returns the requests completed: keep-alive and pipelined requests, bodies
framed by Content-Length or chunked transfer coding, heads split over any
number of segments. Bounded: a head longer than `MAX_HEAD` ends parsing of the
stream; a body keeps its first `MAX_BODY` bytes (the request is marked
`body-truncated`). After a gap the current request is finished as truncated
and parsing resumes at the next request line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024

METHODS = (
    b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE",
)
_REQUEST_LINE = re.compile(
    rb"(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT|TRACE) (\S+) HTTP/(1\.[01])\r?\n"
)
_RESYNC_KEEP = 8 * 1024
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


def looks_like_request(head: bytes) -> bool:
    """True when `head` starts with an HTTP/1.x method and a space."""
    sp = head.find(b" ", 0, 9)
    return sp > 0 and head[:sp] in METHODS


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    ts: float
    ts_end: float
    size: int
    notes: tuple[str, ...] = ()


class RequestParser:
    def __init__(self) -> None:
        self.buf = bytearray()
        self.broken = False
        self._head: tuple[str, str, str, tuple[tuple[str, str], ...]] | None = None
        self._body = bytearray()
        self._left = 0  # body bytes still expected (Content-Length or current chunk)
        self._chunked = False
        self._chunk_state = 0  # 0 size line, 1 data, 2 CRLF after data, 3 trailers
        self._ts = 0.0
        self._size = 0
        self._notes: list[str] = []
        #: The buffer's length when it last held no request line (0: not known): only a
        #: newline that came after can end one, so nothing is searched again before it.
        self._searched = 0

    @property
    def held(self) -> int:
        """Bytes buffered: the unparsed stream and the body of the request in progress."""
        return len(self.buf) + len(self._body)

    def feed(self, data: bytes, ts: float) -> list[Request]:
        if self.broken:
            return []
        self.buf += data
        done: list[Request] = []
        while self.buf and not self.broken:
            if self._head is None and not self._parse_head(ts):
                break
            if not self._parse_body():
                break
            req = self._finish(ts)
            done.append(req)
            if any(k.lower() == "upgrade" for k, _ in req.headers):
                self.broken = True  # WebSocket or h2c follows: not HTTP/1.x any more
        return done

    def gap(self, ts: float) -> list[Request]:
        """A hole in the stream: finish the request in progress, resync on a request line."""
        out = [self._finish(ts, "gap")] if self._head is not None else []
        self.buf.clear()
        self._searched = 0
        return out

    def close(self, ts: float) -> list[Request]:
        """End of stream: a request still in progress is returned as truncated."""
        return [self._finish(ts, "body-truncated")] if self._head is not None else []

    def _parse_head(self, ts: float) -> bool:
        buf = self.buf
        searched = self._searched
        if searched and buf.find(b"\n", searched) == -1:
            return self._no_request_line()  # (a line arriving a byte at a time: no search)
        m = None if searched else _REQUEST_LINE.match(buf)
        if m is None:
            if len(buf) < 24 and b"\n" not in buf:
                return False
            # resync after a gap or junk; a request line holds no newline, so one ending
            # at a newline that came since the last search starts after the last one before
            start = buf.rfind(b"\n", 0, searched) + 1 if searched else 0
            nxt = _REQUEST_LINE.search(buf, start)
            if nxt is None:
                return self._no_request_line()
            del buf[: nxt.start()]
            m = _REQUEST_LINE.match(buf)
            assert m is not None
        self._searched = 0
        end = buf.find(b"\r\n\r\n", m.end() - 2)
        sep = 4
        lf = buf.find(b"\n\n", m.end() - 1)
        if lf != -1 and (end == -1 or lf < end):
            end, sep = lf, 2
        if end == -1:
            if len(buf) > MAX_HEAD:
                self.broken = True
            return False
        headers = []
        for line in bytes(buf[m.end() : end]).split(b"\n"):
            name, colon, value = line.partition(b":")
            if colon and name and not name[:1].isspace():
                headers.append((name.strip().decode("latin-1"),
                                value.strip().decode("utf-8", "replace")))
            elif headers and line[:1] in (b" ", b"\t"):  # obsolete line folding
                k, v = headers[-1]
                headers[-1] = (k, v + " " + line.strip().decode("utf-8", "replace"))
        self._head = (m.group(1).decode(), m.group(2).decode("utf-8", "replace"),
                      "HTTP/" + m.group(3).decode(), tuple(headers))
        self._ts, self._size, self._notes = ts, end + sep, []
        del buf[: end + sep]
        self._body = bytearray()
        te = cl = None
        for k, v in headers:
            lk = k.lower()
            if lk == "transfer-encoding":
                te = v.lower()
            elif lk == "content-length":
                cl = v
        self._chunked = te is not None and "chunked" in te
        self._chunk_state = 0
        self._left = 0
        if not self._chunked and cl:
            try:
                self._left = max(0, int(cl.split(",")[0]))
            except ValueError:
                self._notes.append("bad-content-length")
        return True

    def _no_request_line(self) -> bool:
        """The buffer holds no request line: junk past `2 * _RESYNC_KEEP` goes (enough is
        kept for a request line cut in two), and what is left is known to hold none."""
        if len(self.buf) > _RESYNC_KEEP * 2:
            del self.buf[:-_RESYNC_KEEP]
        self._searched = len(self.buf)
        return False

    def _take(self, n: int) -> None:
        chunk = self.buf[:n]
        del self.buf[:n]
        self._size += n
        room = MAX_BODY - len(self._body)
        if room > 0:
            self._body += chunk[:room]
        if len(chunk) > room and "body-truncated" not in self._notes:
            self._notes.append("body-truncated")

    def _parse_body(self) -> bool:
        """Consume body bytes; True when the request is complete."""
        if not self._chunked:
            n = min(self._left, len(self.buf))
            self._take(n)
            self._left -= n
            return self._left == 0
        buf = self.buf
        while True:
            if self._chunk_state == 0:
                nl = buf.find(b"\n")
                if nl == -1:
                    if len(buf) > 1024:
                        self.broken = True
                    return False
                m = _CHUNK_SIZE.match(buf)
                self._size += nl + 1
                size = int(m.group(), 16) if m else 0
                del buf[: nl + 1]
                self._left, self._chunk_state = size, (1 if size else 3)
            elif self._chunk_state == 1:
                n = min(self._left, len(buf))
                self._take(n)
                self._left -= n
                if self._left:
                    return False
                self._chunk_state = 2
            elif self._chunk_state == 2:
                nl = buf.find(b"\n")
                if nl == -1:
                    return False
                self._size += nl + 1
                del buf[: nl + 1]
                self._chunk_state = 0
            else:  # trailers up to an empty line
                nl = buf.find(b"\n")
                if nl == -1:
                    return False
                line = bytes(buf[:nl]).strip()
                self._size += nl + 1
                del buf[: nl + 1]
                if not line:
                    return True

    def _finish(self, ts: float, note: str | None = None) -> Request:
        assert self._head is not None
        method, target, version, headers = self._head
        notes = tuple(self._notes) + ((note,) if note and note not in self._notes else ())
        req = Request(method, target, version, headers, bytes(self._body), self._ts, ts,
                      self._size, notes)
        self._head = None
        self._body = bytearray()
        return req

"""The live worker: framing, storing from a pipe, the one-line leak report."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

from trafficscope.live import MARK_DELAY, ConsentClock, LiveSession, frame, serve, split_frames
from trafficscope.model import Flow
from trafficscope.profile import parse_profile
from trafficscope.proxy import resolve_session
from trafficscope.store import Store

IMEI, EMAIL = "490154203237518", "jane.doe.test@example.org"
PROFILE = parse_profile({"device": {"imei": IMEI}, "owner": {"email": EMAIL}})


def _flow(i: int, body: bytes = b"", ua: str = "com.example.shop/1.0 (Android 14)") -> Flow:
    return Flow(flow_id=f"f{i}", ts=1_700_000_000.0 + i, source="proxy", kind="http",
                host="ulogs.umeng.com", method="POST",
                url=f"https://ulogs.umeng.com/u?imei={IMEI}",
                request_headers=(("User-Agent", ua), ("Content-Type", "application/json")),
                request_body=body, status=200)


def test_frames_split_anywhere_are_reassembled() -> None:
    data = b"".join(frame(("mark", f"m{i}", float(i), None)) for i in range(3))
    for cut in range(1, len(data)):
        buf = bytearray(data[:cut])
        got = list(split_frames(buf))
        buf += data[cut:]
        got += list(split_frames(buf))
        assert [m[1] for m in got] == ["m0", "m1", "m2"] and not buf


def test_serve_stores_everything_sent_and_prints_one_line_per_leak(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    out = io.StringIO()
    read_fd, write_fd = os.pipe()
    payload = b"".join([
        frame(("flow", _flow(0))),
        frame(("mark", "consent", 1_700_000_000.5, "agreed")),
        frame(("flow", _flow(1, f'{{"user":{{"mail":"{EMAIL}"}}}}'.encode()))),
        frame(("flow", _flow(2, ua="okhttp/4.12"))),
        frame(("unknown-kind",)),
        frame(("flow", _flow(3)))[:20],  # the proxy died mid-message
    ])
    writer = threading.Thread(target=lambda: (os.write(write_fd, payload), os.close(write_fd)))
    writer.start()
    with Store(db) as store:
        sid = resolve_session(store, None, app=None, profile=PROFILE)
        live = LiveSession(store, sid, profile=PROFILE, out=out)
        assert serve(read_fd, live) == 3
    writer.join()
    os.close(read_fd)
    with Store(db, create=False) as store:
        assert len(store.flows(sid)) == 3
        found = list(store.iter_findings_consent(sid))
        assert [(f["flow_id"], f["pii_type"], f["app"], f["pre_consent"]) for f in found] == [
            ("f0", "IMEI", "com.example.shop", True),
            ("f1", "IMEI", "com.example.shop", False),
            ("f1", "EMAIL", "com.example.shop", False),
            ("f2", "IMEI", None, False),
        ]
        assert store.marks(sid) == [(1_700_000_000.5, "consent", "agreed")]
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert "com.example.shop  -> ulogs.umeng.com (umeng.com, Alibaba, unknown)  IMEI  query:imei" \
        in lines[0]
    assert "[plain]  pre-consent  | IMEI x1, 1 leaks in 1 flows, 1 pre-consent" in lines[0]
    assert "pre-consent  |" not in "".join(lines[1:])  # sent after the consent mark
    assert lines[2].endswith("| EMAIL x1, 3 leaks in 2 flows, 1 pre-consent")
    assert lines[3].endswith("| IMEI x3, 4 leaks in 3 flows, 1 pre-consent")
    assert "  ?  ->" in lines[3]
    assert IMEI not in out.getvalue() and EMAIL not in out.getvalue()


def test_consent_clock_sees_a_mark_written_by_another_connection(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with Store(db) as store, Store(db) as other:
        sid = resolve_session(store, None, app=None, profile=PROFILE)
        clock = ConsentClock(store, sid)
        now = time.time()
        assert clock.pre_consent(now - 10) and clock.pre_consent(now)  # no mark yet
        other.add_mark(sid, "Consent given", ts=now + 1)  # `trafficscope mark` elsewhere
        assert clock.pre_consent(now - 10 * MARK_DELAY)  # long before: from memory
        assert not clock.pre_consent(now + 2)  # recent: the store is asked again
        assert clock.pre_consent(now + 0.5) and clock.consent == now + 1
        other.add_mark(sid, "consent", ts=now - 5)  # an earlier consent is not looked for
        clock.marked("consent", now - 5)  # ... unless this worker stored it
        assert not clock.pre_consent(now - 4)

"""Generated seed captures for the mutation run: the sample HAR, as .zhar and as a flow file.

    python tests/robustness/seeds.py DIR     # writes DIR/sample.har, sample.zhar, sample.mitm
"""

from __future__ import annotations

import shutil
import sys
import zlib
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "captures" / "sample.har"


def write_flow_file(har: Path, out: Path) -> int:
    """A mitmproxy flow file holding the HAR's requests (and WebSocket messages)."""
    from mitmproxy import http, websocket
    from mitmproxy.io import FlowWriter
    from mitmproxy.test import tflow

    from trafficscope.sources.har import read_har

    n = 0
    with out.open("wb") as f:
        writer = FlowWriter(f)
        for flow in read_har(har):
            mf = tflow.tflow(resp=True, ws=bool(flow.messages))
            mf.request = http.Request.make(
                flow.method or "GET", flow.url or f"https://{flow.host}/",
                flow.request_body, [(k.encode(), v.encode("utf-8", "surrogateescape"))
                                    for k, v in flow.request_headers])
            mf.request.timestamp_start = flow.ts
            if flow.messages and mf.websocket is not None:
                mf.websocket.messages = [
                    websocket.WebSocketMessage(1 if m.is_text else 2, m.from_client,
                                               m.content, m.ts or flow.ts)
                    for m in flow.messages]
            writer.add(mf)
            n += 1
    return n


def generated_seeds(folder: Path) -> dict[str, list[Path]]:
    """Seeds by format, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    har = folder / "sample.har"
    shutil.copyfile(SAMPLE, har)
    zhar = folder / "sample.zhar"
    zhar.write_bytes(zlib.compress(har.read_bytes()))
    mitm = folder / "sample.mitm"
    write_flow_file(har, mitm)
    return {"har": [har], "zhar": [zhar], "mitm": [mitm]}


if __name__ == "__main__":
    for fmt, paths in generated_seeds(Path(sys.argv[1])).items():
        print(fmt, *paths)

"""Live proxy overhead: mitmdump with the trafficscope addon against bare mitmdump.

    python benchmarks/proxy.py [--seconds 10] [--connections 16] [--rounds 3]

Runs, over loopback and in alternation (`--rounds` times each):

  bare     mitmdump, no addon
  addon    mitmdump -s addons/trafficscope.py with a profile, a store and live
           lines on (to /dev/null), as `trafficscope proxy` runs it

on the same POST-heavy workload (4 POSTs of a ~1 KB JSON/form body carrying
profile values for every GET), against a small asyncio upstream server in its
own process. The load comes from `wrk` (Debian package) when present, else
from a Python client with one thread per connection. Prints requests per
second, p50 and p99 latency side by side (median of the rounds), the ratio
addon/bare, the added p99, and how many flows the addon stored.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "captures" / "sample.profile.toml"
IMEI, EMAIL, AD_ID = ("490154203237518", "jane.doe.test@example.org",
                      "38400000-8cf0-11bd-b23e-10b96e40000d")
JSON_BODY = json.dumps({"event": "screen_view", "device": {"imei": IMEI, "adid": AD_ID},
                        "user": {"email": EMAIL}, "props": {"pad": "x" * 700}})
FORM_BODY = f"appkey=5f2a&imei={IMEI}&mail={EMAIL.replace('@', '%40')}&pad=" + "y" * 700
# (method, path, content type, body): 4 POSTs for each GET
REQUESTS = (
    ("POST", "/v1/events", "application/json", JSON_BODY),
    ("POST", "/collect", "application/x-www-form-urlencoded", FORM_BODY),
    ("GET", f"/config?adid={AD_ID}&v=3", "", ""),
    ("POST", "/v1/events", "application/json", JSON_BODY),
    ("POST", "/collect", "application/x-www-form-urlencoded", FORM_BODY),
)


# -- upstream ----------------------------------------------------------------
class _Upstream(asyncio.Protocol):
    """Answers every HTTP/1.1 request with a small 200, keep-alive."""

    REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", self.buf[:head_end])
            total = head_end + 4 + (int(m.group(1)) if m else 0)
            if len(self.buf) < total:
                return
            self.buf = self.buf[total:]
            self.transport.write(self.REPLY)  # type: ignore[attr-defined]


def serve_upstream(port: int) -> None:
    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(_Upstream, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(run())


# -- load --------------------------------------------------------------------
WRK_SCRIPT = """
local reqs = {}
local i = 0
init = function(args)
  local up = args[1]
  %s
end
request = function()
  i = i %% #reqs + 1
  return reqs[i]
end
"""


def wrk_load(proxy_port: int, upstream_port: int, seconds: float,
             connections: int) -> tuple[float, float, float, int]:
    lines = []
    for method, path, ctype, body in REQUESTS:
        headers = "{Host='127.0.0.1:' .. up"
        if ctype:
            headers += f", ['Content-Type']='{ctype}'"
        headers += "}"
        lines.append(f"reqs[#reqs+1] = wrk.format('{method}', 'http://127.0.0.1:' .. up .. "
                     f"'{path}', {headers}, {json.dumps(body) if body else 'nil'})")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % "\n  ".join(lines))
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s", "--latency",
             "--timeout", "10s", "-s", f.name, f"http://127.0.0.1:{proxy_port}/", "--",
             str(upstream_port)], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rps, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"), total


def _wrk_ms(out: str, pct: str) -> float:
    m = re.search(rf"{re.escape(pct)}\s+([\d.]+)(us|ms|s)", out)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def python_load(proxy_port: int, upstream_port: int, seconds: float,
                connections: int) -> tuple[float, float, float, int]:
    latencies: list[list[float]] = [[] for _ in range(connections)]
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=10)
        i = k
        while time.perf_counter() < stop:
            method, path, ctype, body = REQUESTS[i % len(REQUESTS)]
            i += 1
            t = time.perf_counter()
            conn.request(method, f"http://127.0.0.1:{upstream_port}{path}",
                         body=body.encode() if body else None,
                         headers={"Content-Type": ctype} if ctype else {})
            conn.getresponse().read()
            latencies[k].append((time.perf_counter() - t) * 1e3)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ms = sorted(x for lat in latencies for x in lat)
    n = len(all_ms)
    return (n / (time.perf_counter() - start), all_ms[n // 2], all_ms[int(n * 0.99)], n)


# -- proxies -----------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"proxy exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("proxy did not start")


def start_proxy(addon: bool, port: int, confdir: Path, db: Path) -> subprocess.Popen[bytes]:
    mitmdump = str(Path(sys.executable).with_name("mitmdump"))
    argv = [mitmdump, "--listen-host", "127.0.0.1", "--listen-port", str(port),
            "--set", f"confdir={confdir}", "--set", "flow_detail=0",
            "--set", "termlog_verbosity=warn"]
    if addon:
        argv += ["-s", str(ROOT / "addons" / "trafficscope.py"), "--set",
                 f"trafficscope_db={db}", "--set", f"trafficscope_profile={PROFILE}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env)
    wait_port(port, proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="length of each measured run")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections")
    p.add_argument("--rounds", type=int, default=3, help="runs of each configuration")
    p.add_argument("--load", choices=("wrk", "python"),
                   default="wrk" if shutil.which("wrk") else "python")
    args = p.parse_args()
    load = wrk_load if args.load == "wrk" else python_load

    up_port = free_port()
    upstream = subprocess.Popen([sys.executable, "-c",
                                 "import sys; sys.path.insert(0, sys.argv[1]); "
                                 "import proxy; proxy.serve_upstream(int(sys.argv[2]))",
                                 str(Path(__file__).parent), str(up_port)])
    results: dict[str, list[tuple[float, float, float, int]]] = {"bare": [], "addon": []}
    stored = requests = 0
    try:
        wait_port(up_port, upstream)
        with tempfile.TemporaryDirectory() as tmp:
            confdir = Path(tmp) / "conf"
            for r in range(args.rounds):
                for name in ("bare", "addon"):
                    port = free_port()
                    db = Path(tmp) / f"bench{r}.db"
                    proc = start_proxy(name == "addon", port, confdir, db)
                    try:
                        load(port, up_port, 1.0, args.connections)  # warm-up
                        results[name].append(load(port, up_port, args.seconds,
                                                  args.connections))
                    finally:
                        stop(proc)
                    if name == "addon":
                        with sqlite3.connect(db) as c:
                            stored += c.execute("SELECT count(*) FROM flows").fetchone()[0]
                        requests += results[name][-1][3]
                    print(f"round {r + 1} {name:5s}: {results[name][-1][0]:8.0f} req/s",
                          file=sys.stderr)
    finally:
        upstream.terminate()
        upstream.wait()

    def med(name: str, i: int) -> float:
        return statistics.median(x[i] for x in results[name])

    print(f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"load: {args.load}, {args.connections} connections, {args.seconds:.0f} s x "
          f"{args.rounds} rounds each, POST-heavy (4 POST : 1 GET), median of rounds")
    print(f"{'':8s}{'req/s':>10s}{'p50 ms':>10s}{'p99 ms':>10s}")
    for name in ("bare", "addon"):
        print(f"{name:8s}{med(name, 0):10.0f}{med(name, 1):10.2f}{med(name, 2):10.2f}")
    ratio = med("addon", 0) / med("bare", 0)
    print(f"\naddon/bare throughput: {ratio:.1%}  (target >= 90%)")
    print(f"added p99 latency: {med('addon', 2) - med('bare', 2):+.2f} ms")
    print(f"flows stored by the addon: {stored} (measured requests {requests}, plus warm-up)")


if __name__ == "__main__":
    main()

"""Length-field attacks: each ends with a clear error or a marked, capped result.

Every attack file is read (fields extracted and scanned too) by the mutation
runner in a child limited to 512 MiB and a few CPU seconds; the CPU time used
is printed (`pytest -s`), never asserted. pcap/pcapng block lengths that lie:
see test_pcap_lengths.py.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pytest

from trafficscope.decoding.limits import Limits
from trafficscope.decoding.values import MAX_KEY, VALUE_DECODERS, walk
from trafficscope.sources.har import MAX_BODY
from trafficscope.sources.jsonguard import ESCAPE_SHARE, MAX_NESTING

RUNNER = Path(__file__).resolve().parent / "mutate.py"
CPU = 5  # seconds: generous for a shared machine; the target is < 1 s
DEPTH = 100_000
IMEI = "490154203237518"


def read_limited(path: Path, *options: str) -> dict[str, Any]:
    r = subprocess.run([sys.executable, str(RUNNER), "--read", str(path), "--cpu", str(CPU),
                        *options],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    outcome: dict[str, Any] = json.loads(r.stdout)
    print(f"{path.name}: {outcome['kind']} in {outcome['cpu']:.2f} s CPU")
    return outcome


def har(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()


def post(body: str, **extra: Any) -> dict[str, Any]:
    return {"startedDateTime": "2025-11-23T12:00:00Z",
            "request": {"method": "POST", "url": "https://a.example/p",
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "postData": {"mimeType": "application/json", "text": body, **extra}}}


def test_giant_har_string_is_cut_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "giant.har"
    size = 200 * 1024 * 1024
    head, tail = har([post("@")]).split(b"@")
    with path.open("wb") as f:
        f.write(head)
        chunk = b"a" * (1 << 20)
        for _ in range(size >> 20):
            f.write(chunk)
        f.write(tail)
    # The reader only: scanning a 64 MiB plain body takes more than 512 MiB today
    # (the engine joins every field into one buffer) -- see the README's limits.
    outcome = read_limited(path, "--read-only")
    assert outcome["kind"] == "ok", outcome
    ((length, notes, _),) = outcome["flows"]
    assert length == MAX_BODY and "body-truncated" in notes


@pytest.mark.parametrize("unit", [b'\\"', b"\\\\", b'\\\\\\"', b"\\u00e9"],
                         ids=["quotes", "backslashes", "both", "unicode"])
def test_giant_har_string_of_escapes_is_cut_and_marked(tmp_path: Path, unit: bytes) -> None:
    """200 MB of nothing but escapes: cut at the escape share of the cap."""
    path = tmp_path / "escapes.har"
    head, tail = har([post("@")]).split(b"@")
    chunk = unit * ((1 << 20) // len(unit))
    with path.open("wb") as f:
        f.write(head)
        for _ in range(200):
            f.write(chunk)
        f.write(tail)
    outcome = read_limited(path, "--read-only")
    assert outcome["kind"] == "ok", outcome
    ((length, notes, _),) = outcome["flows"]
    assert 0 < length <= MAX_BODY // ESCAPE_SHARE * len(unit) and "body-truncated" in notes


def test_giant_base64_body_is_cut_and_marked(tmp_path: Path) -> None:
    text = base64.b64encode(b"\x00" * MAX_BODY).decode()  # 85 MiB of text: cut at 64
    path = tmp_path / "b64.har"
    path.write_bytes(har([post(text, encoding="base64")]))
    outcome = read_limited(path, "--read-only")
    assert outcome["kind"] == "ok", outcome
    ((length, notes, _),) = outcome["flows"]
    assert MAX_BODY // 2 < length < MAX_BODY and "body-truncated" in notes


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "zlib"])
def test_har_document_nested_100000_deep_is_refused(tmp_path: Path, compressed: bool) -> None:
    deep = b"[" * DEPTH + b"]" * DEPTH
    data = har([post("{}")]).replace(b'"entries": [', b'"entries": [' + deep + b", ", 1)
    path = tmp_path / "deep.har"
    path.write_bytes(zlib.compress(data) if compressed else data)
    outcome = read_limited(path)
    assert outcome["kind"] == "read_error", outcome
    assert f"nested deeper than {MAX_NESTING} levels after 0 entries" in outcome["detail"]


def test_har_nesting_inside_an_entry_is_refused_after_earlier_entries(tmp_path: Path) -> None:
    data = har([post("{}"), {"request": {"x": "@"}}]).replace(
        b'"@"', b'{"a":' * DEPTH + b"1" + b"}" * DEPTH)
    path = tmp_path / "deep-entry.har"
    path.write_bytes(data)
    outcome = read_limited(path)
    assert outcome["kind"] == "read_error", outcome
    assert "nested deeper than" in outcome["detail"] and "after 1 entries" in outcome["detail"]


def test_json_body_nested_100000_deep_is_kept_capped(tmp_path: Path) -> None:
    body = '{"a":' * DEPTH + '"490154203237518"' + "}" * DEPTH
    path = tmp_path / "deep-body.har"
    path.write_bytes(har([post(body), post("[" * DEPTH + "]" * DEPTH)]))
    outcome = read_limited(path)
    assert outcome["kind"] == "ok", outcome
    assert [flow[0] for flow in outcome["flows"]] == [len(body), 2 * DEPTH]


def nested_value(name: str, depth: int = DEPTH, size: int = 1_000_000) -> tuple[str, int]:
    """An IMEI nested `depth` times in hex, base64 or percent-encoding: (value, levels).

    Percent-of-percent grows two characters a level, so it really nests 100,000
    deep (200 KB). Hex doubles and base64 grows by 4/3 a level: they nest while
    the value stays under `size` (16 and 37 levels for 1 MB), past every cap.
    """
    if name == "percent":  # quote() applied `depth` times to "imei=..."
        return "imei%" + "25" * (depth - 1) + "3D" + IMEI, depth
    value, levels = IMEI, 0
    while levels < depth:
        raw = value.encode()
        inner = raw.hex() if name == "hex" else base64.b64encode(raw).decode()
        if len(inner) > size:
            break
        value, levels = inner, levels + 1
    return value, levels


NESTED = ("hex", "base64", "percent")


@pytest.mark.parametrize("name", NESTED)
def test_har_values_nested_100000_deep_in_query_and_json_body(tmp_path: Path,
                                                             name: str) -> None:
    """hex-of-hex, base64-of-base64, percent-of-percent in a query and a JSON body:
    read, fields and scan in a limited child; decoding stops at the depth cap and
    marks the field."""
    value, levels = nested_value(name)
    assert levels == DEPTH if name == "percent" else levels > Limits().max_depth
    body = json.dumps({"d": value})
    get = {"startedDateTime": "2025-11-23T12:00:00Z",
           "request": {"method": "GET", "url": f"https://a.example/q?d={value}",
                       "headers": []}}
    path = tmp_path / f"nested-{name}.har"
    path.write_bytes(har([get, post(body)]))
    outcome = read_limited(path)
    assert outcome["kind"] == "ok", outcome
    (get_len, _, get_cut), (post_len, _, post_cut) = outcome["flows"]
    assert (get_len, post_len) == (0, len(body))
    assert get_cut >= 1 and post_cut >= 1  # the field at the depth cap is marked


@pytest.mark.parametrize("name", [name for name, _, _ in VALUE_DECODERS])
def test_value_decoders_on_values_nested_100000_deep(name: str) -> None:
    """Whatever the value decoders are (issue 3 adds base64, protobuf, ...), a value
    that nests itself 100,000 times is walked to a bounded depth: capped, marked."""
    limits = Limits()
    nested = {"json": lambda inner: json.dumps({"v": inner}),
              "form": lambda inner: "v=" + inner.replace("%", "%25").replace("&", "%26")
              .replace("=", "%3D"),
              "xml": lambda inner: "<r><v>" + xml_escape(inner) + "</v></r>",
              "jwt": lambda inner: "eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(
                  json.dumps({"v": inner}).encode()).decode().rstrip("=") + ".c2ln"}
    wrap = nested.get(name)
    if name in NESTED:
        value = nested_value(name)[0]
    elif wrap is None:
        pytest.skip(f"no nesting builder for value decoder {name!r} yet")
    else:
        value = IMEI
        for _ in range(200):  # each level doubles escapes; 200 levels is past every cap
            value = wrap(value) if len(value) < 1_000_000 else value
    fields = list(walk("body", None, value, (), limits))
    assert fields
    assert any(f.truncated for f in fields)
    # nesting stops at max_depth levels of this decoder; a level may also add a
    # percent step (form values are percent-encoded), never more
    assert max(f.encoding.count(name) for f in fields) == limits.max_depth
    steps = {n for n, _, _ in VALUE_DECODERS}
    assert max(sum(e in steps for e in f.encoding) for f in fields) <= 2 * limits.max_depth


def test_flow_file_record_lengths_zero_and_huge(tmp_path: Path) -> None:
    cases = {
        "zero.mitm": b"0:}",  # an empty dict as a flow
        "zeros.mitm": b"0:~" * 10_000,  # 10,000 empty records
        "huge.mitm": b"999999999999:" + b"x" * 100,  # length far past the end of the file
        "lying.mitm": b"2147483647:{" + b"1:a,1:b," * 1000 + b"}",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        outcome = read_limited(path)
        assert outcome["kind"] in ("ok", "read_error"), (name, outcome)
        if outcome["kind"] == "ok":
            assert outcome["flows"] == [], (name, outcome)
        else:
            assert name in outcome["detail"], outcome


LONG_KEY = "k" * 65536
WIDE = 1000


@pytest.mark.parametrize("shape", ["json", "form"])
def test_long_key_over_many_entries_gives_short_key_paths(shape: str) -> None:
    """A 64 KB name over 1,000 entries (a JSON object key, a form name whose value is
    a form): key paths keep MAX_KEY characters of the parent path and of the last
    name, so the fields of a body grow with the body, not with the name's length
    times the entries (a 1 MB name over 20,000 entries made 20 GB of key paths)."""
    if shape == "json":
        value = json.dumps({LONG_KEY: {str(i): IMEI for i in range(WIDE)}})
    else:
        inner = "&".join(f"{i}={IMEI}" for i in range(WIDE))
        value = f"{LONG_KEY}=" + inner.replace("&", "%26").replace("=", "%3D")
    fields = list(walk("body", None, value, (), Limits()))
    assert max(len(f.key or "") for f in fields) <= 2 * MAX_KEY + 1
    keyed = [f for f in fields if f.value == IMEI]
    assert [f.key.rpartition(".")[2] for f in keyed if f.key] == [str(i) for i in range(WIDE)]
    assert len({(f.key or "").rpartition(".")[0] for f in keyed}) == 1  # siblings share it
    assert any(f.value == LONG_KEY for f in fields)  # the name itself is still a value
    (header,) = walk("header", LONG_KEY, "plain", (), Limits())  # a name given as the key
    assert header.key is not None and len(header.key) == MAX_KEY

"""One row builder: what workers ship is what the store and the live proxy keep."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from trafficscope.batch import analyze_files, iter_parts
from trafficscope.decoding.fields import extract_fields
from trafficscope.detection.mask import mask, value_sha256
from trafficscope.model import FINDING_FIELDS, Finding
from trafficscope.pipeline import (
    Analyzer,
    FlowRows,
    Summary,
    Tally,
    finding_from_row,
    flow_rows,
    safe_url,
)
from trafficscope.profile import load_profile
from trafficscope.sources import iter_flows
from trafficscope.store import _FLOW_COLUMNS, Store, _finding_row

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "captures" / "sample.har"
PROFILE = ROOT / "captures" / "sample.profile.toml"
APP = "example.shoppingmall.android"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(None, profile=load_profile(PROFILE), source="files", app=APP,
                    session="s1")


def _expected_findings(analyzer: Analyzer, flow: Any) -> list[Finding]:
    """Findings spelled out field by field from the scanner and the attributor."""
    detections = analyzer.scanner.scan(extract_fields(flow))
    rec = analyzer.attribution.recipient(flow.host)
    masked = [int(d.field.key.split(".")[0]) for d in detections
              if d.field.location == "path" and d.field.key
              and d.field.key.split(".")[0].isdigit()]
    return [Finding(
        session="s1", flow_id=flow.flow_id, ts=flow.ts, source=flow.source,
        app=APP, kind=flow.kind, method=flow.method, url=safe_url(flow.url, masked),
        host=flow.host, server_ip=flow.server_ip, domain=rec.domain, owner=rec.owner,
        category=rec.category, party=rec.party,
        country=analyzer.attribution.country(flow.server_ip), pii_type=d.pii_type,
        location=d.field.location, key=d.field.key,
        encoding=d.field.encoding + d.extra_encoding, match=d.match,
        confidence=round(d.confidence, 3), value_masked=mask(d.value),
        value_sha256=value_sha256(d.value)) for d in detections]


def test_rows_hold_the_finding_records_and_the_flow(analyzer: Analyzer) -> None:
    tally = Tally()
    n = 0
    for flow in iter_flows(SAMPLE):
        rows = analyzer.rows_for(flow, tally)
        expected = _expected_findings(analyzer, flow)
        assert [finding_from_row(r) for r in rows.findings] == expected
        assert list(rows.findings) == [_finding_row(f) for f in expected]  # the store's order
        rec = dict(zip(_FLOW_COLUMNS, rows.flow, strict=True))
        assert rec["flow_id"] == rows.flow_id == flow.flow_id
        assert (rec["host"], rec["ts"], rec["app"], rec["input_file"]) == (
            flow.host, flow.ts, flow.app, flow.input_file)
        assert rec["n_findings"] == len(expected)
        attributed = analyzer.attribution.recipient(flow.host)
        assert (rec["domain"], rec["party"], rec["owner"], rec["category"]) == (
            attributed.domain, attributed.party, attributed.owner, attributed.category)
        assert rec["url"] == (expected[0].url if expected else safe_url(flow.url))
        n += len(expected)
    assert n > 20
    assert tally.findings == n and tally.flows == sum(1 for _ in iter_flows(SAMPLE))


def test_session_and_flow_id_lead_both_tables() -> None:
    # FlowRows.renamed relies on it
    assert _FLOW_COLUMNS[:2] == FINDING_FIELDS[:2] == ("session", "flow_id")


def test_renamed_changes_only_the_flow_id(analyzer: Analyzer) -> None:
    rows = next(r for f in iter_flows(SAMPLE) if (r := analyzer.rows_for(f, Tally())).findings)
    other = rows.renamed("x#2")
    assert other.flow_id == "x#2" and all(r[1] == "x#2" for r in other.findings)
    assert other.flow[:1] + other.flow[2:] == rows.flow[:1] + rows.flow[2:]
    assert [r[:1] + r[2:] for r in other.findings] == [r[:1] + r[2:] for r in rows.findings]


def _tables(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    con = sqlite3.connect(db)
    flows = con.execute(f"SELECT {', '.join(_FLOW_COLUMNS)} FROM flows ORDER BY rowid").fetchall()
    findings = con.execute("SELECT * FROM findings ORDER BY rowid").fetchall()
    con.close()
    return flows, findings


def test_add_rows_stores_what_add_flow_stores(analyzer: Analyzer, tmp_path: Path) -> None:
    """The rows path and the record path (Store.add_flow with Findings) agree."""
    with Store(tmp_path / "rows.db") as a, Store(tmp_path / "records.db") as b:
        for store in (a, b):
            store.new_session(source="files", app=APP, profile_keys=[], inputs=[],
                              tool_version="t", session_id="s1")
        for flow in iter_flows(SAMPLE):
            rows = analyzer.rows_for(flow, Tally())
            a.add_rows([rows])
            rec = analyzer.attribution.recipient(flow.host)
            findings = _expected_findings(analyzer, flow)
            b.add_flow("s1", flow, url=findings[0].url if findings else safe_url(flow.url),
                       domain=rec.domain, party=rec.party, findings=findings, owner=rec.owner,
                       category=rec.category,
                       country=analyzer.attribution.country(flow.server_ip))
    assert _tables(tmp_path / "rows.db") == _tables(tmp_path / "records.db")
    assert len(_tables(tmp_path / "rows.db")[1]) > 20


def test_tally_merge_is_counting_in_one(analyzer: Analyzer) -> None:
    whole, parts = Tally(), [Tally(), Tally(), Tally()]
    for i, flow in enumerate(iter_flows(SAMPLE)):
        analyzer.rows_for(flow, whole)
        analyzer.rows_for(flow, parts[i % 3])
    merged = Summary("s1", "x.db")
    for part in parts:
        merged.merge(part)
    assert merged.flows == whole.flows and merged.findings == whole.findings > 0
    assert merged.by_entity_recipient == whole.by_entity_recipient
    assert merged.parties == whole.parties
    assert merged.recipients == whole.recipients
    assert merged.server_countries == whole.server_countries


def test_a_capture_streams_in_parts_and_the_last_says_why_it_stopped(
        analyzer: Analyzer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import trafficscope.batch as batch

    doc = json.loads(SAMPLE.read_text())
    n = len(doc["log"]["entries"])
    doc["log"]["entries"] = doc["log"]["entries"] * 3
    cut = tmp_path / "cut.har"
    cut.write_text(json.dumps(doc)[:-200])  # breaks off inside the last entries
    monkeypatch.setattr(batch, "BATCH", n)
    parts = list(iter_parts(analyzer, str(cut), None))
    assert [len(p.flows) for p in parts[:2]] == [n, n]
    assert all(p.error is None for p in parts[:-1])
    assert parts[-1].error and "cut.har" in parts[-1].error
    assert sum(p.tally.flows for p in parts) == sum(len(p.flows) for p in parts) < 3 * n


def _make_sample():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "captures"))
    import make_sample

    return make_sample


def test_flow_ids_stay_unique_across_captures_as_in_the_serial_run(tmp_path: Path) -> None:
    """Captures named alike in two folders give the same flow ids; the later gets `#2`."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _make_sample().write_variants(a, 2)
    _make_sample().write_variants(b, 4)  # named capture-0000/1 again, with other content:
    (b / "capture-0002.har").replace(b / "capture-0000.har")
    (b / "capture-0003.har").replace(b / "capture-0001.har")
    records: dict[int, list[dict[str, object]]] = {}
    summaries: dict[int, Summary] = {}
    for workers in (1, 2):
        records[workers] = []
        with Store(tmp_path / f"w{workers}.db") as store:
            summaries[workers] = analyze_files(
                [a, b], store, profile=load_profile(PROFILE), app=APP, workers=workers,
                on_finding=lambda f, out=records[workers]: out.append(f.to_record()))
    serial, parallel = _tables(tmp_path / "w1.db"), _tables(tmp_path / "w2.db")
    strip = [tuple(x for i, x in enumerate(row) if i != 0) for row in serial[0]]
    assert strip == [tuple(x for i, x in enumerate(row) if i != 0) for row in parallel[0]]
    assert [r[1:] for r in serial[1]] == [r[1:] for r in parallel[1]]
    renamed = [row for row in serial[0] if "#" in row[1]]
    assert renamed and all(row[1].endswith("#2") and "/b/" in row[17] for row in renamed)
    assert len({row[1] for row in serial[0]}) == len(serial[0])
    # --jsonl output: the same records in the same order, with the stored flow ids
    assert len(records[1]) == len(serial[1]) > 0
    assert [{k: v for k, v in r.items() if k != "session"} for r in records[1]] == [
        {k: v for k, v in r.items() if k != "session"} for r in records[2]]
    assert any("#2" in str(r["flow_id"]) for r in records[2])
    s1, s2 = summaries[1], summaries[2]
    assert (s1.files, s1.flows, s1.findings) == (s2.files, s2.flows, s2.findings) == (
        4, len(serial[0]), len(serial[1]))
    assert s1.by_entity_recipient == s2.by_entity_recipient
    assert s1.recipients == s2.recipients and s1.parties == s2.parties


def test_flow_rows_is_the_one_builder(analyzer: Analyzer) -> None:
    """Analyzer.rows_for is flow_rows over the scanner's detections."""
    flow = next(iter_flows(SAMPLE))
    direct = flow_rows(flow, analyzer.scanner.scan(extract_fields(flow)), session="s1",
                       app=APP, attribution=analyzer.attribution, tally=Tally())
    assert isinstance(direct, FlowRows)
    assert direct == analyzer.rows_for(flow, Tally())

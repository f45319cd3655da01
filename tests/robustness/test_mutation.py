"""Mutation run: >= 1,000 corrupted or truncated captures per format, each read in a child
limited to 512 MiB and 10 s of CPU: nothing but a clean return or ReadError.

Formats come from the READERS table (plus gzip/zlib-compressed HAR), so a new
reader is mutated as soon as a seed capture of its format exists (generated
here, or in the corpus). `TRAFFICSCOPE_MUTANTS` changes the count (`make soak`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the runner and seeds beside us
from mutate import (
    STRUCTURED_FORMATS,
    boundaries,
    corpus_seeds,
    default_corpus,
    har_boundaries,
    tnetstring_boundaries,
)
from seeds import generated_seeds

from trafficscope.errors import ReadError
from trafficscope.sources import READERS, iter_flows

MUTANTS = int(os.environ.get("TRAFFICSCOPE_MUTANTS", "1000"))
#: Structured mutants per format (HAR, zhar, flow file); `make soak` runs 7,000.
STRUCTURED = int(os.environ.get("TRAFFICSCOPE_STRUCTURED_MUTANTS", "40"))
#: Decoders the structured mutants must reach: those no seed reaches by itself
#: (hex ... utf-16), and those captures/sample.har shows (gzip ... gb18030).
DECODERS = ("hex", "jwt", "msgpack", "protobuf", "xml", "zlib", "utf-16",
            "gzip", "deflate", "br", "zstd", "base64", "multipart", "gb18030")
FORMATS = sorted({*READERS, "zhar"})
RUNNER = Path(__file__).resolve().parent / "mutate.py"


@pytest.mark.parametrize("fmt", FORMATS)
def test_mutants_never_crash_hang_or_oom(fmt: str) -> None:
    # The runner forks its children from a lean process of its own: from pytest's,
    # copying its memory on write makes each mutant several times slower.
    r = subprocess.run([sys.executable, str(RUNNER), "--per-format", str(MUTANTS),
                        "--format", fmt, "--corpus", str(default_corpus()), "--json"],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode in (0, 1), r.stderr
    reports = json.loads(r.stdout)
    if fmt not in reports:
        pytest.skip(f"no seed capture of format {fmt} (none generated, corpus absent)")
    report = reports[fmt]
    assert report["failures"] == [], report["failures"][:5]
    assert report["runs"] == MUTANTS
    assert report["kinds"].get("read_error", 0) > 0  # the mutants do break the format
    assert r.returncode == 0
    print(f"{fmt}: {report}")


def test_structured_mutants_reach_the_decoders_and_never_fail() -> None:
    # Valid HAR, zhar and flow files with hostile values: they pass the file's parser,
    # so the body and value decoders and the detectors behind them get the mutants.
    # One runner per format, as `make soak`: each starts lean. (In one runner for all
    # three, flow-file mutants after the HAR ones failed: a library imported under a
    # child's memory limit, children killed as hung while the runner made mutants;
    # both fixed in the runner since.)
    reached: Counter[str] = Counter()
    for fmt in STRUCTURED_FORMATS:
        r = subprocess.run([sys.executable, str(RUNNER), "--structured", "--per-format",
                            str(STRUCTURED), "--format", fmt, "--corpus", str(default_corpus()),
                            "--json"], capture_output=True, text=True, timeout=1800)
        assert r.returncode in (0, 1), r.stderr
        report = json.loads(r.stdout)[fmt]
        assert report["failures"] == [], (fmt, report["failures"][:5])
        assert report["runs"] == STRUCTURED, fmt
        # most mutants are read whole, and their fields decoded beyond JSON and forms;
        # the detectors find the phone's values under those decodings in many
        assert report["kinds"].get("ok", 0) >= 0.8 * STRUCTURED, (fmt, report["kinds"])
        assert report["decoded"] >= 0.6 * STRUCTURED, (fmt, report["decoded"])
        assert report["found"] >= 0.3 * STRUCTURED, (fmt, report["found"])
        reached.update(report["steps"])
        assert r.returncode == 0
    assert {d: reached[d] for d in DECODERS if reached[d] < 3} == {}, reached


def _ids(path: Path) -> tuple[list[str], str | None]:
    ids: list[str] = []
    try:
        for flow in iter_flows(path):
            ids.append(flow.flow_id)
    except ReadError as e:
        return ids, e.reason
    return ids, None


def test_har_cut_after_entry_k_keeps_k_flows(tmp_path: Path) -> None:
    seed = generated_seeds(tmp_path / "seeds")["har"][0]
    data = seed.read_bytes()
    full, error = _ids(seed)
    assert error is None and len(full) == 19
    cuts = har_boundaries(data)
    assert len(cuts) == len(full)
    for k, cut in enumerate([0, *cuts]):
        if cut == 0:
            cut = data.index(b"[") + 1  # inside entries, before entry 0
        path = tmp_path / str(k) / seed.name
        path.parent.mkdir()
        path.write_bytes(data[:cut])
        ids, reason = _ids(path)
        assert ids == full[:k], k
        assert reason == f"truncated JSON after {k} entries", (k, reason)


def test_corpus_har_cuts_keep_complete_records(tmp_path: Path) -> None:
    hars = corpus_seeds(default_corpus()).get("har", [])
    if not hars:
        pytest.skip(f"corpus of real captures not found at {default_corpus()}")
    checked = 0
    for seed in hars:
        data = seed.read_bytes()
        full, _ = _ids(seed)
        for k, cut in enumerate(har_boundaries(data), 1):
            path = tmp_path / f"{checked}" / seed.name
            path.parent.mkdir()
            path.write_bytes(data[:cut])
            ids, reason = _ids(path)
            # flow ids carry the entry index: exactly the readable entries before the cut
            assert ids == [i for i in full if int(i.rsplit(":", 1)[1]) < k], (seed.name, k)
            assert reason is not None and "truncated" in reason, (seed.name, k, reason)
            checked += 1
    assert checked >= 50


def test_flow_file_cut_after_record_k_keeps_k_flows(tmp_path: Path) -> None:
    seed = generated_seeds(tmp_path / "seeds")["mitm"][0]
    data = seed.read_bytes()
    full, error = _ids(seed)
    assert error is None and len(full) == 19
    cuts = tnetstring_boundaries(data)
    assert cuts == boundaries(data) and len(cuts) == len(full)
    for k, cut in enumerate(cuts, 1):
        for end, whole in ((cut, True), (cut + 7, False)):  # at the boundary, inside the next
            if end > len(data):
                continue
            path = tmp_path / f"{k}-{whole}" / seed.name
            path.parent.mkdir()
            path.write_bytes(data[:end])
            ids, reason = _ids(path)
            assert ids == full[:k], (k, whole)
            assert (reason is None) is whole, (k, whole, reason)

"""`trafficscope demo`: analyze the bundled sample capture with its profile."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .batch import analyze_files
from .export import export
from .profile import load_profile
from .report import write_report
from .store import Store, make_private_dirs
from .summary import render

SAMPLE = "sample.har"
SAMPLE_PCAP = "sample.pcapng"  # the same phone on the wire (captures/make_pcap.py)
SAMPLE_PROFILE = "sample.profile.toml"
SAMPLE_APP = "example.shoppingmall.android"


def captures_dir() -> Path:
    """Where the sample captures are: inside the wheel, or the source tree."""
    packaged = Path(str(resources.files("trafficscope"))) / "_captures"
    if (packaged / SAMPLE).is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "captures"


def run_demo(out_dir: Path, db: str | None = None) -> str:
    """Analyze the sample into `out_dir`; returns the text to print."""
    make_private_dirs(out_dir)
    os.chmod(out_dir, 0o700)
    captures = captures_dir()
    profile = load_profile(captures / SAMPLE_PROFILE)
    db_path = Path(db) if db else out_dir / "trafficscope.db"
    with Store(db_path) as store:
        inputs = [captures / SAMPLE] + [
            p for p in (captures / SAMPLE_PCAP,) if p.is_file()]
        summary = analyze_files(inputs, store, profile=profile, app=SAMPLE_APP,
                                new_session=True)
        records = list(store.iter_findings(summary.session))
        report = write_report(store, out_dir, session=summary.session)
    export(records, "jsonl", str(out_dir / "findings.jsonl"))
    return "\n".join([
        f"trafficscope demo: {', '.join(str(p) for p in inputs)}"
        f" (simulated phone running {SAMPLE_APP})",
        "",
        render(summary),
        f"findings written to {out_dir / 'findings.jsonl'} and {out_dir / 'findings.csv'}",
        f"report written to {report.index} (open it in a browser)",
    ])

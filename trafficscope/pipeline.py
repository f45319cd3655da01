"""The pipeline: sources -> flows -> fields -> findings -> attribution -> store.

`Analyzer` holds what a session needs once (compiled scanner, party rules)
and turns one flow at a time into findings; `analyze_files` drives it over
input files for the CLI. The live proxy calls `Analyzer.process` per flow.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from . import __version__
from .attribution import PartyRules, registrable_domain
from .decoding.fields import extract_fields
from .detection import Scanner
from .detection.mask import mask, value_sha256
from .errors import ReadError
from .model import Detection, Finding, Flow
from .profile import Profile
from .sources import expand_inputs, iter_flows
from .store import Store

log = logging.getLogger(__name__)

#: Flows per transaction when reading files; the proxy commits every flow.
BATCH = 500


def safe_url(url: str | None, masked_segments: Iterable[int] = ()) -> str | None:
    """`url` without query or fragment, with the given path segments masked.

    Findings keep where data went, not the data: query strings and fragments
    carry values, so they are dropped; a path segment that held a finding is
    masked.
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    masked = set(masked_segments)
    if masked:
        segments = parts.path.split("/")
        # Field keys count non-empty segments from 0; map them onto the split.
        idx = -1
        for i, seg in enumerate(segments):
            if seg:
                idx += 1
                if idx in masked:
                    segments[i] = quote(mask(unquote(seg)), safe="*@.:-_~+,;=!$&'()")
        path = "/".join(segments)
    else:
        path = parts.path
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], path, "", ""))


@dataclass
class Summary:
    """What a run did, for the CLI to print."""

    session: str
    db: str
    files: int = 0
    flows: int = 0
    findings: int = 0
    errors: list[str] = field(default_factory=list)
    by_entity_recipient: Counter[tuple[str, str]] = field(default_factory=Counter)
    parties: dict[str, str] = field(default_factory=dict)


class Analyzer:
    """Turns flows into findings and stores them under one session."""

    def __init__(self, store: Store, *, profile: Profile | None, source: str,
                 app: str | None = None, first_party: Iterable[str] = (),
                 inputs: Iterable[str] = (), session: str | None = None) -> None:
        self.store = store
        self.profile = profile or Profile()
        self.app = app
        self.scanner = Scanner(self.profile if self.profile else None)
        self.parties = PartyRules(app, first_party)
        self.session = session or store.new_session(
            source=source, app=app, profile_keys=self.profile.keys_used,
            inputs=list(inputs), tool_version=__version__)
        self._seen_ids: set[str] = set()
        self.summary = Summary(self.session, str(store.path))

    def _unique_id(self, flow_id: str) -> str:
        fid, n = flow_id, 1
        while fid in self._seen_ids:
            n += 1
            fid = f"{flow_id}#{n}"
        self._seen_ids.add(fid)
        return fid

    def findings_for(self, flow: Flow) -> list[Finding]:
        detections = self.scanner.scan(extract_fields(flow))
        return self._to_findings(flow, detections)

    def _to_findings(self, flow: Flow, detections: Sequence[Detection]) -> list[Finding]:
        domain = registrable_domain(flow.host)
        party = self.parties.party(domain)
        masked = [int(seg) for d in detections
                  if d.field.location == "path" and d.field.key
                  and (seg := d.field.key.split(".")[0]).isdigit()]
        url = safe_url(flow.url, masked)
        app = self.app or flow.app
        return [
            Finding(
                session=self.session, flow_id=flow.flow_id, ts=flow.ts, source=flow.source,
                app=app, kind=flow.kind, method=flow.method, url=url, host=flow.host,
                server_ip=flow.server_ip, domain=domain, owner=None, category=None,
                party=party, country=None, pii_type=d.pii_type, location=d.field.location,
                key=d.field.key, encoding=d.field.encoding + d.extra_encoding, match=d.match,
                confidence=round(d.confidence, 3), value_masked=mask(d.value),
                value_sha256=value_sha256(d.value))
            for d in detections
        ]

    def process(self, flow: Flow) -> list[Finding]:
        """Analyze one flow and add it to the store (the caller commits)."""
        fid = self._unique_id(flow.flow_id)
        if fid != flow.flow_id:
            from dataclasses import replace

            flow = replace(flow, flow_id=fid)
        findings = self.findings_for(flow)
        domain = registrable_domain(flow.host)
        party = self.parties.party(domain)
        url = findings[0].url if findings else safe_url(flow.url)
        self.store.add_flow(self.session, flow, url=url, domain=domain, party=party,
                            findings=findings)
        s = self.summary
        s.flows += 1
        s.findings += len(findings)
        for f in findings:
            s.by_entity_recipient[(f.pii_type, f.domain)] += 1
            s.parties[f.domain] = f.party
        return findings


def analyze_files(inputs: Sequence[str | Path], store: Store, *, profile: Profile | None,
                  app: str | None = None, first_party: Iterable[str] = (),
                  on_finding: Callable[[Finding], None] | None = None,
                  progress: bool = False, keylog: str | None = None) -> Summary:
    """Analyze capture files and folders into a new session of `store`.

    A file that cannot be read (or read to the end) is reported in
    `Summary.errors` and the run goes on; what was read of it is kept.
    `keylog` (SSLKEYLOGFILE format) decrypts TLS in pcap/pcapng inputs via tshark.
    """
    errors: list[str] = []
    files: list[Path] = []
    for item in inputs:
        try:
            files.extend(expand_inputs([item]))
        except ReadError as e:
            errors.append(str(e))
    analyzer = Analyzer(store, profile=profile, source="files", app=app,
                        first_party=first_party, inputs=[str(p) for p in inputs])
    summary = analyzer.summary
    summary.errors.extend(errors)
    for path in _progress(files, progress):
        summary.files += 1
        n = 0
        try:
            for flow in iter_flows(path, keylog=keylog):
                for finding in analyzer.process(flow):
                    if on_finding:
                        on_finding(finding)
                n += 1
                if n % BATCH == 0:
                    store.commit()
        except ReadError as e:
            summary.errors.append(str(e))
            log.info("stopped reading %s after %d flows", path, n)
        store.commit()
    return summary


def _progress(files: list[Path], enabled: bool) -> Iterator[Path]:
    if not enabled or len(files) < 2:
        yield from files
        return
    from tqdm import tqdm

    yield from tqdm(files, unit="file", desc="analyzing", leave=False)

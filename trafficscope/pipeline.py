"""The pipeline: sources -> flows -> fields -> findings -> attribution -> store.

`Analyzer` holds what a session needs once (compiled scanner, party rules)
and turns one flow at a time into findings; `batch.analyze_files` drives it over
input files for the CLI. The live proxy calls `Analyzer.process` per flow.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from . import __version__
from .attribution import Attributor, Recipient, build_attributor
from .decoding.fields import extract_fields
from .detection import Scanner
from .detection.mask import mask, value_sha256
from .model import Detection, Finding, Flow
from .profile import Profile
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
    skipped: int = 0  # captures already analysed in this session
    errors: list[str] = field(default_factory=list)
    by_entity_recipient: Counter[tuple[str, str]] = field(default_factory=Counter)
    parties: dict[str, str] = field(default_factory=dict)
    #: attribution of each recipient domain, and the server countries seen for it
    recipients: dict[str, Recipient] = field(default_factory=dict)
    server_countries: dict[str, set[str]] = field(default_factory=dict)
    geoip: tuple[str, str] | None = None  # (database name, date)


class Analyzer:
    """Turns flows into findings and stores them under one session."""

    def __init__(self, store: Store | None, *, profile: Profile | None, source: str,
                 app: str | None = None, first_party: Iterable[str] = (),
                 inputs: Iterable[str] = (), session: str | None = None,
                 attribution: Attributor | None = None) -> None:
        self.store = store
        self.profile = profile or Profile()
        self.app = app
        self.attribution = attribution or build_attributor(app, first_party)
        self.parties = self.attribution  # .party(host), as PartyRules had
        db = self.attribution.geoip
        geoip = (db.name, db.date) if db is not None else None
        if session is None:
            if store is None:
                raise ValueError("an Analyzer without a store needs a session id")
            session = store.new_session(
                source=source, app=app, profile_keys=self.profile.keys_used,
                inputs=list(inputs), tool_version=__version__, geoip=geoip)
        self.session = session
        self._seen_ids: set[str] = set()
        self.summary = Summary(self.session, str(store.path) if store else "", geoip=geoip)

    @cached_property
    def scanner(self) -> Scanner:
        """Compiled on first use: a batch that hands flows to workers never needs it."""
        return Scanner(self.profile if self.profile else None)

    def reserve_ids(self, flow_ids: Iterable[str]) -> None:
        """Flow ids already stored in this session (a continued run)."""
        self._seen_ids.update(flow_ids)

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
        rec = self.attribution.recipient(flow.host)
        country = self.attribution.country(flow.server_ip)
        masked = [int(seg) for d in detections
                  if d.field.location == "path" and d.field.key
                  and (seg := d.field.key.split(".")[0]).isdigit()]
        url = safe_url(flow.url, masked)
        app = self.app or flow.app
        return [
            Finding(
                session=self.session, flow_id=flow.flow_id, ts=flow.ts, source=flow.source,
                app=app, kind=flow.kind, method=flow.method, url=url, host=flow.host,
                server_ip=flow.server_ip, domain=rec.domain, owner=rec.owner,
                category=rec.category, party=rec.party, country=country, pii_type=d.pii_type,
                location=d.field.location,
                key=d.field.key, encoding=d.field.encoding + d.extra_encoding, match=d.match,
                confidence=round(d.confidence, 3), value_masked=mask(d.value),
                value_sha256=value_sha256(d.value))
            for d in detections
        ]

    def process(self, flow: Flow) -> list[Finding]:
        """Analyze one flow and add it to the store (the caller commits)."""
        fid = self._unique_id(flow.flow_id)
        if fid != flow.flow_id:
            flow = replace(flow, flow_id=fid)
        findings = self.findings_for(flow)
        self.store_flow(flow, findings)
        return findings

    def store_analyzed(self, flow: Flow, findings: Sequence[Finding]) -> list[Finding]:
        """Store a flow analyzed elsewhere (a worker), keeping flow ids unique."""
        fid = self._unique_id(flow.flow_id)
        if fid != flow.flow_id:
            flow = replace(flow, flow_id=fid)
            findings = [replace(f, flow_id=fid) for f in findings]
        self.store_flow(flow, findings)
        return list(findings)

    def store_flow(self, flow: Flow, findings: Sequence[Finding]) -> None:
        """Add `flow` and its findings to the store and the summary."""
        if self.store is None:
            raise ValueError("this Analyzer has no store")
        rec = self.attribution.recipient(flow.host)
        country = self.attribution.country(flow.server_ip)
        url = findings[0].url if findings else safe_url(flow.url)
        self.store.add_flow(self.session, flow, url=url, domain=rec.domain, party=rec.party,
                            findings=findings, owner=rec.owner, category=rec.category,
                            country=country)
        s = self.summary
        s.flows += 1
        s.findings += len(findings)
        for f in findings:
            s.by_entity_recipient[(f.pii_type, f.domain)] += 1
            s.parties[f.domain] = f.party
        if findings:
            s.recipients.setdefault(rec.domain, rec)
            if country:
                s.server_countries.setdefault(rec.domain, set()).add(country)


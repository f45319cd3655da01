"""The pipeline: sources -> flows -> fields -> findings -> attribution -> store.

`Analyzer` holds what a session needs once (compiled scanner, party rules)
and turns one flow at a time into the store's rows (`flow_rows`, the one place
findings are made and attributed); `batch.analyze_files` drives it over input
files for the CLI. The live proxy calls `Analyzer.process` per flow.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from . import __version__
from .attribution import Attributor, Recipient, build_attributor
from .decoding.fields import extract_fields
from .detection import Scanner
from .detection.mask import mask, value_sha256
from .errors import ReadError
from .model import FINDING_FIELDS, Detection, Field, Finding, Flow
from .profile import Profile
from .store import Row, Store, flow_row, json_list

log = logging.getLogger(__name__)

#: Flows per transaction when reading files; the proxy commits every flow.
BATCH = 500
#: Flows read from files are scanned this many at a time, in one engine pass over
#: their fields (a Hyperscan call costs about as much as scanning a few KB), or
#: fewer once their bodies and fields hold SCAN_BYTES: the batch's memory stays small.
SCAN_FLOWS = 64
SCAN_BYTES = 1 << 20


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


@dataclass(kw_only=True)
class Tally:
    """Stored flows and findings counted by entity and recipient.

    Whoever builds rows counts them (a worker, per part of a capture); the
    process that writes the store merges the tallies into its `Summary`.
    """

    flows: int = 0
    findings: int = 0
    by_entity_recipient: Counter[tuple[str, str]] = field(default_factory=Counter)
    parties: dict[str, str] = field(default_factory=dict)
    #: attribution of each recipient domain, and the server countries seen for it
    recipients: dict[str, Recipient] = field(default_factory=dict)
    server_countries: dict[str, set[str]] = field(default_factory=dict)

    def add(self, rec: Recipient, country: str | None, pii_types: Iterable[str]) -> None:
        """Count one flow sent to `rec` (at a server in `country`) with these findings."""
        self.flows += 1
        n = 0
        for pii_type in pii_types:
            self.by_entity_recipient[(pii_type, rec.domain)] += 1
            n += 1
        if n:
            self.findings += n
            self.parties[rec.domain] = rec.party
            self.recipients.setdefault(rec.domain, rec)
            if country:
                self.server_countries.setdefault(rec.domain, set()).add(country)

    def merge(self, other: Tally) -> None:
        """Add `other`, counted after this one (the same as adding its flows here)."""
        self.flows += other.flows
        self.findings += other.findings
        self.by_entity_recipient.update(other.by_entity_recipient)
        self.parties.update(other.parties)
        for domain, rec in other.recipients.items():
            self.recipients.setdefault(domain, rec)
        for domain, countries in other.server_countries.items():
            self.server_countries.setdefault(domain, set()).update(countries)


@dataclass
class Summary(Tally):
    """What a run did, for the CLI to print."""

    session: str
    db: str
    files: int = 0
    skipped: int = 0  # captures already analysed in this session
    errors: list[str] = field(default_factory=list)
    geoip: tuple[str, str] | None = None  # (database name, date)


class FlowRows(NamedTuple):
    """A flow as the store keeps it: its `flows` row and its `findings` rows.

    Compact on purpose: workers send these to the process that writes the
    store, which only makes flow ids unique and inserts them.
    """

    flow: Row  # store.flow_row
    findings: tuple[Row, ...]  # FINDING_FIELDS order

    @property
    def flow_id(self) -> str:
        return str(self.flow[1])

    def renamed(self, flow_id: str) -> FlowRows:
        """The same rows under another flow id (column 1 of both tables)."""
        return FlowRows((self.flow[0], flow_id, *self.flow[2:]),
                        tuple((r[0], flow_id, *r[2:]) for r in self.findings))


def flow_rows(flow: Flow, detections: Sequence[Detection], *, session: str, app: str | None,
              attribution: Attributor, tally: Tally) -> FlowRows:
    """The store's rows for `flow` and its detections, attributed once; counted in `tally`.

    The one place findings are made: serial runs, worker processes, Dask and
    the live proxy all come here. `app` (the session's) wins over the flow's.
    """
    rec = attribution.recipient(flow.host)
    country = attribution.country(flow.server_ip)
    masked = [int(seg) for d in detections
              if d.field.location == "path" and d.field.key
              and (seg := d.field.key.split(".")[0]).isdigit()]
    url = safe_url(flow.url, masked)
    head = (session, flow.flow_id, flow.ts, flow.source, app or flow.app, flow.kind, flow.method,
            url, flow.host, flow.server_ip, rec.domain, rec.owner, rec.category, rec.party,
            country)
    findings = tuple(
        (*head, d.pii_type, d.field.location, d.field.key,
         json_list(d.field.encoding + d.extra_encoding), d.match, round(d.confidence, 3),
         mask(d.value), value_sha256(d.value))
        for d in detections)
    tally.add(rec, country, (d.pii_type for d in detections))
    return FlowRows(flow_row(session, flow, url=url, domain=rec.domain, party=rec.party,
                             n_findings=len(findings), owner=rec.owner, category=rec.category,
                             country=country), findings)


_ENCODING = FINDING_FIELDS.index("encoding")


def finding_from_row(row: Row) -> Finding:
    """The `Finding` a findings row holds (for callers that show findings one by one)."""
    values = list(row)
    values[_ENCODING] = tuple(json.loads(row[_ENCODING]))
    return Finding(*values)


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

    def rows_for(self, flow: Flow, tally: Tally) -> FlowRows:
        """Analyze one flow into the rows the store keeps, counted in `tally`."""
        return self.rows(flow, self.scanner.scan(extract_fields(flow)), tally)

    def rows(self, flow: Flow, detections: Sequence[Detection], tally: Tally) -> FlowRows:
        """The rows the store keeps for a flow scanned already, counted in `tally`."""
        return flow_rows(flow, detections, session=self.session, app=self.app,
                         attribution=self.attribution, tally=tally)

    def scanned(self, flows: Iterable[Flow]) -> Iterator[tuple[Flow, list[Detection]]]:
        """Each flow with its detections, in order, scanned `SCAN_FLOWS` at a time.

        When `flows` raises `ReadError`, the flows read before it are given first.
        """
        pending: list[tuple[Flow, tuple[Field, ...]]] = []
        size = 0
        try:
            for flow in flows:
                fields = tuple(extract_fields(flow))
                pending.append((flow, fields))
                size += len(flow.request_body) + sum(len(f.value) for f in fields)
                if len(pending) >= SCAN_FLOWS or size >= SCAN_BYTES:
                    batch, pending, size = pending, [], 0
                    yield from self._scan(batch)
        except ReadError:
            yield from self._scan(pending)
            raise
        yield from self._scan(pending)

    def _scan(self, batch: list[tuple[Flow, tuple[Field, ...]]]
              ) -> Iterator[tuple[Flow, list[Detection]]]:
        found = self.scanner.scan_many([fields for _, fields in batch])
        return zip((flow for flow, _ in batch), found, strict=True)

    def findings_for(self, flow: Flow) -> list[Finding]:
        """The findings of one flow (nothing stored or counted)."""
        return [finding_from_row(r) for r in self.rows_for(flow, Tally()).findings]

    def process(self, flow: Flow) -> list[Finding]:
        """Analyze one flow and add it to the store and the summary (the caller commits)."""
        (rows,) = self.store_rows([self.rows_for(flow, self.summary)])
        return [finding_from_row(r) for r in rows.findings]

    def store_rows(self, flows: Iterable[FlowRows]) -> list[FlowRows]:
        """Add flows analyzed here or elsewhere (a worker), keeping flow ids unique.

        Count them in the summary first (`rows_for(flow, analyzer.summary)`, or
        `summary.merge` of the worker's tally). Returns the rows as stored.
        """
        if self.store is None:
            raise ValueError("this Analyzer has no store")
        stored = []
        for rows in flows:
            fid = self._unique_id(rows.flow_id)
            stored.append(rows if fid == rows.flow_id else rows.renamed(fid))
        self.store.add_rows(stored)
        return stored

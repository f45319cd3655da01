"""Records that flow through the pipeline: flows, fields and findings.

All are frozen dataclasses with tuple fields. They carry no behaviour beyond
small derived properties; readers build `Flow`s, `decoding` turns them into
`Field`s, `detection` turns fields into `Finding`s.
"""

from __future__ import annotations

from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]

#: Where a value was found inside a flow (the finding's `location`).
LOCATIONS = (
    "query", "path", "header", "cookie", "body", "websocket", "dns", "sni", "dhcp", "mdns",
    "payload",
)

#: Stable, stored vocabulary of personal-data entities. Renaming one is a migration.
ENTITIES = (
    "IMEI", "MEID", "IMSI", "ICCID", "SERIAL", "ANDROID_ID", "AD_ID", "MAC", "WIFI_SSID",
    "WIFI_BSSID", "DEVICE_NAME", "PHONE", "EMAIL", "PERSON_NAME", "NATIONAL_ID", "CONTACTS",
    "LOCATION", "CELL_ID", "APP_LIST", "CALL_LOG", "SMS",
)


@dataclass(frozen=True, slots=True)
class Message:
    """One WebSocket (or similar) message inside a flow."""

    from_client: bool
    content: bytes
    ts: float | None = None
    is_text: bool = True


@dataclass(frozen=True, slots=True)
class Flow:
    """One exchange seen on the wire, independent of where it was read.

    For `kind == "http"` the request fields are set; `request_body` is the body
    as sent, still content-encoded (decoding is the pipeline's job). Kinds
    without a request (`tls`, `quic`, destination-only flows) set only the
    addressing fields; `names` holds extra names seen for the server (SNI, DNS).
    """

    flow_id: str
    ts: float
    source: str  # pcap, har, mitm, proxy
    kind: str  # http, websocket, dns, tls, quic, dhcp, mdns, tcp, udp
    host: str
    method: str | None = None
    url: str | None = None
    http_version: str | None = None
    request_headers: Headers = ()
    request_body: bytes = b""
    status: int | None = None
    response_headers: Headers = ()
    messages: tuple[Message, ...] = ()
    server_ip: str | None = None
    server_port: int | None = None
    client_ip: str | None = None
    app: str | None = None
    bytes_out: int = 0
    bytes_in: int = 0
    ts_end: float | None = None
    input_file: str | None = None
    notes: tuple[str, ...] = ()  # e.g. "body-truncated", "tls-no-keys"

    def header(self, name: str) -> str | None:
        """First request header called `name` (case-insensitive), or None."""
        lname = name.lower()
        for k, v in self.request_headers:
            if k.lower() == lname:
                return v
        return None


def dotted(key: str) -> str:
    """A key path with indexes as components: `a.b[2].c` -> `a.b.2.c`."""
    return key.replace("[", ".").replace("]", "")


def last_name(key: str | None) -> str | None:
    """Last non-numeric component of a key path: what the app called the value."""
    if not key:
        return None
    for part in reversed(dotted(key).split(".")):
        if part and not part.isdigit():
            return part
    return None


@dataclass(frozen=True, slots=True)
class Field:
    """A value taken out of a flow, with where it came from.

    `key` is the key path inside `location` (`data.properties.imei`, the
    query parameter name, the header name, a path segment index); `encoding`
    lists the decoding steps from the raw bytes to `value`.
    """

    location: str
    key: str | None
    value: str
    encoding: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def last_key(self) -> str | None:
        """Last non-numeric component of `key`: what the app called this value."""
        return last_name(self.key)


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data seen leaving the phone (DESIGN.md's record)."""

    session: str
    flow_id: str
    ts: float
    source: str
    app: str | None
    kind: str
    method: str | None
    url: str | None
    host: str
    server_ip: str | None
    domain: str
    owner: str | None
    category: str | None
    party: str
    country: str | None
    pii_type: str
    location: str
    key: str | None
    encoding: tuple[str, ...]
    match: str  # known or pattern
    confidence: float
    value_masked: str
    value_sha256: str

    def to_record(self) -> dict[str, object]:
        """The JSON Lines record (DESIGN.md field order, lists not tuples)."""
        rec: dict[str, object] = {name: getattr(self, name) for name in FINDING_FIELDS}
        rec["encoding"] = list(self.encoding)
        return rec


FINDING_FIELDS: tuple[str, ...] = tuple(Finding.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Detection:
    """What a detector reports on one field, before attribution makes it a Finding."""

    pii_type: str
    field: Field
    value: str  # the normalised value (hashed for value_sha256, masked for display)
    match: str  # known or pattern
    confidence: float
    extra_encoding: tuple[str, ...] = ()  # e.g. ("md5",) when the hash of a value matched
    evidence: tuple[str, ...] = ()

"""Value decoders for encodings hidden inside strings: JWT, hex, base64.

Each is a `ValueDecoder` for the table in `values.py`: `(text, limits,
budget) -> Decoded | None`. They are guesses (a token can look like base64),
so each checks its result before accepting it:

- `jwt`: `header.payload.signature` (after `Bearer ` in an Authorization
  header) whose header and payload are base64url
  JSON; the payload is walked;
- `hex`: an even number of hex digits, at least `Limits.min_encoded_len`,
  whose bytes are text or something `blobs.decode_bytes` recognises;
- `base64`: standard or URL-safe alphabet, padded or not, at least
  `Limits.min_encoded_len` characters, not all digits (ids, times), whose
  bytes are text, compressed, MessagePack or protobuf holding text.

A hex or base64 decoding keeps the raw value as a field too (`keep_raw`):
a guess must never hide what was sent.
"""

from __future__ import annotations

import binascii
import json
import re

from .blobs import Decoded, decode_bytes
from .limits import Budget, Limits

_HEX_RE = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_DIGITS = re.compile(r"[0-9]+")
_B64_RE = re.compile(r"[A-Za-z0-9+/\-_]+={0,2}")
_JWT_RE = re.compile(
    r"(?:Bearer\s+)?(eyJ[A-Za-z0-9_-]+)\.(eyJ[A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)", re.IGNORECASE)
_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64decode(text: str) -> bytes | None:
    """Standard or URL-safe base64, padded or not; None when invalid."""
    body = text.rstrip("=")
    if len(body) % 4 == 1:
        return None
    raw = body.encode("ascii").translate(_URLSAFE)
    try:
        return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def jwt_value(text: str, limits: Limits, budget: Budget) -> Decoded | None:
    m = _JWT_RE.fullmatch(text)
    if m is None:
        return None
    payload = b64decode(m.group(2))
    if payload is None:
        return None
    try:
        parsed = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return Decoded(("jwt", "json"), parsed, keep_raw=True) if isinstance(parsed, dict) else None


def hex_value(text: str, limits: Limits, budget: Budget) -> Decoded | None:
    if len(text) < limits.min_encoded_len or not _HEX_RE.fullmatch(text):
        return None
    inner = decode_bytes(bytes.fromhex(text), limits, budget)
    return _wrap("hex", inner)


def base64_value(text: str, limits: Limits, budget: Budget) -> Decoded | None:
    if (len(text) < limits.min_encoded_len or not _B64_RE.fullmatch(text)
            or _DIGITS.fullmatch(text)):
        return None
    data = b64decode(text)
    if data is None:
        return None
    return _wrap("base64", decode_bytes(data, limits, budget))


def _wrap(step: str, inner: Decoded | None) -> Decoded | None:
    if inner is None:
        return None
    if inner.node is None:
        return Decoded((step, *inner.steps), None, True, keep_raw=True)
    return Decoded((step, *inner.steps), inner.node, inner.truncated, keep_raw=True)

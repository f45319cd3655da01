"""Caps that keep decoding bounded on hostile traffic.

Every decoder in `trafficscope.decoding` takes a `Limits`; a value cut or left
unexpanded at one of these caps comes out with `Field.truncated = True`, never
as an exception. Size caps bound memory; `max_decode_seconds` bounds time,
on a monotonic clock read before each value is decoded and before each
decompression (a single decompression is itself bounded by the size caps).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on decoding one flow. The defaults suit a phone's requests."""

    #: Bytes a body may reach after content decoding (gzip, br, ...); the rest is cut.
    max_decoded_body: int = 16 * MiB
    #: Decoded size over wire size beyond which decoding stops (zip bombs) ...
    max_ratio: int = 1000
    #: ... once the output is past this many bytes: small bodies are never cut by ratio.
    ratio_floor: int = 1 * MiB
    #: Structures expanded inside one another: JSON in a JSON string, a form in a
    #: header, multipart in multipart; also the number of chained content codings.
    max_depth: int = 8
    #: JSON nesting walked; a deeper subtree is kept as one JSON text field.
    max_json_depth: int = 64
    #: Fields taken from one flow; the last one is marked truncated when more remained.
    max_fields: int = 50_000
    #: Bytes one value (base64, hex, a protobuf bytes field...) may decompress to
    #: when gzip/zlib/deflate/brotli/zstd is found inside it; the rest is cut.
    max_value_decoded: int = 1 * MiB
    #: Bytes all the values of one flow may decompress to together; past it,
    #: compressed values are kept as sent and marked truncated.
    max_flow_decoded: int = 16 * MiB
    #: Smallest base64 or hex value tried (shorter ones are words, counters, codes).
    min_encoded_len: int = 8
    #: Seconds the values of one flow (body included) may take to decode; past
    #: it, the values not yet decoded are kept as sent and marked truncated.
    max_decode_seconds: float = 5.0

    def decoded_cap(self, wire_size: int) -> int:
        """Most bytes a body of `wire_size` bytes may decode to."""
        return min(self.max_decoded_body, max(self.ratio_floor, wire_size * self.max_ratio))


@dataclass(slots=True)
class Budget:
    """Bytes one flow's values may still decompress to (starts at `max_flow_decoded`),
    and the `clock` time at which its decoding stops (`max_decode_seconds` from the start).

    Mutable, unlike `Limits`: one per flow, shared by every value decoder.
    """

    left: int
    deadline: float = math.inf
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    @classmethod
    def of(cls, limits: Limits, clock: Callable[[], float] = time.monotonic) -> Budget:
        return cls(limits.max_flow_decoded, clock() + limits.max_decode_seconds, clock)

    def expired(self) -> bool:
        """True once the flow's decoding time is spent (always, for a zero budget)."""
        return self.clock() >= self.deadline


DEFAULT_LIMITS = Limits()

"""Detection: personal data in the fields of a flow.

`Scanner(profile)` compiles every pattern and profile variant once;
`Scanner.scan(fields)` returns the `Detection`s of one flow, and
`Scanner.scan_many(flows)` those of many flows from one engine pass. `mask` and
`value_sha256` show and join values without storing them.
"""

from __future__ import annotations

from .detectors import DETECTORS
from .mask import mask, value_sha256
from .scanner import Scanner

__all__ = ["DETECTORS", "Scanner", "mask", "value_sha256"]

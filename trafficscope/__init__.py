"""trafficscope: what personal data a phone's apps send, and to whom."""

from __future__ import annotations

__version__ = "0.1.0"

from .store import Store, open

__all__ = ["Store", "__version__", "open"]

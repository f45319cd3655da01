"""Charts and the HTML report of a session (`trafficscope report`)."""

from __future__ import annotations

from .build import Report, write_report

__all__ = ["Report", "write_report"]

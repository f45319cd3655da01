"""The project's exceptions: the few that callers are expected to catch."""

from __future__ import annotations

import os


class TrafficscopeError(Exception):
    """Base of every error trafficscope raises on purpose."""


class ReadError(TrafficscopeError):
    """An input (capture, HAR, flow file, profile) could not be read.

    The message always names the file and the reason, in one line, so the CLI
    can print it as it is.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = " ".join(str(reason).split())  # one line, whatever the cause said
        super().__init__(f"{self.path}: {self.reason}")


class DecodeError(TrafficscopeError):
    """A decoder could not decode a value (bad base64, corrupt gzip, ...)."""


class LimitExceeded(DecodeError):
    """Decoding stopped at a documented cap (size, depth, ratio)."""

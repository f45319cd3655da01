"""Files derived from installed data, kept per user so that a process starts fast.

Some data the tool ships with costs more to load in its packaged form than in
a form made for this machine: the GeoIP networks (a gzipped pickle, ~0.2 s;
mapped flat arrays, ~1 ms), the Public Suffix List (parsed from text, ~60 ms;
unpickled, ~3 ms). The first run writes the derived file, later runs read it.
A file's name is a hash of everything it depends on (source file, its size
and time, package version, format), so a changed source never meets a stale
file; any unreadable file is rebuilt.

Directory: `$TRAFFICSCOPE_CACHE_DIR/KIND` (the variable the Hyperscan cache
honours; an empty value turns caching off), else
`$XDG_CACHE_HOME/trafficscope/KIND`, else `~/.cache/trafficscope/KIND`;
created 0700, files 0600. A directory not owned by the user or open to others
is not used (a file someone else could write is never read).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "TRAFFICSCOPE_CACHE_DIR"


def directory(kind: str) -> Path | None:
    """The private cache directory for `kind` (created), or None when caching is off
    or the directory is not safe to use."""
    env = os.environ.get(ENV)
    if env is not None:
        if not env:
            return None
        d = Path(env) / kind
    else:
        try:
            base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to be found
            return None
        d = Path(base) / "trafficscope" / kind
    try:
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = d.stat()
    except OSError as exc:
        log.debug("cache %s unusable: %s", d, exc)
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        log.debug("cache %s not private to this user: not used", d)
        return None
    return d


def source_key(*parts: object, files: tuple[Path, ...] = ()) -> str:
    """A file name stem that changes with `parts` and with each file's size and time."""
    h = hashlib.sha256()
    for part in parts:
        h.update(f"{part}\n".encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def write(path: Path, data: bytes | bytearray | memoryview, keep: int = 4) -> None:
    """Write `path` (0600) atomically; keep at most `keep` files of its suffix beside it.
    Failure only costs the next run the slow load."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        old = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-keep]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cache file %s not written: %s", path, exc)

"""Compiled Hyperscan databases kept on disk, so a process starts in milliseconds.

Compiling the Scanner's databases takes about a second; every worker of a
parallel batch would pay it again. `compile_db` serialises each database it
compiles (`hyperscan.dumpb`) into a per-user cache directory and loads it
(`hyperscan.loadb`) on the next start. The file name is a hash of everything
the database depends on: expressions, ids, flags, mode, the Hyperscan module
version and the machine. Any error while loading (a truncated file, another
Hyperscan build, a database from another CPU) recompiles and rewrites.

At most `MAX_FILES` databases are kept. Directory: `trafficscope.cache`'s
for `hyperscan` (`$TRAFFICSCOPE_CACHE_DIR/hyperscan`, else
`$XDG_CACHE_HOME/trafficscope/hyperscan`, else
`~/.cache/trafficscope/hyperscan`; created 0700, files 0600). The cache is
not used when the directory is not owned by the user or is open to others
(a database from someone else's file is not loaded); setting
`TRAFFICSCOPE_CACHE_DIR` to an empty string turns it off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import cache

log = logging.getLogger(__name__)

ENV = cache.ENV
#: Databases kept; the least recently written go first (each profile makes new ones).
MAX_FILES = 32


def cache_dir() -> Path | None:
    """The cache directory to use (created, private to the user), or None when caching
    is off or the directory is not safe."""
    return cache.directory("hyperscan")


def db_key(hs: Any, mode: int, expressions: Sequence[bytes], ids: Sequence[int],
           flags: Sequence[int]) -> str:
    """Hex digest naming a database: changes whenever its inputs or the build change."""
    h = hashlib.sha256()
    version = getattr(hs, "__version__", "?")
    h.update(f"{version}|{platform.machine()}|{mode}|{len(expressions)}\n".encode())
    for e, i, f in zip(expressions, ids, flags, strict=True):
        h.update(b"%d %d %d " % (i, f, len(e)))
        h.update(e)
    return h.hexdigest()


def _load(hs: Any, path: Path, mode: int) -> Any:
    try:
        db = hs.loadb(path.read_bytes(), mode)
        db.scratch = hs.Scratch(db)  # a loaded database comes without one
        return db
    except FileNotFoundError:
        return None
    except Exception as exc:  # any bad file: recompile (hyperscan raises its own errors)
        log.info("hyperscan cache %s unreadable (%s): recompiling", path.name, exc)
        return None


def _store(hs: Any, db: Any, d: Path, path: Path) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")  # 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(hs.dumpb(db))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(d)
    except OSError as exc:
        log.debug("hyperscan cache %s not written: %s", path, exc)


def _prune(d: Path) -> None:
    files = sorted(d.glob("*.hsdb"), key=lambda f: f.stat().st_mtime)
    for f in files[:-MAX_FILES]:
        f.unlink(missing_ok=True)


def compile_db(hs: Any, expressions: Sequence[bytes], ids: Sequence[int],
               flags: Sequence[int], mode: int | None = None) -> Any:
    """A block-mode database of `expressions`, from the cache when it holds one."""
    mode = hs.HS_MODE_BLOCK if mode is None else mode
    d = cache_dir()
    path = None
    if d is not None:
        path = d / f"{db_key(hs, mode, expressions, ids, flags)}.hsdb"
        db = _load(hs, path, mode)
        if db is not None:
            return db
    db = hs.Database(mode=mode)
    db.compile(expressions=list(expressions), ids=list(ids), elements=len(expressions),
               flags=list(flags))
    if path is not None and d is not None:
        _store(hs, db, d, path)
    return db

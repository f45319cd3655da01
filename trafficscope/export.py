"""Exports of finding records: JSON Lines, CSV, Parquet.

Files are created readable by their owner only; `-` writes to stdout
(JSON Lines and CSV).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .model import FINDING_FIELDS

if TYPE_CHECKING:
    from .store import Store

FORMATS = ("jsonl", "csv", "parquet")

#: Headers whose values are credentials: findings in them are exported without
#: their (masked) value unless asked for with `--raw`.
SECRET_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})
REDACTED = "[redacted]"


def is_secret(record: dict[str, Any]) -> bool:
    """True for a finding inside a Cookie, Set-Cookie or Authorization header."""
    if record.get("location") == "cookie":
        return True
    key = record.get("key") or ""
    return record.get("location") == "header" and key.split(".")[0].lower() in SECRET_HEADERS


def redact(record: dict[str, Any]) -> dict[str, Any]:
    """`record` without the value of a credential header; keys keep only the
    header or cookie name (a key path below it may spell out a value)."""
    if not is_secret(record):
        return record
    key = record.get("key")
    return {**record, "value_masked": REDACTED,
            "key": key.split(".")[0] if isinstance(key, str) else key}


def redacted(records: Iterable[dict[str, Any]], raw: bool = False) -> Iterator[dict[str, Any]]:
    return iter(records) if raw else (redact(r) for r in records)


@contextmanager
def private_text_file(path: str) -> Iterator[IO[str]]:
    """Open `path` for writing text, mode 0600 whatever the umask; '-' is stdout."""
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    fd = _open_private(path)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        yield f


def _open_private(path: str) -> int:
    """A file descriptor for writing `path` (truncated), 0600; missing folders 0700."""
    from .store import make_private_dirs

    make_private_dirs(Path(path).parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for rec in records:
        out.write(jsonl_line(rec) + "\n")
        n += 1
    return n


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """CSV with DESIGN.md's columns; `encoding` joined with '>' (base64>gzip>json)."""
    w = csv.DictWriter(out, fieldnames=list(FINDING_FIELDS))
    w.writeheader()
    n = 0
    for rec in records:
        w.writerow({**rec, "encoding": ">".join(rec["encoding"])})
        n += 1
    return n


def finding_schema() -> Any:
    """Arrow schema of the finding record (DESIGN.md order)."""
    import pyarrow as pa

    return pa.schema([
        ("session", pa.string()), ("flow_id", pa.string()), ("ts", pa.float64()),
        ("source", pa.string()), ("app", pa.string()), ("kind", pa.string()),
        ("method", pa.string()), ("url", pa.string()), ("host", pa.string()),
        ("server_ip", pa.string()), ("domain", pa.string()), ("owner", pa.string()),
        ("category", pa.string()), ("party", pa.string()), ("country", pa.string()),
        ("pii_type", pa.string()), ("location", pa.string()), ("key", pa.string()),
        ("encoding", pa.list_(pa.string())), ("match", pa.string()),
        ("confidence", pa.float64()), ("value_masked", pa.string()),
        ("value_sha256", pa.string()),
    ])


def write_parquet(records: Iterable[dict[str, Any]], path: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = finding_schema()
    rows = list(records)
    table = pa.Table.from_pylist(rows, schema=schema)
    fd = _open_private(path)
    with os.fdopen(fd, "wb") as f:
        pq.write_table(table, f)
    return len(rows)


def write_parquet_dataset(store: Store, session: str, out_dir: str, *,
                          raw: bool = False) -> int:
    """The session's findings as a Parquet dataset partitioned by app and capture.

    Hive layout (``app=.../capture=.../part-0.parquet``) that pandas, Dask and
    DuckDB read; a finding without an app is filed under ``app=unknown``.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    inputs = store.flow_inputs(session)
    rows = []
    for rec in redacted(store.iter_findings(session), raw):
        source = inputs.get(rec["flow_id"])
        rows.append({**rec, "app": rec["app"] or "unknown",
                     "capture": os.path.basename(source) if source else "unknown"})
    schema = finding_schema().append(pa.field("capture", pa.string()))
    from .store import make_private_dirs

    root = Path(out_dir)
    make_private_dirs(root)
    ds.write_dataset(pa.Table.from_pylist(rows, schema=schema), root, format="parquet",
                     partitioning=["app", "capture"], partitioning_flavor="hive",
                     existing_data_behavior="delete_matching")
    for dirpath, _, filenames in os.walk(root):
        os.chmod(dirpath, 0o700)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o600)
    return len(rows)


def export(records: Iterable[dict[str, Any]], fmt: str, path: str, *, raw: bool = False) -> int:
    """Write `records` as `fmt` to `path` ('-' for stdout); returns the count.

    Credential headers (`SECRET_HEADERS`, cookies) lose their values unless `raw`.
    """
    records = redacted(records, raw)
    if fmt == "parquet":
        if path == "-":
            raise ValueError("parquet needs a file (-o FILE), not stdout")
        return write_parquet(records, path)
    writer = write_jsonl if fmt == "jsonl" else write_csv
    with private_text_file(path) as out:
        return writer(records, out)

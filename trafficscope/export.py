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
from typing import IO, Any

from .model import FINDING_FIELDS

FORMATS = ("jsonl", "csv", "parquet")


@contextmanager
def private_text_file(path: str) -> Iterator[IO[str]]:
    """Open `path` for writing text, mode 0600 whatever the umask; '-' is stdout."""
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        yield f


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


def write_parquet(records: Iterable[dict[str, Any]], path: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
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
    rows = list(records)
    table = pa.Table.from_pylist(rows, schema=schema)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as f:
        pq.write_table(table, f)
    return len(rows)


def export(records: Iterable[dict[str, Any]], fmt: str, path: str) -> int:
    """Write `records` as `fmt` to `path` ('-' for stdout); returns the count."""
    if fmt == "parquet":
        if path == "-":
            raise ValueError("parquet needs a file (-o FILE), not stdout")
        return write_parquet(records, path)
    writer = write_jsonl if fmt == "jsonl" else write_csv
    with private_text_file(path) as out:
        return writer(records, out)

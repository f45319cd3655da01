"""The public Fukuda PII-leakage set: recall with the test account's profile."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from trafficscope.decoding.fields import extract_fields
from trafficscope.detection import Scanner
from trafficscope.eval import fukuda


def test_fukuda_recall(corpus_dir: Path) -> None:
    rows = list(fukuda.load(corpus_dir / "labeled" / fukuda.FILE_NAME))
    assert len(rows) == 1522
    scanner = Scanner(fukuda.profile())
    missed: Counter[str] = Counter()
    for row in rows:
        found = scanner.scan(list(extract_fields(row.flow)))
        if not any(d.pii_type == "EMAIL" and d.match == "known" for d in found):
            missed[row.encoding_form] += 1
    recall = 1 - sum(missed.values()) / len(rows)
    assert recall >= 0.994, missed
    # Single-step encodings: every row whose label is the account's email is found
    # (the misses are 2 rows sending another address, 4 hashing an unknown username).
    for form in ("base64", "md5", "sha1"):
        assert missed[form] == 0, missed
    assert missed["plaintext"] <= 2 and missed["sha256"] <= 4, missed

"""The public TCF set: where real SDKs put the advertising id, rebuilt into requests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from trafficscope.decoding.fields import extract_fields
from trafficscope.detection import Scanner
from trafficscope.detection.keys import key_priors
from trafficscope.eval import tcf
from trafficscope.model import Detection


def _scan(scanner: Scanner, row: tcf.Row) -> list[Detection]:
    return scanner.scan(list(extract_fields(row.flow)))


def _found(dets: list[Detection]) -> bool:
    return any(d.pii_type == "AD_ID" and d.value == tcf.AAID for d in dets)


def test_tcf_with_the_profile_every_row(corpus_dir: Path) -> None:
    rows = list(tcf.load(corpus_dir / "labeled"))
    assert len(rows) == 6517 and Counter(r.stage for r in rows) == {"1": 4282, "2": 2235}
    scanner = Scanner(tcf.profile())
    # under any key, none, in protobuf or as the raw body: the value is known
    assert [r.key for r in rows if not _found(_scan(scanner, r))] == []


def test_tcf_without_a_profile_key_names_decide(corpus_dir: Path) -> None:
    rows = list(tcf.load(corpus_dir / "labeled"))
    scanner = Scanner(None)
    missed: Counter[str] = Counter()
    keyed = 0
    for row in rows:
        dets = _scan(scanner, row)
        # nothing else is claimed with confidence: the requests hold only the id
        assert not [d for d in dets if not (d.pii_type == "AD_ID" and d.value == tcf.AAID)
                    and d.confidence >= 0.5], row.flow.url
        if not row.key:
            assert not _found(dets)  # a UUID alone is no advertising id
            continue
        keyed += 1
        if not _found(dets):
            missed[row.key] += 1
            # ... missed only where no key holding it names an advertising id
            fields = [f for f in extract_fields(row.flow) if tcf.AAID in f.value]
            assert fields and not any(key_priors(f.key).get("AD_ID") for f in fields), row.key
    assert keyed == 6023
    assert 1 - sum(missed.values()) / keyed >= 0.945, missed.most_common(10)

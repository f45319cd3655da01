"""Precision, recall and F1 per entity and per encoding, counted over (flow, entity) pairs.

A flow's detected entities are compared with its labels: a required entity
found is a true positive, one not found a false negative; an entity found
that is neither required nor allowed is a false positive. Per encoding,
each (entity, how it was hidden) label counts as found or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def positive(self, found: bool) -> None:
        """Count a labelled positive: found (TP) or missed (FN)."""
        if found:
            self.tp += 1
        else:
            self.fn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Tally:
    """Scores of a run: overall, per entity, per encoding (recall only)."""

    total: Score = field(default_factory=Score)
    entity: dict[str, Score] = field(default_factory=dict)
    encoding: dict[str, Score] = field(default_factory=dict)
    false_positives: Counter[str] = field(default_factory=Counter)

    def add(self, found: Iterable[str], required: Iterable[str], allowed: Iterable[str] = (),
            encodings: Iterable[tuple[str, str]] = ()) -> None:
        found_set, req = set(found), set(required)
        ok = req | set(allowed)
        for e in req:
            s = self.entity.setdefault(e, Score())
            if e in found_set:
                s.tp += 1
                self.total.tp += 1
            else:
                s.fn += 1
                self.total.fn += 1
        for e in found_set - ok:
            self.entity.setdefault(e, Score()).fp += 1
            self.total.fp += 1
            self.false_positives[e] += 1
        for e, how in encodings:
            s = self.encoding.setdefault(how, Score())
            if e in found_set:
                s.tp += 1
            else:
                s.fn += 1


def table(scores: dict[str, Score], title: str) -> str:
    """A plain-text table: name, P, R, F1, TP, FP, FN."""
    lines = [f"{title:28} {'P':>7} {'R':>7} {'F1':>7} {'TP':>6} {'FP':>5} {'FN':>5}"]
    for name in sorted(scores):
        s = scores[name]
        lines.append(f"{name:28} {s.precision:7.2%} {s.recall:7.2%} {s.f1:7.2%} "
                     f"{s.tp:6} {s.fp:5} {s.fn:5}")
    return "\n".join(lines)

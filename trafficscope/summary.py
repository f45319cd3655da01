"""Plain-text summary of a run: which entities went to which recipients."""

from __future__ import annotations

from collections import Counter

from .model import ENTITIES
from .pipeline import Summary


def entity_matrix(counts: Counter[tuple[str, str]], parties: dict[str, str]) -> str:
    """Recipients as rows, entities as columns, finding counts in the cells."""
    if not counts:
        return "no personal data found"
    entities = [e for e in ENTITIES if any(k[0] == e for k in counts)]
    per_recipient: Counter[str] = Counter()
    for (_, domain), n in counts.items():
        per_recipient[domain] += n
    rows = [
        (f"{domain} ({parties.get(domain, 'unknown')})",
         [counts.get((e, domain), 0) for e in entities])
        for domain, _ in sorted(per_recipient.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    first = max(len("recipient"), *(len(r[0]) for r in rows))
    widths = [max(len(e), 3) for e in entities]
    lines = ["recipient".ljust(first) + "  " + "  ".join(
        e.rjust(w) for e, w in zip(entities, widths, strict=True))]
    for name, cells in rows:
        lines.append(name.ljust(first) + "  " + "  ".join(
            (str(c) if c else ".").rjust(w) for c, w in zip(cells, widths, strict=True)))
    return "\n".join(lines)


def render(summary: Summary) -> str:
    recipients = {d for _, d in summary.by_entity_recipient}
    entities = {e for e, _ in summary.by_entity_recipient}
    head = (f"read {summary.files} file{'s' * (summary.files != 1)}, "
            f"{summary.flows} flows: {summary.findings} findings of {len(entities)} "
            f"kinds of personal data sent to {len(recipients)} recipients")
    lines = [head]
    if summary.skipped:
        lines.append(f"{summary.skipped} capture{'s' * (summary.skipped != 1)} already analysed "
                     "in this session skipped (--new-session analyzes them again)")
    return "\n".join([
        *lines, "", entity_matrix(summary.by_entity_recipient, summary.parties), "",
        f"session {summary.session} stored in {summary.db}",
    ])

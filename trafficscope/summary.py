"""Plain-text summary of a run: which entities went to which recipients."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from .attribution import Recipient
from .model import ENTITIES
from .pipeline import Summary


def recipient_label(domain: str, party: str, rec: Recipient | None) -> str:
    """``umeng.com (third) — Alibaba (CN, analytics)``: domain, party, owner.

    The country in parentheses is where the organisation sits; the servers'
    countries are a column of their own.
    """
    label = f"{domain} ({party})"
    if rec is None:
        return label
    if rec.owner:
        details = ", ".join(x for x in (rec.owner_country, rec.category) if x)
        return f"{label} — {rec.owner}" + (f" ({details})" if details else "")
    return f"{label} — {rec.category}" if rec.category else label


def entity_matrix(counts: Counter[tuple[str, str]], parties: dict[str, str],
                  recipients: Mapping[str, Recipient] | None = None,
                  server_countries: Mapping[str, set[str]] | None = None) -> str:
    """Recipients as rows, entities as columns, finding counts in the cells.

    With `server_countries`, a last column lists the countries of the servers
    that received the data (``-`` when no public address was seen).
    """
    if not counts:
        return "no personal data found"
    recipients = recipients or {}
    entities = [e for e in ENTITIES if any(k[0] == e for k in counts)]
    per_recipient: Counter[str] = Counter()
    for (_, domain), n in counts.items():
        per_recipient[domain] += n
    ordered = [d for d, _ in sorted(per_recipient.items(), key=lambda kv: (-kv[1], kv[0]))]
    rows = [
        (recipient_label(domain, parties.get(domain, "unknown"), recipients.get(domain)),
         [counts.get((e, domain), 0) for e in entities])
        for domain in ordered
    ]
    first = max(len("recipient"), *(len(r[0]) for r in rows))
    widths = [max(len(e), 3) for e in entities]
    servers = None
    if server_countries is not None:
        servers = ["/".join(sorted(server_countries.get(d, ()))) or "-" for d in ordered]
    head = "recipient".ljust(first) + "  " + "  ".join(
        e.rjust(w) for e, w in zip(entities, widths, strict=True))
    lines = [head + ("  servers" if servers is not None else "")]
    for i, (name, cells) in enumerate(rows):
        line = name.ljust(first) + "  " + "  ".join(
            (str(c) if c else ".").rjust(w) for c, w in zip(cells, widths, strict=True))
        lines.append(line + (f"  {servers[i]}" if servers is not None else ""))
    return "\n".join(lines)


def render(summary: Summary) -> str:
    recipients = {d for _, d in summary.by_entity_recipient}
    entities = {e for e, _ in summary.by_entity_recipient}
    head = (f"read {summary.files} file{'s' * (summary.files != 1)}, "
            f"{summary.flows} flows: {summary.findings} findings of {len(entities)} "
            f"kinds of personal data sent to {len(recipients)} recipients")
    matrix = entity_matrix(summary.by_entity_recipient, summary.parties, summary.recipients,
                           summary.server_countries if summary.geoip else None)
    lines = [head]
    if summary.skipped:
        lines.append(f"{summary.skipped} capture{'s' * (summary.skipped != 1)} already analysed "
                     "in this session skipped (--new-session analyzes them again)")
    lines += ["", matrix, ""]
    if summary.geoip and summary.by_entity_recipient:
        name, date = summary.geoip
        lines.append(f"server countries from {name}" + (f", {date}" if date else ""))
    lines.append(f"session {summary.session} stored in {summary.db}")
    return "\n".join(lines)

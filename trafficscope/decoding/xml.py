"""XML inside a value or a body, parsed with defusedxml (no entities, no DTD tricks).

`xml_value(text, limits, budget)` is a value decoder (`values.VALUE_DECODERS`):
a string that starts with `<` and parses as XML becomes a dict keyed by
element paths, namespaces dropped: `<r><dev imei="1"><mac>x</mac></dev></r>`
gives `{"dev": {"@imei": "1", "mac": "x"}}` (repeated elements become lists,
text beside children is `#text`). Entity declarations, DTDs and external
references are refused by defusedxml, so billion-laughs bodies stay text.
A root without children or attributes (`<p>text</p>`) stays text. Elements
deeper than `Limits.max_json_depth` are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .blobs import Decoded
from .limits import Budget, Limits

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

MAX_XML = 4 * 1024 * 1024  # characters parsed at most; a longer document stays text


def _name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _node(el: Element, depth: int, max_depth: int) -> object:
    out: dict[str, Any] = {f"@{_name(k)}": v for k, v in el.attrib.items()}
    if depth < max_depth:
        for child in el:
            key = _name(child.tag) if isinstance(child.tag, str) else "#"
            value = _node(child, depth + 1, max_depth)
            old = out.get(key)
            if old is None:
                out[key] = value
            elif isinstance(old, list):
                old.append(value)
            else:
                out[key] = [old, value]
    text = (el.text or "").strip()
    if not out:
        return text
    if text:
        out["#text"] = text
    return out


def xml_value(text: str, limits: Limits, budget: Budget) -> Decoded | None:
    if len(text) > MAX_XML:
        return None
    # Imported on the first value that looks like XML: most captures have none, and
    # defusedxml with ElementTree costs ~7 ms of every run's start-up otherwise.
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(text, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError, RecursionError):
        return None
    if not len(root) and not root.attrib:
        return None  # `<p>text</p>`: markup around text, nothing structured to walk
    return Decoded(("xml",), {_name(root.tag): _node(root, 0, limits.max_json_depth)})

"""Values to fields: text decoding, forms, JSON, and recursive value decoders.

`walk` turns one value into `Field`s. A string value is offered to each
decoder in `VALUE_DECODERS`; the first that recognises it returns a structure
(a parsed JSON container, `FormPairs`, a string to decode further, or a
`blobs.Decoded` naming several steps), whose leaves are walked in turn with
the decoder's step names appended to `encoding`. The table: JSON, XML, forms,
percent (double URL encoding), JWT payloads, hex, base64 (std, URL-safe,
unpadded) whose bytes may be text (UTF-8, UTF-16, GB18030), gzip/zlib/raw
deflate/brotli/zstd, MessagePack or protobuf (`inner.py`, `blobs.py`).
Adding a decoder is one function and one table row. Walking is iterative and
bounded by `Limits` (depth of nested decoders, JSON depth) and the flow's
`Budget` (bytes decompressed, decoding time), so hostile nesting never
recurses and bombs stay small and short; a value cut at a cap is kept and
marked truncated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import unquote_to_bytes

from ..model import Field
from .blobs import Decoded
from .inner import base64_value, hex_value, jwt_value
from .limits import DEFAULT_LIMITS, Budget, Limits
from .protobuf import HexBytes
from .text import JsonNumber
from .xml import xml_value

__all__ = ["FormPairs", "JsonNumber", "decode_text", "parse_form", "parse_json",
           "percent_decode", "walk"]


#: Object keys at least this long are walked as values too, under `parent.#key`.
KEY_FIELD_MIN = 24
KEY_MARK = "#key"
#: Characters a key path keeps of its parent path (the tail) and of its last name
#: (the head), `KEY_CUT` marking a cut. A path joins names taken from the traffic:
#: without a cap a long name over many entries was copied into the key of each
#: (memory: name length x entries). Siblings still share their parent path.
MAX_KEY = 256
KEY_CUT = "\u2026"


class FormPairs(tuple[tuple[str, str, bool], ...]):
    """Parsed `application/x-www-form-urlencoded` data: (name, value, percent_changed)."""

    __slots__ = ()


#: Declared charsets we honour (lowercase, `_` as `-`) -> Python codec.
_CHARSETS = {
    "utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "utf-8", "ascii": "utf-8",
    "iso-8859-1": "latin-1", "latin1": "latin-1", "latin-1": "latin-1",
    "windows-1252": "cp1252", "cp1252": "cp1252",
    "utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be",
    "gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030", "big5": "big5",
    "shift-jis": "shift_jis", "sjis": "shift_jis", "euc-jp": "euc_jp", "euc-kr": "euc_kr",
}


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: the declared charset if we know it, else UTF-8, else latin-1.

    latin-1 maps bytes 1:1, so nothing is lost for later decoders. A UTF-8
    body cut inside its last character keeps its UTF-8 text.
    """
    if charset:
        codec = _CHARSETS.get(charset.strip().strip('"').lower().replace("_", "-"))
        if codec and codec != "utf-8":
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.reason != "unexpected end of data" or e.end != len(data):
            return data.decode("latin-1")
        text = data[: e.start].decode("utf-8") + data[e.start :].decode("latin-1")
    return text[1:] if text.startswith("\ufeff") else text


def percent_decode(text: str, plus: bool = False) -> str:
    """Undo %XX escapes (and `+` for spaces in forms), as UTF-8 else latin-1."""
    if plus and "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    # surrogatepass: a reader may hand us lone surrogates; they must not raise here.
    return decode_text(unquote_to_bytes(text.encode("utf-8", "surrogatepass")))


def parse_form(text: str) -> FormPairs:
    """`a=1&b=%32` -> pairs; `&` separates (not `;`), blank values are kept."""
    pairs = []
    for part in text.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        value = percent_decode(raw_value, plus=True)
        pairs.append((percent_decode(raw_name, plus=True), value, value != raw_value))
    return FormPairs(pairs)


def parse_json(text: str, containers_only: bool = False) -> object | None:
    """Parsed JSON, or None when `text` is not JSON (or too deep for the parser)."""
    start = text[:1]
    if start.isspace():
        stripped = text.strip()
        start = stripped[:1]
    if containers_only and start not in ("{", "["):
        return None
    try:
        return json.loads(
            text, parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=JsonNumber
        )
    except (ValueError, RecursionError):
        return None


# A value that is a whole form: name=value pairs joined by '&'. Names are
# word-ish and a value never starts with '=', so base64 padding ('QUJD==') and
# URLs are not mistaken for forms.
_FORM_RE = re.compile(r"[\w.\-\[\]%]+=(?!=)[^&]*(?:&[\w.\-\[\]%]+=(?!=)[^&]*)*")


def _json_value(text: str, limits: Limits, budget: Budget) -> object | None:
    return parse_json(text, containers_only=True)


def _form_value(text: str, limits: Limits, budget: Budget) -> object | None:
    if not _FORM_RE.fullmatch(text):
        return None
    pairs = parse_form(text)
    return pairs if any(value for _, value, _ in pairs) else None


_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def _percent_value(text: str, limits: Limits, budget: Budget) -> object | None:
    if not _PERCENT_RE.search(text):
        return None
    decoded = percent_decode(text)
    return decoded if decoded != text else None


ValueDecoder = Callable[[str, Limits, Budget], object | None]

#: Tried in order on every string value; the first non-None result wins. A row
#: is (step name, gate, decoder): the gate is a regex that matches at the start
#: of every value the decoder accepts, so one combined C-level match skips the
#: decoders for plain values. A decoder returns a JSON container, `FormPairs`,
#: or a new string to walk, and None when the value is not its format.
VALUE_DECODERS: tuple[tuple[str, str, ValueDecoder], ...] = (
    ("json", r"\s*[\[{]", _json_value),
    ("xml", r"\s*<[?!A-Za-z_]", xml_value),
    ("form", r"[\w.\-\[\]%]+=(?!=)", _form_value),
    ("percent", r"[^%]*%[0-9A-Fa-f]{2}", _percent_value),
    ("jwt", r"(?:[Bb]earer\s+)?eyJ[A-Za-z0-9_-]+\.eyJ", jwt_value),
    ("hex", r"[0-9A-Fa-f]{8}", hex_value),
    ("base64", r"[A-Za-z0-9+/_-]{8}", base64_value),
)
_GATE = re.compile("|".join(f"(?:{gate})" for _, gate, _ in VALUE_DECODERS))
_GATE_MATCH = _GATE.match


#: Answers for values under the default limits, which repeat from flow to flow
#: (User-Agents, content types, tokens; a device id sent as base64 in a header of
#: every request): None when no decoder recognised the value, else its decoding.
#: An answer is remembered only when the flow's budget played no part in it (the
#: budget was whole, nothing was decompressed, nothing was cut); a decoding is
#: given again only when the flow's budget is whole again. Decoded nodes are only
#: read. Cleared when it fills.
_KNOWN: dict[str, Decoded | None] = {}
_KNOWN_MAX = 16384
_KNOWN_LEN = 512
_UNKNOWN = Decoded((), None)  # (a marker: not an answer)


def _remember(text: str, answer: Decoded | None) -> None:
    if len(_KNOWN) >= _KNOWN_MAX:
        _KNOWN.clear()
    _KNOWN[text] = answer


def _decode_value(text: str, limits: Limits, budget: Budget) -> Decoded | None:
    if not _GATE_MATCH(text):
        return None
    cached = limits is DEFAULT_LIMITS and len(text) <= _KNOWN_LEN
    full = budget.left >= limits.max_value_decoded
    if cached:
        known = _KNOWN.get(text, _UNKNOWN)
        if known is None:
            return None
        if known is not _UNKNOWN and full and not budget.expired():
            return known
    if budget.expired():
        return Decoded((), None, True)  # the flow's time is spent: kept as sent, marked
    left = budget.left
    for name, _, decoder in VALUE_DECODERS:
        inner = decoder(text, limits, budget)
        if inner is not None:
            found = inner if isinstance(inner, Decoded) else Decoded((name,), inner)
            if (cached and full and budget.left == left and not found.truncated
                    and found.node is not None):
                _remember(text, found)
            return found
    if cached and full:
        _remember(text, None)
    return None


def join_key(key: str | None, child: str) -> str:
    return child if key is None else f"{key}.{child}"


def cut_key(key: str) -> str:
    """`key` with its parent path and its last name cut to `MAX_KEY` characters each."""
    parent, dot, name = key.rpartition(".")
    if len(parent) > MAX_KEY:
        parent = KEY_CUT + parent[len(parent) - MAX_KEY + len(KEY_CUT):]
    if len(name) > MAX_KEY:
        name = name[: MAX_KEY - len(KEY_CUT)] + KEY_CUT
    return parent + dot + name


def _dump(node: object) -> str:
    """JSON text of a subtree past the depth cap (its numbers come out quoted)."""
    try:
        return json.dumps(node, ensure_ascii=False)
    except (ValueError, RecursionError):
        return ""


def walk(
    location: str,
    key: str | None,
    node: object,
    encoding: tuple[str, ...],
    limits: Limits,
    *,
    nest: int = 0,
    truncated: bool = False,
    budget: Budget | None = None,
) -> Iterable[Field]:
    """Fields for `node` (a string, JSON value or `FormPairs`) and everything inside it.

    Keys join with '.', list items by index (`data.contacts.0.phone`). JSON
    booleans and nulls carry no value and are skipped; numbers keep their text.
    Lazy, except for a plain string: the common case costs one Field.
    """
    if key is not None and len(key) > MAX_KEY:
        key = cut_key(key)
    if type(node) is str and not _GATE_MATCH(node):
        return (Field(location, key, node, encoding, truncated),)
    return _walk(location, key, node, encoding, limits, nest, truncated,
                 budget if budget is not None else Budget.of(limits))


def _walk(
    location: str,
    key: str | None,
    node: object,
    encoding: tuple[str, ...],
    limits: Limits,
    nest: int,
    truncated: bool,
    budget: Budget,
) -> Iterator[Field]:
    # (key, node, encoding, json depth, nesting of value decoders, cut)
    stack: list[tuple[str | None, object, tuple[str, ...], int, int, bool]] = [
        (key, node, encoding, 0, nest, truncated)
    ]
    pop, push, extend = stack.pop, stack.append, stack.extend
    max_depth, max_json_depth = limits.max_depth, limits.max_json_depth
    while stack:
        key, node, enc, depth, nest, truncated = pop()
        if key is not None and len(key) > MAX_KEY:
            key = cut_key(key)
        if isinstance(node, Decoded):  # bytes decoded inside a structure (msgpack, protobuf)
            if node.node is None:
                continue
            push((key, node.node, (*enc, *node.steps), depth, nest + 1,
                  truncated or node.truncated))
            continue
        if isinstance(node, str):
            if type(node) is JsonNumber or type(node) is HexBytes:
                found = None
            else:
                found = _decode_value(node, limits, budget)
            if found is None:
                yield Field(location, key, str(node), enc, truncated)
            elif nest >= max_depth:
                yield Field(location, key, node, enc, True)  # recognised, not expanded
            elif found.node is None:  # a cap stopped it before any output: kept as sent
                yield Field(location, key, node, enc, True)
            else:
                if found.keep_raw:
                    yield Field(location, key, node, enc, truncated)
                push((key, found.node, (*enc, *found.steps), 0, nest + 1,
                      truncated or found.truncated))
            continue
        prefix = "" if key is None else key + "."
        if isinstance(node, dict | list) and depth >= max_json_depth:
            yield Field(location, key, _dump(node), enc, True)
            continue
        if isinstance(node, dict):
            children = [(prefix + k, v, enc, depth + 1, nest, truncated)
                        for k, v in node.items()]
            # Data used as a key (a URL with its query string, a blob): walked too.
            children.extend((prefix + KEY_MARK, k, enc, depth + 1, nest, truncated)
                            for k in node if len(k) >= KEY_FIELD_MIN)
        elif isinstance(node, list):
            children = [(prefix + str(i), v, enc, depth + 1, nest, truncated)
                        for i, v in enumerate(node)]
        elif isinstance(node, FormPairs):
            children = [
                (prefix + name, value, (*enc, "percent") if changed else enc, depth, nest,
                 truncated)
                for name, value, changed in node
            ]
            children.extend((prefix + KEY_MARK, name, enc, depth, nest, truncated)
                            for name, _, _ in node if len(name) >= KEY_FIELD_MIN)
        else:
            continue  # JSON true, false, null: nothing to scan
        children.reverse()
        extend(children)

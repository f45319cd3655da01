"""Is this byte string text, and in which charset? Small checks the decoders share.

`printable_text` accepts UTF-8 and, when that fails, UTF-16 (with a BOM, or
ASCII-range text with every other byte zero) and GB18030 (a superset of GBK
and GB2312, as Chinese SDKs send) when the result is printable. It returns the
text and the charset step to record (`""` for UTF-8, `"utf-16"`, `"gb18030"`).
Random bytes rarely decode as printable text in any of these: that is what
lets base64 and hex decoders tell a value from a random token.
"""

from __future__ import annotations

#: Share of characters that must be printable (or tab/newline) to call bytes text.
PRINTABLE_SHARE = 0.95
_WHITESPACE = frozenset("\t\n\r")


class JsonNumber(str):
    """A number kept as its source text (`1.50`, `1e400`): a leaf, never decoded."""

    __slots__ = ()


def _is_printable(text: str) -> bool:
    if text.isprintable():
        return True
    bad = sum(1 for c in text if not c.isprintable() and c not in _WHITESPACE)
    return bad <= len(text) * (1 - PRINTABLE_SHARE)


def sniff_text(data: bytes, min_len: int = 4) -> tuple[str, str] | None:
    """(text, charset step) when `data` is printable text, else None."""
    if len(data) < min_len:
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return (text, "utf-16") if _is_printable(text) else None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if "\x00" not in text:
            return (text, "") if _is_printable(text) else None
    if len(data) % 2 == 0 and data[1::2].count(0) == len(data) // 2 and data[0::2].count(0) == 0:
        text = data.decode("utf-16-le")
        return (text, "utf-16") if _is_printable(text) else None
    if len(data) % 2 == 0 and data[0::2].count(0) == len(data) // 2 and data[1::2].count(0) == 0:
        text = data.decode("utf-16-be")
        return (text, "utf-16") if _is_printable(text) else None
    if max(data) >= 0x81:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            return None
        cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
        other = sum(1 for c in text if not c.isascii() and not "\u4e00" <= c <= "\u9fff")
        # Random bytes decode as GB18030 too, into rare symbols and control bytes.
        if cjk >= 2 and cjk * 3 >= len(text.replace(" ", "")) and other == 0 \
                and text.isprintable():
            return text, "gb18030"
    return None


def printable_text(data: bytes, min_len: int = 4) -> str | None:
    """The UTF-8 text of `data` when it is printable, else None (no charset guessing)."""
    if len(data) < min_len:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if "\x00" not in text and _is_printable(text) else None

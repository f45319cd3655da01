"""Showing and joining values without storing them: `mask` and `value_sha256`.

Masking keeps the length of the value and a few characters at its ends:

- length 1-4: every character masked (`Li` -> `**`);
- length 5-8: first and last character kept (`R58M1ABC` -> `R******C`);
- length 9 and more: two first and two last kept
  (`490154203237518` -> `49***********18`);
- an email keeps the first character of the local part and the domain's last
  label only, with fixed-width masks: `jane.doe@example.org` -> `j***@***.org`.
"""

from __future__ import annotations

import hashlib

MASK_CHAR = "*"


def mask(value: str) -> str:
    """`value` with most characters masked (see the module docstring)."""
    local, at, domain = value.rpartition("@")
    if at and local and "." in domain.strip("."):
        tld = domain.rstrip(".").rsplit(".", 1)[1]
        return f"{local[0]}***@***.{tld}"
    n = len(value)
    keep = 0 if n <= 4 else 1 if n <= 8 else 2
    if keep == 0:
        return MASK_CHAR * n
    return value[:keep] + MASK_CHAR * (n - 2 * keep) + value[-keep:]


def value_sha256(value: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of the normalised value."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()

"""EMAIL: an address with a letters-only top-level domain.

The validator drops file names with a scale suffix or a version
(`image@2x.png`, `icon@3x.webp`), malformed local parts and domains; it
confirms addresses whose domain ends in a suffix of the Public Suffix List
(every delegated TLD: `.com`, `.cn`, `.ai`, `.shop`); a name for private use
(`PRIVATE_USE_TLDS`: `corp.internal`, `nas.local`) keeps the base score, and
any other TLD is no address (`j@vnu.watka` out of a binary cookie).
Names under `3gppnetwork.org` are no mail domains: 3GPP keeps that domain for
network identities (`<IMSI>@ims.mnc410.mcc310.3gppnetwork.org`), which the
IMSI detector reads.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Detector, Pattern

_LOCAL = r"[A-Za-z0-9._%+-]{1,64}"
_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"  # bounds: validate()

FILE_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "ico", "heic", "avif", "js", "css",
    "html", "htm", "json", "xml", "txt", "mp3", "mp4", "webm", "mov", "wav", "ogg", "zip",
    "gz", "pdf", "so", "dex", "apk", "jar", "ttf", "otf", "woff", "woff2", "plist", "nib",
    "lottie", "bin", "dat",
})
#: Top-level names reserved or used for private networks (ICANN's `.internal`,
#: mDNS's `.local`, home routers' `.lan`/`.home`): an address there may be real.
PRIVATE_USE_TLDS = frozenset({"internal", "local", "lan", "home", "corp", "intranet",
                              "localdomain", "private"})


class EmailDetector(Detector):
    ENTITY = "EMAIL"
    VALIDATOR = "tld"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("email", f"{_LOCAL}@{_DOMAIN}", 0.6,
                edge_before="A-Za-z0-9._%+-", edge_after="A-Za-z0-9_-",
                guard_after=r"(?!\.[A-Za-z0-9])", anchor="@", anchor_reach=64,
                # Hyperscan looks for the part from `@` on: a literal to start from is
                # what makes it fast, and windows start from the `@` anyway
                prefilter=f"@{_DOMAIN}(?:[^A-Za-z0-9_-]|$)"),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        local, _, domain = text.rpartition("@")
        labels = domain.lower().split(".")
        tld = labels[-1]
        if (tld in FILE_EXTENSIONS or len(tld) > 24 or len(domain) > 253
                or local.startswith(".") or local.endswith(".") or ".." in local
                or any(len(lb) > 63 or lb[0] == "-" or lb[-1] == "-" for lb in labels)):
            return False
        if labels[-2:] == ["3gppnetwork", "org"]:
            return False
        first = labels[0]
        if first.endswith("x") and first[:-1].isdigit() and len(labels) == 2:  # name@2x.foo
            # (digits alone are a real domain: 163.com, 126.com, 139.com)
            return False
        # (imported here: the suffix list is loaded on first use, and `analyze` has it)
        from ...attribution.domains import known_suffix

        if known_suffix(domain.lower()) is not None:
            return True
        return None if tld in PRIVATE_USE_TLDS else False

    @staticmethod
    def normalize(text: str) -> str:
        return text.lower()

"""Which app sent a flow, where the traffic says so.

Evidence, strongest first:

- `X-Requested-With`: Android's WebView puts the app's package id there;
- headers that name a package (`X-App-Package`, `X-Bundle-Id`, ...);
- the User-Agent's first product token when it is a package id
  (`com.example.shop/4.2 (Linux; Android 14)`), or an iOS app name before
  `CFNetwork` (`Shop/4.2 CFNetwork/1490 Darwin/23.2.0`);
- a package id under a key such as `package_name` or `bundle_id` in the first
  `BODY_PEEK` bytes of the body (analytics SDKs report the host app).

`--app` overrides all of this (the caller does not ask then).
"""

from __future__ import annotations

import re

from ..model import Flow

BODY_PEEK = 4096

#: A reverse-DNS package / bundle id: at least two dots, no scheme-like parts.
_PACKAGE = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+){2,}"
PACKAGE_RE = re.compile(rf"^{_PACKAGE}$")
_PACKAGE_HEADERS = ("x-app-package", "x-package-name", "x-app-id", "x-bundle-id",
                    "x-app-bundle-id", "x-client-package")
_BODY_KEY_RE = re.compile(
    rb"[\"']?(?:package_?name|pkg_?name|package|pkg|bundle_?id|app_?package)[\"']?"
    rb"\s*[:=]\s*[\"']?(" + _PACKAGE.encode() + rb")", re.IGNORECASE)
_UA_TOKEN_RE = re.compile(r"^([^/\s]+)/")
#: Hosts and SDK names that look like package ids but are not apps.
_NOT_APPS = ("okhttp", "dalvik", "mozilla", "cfnetwork", "darwin")


def is_package(text: str) -> bool:
    return bool(PACKAGE_RE.match(text)) and not text.lower().startswith(("www.", "http"))


def app_from_user_agent(ua: str) -> str | None:
    """Package id or iOS app name from a User-Agent, or None."""
    m = _UA_TOKEN_RE.match(ua.strip())
    if not m:
        return None
    token = m.group(1)
    if is_package(token):
        return token
    if "CFNetwork/" in ua and token.lower() not in _NOT_APPS:
        from urllib.parse import unquote

        return unquote(token)
    return None


def infer_app(flow: Flow) -> str | None:
    """The app a flow came from, where its headers or body show it; else None."""
    requested_with = flow.header("x-requested-with")
    if requested_with and is_package(requested_with.strip()):
        return requested_with.strip()
    for name in _PACKAGE_HEADERS:
        value = flow.header(name)
        if value and is_package(value.strip()):
            return value.strip()
    ua = flow.header("user-agent")
    if ua:
        app = app_from_user_agent(ua)
        if app:
            return app
    peek = flow.request_body[:BODY_PEEK]
    lowered = peek.lower()
    if b"pack" in lowered or b"pkg" in lowered or b"bundle" in lowered:  # cheap pre-check
        m = _BODY_KEY_RE.search(peek)
        if m:
            return m.group(1).decode("ascii")
    return None

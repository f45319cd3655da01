"""App attribution from what the traffic shows: (headers, body, expected app) rows."""

from __future__ import annotations

import pytest

from trafficscope.attribution.apps import infer_app
from trafficscope.model import Flow


@pytest.mark.parametrize(
    ("headers", "body", "app"),
    [
        # Android WebView names the app that embeds it
        ({"X-Requested-With": "com.example.shop"}, b"", "com.example.shop"),
        # XMLHttpRequest is not a package id
        ({"X-Requested-With": "XMLHttpRequest"}, b"", None),
        # an SDK header naming its host app
        ({"X-App-Package": "com.tencent.mm"}, b"", "com.tencent.mm"),
        # app's own User-Agent starts with its package id
        ({"User-Agent": "com.example.shop/4.2.1 (Linux; U; Android 14)"}, b"",
         "com.example.shop"),
        # iOS: app name before CFNetwork
        ({"User-Agent": "Shop%20App/4.2 CFNetwork/1490.0.4 Darwin/23.2.0"}, b"", "Shop App"),
        # generic HTTP stacks say nothing
        ({"User-Agent": "okhttp/4.12.0"}, b"", None),
        ({"User-Agent": "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8)"}, b"", None),
        # analytics SDKs report the host app in the body
        ({}, b'{"sdk":"x","package_name":"com.eg.android.AlipayGphone","v":1}',
         "com.eg.android.AlipayGphone"),
        ({}, b"appkey=1&pkg=com.example.game&os=android", "com.example.game"),
        # a domain name in a body is not a package
        ({}, b'{"url":"www.example.com"}', None),
    ],
)
def test_infer_app(headers: dict[str, str], body: bytes, app: str | None) -> None:
    flow = Flow(flow_id="1", ts=0.0, source="proxy", kind="http", host="h.example",
                request_headers=tuple(headers.items()), request_body=body)
    assert infer_app(flow) == app

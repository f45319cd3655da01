"""The page's safety parts: escaping JSON serializer, CSP, autoescaping."""

from __future__ import annotations

import json
import re
from html import unescape

from hypothesis import given
from hypothesis import strategies as st

from trafficscope.report import html


def test_safe_json_cannot_close_a_script() -> None:
    data = {"k</script><!--": "</script><script>x()</script>&amp;\u2028\u2029'"}
    out = str(html.safe_json(data))
    assert not set(out) & {"<", ">", "&", "\u2028", "\u2029", "'"}
    assert json.loads(out) == data


@given(st.recursive(st.text() | st.integers() | st.none(),
                    lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=20))
def test_safe_json_round_trips(data: object) -> None:
    out = str(html.safe_json(data))
    assert "<" not in out and ">" not in out and "&" not in out
    assert json.loads(out) == data


def test_csp_allows_only_the_pages_own_code() -> None:
    page = html.render_page(
        {"version": "0", "session_id": "s", "app": "<x-pwn>", "reveal": False,
         "headline": "<b>h</b>", "sentences": [], "consent": None, "charts": [],
         "findings": [], "has_country": False, "quiet": [], "meta": [("k", "<i>v</i>")],
         "marks": []},
        {"app": "</script><x-pwn>"})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp
    policy = unescape(csp.group(1))
    assert "default-src 'none'" in policy and "img-src data:" in policy
    assert "unsafe" not in policy
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert style and script
    assert html.csp_hash(style.group(1)) in policy
    assert html.csp_hash(script.group(1)) in policy
    assert "<x-pwn>" not in page and "<b>h</b>" not in page and "<i>v</i>" not in page
    assert "&lt;x-pwn&gt;" in page and "&lt;b&gt;h&lt;/b&gt;" in page

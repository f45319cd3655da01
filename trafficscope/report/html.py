"""The report page: Jinja2 with autoescaping, JSON through an escaping serializer,
and a Content-Security-Policy that allows only the page's own style and script
(by hash) and images from data: URIs. Nothing is loaded from the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from .palette import ENTITY_STYLE, UNKNOWN_COLOUR

_TEMPLATES = resources.files("trafficscope.report") / "templates"

#: JSON characters that could end a <script> element or an HTML comment, or
#: break a JavaScript string: escaped as \uXXXX (still valid JSON).
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def safe_json(data: Any) -> Markup:
    """`data` as JSON that is safe inside <script type="application/json">."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return Markup("".join(_JSON_ESCAPES.get(ch, ch) for ch in text))


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(css: str, js: str) -> str:
    return "; ".join((
        "default-src 'none'", "img-src data:", f"style-src {csp_hash(css)}",
        f"script-src {csp_hash(js)}", "base-uri 'none'", "form-action 'none'",
    ))


def stylesheet() -> str:
    """The page's CSS plus one class per entity colour (`.e-IMEI`), from the palette."""
    base = (_TEMPLATES / "report.css").read_text(encoding="utf-8")
    swatches = "".join(f".e-{name} {{ background: {colour}; }}\n"
                       for name, (colour, _, _) in ENTITY_STYLE.items())
    return base + swatches + f".swatch.e-unknown {{ background: {UNKNOWN_COLOUR}; }}\n"


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (_TEMPLATES / name).read_text(encoding="utf-8")),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)


def render_page(context: dict[str, Any], data: dict[str, Any]) -> str:
    """index.html: `context` goes through autoescaping, `data` into a JSON block."""
    css = stylesheet()
    js = (_TEMPLATES / "report.js").read_text(encoding="utf-8")
    template = environment().get_template("report.html.j2")
    return template.render(**context, css=Markup(css), js=Markup(js),
                           csp=content_security_policy(css, js), data_json=safe_json(data))

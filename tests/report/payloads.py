"""HTML/JS injection payloads for the report's XSS test.

Each one, if it ran or were parsed as markup, would set `window.__xss` to its
number or create an `<x-pwn>` element (or an element/attribute the report
never uses). `{a}` is the action, `{i}` the payload's number.
"""

from __future__ import annotations

_VECTORS = (
    "<script>{a}</script>",
    '<img src=x onerror="{a}">',
    "<svg onload={a}>",
    '"><script>{a}</script>',
    "'><img src=x onerror={a}>",
    "</script><script>{a}</script>",
    "</style><script>{a}</script>",
    "</title><script>{a}</script>",
    "</textarea><script>{a}</script>",
    "<x-pwn data-i={i}></x-pwn>",
    '"><x-pwn>',
    '<iframe srcdoc="<script>parent.{a}</script>">',
    '<details open ontoggle="{a}">',
    '<body onload="{a}">',
    '<input autofocus onfocus="{a}">',
    '<a href="javascript:{a}">x</a>',
    "javascript:{a}",
    "<math><mtext><x-pwn></mtext></math>",
    "<!--<x-pwn>-->",
    "--><x-pwn>",
    "]]><x-pwn>",
    "<![CDATA[<x-pwn>]]>",
    "{{{{7*7}}}}{{% raw %}}<x-pwn>",
    "${{{a}}}",
    "'-{a}-'",
    '";{a};//',
    "\u2028{a}\u2029<x-pwn>",
    '<object data="javascript:{a}">',
    '<embed src="javascript:{a}">',
    '<video><source onerror="{a}">',
    "<audio src=x onerror={a}>",
    "<marquee onstart={a}>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:{a}">',
    "<link rel=stylesheet href=x onload={a}>",
    "<style>@import 'x';</style><x-pwn>",
    '<table><td background="javascript:{a}">',
    '<form action="javascript:{a}"><button>x</button></form>',
    "<isindex type=image src=1 onerror={a}>",
    "<img src=`x` onerror={a}>",
    "<svg><script>{a}</script></svg>",
    "<svg><animate onbegin={a} attributeName=x dur=1s>",
    '<noscript><p title="</noscript><img src=x onerror={a}>">',
    "<template><x-pwn></template>",
    "<scr<script>ipt>{a}</scr</script>ipt>",
    "%3Cscript%3E{a}%3C/script%3E",
    "&lt;script&gt;{a}&lt;/script&gt;",
    "<ScRiPt>{a}</sCrIpT>",
    "<img src=x onerror=eval(atob('d2luZG93Ll9feHNzPTE='))>",
    '<div style="background:url(javascript:{a})">',
    '"onmouseover="{a}"',
    "' autofocus onfocus='{a}",
    '\\"><x-pwn>',
    "<x-pwn is=x-pwn>",
    "<select onfocus={a} autofocus>",
    "<keygen autofocus onfocus={a}>",
    "\\u003cx-pwn\\u003e<x-pwn>",
    "<svg><foreignObject><x-pwn></foreignObject></svg>",
    '<img srcset="x" onerror="{a}">',
    "$\\alpha$<x-pwn>$",
)


def payloads() -> list[str]:
    out = [v.format(a=f"window.__xss={i}", i=i) for i, v in enumerate(_VECTORS, 1)]
    assert len(set(out)) == len(out)
    return out

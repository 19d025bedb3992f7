"""The stylesheet's fonts draw Welsh, Vietnamese and Japanese whole, on pages in each of those languages.

No server: the page is app.css and a heading, and Chromium says which installed font drew each part."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

APP_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"
PAGE = """<!doctype html><html lang="{lang}"><meta charset="utf-8"><body><h1>
<span id="welsh">Dŵr a tŷ</span> <span id="vietnamese">Hội thảo Việt</span>
<span id="japanese">北ヴェール地域</span>
</h1></body></html>"""


def _fonts(cdp: Any, selector: str) -> set[str]:
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return {f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}


@pytest.mark.parametrize("lang", ["ja", "cy", "vi", "en"])
def test_each_script_is_drawn_by_a_font_that_has_it(browser, lang):
    context = browser.new_context()
    page = context.new_page()
    page.set_content(PAGE.format(lang=lang))
    page.add_style_tag(path=str(APP_CSS))
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    # ŵ ŷ and Vietnamese letters come from a face that has them as letters: a Japanese face lacks them
    # but has their parts, and Chromium would draw "w" and a loose "^" side by side.
    for part in ("#welsh", "#vietnamese"):
        fonts = _fonts(cdp, part)
        assert fonts and not fonts & {"IPAexGothic", "Noto Sans CJK JP"}, (lang, part, fonts)
    assert _fonts(cdp, "#japanese") & {"IPAexGothic", "Noto Sans CJK JP"}, lang
    context.close()

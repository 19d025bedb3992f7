"""The PDF leaves out what paper cannot show (hover tooltips inside pictures), keeping each picture's
own title, and nothing else of the page."""

from __future__ import annotations

from facilitator.review.pdf import _without_tooltips


def test_tooltips_dropped_but_picture_title_and_text_kept() -> None:
    html = (
        "<p>Before <title>not in a picture</title></p>"
        '<svg xmlns="http://www.w3.org/2000/svg"><title>Stakeholder map</title><desc>12 ties</desc>'
        '<circle r="3"><title>Alice: 4 ties</title></circle><text>Alice</text>'
        '<g><title>Bob &amp; co</title><path d="M0 0"/></g></svg>'
        '<svg><rect/></svg>'
    )
    out = _without_tooltips(html)
    assert "<title>Stakeholder map</title>" in out and "<desc>12 ties</desc>" in out
    assert "Alice: 4 ties" not in out and "Bob &amp; co" not in out
    assert "<text>Alice</text>" in out and '<path d="M0 0"/>' in out and "<svg><rect/></svg>" in out
    assert "<title>not in a picture</title>" in out

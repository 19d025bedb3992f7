"""Small SVG charts for the review (drawn on the server, so the same picture is on screen and in the PDF)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
BAR_COLOUR = "#124e96"


def _text(value: object) -> str:
    return escape(_INVALID_XML.sub("", str(value)))


def _short(value: str, limit: int = 38) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def bars(rows: Sequence[tuple[str, int]], *, title: str, width: int = 640) -> Markup:
    """One horizontal bar per (label, count), longest first as given; counts written at the bar's end."""
    row_h, gap, pad = 22, 8, 8
    label_w = 250
    bar_x = pad + label_w + 8
    bar_w = width - bar_x - 56
    top = max((n for _label, n in rows), default=0) or 1
    height = pad * 2 + len(rows) * (row_h + gap) - (gap if rows else 0)
    from flask_babel import format_number

    summary = "; ".join(f"{label}: {format_number(n)}" for label, n in rows)
    aria = quoteattr(_INVALID_XML.sub("", title))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-bars" viewBox="0 0 {width} {max(height, 1)}" '
        f'width="{width}" height="{max(height, 1)}" role="img" aria-label={aria} '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif" font-size="13">',
        f"<title>{_text(title)}</title><desc>{_text(summary)}</desc>",
    ]
    for i, (label, n) in enumerate(rows):
        y = pad + i * (row_h + gap)
        w = max(2.0, bar_w * n / top)
        out.append(
            f'<text x="{pad + label_w}" y="{y + 15}" text-anchor="end" fill="#1b1f24">'
            f"{_text(_short(label))}</text>"
        )
        out.append(f'<rect x="{bar_x}" y="{y}" width="{w:.1f}" height="{row_h}" rx="3" fill="{BAR_COLOUR}"/>')
        count = _text(format_number(n))
        out.append(f'<text x="{bar_x + w + 6:.1f}" y="{y + 15}" fill="#1b1f24">{count}</text>')
    out.append("</svg>")
    return Markup("".join(out))

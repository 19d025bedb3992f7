"""The report as PDF, made on the server with WeasyPrint. It may read the app's own static files and
nothing else: no network, no file outside ``static/``, whatever the page contains."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flask import current_app

BASE_URL = "http://report.invalid/"

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_TITLE = re.compile(r"<title\b[^>]*>[^<]*</title>")


def _without_tooltips(html: str) -> str:
    """Drop the hover tooltips (``<title>`` of shapes inside a picture) that paper cannot show: one
    per stakeholder and per commitment leaf, hundreds in a large workshop, each a node WeasyPrint
    walks. The picture's own title (its first ``<title>``) stays."""

    def thin(match: re.Match[str]) -> str:
        svg = match.group(0)
        first = _TITLE.search(svg)
        if first is None:
            return svg
        return svg[: first.end()] + _TITLE.sub("", svg[first.end() :])

    return _SVG.sub(thin, html)


def _local_file(url: str, root: Path, static_url: str) -> Path:
    """The static file a URL names, or ValueError for anything else (other hosts, other paths)."""
    parsed = urlparse(url)
    path = unquote(parsed.path)
    if parsed.scheme != "http" or parsed.netloc != "report.invalid" or not path.startswith(static_url + "/"):
        raise ValueError(f"refused: {url}")
    target = (root / path[len(static_url) + 1 :]).resolve()
    if root not in target.parents or not target.is_file():
        raise ValueError(f"refused: {url}")
    return target


def _fetcher(root: Path, static_url: str) -> Any:
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint 66 and later
    except ImportError:  # pragma: no cover - older WeasyPrint takes a plain function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if url.startswith("data:"):
                return default_url_fetcher(url, *args, **kwargs)
            return default_url_fetcher(_local_file(url, root, static_url).as_uri(), *args, **kwargs)

        return fetch

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            return super().fetch(_local_file(url, root, static_url).as_uri(), headers)

    return StaticOnly()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # refused URLs and CSS it skips are not news
    app = current_app
    static_url = (app.static_url_path or "/static").rstrip("/")
    root = Path(app.static_folder or "static").resolve()
    document = HTML(string=_without_tooltips(html), base_url=BASE_URL, url_fetcher=_fetcher(root, static_url))
    return document.write_pdf()  # type: ignore[no-any-return]

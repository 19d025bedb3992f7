"""The report as PDF, made on the server with WeasyPrint. It may read the app's own static files and
nothing else: no network, no file outside ``static/``, whatever the page contains.

Typesetting a large report takes seconds of CPU. Under gevent it runs in a child process, one at a
time per worker, so the worker's sockets keep being served meanwhile. From the console it runs in the
background (:func:`start`): the finished PDF is kept for a while where every worker can find it (Redis
when there is a message queue, else this process) and the facilitator who asked is told through the
message queue, with a link that any worker can answer.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flask import Flask, current_app

log = logging.getLogger(__name__)

BASE_URL = "http://report.invalid/"
KEEP_SECONDS = 15 * 60  # how long a PDF made in the background can be downloaded from its link
AT_ONCE = 1  # PDFs typeset at the same time by one worker: more would only share the same core

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


def _typeset(html: str, root: Path, static_url: str) -> bytes:
    """The pure, CPU-heavy part: no Flask, no database (under gevent it runs in a child process)."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # refused URLs and CSS it skips are not news
    document = HTML(string=_without_tooltips(html), base_url=BASE_URL, url_fetcher=_fetcher(root, static_url))
    return document.write_pdf()  # type: ignore[no-any-return]


_turns = threading.BoundedSemaphore(AT_ONCE)  # cooperative once gevent has patched threading
TYPESET_TIMEOUT = 300  # seconds; a report that takes longer is refused rather than left running


def html_to_pdf(html: str, app: Flask | None = None) -> bytes:
    """Typeset the report page. Under gevent (``facilitator serve``) in a child process: only the calling
    greenlet waits, and the worker's sockets keep being served, on the other core if there is one.
    Elsewhere (tests, the command line) in this process."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    static_url = (app.static_url_path or "/static").rstrip("/")
    root = Path(app.static_folder or "static").resolve()
    with _turns:
        if _gevent_patched():
            return _typeset_in_child(html, root, static_url)
        return _typeset(html, root, static_url)


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return bool(monkey.is_module_patched("subprocess"))


def _typeset_in_child(html: str, root: Path, static_url: str) -> bytes:
    """A thread is not enough here: WeasyPrint makes objects by the million, and each of the interpreter's
    full garbage collections holds the GIL for a few hundred milliseconds (measured: 0.5-1 s pauses of a
    10 ms heartbeat during one report), stopping every socket of the worker. A child process costs about
    a second of start-up (on another core) and stops nothing."""
    import subprocess  # gevent's, cooperative: this greenlet waits, the hub runs
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "facilitator.review.pdf", str(root), static_url],
        input=html.encode("utf-8"), capture_output=True, timeout=TYPESET_TIMEOUT, check=False,
    )
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"typesetting the PDF failed (exit {done.returncode}): {tail}")
    return done.stdout


def _child_main(argv: list[str]) -> int:
    """``python -m facilitator.review.pdf STATIC_ROOT STATIC_URL`` < page.html > page.pdf"""
    import sys

    root, static_url = Path(argv[1]).resolve(), argv[2]
    html = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(_typeset(html, root, static_url))
    sys.stdout.buffer.flush()
    return 0


# PDFs made in the background from the console ----------------------------------------------------


def _redis(app: Flask) -> Any:
    url = str(app.config.get("MESSAGE_QUEUE") or "")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = app.extensions.get("facilitator_pdf_redis")
    if client is None:
        import redis

        client = app.extensions["facilitator_pdf_redis"] = redis.Redis.from_url(url, socket_timeout=10)
    return client


_kept: OrderedDict[str, tuple[float, bytes]] = OrderedDict()  # one process, no Redis: key -> (until, pdf)
_kept_lock = threading.Lock()
KEPT_IN_MEMORY = 8


def _key(workshop_id: int, job: str) -> str:
    return f"facilitator:report-pdf:{workshop_id}:{job}"


def keep(app: Flask, workshop_id: int, job: str, pdf: bytes) -> None:
    client = _redis(app)
    if client is not None:
        client.set(_key(workshop_id, job), pdf, ex=KEEP_SECONDS)
        return
    with _kept_lock:
        _kept[_key(workshop_id, job)] = (time.monotonic() + KEEP_SECONDS, pdf)
        while len(_kept) > KEPT_IN_MEMORY:
            _kept.popitem(last=False)


def kept(workshop_id: int, job: str) -> bytes | None:
    """The PDF a background job made for this workshop, while it is kept; None otherwise."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", job or ""):
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = _redis(app)
    if client is not None:
        try:
            return client.get(_key(workshop_id, job))  # type: ignore[no-any-return]
        except Exception:  # Redis unreachable: the link still works, the PDF is made again
            log.exception("reading a kept report PDF failed")
            return None
    with _kept_lock:
        found = _kept.get(_key(workshop_id, job))
    return found[1] if found and found[0] > time.monotonic() else None


_running: dict[tuple[int, int], str] = {}  # (workshop, facilitator) -> job, while it runs in this worker
_running_lock = threading.Lock()


def start(workshop_id: int, facilitator_id: int, html: str, download_url: str) -> dict[str, Any]:
    """Typeset ``html`` in the background and tell the facilitator's consoles when it is ready.

    ``download_url`` gets ``job=<id>`` added. A second request from the same facilitator while the first
    is still being typeset gets the same job. The HTML is made by the caller, in its request, so it is in
    the facilitator's language and shows what they may see.
    """
    with _running_lock:
        job = _running.get((workshop_id, facilitator_id))
        if job is not None:
            return {"job": job, "started": False}
        job = secrets.token_urlsafe(18)
        _running[(workshop_id, facilitator_id)] = job
    from facilitator.extensions import socketio

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = f"{download_url}{'&' if '?' in download_url else '?'}job={job}"
    socketio.start_background_task(_run, app, workshop_id, facilitator_id, job, html, url)
    return {"job": job, "started": True}


def _run(app: Flask, workshop_id: int, facilitator_id: int, job: str, html: str, url: str) -> None:
    from facilitator.extensions import socketio
    from facilitator.realtime.publish import facilitator_room

    room = facilitator_room(facilitator_id)
    try:
        with app.app_context():
            try:
                pdf = html_to_pdf(html, app)
                keep(app, workshop_id, job, pdf)
            except Exception:
                log.exception("the report PDF of workshop %s could not be made", workshop_id)
                socketio.emit("report:pdf_failed", {"workshop_id": workshop_id, "job": job}, to=room)
                return
            socketio.emit("report:pdf_ready", {"workshop_id": workshop_id, "job": job, "url": url,
                                               "bytes": len(pdf)}, to=room)
    except Exception:  # the message queue itself failed: nothing more to tell anyone
        log.exception("telling facilitator %s about the report PDF failed", facilitator_id)
    finally:
        with _running_lock:
            _running.pop((workshop_id, facilitator_id), None)


if __name__ == "__main__":
    import sys

    raise SystemExit(_child_main(sys.argv))

"""The report PDF never freezes a worker: under gevent it is typeset in a child process while the
worker keeps serving, and from the console it is made in the background and the facilitator who asked
is told over the socket, with a link that serves it."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from typing import Any

from pypdf import PdfReader

from facilitator.review import pdf as pdf_jobs

PROBE = r"""
from gevent import monkey; monkey.patch_all()
import sys, tempfile, time
import gevent
from facilitator import create_app
from facilitator.review.pdf import html_to_pdf

app = create_app({"ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "probe",
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tempfile.mkdtemp()}/probe.db"})
rows = "".join(f"<tr><td>Stakeholder {i}</td><td>North Vale partner number {i}</td><td>{i}</td></tr>"
               for i in range(120))
html = f"<html><head><title>Probe</title></head><body><h1>Report</h1><table>{rows}</table></body></html>"
ticks, done = [], False

def heartbeat():
    while not done:
        ticks.append(time.perf_counter()); gevent.sleep(0.01)

beat = gevent.spawn(heartbeat)
gevent.sleep(0.05)
started = time.perf_counter()
job = gevent.spawn(html_to_pdf, html, app)
job.join()
took = time.perf_counter() - started
done = True
beat.join()
gaps = [b - a for a, b in zip(ticks, ticks[1:])]
print("pdf", job.value[:5] == b"%PDF-", "took", round(took, 3), "max_gap", round(max(gaps), 3))
"""


def test_typesetting_a_pdf_does_not_freeze_the_worker():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert "pdf True" in out.stdout, out.stderr[-3000:]
    took = float(out.stdout.split("took")[1].split()[0])
    max_gap = float(out.stdout.split("max_gap")[1])
    # Typeset in the worker itself (or in one of its threads: the garbage collector holds every thread
    # for the better part of a second), a 10 ms heartbeat would stop for most of that time.
    assert max_gap < max(0.25, took / 4), out.stdout


def wait_for(sio: Any, name: str, timeout: float = 120) -> list[Any]:
    deadline = time.monotonic() + timeout
    seen: list[Any] = []
    while time.monotonic() < deadline:
        seen += [m for m in sio.get_received() if m["name"] == name]
        if seen:
            return [m["args"][0] for m in seen]
        time.sleep(0.05)
    return []


def test_from_the_console_the_pdf_is_made_in_the_background_and_the_facilitator_told(
    app, facilitator, make_workshop, phone, sockets
):
    ws = make_workshop(title="North Vale summit")
    console = sockets(facilitator, ws["id"], role="facilitator")
    screen = sockets(facilitator, ws["id"], role="screen")
    participant = sockets(phone(ws["code"], "Alice"), ws["id"])
    for sio in (console, screen, participant):
        sio.get_received()

    response = facilitator.post(f"/workshops/{ws['id']}/report.pdf/prepare")
    assert response.status_code == 202
    job = response.get_json()["job"]

    ready = wait_for(console, "report:pdf_ready")
    assert ready and ready[0]["job"] == job and ready[0]["workshop_id"] == ws["id"]
    url = ready[0]["url"]
    assert url.startswith(f"/workshops/{ws['id']}/report.pdf?") and f"job={job}" in url
    # Only the facilitator's consoles hear of it: not the big screen, not the phones.
    others = screen.get_received() + participant.get_received()
    assert [m for m in others if m["name"].startswith("report:")] == []

    got = facilitator.get(url)
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(got.data)).pages)
    assert "North Vale summit" in text
    with app.app_context():
        assert pdf_jobs.kept(ws["id"], job) == got.data  # served as made, not typeset again


def test_the_pdf_link_still_works_when_its_job_is_unknown_and_only_for_the_facilitators(
    app, facilitator, make_workshop, phone
):
    ws = make_workshop(title="North Vale summit")
    got = facilitator.get(f"/workshops/{ws['id']}/report.pdf?job={'x' * 24}&download=1")
    assert got.status_code == 200 and got.data.startswith(b"%PDF-")  # made again
    # A participant (or anyone else) cannot start one or fetch one.
    alice = phone(ws["code"], "Alice")
    assert alice.post(f"/workshops/{ws['id']}/report.pdf/prepare").status_code in (302, 401, 403, 404)
    assert app.test_client().post(f"/workshops/{ws['id']}/report.pdf/prepare").status_code in (302, 401)

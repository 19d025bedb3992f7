"""Hostile text: a corpus of XSS and injection payloads entered in every text field of every activity
kind, then every view opened in real Chromium (no script may run, the text must show as text), the
exports checked (CSV formulas defused, GraphML/GEXF well-formed XML, no live PDF actions) and every HTML
page served with a Content-Security-Policy that forbids inline script.

Browser contexts bypass the CSP on purpose: the policy is checked separately, and with it out of the way
a payload that escaped its escaping would really run and be caught here, not hidden by the policy."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
import socketio
from playwright.sync_api import expect

from tests.e2e.test_workshop_live import PHONE, sign_in
from tests.live import LiveServer, cookie_header, create_workshop, facilitator_session, join
from tests.security.hostile import PAYLOADS, fits

KINDS = ("check_in", "commitment_tree", "open_space", "stakeholder_map", "work_avoidance")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EVIDENCE = """() => ({
  pwned: window.__pwned === 1 || document.title === 'PWNED',
  handlers: document.querySelectorAll('[onerror],[onload],[onfocus],[ontoggle],[onbegin],[onstart]').length,
  jsLinks: [...document.querySelectorAll('[href],[src],[action],[data]')].filter(e =>
     /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action')
                               || e.getAttribute('data') || '')).length,
  iframes: document.querySelectorAll('iframe,object,embed').length,
  text: document.body.innerText + ' ' + [...document.querySelectorAll('svg text, svg title')]
     .map(e => e.textContent).join(' '),
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server whose database is made from the models (every kind's tables) and stamped as migrated."""
    from flask_migrate import stamp

    from facilitator import create_app
    from facilitator.extensions import db

    live = LiveServer(tmp_path_factory.mktemp("hostile"))
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "schema-only",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live.instance / 'facilitator.db'}"})
    with app.app_context():
        db.create_all()
        stamp()
        db.engine.dispose()
    live.start()
    yield live
    live.stop()


class Sock:
    def __init__(self, url: str, session: requests.Session, workshop_id: int, role: str = "participant"):
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(url, headers={"Cookie": cookie_header(session)},
                         auth={"workshop": workshop_id, "role": role}, transports=["websocket"],
                         wait_timeout=10)

    def call(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.sio.call(name, {"cid": uuid.uuid4().hex, **payload}, timeout=10)


def payloads(offset: int, n: int, limit: int) -> list[str]:
    return [fits(PAYLOADS[(offset + i) % len(PAYLOADS)], limit) for i in range(n)]


def seed(url: str, fac: requests.Session, ws: dict[str, Any]) -> dict[str, Any]:
    """Every text field of every kind filled with payloads through the kinds' own socket commands."""
    check_in, tree, space, smap, wa = ws["activities"]
    console = Sock(url, fac, ws["id"], role="facilitator")
    for aid in ws["activities"]:
        assert console.call("activity:set_phase", {"activity_id": aid, "phase": "open"})["ok"]
    # Twelve phones, each with a hostile display name, share the corpus between them.
    with ThreadPoolExecutor(12) as pool:
        phones = list(pool.map(lambda p: Sock(url, join(url, ws["code"], p), ws["id"]), payloads(0, 12, 60)))
    accepted: list[tuple[str, dict[str, Any]]] = []
    topics: list[int] = []
    follow_ups: list[str] = []
    people: list[int] = []

    def send(sock: Sock, name: str, data: dict[str, Any]) -> dict[str, Any]:
        ack = sock.call(name, data)
        accepted.append((name, ack))
        return ack

    def phone_work(i: int) -> None:
        phone, o = phones[i], i * 6
        for text in payloads(o, 3, 280):
            send(phone, "checkin:answer", {"activity_id": check_in, "text": text})
        for j, text in enumerate(payloads(o + 3, 2, 300)):
            ack = send(phone, "commitment:post", {"activity_id": tree, "text": text,
                                                  "with_whom": payloads(o + j, 2, 80)})
            if ack.get("ok"):
                follow_ups.append(ack["data"]["follow_up_url"])
        title, description = payloads(o + 1, 2, 500)
        ack = send(phone, "topic:propose", {"activity_id": space, "title": fits(title, 120),
                                            "description": description})
        if ack.get("ok"):
            topics.append(ack["data"]["id"])
        name, org, sector, at_stake, loyalties, losses = payloads(o + 2, 6, 500)
        ack = send(phone, "stakeholder:add", {
            "activity_id": smap, "name": fits(name, 110) + f" #{i}", "organisation": fits(org, 120),
            "sector": fits(sector, 80), "at_stake": at_stake, "loyalties": loyalties, "losses": losses,
            "confirm_new": True})
        if ack.get("ok") and ack["data"].get("added"):
            people.append(ack["data"]["id"])
        send(phone, "wa:rate", {"activity_id": wa, "form_key": "quick_fix", "rating": 3})
        send(phone, "wa:example", {"activity_id": wa, "form_key": "quick_fix",
                                   "text": payloads(o + 4, 1, 500)[0]})

    with ThreadPoolExecutor(len(phones)) as pool:
        list(pool.map(phone_work, range(len(phones))))
    for a, b in zip(people, people[1:], strict=False):
        send(console, "relationship:add", {"activity_id": smap, "source_id": a, "target_id": b,
                                           "note": payloads(b, 1, 280)[0]})
    for k, topic in enumerate(topics[:6]):
        send(console, "openspace:report", {
            "activity_id": space, "topic_id": topic, "notes": payloads(k, 1, 4000)[0],
            "key_points": payloads(k + 10, 3, 300), "proposed_actions": payloads(k + 20, 3, 300),
            "took_part": payloads(k + 30, 2, 80)})
    send(console, "wa:reveal", {"activity_id": wa, "revealed": True})
    with ThreadPoolExecutor(len(phones) + 1) as pool:  # each disconnect waits on its reader thread
        list(pool.map(lambda sock: sock.sio.disconnect(), (console, *phones)))
    return {"acks": accepted, "follow_ups": follow_ups, "topics": topics, "people": people}


def visible_marks(text: str) -> set[str]:
    """Which payloads show on a page as their own text (judged by a distinctive slice of each)."""
    return {p for p in PAYLOADS if len(p) > 12 and p[:40].strip() and p[:40] in text}


def check_csv(body: str, where: str) -> int:
    """Asserts no cell starts a formula; returns how many cells were defused with a leading apostrophe."""
    defused = 0
    for row in csv.reader(io.StringIO(body)):
        for cell in row:
            assert not cell.startswith(FORMULA_START), f"{where}: live formula {cell[:40]!r}"
            defused += cell.startswith("'") and cell[1:2] in FORMULA_START
    return defused


def test_hostile_text_stays_text_in_every_view_and_export(browser, server):
    url = server.url
    fac = facilitator_session(url)
    ws = create_workshop(fac, url, title="Hostile <script>window.__pwned=1</script> summit", kinds=KINDS)
    check_in, tree, space, smap, wa = ws["activities"]
    seeded = seed(url, fac, ws)
    failed = [(name, ack) for name, ack in seeded["acks"] if not ack.get("ok")]
    assert not failed, failed[:3]
    assert len(set(PAYLOADS)) >= 50

    ran: list[str] = []
    csp_problems: list[str] = []
    html_pages: list[str] = []

    def watch(page: Any, label: str) -> None:
        page.on("dialog", lambda d: (ran.append(f"{label}: dialog {d.message}"), d.dismiss()))
        page.on("console", lambda m: "PWNED" in m.text and ran.append(f"{label}: console {m.text}"))

        def on_response(response: Any) -> None:
            if "text/html" not in response.headers.get("content-type", ""):
                return
            html_pages.append(response.url)
            policy = response.headers.get("content-security-policy", "")
            script_src = re.search(r"(?:script-src|default-src)([^;]*)", policy)
            if not policy or (script_src and "unsafe-inline" in script_src.group(1)) or not script_src:
                csp_problems.append(f"{response.url}: {policy!r}")
        page.on("response", on_response)

    seen: set[str] = set()

    def inspect(page: Any, label: str) -> set[str]:
        page.wait_for_timeout(300)
        got = page.evaluate(EVIDENCE)
        assert not got["pwned"], f"{label}: a payload ran"
        assert got["handlers"] == 0, f"{label}: payload event handlers became markup"
        assert got["jsLinks"] == 0, f"{label}: a javascript: URL became a link"
        assert got["iframes"] == 0, f"{label}: a payload frame became markup"
        marks = visible_marks(got["text"])
        seen.update(marks)
        return marks

    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
    # The harness can see a payload that runs: one inserted as markup on purpose is caught.
    canary = ctx.new_page()
    canary.goto(f"{url}/login")
    canary.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", PAYLOADS[3])
    canary.wait_for_function("window.__pwned === 1")
    canary.close()
    console = ctx.new_page()
    watch(console, "console")
    sign_in(console, url)
    console.goto(f"{url}/workshops/{ws['id']}")
    expect(console.locator("#net")).to_have_text("Connected")

    screen = ctx.new_page()
    watch(screen, "screen")
    screen.goto(f"{url}/workshops/{ws['id']}/screen")
    expect(screen.locator("#net")).to_have_text("Connected")

    # One real phone joins with a hostile name and types payloads through the real check-in form.
    phone_ctx = browser.new_context(**PHONE)
    phone = phone_ctx.new_page()
    watch(phone, "phone")
    phone.goto(f"{url}/j/{ws['code']}")
    phone.get_by_label("Your name (optional)").fill(PAYLOADS[3][:60])
    phone.get_by_role("button", name="Join the workshop").click()
    expect(phone.locator("#net")).to_have_text("Connected")

    staff = Sock(url, fac, ws["id"], role="facilitator")
    try:
        for aid in ws["activities"]:
            assert staff.call("activity:stage", {"activity_id": aid})["ok"]
            label = dict(zip(ws["activities"], KINDS, strict=True))[aid]
            if aid == check_in:
                for typed in (PAYLOADS[0], PAYLOADS[9], PAYLOADS[43]):
                    phone.get_by_label("Your answer").fill(typed)
                    phone.get_by_role("button", name="Send").click()
                    expect(phone.locator("body")).to_contain_text(typed[:30])
            if aid == tree:
                phone.get_by_label("I will …").fill(PAYLOADS[5])
                phone.get_by_role("button", name="Commit").click()
                expect(phone.locator("body")).to_contain_text(PAYLOADS[5][:30])
            shown = set()
            for page, where in ((screen, "screen"), (phone, "phone"), (console, "console")):
                shown |= inspect(page, f"{where} ({label})")
            assert shown, f"{label}: no payload shows as text on the screen, phone or console"
    finally:
        staff.sio.disconnect()

    pages = {
        "review": f"/workshops/{ws['id']}/review",
        "report": f"/workshops/{ws['id']}/report",
        "proceedings": f"/workshops/{ws['id']}/open-space/{space}/proceedings",
        "follow-up overview": f"/workshops/{ws['id']}/activities/{tree}/follow-up",
        "moderation (lists only hidden items, so no text is expected)": f"/workshops/{ws['id']}/moderation",
        "follow-up page": seeded["follow_ups"][0],
    }
    viewer = ctx.new_page()
    watch(viewer, "viewer")
    for label, path in pages.items():
        viewer.goto(path if path.startswith("http") else url + path)
        assert inspect(viewer, label) or label.startswith("moderation"), f"{label}: no payload shows as text"
    assert not ran, ran
    assert not csp_problems, csp_problems
    assert len(html_pages) >= 9, html_pages
    assert len(seen) >= 20, f"only {len(seen)} payloads seen as text"
    phone_ctx.close()
    ctx.close()

    # Exports: CSV formulas defused, XML well-formed with the text escaped, no live PDF actions.
    base = f"{url}/workshops/{ws['id']}"
    csvs = [f"{base}/activities/{tree}/commitments.csv", f"{base}/open-space/{space}/proceedings.csv",
            f"{base}/open-space/{space}/actions.csv", f"{base}/activities/{smap}/stakeholders.csv",
            f"{base}/activities/{smap}/relationships.csv", f"{base}/activities/{wa}/work-avoidance.csv"]
    defused = {}
    for address in csvs:
        r = fac.get(address)
        assert r.status_code == 200, address
        defused[address.rsplit("/", 1)[-1]] = check_csv(r.text, address)
    print("defused formula cells", defused, "payloads seen as text", len(seen))
    assert sum(defused.values()) >= 10, defused
    names = set()
    for address in (f"{base}/activities/{smap}/map.graphml", f"{base}/activities/{smap}/map.gexf",
                    f"{base}/activities/{smap}/map.svg", f"{base}/activities/{tree}/tree.svg"):
        r = fac.get(address)
        assert r.status_code == 200, address
        root = ElementTree.fromstring(r.content)  # well-formed, no entity expansion
        tags = {e.tag.rsplit("}", 1)[-1] for e in root.iter()}
        assert not tags & {"script", "foreignObject"}, address
        assert not re.search(rb"<(script|img|iframe)\b", r.content, re.I), address
        names.update(t for e in root.iter() for t in ((e.text or ""), *e.attrib.values()))
    assert any("<script>" in n for n in names), "payload text missing from the graph exports"
    pdf = fac.get(f"{base}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf.content))
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root and "/AcroForm" not in root
    assert "/JavaScript" not in (root.get("/Names") or {})
    for number, page_ in enumerate(reader.pages):
        for annot in page_.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            target = str(action.get("/URI", ""))
            assert action.get("/S") != "/JavaScript", (number, action)
            assert not target.lower().startswith(("javascript:", "data:")), (number, action)
    assert b"/JavaScript" not in pdf.content and b"/Launch" not in pdf.content
    text = "".join(page_.extract_text() for page_ in reader.pages[:4])
    assert "<script>" in text or "onerror" in text, "payload text missing from the report PDF"

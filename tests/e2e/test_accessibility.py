"""WCAG 2.2 AA, shown by tests (issue 9): axe-core on every participant, big-screen, console and review
page in every phase of every activity kind; phone pages that reflow at 320 px and at 200% zoom with
targets big enough to tap; keyboard-only walk-throughs on a phone; text alternatives for every chart,
map and tree; announced status messages; no drag-only interaction; reduced motion respected.

One server, one browser and three long-lived pages (console, big screen, phone) walk a realistic
workshop (``facilitator demo`` plus a stakeholder map filled by simulated phones) through its phases
with the app's own socket commands, the way a facilitator would."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import socketio
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, AXE
from tests.e2e.test_workshop_live import PHONE, sign_in
from tests.live import FAC_EMAIL, LiveServer, cookie_header, csrf, facilitator_session, join

KINDS = ("check_in", "stakeholder_map", "open_space", "work_avoidance", "commitment_tree")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW = (320, 195)  # the narrowest phone WCAG asks for, and a 390 px phone zoomed to 200%
FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# ---------------------------------------------------------------------------------------------------
# What the browser measures


def axe_all(page: Any) -> list[dict[str, Any]]:
    """Every WCAG 2.x A/AA violation axe-core finds on the page as it is now, whatever its impact."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    # A card fading in is judged as it ends up, not half-way through its fade.
    page.evaluate("""() => Promise.race([Promise.all(document.getAnimations().map((a) => a.finished)),
                                         new Promise((done) => setTimeout(done, 2000))])""")
    result = page.evaluate(
        # axe's own target-size rule (WCAG 2.5.8) is off by default: on here, beside our stricter measure.
        """async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},
             rules: {'target-size': {enabled: true}}, resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(n["target"], n.get("failureSummary", "")[:200]) for n in v["nodes"]][:4],
        }
        for v in result["violations"]
    ]


# Interactive elements a finger or a pointer can hit, and how big they are on screen. Hidden ones and
# visually-hidden inputs whose visible label is the target are left out; links inside a sentence are
# exempt (WCAG 2.5.8 "inline"), and so is the skip link, which is off screen until focused.
TARGETS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], '
    + '[tabindex]:not([tabindex="-1"])';
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('[hidden], [inert]') || el.classList.contains('skip')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    // A visually hidden control (1px, clipped or transparent) whose <label> is the visible target.
    const label = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
      || el.closest('label');
    if ((r.width <= 2 || r.height <= 2 || cs.opacity === '0') && label) continue;
    if (el.tagName === 'A' && el.closest('p, li, td, dd, figcaption') && cs.display === 'inline') {
      const block = el.closest('p, li, td, dd, figcaption');
      if (block.textContent.trim().length > el.textContent.trim().length + 1) continue; // in a sentence
    }
    if (el.tagName === 'INPUT' && ['checkbox', 'radio'].includes(el.type) && label) {
      // The label enlarges the target: measure the pair.
      const l = label.getBoundingClientRect();
      const top = Math.min(r.top, l.top), bottom = Math.max(r.bottom, l.bottom);
      if (bottom - top >= 24 && l.width + r.width >= 24) continue;
    }
    const primary = (el.matches('button[type=submit], input[type=submit], .primary'));
    const text = el.getAttribute('aria-label') || el.textContent || el.name || el.id || '';
    out.push({tag: el.tagName.toLowerCase(), text: text.trim().slice(0, 40),
              cls: el.className && el.className.baseVal === undefined ? el.className : '',
              w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10, primary});
  }
  return out;
}"""


def small_targets(page: Any) -> list[dict[str, Any]]:
    """Targets under 24x24 CSS px, and primary buttons under 44x44."""
    bad = []
    for t in page.evaluate(TARGETS):
        need = 44 if t["primary"] else 24
        if t["w"] < need - 0.5 or t["h"] < need - 0.5:
            bad.append({**t, "need": need})
    return bad


OVERFLOW = """() => {
  const s = document.scrollingElement;
  const wide = [];
  if (s.scrollWidth > s.clientWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      // A table that scrolls on its own (WCAG 1.4.10 lets data tables scroll both ways) does not count.
      if (el.parentElement && el.parentElement.closest('.table-wrap, [tabindex="0"]')) continue;
      const r = el.getBoundingClientRect();
      if (r.right > s.clientWidth + 1 && r.width > 0 && getComputedStyle(el).position !== 'fixed') {
        const name = (e) => (e ? e.tagName.toLowerCase() + [...e.classList].map((c) => `.${c}`).join('')
          : '');
        wide.push(`${name(el.parentElement)} > ${name(el)} right=${Math.round(r.right)}`);
        if (wide.length > 5) break;
      }
    }
  }
  if (s.scrollWidth > s.clientWidth && !wide.length) {
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    while (walk.nextNode() && wide.length < 4) {
      if (walk.currentNode.parentElement.closest('.table-wrap, [tabindex="0"]')) continue;
      range.selectNodeContents(walk.currentNode);
      const r = range.getBoundingClientRect();
      const words = walk.currentNode.textContent.trim().slice(0, 40);
      if (r.right > s.clientWidth + 1) wide.push(`text "${words}" right=${Math.round(r.right)}`);
    }
  }
  return {scrollWidth: s.scrollWidth, clientWidth: s.clientWidth, wide};
}"""


def reflow_problems(page: Any, label: str, shots: dict[str, bytes] | None = None) -> list[str]:
    """Horizontal scrolling at 320 px and at 195 px (390 px at 200%); the viewport is restored after."""
    problems = []
    before = page.viewport_size
    try:
        for width in NARROW:
            page.set_viewport_size({"width": width, "height": 844})
            page.evaluate(FRAMES)
            got = page.evaluate(OVERFLOW)
            if got["scrollWidth"] > got["clientWidth"]:
                problems.append(
                    f"{label} @{width}px: scrollWidth {got['scrollWidth']} > {got['clientWidth']}: "
                    f"{got['wide']}"
                )
            if shots is not None and width == 320:
                shots[label] = page.screenshot(full_page=True)
    finally:
        page.set_viewport_size(before)
    return problems


# ---------------------------------------------------------------------------------------------------
# The workshop


class Sock:
    """A python-socketio client with an HTTP session's identity (the app's real socket commands)."""

    def __init__(self, url: str, session: requests.Session, workshop_id: int, role: str):
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(
            url,
            headers={"Cookie": cookie_header(session)},
            auth={"workshop": workshop_id, "role": role},
            transports=["websocket"],
            wait_timeout=10,
        )

    def __call__(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        ack = self.sio.call(name, {"cid": uuid.uuid4().hex, **payload}, timeout=15)
        assert ack.get("ok"), (name, payload, ack)
        return ack.get("data") or {}


@dataclass
class World:
    server: LiveServer
    fac: requests.Session
    staff: Sock
    workshop: int
    code: str
    rich: dict[str, int]  # kind -> the demo's activity with content
    fresh: dict[str, int]  # kind -> an activity of that kind that was never opened
    console: Any = None
    screen: Any = None
    phone: Any = None
    contexts: list[Any] = field(default_factory=list)
    sims: list[Sock] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # uncaught script errors in any page

    @property
    def url(self) -> str:
        return self.server.url

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.server.instance / "facilitator.db") as con:
            return con.execute(sql, params).fetchall()

    def stage(self, activity_id: int | None) -> None:
        self.staff("activity:stage", {"activity_id": activity_id})

    def phase(self, activity_id: int, phase: str) -> None:
        self.staff("activity:set_phase", {"activity_id": activity_id, "phase": phase})


def _activity_ids(fac: requests.Session, url: str, workshop_id: int) -> dict[int, str]:
    html = fac.get(f"{url}/workshops/{workshop_id}").text
    out = {}
    for item in re.findall(r'<li class="agenda-item[^"]*" data-activity-id="(\d+)">(.*?)</li>', html, re.S):
        aid, body = item
        label = re.search(r'<span class="muted">([^<]+)</span>', body).group(1)  # type: ignore[union-attr]
        out[int(aid)] = label
    return out


def _add_activity(fac: requests.Session, url: str, workshop_id: int, kind: str, prompt: str) -> None:
    html = fac.get(f"{url}/workshops/{workshop_id}").text
    r = fac.post(
        f"{url}/workshops/{workshop_id}/activities",
        data={"csrf_token": csrf(html), "kind": kind, "title": "", "prompt": prompt},
    )
    assert r.status_code == 200, r.status_code


def _demo(server: LiveServer) -> None:
    """`facilitator demo` for the live facilitator, run in this process (a second CLI process is slower)."""
    from facilitator import create_app
    from facilitator.demo import create_demo
    from facilitator.extensions import db

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "demo-seed-only",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{server.instance / 'facilitator.db'}",
        }
    )
    with app.app_context():
        create_demo(FAC_EMAIL)
        db.session.remove()
        db.engine.dispose()


MAP_PEOPLE = [
    ("Priya Shah", "North Vale CCG", "NHS and health care", 4, 5, "Control of the crisis budget"),
    ("Janet Reilly", "North Vale Council", "Local government", 5, 3, ""),
    ("Marcus Bell", "Hearthstone Housing", "Housing", 2, 4, "First call on the housing list"),
    ("Insp. Karen Doyle", "Vale Constabulary", "Police and justice", 3, 2, ""),
    ("Ruth Adeyemi", "Peer Support Network", "Voluntary and community sector", 1, 5, ""),
]


@pytest.fixture(scope="module")
def world(browser: Any, live_server: LiveServer) -> Iterator[World]:
    url = live_server.url
    _demo(live_server)
    fac = facilitator_session(url)
    workshop_id = int(re.search(r'href="/workshops/(\d+)"', fac.get(f"{url}/workshops").text).group(1))  # type: ignore
    # The demo has no stakeholder map: this one is filled by simulated phones below.
    _add_activity(
        fac, url, workshop_id, "stakeholder_map", "Who shapes mental-health outcomes in North Vale?"
    )
    for kind in KINDS:  # one never-opened activity of each kind, for the draft phase
        _add_activity(fac, url, workshop_id, kind, f"Not open yet: {kind.replace('_', ' ')}")
    html = fac.get(f"{url}/workshops/{workshop_id}").text
    code = "".join(re.search(r'class="code">(\d{3}) (\d{3})<', html).groups())  # type: ignore[union-attr]
    labels = {
        "Check-in": "check_in",
        "Stakeholder map": "stakeholder_map",
        "Open Space": "open_space",
        "Work-avoidance checklist": "work_avoidance",
        "Commitment tree": "commitment_tree",
    }
    rich: dict[str, int] = {}
    fresh: dict[str, int] = {}
    ids = _activity_ids(fac, url, workshop_id)
    by_kind: dict[str, list[int]] = {}
    for aid, label in ids.items():
        kind = next((k for name, k in labels.items() if label.startswith(name)), None)
        assert kind, f"unknown kind label {label!r}"
        by_kind.setdefault(kind, []).append(aid)
    for kind, found in by_kind.items():
        found.sort()
        rich[kind], fresh[kind] = found[0], found[-1]
        assert len(found) == 2, (kind, found)

    staff = Sock(url, fac, workshop_id, "facilitator")
    w = World(live_server, fac, staff, workshop_id, code, rich, fresh)
    # Simulated phones fill the stakeholder map through the kind's own commands.
    smap = rich["stakeholder_map"]
    w.phase(smap, "open")
    people = []
    for name, org, sector, influence, interest, losses in MAP_PEOPLE:
        sim = Sock(url, join(url, code, name), workshop_id, "participant")
        w.sims.append(sim)
        data = sim(
            "stakeholder:add",
            {
                "activity_id": smap,
                "name": name,
                "kind": "person",
                "organisation": org,
                "sector": sector,
                "influence": influence,
                "interest": interest,
                "losses": losses,
                "confirm_new": True,
            },
        )
        people.append(data["id"])
    for a, b, needed in [(0, 1, False), (0, 2, False), (1, 3, False), (2, 4, False), (3, 4, True)]:
        w.sims[a](
            "relationship:add",
            {
                "activity_id": smap,
                "source_id": people[a],
                "target_id": people[b],
                "kind": "collaborates",
                "is_needed": needed,
            },
        )
    w.staff("map:analyse", {"activity_id": smap})

    fac_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
    w.contexts.append(fac_ctx)
    fac_ctx.on("weberror", lambda e: w.errors.append(f"console/screen: {e.error}"))
    w.console = fac_ctx.new_page()
    sign_in(w.console, url)
    w.console.goto(f"{url}/workshops/{workshop_id}")
    expect(w.console.locator("#net")).to_have_text("Connected")
    w.screen = fac_ctx.new_page()
    w.screen.set_viewport_size({"width": 1920, "height": 1080})
    w.screen.goto(f"{url}/workshops/{workshop_id}/screen")
    expect(w.screen.locator("#net")).to_have_text("Connected")
    phone_ctx = browser.new_context(**PHONE)
    w.contexts.append(phone_ctx)
    phone_ctx.on("weberror", lambda e: w.errors.append(f"phone: {e.error}"))
    w.phone = phone_ctx.new_page()
    w.phone.goto(f"{url}/j/{code}")
    w.phone.get_by_label("Your name (optional)").fill("Aisha Rahman")
    w.phone.get_by_label("Your organisation (optional)").fill("Mind in North Vale")
    w.phone.get_by_role("button", name="Join the workshop").click()
    expect(w.phone.locator("#net")).to_have_text("Connected")
    yield w
    with ThreadPoolExecutor(8) as pool:  # each disconnect waits for its reader thread
        list(pool.map(lambda sock: sock.sio.disconnect(), (staff, *w.sims)))
    for ctx in w.contexts:
        ctx.close()


# ---------------------------------------------------------------------------------------------------
# One pass over the three live views


@dataclass
class Findings:
    axe: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    targets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reflow: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    shots: dict[str, bytes] = field(default_factory=dict)

    def page(self, page: Any, label: str) -> None:
        page.wait_for_timeout(100)  # let queued renders land: two animation frames after the last event
        page.evaluate(FRAMES)
        self.scanned.append(label)
        found = axe_all(page)
        if found:
            self.axe[label] = found

    def phone(self, page: Any, label: str, shoot: bool = False) -> None:
        self.page(page, label)
        small = small_targets(page)
        if small:
            self.targets[label] = small
        self.reflow += reflow_problems(page, label, self.shots if shoot else None)

    def assert_clean(self, w: World) -> None:
        report = [f"script error {e}" for e in w.errors]
        w.errors.clear()
        for label, found in self.axe.items():
            report.append(
                f"axe {label}: " + "; ".join(f"{v['id']} ({v['impact']}) {v['nodes']}" for v in found)
            )
        for label, small in self.targets.items():
            report.append(
                f"targets {label}: "
                + "; ".join(f"{t['tag']} '{t['text']}' {t['w']}x{t['h']} < {t['need']}" for t in small[:6])
            )
        report += [f"reflow {p}" for p in self.reflow]
        if self.shots:  # kept whether or not the checks pass: look at them
            ARTIFACTS.mkdir(exist_ok=True)
            for label, png in self.shots.items():
                ARTIFACTS.joinpath(
                    f"a11y-320-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.png"
                ).write_bytes(png)
        assert not report, "\n".join(report)


def views(w: World, f: Findings, label: str, shoot: bool = False) -> None:
    f.page(w.console, f"console {label}")
    f.page(w.screen, f"screen {label}")
    f.phone(w.phone, f"phone {label}", shoot)


def on_stage(w: World, activity_id: int, heading: str) -> None:
    """Stage an activity and wait until all three views show it."""
    w.stage(activity_id)
    for page in (w.console, w.screen, w.phone):
        expect(page.locator("#stage .prompt").first).to_have_text(heading, timeout=10000)


def prompt_of(w: World, activity_id: int) -> str:
    return w.rows("SELECT prompt FROM activity WHERE id = ?", activity_id)[0][0]


def phase_badge(w: World, activity_id: int, text: str) -> None:
    expect(
        w.console.locator(f'.agenda-item[data-activity-id="{activity_id}"] [data-role=phase]')
    ).to_have_text(text)


# ---------------------------------------------------------------------------------------------------
# 1. axe-core on every live view in every phase of every kind (and the phone checks with it)


def test_check_in_in_every_phase(world: World) -> None:
    w, f = world, Findings()
    draft = w.fresh["check_in"]
    on_stage(w, draft, prompt_of(w, draft))
    views(w, f, "check-in draft")
    aid = w.rich["check_in"]
    on_stage(w, aid, prompt_of(w, aid))
    w.phone.get_by_label("Your answer").fill("Curious, and a little tired")
    w.phone.get_by_role("button", name="Send").click()
    expect(w.phone.locator(".wall-text", has_text="Curious, and a little tired")).to_be_visible()
    views(w, f, "check-in open", shoot=True)
    w.phase(aid, "closed")
    phase_badge(w, aid, "Closed")
    views(w, f, "check-in closed")
    w.phase(aid, "open")
    f.assert_clean(w)
    assert len(f.scanned) == 9


def test_stakeholder_map_in_every_phase(world: World) -> None:
    w, f = world, Findings()
    draft = w.fresh["stakeholder_map"]
    on_stage(w, draft, prompt_of(w, draft))
    views(w, f, "map draft")
    aid = w.rich["stakeholder_map"]
    on_stage(w, aid, prompt_of(w, aid))
    expect(w.screen.locator(".map-table tbody tr")).to_have_count(len(MAP_PEOPLE))
    views(w, f, "map open", shoot=True)
    # The facilitator's shared views: the power/interest grid with the needed ties and who loses.
    w.staff(
        "map:configure",
        {"activity_id": aid, "view_mode": "grid", "ties_shown": "needed", "show_losses": True},
    )
    expect(w.screen.locator(".map-losses-wrap")).to_be_visible()
    views(w, f, "map grid, needed ties, losses")
    w.staff(
        "map:configure",
        {"activity_id": aid, "view_mode": "network", "ties_shown": "today", "show_losses": False},
    )
    w.staff("map:lock", {"activity_id": aid, "locked": True})
    expect(w.phone.locator(".map-status")).to_have_text("The map is locked.")
    views(w, f, "map locked")
    w.staff("map:lock", {"activity_id": aid, "locked": False})
    w.phase(aid, "closed")
    phase_badge(w, aid, "Closed")
    views(w, f, "map closed")
    w.phase(aid, "open")
    f.assert_clean(w)
    assert len(f.scanned) == 15


def test_open_space_in_every_stage_and_phase(world: World) -> None:
    w, f = world, Findings()
    draft = w.fresh["open_space"]
    on_stage(w, draft, prompt_of(w, draft))
    views(w, f, "open space draft")
    aid = w.rich["open_space"]
    on_stage(w, aid, prompt_of(w, aid))
    for stage in ("marketplace", "agenda", "sessions", "reports", "convergence"):
        w.staff("openspace:set_stage", {"activity_id": aid, "stage": stage})
        expect(w.phone.locator(".os-steps [aria-current=step]")).to_contain_text(stage.capitalize())
        if stage == "marketplace" and not w.phone.locator(".badge", has_text="You convene this").count():
            w.phone.locator(".os-tabs").get_by_role("button", name="Marketplace").click()
            w.phone.get_by_label("Topic", exact=True).fill("Peer support in A&E")
            w.phone.get_by_role("button", name="Convene it").click()
            expect(w.phone.locator(".os-topic", has_text="Peer support in A&E")).to_be_visible()
        views(w, f, f"open space {stage}", shoot=stage == "marketplace")
        if stage == "sessions":  # every tab of the phone
            for tab in ("Marketplace", "Your sessions"):
                w.phone.locator(".os-tabs").get_by_role("button", name=tab).click()
                expect(w.phone.locator(".os-tabs").get_by_role("button", name=tab)).to_have_attribute(
                    "aria-pressed", "true"
                )
                f.phone(w.phone, f"phone open space sessions, tab {tab}")
        if stage == "reports":
            w.phone.locator(".os-report > summary").first.click()
            f.phone(w.phone, "phone open space report form")
    w.staff("openspace:reveal", {"activity_id": aid, "revealed": True})
    expect(w.screen.locator(".os-ranking")).to_be_visible()
    views(w, f, "open space convergence revealed")
    w.phase(aid, "closed")
    phase_badge(w, aid, "Closed")
    views(w, f, "open space closed")
    w.phase(aid, "open")
    w.staff("openspace:set_stage", {"activity_id": aid, "stage": "sessions"})
    f.assert_clean(w)
    assert len(f.scanned) == 27


def test_work_avoidance_hidden_and_revealed_in_every_phase(world: World) -> None:
    w, f = world, Findings()
    draft = w.fresh["work_avoidance"]
    on_stage(w, draft, prompt_of(w, draft))
    views(w, f, "work avoidance draft")
    aid = w.rich["work_avoidance"]  # the demo's checklist is closed with its results revealed
    on_stage(w, aid, prompt_of(w, aid))
    views(w, f, "work avoidance closed revealed")
    w.phase(aid, "open")
    phase_badge(w, aid, "Open")
    w.staff("wa:reveal", {"activity_id": aid, "revealed": False})
    expect(w.screen.locator(".wa-hidden-panel")).to_be_visible()
    views(w, f, "work avoidance open hidden", shoot=True)
    # The phone's last page: thanks, and which forms to tackle.
    for _ in range(20):
        if w.phone.locator(".wa-done").count():
            break
        w.phone.locator(".wa-nav").get_by_role("button", name="Next").click()
    expect(w.phone.locator(".wa-done")).to_be_visible()
    f.phone(w.phone, "phone work avoidance done and pick")
    w.staff("wa:reveal", {"activity_id": aid, "revealed": True})
    expect(w.screen.locator(".wa-hidden-panel")).to_be_hidden()
    views(w, f, "work avoidance open revealed")
    w.phase(aid, "closed")
    w.staff("wa:reveal", {"activity_id": aid, "revealed": False})
    phase_badge(w, aid, "Closed")
    views(w, f, "work avoidance closed hidden")
    w.staff("wa:reveal", {"activity_id": aid, "revealed": True})
    f.assert_clean(w)
    assert len(f.scanned) == 16


def test_commitment_tree_in_every_phase(world: World) -> None:
    w, f = world, Findings()
    draft = w.fresh["commitment_tree"]
    on_stage(w, draft, prompt_of(w, draft))
    views(w, f, "commitment tree draft")
    aid = w.rich["commitment_tree"]
    on_stage(w, aid, prompt_of(w, aid))
    w.phone.get_by_label("I will …").fill("I will ask tenants what would have helped")
    w.phone.get_by_role("button", name="Commit").click()
    expect(w.phone.locator(".ct-follow-link a")).to_be_visible()
    views(w, f, "commitment tree open", shoot=True)
    w.screen.get_by_role("button", name="Show as a list").click()
    f.page(w.screen, "screen commitment tree as a list")
    w.screen.get_by_role("button", name="Show the tree").click()
    w.phase(aid, "closed")
    phase_badge(w, aid, "Closed")
    views(w, f, "commitment tree closed")
    w.phase(aid, "open")
    f.assert_clean(w)
    assert len(f.scanned) == 10


# ---------------------------------------------------------------------------------------------------
# ... and every other page: facilitator, review, participant and public pages


def _path(w: World, html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(1)


def test_every_other_page(world: World, browser: Any) -> None:
    w, f = world, Findings()
    url, ws = w.url, w.workshop
    base = f"{url}/workshops/{ws}"
    smap, space, tree = w.rich["stakeholder_map"], w.rich["open_space"], w.rich["commitment_tree"]
    # What some pages need first: a review link, a series, a cloned checklist, a follow-up link.
    links = w.fac.get(f"{base}/review/links").text
    made = w.fac.post(
        f"{base}/review/links", data={"csrf_token": csrf(links), "label": "ICS board", "allow_names": "1"}
    )
    review = url + _path(w, made.text, r'value="http[^"]+(/r/[^"]+)"')
    index = w.fac.get(f"{url}/series").text
    series = w.fac.post(
        f"{url}/series",
        data={"csrf_token": csrf(index), "name": "North Vale 2026", "workshop_ids": [str(ws)]},
    ).url
    library = w.fac.get(f"{url}/checklists").text
    checklist = w.fac.post(
        f"{url}/checklists/clone", data={"csrf_token": csrf(library), "source": "builtin"}
    ).url
    follow_up = w.sims[0]("commitment:post", {"activity_id": tree, "text": "I will share our referral data"})[
        "follow_up_url"
    ]
    follow_up = url + follow_up[follow_up.index("/f/") :]
    participant = w.rows(
        "SELECT id FROM participant WHERE workshop_id = ? AND display_name = 'Aisha Rahman'", ws
    )[0][0]
    topic = w.rows(
        "SELECT id FROM open_space_topic WHERE activity_id = ? AND convener_id = ? ORDER BY id",
        space,
        participant,
    )
    placed = w.rows(
        "SELECT id, space_id FROM open_space_topic WHERE activity_id = ? AND slot_id IS NOT NULL ORDER BY id",
        space,
    )[0]
    # A second, ended workshop: its join link says so.
    other = w.fac.get(f"{url}/workshops/new").text
    ended = w.fac.post(
        f"{url}/workshops/new", data={"csrf_token": csrf(other), "title": "Last year's summit"}
    ).url
    w.fac.post(f"{ended}/phase", data={"csrf_token": csrf(w.fac.get(ended).text), "phase": "ended"})
    ended_code = "".join(re.search(r'class="code">(\d{3}) (\d{3})<', w.fac.get(ended).text).groups())  # type: ignore

    staff_pages = [
        ("workshop list", f"{url}/workshops"),
        ("new workshop", f"{url}/workshops/new"),
        ("edit workshop", f"{base}/edit"),
        ("moderation log", f"{base}/moderation"),
        *[(f"{kind} settings", f"{base}/activities/{aid}") for kind, aid in w.rich.items()],
        ("review dashboard", f"{base}/review"),
        ("report", f"{base}/report"),
        ("review links", f"{base}/review/links"),
        ("proceedings", f"{base}/open-space/{space}/proceedings"),
        ("QR sheets", f"{base}/open-space/{space}/qr-sheets"),
        ("follow-up overview", f"{base}/activities/{tree}/follow-up"),
        ("map import", f"{base}/activities/{smap}/import"),
        ("work-avoidance flags", f"{base}/flags"),
        ("archive", f"{base}/archive"),
        ("erase a participant", f"{base}/participants/{participant}/erase"),
        ("import a workshop", f"{url}/workshops/import"),
        ("checklists", f"{url}/checklists"),
        ("checklist edit", checklist),
        ("checklist over time", f"{url}/checklists/builtin/over-time"),
        ("series list", f"{url}/series"),
        ("series", series),
        ("password", f"{url}/account/password"),
        ("not found", f"{url}/workshops/999999"),
    ]
    desk = w.contexts[0].new_page()
    for label, address in staff_pages:
        desk.goto(address)
        f.page(desk, label)
    desk.close()

    phone = w.phone.context.new_page()
    phone_pages = [
        ("phone about you", f"{url}/j/{w.code}/me"),
        ("phone topic check-in", f"{url}/j/{w.code}/open-space/{space}/check-in/{placed[0]}"),
        ("phone space check-in", f"{url}/j/{w.code}/open-space/{space}/space/{placed[1]}"),
        ("phone follow-up", follow_up),
    ]
    if topic:
        phone_pages.append(("phone session photos", f"{url}/open-space/{space}/topics/{topic[0][0]}/photos"))
    for label, address in phone_pages:
        phone.goto(address)
        f.phone(phone, label, shoot=label == "phone follow-up")
    phone.close()

    stranger = browser.new_context(**PHONE)
    page = stranger.new_page()
    for label, address in [
        ("phone join by code", f"{url}/join"),
        ("phone join", f"{url}/j/{w.code}"),
        ("phone ended workshop", f"{url}/j/{ended_code}"),
        ("phone sign-in", f"{url}/login"),
        ("phone review link", review),
        ("phone shared report", f"{review}/report"),
    ]:
        page.goto(address)
        f.phone(page, label, shoot=label == "phone join")
    stranger.close()
    laptop = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = laptop.new_page()
    for label, address in [
        ("sign-in", f"{url}/login"),
        ("review link", review),
        ("shared report", f"{review}/report"),
    ]:
        page.goto(address)
        f.page(page, label)
    laptop.close()
    f.assert_clean(w)
    assert len(f.scanned) == len(staff_pages) + len(phone_pages) + 9


# ---------------------------------------------------------------------------------------------------
# 2. Keyboard only, on a phone: Tab, Shift+Tab, Enter, Space and the arrow keys. After every Tab the
#    focused control must show a focus indicator and must not be hidden behind the sticky top bar or
#    the connection bar at the bottom (WCAG 2.4.7, 2.4.11).

FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return {ok: false, why: 'focus fell to the page'};
  }
  const said = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 30);
  const name = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${said}"`;
  const ring = (e) => { const cs = getComputedStyle(e);
    return (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2)
      || (cs.boxShadow && cs.boxShadow !== 'none'); };
  const cs = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
  // A visually hidden radio shows its focus on the label drawn in its place.
  const shown = (box.width <= 2 || box.height <= 2 || cs.opacity === '0') && label ? label : el;
  if (!ring(shown)) return {ok: false, why: `no visible focus indicator on ${name}`};
  const r = shown.getBoundingClientRect();
  const seen = [[.5, .5], [.15, .15], [.85, .15], [.15, .85], [.85, .85]].some(([fx, fy]) => {
    const x = r.left + r.width * fx, y = r.top + r.height * fy;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
    const hit = document.elementFromPoint(x, y);
    return hit && (shown.contains(hit) || el.contains(hit) || hit === label);
  });
  if (!seen) return {ok: false, why: `${name} is focused but hidden (off screen or under a bar)`};
  return {ok: true, name};
}"""


class Keys:
    """Only the keyboard: every move checks the focus is visible."""

    def __init__(self, page: Any):
        self.page = page
        self.trail: list[str] = []

    def check(self) -> None:
        got = self.page.evaluate(FOCUS)
        assert got["ok"], f"{got['why']}; last stops: {self.trail[-4:]}"
        self.trail.append(got["name"])

    def tab_to(self, selector: str, back: bool = False, limit: int = 120) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            self.check()
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}; last stops: {self.trail[-8:]}")

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


@pytest.fixture(scope="module")
def keyboard_phone(world: World, browser: Any) -> Iterator[Any]:
    """A second phone whose owner uses only a keyboard (joined by keyboard in the first test)."""
    ctx = browser.new_context(**PHONE)
    world.contexts.append(ctx)
    page = ctx.new_page()
    yield page


def joined(w: World, page: Any) -> None:
    """The keyboard user's phone has joined (by keyboard in test_keyboard_join; here too if run alone)."""
    if not w.rows(
        "SELECT id FROM participant WHERE workshop_id = ? AND display_name = 'Kofi Mensah'", w.workshop
    ):
        page.goto(f"{w.url}/j/{w.code}")
        page.get_by_label("Your name (optional)").fill("Kofi Mensah")
        page.get_by_role("button", name="Join the workshop").click()
    expect(page.locator("#net")).to_have_text("Connected")


def restage(w: World, page: Any, activity_id: int) -> None:
    """Put an activity on stage afresh and wait until the phone has drawn it (so nothing typed is lost to a
    redraw)."""
    w.stage(None)
    expect(page.locator("#stage .waiting")).to_be_visible()
    w.stage(activity_id)
    expect(page.locator("#stage .prompt")).to_have_text(prompt_of(w, activity_id))


def me(w: World, name: str) -> int:
    return w.rows("SELECT id FROM participant WHERE workshop_id = ? AND display_name = ?", w.workshop, name)[
        0
    ][0]


def test_keyboard_join(world: World, keyboard_phone: Any) -> None:
    w, page, keys = world, keyboard_phone, Keys(keyboard_phone)
    page.goto(f"{w.url}/join")
    keys.tab_to("#code")
    keys.type(f"{w.code[:3]} {w.code[3:]}")
    keys.press("Enter")
    expect(page.get_by_role("button", name="Join the workshop")).to_be_visible()
    page.wait_for_load_state()  # the page's script is running (a person would not type faster than it loads)
    keys.tab_to("#display_name")
    keys.tab_to("#suggest-name")
    keys.press("Space")  # a made-up name goes into the box and the focus goes back to it
    assert page.evaluate("document.activeElement.id") == "display_name"
    assert page.input_value("#display_name")
    keys.press("Control+A")
    keys.type("Kofi Mensah")
    keys.tab_to("#organisation")
    keys.type("Vale Council for Voluntary Service")
    keys.tab_to("#sector")
    keys.press("ArrowDown", "ArrowDown")
    keys.tab_to("#organisation", back=True)  # Shift+Tab: a look back at what was typed
    keys.tab_to("button[type=submit]")
    keys.press("Enter")
    expect(page.locator("#net")).to_have_text("Connected")
    row = w.rows(
        "SELECT organisation, sector FROM participant WHERE workshop_id = ? AND display_name = ?",
        w.workshop,
        "Kofi Mensah",
    )
    assert row and row[0][0] == "Vale Council for Voluntary Service" and row[0][1], row


def test_keyboard_check_in(world: World, keyboard_phone: Any) -> None:
    w, page, keys = world, keyboard_phone, Keys(keyboard_phone)
    aid = w.rich["check_in"]
    joined(w, page)
    restage(w, page, aid)
    expect(page.locator("#checkin-text")).to_be_enabled()
    keys.tab_to("#checkin-text")
    keys.type("Keen to hear from housing")
    keys.tab_to("form.answer-form button[type=submit]")
    keys.press("Enter")
    expect(page.locator(".form-status")).to_have_text("Saved")
    assert w.rows(
        "SELECT text FROM check_in_answer WHERE activity_id = ? AND participant_id = ?",
        aid,
        me(w, "Kofi Mensah"),
    ) == [("Keen to hear from housing",)]


def test_keyboard_stakeholder_map(world: World, keyboard_phone: Any) -> None:
    w, page, keys = world, keyboard_phone, Keys(keyboard_phone)
    aid = w.rich["stakeholder_map"]
    joined(w, page)
    restage(w, page, aid)
    expect(page.locator(".map-form").first).to_be_visible()
    add = page.locator("details.map-section", has=page.locator("summary", has_text="Add a stakeholder"))
    keys.tab_to(f"#{add.get_by_label('Name').get_attribute('id')}")
    keys.type("Vale Food Bank")
    keys.tab_to(f"#{add.get_by_label('Kind', exact=True).get_attribute('id')}")
    keys.press("ArrowDown", "ArrowDown")  # the second kind in the list: team
    keys.tab_to(f"#{add.get_by_label('Organisation').get_attribute('id')}")
    keys.type("Vale Food Bank")
    keys.tab_to(f"#{add.get_by_label('Influence (1-5)').get_attribute('id')}")
    keys.press("ArrowDown", "ArrowDown")
    keys.tab_to("details.map-section[open] form button[type=submit]")
    keys.press("Enter")
    expect(page.locator(".map-status")).to_have_text("Added.")
    mine = me(w, "Kofi Mensah")
    assert w.rows(
        "SELECT name, kind, organisation, influence FROM stakeholder_map_stakeholder "
        "WHERE activity_id = ? AND added_by_id = ?",
        aid,
        mine,
    ) == [("Vale Food Bank", "team", "Vale Food Bank", 2)]
    # A relationship without dragging anything: open the section, pick both ends from lists.
    keys.tab_to("details.map-section:not([open]) > summary")
    assert "relationship" in page.evaluate("document.activeElement.textContent")
    keys.press("Enter")
    rel = page.locator(
        "details.map-section[open]", has=page.locator("summary", has_text="Add a relationship")
    )
    expect(rel).to_be_visible()
    for end, who in (("From", "Food Bank"), ("To", "Marcus")):
        keys.tab_to(f"#{rel.get_by_label(end, exact=True).first.get_attribute('id')}")
        keys.type(who)
        keys.press("Tab")
        keys.check()
        keys.press("ArrowDown")  # the one stakeholder left in the list
    keys.tab_to("details.map-section[open] form:has(.map-picker) button[type=submit]")
    keys.press("Enter")
    expect(page.locator(".map-status")).to_have_text("Added.")
    ties = w.rows(
        "SELECT s.name, t.name FROM stakeholder_map_relationship r JOIN stakeholder_map_stakeholder s "
        "ON s.id = r.source_id JOIN stakeholder_map_stakeholder t ON t.id = r.target_id "
        "WHERE r.activity_id = ? AND r.added_by_id = ?",
        aid,
        mine,
    )
    assert ties == [("Vale Food Bank", "Marcus Bell")], ties


def test_keyboard_open_space(world: World, keyboard_phone: Any) -> None:
    w, page, keys = world, keyboard_phone, Keys(keyboard_phone)
    aid = w.rich["open_space"]
    w.staff("openspace:set_stage", {"activity_id": aid, "stage": "marketplace"})
    joined(w, page)
    restage(w, page, aid)
    title = f"#os-title-{aid}"
    expect(page.locator(title)).to_be_visible()
    keys.tab_to(title)
    keys.type("Carers as partners, not visitors")
    keys.tab_to(f"#os-desc-{aid}")
    keys.type("What would change on the ward?")
    keys.tab_to("form.os-propose button[type=submit]")
    keys.press("Enter")
    expect(page.locator(".os-topic", has_text="Carers as partners")).to_be_visible()
    mine = me(w, "Kofi Mensah")
    assert w.rows(
        "SELECT title FROM open_space_topic WHERE activity_id = ? AND convener_id = ?", aid, mine
    ) == [("Carers as partners, not visitors",)]
    keys.tab_to(".os-topic button[aria-pressed=false]")
    topic = page.evaluate("document.activeElement.closest('.os-topic').dataset.id")
    keys.press("Space")
    expect(page.locator(f'.os-topic[data-id="{topic}"] button[aria-pressed=true]')).to_be_visible()
    assert w.rows("SELECT topic_id FROM open_space_interest WHERE participant_id = ?", mine) == [
        (int(topic),)
    ]
    w.staff("openspace:set_stage", {"activity_id": aid, "stage": "sessions"})


def test_keyboard_work_avoidance(world: World, keyboard_phone: Any) -> None:
    w, page, keys = world, keyboard_phone, Keys(keyboard_phone)
    aid = w.rich["work_avoidance"]
    w.phase(aid, "open")
    joined(w, page)
    restage(w, page, aid)
    expect(page.locator(".wa-radio").first).to_be_enabled()
    first = page.locator(".wa-card h3").inner_text()
    keys.tab_to(".wa-radio")
    keys.press("ArrowDown")  # from "0 Not at all" to "1 Rarely": chosen, saved, on to the next card
    expect(page.locator(".wa-card h3")).not_to_have_text(first)
    second = page.locator(".wa-card h3").inner_text()
    keys.tab_to(".wa-radio")
    keys.press("Space")  # "0 Not at all" for the second form
    expect(page.locator(".wa-card h3")).not_to_have_text(second)
    mine = me(w, "Kofi Mensah")
    rated = w.rows(
        "SELECT form_key, rating FROM work_avoidance_rating WHERE activity_id = ? AND participant_id = ? "
        "ORDER BY id",
        aid,
        mine,
    )
    assert [r[1] for r in rated] == [1, 0], rated
    w.phase(aid, "closed")


def test_keyboard_commitment_tree(world: World, keyboard_phone: Any) -> None:
    w, page, keys = world, keyboard_phone, Keys(keyboard_phone)
    aid = w.rich["commitment_tree"]
    joined(w, page)
    restage(w, page, aid)
    expect(page.locator("#ct-text")).to_be_enabled()
    keys.tab_to("#ct-text")
    keys.type("I will bring the food bank into discharge planning")
    keys.tab_to("#ct-who")
    keys.type("Marcus Bell")
    keys.press("Enter")  # adds the name as a chip and stays in the box
    expect(page.locator(".ct-chip")).to_have_count(1)
    keys.tab_to("form.ct-form button[type=submit]")
    keys.press("Enter")
    expect(page.locator(".ct-follow-link a")).to_be_visible()
    rows = w.rows(
        "SELECT text, with_whom FROM commitment_tree_commitment WHERE activity_id = ? AND participant_id = ?",
        aid,
        me(w, "Kofi Mensah"),
    )
    assert (
        len(rows) == 1
        and rows[0][0] == "I will bring the food bank into discharge planning"
        and "Marcus Bell" in rows[0][1]
    )


# ---------------------------------------------------------------------------------------------------
# 3. Every chart, map and tree has a text alternative

GRAPHICS = """() => {
  const problems = [];
  const gone = (el) => el.closest('[aria-hidden="true"]');
  const nameOf = (el) => {
    const label = (el.getAttribute('aria-label') || '').trim();
    if (label) return label;
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
    if (by) return by;
    const title = el.tagName.toLowerCase() === 'svg' ? el.querySelector(':scope > title') : null;
    return title ? title.textContent.trim() : '';
  };
  const found = [];
  for (const svg of document.querySelectorAll('svg')) {
    if ((svg.parentElement && svg.parentElement.closest('svg')) || gone(svg)) continue;
    const name = nameOf(svg);
    if (svg.getAttribute('role') !== 'img' || !name) {
      problems.push(`svg.${svg.getAttribute('class')}: no role=img with a name`);
    }
    else found.push(`svg: ${name.slice(0, 60)}`);
  }
  for (const canvas of document.querySelectorAll('canvas')) {
    if (gone(canvas)) continue;
    const holder = canvas.closest('[role=img]');
    if (!holder || !nameOf(holder)) problems.push('a canvas outside a named role=img');
    else found.push(`canvas: ${nameOf(holder).slice(0, 60)}`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (gone(img)) continue;
    if (!img.hasAttribute('alt')) problems.push(`img ${img.getAttribute('src')}: no alt`);
    else found.push(`img: ${img.alt.slice(0, 60)}`);
  }
  return {problems, found};
}"""


def graphics(page: Any, label: str) -> list[str]:
    got = page.evaluate(GRAPHICS)
    assert not got["problems"], f"{label}: {got['problems']}"
    return got["found"]


def texts(page: Any, selector: str) -> str:
    return " ".join(page.locator(selector).all_text_contents())


def test_every_chart_map_and_tree_has_a_text_alternative(world: World) -> None:
    w = world
    # The stakeholder map: a named picture (role=img) on the big screen and console, with a table of
    # every stakeholder; on the phone a described thumbnail and the list of stakeholders.
    smap = w.rich["stakeholder_map"]
    on_stage(w, smap, prompt_of(w, smap))
    names = [
        n
        for (n,) in w.rows(
            "SELECT name FROM stakeholder_map_stakeholder WHERE activity_id = ? AND NOT is_hidden", smap
        )
    ]
    assert len(names) >= len(MAP_PEOPLE)
    for page in (w.screen, w.console):
        expect(page.locator(".map-table tbody tr")).to_have_count(len(names))
        expect(page.locator(".map-canvas canvas").first).to_be_attached()
        assert any(f.startswith("canvas: Network map") for f in graphics(page, "map"))
        table = texts(page, ".map-table tbody th[scope=row]")
        assert all(n in table for n in names), (names, table)
        assert page.locator(".map-table caption").text_content().strip()
    expect(w.phone.locator(".map-list .map-name")).to_have_count(len(names))
    assert any(f.startswith("img: Network map") for f in graphics(w.phone, "phone map"))
    listed = texts(w.phone, ".map-list .map-name")
    assert all(n in listed for n in names), (names, listed)

    # The commitment tree: the picture's alt text, and every commitment in the grouped list beside it.
    tree = w.rich["commitment_tree"]
    on_stage(w, tree, prompt_of(w, tree))
    said = [
        t
        for (t,) in w.rows(
            "SELECT text FROM commitment_tree_commitment WHERE activity_id = ? AND NOT is_hidden", tree
        )
    ]
    assert len(said) >= 5
    for page in (w.screen, w.console):
        expect(page.locator("img.ct-tree")).to_have_attribute("alt", re.compile(r"\w"))
        graphics(page, "tree")
        grouped = texts(page, ".ct-groups")
        assert all(t in grouped for t in said), (said, grouped)
    # The tree as the server draws it (also in the report): a named SVG with every leaf described.
    svg = w.fac.get(f"{w.url}/workshops/{w.workshop}/activities/{tree}/tree.svg").text
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-label="[^"]+"', svg) and "<desc>" in svg
    assert all(t in svg for t in said[:3])

    # The work-avoidance chart: one row per form with its name and its figures in words.
    wa = w.rich["work_avoidance"]
    w.staff("wa:reveal", {"activity_id": wa, "revealed": True})
    on_stage(w, wa, prompt_of(w, wa))
    for page in (w.screen, w.console):
        rows = page.locator(".wa-bar-row")
        expect(rows.first).to_be_visible()
        assert rows.count() >= 10
        for i in range(rows.count()):
            assert rows.nth(i).locator(".wa-bar-name").inner_text().strip()
            assert re.search(r"\d", rows.nth(i).locator(".wa-bar-stats").inner_text())
        graphics(page, "work avoidance")

    # Open Space: the ranking's bars are decoration beside the number of votes in words.
    space = w.rich["open_space"]
    w.staff("openspace:set_stage", {"activity_id": space, "stage": "convergence"})
    w.staff("openspace:reveal", {"activity_id": space, "revealed": True})
    on_stage(w, space, prompt_of(w, space))
    ranked = w.screen.locator(".os-ranking > li")
    expect(ranked.first).to_be_visible()
    for i in range(ranked.count()):
        expect(ranked.nth(i).locator(".os-bar")).to_have_attribute("aria-hidden", "true")
        assert re.search(r"\d", ranked.nth(i).locator(".os-count").inner_text())
    w.staff("openspace:set_stage", {"activity_id": space, "stage": "sessions"})

    # The review dashboard and the report: every chart is a named SVG picture with a description, and
    # the report's appendices carry the data as tables.
    desk = w.contexts[0].new_page()
    for path in ("review", "report"):
        desk.goto(f"{w.url}/workshops/{w.workshop}/{path}")
        found = graphics(desk, path)
        assert sum(f.startswith("svg:") for f in found) >= 4, found
        for i in range(desk.locator("figure.rv-chart").count()):
            figure = desk.locator("figure.rv-chart").nth(i)
            assert figure.locator("svg > desc").first.text_content().strip()
            assert figure.locator("figcaption").inner_text().strip()
    tables = texts(desk, ".rv-appendix table")
    assert all(n in tables for n in names), "the report's appendix lists every stakeholder"
    assert all(t in tables for t in said), "the report's appendix lists every commitment"
    desk.goto(f"{w.url}/workshops/{w.workshop}/activities/{tree}/follow-up")
    graphics(desk, "follow-up overview")  # its bars are aria-hidden beside the percentages in the table
    desk.close()


# ---------------------------------------------------------------------------------------------------
# 4. Status messages are announced (WCAG 4.1.3)

ANNOUNCED = """(text) => {
  const live = '[role=status], [role=alert], [role=log], [aria-live=polite], [aria-live=assertive]';
  const all = [...document.querySelectorAll('body *')].filter((el) => el.textContent.trim() === text
    && ![...el.children].some((c) => c.textContent.trim() === text));
  if (!all.length) return {ok: false, why: `"${text}" is not on the page`};
  for (const el of all) {
    const region = el.closest(live);
    const where = `${el.tagName.toLowerCase()}.${el.className}`;
    if (!region) return {ok: false, why: `"${text}" (${where}) is in no live region`};
    if (region.id === 'stage' || region.querySelector('form, ul, table')) {
      const whole = `${region.tagName.toLowerCase()}#${region.id}`;
      return {ok: false, why: `"${text}" is only announced as part of a whole region (${whole})`};
    }
  }
  return {ok: true};
}"""

STATUS_ELEMENTS = """() => [...document.querySelectorAll(
    '.form-status, .map-status, .wa-pick-status, .wa-flag-status, .os-votes-left, .flash, .error, '
    + '#net, #stage-note, #console-msg')]
  .filter((el) => !el.closest('[role=status], [role=alert], [aria-live=polite], [aria-live=assertive]'))
  .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)"""


def announced(page: Any, text: str) -> None:
    expect(page.get_by_text(text, exact=True).first).to_be_attached()
    got = page.evaluate(ANNOUNCED, text)
    assert got["ok"], got["why"]


def test_status_messages_are_announced(world: World, browser: Any) -> None:
    w, phone = world, world.phone
    # Each kind's form on the phone says "Saved" (or "Added.") in a status region of its own.
    aid = w.rich["check_in"]
    on_stage(w, aid, prompt_of(w, aid))
    phone.get_by_label("Your answer").fill("Hopeful")
    phone.get_by_role("button", name="Send").click()
    announced(phone, "Saved")
    assert phone.evaluate(STATUS_ELEMENTS) == []
    smap = w.rich["stakeholder_map"]
    on_stage(w, smap, prompt_of(w, smap))
    form = phone.locator("details.map-section", has=phone.locator("summary", has_text="Add a stakeholder"))
    form.get_by_label("Name").fill("Vale Carers Centre")
    form.get_by_role("button", name="Add", exact=True).click()
    announced(phone, "Added.")
    assert phone.evaluate(STATUS_ELEMENTS) == []
    wa = w.rich["work_avoidance"]
    w.phase(wa, "open")
    on_stage(w, wa, prompt_of(w, wa))
    phone.locator(".wa-choice").nth(2).click()
    announced(phone, "Saved")
    w.phase(wa, "closed")
    announced(phone, "This activity is closed.")
    assert phone.evaluate(STATUS_ELEMENTS) == []
    tree = w.rich["commitment_tree"]
    on_stage(w, tree, prompt_of(w, tree))
    phone.get_by_label("I will …").fill("I will visit the carers centre")
    phone.get_by_role("button", name="Commit").click()
    announced(phone, "Saved")
    # The activity on stage is announced by name when it changes, not by re-reading the whole stage.
    assert phone.locator("#stage").get_attribute("aria-live") is None
    expect(phone.locator("#stage-note")).to_have_text(
        prompt_of(w, tree) and w.rows("SELECT title FROM activity WHERE id = ?", tree)[0][0]
    )
    announced(phone, w.rows("SELECT title FROM activity WHERE id = ?", tree)[0][0])
    # "Flag it live": the thanks is a status message too.
    phone.get_by_role("button", name="I think we are avoiding the work").click()
    phone.get_by_role("button", name="Send flag").click()
    announced(phone, "Thank you. The facilitator sees your flag, not your name.")
    # The connection line and the console's messages are status regions; a wrong join code is an alert.
    announced(w.console, "Connected")
    assert w.console.evaluate(STATUS_ELEMENTS) == []
    stranger = browser.new_context(**PHONE)
    page = stranger.new_page()
    page.goto(f"{w.url}/join")
    page.get_by_label("Join code").fill("000 000" if w.code != "000000" else "111 111")
    page.get_by_role("button", name="Join").click()
    alert = page.locator(".flash-error")
    expect(alert).to_have_attribute("role", "alert")
    assert page.evaluate(STATUS_ELEMENTS) == []
    stranger.close()


# ---------------------------------------------------------------------------------------------------
# 6. No drag-only interaction: the agenda wall and the map work by tapping and by keyboard


def test_no_drag_only_interaction(world: World) -> None:
    w = world
    space = w.rich["open_space"]
    w.staff("openspace:set_stage", {"activity_id": space, "stage": "agenda"})
    title = "Night-time crisis café"
    topic = w.sims[1]("topic:propose", {"activity_id": space, "title": title})["id"]
    on_stage(w, space, prompt_of(w, space))
    for page in (w.console, w.screen, w.phone):
        assert page.evaluate("document.querySelectorAll('[draggable=true]').length") == 0
    # The facilitator places the new topic on the wall with the keyboard alone: "Place", then a free cell.
    w.console.bring_to_front()
    w.console.evaluate("document.activeElement && document.activeElement.blur()")
    keys = Keys(w.console)
    keys.tab_to(f'button[aria-label="Place: {title}"]', limit=400)
    keys.press("Enter")
    expect(w.console.locator(f'button[aria-label="Place: {title}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    keys.tab_to(".os-cell.is-free .os-cell-btn", back=True, limit=400)
    cell = w.console.evaluate("document.activeElement.getAttribute('aria-label')")
    keys.press("Enter")
    expect(w.screen.locator(".os-wall .os-topic-title", has_text=title)).to_be_visible()
    slot, place = w.rows("SELECT slot_id, space_id FROM open_space_topic WHERE id = ?", topic)[0]
    assert slot and place, "the topic is on the wall"
    where = w.rows(
        "SELECT s.label, p.name FROM open_space_slot s, open_space_space p WHERE s.id = ? AND p.id = ?",
        slot,
        place,
    )[0]
    assert where[0] in cell and where[1] in cell, (cell, where)
    w.staff("topic:unplace", {"activity_id": space, "topic_id": topic})
    w.staff("openspace:set_stage", {"activity_id": space, "stage": "sessions"})

    # The map: the neighbourhood of a stakeholder, chosen from a list instead of tapping its circle
    # (and relationships are added from lists on the phone: see test_keyboard_stakeholder_map).
    smap = w.rich["stakeholder_map"]
    on_stage(w, smap, prompt_of(w, smap))
    expect(w.console.locator(".map-canvas canvas").first).to_be_attached()
    w.console.wait_for_function("window.__stakeholderMap && window.__stakeholderMap.cy.nodes().length > 0")
    w.console.evaluate("document.activeElement && document.activeElement.blur()")
    focus = w.console.get_by_label("Showing the neighbourhood of")
    keys.tab_to(f"#{focus.get_attribute('id')}", limit=400)
    keys.press("ArrowDown")
    chosen = focus.evaluate("(el) => el.selectedOptions[0].textContent")
    expect(w.console.locator(".map-view-note")).to_contain_text(chosen.split(" · ")[0])
    focused = w.console.evaluate("window.__stakeholderMap.cy.nodes('.focus').map((n) => n.data('label'))")
    assert focused == [chosen.split(" · ")[0]], (focused, chosen)
    assert w.console.evaluate("window.__stakeholderMap.cy.nodes('.faded').length") > 0, (
        "the rest of the map steps back"
    )
    assert w.phone.locator("canvas").count() == 0, "phones use forms, never the drawn map"


# ---------------------------------------------------------------------------------------------------
# 8. prefers-reduced-motion: nothing moves on the big screen's tree or map

MOTION = """() => {
  const secs = (v) => Math.max(0, ...v.split(',')
    .map((x) => parseFloat(x) * (x.trim().endsWith('ms') ? 0.001 : 1)));
  const moving = [];
  for (const el of document.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    const animated = cs.animationName !== 'none' && secs(cs.animationDuration) > 0.01;
    const eased = secs(cs.transitionDuration) > 0.01 && cs.transitionProperty !== 'none';
    if (animated || eased) {
      moving.push(`${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''}: `
        + `${cs.animationName} ${cs.animationDuration} / ${cs.transitionProperty} ${cs.transitionDuration}`);
    }
  }
  const running = document.getAnimations().filter((a) => a.playState === 'running').length;
  return {moving: moving.slice(0, 8), running};
}"""


def test_reduced_motion_is_respected(world: World, browser: Any) -> None:
    w = world
    state = w.contexts[0].storage_state()
    screens = {}
    for motion in ("reduce", "no-preference"):
        ctx = browser.new_context(
            viewport={"width": 1920, "height": 1080}, storage_state=state, reduced_motion=motion
        )
        w.contexts.append(ctx)
        screens[motion] = ctx.new_page()
        screens[motion].goto(f"{w.url}/workshops/{w.workshop}/screen")
        expect(screens[motion].locator("#net")).to_have_text("Connected")
    tree = w.rich["commitment_tree"]
    w.stage(tree)
    for page in screens.values():
        expect(page.locator("img.ct-tree")).to_be_visible()
    posted = w.sims[2](
        "commitment:post", {"activity_id": tree, "text": "I will open the library for drop-in support"}
    )
    for page in screens.values():
        expect(page.locator(".ct-tick").first).to_contain_text("drop-in support")
    still = screens["reduce"].evaluate(MOTION)
    assert still == {"moving": [], "running": 0}, still
    # The same moment without the preference: the new commitment slides in (so the check can see motion).
    assert screens["no-preference"].evaluate(MOTION)["moving"], (
        "expected the ticker to animate without the preference"
    )
    # The tree picture marks new leaves to grow in, only for people who did not ask for less motion.
    for motion, page in screens.items():
        page.goto(f"{w.url}/workshops/{w.workshop}/activities/{tree}/tree.svg?title=0&new={posted['id']}")
        leaf = page.evaluate("getComputedStyle(document.querySelector('.leaf.is-new')).animationName")
        assert leaf == ("none" if motion == "reduce" else "ct-grow"), (motion, leaf)
    # The map on the big screen: no CSS motion (Cytoscape draws without animating).
    page = screens["reduce"]
    page.goto(f"{w.url}/workshops/{w.workshop}/screen")
    on_stage(w, w.rich["stakeholder_map"], prompt_of(w, w.rich["stakeholder_map"]))
    expect(page.locator(".map-canvas canvas").first).to_be_attached()
    page.wait_for_timeout(500)
    still = page.evaluate(MOTION)
    assert still == {"moving": [], "running": 0}, still
    for motion in screens:
        screens[motion].context.close()
        w.contexts.remove(screens[motion].context)

"""Phones post commitments; the tree on the big screen gains leaves (12, then 150); screenshots kept."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import socketio
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations
from tests.e2e.test_workshop_live import PHONE, join_by_code, sign_in
from tests.live import LiveServer, cookie_header, create_workshop, csrf, facilitator_session, join

EVIL = '<img src=x onerror="alert(1)"> I will <b>listen</b> first'
BRANCHES = ("Working together", "Data and evidence", "Voice of residents", "Prevention")
TEXTS = (
    "Run a joint case review with housing every month",
    "Share our waiting-list data openly with partners",
    "Invite two young people to our next board meeting",
    "Pair a GP practice with the food bank",
    "Ask what we stop before we start anything new",
    "Spend a day a month in a neighbourhood team",
    "Co-design the winter plan with residents",
    "Publish our commissioning intentions early",
    "Fund one shared prevention post",
    "Hold an open board once a quarter",
)


@pytest.fixture(scope="module")
def tree_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server whose database is made from the models and stamped as migrated, so the tables and
    columns this kind added are there before the lead regenerates the migrations."""
    from flask_migrate import stamp

    from facilitator import create_app
    from facilitator.extensions import db

    server = LiveServer(tmp_path_factory.mktemp("tree"))
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "schema-only",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{server.instance / 'facilitator.db'}"})
    with app.app_context():
        db.create_all()
        stamp()
        db.engine.dispose()
    server.start()
    yield server
    server.stop()


class Phone:
    """A phone simulated by a python-socketio client (cheaper than a browser context)."""

    def __init__(self, url: str, code: str, workshop_id: int, name: str) -> None:
        self.session = join(url, code, name)
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(url, headers={"Cookie": cookie_header(self.session)},
                         auth={"workshop": workshop_id, "role": "participant"}, transports=["websocket"],
                         wait_timeout=10)

    def post(self, activity_id: int, text: str, branch_id: int | None, who: list[str]) -> None:
        payload = {"cid": uuid.uuid4().hex, "activity_id": activity_id, "text": text, "branch_id": branch_id,
                   "with_whom": who}
        ack = self.sio.call("commitment:post", payload, timeout=15)
        assert ack["ok"], ack


def leaves_on_screen(screen) -> int:
    """Leaves in the tree image the big screen shows right now."""
    src = screen.locator("img.ct-tree").evaluate("img => img.src")  # absolute
    svg = screen.request.get(src).text()
    return len(re.findall(r'<g class="leaf[ "]', svg))


def wait_for_leaves(screen, n: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        seen = leaves_on_screen(screen)
        if seen == n:
            screen.wait_for_timeout(1300)  # let the new leaves finish fading in
            return
        screen.wait_for_timeout(250)
    raise AssertionError(f"the screen shows {seen} leaves, expected {n}")


def test_phones_grow_the_commitment_tree_on_the_big_screen(browser, tree_server, artifacts):
    url = tree_server.url
    fac = facilitator_session(url)
    ws = create_workshop(fac, url, "North Vale commitments", kinds=("commitment_tree",))
    aid = ws["activities"][0]
    settings = f"{url}/workshops/{ws['id']}/activities/{aid}"
    r = fac.post(settings, data={"csrf_token": csrf(fac.get(settings).text), "title": "Commitment tree",
                                 "prompt": "What will you do differently in the next 90 days?",
                                 "visibility": "named", "new_branches": "\n".join(BRANCHES),
                                 "show_names": "1"})
    assert r.ok
    branch_ids = [int(x) for x in re.findall(r'name="branch_(\d+)"', fac.get(settings).text)]
    assert len(branch_ids) == 4
    console = socketio.Client(reconnection=False)
    console.connect(url, headers={"Cookie": cookie_header(fac)},
                    auth={"workshop": ws["id"], "role": "facilitator"}, transports=["websocket"])
    assert console.call("activity:stage", {"activity_id": aid}, timeout=10)["ok"]
    assert console.call("activity:set_phase", {"activity_id": aid, "phase": "open"}, timeout=10)["ok"]

    fac_ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
    screen = fac_ctx.new_page()
    sign_in(screen, url)
    screen.goto(f"{url}/workshops/{ws['id']}/screen")
    expect(screen.locator("img.ct-tree")).to_be_visible()
    assert leaves_on_screen(screen) == 0

    # Two real phones commit from the form; one picks Bob from the room's list, the other types a name.
    ctxs = [browser.new_context(**PHONE) for _ in range(2)]
    alice, bob = (c.new_page() for c in ctxs)
    join_by_code(alice, url, ws["code"], "Alice")
    join_by_code(bob, url, ws["code"], "Bob")
    alice.reload()  # Bob joined after Alice: her list of people is fresh on reload
    expect(alice.get_by_label("I will …")).to_be_visible()
    alice.get_by_label("I will …").fill(EVIL)
    alice.get_by_label("Branch").select_option(label="Voice of residents")
    alice.get_by_label("Pick from the room").select_option("Bob")
    expect(alice.locator(".ct-chip")).to_have_text(["Bob×"])
    alice.get_by_role("button", name="Commit").click()
    expect(alice.locator(".ct-own .ct-text")).to_have_text([EVIL])
    expect(alice.locator("img.ct-qr")).to_be_visible()
    expect(alice.locator("a.ct-link")).to_have_attribute("href", re.compile(r"/f/[\w-]{30,}$"))

    bob.get_by_label("I will …").fill("Take the housing team to the GP huddle")
    bob.get_by_label("Branch").select_option(label="Working together")
    bob.locator("#ct-who").fill("North Vale Food Bank")
    bob.get_by_role("button", name="Commit").click()
    expect(bob.locator(".ct-own .ct-text")).to_have_text(["Take the housing team to the GP huddle"])

    wait_for_leaves(screen, 2)
    expect(screen.locator(".ct-tick .ct-text").first).to_have_text("Take the housing team to the GP huddle")
    expect(screen.locator(".ct-tick .ct-text", has_text="<b>listen</b>")).to_have_text(EVIL)
    assert screen.locator(".ct-tick img, .ct-tick b").count() == 0

    # Ten more from simulated phones: 12 leaves.
    phones = [Phone(url, ws["code"], ws["id"], f"Person {i}") for i in range(30)]
    for i, text in enumerate(TEXTS):
        phones[i % 2].post(aid, text, branch_ids[i % 4], [f"Person {(i + 3) % 30}"] if i % 3 else [])
    wait_for_leaves(screen, 12)
    artifacts.joinpath("commitment-tree-12-leaves-1920x1080.png").write_bytes(screen.screenshot())
    artifacts.joinpath("commitment-tree-phone-390x844.png").write_bytes(alice.screenshot(full_page=True))
    assert axe_violations(screen) == []
    assert axe_violations(alice) == []

    # And up to 150, five each from the rest of the room, a few at a time.
    def commit_five(n: int) -> None:
        phone = phones[n]
        for k in range(5):
            i = n * 5 + k
            if 12 + (n - 2) * 5 + k < 150:
                branch = branch_ids[(i * 7) % 4] if i % 9 else None
                phone.post(aid, f"{TEXTS[i % len(TEXTS)]} ({i})", branch, [])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(commit_five, range(2, 30)))
    wait_for_leaves(screen, 150, timeout=30)
    artifacts.joinpath("commitment-tree-150-leaves-1920x1080.png").write_bytes(screen.screenshot())
    expect(screen.locator(".ct-tick")).to_have_count(6)

    with ThreadPoolExecutor(max_workers=len(phones) + 1) as pool:  # each disconnect waits a moment
        list(pool.map(lambda client: client.disconnect(), [p.sio for p in phones] + [console]))
    for c in [*ctxs, fac_ctx]:
        c.close()

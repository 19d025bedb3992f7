"""Screenshots of every activity kind on a phone (390x844), the big screen (1920x1080) and the console.

Usage: python scripts/screenshots.py [OUT_DIR]   (starts its own server on a free port; needs chromium)
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live import FAC_EMAIL, FAC_PASSWORD, LiveServer, cookie_header, csrf, join  # noqa: E402

PEOPLE = [
    ("Priya Shah", "North Vale CCG", "NHS and health care"),
    ("Janet Reilly", "North Vale Council", "Local government"),
    ("Dr Sam Hughes", "Riverside MH Trust", "NHS and health care"),
    ("Insp. Karen Doyle", "Vale Constabulary", "Police and justice"),
    ("Marcus Bell", "Hearthstone Housing", "Housing"),
    ("Gareth Lloyd", "Vale CVS", "Voluntary and community sector"),
]

PROMPTS = {
    "check_in": "In one word, how are you arriving?",
    "stakeholder_map": "Who shapes mental-health outcomes in North Vale?",
    "open_space": "What do we need to talk about to work as one system?",
    "work_avoidance": "How does our system avoid the hard work?",
    "commitment_tree": "What will you do differently in the next 90 days?",
}


def seed(url: str, code: str, workshop_id: int, kind: str, activity_id: int, sims: list) -> None:
    """Simulated phones (python-socketio) put realistic content into the open activity."""
    import socketio

    if not sims:
        for name, org, sector in PEOPLE:
            http = join(url, code, name)
            sio = socketio.Client(reconnection=False)
            sio.connect(url, headers={"Cookie": cookie_header(http)}, auth={"workshop": workshop_id,
                        "role": "participant"}, transports=["websocket"])
            sims.append((sio, name, org, sector))
    calls = []
    if kind == "check_in":
        for (sio, *_), text in zip(sims, ["Hopeful", "Curious what housing brings", "Tired but here",
                                          "Ready to decide things", "Wary of another strategy", "Energised"]):
            calls.append((sio, "checkin:answer", {"text": text}))
    elif kind == "stakeholder_map":
        ids = []
        for sio, name, org, sector in sims:
            ack = sio.call("stakeholder:add", {"activity_id": activity_id, "name": name, "kind": "person",
                                               "organisation": org, "sector": sector, "influence": 3,
                                               "interest": 4, "confirm_new": True})
            ids.append(ack.get("data", {}).get("id"))
        for a, b in [(0, 1), (0, 2), (1, 3), (1, 4), (2, 3), (4, 5), (0, 5)]:
            if ids[a] and ids[b]:
                calls.append((sims[a][0], "relationship:add", {"source_id": ids[a], "target_id": ids[b],
                                                               "kind": "collaborates"}))
    elif kind == "open_space":
        for (sio, *_), title in zip(sims, ["Shared crisis pathway", "Housing first for discharge",
                                           "One data set", "Peer support in A&E", "Police time on MH calls",
                                           "Funding the voluntary sector"]):
            calls.append((sio, "topic:propose", {"title": title}))
    elif kind == "work_avoidance":
        from facilitator.analysis.checklist import DEFAULT_FORMS

        for i, (sio, *_) in enumerate(sims):
            for j, form in enumerate(DEFAULT_FORMS):
                calls.append((sio, "wa:rate", {"form_key": form["key"], "rating": (i + j * 3) % 5}))
    elif kind == "commitment_tree":
        for (sio, *_), text in zip(sims, ["I will bring housing into the crisis huddle by January",
                                          "I will share our referral data with the trust",
                                          "I will fund two peer-support posts",
                                          "I will join the police triage pilot",
                                          "I will ask tenants what would have helped",
                                          "I will hold a VCS roundtable every quarter"]):
            calls.append((sio, "commitment:post", {"text": text}))
    for sio, name, payload in calls:
        ack = sio.call(name, {"activity_id": activity_id, **payload})
        if not ack.get("ok"):
            print(kind, name, ack)


def items_ids(page) -> list[str]:
    return page.eval_on_selector_all(".agenda-item", "els => els.map(e => e.dataset.activityId)")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    server = LiveServer(Path(tempfile.mkdtemp())).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            fac = browser.new_context(viewport={"width": 1440, "height": 900})
            console = fac.new_page()
            console.goto(f"{server.url}/login")
            console.get_by_label("Email").fill(FAC_EMAIL)
            console.get_by_label("Password").fill(FAC_PASSWORD)
            console.get_by_role("button", name="Sign in").click()
            console.goto(f"{server.url}/workshops/new")
            console.get_by_label("Title").fill("North Vale mental health: working as one system")
            console.get_by_role("button", name="Create workshop").click()
            for kind, prompt in PROMPTS.items():
                html = console.content()
                console.request.post(console.url + "/activities", form={
                    "csrf_token": csrf(html), "kind": kind, "title": "", "prompt": prompt})
            console.reload()
            code = re.sub(r"\D", "", console.locator("p.muted strong.code").first.inner_text())
            screen = fac.new_page()
            screen.set_viewport_size({"width": 1920, "height": 1080})
            screen.goto(console.url + "/screen")
            workshop_id = int(re.search(r"/workshops/(\d+)", console.url).group(1))
            activity_ids = [int(a) for a in items_ids(console)]
            sims: list = []
            phones = []
            for name, org in [("Aisha Rahman", "Mind in North Vale"), ("Tom Okafor", "North Vale Council")]:
                ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                          is_mobile=True, has_touch=True)
                page = ctx.new_page()
                page.goto(f"{server.url}/j/{code}")
                page.get_by_label("Your name (optional)").fill(name)
                page.get_by_label("Your organisation (optional)").fill(org)
                page.get_by_role("button", name="Join the workshop").click()
                phones.append(page)
            screen.wait_for_timeout(800)
            screen.screenshot(path=str(out / "00-lobby-screen.png"))
            items = console.locator(".agenda-item")
            for index, kind in enumerate(PROMPTS):
                item = items.nth(index)
                item.get_by_role("button", name="Put on screen").click()
                item.get_by_role("button", name="Open", exact=True).click()
                console.wait_for_timeout(500)
                seed(server.url, code, workshop_id, kind, activity_ids[index], sims)
                console.wait_for_timeout(2000)
                phones[0].screenshot(path=str(out / f"{index + 1}-{kind}-phone.png"), full_page=True)
                screen.screenshot(path=str(out / f"{index + 1}-{kind}-screen.png"))
                console.screenshot(path=str(out / f"{index + 1}-{kind}-console.png"), full_page=True)
            browser.close()
    finally:
        server.stop()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "test-results/screenshots"))

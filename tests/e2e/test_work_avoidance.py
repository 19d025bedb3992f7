"""Three phones answer the work-avoidance checklist; the big screen shows only the count until the
facilitator reveals the results; a phone flags work avoidance live and the console sees it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations
from tests.e2e.test_workshop_live import PHONE, join_by_code, sign_in
from tests.live import LiveServer, create_workshop, csrf, facilitator_session

# Until the lead regenerates the migrations for this kind's new tables and columns, build the schema
# from the models and mark it as migrated, so `facilitator serve` finds it complete.
SCHEMA_FROM_MODELS = (
    "from flask_migrate import stamp\n"
    "from facilitator import create_app\n"
    "from facilitator.extensions import db\n"
    "app = create_app()\n"
    "with app.app_context():\n"
    "    db.create_all()\n"
    "    stamp()\n"
)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance: Path = tmp_path_factory.mktemp("e2e-wa")
    subprocess.run([sys.executable, "-c", SCHEMA_FROM_MODELS], check=True, capture_output=True, timeout=120,
                   env={**os.environ, "FACILITATOR_INSTANCE_PATH": str(instance)})
    server = LiveServer(instance).start()
    yield server
    server.stop()

FORMS = ("meetings_without_decisions", "papers_not_action", "outside_enemy")
ANSWERS = {  # phone -> rating label per form, in checklist order (outside enemy, papers, meetings)
    "Amira": ("Rarely", "Often", "All the time"),
    "Ben": ("Not at all", "Often", "Often"),
    "Cleo": ("Rarely", "Sometimes", "Often"),
}
PICKS = {
    "Amira": ("Meetings that decide nothing",),
    "Ben": ("Meetings that decide nothing", "Papers nobody acts on"),
    "Cleo": ("Meetings that decide nothing", "Papers nobody acts on"),
}


def test_three_phones_answer_and_the_facilitator_reveals(browser, live_server, artifacts):
    url = live_server.url
    s = facilitator_session(url)
    ws = create_workshop(s, url, "Vale integrated care summit", kinds=("work_avoidance",))
    aid = ws["activities"][0]
    settings_url = f"{url}/workshops/{ws['id']}/activities/{aid}"
    saved = s.post(settings_url, data={
        "csrf_token": csrf(s.get(settings_url).text), "title": "How do we avoid the hard work?",
        "prompt": "How present is each of these in our system?", "visibility": "anonymous",
        "wa_checklist": "builtin", "wa_keep": list(FORMS), "wa_suppress_below": "3", "wa_split_by": "none",
        "wa_group_min": "5"})
    assert saved.url.endswith(f"/workshops/{ws['id']}"), saved.url

    fac_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
    console = fac_ctx.new_page()
    sign_in(console, url)
    console.goto(f"{url}/workshops/{ws['id']}")
    screen = fac_ctx.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{url}/workshops/{ws['id']}/screen")
    expect(screen.locator("#net")).to_have_text("Connected")
    console.get_by_role("button", name="Put on screen").first.click()
    console.get_by_role("button", name="Open", exact=True).first.click()
    expect(screen.get_by_role("heading", name="How present is each of these in our system?")).to_be_visible()

    phone_ctxs = [browser.new_context(**PHONE) for _ in ANSWERS]
    phones = {name: ctx.new_page() for name, ctx in zip(ANSWERS, phone_ctxs, strict=True)}
    for name, page in phones.items():
        join_by_code(page, url, ws["code"], name)
        expect(page.get_by_role("heading", name="Blaming outside forces")).to_be_visible()
    artifacts.joinpath("wa-phone-card-390x844.png").write_bytes(phones["Amira"].screenshot(full_page=True))

    for name, page in phones.items():
        for i, label in enumerate(ANSWERS[name]):
            expect(page.locator(".wa-progress")).to_have_text(f"{i + 1} of 3")
            page.locator("label.wa-choice", has_text=label).click()
        expect(page.get_by_role("heading", name="Which one or two should we most tackle?")).to_be_visible()
        for form in PICKS[name]:
            page.get_by_label(form, exact=True).check()
        page.get_by_role("button", name="Save my choice").click()
        expect(page.locator(".wa-pick-status")).to_have_text("Your choice is saved.")
    artifacts.joinpath("wa-phone-picks-390x844.png").write_bytes(phones["Ben"].screenshot(full_page=True))

    # The count is live, the results are not: nobody is swayed before the reveal.
    expect(screen.locator(".wa-respondents")).to_have_text("3 people have answered")
    expect(screen.locator(".wa-hidden-title")).to_be_visible()
    expect(screen.locator(".wa-bar-row")).to_have_count(0)
    artifacts.joinpath("wa-screen-hidden-1920x1080.png").write_bytes(screen.screenshot())

    # A phone flags work avoidance live; the console sees it, anonymously.
    cleo = phones["Cleo"]
    cleo.get_by_role("button", name="I think we are avoiding the work").click()
    cleo.get_by_role("radio", name="Papers nobody acts on").check()
    cleo.get_by_role("button", name="Send flag").click()
    expect(cleo.locator(".wa-flag-status")).to_contain_text("Thank you")
    expect(console.locator("#wa-flags [data-wa-total]")).to_have_text("1")
    expect(console.locator(".wa-flags-recent")).to_contain_text("Papers nobody acts on")
    artifacts.joinpath("wa-phone-flag-390x844.png").write_bytes(cleo.screenshot(full_page=True))

    console.get_by_role("button", name="Reveal results on the big screen").click()
    expect(screen.locator(".wa-bar-row")).to_have_count(3)
    meetings = screen.locator(".wa-bar-row", has_text="Meetings that decide nothing")
    expect(meetings).to_contain_text("n=3 · avg 3.3")
    expect(meetings).to_have_class("wa-bar-row is-top")
    expect(screen.locator(".wa-priorities li").first).to_contain_text("Meetings that decide nothing")
    expect(screen.locator(".wa-priorities li").first).to_contain_text("chosen by 3")
    expect(console.get_by_role("button", name="Hide results from the big screen")).to_be_visible()
    artifacts.joinpath("wa-screen-revealed-1920x1080.png").write_bytes(screen.screenshot())
    artifacts.joinpath("wa-console-1440x900.png").write_bytes(console.screenshot(full_page=True))

    for page in (screen, phones["Amira"]):
        assert axe_violations(page) == []
    for ctx in [*phone_ctxs, fac_ctx]:
        ctx.close()

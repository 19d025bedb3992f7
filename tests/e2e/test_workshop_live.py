"""A facilitator runs a check-in; two phones join by code; one drops off and catches up."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations
from tests.live import FAC_EMAIL, FAC_PASSWORD

# bypass_csp only lets the test inject axe-core; the app itself runs under its strict policy.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "bypass_csp": True}


def sign_in(page, url):
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(FAC_EMAIL)
    page.get_by_label("Password").fill(FAC_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your workshops")).to_be_visible()


def join_by_code(phone, url, code, name):
    phone.goto(f"{url}/join")
    phone.get_by_label("Join code").fill(f"{code[:3]} {code[3:]}")
    phone.get_by_role("button", name="Join").click()
    phone.get_by_label("Your name (optional)").fill(name)
    phone.get_by_label("Your sector (optional)").select_option("Housing")
    phone.get_by_role("button", name="Join the workshop").click()
    expect(phone.locator("#net")).to_have_text("Connected")


def test_a_check_in_from_two_phones_reaches_the_big_screen(browser, live_server, artifacts):
    url = live_server.url
    fac_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
    console = fac_ctx.new_page()
    sign_in(console, url)

    console.get_by_role("link", name="New workshop").click()
    console.get_by_label("Title").fill("North Vale system summit")
    console.get_by_role("button", name="Create workshop").click()
    console.get_by_label("Question or prompt for participants").fill("In one word, how are you arriving?")
    console.get_by_role("button", name="Add to agenda").click()
    expect(console.locator(".agenda-item")).to_have_count(1)
    code = re.sub(r"\D", "", console.locator("p.muted strong.code").first.inner_text())
    assert len(code) == 6

    screen = fac_ctx.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(console.url + "/screen")
    expect(screen.locator(".lobby-code")).to_have_text(f"{code[:3]} {code[3:]}")
    expect(screen.locator("#net")).to_have_text("Connected")

    phone_ctxs = [browser.new_context(**PHONE) for _ in range(2)]
    alice, bob = (ctx.new_page() for ctx in phone_ctxs)
    join_by_code(alice, url, code, "Alice <b>Admin</b>")
    join_by_code(bob, url, code, "Bob")
    expect(screen.locator(".lobby-count [data-counter=joined]")).to_have_text("2")
    expect(alice.locator(".waiting")).to_be_visible()
    artifacts.joinpath("screen-lobby-1920x1080.png").write_bytes(screen.screenshot())

    console.get_by_role("button", name="Put on screen").first.click()
    console.get_by_role("button", name="Open", exact=True).first.click()
    for page in (alice, bob):
        expect(page.get_by_role("heading", name="In one word, how are you arriving?")).to_be_visible()
    expect(screen.get_by_role("heading", name="In one word, how are you arriving?")).to_be_visible()

    alice.get_by_label("Your answer").fill("Hopeful <script>alert(1)</script>")
    alice.get_by_role("button", name="Send").click()
    for page in (screen, bob, console):
        expect(page.locator(".wall-text").first).to_have_text("Hopeful <script>alert(1)</script>")
    expect(screen.locator(".wall-author").first).to_have_text("Alice <b>Admin</b>")
    expect(screen.locator(".join-strip [data-counter=answered]")).to_have_text("1")

    # Bob's phone loses the wifi, misses two answers, and catches up when it is back.
    phone_ctxs[1].set_offline(True)
    expect(bob.locator("#net")).to_contain_text("Offline")
    for text in ("Curious", "Tired but glad"):
        alice.get_by_label("Your answer").fill(text)
        alice.get_by_role("button", name="Send").click()
        expect(screen.locator(".wall-text", has_text=text)).to_be_visible()
    expect(bob.locator(".wall-text", has_text="Curious")).to_have_count(0)
    # While offline, Bob's own answer waits in the outbox and is sent once he is back.
    bob.get_by_label("Your answer").fill("Sent from the lift")
    bob.get_by_role("button", name="Send").click()
    expect(bob.locator("#net")).to_contain_text("waiting to send")
    phone_ctxs[1].set_offline(False)
    expect(bob.locator("#net")).to_have_text("Connected", timeout=15000)
    for text in ("Curious", "Tired but glad", "Sent from the lift"):
        expect(bob.locator(".wall-text", has_text=text)).to_have_count(1)
        expect(screen.locator(".wall-text", has_text=text)).to_have_count(1)

    artifacts.joinpath("phone-checkin-390x844.png").write_bytes(alice.screenshot(full_page=True))
    artifacts.joinpath("screen-checkin-1920x1080.png").write_bytes(screen.screenshot())
    artifacts.joinpath("console-checkin-1440x900.png").write_bytes(console.screenshot(full_page=True))

    # The facilitator hides an answer: it leaves the screen and phones say one is hidden.
    console.once("dialog", lambda dialog: dialog.accept("Off topic"))
    console.locator(".wall-card", has_text="Curious").get_by_role("button", name="Hide").click()
    expect(screen.locator(".wall-text", has_text="Curious")).to_have_count(0)
    expect(bob.locator("#hidden-note")).to_have_text("1 hidden by the facilitator")

    for page in (alice, screen):
        assert axe_violations(page) == []
    for ctx in phone_ctxs + [fac_ctx]:
        ctx.close()


def test_join_page_is_accessible(browser, live_server):
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/join")
    assert axe_violations(page) == []
    ctx.close()

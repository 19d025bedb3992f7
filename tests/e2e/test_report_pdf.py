"""From the console, the facilitator asks for the report PDF, carries on, and gets a download link
when it is ready (typeset in the background by a child process of the gevent server)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_workshop_live import sign_in


def test_the_console_prepares_the_pdf_in_the_background_and_offers_the_link(browser, live_server):
    url = live_server.url
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    console = ctx.new_page()
    sign_in(console, url)
    console.get_by_role("link", name="New workshop").click()
    console.get_by_label("Title").fill("North Vale PDF summit")
    console.get_by_role("button", name="Create workshop").click()
    expect(console.locator("#net")).to_have_text("Connected")

    console.get_by_role("button", name="Prepare the report PDF").click()
    status = console.locator("#pdf-status")
    expect(status).to_contain_text("Preparing the PDF")
    # The console stays live meanwhile: a timer can be started while the PDF is typeset.
    console.get_by_role("button", name="Start").click()
    expect(console.locator("#timer")).to_have_attribute("data-state", "running")

    expect(status).to_contain_text("The report PDF is ready.", timeout=120_000)
    link = status.get_by_role("link", name="Download the PDF")
    href = link.get_attribute("href")
    assert href and "job=" in href
    got = console.request.get(url + href)
    assert got.ok and got.headers["content-type"] == "application/pdf" and got.body().startswith(b"%PDF-")
    expect(console.get_by_role("button", name="Prepare the report PDF")).to_be_enabled()
    ctx.close()

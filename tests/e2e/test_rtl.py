"""A right-to-left language lays out mirrored: phone join page, phone activity, console, report, PDF.

The server is configured the way a site adds a language: LANGUAGES lists Arabic and a small Arabic
catalogue sits in an extra translations folder (Flask-Babel's BABEL_TRANSLATION_DIRECTORIES). The
browsers ask for Arabic (Accept-Language), as a phone set to Arabic would."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.live import (
    FAC_EMAIL,
    FAC_PASSWORD,
    LiveServer,
    cookie_header,
    create_workshop,
    facilitator_session,
)

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "ar"}
LAPTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "ar"}
TITLE = "قمة وادي الشمال"
PROMPT = "How are you arriving?"  # the helper's English prompt: Latin text must still sit on the right

# Our own words for the few messages these pages show (written for this test).
ARABIC = {
    "Facilitator": "الميسّر",
    "Skip to content": "انتقل إلى المحتوى",
    "Join a workshop": "انضم إلى ورشة عمل",
    "Join code": "رمز الانضمام",
    "The 6-digit code is on the big screen.": "الرمز المكوّن من ستة أرقام معروض على الشاشة الكبيرة.",
    "Join": "انضم",
    "You are joining": "أنت تنضم إلى",
    "Your name (optional)": "اسمك (اختياري)",
    "Your organisation (optional)": "مؤسستك (اختياري)",
    "Your sector (optional)": "قطاعك (اختياري)",
    "Leave it empty to take part without a name.": "اتركه فارغًا لتشارك دون اسم.",
    "Suggest a name": "اقترح اسمًا",
    "Join the workshop": "انضم إلى الورشة",
    "Connected": "متصل",
    "Your answer": "إجابتك",
    "Send": "أرسل",
    "Workshops": "ورش العمل",
    "Sign out": "تسجيل الخروج",
    "Agenda": "جدول الأعمال",
    "Who took part": "من شارك",
    "Housing": "الإسكان",
    "Language": "اللغة",
    "Change language": "تغيير اللغة",
}


def _arabic_catalogue(root: Path) -> Path:
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="ar", project="Facilitator RTL test")
    for msgid, text in ARABIC.items():
        catalog.add(msgid, text)
    folder = root / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    with (folder / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    return root


@pytest.fixture(scope="module")
def rtl_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    translations = _arabic_catalogue(tmp_path_factory.mktemp("translations"))
    env = {
        "FACILITATOR_LANGUAGES": json.dumps(["en", "ar"]),
        # The extra folder first, then the app's own catalogues (relative to the package).
        "FACILITATOR_BABEL_TRANSLATION_DIRECTORIES": f"{translations};translations",
    }
    server = LiveServer(tmp_path_factory.mktemp("rtl"), extra_env=env).start()
    yield server
    server.stop()


# Geometry read in the page ----------------------------------------------------------------------

def _rect(page: Any, selector: str) -> dict[str, float]:
    return page.eval_on_selector(selector, "el => el.getBoundingClientRect().toJSON()")


_MEASURE = """([textSel, boxSel, outer]) => {
    // Where an element's text is drawn (not its box, which for a block spans the whole line), and the
    // content box (inside padding and border; with `outer`, the border box) of the element it should
    // hug. Read together, in one go, so a scroll or a re-render between two reads cannot skew them.
    const range = document.createRange();
    range.selectNodeContents(document.querySelector(textSel));
    const text = range.getBoundingClientRect();
    const el = document.querySelector(boxSel), b = el.getBoundingClientRect(), s = getComputedStyle(el);
    const inset = (side) => outer ? 0
        : parseFloat(s["padding" + side]) + parseFloat(s["border" + side + "Width"]);
    return {textLeft: text.left, textRight: text.right,
            left: b.left + inset("Left"), right: b.right - inset("Right")};
}"""


def assert_text_hugs_the_right(page: Any, text: str, box: str, outer: bool = False) -> None:
    m = page.evaluate(_MEASURE, [text, box, outer])
    assert abs(m["textRight"] - m["right"]) <= 1.5, (text, box, m)
    if m["textRight"] - m["textLeft"] < (m["right"] - m["left"]) / 2:
        assert m["textLeft"] > m["left"] + 20, ("the text should sit at the right, not the left", m)


def assert_page_is_rtl_without_overflow(page: Any) -> None:
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


def assert_skip_link_at_the_right(page: Any) -> None:
    """Hidden past the right edge (the start side, which never scrolls), shown at the right on focus."""
    page.evaluate("window.scrollTo(0, 0)")
    width = page.evaluate("document.documentElement.clientWidth")
    hidden = _rect(page, ".skip")
    assert hidden["left"] >= width, ("parked off the right edge", hidden)
    page.locator(".skip").focus()
    box = _rect(page, ".skip")
    assert width - 20 <= box["right"] <= width, (box, width)
    assert box["left"] > width / 2, box
    page.locator(".skip").blur()


def assert_brand_at_the_right(page: Any, brand: str = ".topbar .brand") -> None:
    assert_text_hugs_the_right(page, brand, ".topbar")
    width = page.evaluate("document.documentElement.clientWidth")
    assert _rect(page, brand)["left"] > width / 2


def assert_code_reads_left_to_right(page: Any, selector: str, code: str) -> None:
    """A join code "764 906" shows its first group on the left, as it is typed, on any page."""
    expect(page.locator(selector).first).to_have_text(f"{code[:3]} {code[3:]}")
    first, last = page.eval_on_selector(selector, """el => {
        const node = el.firstChild, at = (a, b) => { const r = document.createRange();
            r.setStart(node, a); r.setEnd(node, b); return r.getBoundingClientRect().left; };
        return [at(0, 3), at(node.length - 3, node.length)]; }""")
    assert first < last, ("the code's groups are swapped", first, last)


def assert_label_over_its_input_at_the_right(page: Any, label: str, field: str) -> None:
    assert_text_hugs_the_right(page, label, field, outer=True)


# The flow ----------------------------------------------------------------------------------------

def test_an_arabic_phone_console_and_report_are_mirrored(browser, rtl_server, artifacts):
    url = rtl_server.url
    s = facilitator_session(url)
    ws = create_workshop(s, url, title=TITLE, kinds=("check_in",))

    # The facilitator's laptop asks for Arabic too.
    laptop = browser.new_context(**LAPTOP)
    console = laptop.new_page()
    console.goto(f"{url}/login")
    console.locator("input[name=email]").fill(FAC_EMAIL)
    console.locator("input[name=password]").fill(FAC_PASSWORD)
    console.locator("main button[type=submit]").click()
    console.wait_for_url(f"{url}/workshops")
    console.goto(f"{url}/workshops/{ws['id']}")
    expect(console.locator("html")).to_have_attribute("lang", "ar")
    expect(console.locator(".topbar .brand")).to_have_text(ARABIC["Facilitator"])
    expect(console.locator("#net")).to_have_text(ARABIC["Connected"])
    console.get_by_role("button", name="Put on screen").first.click()
    console.get_by_role("button", name="Open", exact=True).first.click()

    # Phone: the code page and the join form.
    phone_ctx = browser.new_context(**PHONE)
    phone = phone_ctx.new_page()
    phone.goto(f"{url}/join")
    expect(phone.get_by_role("heading", name=ARABIC["Join a workshop"])).to_be_visible()
    assert_page_is_rtl_without_overflow(phone)
    assert_label_over_its_input_at_the_right(phone, "label[for=code]", "#code")
    phone.get_by_label(ARABIC["Join code"]).fill(f"{ws['code'][:3]} {ws['code'][3:]}")
    # What is typed in the code box keeps its order (digits and a space would otherwise run right to left).
    assert phone.eval_on_selector("#code", "el => getComputedStyle(el).direction") == "ltr"
    artifacts.joinpath("rtl-phone-code-390x844.png").write_bytes(phone.screenshot())
    phone.get_by_role("button", name=ARABIC["Join"], exact=True).click()

    expect(phone.get_by_text(ARABIC["You are joining"])).to_be_visible()
    assert_page_is_rtl_without_overflow(phone)
    assert_brand_at_the_right(phone)
    assert_skip_link_at_the_right(phone)
    assert_label_over_its_input_at_the_right(phone, "label[for=display_name]", ".with-button")
    assert_label_over_its_input_at_the_right(phone, "label[for=organisation]", "#organisation")
    assert_label_over_its_input_at_the_right(phone, "label[for=sector]", "#sector")
    for field in ("#display_name", "#organisation", "#sector"):  # what people type runs right to left
        assert phone.eval_on_selector(field, "el => getComputedStyle(el).direction") == "rtl"
    # The name box and its "Suggest a name" button: the box starts at the right, the button ends left.
    name_box, suggest = _rect(phone, "#display_name"), _rect(phone, "#suggest-name")
    assert suggest["right"] < name_box["left"], (name_box, suggest)
    assert_text_hugs_the_right(phone, ".card h1", ".card")
    artifacts.joinpath("rtl-phone-join-390x844.png").write_bytes(phone.screenshot(full_page=True))

    phone.get_by_label(ARABIC["Your name (optional)"]).fill("ليلى")
    phone.get_by_label(ARABIC["Your sector (optional)"]).select_option("Housing")
    phone.get_by_role("button", name=ARABIC["Join the workshop"]).click()

    # Phone: the activity.
    expect(phone.locator("#net")).to_have_text(ARABIC["Connected"])
    expect(phone.get_by_role("heading", name=PROMPT)).to_be_visible()
    assert_page_is_rtl_without_overflow(phone)
    assert_skip_link_at_the_right(phone)
    assert_brand_at_the_right(phone, ".phone-title")
    title, me = _rect(phone, ".phone-title"), _rect(phone, ".me-link")
    assert me["right"] < title["left"], "the name link sits at the left end of the bar"
    assert_text_hugs_the_right(phone, ".phone-stage .prompt", ".phone-stage")
    answer = phone.get_by_label(ARABIC["Your answer"])
    answer.fill("متفائلة وجاهزة")
    phone.get_by_role("button", name=ARABIC["Send"]).click()
    expect(phone.locator(".wall-text").first).to_have_text("متفائلة وجاهزة")
    assert_text_hugs_the_right(phone, ".wall-text", ".wall-card")
    artifacts.joinpath("rtl-phone-checkin-390x844.png").write_bytes(phone.screenshot(full_page=True))

    # Console: brand right, navigation left, the agenda (first column) on the right, status bottom left.
    expect(console.locator(".wall-text").first).to_have_text("متفائلة وجاهزة")
    assert_page_is_rtl_without_overflow(console)
    assert_brand_at_the_right(console)
    assert_skip_link_at_the_right(console)
    nav, brand = _rect(console, ".topnav"), _rect(console, ".topbar .brand")
    assert nav["right"] < brand["left"]
    columns = console.eval_on_selector_all(".console-grid > *",
                                           "els => els.map(e => e.getBoundingClientRect().toJSON())")
    assert len(columns) >= 2
    assert columns[0]["left"] > columns[1]["right"], "the agenda is the first column, so the rightmost"
    assert_code_reads_left_to_right(console, "strong.code", ws["code"])
    net = _rect(console, "#net")
    assert net["left"] < 20 and net["right"] < 1440 / 2, net
    staged = console.locator(".agenda-item").first
    marker_side = staged.evaluate("el => getComputedStyle(el.parentElement).paddingRight")
    assert marker_side == "19.2px", marker_side  # the list numbers hang on the right (1.2rem)
    flash = console.locator(".flash").first  # "Phones cannot reach 127.0.0.1...": its stripe is on the right
    expect(flash).to_be_visible()
    assert flash.evaluate("el => getComputedStyle(el).borderRightWidth") == "6px"
    assert flash.evaluate("el => getComputedStyle(el).borderLeftWidth") == "0px"
    artifacts.joinpath("rtl-console-1440x900.png").write_bytes(console.screenshot(full_page=True))

    # Big screen (it follows the laptop's language here): the join strip starts with the QR at the right.
    screen = laptop.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{url}/workshops/{ws['id']}/screen")
    expect(screen.locator(".screen-stage .wall-text").first).to_have_text("متفائلة وجاهزة")
    assert_page_is_rtl_without_overflow(screen)
    qr, counters = _rect(screen, ".qr-strip"), _rect(screen, ".join-strip .counters")
    assert qr["right"] > 1920 - 40 and counters["right"] < qr["left"], (qr, counters)
    assert_text_hugs_the_right(screen, ".screen-stage .prompt", ".screen-stage")
    assert_code_reads_left_to_right(screen, ".join-strip .code", ws["code"])
    artifacts.joinpath("rtl-screen-1920x1080.png").write_bytes(screen.screenshot())
    screen.close()

    # The review report.
    console.goto(f"{url}/workshops/{ws['id']}/report")
    expect(console.get_by_role("heading", name=ARABIC["Who took part"])).to_be_visible()
    assert_page_is_rtl_without_overflow(console)
    assert_text_hugs_the_right(console, ".rv-cover h1", ".rv-report")
    wall_item = console.locator(".rv-wall li").first  # its coloured edge is on the start side, the right
    assert wall_item.evaluate("el => getComputedStyle(el).borderRightWidth") == "4px"
    # The charts keep their drawn geometry: a sector's name ends where it was drawn to end, just
    # before its bar (on a right-to-left page "end" would otherwise put it across the bar).
    label = console.evaluate(
        """() => { const t = document.querySelector('.rv-chart svg text[text-anchor=end]');
                   const b = t.getBBox();
                   return {x: +t.getAttribute('x'), left: b.x, right: b.x + b.width,
                           text: t.textContent}; }"""
    )
    assert label["text"] == ARABIC["Housing"]
    assert abs(label["right"] - label["x"]) <= 1.5 and label["left"] < label["x"] - 10, label
    artifacts.joinpath("rtl-report-1440.png").write_bytes(console.screenshot(full_page=True))

    # The PDF: the title heads each page at the right, the page numbers are at the bottom left.
    pdf = requests.get(f"{url}/workshops/{ws['id']}/report.pdf",
                       headers={"Cookie": cookie_header(s) + "; lang=ar"}, timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    artifacts.joinpath("rtl-report.pdf").write_bytes(pdf.content)
    title_x, number_x, page_width = _pdf_margin_text(pdf.content)
    assert title_x > page_width / 2, (title_x, page_width)
    assert number_x < page_width / 2, (number_x, page_width)

    laptop.close()
    phone_ctx.close()


def _pdf_margin_text(data: bytes) -> tuple[float, float, float]:
    """x (PDF points) of the running title, drawn in the top margin, and of the page number in the bottom
    margin, on the first page."""
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(data)).pages[0]
    height, width = float(page.mediabox.height), float(page.mediabox.width)
    found: dict[str, float] = {}

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        if text.strip() and y > height - 60 * 72 / 96 and "title" not in found:
            found["title"] = x
        if re.fullmatch(r"\d+ / \d+", text.strip()) and y < 60:  # "1 / 2" (shown as "2 / 1" right to left)
            found["number"] = x

    page.extract_text(visitor_text=visit)
    assert "title" in found and "number" in found, found
    return found["title"], found["number"], width

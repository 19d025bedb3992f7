"""Two phones in one workshop, one in Japanese and one in Welsh, take part in every kind of activity while
the big screen keeps its own language (German, set in the console).

The Japanese phone gets its language from the browser (Accept-Language, as a phone set to Japanese does);
the Welsh phone starts in English and picks Cymraeg with the switcher at the foot of its page. Expected
words come from the shipped catalogues (Flask-Babel's gettext under force_locale), never written here, so
the test follows the translators. A third phone, in German, only looks on: its layout is checked too.
Screenshots of each phone in each activity (390x844) and of the big screen go to test-results/lang-*.png."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from tests.e2e.test_workshop_live import sign_in
from tests.live import LiveServer, create_workshop, csrf, facilitator_session

TRANSLATIONS = Path(__file__).resolve().parents[2] / "facilitator" / "translations"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
KINDS = ("check_in", "stakeholder_map", "open_space", "work_avoidance", "commitment_tree")
PROMPTS = {  # what the facilitator types: shown as typed on every phone
    "check_in": "One line: how are you arriving today?",
    "stakeholder_map": "Who shapes mental-health outcomes in North Vale?",
    "open_space": "What do we need to talk about to work as one system?",
    "work_avoidance": "How present is each of these in North Vale?",
    "commitment_tree": "What will you do differently in the next 90 days?",
}
SCREEN_LANG = "de"
# Controls every phone needs: each has its own words in Japanese and Welsh, never the English.
KEY_CONTROLS = ("Change language", "Connected", "Your answer", "Send", "Add a stakeholder", "Add", "Topic",
                "Convene it", "I'm interested", "Often", "I will …", "Commit", "Your commitments")
# What each person writes, in their own language.
WRITES = {
    "ja": {"name": "佐藤 花子", "answer": "期待しています。住宅の人が初めて同じ部屋にいます。",
           "stakeholder": "北ヴェール市役所 住宅課", "topic": "退院後すぐに住まいを",
           "commitment": "一月までに住宅担当を危機会議に招きます"},
    "cy": {"name": "Gwenllian Puw", "answer": "Gobeithiol: mae pawb yn yr un ystafell o'r diwedd.",
           "stakeholder": "Cymdeithas Tai Cwm Taf", "topic": "Rhannu data heb aros am gyfreithwyr",
           "commitment": "Byddaf yn gwahodd tenantiaid i'r cyfarfod nesaf erbyn mis Ionawr"},
    "de": {"name": "Jürgen Weißmüller"},
}


# Catalogues ---------------------------------------------------------------------------------------


class Words:
    """The shipped translations, looked up the way the app does (Flask-Babel, the compiled catalogues)."""

    def __init__(self) -> None:
        from facilitator import create_app

        self.app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        self._po: dict[str, dict[str, str]] = {}

    def __call__(self, lang: str, msgid: str, **values: Any) -> str:
        from flask_babel import force_locale, gettext

        with self.app.test_request_context(), force_locale(lang):
            text = gettext(msgid)
        return _fill(text, values)

    def ctx(self, lang: str, context: str, msgid: str) -> str:
        from flask_babel import force_locale, pgettext

        with self.app.test_request_context(), force_locale(lang):
            return pgettext(context, msgid)

    def plural(self, lang: str, singular: str, plural: str, n: int) -> str:
        from flask_babel import force_locale, ngettext

        with self.app.test_request_context(), force_locale(lang):
            return _fill(ngettext(singular, plural, n), {"n": n})

    def translated(self, lang: str) -> dict[str, str]:
        """English -> translation, for every plain message this language translates differently."""
        if lang not in self._po:
            with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            self._po[lang] = {m.id: m.string for m in catalog
                              if isinstance(m.id, str) and m.id and m.string and not m.fuzzy
                              and m.string != m.id and not m.context}
        return self._po[lang]


def _fill(text: str, values: dict[str, Any]) -> str:
    # Browser messages use {name}; Python ones %(name)s. Fill either, as the page would.
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value)).replace(f"%({key})s", str(value))
    return text


@pytest.fixture(scope="module")
def words() -> Words:
    return Words()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("e2e-languages")).start()
    yield server
    server.stop()


# Checks on a page -----------------------------------------------------------------------------------

# Every text a person sees or hears on the page: text nodes outside scripts, and labels in attributes.
_VISIBLE_TEXTS = """() => {
  const out = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest("script,style,template,[hidden]")) continue;
    const t = n.nodeValue.trim();
    if (t) out.add(t);
  }
  for (const el of document.querySelectorAll("[aria-label],[placeholder],[title],img[alt]")) {
    for (const a of ["aria-label", "placeholder", "title", "alt"]) {
      const v = (el.getAttribute(a) || "").trim();
      if (v) out.add(v);
    }
  }
  return [...out];
}"""


def leftover_english(page: Any, words: Words, lang: str) -> list[str]:
    """Texts on the page that are English messages the catalogue translates: they should not be there."""
    translated = words.translated(lang)
    return sorted(t for t in page.evaluate(_VISIBLE_TEXTS) if t in translated)


# Controls wider than the screen, or whose words do not fit inside them.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > width + 1) out.push("page scrolls sideways: " +
      document.documentElement.scrollWidth + " > " + width);
  const sel = "button, a.button, label, summary, select, input, textarea, h1, h2, h3, legend, .badge, "
    + ".os-steps li";
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest("[hidden], .visually-hidden, .ct-vh")) continue;
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none") continue;
    const classes = el.className ? "." + String(el.className).split(" ").join(".") : "";
    const words = (el.textContent || el.value || "").trim().slice(0, 40);
    const name = el.tagName.toLowerCase() + classes + " '" + words + "'", where = r.left + ".." + r.right;
    if (r.right <= 0 || r.left >= width) continue;  // parked off the screen on purpose (skip links, sr text)
    if (r.left < -1 || r.right > width + 1) out.push(name + " goes past the screen: " + where);
    if (["BUTTON", "SUMMARY", "A", "LABEL", "LEGEND", "H1", "H2", "H3"].includes(el.tagName)
        && el.scrollWidth > el.clientWidth + 1 && s.overflowX !== "auto" && s.overflowX !== "scroll")
      out.push(name + " clips its words: " + el.scrollWidth + " > " + el.clientWidth);
  }
  return out;
}"""


def check_layout(page: Any) -> None:
    problems = page.evaluate(_OVERFLOWING)
    assert problems == [], problems


def check_page(page: Any, words: Words, lang: str, shot: Path) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    check_layout(page)
    left = leftover_english(page, words, lang)
    assert left == [], f"English left on the {lang} phone: {left}"
    ours = set(words.translated(lang).values())
    assert len([t for t in page.evaluate(_VISIBLE_TEXTS) if t in ours]) >= 5, "the page is hardly in " + lang
    page.evaluate("window.scrollTo(0, 0)")
    shot.write_bytes(page.screenshot(full_page=True))


def db_rows(server: LiveServer, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(server.instance / "facilitator.db") as con:
        return con.execute(sql, args).fetchall()


# The flow ---------------------------------------------------------------------------------------------


def test_japanese_and_welsh_phones_take_part_while_the_screen_speaks_german(browser, live_server, artifacts,
                                                                            words):
    for lang in ("ja", "cy"):
        english = [m for m in KEY_CONTROLS if words(lang, m) == m]
        assert english == [], f"key controls with no {lang} translation: {english}"
    url = live_server.url
    s = facilitator_session(url)
    ws = create_workshop(s, url, title="North Vale: one system", kinds=())
    for kind in KINDS:
        html = s.get(f"{url}/workshops/{ws['id']}").text
        s.post(f"{url}/workshops/{ws['id']}/activities",
               data={"csrf_token": csrf(html), "kind": kind, "title": "", "prompt": PROMPTS[kind]})
    activity = dict(zip(KINDS, _agenda(s, url, ws["id"]), strict=True))

    # The console (an English laptop) sets the big screen's language in the workshop's details.
    laptop = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    console = laptop.new_page()
    sign_in(console, url)
    console.goto(f"{url}/workshops/{ws['id']}/edit")
    console.get_by_label("Language of the big screen").select_option(SCREEN_LANG)
    console.get_by_role("button", name="Save", exact=True).click()
    console.goto(f"{url}/workshops/{ws['id']}")
    expect(console.locator("html")).to_have_attribute("lang", "en")
    screen = laptop.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{url}/workshops/{ws['id']}/screen")
    expect(screen.locator("html")).to_have_attribute("lang", SCREEN_LANG)
    expect(screen.locator("#net")).to_have_text(words(SCREEN_LANG, "Connected"))

    # Japanese: the phone's own language. Welsh: an English phone that picks Cymraeg at the foot of the page.
    ja_ctx = browser.new_context(**PHONE, locale="ja-JP")
    cy_ctx = browser.new_context(**PHONE, locale="en-GB")
    # A third phone, in German (long compound words), only looks on: its layout is checked in every activity.
    de_ctx = browser.new_context(**PHONE, locale="de-DE")
    errors: list[str] = []
    for c in (ja_ctx, cy_ctx, de_ctx, laptop):
        c.on("weberror", lambda e: errors.append(str(e.error)))
    ja, cy, de = ja_ctx.new_page(), cy_ctx.new_page(), de_ctx.new_page()
    phones = {"ja": ja, "cy": cy}
    for lang, page in [*phones.items(), ("de", de)]:
        page.goto(f"{url}/j/{ws['code']}")
        if lang != "cy":  # the Welsh phone is still in English here
            check_page(page, words, lang, artifacts / f"lang-{lang}-0-join-390x844.png")
        page.locator("#display_name").fill(WRITES[lang]["name"])
        page.locator("main button[type=submit]").click()
        page.wait_for_url(re.compile(r"/live$"))
    expect(ja.locator("html")).to_have_attribute("lang", "ja")
    expect(cy.locator("html")).to_have_attribute("lang", "en")
    expect(cy.locator("#net")).to_have_text("Connected")
    cy.locator("footer select[name=lang]").select_option(label="Cymraeg")
    cy.locator("footer").get_by_role("button", name=words("en", "Change language")).click()
    expect(cy.locator("html")).to_have_attribute("lang", "cy")
    assert {"name": "lang", "value": "cy"}.items() <= next(
        c for c in cy_ctx.cookies(url) if c["name"] == "lang").items()
    for lang, page in phones.items():
        expect(page.locator("#net")).to_have_text(words(lang, "Connected"))
        expect(page.locator(".waiting")).to_have_text(
            words(lang, "Waiting for the facilitator to start an activity…"))
        # The switcher is in the phone's language and shows the phone's language as chosen.
        switch = page.locator("footer").get_by_role("button", name=words(lang, "Change language"))
        expect(switch).to_be_visible()
        expect(page.locator("footer select[name=lang] option:checked")).to_have_attribute("value", lang)
        check_page(page, words, lang, artifacts / f"lang-{lang}-0-waiting-390x844.png")

    items = console.locator(".agenda-item")

    def onlooker(shot: str, kind: str) -> None:
        expect(de.get_by_role("heading", name=PROMPTS[kind])).to_be_visible()
        check_page(de, words, "de", artifacts / f"lang-de-{shot}-390x844.png")

    def stage(index: int) -> None:
        item = items.nth(index)
        item.get_by_role("button", name="Put on screen").click()
        expect(item).to_have_class(re.compile(r"\bis-staged\b"))
        item.get_by_role("button", name="Open", exact=True).click()
        expect(item.locator("[data-role=phase]")).to_have_text(words.ctx("en", "activity status", "Open"))

    def screen_keeps_german() -> None:
        expect(screen.locator("html")).to_have_attribute("lang", SCREEN_LANG)
        expect(screen.locator("#net")).to_have_text(words(SCREEN_LANG, "Connected"))
        left = leftover_english(screen, words, SCREEN_LANG)
        assert left == [], f"English on the German big screen: {left}"
        for lang in ("ja", "cy"):  # nothing of the phones' own words leaks to the screen
            mine = {v for k, v in words.translated(lang).items() if k not in words.translated(SCREEN_LANG)
                    or words.translated(SCREEN_LANG)[k] != v}
            leak = [t for t in screen.evaluate(_VISIBLE_TEXTS) if t in mine]
            assert leak == [], f"{lang} words on the big screen: {leak}"

    def screen_shot(name: str) -> None:
        check_layout(screen)
        artifacts.joinpath(f"lang-screen-{SCREEN_LANG}-{name}-1920x1080.png").write_bytes(screen.screenshot())

    # 1. Check-in -----------------------------------------------------------------------------------
    stage(0)
    for lang, page in phones.items():
        expect(page.get_by_role("heading", name=PROMPTS["check_in"])).to_be_visible()
        page.get_by_label(words(lang, "Your answer")).fill(WRITES[lang]["answer"])
        page.get_by_role("button", name=words(lang, "Send"), exact=True).click()
        expect(page.locator(".form-status")).to_have_text(words(lang, "Saved"))
        expect(page.locator(".wall-text", has_text=WRITES[lang]["answer"])).to_be_visible()
    for lang, page in phones.items():
        expect(page.locator(".wall-text")).to_have_count(2)
        check_page(page, words, lang, artifacts / f"lang-{lang}-1-check_in-390x844.png")
    onlooker("1-check_in", "check_in")
    expect(screen.locator(".wall-text")).to_have_count(2)
    screen_keeps_german()
    screen_shot("1-check_in")
    answers = {t for (t,) in db_rows(live_server, "SELECT text FROM check_in_answer WHERE activity_id = ?",
                                     activity["check_in"])}
    assert answers == {WRITES["ja"]["answer"], WRITES["cy"]["answer"]}

    # 2. Stakeholder map ----------------------------------------------------------------------------
    stage(1)
    for lang, page in phones.items():
        expect(page.get_by_role("heading", name=PROMPTS["stakeholder_map"])).to_be_visible()
        add = page.locator("details.map-section",
                           has=page.locator("summary", has_text=words(lang, "Add a stakeholder")))
        expect(add).to_have_attribute("open", "")
        add.get_by_label(words(lang, "Name"), exact=True).fill(WRITES[lang]["stakeholder"])
        # The built-in kinds are stored in English and shown in the phone's language.
        kind = add.get_by_label(words(lang, "Kind"), exact=True)
        expect(kind.locator("option", has_text=words(lang, "organisation"))).to_have_count(1)
        kind.select_option(label=words(lang, "organisation"))
        add.get_by_role("button", name=words(lang, "Add"), exact=True).click()
        expect(page.locator(".map-name", has_text=WRITES[lang]["stakeholder"])).to_be_visible()
    for lang, page in phones.items():
        expect(page.locator(".map-item")).to_have_count(2)
        mine = page.locator(".map-item", has_text=WRITES[lang]["stakeholder"]).locator(".badge.mine")
        expect(mine).to_have_text(words(lang, "Added by you"))
        expect(page.locator(".map-thumb figcaption")).to_contain_text(
            words.plural(lang, "{n} stakeholder", "{n} stakeholders", 2))
        # The server's picture of the map reaches the phone (it is refreshed a few seconds after a change).
        page.wait_for_function("() => document.querySelector('.map-thumb-img').naturalWidth > 0",
                               timeout=10000)
        check_page(page, words, lang, artifacts / f"lang-{lang}-2-stakeholder_map-390x844.png")
    onlooker("2-stakeholder_map", "stakeholder_map")
    screen_keeps_german()
    screen_shot("2-stakeholder_map")
    rows = db_rows(live_server, "SELECT name, kind FROM stakeholder_map_stakeholder WHERE activity_id = ?",
                   activity["stakeholder_map"])
    assert sorted(rows) == sorted([(WRITES["ja"]["stakeholder"], "organisation"),
                                   (WRITES["cy"]["stakeholder"], "organisation")])

    # 3. Open Space: each convenes a topic and is interested in the other's ---------------------------
    stage(2)
    for lang, page in phones.items():
        expect(page.locator(".os-steps [aria-current=step]")).to_contain_text(words(lang, "Marketplace"))
        page.get_by_label(words(lang, "Topic"), exact=True).fill(WRITES[lang]["topic"])
        page.get_by_role("button", name=words(lang, "Convene it")).click()
        expect(page.locator(".os-topic-title", has_text=WRITES[lang]["topic"])).to_be_visible()
    for lang, other in (("ja", "cy"), ("cy", "ja")):
        page = phones[lang]
        card = page.locator(".os-topic", has_text=WRITES[other]["topic"])
        card.get_by_role("button", name=words(lang, "I'm interested")).click()
        expect(card.get_by_role("button", name=words(lang, "Interested ✓"))).to_be_visible()
        expect(page.locator(".os-topic", has_text=WRITES[lang]["topic"]).locator(".badge")).to_have_text(
            words(lang, "You convene this"))
    for lang, page in phones.items():
        expect(page.locator(".os-topic", has_text=WRITES[lang]["topic"])).to_contain_text(
            words.plural(lang, "{n} interested", "{n} interested", 1))
        check_page(page, words, lang, artifacts / f"lang-{lang}-3-open_space-390x844.png")
    onlooker("3-open_space", "open_space")
    expect(screen.locator(".os-steps [aria-current=step]")).to_contain_text(words(SCREEN_LANG, "Marketplace"))
    expect(screen.locator(".os-topic", has_text=WRITES["ja"]["topic"])).to_contain_text(
        words.plural(SCREEN_LANG, "{n} interested", "{n} interested", 1))
    screen_keeps_german()
    screen_shot("3-open_space")
    topics = dict(db_rows(live_server, "SELECT title, id FROM open_space_topic WHERE activity_id = ?",
                          activity["open_space"]))
    assert set(topics) == {WRITES["ja"]["topic"], WRITES["cy"]["topic"]}
    interest = db_rows(live_server, "SELECT topic_id FROM open_space_interest WHERE topic_id IN (?, ?)",
                       *topics.values())
    assert sorted(t for (t,) in interest) == sorted(topics.values())

    # 4. Work avoidance: each rates the first form ------------------------------------------------
    from facilitator.analysis.checklist import DEFAULT_FORMS

    stage(3)
    rated_keys: list[str] = []
    for lang, page in phones.items():
        expect(page.get_by_role("heading", name=PROMPTS["work_avoidance"])).to_be_visible()
        expect(page.locator(".wa-anon")).to_have_text(
            words(lang, "Anonymous: nobody, the facilitators included, can see who answered what."))
        heading = page.locator(".wa-body h3").first
        expect(heading).to_be_visible()
        names = {words(lang, f["name"]): f["key"] for f in DEFAULT_FORMS}
        shown = heading.inner_text().strip()
        assert shown in names, f"{shown!r} is not a {lang} name of a built-in form"
        total = len(DEFAULT_FORMS)
        expect(page.locator(".wa-progress")).to_have_text(words(lang, "{i} of {n}", i=1, n=total))
        check_page(page, words, lang, artifacts / f"lang-{lang}-4-work_avoidance-390x844.png")
        page.locator("label.wa-choice", has_text=words(lang, "Often")).click()
        expect(page.locator(".wa-progress")).to_have_text(words(lang, "{i} of {n}", i=2, n=total))
        rated_keys.append(names[shown])
    onlooker("4-work_avoidance", "work_avoidance")
    rated = db_rows(live_server, "SELECT participant_id, form_key, rating FROM work_avoidance_rating "
                    "WHERE activity_id = ?", activity["work_avoidance"])
    assert sorted(r[1:] for r in rated) == sorted((key, 3) for key in rated_keys)  # "Often" is 3 of 0-4
    assert len({r[0] for r in rated}) == 2  # one rating from each phone
    expect(screen.locator(".wa-respondents")).to_have_text(
        words.plural(SCREEN_LANG, "{n} person has answered", "{n} people have answered", 2))
    expect(screen.locator(".wa-hidden-title")).to_have_text(
        words(SCREEN_LANG, "Results are hidden until the facilitator reveals them"))
    screen_keeps_german()
    screen_shot("4-work_avoidance")

    # 5. Commitment tree -------------------------------------------------------------------------------
    stage(4)
    for lang, page in phones.items():
        expect(page.get_by_role("heading", name=PROMPTS["commitment_tree"])).to_be_visible()
        page.get_by_label(words(lang, "I will …"), exact=True).fill(WRITES[lang]["commitment"])
        page.get_by_role("button", name=words(lang, "Commit"), exact=True).click()
        expect(page.locator(".ct-mine")).to_contain_text(WRITES[lang]["commitment"])
        expect(page.locator(".ct-mine-box h3")).to_have_text(words(lang, "Your commitments"))
        expect(page.get_by_role("button", name=words(lang, "Copy link"))).to_be_visible()
        check_page(page, words, lang, artifacts / f"lang-{lang}-5-commitment_tree-390x844.png")
    onlooker("5-commitment_tree", "commitment_tree")
    screen_keeps_german()
    commitments = {t for (t,) in db_rows(live_server, "SELECT text FROM commitment_tree_commitment "
                                         "WHERE activity_id = ?", activity["commitment_tree"])}
    assert commitments == {WRITES["ja"]["commitment"], WRITES["cy"]["commitment"]}
    screen_shot("5-commitment_tree")

    assert errors == [], errors
    for c in (ja_ctx, cy_ctx, de_ctx, laptop):
        c.close()


def _agenda(s: Any, url: str, workshop_id: int) -> list[int]:
    html = s.get(f"{url}/workshops/{workshop_id}").text
    return [int(a) for a in re.findall(r'class="agenda-item[^"]*" data-activity-id="(\d+)"', html)]


def test_the_big_screens_tree_picture_speaks_the_screens_language(live_server, words):
    """The big screen draws the commitment tree from tree.svg (?for=screen), fetched with the laptop's
    cookies and languages: its own words (the single branch's name, the count) are the screen's language."""
    url = live_server.url
    s = facilitator_session(url)
    s.headers["Accept-Language"] = "en-GB,en;q=0.9"
    ws = create_workshop(s, url, title="Tree words", kinds=("commitment_tree",))
    edit = f"{url}/workshops/{ws['id']}/edit"
    saved = s.post(edit, data={"csrf_token": csrf(s.get(edit).text), "title": "Tree words",
                               "screen_language": SCREEN_LANG})
    assert saved.ok
    html = s.get(f"{url}/workshops/{ws['id']}/screen").text
    assert f'lang="{SCREEN_LANG}"' in html
    svg = s.get(f"{url}/workshops/{ws['id']}/activities/{ws['activities'][0]}/tree.svg?title=0&v=0&for=screen")
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    texts = re.findall(r"<text\b[^>]*>(.*?)</text>", svg.text, re.S)
    drawn = [re.sub(r"<[^>]+>", "", t).strip() for t in texts]
    english = [t for t in drawn if re.search(r"\b(commitments?|No theme yet)\b", t)]
    assert english == [], f"English on the {SCREEN_LANG} big screen's tree: {english}"


def test_a_phone_on_slow_wifi_still_sees_the_activity_open(browser, live_server):
    """Phones ask for their own state when an activity goes on stage (a staged broadcast carries no words)
    and load its kind's script: an "Open" that arrives meanwhile is applied once the activity shows, not
    lost (the phone used to say "not open yet" until reloaded)."""
    url = live_server.url
    s = facilitator_session(url)
    ws = create_workshop(s, url, title="Slow wifi", kinds=("check_in",))
    laptop = browser.new_context(viewport={"width": 1440, "height": 900})
    console = laptop.new_page()
    sign_in(console, url)
    console.goto(f"{url}/workshops/{ws['id']}")
    expect(console.locator("#net")).to_have_text("Connected")
    phone_ctx = browser.new_context(**PHONE)

    def slowly(route: Any) -> None:
        time.sleep(1.5)  # the kind's script takes a while to arrive over the venue's wifi
        route.continue_()

    phone_ctx.route(re.compile(r".*/static/js/kinds/check_in\.js.*"), slowly)
    phone = phone_ctx.new_page()
    phone.goto(f"{url}/j/{ws['code']}")
    phone.locator("main button[type=submit]").click()
    expect(phone.locator("#net")).to_have_text("Connected")
    item = console.locator(".agenda-item").first
    item.get_by_role("button", name="Put on screen").click()
    item.get_by_role("button", name="Open", exact=True).click()
    expect(item.locator("[data-role=phase]")).to_have_text("Open")
    expect(phone.locator("#checkin-text")).to_be_enabled(timeout=10000)
    phone.locator("#checkin-text").fill("Here at last")
    phone.locator("#stage button[type=submit]").click()
    expect(phone.locator(".wall-text")).to_have_text("Here at last")
    laptop.close()
    phone_ctx.close()

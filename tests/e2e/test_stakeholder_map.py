"""Two phones build a small stakeholder map through the phone forms; the big screen and the console
show it, and the facilitator works the console: colour, focus, filter, grid, table, losses, needed ties."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations
from tests.e2e.test_workshop_live import PHONE, join_by_code, sign_in

NODES = """() => window.__stakeholderMap
  ? window.__stakeholderMap.cy.nodes().not('.grid-label, .grid-corner').map((n) => n.data('label')).sort()
  : null"""
HOSTILE = "Council <b>bold</b> <img src=x onerror=alert(1)>"


def open_section(page, name):
    section = page.locator("details.map-section", has=page.locator("summary", has_text=name))
    if section.get_attribute("open") is None:
        section.locator("summary").click()
    return section


def add_stakeholder(page, name, *, kind=None, organisation=None, losses=None, rated=None):
    form = open_section(page, "Add a stakeholder")
    form.get_by_label("Name").fill(name)
    if rated:
        form.get_by_label("Influence (1-5)").select_option(str(rated[0]))
        form.get_by_label("Interest (1-5)").select_option(str(rated[1]))
    if kind:
        form.get_by_label("Kind", exact=True).select_option(kind)
    if organisation:
        form.get_by_label("Organisation").fill(organisation)
    if losses:
        form.locator("summary", has_text="Stakes, loyalties and losses").click()
        form.get_by_label("What they stand to lose from change").fill(losses)
    form.get_by_role("button", name="Add", exact=True).click()


def pick(section, label, text):
    """The searchable picker: type to filter, then choose the one option left."""
    box = section.get_by_label(label, exact=True).first
    box.fill(text)
    listbox = section.locator(f"select[aria-label='{label}']")
    expect(listbox.locator("option")).to_have_count(1)
    listbox.select_option(index=0)


def bad_log(message):
    # The browser's own favicon request is the only 404 expected (resource errors are caught by status).
    return message.type == "error" and "Failed to load resource" not in message.text


def node_centre(page, label):
    """Where a stakeholder is drawn on the page (for a real tap on the canvas), once it stays put."""
    last = None
    for _ in range(20):
        point = _drawn_at(page, label)
        if point == last:
            return point
        last = point
        page.wait_for_timeout(150)
    return last


def _drawn_at(page, label):
    return page.evaluate(
        """(label) => {
          const { cy } = window.__stakeholderMap;
          const node = cy.nodes().filter((n) => n.data('label') === label)[0];
          const box = cy.container().getBoundingClientRect();
          const p = node.renderedPosition();
          return { x: box.left + p.x, y: box.top + p.y };
        }""",
        label,
    )


def test_two_phones_build_a_map_the_screen_and_console_show(browser, live_server, artifacts):
    errors: list[str] = []
    try:
        _build_and_show(browser, live_server, artifacts, errors)
    finally:
        print("browser errors:", errors)


def _build_and_show(browser, live_server, artifacts, errors):
    url = live_server.url
    fac = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
    fac.set_default_timeout(10000)
    console = fac.new_page()
    console.on("pageerror", lambda e: errors.append(f"console: {e}"))
    console.on("console", lambda m: errors.append(f"console log: {m.text}") if bad_log(m) else None)
    fac.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(console, url)
    console.get_by_role("link", name="New workshop").click()
    console.get_by_label("Title").fill("Mental health system summit")
    console.get_by_role("button", name="Create workshop").click()
    console.get_by_label("Kind of activity").select_option("stakeholder_map")
    console.get_by_label("Question or prompt for participants").fill(
        "Who shapes mental-health outcomes here?"
    )
    console.get_by_role("button", name="Add to agenda").click()
    code = re.sub(r"\D", "", console.locator("p.muted strong.code").first.inner_text())
    console.get_by_role("button", name="Put on screen").first.click()
    console.get_by_role("button", name="Open", exact=True).first.click()

    screen = fac.new_page()
    screen.on("pageerror", lambda e: errors.append(f"screen: {e}"))
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{url}/workshops/{console.url.rstrip('/').split('/')[-1]}/screen")
    expect(screen.get_by_role("heading", name="Who shapes mental-health outcomes here?")).to_be_visible()

    phones = [browser.new_context(**PHONE) for _ in range(2)]
    for ctx in phones:
        ctx.set_default_timeout(10000)
    alice, bob = (ctx.new_page() for ctx in phones)
    for page in (alice, bob):
        page.on("pageerror", lambda e: errors.append(f"phone: {e}"))
        page.on("console", lambda m: errors.append(f"phone console: {m.text}") if bad_log(m) else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    join_by_code(alice, url, code, "Alice")
    join_by_code(bob, url, code, "Bob")
    expect(alice.get_by_role("heading", name="Who shapes mental-health outcomes here?")).to_be_visible()

    # Alice adds three stakeholders, one with recorded losses and one with HTML in its name.
    add_stakeholder(alice, "Mind", kind="organisation", rated=(3, 2))
    expect(alice.locator(".map-list .map-name", has_text="Mind")).to_be_visible()
    add_stakeholder(
        alice,
        "Dr Gupta",
        kind="person",
        organisation="NHS Trust",
        losses="Control of the budget",
        rated=(5, 4),
    )
    expect(alice.locator(".map-list .map-name", has_text="Dr Gupta")).to_be_visible()
    add_stakeholder(alice, HOSTILE, kind="organisation")
    expect(alice.locator(".map-list .map-name", has_text=HOSTILE)).to_have_count(1)

    # Bob types a near-duplicate: the phone asks "did you mean", and he uses the existing one.
    add_stakeholder(bob, "dr  guptaa")
    similar = bob.locator(".map-similar")
    expect(similar).to_be_visible()
    expect(similar).to_contain_text("Did you mean one of these?")
    expect(similar).to_contain_text("Dr Gupta")
    similar.get_by_role("button", name="Use this one").first.click()
    expect(similar).to_be_hidden()

    # Bob adds a relationship with the searchable picker, then a needed-but-missing one.
    rel = open_section(bob, "Add a relationship")
    pick(rel, "From", "Mind")
    pick(rel, "To", "gupta")
    rel.get_by_label("Kind", exact=True).select_option("collaborates")
    rel.get_by_role("button", name="Add", exact=True).click()
    expect(bob.locator(".map-status")).to_have_text("Added.")
    pick(rel, "From", "Council")
    pick(rel, "To", "Mind")
    rel.get_by_label("Needed but missing today").check()
    rel.get_by_role("button", name="Add", exact=True).click()
    expect(bob.locator(".map-status")).to_have_text("Added.")

    # Bob puts himself on the map, working with Dr Gupta, as part of Mind.
    me = open_section(bob, "Put myself on the map")
    me.get_by_label("Organisation").fill("Mind")
    pick(me, "Who do you already work with? (tick all that apply)", "Gupta")
    me.get_by_role("button", name="Put myself on the map").click()
    expect(bob.locator(".map-status")).to_have_text("You are on the map.")
    expect(bob.locator(".map-list .badge.mine", has_text="you")).to_be_visible()

    # The big screen draws all four stakeholders (Bob joined the existing "Mind").
    expected = sorted(["Mind", "Dr Gupta", HOSTILE, "Bob"])
    screen.bring_to_front()
    screen.wait_for_function(
        f"() => JSON.stringify(({NODES})()) === JSON.stringify({expected!r})".replace("'", '"')
    )
    assert screen.evaluate(NODES) == expected
    # ...and its accessible table shows the same, text as text.
    screen.locator("details.map-table-wrap > summary").click()
    table_names = screen.locator(".map-table tbody th[scope=row]")
    expect(table_names).to_have_count(4)
    expect(table_names.filter(has_text=HOSTILE)).to_have_count(1)
    assert screen.locator(".map-table img, .map-table b").count() == 0
    # Today's network leaves the needed tie out; positions settle by themselves.
    visible_edges = "() => window.__stakeholderMap.cy.edges(':visible').not('.grid-line').length"
    screen.wait_for_function(f"() => ({visible_edges})() === 3")
    expect(screen.locator(".map-findings li").first).not_to_have_text(
        "Press Analyse to see what the map shows."
    )

    # Phones see a picture of the map drawn by the server, not Cytoscape.
    thumb = alice.locator("img.map-thumb-img")
    expect(thumb).to_be_visible()
    alice.wait_for_function("() => document.querySelector('img.map-thumb-img').naturalWidth > 0")
    assert alice.evaluate("() => window.__stakeholderMap === undefined")
    expect(alice.locator(".map-thumb figcaption")).to_contain_text("4 stakeholders")

    # Console: colour by kind; the legend follows, on the screen too. (The console and the screen share
    # a browser window here: the one in front gets animation frames at full speed.)
    console.bring_to_front()
    # The newcomers have settled into the layout once the findings count all of them.
    expect(console.locator(".map-findings li").first).to_contain_text("4 stakeholders and 3 relationships")
    board = console.locator(".map-console")
    expect(board).to_be_visible()
    console.wait_for_function(f"() => ({NODES})() && ({NODES})().length === 4")
    console.get_by_label("Colour by").select_option("kind")
    expect(console.locator(".map-legend li", has_text="organisation")).to_be_visible()
    expect(screen.locator(".map-legend li", has_text="organisation")).to_be_visible()  # the screen follows

    # Tap Mind: its neighbourhood stays, the rest fades.
    console.locator(".map-canvas").scroll_into_view_if_needed()
    # The layout may still be settling the newcomers (Bob sits close to Mind): tap again if the first tap
    # landed on a neighbour, as a person would.
    for _attempt in range(5):
        point = node_centre(console, "Mind")
        console.mouse.click(point["x"], point["y"])
        console.wait_for_timeout(300)
        if "Mind" in console.locator(".map-view-note").inner_text():
            break
    expect(console.locator(".map-view-note")).to_contain_text("Mind")
    faded = "() => window.__stakeholderMap.cy.nodes('.faded').map((n) => n.data('label'))"
    assert console.evaluate(faded) == [HOSTILE]  # needed ties are not today's network
    console.get_by_label("Steps out").select_option("2")
    expect(console.locator(".map-view-note")).to_contain_text("Steps out: 2")
    assert console.evaluate(faded) == [HOSTILE]  # the needed tie is no path yet

    # Filter by organisation: only NHS Trust people remain drawn.
    console.get_by_role("button", name="Show all").click()
    console.get_by_label("Organisation", exact=True).select_option("NHS Trust")
    drawn = (
        "() => window.__stakeholderMap.cy.nodes(':visible').not('.grid-label, .grid-corner')"
        ".map((n) => n.data('label'))"
    )
    console.wait_for_function(f"() => ({drawn})().join() === 'Dr Gupta'")
    console.get_by_role("button", name="Show all").click()
    console.wait_for_function(f"() => ({drawn})().length === 4")

    # Power/interest grid, with its quadrants named.
    console.get_by_role("button", name="Power/interest grid").click()
    expect(console.get_by_role("button", name="Power/interest grid")).to_have_attribute(
        "aria-pressed", "true"
    )
    grid_labels = "() => window.__stakeholderMap.cy.nodes('.grid-label').map((n) => n.data('label')).join()"
    for page in (console, screen):  # the big screen shows the grid too
        page.wait_for_function(f"() => ({grid_labels})().includes('Manage closely')")
    assert "Not rated" in console.evaluate(grid_labels)
    console.locator(".map-canvas").scroll_into_view_if_needed()
    artifacts.joinpath("console-map-grid-1440x900.png").write_bytes(console.screenshot())
    console.get_by_role("button", name="Power/interest grid").click()
    expect(console.get_by_role("button", name="Power/interest grid")).to_have_attribute(
        "aria-pressed", "false"
    )

    # The sortable table: sort by name, then descending.
    header = console.locator(".map-table thead th", has_text="Name")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    first = console.locator(".map-table tbody th[scope=row]").first
    expect(first).to_contain_text("Mind")
    console.locator(".map-table thead th", has_text="relationships").get_by_role("button").click()
    expect(console.locator(".map-table thead th", has_text="relationships")).to_have_attribute(
        "aria-sort", "ascending"
    )

    # Who bears the losses, and the needed ties beside today's network: on the console and the screen.
    console.get_by_role("button", name="Who bears the losses").click()
    console.get_by_role("button", name="With the needed ties").click()
    for page in (console, screen):
        page.bring_to_front()
        expect(page.locator(".map-losses")).to_contain_text("Control of the budget")
        page.wait_for_function(
            "() => window.__stakeholderMap.cy.nodes('.loss').map((n) => n.data('label')).join()"
            " === 'Dr Gupta'"
        )
        page.wait_for_function(f"() => ({visible_edges})() === 4")
    expect(screen.locator(".map-needed-note")).to_contain_text("Needed ties: 1")

    alice.wait_for_timeout(300)
    alice.locator(".map-thumb").scroll_into_view_if_needed()
    artifacts.joinpath("phone-map-390x844.png").write_bytes(alice.screenshot())
    artifacts.joinpath("phone-map-full-390.png").write_bytes(alice.screenshot(full_page=True))
    artifacts.joinpath("phone-map-form-390x844.png").write_bytes(bob.screenshot())
    artifacts.joinpath("screen-map-1920x1080.png").write_bytes(screen.screenshot())
    artifacts.joinpath("console-map-1440x900.png").write_bytes(console.screenshot(full_page=True))
    for page in (alice, screen, console):
        assert axe_violations(page) == [], page.url
    assert errors == []
    for ctx in [*phones, fac]:
        ctx.close()

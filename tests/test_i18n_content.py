"""Built-in content in the reader's language, rooms that mix languages, numbers and dates per language.

Two made-up catalogues stand in for real translations: every message of the product (extracted from the
code and templates as `make translations` does) is "translated" into Welsh as "⟦cy⟧ <English>" and into
French as "⟦fr⟧ <English>". So a test can see which language a text was worded in, whatever the real
catalogues hold today, and the French one uses French number and date formats (Babel's CLDR data).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from facilitator import create_app
from facilitator.extensions import db, socketio
from tests.conftest import _database, ack, login, make_account

ROOT = Path(__file__).resolve().parents[1]
MARK = {"cy": "⟦cy⟧", "fr": "⟦fr⟧"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "ngettext_noop": (1, 2)}


def _pseudo(code: str, text: str) -> str:
    return f"{MARK[code]} {text}"


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Welsh and French pseudo-catalogues of every message in facilitator/ and templates/."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import write_mo

    found: dict[Any, None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=[("facilitator/**.py", "python"), ("templates/**.html", "jinja2")],
        keywords=KEYWORDS,
    ):
        found[message if isinstance(message, str) else tuple(message)] = None
    assert "Reaching for a quick fix" in found and "Housing" in found and "collaborates" in found
    folder = tmp_path_factory.mktemp("catalogues")
    for code in MARK:
        catalog = Catalog(locale=code)
        for message in found:
            if isinstance(message, tuple):
                forms = [_pseudo(code, message[0])] + [_pseudo(code, message[1])] * (catalog.num_plurals - 1)
                catalog.add(message, tuple(forms))
            elif message:
                catalog.add(message, _pseudo(code, message))
        out = folder / code / "LC_MESSAGES"
        out.mkdir(parents=True)
        with (out / "messages.mo").open("wb") as fh:
            write_mo(fh, catalog)
    return folder


def _forget_loaded_catalogues(app: Flask) -> None:
    """Flask-Babel keeps loaded catalogues per language for the whole process, across apps."""
    from facilitator.extensions import babel

    with app.app_context():
        babel.domain_instance.cache.clear()


@pytest.fixture
def app(tmp_path: Any, catalogues: Path) -> Iterator[Flask]:
    """The usual test app, speaking English, Welsh and French from the pseudo-catalogues."""
    database, finish = _database(tmp_path)
    app = create_app({
        "ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "test-secret-key", **database,
        "WTF_CSRF_ENABLED": False, "COMMAND_RATE": 1000, "MAP_AUTO_SETTLE": False,
        "LANGUAGES": ["en", "cy", "fr"], "BABEL_TRANSLATION_DIRECTORIES": str(catalogues),
    })
    _forget_loaded_catalogues(app)
    with app.app_context():
        db.create_all()
    yield app

    def close() -> None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    _forget_loaded_catalogues(app)
    finish(close)


def cid() -> str:
    return uuid.uuid4().hex


def speaking(client: FlaskClient, code: str) -> FlaskClient:
    """The language switcher's choice on this device (the socket handshake carries it too)."""
    client.set_cookie("lang", code)
    return client


def browser(app: Flask, code: str) -> FlaskClient:
    return speaking(app.test_client(), code)


def facilitator_in(app: Flask, code: str) -> FlaskClient:
    client = browser(app, code)
    login(client)
    return client


def join(app: Flask, code: str, lang: str, name: str, sector: str = "") -> FlaskClient:
    client = browser(app, lang)
    response = client.post(f"/j/{code}", data={"display_name": name, "organisation": "", "sector": sector})
    assert response.status_code == 302 and response.headers["Location"].endswith("/live")
    return client


def connect(app: Flask, client: FlaskClient, workshop_id: int, role: str = "participant") -> Any:
    sio = socketio.test_client(app, flask_test_client=client, auth={"workshop": workshop_id, "role": role})
    assert sio.is_connected()
    return sio


def new_workshop(app: Flask, console: FlaskClient, kinds: tuple[str, ...], **fields: str) -> dict[str, Any]:
    data = {"title": "Vale summit", "purpose": "One system", **fields}
    response = console.post("/workshops/new", data=data)
    assert response.status_code == 302
    workshop_id = int(re.search(r"/workshops/(\d+)", response.headers["Location"]).group(1))
    for kind in kinds:
        console.post(f"/workshops/{workshop_id}/activities", data={"kind": kind, "title": "", "prompt": "Go"})
    from facilitator.workshops.models import Workshop

    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        return {"id": workshop_id, "code": workshop.code, "activities": [a.id for a in workshop.activities]}


def texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from texts(k)
            yield from texts(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from texts(v)


def leaks(messages: list[dict[str, Any]], code: str) -> list[tuple[str, str]]:
    """(event, text) of every received text worded in ``code``."""
    return [(m["name"], t) for m in messages for t in texts(m["args"]) if MARK[code] in t]


# Built-in content ------------------------------------------------------------------------------------


def test_each_phone_sees_the_built_in_checklist_in_its_own_language(app: Flask) -> None:
    from facilitator.analysis.checklist import DEFAULT_FORMS
    from facilitator.workshops.models import Activity

    make_account(app)
    console = facilitator_in(app, "en")
    ws = new_workshop(app, console, ("work_avoidance",))
    aid = ws["activities"][0]
    live = connect(app, console, ws["id"], role="facilitator")
    assert ack(live, "activity:stage", {"cid": cid(), "activity_id": aid})["ok"]
    # A facilitator rewords one built-in form: that text is theirs and is shown as typed to everyone.
    with app.app_context():
        activity = db.session.get(Activity, aid)
        forms = [dict(f) for f in activity.config["forms"]]
        forms[1]["name"] = "Fitting the problem to our toolbox"
        activity.config = {**activity.config, "forms": forms}
        db.session.commit()
    welsh = connect(app, join(app, ws["code"], "cy", "Alys"), ws["id"])
    french = connect(app, join(app, ws["code"], "fr", "Anaïs"), ws["id"])

    cy = ack(welsh, "activity:state", {"activity_id": aid})["data"]
    fr = ack(french, "activity:state", {"activity_id": aid})["data"]
    first = DEFAULT_FORMS[0]
    cy_form, fr_form = cy["state"]["labels"]["forms"][0], fr["state"]["labels"]["forms"][0]
    assert cy_form["key"] == fr_form["key"] == first["key"]  # answers still refer to the same form
    assert cy_form["name"] == "⟦cy⟧ Reaching for a quick fix"
    assert fr_form["name"] == "⟦fr⟧ Reaching for a quick fix"
    assert fr_form["prompt"] == "⟦fr⟧ " + first["prompt"]
    assert fr_form["counter_moves"] == ["⟦fr⟧ " + m for m in first["counter_moves"]]
    assert cy["state"]["labels"]["forms"][1]["name"] == "Fitting the problem to our toolbox"
    assert [s["label"] for s in cy["state"]["labels"]["scale"]][:2] == ["⟦cy⟧ Not at all", "⟦cy⟧ Rarely"]
    # What is stored (and broadcast) stays English: the key of every text.
    assert cy["config"]["forms"][0]["name"] == "Reaching for a quick fix"
    assert cy["config"]["scale"][0]["label"] == "Not at all"
    assert cy["config"]["checklist"]["name"] == "Built-in checklist (after Heifetz)"
    # The phone's "flag it live" list and the console's checklist settings, too.
    flag = join(app, ws["code"], "cy", "Bryn")
    forms = flag.get(f"/wa/{ws['id']}/flag").get_json()["data"]["forms"]
    assert forms[0] == {"key": "quick_fix", "name": "⟦cy⟧ Reaching for a quick fix"}
    settings = facilitator_in(app, "fr").get(f"/workshops/{ws['id']}/activities/{aid}").get_data(as_text=True)
    assert "⟦fr⟧ Reaching for a quick fix" in settings and "Fitting the problem to our toolbox" in settings


def test_sectors_are_offered_in_the_phones_language_and_stored_in_english(app: Flask) -> None:
    from facilitator.workshops.models import Participant

    make_account(app)
    console = facilitator_in(app, "en")
    ws = new_workshop(app, console, ("check_in",))
    page = browser(app, "cy").get(f"/j/{ws['code']}").get_data(as_text=True)
    assert '<option value="Housing">⟦cy⟧ Housing</option>' in page
    join(app, ws["code"], "cy", "Alys", sector="Housing")
    join(app, ws["code"], "fr", "Anaïs", sector="Housing")
    with app.app_context():
        assert {p.sector for p in db.session.query(Participant)} == {"Housing"}
    review = facilitator_in(app, "fr").get(f"/workshops/{ws['id']}/review").get_data(as_text=True)
    assert "⟦fr⟧ Housing" in review and "⟦cy⟧" not in review


def test_stakeholder_kinds_are_stored_in_english_and_shown_translated(app: Flask) -> None:
    make_account(app)
    console = facilitator_in(app, "en")
    ws = new_workshop(app, console, ("stakeholder_map",))
    aid = ws["activities"][0]
    live = connect(app, console, ws["id"], role="facilitator")
    ack(live, "activity:stage", {"cid": cid(), "activity_id": aid})
    ack(live, "activity:set_phase", {"cid": cid(), "activity_id": aid, "phase": "open"})
    welsh = connect(app, join(app, ws["code"], "cy", "Alys"), ws["id"])
    ids = []
    for name in ("Ann", "Ben"):
        added = ack(welsh, "stakeholder:add", {"cid": cid(), "activity_id": aid, "name": name,
                                               "kind": "person", "confirm_new": True})
        ids.append(added["data"]["id"])
    assert ack(welsh, "relationship:add", {"cid": cid(), "activity_id": aid, "source_id": ids[0],
                                           "target_id": ids[1], "kind": "collaborates"})["ok"]
    state = ack(welsh, "activity:state", {"activity_id": aid})["data"]["state"]
    assert state["config"]["relationship_kinds"][0] == "collaborates"
    assert {s["kind"] for s in state["stakeholders"]} == {"person"}
    report = facilitator_in(app, "cy").get(f"/workshops/{ws['id']}/report").get_data(as_text=True)
    assert "<td>⟦cy⟧ person</td>" in report and "<td>⟦cy⟧ collaborates</td>" in report


# Rooms that mix languages -----------------------------------------------------------------------------


def test_broadcasts_carry_nobodys_language_and_each_client_gets_its_own(app: Flask) -> None:
    """A Welsh console and Welsh phone act; French and English clients must get nothing worded in Welsh,
    and the other way round. Each client's own answers (activity:state) are in its own language; the
    big screen speaks the workshop's screen language whatever the laptop's browser says."""
    make_account(app)
    cy_console = facilitator_in(app, "cy")
    ws = new_workshop(app, cy_console, ("stakeholder_map", "work_avoidance", "open_space"),
                      screen_language="fr")
    smap, checklist, space = ws["activities"]
    consoles = {"cy": connect(app, cy_console, ws["id"], "facilitator"),
                "fr": connect(app, facilitator_in(app, "fr"), ws["id"], "facilitator")}
    screen = connect(app, facilitator_in(app, "cy"), ws["id"], "screen")  # a Welsh laptop, a French screen
    phones = {lang: connect(app, join(app, ws["code"], lang, f"P-{lang}", sector="Housing"), ws["id"])
              for lang in ("cy", "fr", "en")}
    everyone = [*consoles.values(), screen, *phones.values()]
    for client in everyone:
        client.get_received()

    def run(lang: str) -> None:
        console, phone = consoles[lang], phones[lang]
        ack(console, "activity:stage", {"cid": cid(), "activity_id": smap})
        ack(console, "activity:set_phase", {"cid": cid(), "activity_id": smap, "phase": "open"})
        ids = [ack(phone, "stakeholder:add", {"cid": cid(), "activity_id": smap, "name": f"{lang} {n}",
                                             "kind": "team", "sector": "Housing",
                                             "confirm_new": True})["data"]["id"]
               for n in ("one", "two", "three")]
        ack(phone, "relationship:add", {"cid": cid(), "activity_id": smap, "source_id": ids[0],
                                        "target_id": ids[1], "kind": "funds"})
        analysed = ack(console, "map:analyse", {"cid": cid(), "activity_id": smap})["data"]
        assert any(MARK[lang] in f["text"] for f in analysed["findings"])  # the asker's own words
        ack(console, "activity:stage", {"cid": cid(), "activity_id": checklist})
        ack(console, "activity:set_phase", {"cid": cid(), "activity_id": checklist, "phase": "open"})
        for key in ("quick_fix", "denial"):
            ack(phone, "wa:rate", {"cid": cid(), "activity_id": checklist, "form_key": key, "rating": 3})
        ack(console, "wa:reveal", {"cid": cid(), "activity_id": checklist, "revealed": True})
        ack(phone, "wa:flag", {"cid": cid(), "form_key": "denial"})
        ack(console, "activity:stage", {"cid": cid(), "activity_id": space})
        ack(console, "activity:set_phase", {"cid": cid(), "activity_id": space, "phase": "open"})
        ack(phone, "topic:propose", {"cid": cid(), "activity_id": space, "title": f"{lang} topic"})
        ack(console, "openspace:set_stage", {"cid": cid(), "activity_id": space, "stage": "agenda"})
        ack(console, "activity:set_phase", {"cid": cid(), "activity_id": checklist, "phase": "closed"})
        time.sleep(0.4)  # the coalesced pushes (counters, results) go out

    run("cy")
    seen = {id(c): c.get_received() for c in everyone}
    assert any(m["name"] == "activity:staged" for m in seen[id(phones["fr"])])
    for client in (consoles["fr"], screen, phones["fr"], phones["en"]):
        assert leaks(seen[id(client)], "cy") == [], leaks(seen[id(client)], "cy")[:5]
    staged = next(m["args"][0]["data"]["activity"]
                  for m in seen[id(phones["en"])] if m["name"] == "activity:staged")
    assert not {"t", "words", "labels", "i18n", "analysis"} & set(staged["state"])
    assert "kind_label" not in staged

    run("fr")
    seen = {id(c): c.get_received() for c in everyone}
    for client in (consoles["cy"], phones["cy"], phones["en"]):
        assert leaks(seen[id(client)], "fr") == [], leaks(seen[id(client)], "fr")[:5]

    # Each asks, each gets its own words: the phones theirs, the console its own, the screen French.
    for lang, phone in phones.items():
        state = ack(phone, "activity:state", {"activity_id": space})["data"]["state"]
        marks = {code for code in MARK for text in texts(state["i18n"]) if MARK[code] in text}
        assert marks == ({lang} if lang in MARK else set())
    ack(consoles["cy"], "activity:stage", {"cid": cid(), "activity_id": smap})
    for client, lang in ((screen, "fr"), (consoles["cy"], "cy"), (consoles["fr"], "fr")):
        analysis = ack(client, "activity:state", {"activity_id": smap})["data"]["state"]["analysis"]
        assert analysis["findings"] and all(f["text"].startswith(MARK[lang]) for f in analysis["findings"])
    timeline = ack(consoles["fr"], "wa:flags", {})["data"]
    assert {r["form_name"] for r in timeline["by_form"]} == {"⟦fr⟧ Not naming the problem"}


# Numbers, dates and plurals ---------------------------------------------------------------------------


def test_numbers_dates_and_plurals_follow_the_readers_language(app: Flask) -> None:
    from facilitator.activities.work_avoidance.models import WorkAvoidanceRating
    from facilitator.workshops.models import Activity, ActivityPhase, Participant, Workshop

    make_account(app)
    console = facilitator_in(app, "en")
    ws = new_workshop(app, console, ("work_avoidance",), starts_on="2026-11-23")
    aid = ws["activities"][0]
    with app.app_context():
        workshop = db.session.get(Workshop, ws["id"])
        for i, rating in enumerate((2, 3, 3, 2)):  # mean 2.5
            person = Participant(workshop_id=workshop.id, display_name=f"P{i}", sector="Housing")
            db.session.add(person)
            db.session.flush()
            db.session.add(WorkAvoidanceRating(activity_id=aid, participant_id=person.id,
                                               form_key="quick_fix", rating=rating, sector="Housing"))
        db.session.get(Activity, aid).phase = ActivityPhase.CLOSED
        db.session.commit()

    english = console.get(f"/workshops/{ws['id']}/review").get_data(as_text=True)
    french = facilitator_in(app, "fr").get(f"/workshops/{ws['id']}/review").get_data(as_text=True)
    assert "Nov 23, 2026" in english and "23 nov. 2026" in french
    assert "<strong>4</strong> participants" in english
    assert "⟦fr⟧ <strong>4</strong> participants" in french
    # A mean of 2.5 on the 0-4 scale: a decimal comma in French, in the findings and the chart.
    assert "2.5" in english and "2,5" in french
    assert "⟦fr⟧ The room sees “⟦fr⟧ Reaching for a quick fix”" in french
    report = facilitator_in(app, "fr").get(f"/workshops/{ws['id']}/report").get_data(as_text=True)
    assert "⟦fr⟧ Too few answers to show" in report  # the chart's own words

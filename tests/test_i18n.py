"""Languages: complete catalogues, who gets which language, and the browser's catalogue."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from facilitator import i18n
from facilitator.extensions import db
from tests.conftest import ack

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "facilitator" / "translations"
EXPECTED = {"cy", "de", "es", "fr", "ja"}

sys.path.insert(0, str(ROOT / "scripts"))
import catalog as catalog_tool  # noqa: E402


def _catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _ids(cat) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """Every message the code and templates use today, extracted the way `make translations` does."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_",
         "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "ngettext_noop:1,2", "--add-location=file", "--no-wrap", "-o",
         str(out), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with out.open("rb") as fh:
        return _ids(read_po(fh))


def test_the_six_languages_are_there():
    assert set(i18n.discovered_languages()) == EXPECTED | {"en"}


@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_catalogue_has_every_message_and_nothing_stale(extracted, lang):
    have = _ids(_catalog(lang))
    missing = sorted(extracted - have)
    stale = sorted(have - extracted)
    assert not missing, f"{len(missing)} messages missing from {lang} (run `make translations`): {missing[:10]}"
    assert not stale, f"{len(stale)} stale messages in {lang} (run `make translations`): {stale[:10]}"


@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_catalogue_is_translated_and_placeholders_match(lang):
    problems = catalog_tool.problems(_catalog(lang))
    assert not problems, f"{len(problems)} problems in {lang}: {problems[:10]}"


@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_compiled_catalogue_matches_its_source(lang):
    """The .mo the app loads says what the .po says (`make translations` compiles them)."""
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in _catalog(lang):
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, str):
            if message.string:
                got = compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)
                assert got == message.string, message.id
        elif all(message.string):
            assert compiled.ngettext(message.id[0], message.id[1], 1) in message.string, message.id[0]


def test_placeholder_check_catches_a_broken_translation():
    from babel.messages.catalog import Catalog

    cat = Catalog(locale="fr")
    cat.add("%(n)s people have answered", "%(nombre)s personnes ont répondu")
    cat.add("{n} of {total}", "{n} sur {total}")
    assert catalog_tool.problems(cat) == [
        "placeholders differ: '%(n)s people have answered' -> '%(nombre)s personnes ont répondu'"]


def test_plural_map_follows_the_catalogue_rule():
    assert i18n.plural_map("en") == {"one": 0, "other": 1}
    assert i18n.plural_map("ja") == {"other": 0}
    # Welsh: six CLDR categories onto the catalogue's five forms (0, 4, 5, ... share the general form).
    assert i18n.plural_map("cy") == {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 4, "other": 0}
    assert i18n.plural_map("fr")["one"] == 0 and i18n.plural_map("fr")["other"] == 1


def _translated(app, lang: str, msgid: str) -> str:
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        text = gettext(msgid)
    assert text and text != msgid, f"{msgid!r} has no {lang} translation"
    return text


def test_phone_language_from_the_browser_then_the_switcher(app, make_workshop, client):
    workshop = make_workshop()
    page = client.get(f"/j/{workshop['code']}", headers={"Accept-Language": "cy,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="cy" dir="ltr">' in html
    assert _translated(app, "cy", "Join the workshop") in html

    response = client.post("/language", data={"lang": "ja", "next": f"/j/{workshop['code']}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/j/{workshop['code']}")
    html = client.get(f"/j/{workshop['code']}", headers={"Accept-Language": "cy"}).get_data(as_text=True)
    assert '<html lang="ja"' in html and _translated(app, "ja", "Join the workshop") in html
    # The switcher lists each language in its own name.
    assert "日本語" in html and "Cymraeg" in html and "Deutsch" in html


def test_switcher_refuses_unknown_languages_and_foreign_redirects(client):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] in ("/", "http://localhost/")
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/", "javascript:alert(1)"):
        response = client.post("/language", data={"lang": "cy", "next": target})
        assert response.headers["Location"] in ("/", "http://localhost/"), target


def test_big_screen_has_its_own_language(app, facilitator, make_workshop):
    workshop = make_workshop()
    from facilitator.workshops.models import Workshop

    facilitator.set_cookie("lang", "fr")
    assert '<html lang="fr"' in facilitator.get(f"/workshops/{workshop['id']}").get_data(as_text=True)
    response = facilitator.post(f"/workshops/{workshop['id']}/edit", data={
        "title": "Summit", "purpose": "", "venue": "", "starts_on": "", "screen_language": "cy"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Workshop, workshop["id"]).screen_language == "cy"
    screen = facilitator.get(f"/workshops/{workshop['id']}/screen").get_data(as_text=True)
    assert '<html lang="cy"' in screen
    # ... while the console on the same laptop keeps the laptop's language.
    assert '<html lang="fr"' in facilitator.get(f"/workshops/{workshop['id']}").get_data(as_text=True)


def test_socket_answers_come_in_each_phones_language(app, make_workshop, phone, sockets):
    workshop = make_workshop(activities=("work_avoidance",))
    welsh, english = phone(workshop["code"]), phone(workshop["code"])
    welsh.set_cookie("lang", "cy")
    a, b = sockets(welsh, workshop["id"]), sockets(english, workshop["id"])
    activity_id = workshop["activities"][0]
    cy = ack(a, "activity:state", {"activity_id": activity_id})
    en = ack(b, "activity:state", {"activity_id": activity_id})
    assert cy["ok"] and en["ok"]
    assert en["data"]["state"]["t"]["skip"] == "Skip"
    assert cy["data"]["state"]["t"]["skip"] == _translated(app, "cy", "Skip")


def test_page_carries_the_scripts_catalogue(app, make_workshop, phone):
    workshop = make_workshop()
    browser = phone(workshop["code"])
    browser.set_cookie("lang", "de")
    html = browser.get(f"/j/{workshop['code']}/live").get_data(as_text=True)
    import json

    block = re.search(r'<script type="application/json" id="catalog">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["lang"] == "de" and data["dir"] == "ltr" and data["plural"] == {"one": 0, "other": 1}
    # Only what scripts use, and translated.
    assert data["messages"] and all(isinstance(v, str | list) and v for v in data["messages"].values())
    js_ids = {(f"{m.context}\x04" if m.context else "") + (m.id if isinstance(m.id, str) else m.id[0])
              for m in _catalog("de") if m.id and any(str(loc).endswith(".js") for loc, _ in m.locations)}
    assert set(data["messages"]) <= js_ids


def test_builtin_text_is_translated_and_typed_text_is_not(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("fr"):
        assert i18n.translate_builtin("Skip") == _translated(app, "fr", "Skip")
        assert i18n.translate_builtin("Our own words, typed by a facilitator") == \
            "Our own words, typed by a facilitator"

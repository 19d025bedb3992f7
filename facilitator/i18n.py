"""Languages: which ones exist, which one a request gets, and the catalogue the browser's scripts use.

A language exists when ``facilitator/translations/<code>/LC_MESSAGES/messages.po`` (compiled to ``.mo``)
does: adding one is adding that folder (see docs/translating.md), no code change. English is the source
language and always exists.

Who gets which language:
- a phone (and a reviewer): the language they picked with the switcher (cookie ``lang``), else the
  browser's preferred language, else English;
- the big screen: the workshop's screen language, set in the console, independent of the phones;
- the console: the switcher's choice on that laptop, else the browser's language.
Socket events are answered in the language of whoever sent them (the handshake carries the cookie and
the browser's languages), so every phone gets its own words.
"""

from __future__ import annotations

import gettext as _gettext
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Blueprint, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE = "lang"
SOURCE = "en"

bp = Blueprint("i18n", __name__)


def N_(text: str) -> str:  # noqa: N802 - the conventional name the extractor looks for
    """Mark a built-in text for the catalogue without translating it now (it is stored in English)."""
    return text


@lru_cache(maxsize=1)
def discovered_languages() -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    return (SOURCE, *[code for code in found if code != SOURCE])


def languages() -> list[str]:
    configured = current_app.config.get("LANGUAGES")
    return list(configured) if configured else list(discovered_languages())


def language_names() -> list[tuple[str, str]]:
    """Each language in its own name ("Cymraeg", "日本語"), for the switchers."""
    out = []
    for code in languages():
        name = Locale.parse(code).get_display_name(code) or code
        out.append((code, name[:1].upper() + name[1:]))
    return out


def valid(code: str | None) -> str | None:
    return code if code and code in languages() else None


def text_direction(code: str) -> str:
    try:
        return Locale.parse(code).text_direction
    except (ValueError, TypeError):
        return "ltr"


def _browser_choice() -> str:
    return request.accept_languages.best_match(languages()) or SOURCE


def personal_language() -> str:
    return valid(request.cookies.get(COOKIE)) or _browser_choice()


def _screen_language(workshop_id: int | None) -> str | None:
    if not workshop_id:
        return None
    from facilitator.extensions import db
    from facilitator.workshops.models import Workshop

    workshop = db.session.get(Workshop, workshop_id)
    return valid(workshop.screen_language) if workshop is not None else None


def select_locale() -> str | None:
    if not has_request_context():
        return None
    forced = g.get("force_locale")
    if forced:
        return forced
    if request.endpoint == "workshops.screen" or request.args.get("for") == "screen":
        # The big screen's page, and pictures it loads (?for=screen), speak the screen's language.
        return _screen_language((request.view_args or {}).get("workshop_id")) or personal_language()
    if request.path.startswith("/socket.io"):
        from facilitator.realtime.protocol import Actor

        try:
            actor = Actor.from_session()
        except Exception:  # noqa: BLE001 - no socket session yet (the handshake itself)
            actor = None
        if actor is not None and actor.role == "screen":
            return _screen_language(actor.workshop_id) or personal_language()
    return personal_language()


@bp.post("/language")
def choose() -> Response:
    """The switcher: remember the choice on this device and go back where the person was."""
    code = valid(request.form.get("lang"))
    target = request.form.get("next") or "/"
    # Only a path on this site: no scheme, no host, and no "/\\" that browsers read as "//".
    if not target.startswith("/") or target[1:2] in ("/", "\\") or any(c in target for c in "\r\n"):
        target = "/"
    response = redirect(target or url_for("workshops.home"))
    if code:
        response.set_cookie(COOKIE, code, max_age=3600 * 24 * 365, samesite="Lax", httponly=False)
    return response


# The browser's catalogue ----------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _script_messages(code: str) -> dict[str, Any]:
    """msgid -> translation (or list of plural forms) for every message used by a script (static/js)."""
    if code == SOURCE:
        return {}
    from babel.messages.pofile import read_po

    path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    out: dict[str, Any] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if not any(str(loc).endswith(".js") for loc, _line in message.locations):
            continue
        key_prefix = f"{message.context}\x04" if message.context else ""
        if isinstance(message.id, tuple | list):
            forms = list(message.string)
            if all(forms):
                out[key_prefix + message.id[0]] = forms
        elif message.string:
            out[key_prefix + message.id] = message.string
    return out


@lru_cache(maxsize=32)
def plural_map(code: str) -> dict[str, int]:
    """CLDR plural category (what the browser's Intl.PluralRules says) -> index of the catalogue's form.

    The catalogue's own rule (gettext's Plural-Forms) decides; we evaluate it at a number of each
    category so the browser picks the same form Python would."""
    from babel.messages.plurals import get_plural

    rule = get_plural(code)
    choose_form = _gettext.c2py(rule.plural_expr)
    locale = Locale.parse(code)
    out: dict[str, int] = {}
    for n in range(0, 1001):
        category = locale.plural_form(n)
        if category not in out:
            out[category] = choose_form(n)
    return out


def script_catalog(code: str | None = None) -> dict[str, Any]:
    from flask_babel import get_locale

    code = code or str(get_locale() or SOURCE)
    return {"lang": code, "dir": text_direction(code), "plural": plural_map(code),
            "messages": _script_messages(code)}


def translate_builtin(text: str) -> str:
    """A stored text shipped by Facilitator (a checklist form, a default kind, a sector) in the reader's
    language; anything a facilitator typed or edited has no entry and comes back unchanged."""
    if not text:
        return text
    return _(text) if has_request_context() else text


def init_app(app) -> None:  # noqa: ANN001
    app.register_blueprint(bp)

    @app.context_processor
    def _i18n_globals() -> dict[str, Any]:
        from flask_babel import get_locale

        code = str(get_locale() or SOURCE)
        return {"language_names": language_names, "text_direction": text_direction(code),
                "script_catalog": script_catalog, "builtin": translate_builtin}

    app.jinja_env.filters["builtin"] = translate_builtin

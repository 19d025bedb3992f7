"""Joining from a phone: a code, an optional name, no account."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from facilitator.extensions import db
from facilitator.realtime.rooms import PARTICIPANTS_KEY, participant_for
from facilitator.workshops import services, throttle
from facilitator.workshops.forms import JoinCodeForm, JoinForm
from facilitator.workshops.models import Participant, Workshop, WorkshopPhase

bp = Blueprint("join", __name__)

DEVICE_COOKIE = "fdev"

NAME_WORDS = (
    ["Amber", "Brave", "Calm", "Clear", "Curious", "Bold", "Bright", "Gentle", "Keen", "Quiet", "Steady",
     "Swift", "Warm", "Wise", "Open", "Hopeful"],
    ["Heron", "Otter", "Oak", "Willow", "Badger", "Kestrel", "Rowan", "Hazel", "Wren", "Falcon", "Birch",
     "Fox", "Lark", "Alder", "Robin", "Beech"],
)


def device_id() -> str:
    value = request.cookies.get(DEVICE_COOKIE, "")
    if len(value) != 32 or not value.isalnum():
        value = g.setdefault("new_device_id", secrets.token_hex(16))
    return value


@bp.after_app_request
def _set_device_cookie(response: Response) -> Response:
    new = g.get("new_device_id")
    if new:
        response.set_cookie(DEVICE_COOKIE, new, max_age=3600 * 24 * 365, httponly=True, samesite="Lax")
    return response


def _blocked(code: str) -> bool:
    cfg = current_app.config
    window = cfg["JOIN_WINDOW"]
    return throttle.is_blocked(f"code:{code}", cfg["JOIN_ATTEMPTS_PER_CODE"], window) or throttle.is_blocked(
        f"device:{device_id()}", cfg["JOIN_ATTEMPTS_PER_DEVICE"], window
    )


def _count_failure(code: str) -> bool:
    """Count a wrong code against the code and the device; false if either is now over its limit.
    Counting is atomic, so racing requests on several workers cannot all slip under the limit."""
    cfg = current_app.config
    window = cfg["JOIN_WINDOW"]
    per_code = throttle.allow(f"code:{code}", cfg["JOIN_ATTEMPTS_PER_CODE"], window)
    per_device = throttle.allow(f"device:{device_id()}", cfg["JOIN_ATTEMPTS_PER_DEVICE"], window)
    return per_code and per_device


def _lookup(code: str) -> Workshop | None:
    """Find a workshop by code, counting a wrong code against the code and the device."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if _blocked(digits):
        abort(429)
    workshop = services.find_by_code(digits)
    if workshop is None and not _count_failure(digits):
        abort(429)  # over the limit now: answer as for a blocked device, not "no such workshop"
    return workshop


def remember(participant: Participant) -> None:
    tokens = dict(session.get(PARTICIPANTS_KEY) or {})
    tokens[str(participant.workshop_id)] = participant.token
    # Keep the cookie small: a phone rarely belongs to more than a handful of workshops.
    if len(tokens) > 8:
        tokens = dict(list(tokens.items())[-8:])
    session[PARTICIPANTS_KEY] = tokens
    session.permanent = True


@bp.route("/join", methods=["GET", "POST"])
def enter() -> str | Response:
    form = JoinCodeForm(code=request.args.get("code", ""))
    if form.validate_on_submit():
        workshop = _lookup(form.code.data)
        if workshop is None:
            flash(_("No workshop has that code. Check the code on the screen and try again."), "error")
        else:
            return redirect(url_for("join.join", code=workshop.code))
    device_id()
    return render_template("join/enter.html", form=form)


@bp.route("/j/<code>", methods=["GET", "POST"])
def join(code: str) -> str | Response:
    workshop = _lookup(code)
    if workshop is None:
        flash(_("No workshop has that code. Check the code on the screen and try again."), "error")
        return redirect(url_for("join.enter"))
    if workshop.phase == WorkshopPhase.ENDED:
        return render_template("join/ended.html", workshop=workshop), 410
    if participant_for(workshop.id) is not None:
        return redirect(url_for("join.live", code=workshop.code))
    form = JoinForm()
    if form.validate_on_submit():
        participant = Participant(
            workshop_id=workshop.id,
            display_name=(form.display_name.data or "").strip(),
            organisation=(form.organisation.data or "").strip(),
            sector=form.sector.data or "",
        )
        db.session.add(participant)
        db.session.commit()
        remember(participant)
        from facilitator.workshops.live import counter_push

        counter_push.poke(workshop.id)
        return redirect(url_for("join.live", code=workshop.code))
    return render_template(
        "join/join.html", form=form, workshop=workshop, boot={"code": workshop.code, "names": NAME_WORDS}
    )


@bp.post("/j/<code>/resume")
def resume(code: str) -> Response:
    """A phone whose cookie was lost rejoins as the same participant with the token it kept locally."""
    workshop = _lookup(code)
    if workshop is None:
        return redirect(url_for("join.enter"))
    token = request.form.get("token", "")
    participant = db.session.query(Participant).filter_by(token=token).one_or_none() if token else None
    if participant is None or participant.workshop_id != workshop.id:
        return redirect(url_for("join.join", code=workshop.code, fresh=1))
    remember(participant)
    return redirect(url_for("join.live", code=workshop.code))


@bp.get("/j/<code>/live")
def live(code: str) -> str | Response:
    workshop = services.find_by_code(code)
    if workshop is None:
        return redirect(url_for("join.enter"))
    participant = participant_for(workshop.id)
    if participant is None:
        return redirect(url_for("join.join", code=workshop.code))
    if workshop.phase == WorkshopPhase.ENDED:
        return render_template("join/ended.html", workshop=workshop), 410
    return render_template(
        "join/live.html",
        workshop=workshop,
        participant=participant,
        boot={
            "workshop": workshop.id,
            "role": "participant",
            "code": workshop.code,
            "token": participant.token,
            "me": participant.id,
        },
    )


@bp.route("/j/<code>/me", methods=["GET", "POST"])
def profile(code: str) -> str | Response:
    workshop = services.find_by_code(code)
    participant = participant_for(workshop.id) if workshop else None
    if workshop is None or participant is None:
        return redirect(url_for("join.enter"))
    form = JoinForm(obj=participant)
    if form.validate_on_submit():
        participant.display_name = (form.display_name.data or "").strip()
        participant.organisation = (form.organisation.data or "").strip()
        participant.sector = form.sector.data or ""
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("join.live", code=workshop.code))
    return render_template("join/profile.html", form=form, workshop=workshop,
                           boot={"code": workshop.code, "names": NAME_WORDS})

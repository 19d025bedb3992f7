"""HTTP pages of the work-avoidance checklist: the facilitator's library of checklists (clone, edit,
delete), change over time, the flag timeline, the CSV of aggregates; and the phone's "flag it live"
endpoint (JSON), used by static/js/flag.js on every activity."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse

from facilitator.activities.work_avoidance import services
from facilitator.activities.work_avoidance.models import Checklist
from facilitator.activities.work_avoidance.schemas import FlagIn
from facilitator.analysis.checklist import FAMILIES, MAX_MOVES, SOURCES
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.i18n import translate_builtin
from facilitator.workshops.access import facilitated_activity, facilitated_workshop
from facilitator.workshops.models import Activity, ProcessedCommand, Workshop

bp = Blueprint("work_avoidance", __name__)


def _private(response: Response | WResponse) -> Response | WResponse:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_context_processor
def _library_choices() -> dict[str, Any]:
    def wa_checklists() -> list[tuple[str, str]]:
        """(ref, name) of the checklists the signed-in facilitator can pick for an activity."""
        choices = [(services.BUILTIN, translate_builtin(services.builtin_name()))]
        if getattr(current_user, "is_authenticated", False):
            choices += [(str(c.id), c.name) for c in services.library(current_user.id)]
        return choices

    return {"wa_checklists": wa_checklists}


# Library -------------------------------------------------------------------------------------------


def _mine(checklist_id: int) -> Checklist:
    item = db.session.get(Checklist, checklist_id)
    if item is None or item.facilitator_id != current_user.id:
        abort(404)
    return item


@bp.get("/checklists")
@login_required
def library() -> str:
    from facilitator.analysis.checklist import DEFAULT_FORMS

    return render_template("work_avoidance/library.html", checklists=services.library(current_user.id),
                           builtin=[services.form_public(f) for f in DEFAULT_FORMS],
                           builtin_name=translate_builtin(services.builtin_name()), sources=SOURCES)


@bp.post("/checklists/clone")
@login_required
def clone() -> WResponse:
    try:
        item = services.clone_checklist(request.form.get("source", services.BUILTIN), by=current_user)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("work_avoidance.library"))
    flash(_("Copied. Edit it below: workshops that already used a checklist keep their own copy."), "success")
    return redirect(url_for("work_avoidance.edit", checklist_id=item.id))


def _forms_from(form: Any) -> list[dict[str, Any]]:
    """Rebuild the forms from the edit page: ``f-<i>-<field>`` rows in order, plus one new row."""
    try:
        count = min(int(form.get("count", 0)), 60)
    except ValueError:
        count = 0
    out = []
    for prefix in [f"f-{i}" for i in range(count)] + ["f-new"]:
        if form.get(f"{prefix}-remove"):
            continue
        moves = str(form.get(f"{prefix}-moves", "")).splitlines()
        out.append({
            "key": form.get(f"{prefix}-key", ""),
            "name": form.get(f"{prefix}-name", ""),
            "family": form.get(f"{prefix}-family", ""),
            "description": form.get(f"{prefix}-description", ""),
            "prompt": form.get(f"{prefix}-prompt", ""),
            "counter_moves": [m for m in moves if m.strip()],
            "source": form.get(f"{prefix}-source", ""),
        })
    return out


@bp.route("/checklists/<int:checklist_id>", methods=["GET", "POST"])
@login_required
def edit(checklist_id: int) -> str | WResponse:
    item = _mine(checklist_id)
    if request.method == "POST":
        try:
            services.update_checklist(item, request.form.get("name", ""), request.form.get("description", ""),
                                      _forms_from(request.form), by=current_user)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("Checklist saved."), "success")
            return redirect(url_for("work_avoidance.edit", checklist_id=item.id))
    return render_template("work_avoidance/edit.html", item=item, families=FAMILIES, max_moves=MAX_MOVES)


@bp.post("/checklists/<int:checklist_id>/delete")
@login_required
def delete(checklist_id: int) -> WResponse:
    services.delete_checklist(_mine(checklist_id), by=current_user)
    flash(_("Checklist deleted. Workshops that used it keep their own copy."), "success")
    return redirect(url_for("work_avoidance.library"))


@bp.get("/checklists/<ref>/over-time")
@login_required
def over_time(ref: str) -> str:
    if ref == services.BUILTIN:
        name = translate_builtin(services.builtin_name())
    else:
        if not ref.isdigit():
            abort(404)
        name = _mine(int(ref)).name
    return render_template("work_avoidance/trend.html", name=name, ref=ref,
                           data=services.trend(ref, current_user.id))


# One workshop ----------------------------------------------------------------------------------------


def _checklist_activity(workshop_id: int, activity_id: int) -> Activity:
    activity = facilitated_activity(facilitated_workshop(workshop_id), activity_id)
    if activity.kind != "work_avoidance":
        abort(404)
    return activity


@bp.get("/workshops/<int:workshop_id>/activities/<int:activity_id>/work-avoidance.csv")
@login_required
def export_csv(workshop_id: int, activity_id: int) -> Response | WResponse:
    activity = _checklist_activity(workshop_id, activity_id)
    response = Response("\ufeff" + services.export_csv(activity), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="work-avoidance-{activity.id}.csv"'
    return _private(response)


@bp.get("/workshops/<int:workshop_id>/flags")
@login_required
def flags(workshop_id: int) -> str:
    workshop = facilitated_workshop(workshop_id)
    return render_template("work_avoidance/flags.html", workshop=workshop,
                           timeline=services.flag_timeline(workshop))


# Phones: flag it live ------------------------------------------------------------------------------------


def _participant(workshop_id: int) -> tuple[Workshop, Any]:
    from facilitator.realtime.rooms import participant_for

    workshop = db.session.get(Workshop, workshop_id)
    participant = participant_for(workshop_id) if workshop is not None else None
    if workshop is None or participant is None:
        abort(403)
    return workshop, participant


def _fail(code: str, message: str, status: int = 400) -> Response:
    response = jsonify({"ok": False, "error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.get("/wa/<int:workshop_id>/flag")
def flag_forms(workshop_id: int) -> Response | WResponse:
    workshop, _participant_row = _participant(workshop_id)
    forms = [{**f, "name": translate_builtin(f["name"])} for f in services.flag_forms(workshop)]
    return _private(jsonify({"ok": True, "data": {"forms": forms,
                                                  "ended": workshop.phase == "ended", "t": flag_strings()}}))


def flag_strings() -> dict[str, str]:
    return {
        "button": _("I think we are avoiding the work"),
        "title": _("Which form does it look like?"),
        "not_sure": _("Not sure which"),
        "send": _("Send flag"),
        "cancel": _("Cancel"),
        "sent": _("Thank you. The facilitator sees your flag, not your name."),
        "queued": _("You are offline: your flag will be sent when you are back."),
    }


@bp.post("/wa/<int:workshop_id>/flag")
def flag(workshop_id: int) -> Response | WResponse:
    """The same rules as the ``wa:flag`` socket command, over HTTP for flag.js (it has no socket of its
    own). A retried request with the same ``cid`` counts once."""
    workshop, participant = _participant(workshop_id)
    try:
        data = FlagIn.model_validate(request.get_json(silent=True) or {})
    except ValidationError:
        return _fail("invalid", _("The request was not understood."))
    actor = f"p:{participant.id}"
    if data.cid:
        done = db.session.scalars(select(ProcessedCommand).where(
            ProcessedCommand.actor == actor, ProcessedCommand.command_id == data.cid)).first()
        if done is not None:
            return _private(jsonify({"ok": True, "data": (done.result or {}).get("data"), "duplicate": True}))
        db.session.add(ProcessedCommand(workshop_id=workshop.id, actor=actor, command_id=data.cid,
                                        result={"data": {"flagged": True}}))
    try:
        result = services.raise_flag(workshop, data.form_key, by=participant)
    except DomainError as err:
        db.session.rollback()
        return _fail(err.code, err.message, 429 if err.code == "rate_limited" else err.status)
    return _private(jsonify({"ok": True, "data": result}))

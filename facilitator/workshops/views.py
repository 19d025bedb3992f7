from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse

from facilitator.activities import get_kind, registry
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.netaddr import public_base_url, reachable_from_phones
from facilitator.workshops import services
from facilitator.workshops.access import facilitated_activity, facilitated_workshop
from facilitator.i18n import personal_language
from facilitator.workshops.forms import ActivityAddForm, ActivityEditForm, CoFacilitatorForm, WorkshopForm
from facilitator.workshops.models import ModerationEntry, Workshop, WorkshopFacilitator, WorkshopPhase

bp = Blueprint("workshops", __name__)


def join_url(workshop: Workshop) -> str:
    return f"{public_base_url()}/j/{workshop.code}"


@bp.get("/")
def home() -> str | WResponse:
    if current_user.is_authenticated:
        return redirect(url_for("workshops.index"))
    return redirect(url_for("join.enter"))


@bp.get("/workshops")
@login_required
def index() -> str:
    workshops = db.session.scalars(
        select(Workshop)
        .join(WorkshopFacilitator)
        .where(WorkshopFacilitator.facilitator_id == current_user.id)
        .order_by(Workshop.created_at.desc())
    ).all()
    return render_template("workshops/index.html", workshops=workshops)


@bp.route("/workshops/new", methods=["GET", "POST"])
@login_required
def new() -> str | WResponse:
    form = WorkshopForm()
    if form.validate_on_submit():
        workshop = services.create_workshop(form.data, by=current_user)
        flash(_("Workshop created. Add activities to its agenda."), "success")
        return redirect(url_for("workshops.console", workshop_id=workshop.id))
    return render_template("workshops/edit.html", form=form, workshop=None)


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@login_required
def edit(workshop_id: int) -> str | WResponse:
    workshop = facilitated_workshop(workshop_id)
    form = WorkshopForm(obj=workshop)
    co_form = CoFacilitatorForm()
    if form.validate_on_submit():
        services.update_workshop(workshop, form.data, by=current_user)
        flash(_("Saved."), "success")
        return redirect(url_for("workshops.console", workshop_id=workshop.id))
    return render_template("workshops/edit.html", form=form, workshop=workshop, co_form=co_form)


@bp.post("/workshops/<int:workshop_id>/duplicate")
@login_required
def duplicate(workshop_id: int) -> WResponse:
    copy = services.duplicate_workshop(facilitated_workshop(workshop_id), by=current_user)
    flash(_("Workshop duplicated, with a new join code."), "success")
    return redirect(url_for("workshops.console", workshop_id=copy.id))


@bp.post("/workshops/<int:workshop_id>/delete")
@login_required
def delete(workshop_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    if request.form.get("confirm_title", "").strip() != workshop.title:
        flash(_("To delete, type the workshop's title exactly."), "error")
        return redirect(url_for("workshops.edit", workshop_id=workshop.id))
    services.delete_workshop(workshop, by=current_user)
    flash(_("Workshop deleted."), "success")
    return redirect(url_for("workshops.index"))


@bp.post("/workshops/<int:workshop_id>/phase")
@login_required
def phase(workshop_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    try:
        services.set_workshop_phase(workshop, WorkshopPhase(request.form.get("phase", "")), by=current_user)
    except ValueError:
        flash(_("Unknown phase."), "error")
    return redirect(url_for("workshops.console", workshop_id=workshop.id))


@bp.post("/workshops/<int:workshop_id>/facilitators")
@login_required
def add_facilitator(workshop_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    form = CoFacilitatorForm()
    if form.validate_on_submit():
        try:
            other = services.add_co_facilitator(workshop, form.email.data, by=current_user)
            flash(_("%(name)s can now facilitate this workshop.", name=other.name), "success")
        except DomainError as err:
            flash(err.message, "error")
    else:
        flash(_("Please give a valid email address."), "error")
    return redirect(url_for("workshops.edit", workshop_id=workshop.id))


@bp.post("/workshops/<int:workshop_id>/facilitators/<int:facilitator_id>/remove")
@login_required
def remove_facilitator(workshop_id: int, facilitator_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    try:
        services.remove_co_facilitator(workshop, facilitator_id, by=current_user)
    except DomainError as err:
        flash(err.message, "error")
    return redirect(url_for("workshops.edit", workshop_id=workshop.id))


@bp.post("/workshops/<int:workshop_id>/activities")
@login_required
def add_activity(workshop_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    form = ActivityAddForm()
    if form.validate_on_submit():
        try:
            services.add_activity(workshop, form.kind.data, form.title.data or "", form.prompt.data or "",
                                  by=current_user)
        except DomainError as err:
            flash(err.message, "error")
    else:
        flash(_("Please choose a kind of activity."), "error")
    return redirect(url_for("workshops.console", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/activities/<int:activity_id>", methods=["GET", "POST"])
@login_required
def edit_activity(workshop_id: int, activity_id: int) -> str | WResponse:
    workshop = facilitated_workshop(workshop_id)
    activity = facilitated_activity(workshop, activity_id)
    kind = get_kind(activity.kind)
    form = ActivityEditForm(obj=activity)
    if form.validate_on_submit():
        try:
            if kind.apply_settings is not None:
                kind.apply_settings(activity, request.form)
            services.update_activity(activity, form.title.data, form.prompt.data or "", form.visibility.data,
                                     by=current_user)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("workshops.console", workshop_id=workshop.id))
    return render_template("workshops/activity.html", form=form, workshop=workshop, activity=activity, kind=kind)


@bp.post("/workshops/<int:workshop_id>/activities/<int:activity_id>/move")
@login_required
def move_activity(workshop_id: int, activity_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    activity = facilitated_activity(workshop, activity_id)
    services.move_activity(activity, -1 if request.form.get("direction") == "up" else 1, by=current_user)
    return redirect(url_for("workshops.console", workshop_id=workshop.id) + "#agenda")


@bp.post("/workshops/<int:workshop_id>/activities/<int:activity_id>/remove")
@login_required
def remove_activity(workshop_id: int, activity_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    services.remove_activity(facilitated_activity(workshop, activity_id), by=current_user)
    flash(_("Activity removed."), "success")
    return redirect(url_for("workshops.console", workshop_id=workshop.id) + "#agenda")


@bp.get("/workshops/<int:workshop_id>")
@login_required
def console(workshop_id: int) -> str:
    workshop = facilitated_workshop(workshop_id)
    url = join_url(workshop)
    return render_template(
        "workshops/console.html",
        workshop=workshop,
        join_url=url,
        reachable=reachable_from_phones(url),
        add_form=ActivityAddForm(),
        kinds=registry(),
        boot={"workshop": workshop.id, "role": "facilitator", "join_url": url},
    )


@bp.get("/workshops/<int:workshop_id>/screen")
@login_required
def screen(workshop_id: int) -> str:
    workshop = facilitated_workshop(workshop_id)
    url = join_url(workshop)
    return render_template(
        "workshops/screen.html",
        workshop=workshop,
        join_url=url,
        boot={"workshop": workshop.id, "role": "screen", "join_url": url, "language": personal_language()},
    )


@bp.get("/workshops/<int:workshop_id>/qr.svg")
@login_required
def qr(workshop_id: int) -> Response:
    workshop = facilitated_workshop(workshop_id)
    buffer = io.BytesIO()
    segno.make(join_url(workshop), error="m").save(buffer, kind="svg", scale=10, border=2, xmldecl=False,
                                                    title=_("Join code %(code)s", code=workshop.code_grouped))
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.get("/workshops/<int:workshop_id>/moderation")
@login_required
def moderation(workshop_id: int) -> str:
    workshop = facilitated_workshop(workshop_id)
    entries = db.session.scalars(
        select(ModerationEntry).where(ModerationEntry.workshop_id == workshop.id).order_by(ModerationEntry.id)
    ).all()
    return render_template("workshops/moderation.html", workshop=workshop, entries=entries)

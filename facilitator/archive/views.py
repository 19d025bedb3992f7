"""Console pages: export (ZIP, JSON backup, anonymised ZIP), import, and erasing one participant."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse

from facilitator.archive import bundle, document, erasure
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.workshops.access import facilitated_workshop
from facilitator.workshops.models import Participant

bp = Blueprint("archive", __name__)

MAX_UPLOAD = 200 * 1024 * 1024


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/workshops/<int:workshop_id>/archive")
@login_required
def page(workshop_id: int) -> str:
    workshop = facilitated_workshop(workshop_id)
    participants = db.session.scalars(
        select(Participant).where(Participant.workshop_id == workshop.id).order_by(Participant.id)
    ).all()
    return render_template(
        "archive/workshop.html",
        workshop=workshop,
        participants=participants,
        retention_days=current_app.config.get("RETENTION_DAYS"),
    )


@bp.get("/workshops/<int:workshop_id>/export.zip")
@login_required
def export_zip(workshop_id: int) -> Response:
    workshop = facilitated_workshop(workshop_id)
    anonymise = request.args.get("anonymise") == "1"
    body = bundle.build_zip(workshop, anonymise=anonymise)
    return _download(body, "application/zip", bundle.zip_name(workshop, anonymise=anonymise))


@bp.get("/workshops/<int:workshop_id>/export.json")
@login_required
def export_json(workshop_id: int) -> Response:
    workshop = facilitated_workshop(workshop_id)
    body = document.dumps(document.export_document(workshop.id))
    return _download(body, "application/json", bundle.json_name(workshop))


@bp.route("/workshops/import", methods=["GET", "POST"])
@login_required
def import_page() -> str | WResponse:
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a workshop file (.json, or the .zip of an export) to import."), "error")
        else:
            raw = upload.stream.read(MAX_UPLOAD + 1)
            try:
                if len(raw) > MAX_UPLOAD:
                    raise document.ArchiveError(_("The file is too large to import."))
                new_id = document.import_document(document.parse(bundle.unpack(raw)), owner=current_user)
            except DomainError as err:
                flash(err.message, "error")
            else:
                flash(_("Workshop imported. You are its owner; its join code may have changed."), "success")
                return redirect(url_for("workshops.console", workshop_id=new_id))
    return render_template("archive/import.html")


@bp.route("/workshops/<int:workshop_id>/participants/<int:participant_id>/erase", methods=["GET", "POST"])
@login_required
def erase(workshop_id: int, participant_id: int) -> str | WResponse:
    workshop = facilitated_workshop(workshop_id)
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop.id:
        abort(404)
    if request.method == "POST":
        if request.form.get("confirm") != "erase":
            flash(_("Tick the box to confirm the erasure."), "error")
        else:
            result = erasure.erase_participant(workshop, participant.id, by=current_user)
            flash(
                _(
                    "%(name)s has been erased from this workshop (%(n)d records).",
                    name=result.name,
                    n=result.total,
                ),
                "success",
            )
            return redirect(url_for("archive.page", workshop_id=workshop.id) + "#people")
    doomed, unlink = erasure.plan(participant)
    counts = sorted((name, len(rows)) for name, rows in doomed.items())
    return render_template(
        "archive/erase.html", workshop=workshop, participant=participant, counts=counts, unlinked=len(unlink)
    )

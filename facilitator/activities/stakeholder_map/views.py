"""HTTP pages of a stakeholder map: exports and imports for the workshop's facilitators, and the
small server-drawn picture of the map that phones show instead of the interactive one."""

from __future__ import annotations

import re
import unicodedata

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as WResponse

from facilitator.activities.stakeholder_map import exports, imports
from facilitator.extensions import db
from facilitator.realtime.rooms import participant_for
from facilitator.workshops.access import facilitated_activity, facilitated_workshop
from facilitator.workshops.models import Activity, ActivityPhase

bp = Blueprint("stakeholder_map", __name__)

BASE = "/workshops/<int:workshop_id>/activities/<int:activity_id>"


def _activity(workshop_id: int, activity_id: int) -> Activity:
    activity = facilitated_activity(facilitated_workshop(workshop_id), activity_id)
    if activity.kind != "stakeholder_map":
        abort(404)
    return activity


def _filename(activity: Activity, suffix: str) -> str:
    text = unicodedata.normalize("NFKD", activity.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "stakeholder-map"
    return f"{slug}{suffix}"


def _file(body: str | bytes, mimetype: str, filename: str, *, attachment: bool = True) -> Response:
    response = Response(body, mimetype=mimetype)
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get(f"{BASE}/map.graphml")
@login_required
def graphml(workshop_id: int, activity_id: int) -> Response:
    activity = _activity(workshop_id, activity_id)
    return _file(exports.graphml(activity), "application/graphml+xml", _filename(activity, ".graphml"))


@bp.get(f"{BASE}/map.gexf")
@login_required
def gexf(workshop_id: int, activity_id: int) -> Response:
    activity = _activity(workshop_id, activity_id)
    return _file(exports.gexf(activity), "application/gexf+xml", _filename(activity, ".gexf"))


@bp.get(f"{BASE}/map.json")
@login_required
def node_link(workshop_id: int, activity_id: int) -> Response:
    activity = _activity(workshop_id, activity_id)
    return _file(exports.node_link(activity), "application/json", _filename(activity, ".json"))


@bp.get(f"{BASE}/map.svg")
@login_required
def svg(workshop_id: int, activity_id: int) -> Response:
    activity = _activity(workshop_id, activity_id)
    return _file(
        exports.svg(activity),
        "image/svg+xml",
        _filename(activity, ".svg"),
        attachment=request.args.get("download") == "1",
    )


@bp.get(f"{BASE}/stakeholders.csv")
@login_required
def stakeholders_csv(workshop_id: int, activity_id: int) -> Response:
    activity = _activity(workshop_id, activity_id)
    return _file(exports.stakeholders_csv(activity), "text/csv", _filename(activity, "-stakeholders.csv"))


@bp.get(f"{BASE}/relationships.csv")
@login_required
def relationships_csv(workshop_id: int, activity_id: int) -> Response:
    activity = _activity(workshop_id, activity_id)
    return _file(exports.relationships_csv(activity), "text/csv", _filename(activity, "-relationships.csv"))


# Imports ------------------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    stakeholders = FileField(_l("Stakeholders (CSV)"))
    relationships = FileField(_l("Relationships (CSV)"))
    graphml = FileField(_l("Or a whole map (GraphML)"))


def _max_bytes() -> int:
    return int(current_app.config.get("MAP_IMPORT_MAX_BYTES", imports.MAX_FILE_BYTES))


def _read(upload: FileStorage | None, limit: int) -> bytes | None:
    """The uploaded bytes, None when no file was chosen; refuses files over ``limit``."""
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(upload.filename)
    return data


@bp.route(f"{BASE}/import", methods=["GET", "POST"])
@login_required
def import_map(workshop_id: int, activity_id: int) -> str | WResponse | tuple[str, int]:
    activity = _activity(workshop_id, activity_id)
    form = ImportForm()
    limit = _max_bytes()
    errors: list[imports.RowError] = []
    if request.method == "POST" and request.content_length and request.content_length > 3 * limit + 65536:
        abort(413)
    if form.validate_on_submit():
        try:
            files = {
                name: _read(getattr(form, name).data, limit)
                for name in ("stakeholders", "relationships", "graphml")
            }
        except ValueError:
            errors = [imports.RowError("", 0, _("Each file can be at most %(n)d kB.", n=limit // 1024))]
            files = {}
        if files and not any(files.values()):
            errors = [imports.RowError("", 0, _("Choose a CSV or GraphML file to import."))]
        elif files and files["graphml"] and (files["stakeholders"] or files["relationships"]):
            errors = [imports.RowError("", 0, _("Import either CSV files or a GraphML file, not both."))]
        elif files:
            plan = (
                imports.read_graphml(files["graphml"])
                if files["graphml"]
                else imports.read_csv(files["stakeholders"], files["relationships"])
            )
            try:
                done = imports.import_plan(activity, plan)
            except imports.ImportRefused as refused:
                db.session.rollback()
                errors = refused.errors
            else:
                flash(
                    _(
                        "Imported %(s)d new stakeholders (%(m)d were already on the map) "
                        "and %(r)d relationships.",
                        s=done["stakeholders"],
                        m=done["matched"],
                        r=done["relationships"],
                    ),
                    "success",
                )
                return redirect(url_for(".import_map", workshop_id=workshop_id, activity_id=activity_id))
    page = render_template(
        "stakeholder_map/import.html",
        workshop=activity.workshop,
        activity=activity,
        form=form,
        errors=errors,
        limit_kb=limit // 1024,
        more=len(errors) >= imports.MAX_REPORTED,
    )
    return (page, 422) if errors else page


# The phone's picture of the map -------------------------------------------------------------------


@bp.get("/stakeholder-map/<int:activity_id>/thumbnail.svg")
def thumbnail(activity_id: int) -> Response:
    """The map as a light SVG for phones: for participants of the workshop (and its facilitators)."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.kind != "stakeholder_map":
        abort(404)
    staff = current_user.is_authenticated and activity.workshop.is_facilitated_by(current_user)
    if not staff and (participant_for(activity.workshop_id) is None or activity.phase == ActivityPhase.DRAFT):
        abort(404)
    width = 360 if request.args.get("size") != "large" else 1000
    response = Response(exports.thumbnail(activity, width=width), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, no-store"
    return response

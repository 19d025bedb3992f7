"""HTTP exports of a stakeholder map, for the workshop's facilitators."""

from __future__ import annotations

import re
import unicodedata

from flask import Blueprint, Response, abort, request
from flask_login import login_required

from facilitator.activities.stakeholder_map import exports
from facilitator.workshops.access import facilitated_activity, facilitated_workshop
from facilitator.workshops.models import Activity

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

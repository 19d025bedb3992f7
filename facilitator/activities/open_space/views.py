"""The proceedings of an open space: a printable page and exports (CSV, JSON, Markdown)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_login import login_required

from facilitator.activities.open_space import services
from facilitator.exports import safe_cell
from facilitator.workshops.access import facilitated_activity, facilitated_workshop
from facilitator.workshops.models import Activity

bp = Blueprint("open_space", __name__)



def _activity(workshop_id: int, activity_id: int) -> tuple[Any, Activity]:
    workshop = facilitated_workshop(workshop_id)
    activity = facilitated_activity(workshop, activity_id)
    if activity.kind != "open_space":
        from flask import abort

        abort(404)
    return workshop, activity


def _filename(activity: Activity, ext: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", activity.title).strip("-")[:60] or "open-space"
    return f"{stem}-proceedings.{ext}"


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/workshops/<int:workshop_id>/open-space/<int:activity_id>/proceedings")
@login_required
def proceedings(workshop_id: int, activity_id: int) -> str:
    workshop, activity = _activity(workshop_id, activity_id)
    sessions = services.proceedings(activity)
    slots = services.slots_of(activity)
    by_slot: list[tuple[Any, list[dict[str, Any]]]] = []
    for slot in slots:
        by_slot.append((slot, [s for s in sessions if s["slot"] and s["slot"]["id"] == slot.id]))
    unplaced = [s for s in sessions if s["slot"] is None]
    return render_template(
        "open_space/proceedings.html",
        workshop=workshop,
        activity=activity,
        by_slot=by_slot,
        unplaced=unplaced,
        sessions=sessions,
    )


@bp.get("/workshops/<int:workshop_id>/open-space/<int:activity_id>/proceedings.csv")
@login_required
def proceedings_csv(workshop_id: int, activity_id: int) -> Response:
    _workshop, activity = _activity(workshop_id, activity_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Slot"),
            _("Starts"),
            _("Space"),
            _("Topic"),
            _("Description"),
            _("Convener"),
            _("Interested"),
            _("Participants"),
            _("Notes"),
            _("Key points"),
            _("Proposed actions"),
        ]
    )
    for s in services.proceedings(activity):
        report = s["report"] or {}
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    s["slot"]["label"] if s["slot"] else "",
                    s["slot"]["starts_at"] if s["slot"] else "",
                    s["space"]["name"] if s["space"] else "",
                    s["title"],
                    s["description"],
                    s["convener"] or "",
                    s["interest_count"],
                    s["participants"],
                    report.get("notes", ""),
                    "\n".join(report.get("key_points", [])),
                    "\n".join(report.get("proposed_actions", [])),
                )
            ]
        )
    return _download(buffer.getvalue(), "text/csv; charset=utf-8", _filename(activity, "csv"))


@bp.get("/workshops/<int:workshop_id>/open-space/<int:activity_id>/proceedings.json")
@login_required
def proceedings_json(workshop_id: int, activity_id: int) -> Response:
    _workshop, activity = _activity(workshop_id, activity_id)
    body = json.dumps(
        {
            "activity": {"id": activity.id, "title": activity.title, "prompt": activity.prompt},
            **services.export(activity),
        },
        ensure_ascii=False,
        indent=2,
    )
    return _download(body, "application/json", _filename(activity, "json"))


@bp.get("/workshops/<int:workshop_id>/open-space/<int:activity_id>/proceedings.md")
@login_required
def proceedings_markdown(workshop_id: int, activity_id: int) -> Response:
    _workshop, activity = _activity(workshop_id, activity_id)

    def md(text: str) -> str:
        return re.sub(r"([\\`*_{}\[\]<>#|!])", r"\\\1", text.replace("\r", ""))

    lines = [f"# {md(activity.title)}", ""]
    if activity.prompt:
        lines += [md(activity.prompt), ""]
    for s in services.proceedings(activity):
        where = " · ".join(
            x
            for x in (
                s["slot"]["label"] if s["slot"] else _("Not on the agenda"),
                s["slot"]["starts_at"] if s["slot"] else "",
                s["space"]["name"] if s["space"] else "",
            )
            if x
        )
        lines += [f"## {md(s['title'])}", "", f"*{md(where)}*"]
        if s["convener"]:
            lines.append(f"{_('Convener')}: {md(s['convener'])}")
        lines.append("")
        report = s["report"]
        if not report:
            lines += [f"_{_('No report yet.')}_", ""]
            continue
        if report["notes"]:
            lines += [md(report["notes"]), ""]
        for heading, key in ((_("Key points"), "key_points"), (_("Proposed actions"), "proposed_actions")):
            if report[key]:
                lines += [f"### {heading}", ""] + [f"- {md(p)}" for p in report[key]] + [""]
    return _download("\n".join(lines), "text/markdown; charset=utf-8", _filename(activity, "md"))


@bp.app_context_processor
def _settings_helpers() -> dict[str, Any]:
    """The settings partial lists the grid of the activity being edited."""

    def open_space_grid(activity: Activity) -> dict[str, Any]:
        return {"spaces": services.spaces_of(activity), "slots": services.slots_of(activity)}

    return {"open_space_grid": open_space_grid}

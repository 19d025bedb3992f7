"""The proceedings of an open space: a printable page and exports (CSV, JSON, Markdown)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from typing import Any

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as WResponse

from facilitator.activities.open_space import convergence, photos, services
from facilitator.activities.open_space.models import Photo, Slot, Space, Topic
from facilitator.errors import DomainError
from facilitator.exports import safe_cell, to_csv
from facilitator.extensions import db
from facilitator.netaddr import public_base_url
from facilitator.realtime.rooms import participant_for
from facilitator.workshops.access import facilitated_activity, facilitated_workshop
from facilitator.workshops.models import Activity, Participant, Workshop, WorkshopPhase

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
        if report.get("took_part"):
            lines += [f"{_('Took part')}: {md(', '.join(report['took_part']))}", ""]
        for heading, key in ((_("Key points"), "key_points"), (_("Proposed actions"), "proposed_actions")):
            if report[key]:
                lines += [f"### {heading}", ""] + [f"- {md(p)}" for p in report[key]] + [""]
        if s["photos"]:
            lines += [_("%(n)d flip-chart photos (see the proceedings page).", n=len(s["photos"])), ""]
    return _download("\n".join(lines), "text/markdown; charset=utf-8", _filename(activity, "md"))


@bp.app_context_processor
def _settings_helpers() -> dict[str, Any]:
    """The settings partial lists the grid of the activity being edited."""

    def open_space_grid(activity: Activity) -> dict[str, Any]:
        return {"spaces": services.spaces_of(activity), "slots": services.slots_of(activity)}

    return {"open_space_grid": open_space_grid}


@bp.get("/workshops/<int:workshop_id>/open-space/<int:activity_id>/actions.csv")
@login_required
def actions_csv(workshop_id: int, activity_id: int) -> Response:
    """Every proposed action with its session and votes, most votes first."""
    _workshop, activity = _activity(workshop_id, activity_id)
    sessions = {s["topic_id"]: s for s in services.proceedings(activity)}
    ranked = convergence.ranking(
        activity, convergence.actions_of(activity, services.ordered_topics(activity))
    )
    rows = []
    for rank, action in enumerate(ranked, start=1):
        s = sessions.get(action["topic_id"]) or {}
        rows.append(
            [
                rank,
                action["text"],
                action["votes"],
                action["topic"],
                (s.get("slot") or {}).get("label", ""),
                (s.get("space") or {}).get("name", ""),
                s.get("convener") or "",
            ]
        )
    body = to_csv(
        [_("Rank"), _("Action"), _("Votes"), _("Topic"), _("Slot"), _("Space"), _("Convener")], rows
    )
    return _download(
        body, "text/csv; charset=utf-8", _filename(activity, "csv").replace("proceedings", "actions")
    )


# QR check-in --------------------------------------------------------------------------------------


def _qr(url: str, title: str) -> Markup:
    """An inline SVG QR code: made here from our own URL, so it is safe markup."""
    return Markup(segno.make(url, error="m").svg_inline(scale=5, border=2, title=title))


@bp.get("/workshops/<int:workshop_id>/open-space/<int:activity_id>/qr-sheets")
@login_required
def qr_sheets(workshop_id: int, activity_id: int) -> str:
    """Printable sheets: a sign per space and a card per topic on the wall, each with a check-in QR."""
    workshop, activity = _activity(workshop_id, activity_id)
    base = public_base_url()
    slots = {s.id: s for s in services.slots_of(activity)}
    spaces = services.spaces_of(activity)
    space_by_id = {s.id: s for s in spaces}
    signs = []
    for space in spaces:
        url = base + url_for(
            "open_space.space_check_in", code=workshop.code, activity_id=activity.id, space_id=space.id
        )
        signs.append({"space": space, "url": url, "qr": _qr(url, space.name)})
    cards = []
    for topic in services.ordered_topics(activity):
        if topic.slot_id is None:
            continue
        url = base + url_for(
            "open_space.check_in", code=workshop.code, activity_id=activity.id, topic_id=topic.id
        )
        cards.append(
            {
                "topic": topic,
                "slot": slots.get(topic.slot_id),
                "space": space_by_id.get(topic.space_id or 0),
                "url": url,
                "qr": _qr(url, topic.title),
            }
        )
    return render_template(
        "open_space/qr_sheets.html", workshop=workshop, activity=activity, signs=signs, cards=cards
    )


def _phone_activity(code: str, activity_id: int) -> tuple[Workshop, Activity, Participant | None]:
    from facilitator.workshops.services import find_by_code

    workshop = find_by_code(code)
    if workshop is None:
        abort(404)
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != workshop.id or activity.kind != "open_space":
        abort(404)
    return workshop, activity, participant_for(workshop.id)


@bp.route("/j/<code>/open-space/<int:activity_id>/check-in/<int:topic_id>", methods=["GET", "POST"])
def check_in(code: str, activity_id: int, topic_id: int) -> str | WResponse:
    """A scanned topic card: GET asks to confirm (a link alone changes nothing), POST checks in."""
    workshop, activity, participant = _phone_activity(code, activity_id)
    if participant is None:
        flash(_("Join the workshop first, then scan the code again."), "info")
        return redirect(url_for("join.join", code=workshop.code))
    if workshop.phase == WorkshopPhase.ENDED:
        abort(410)
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.activity_id != activity.id or topic.is_hidden:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            services.check_in(activity, topic.id, by=participant)
        except DomainError as err:
            db.session.rollback()
            error = err.message
        else:
            flash(_("You are checked in to “%(title)s”.", title=topic.title), "success")
            return redirect(url_for("join.live", code=workshop.code))
    slot = db.session.get(Slot, topic.slot_id) if topic.slot_id else None
    space = db.session.get(Space, topic.space_id) if topic.space_id else None
    return render_template(
        "open_space/check_in.html",
        workshop=workshop,
        activity=activity,
        choices=[(topic, slot, space)],
        error=error,
    )


@bp.get("/j/<code>/open-space/<int:activity_id>/space/<int:space_id>")
def space_check_in(code: str, activity_id: int, space_id: int) -> str | WResponse:
    """A scanned space sign: offers the session running there now (or every session held there)."""
    workshop, activity, participant = _phone_activity(code, activity_id)
    if participant is None:
        flash(_("Join the workshop first, then scan the code again."), "info")
        return redirect(url_for("join.join", code=workshop.code))
    space = db.session.get(Space, space_id)
    if space is None or space.activity_id != activity.id:
        abort(404)
    slots = {s.id: s for s in services.slots_of(activity)}
    now = services.current_slot_id(activity, list(slots.values()))
    here = [
        t
        for t in services.ordered_topics(activity)
        if t.space_id == space.id and t.slot_id is not None and (now is None or t.slot_id == now)
    ]
    return render_template(
        "open_space/check_in.html",
        workshop=workshop,
        activity=activity,
        choices=[(t, slots.get(t.slot_id or 0), space) for t in here],
        error=None if here else _("No session is running in %(space)s now.", space=space.name),
    )


# My agenda as a calendar file ---------------------------------------------------------------------


def _ics_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r", "")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 lines are at most 75 octets; longer ones continue on lines starting with a space."""
    out, current = [], b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > 74:
            out.append(current.decode("utf-8"))
            current = b" "
        current += b
    out.append(current.decode("utf-8"))
    return "\r\n".join(out)


def my_agenda_ics(workshop: Workshop, activity: Activity, participant: Participant) -> str:
    """The sessions I convene, marked interest in, or went to, as iCalendar events (venue local time)."""
    from sqlalchemy import select

    from facilitator.activities.open_space.models import Interest, Visit

    try:
        day = date.fromisoformat(workshop.starts_on) if workshop.starts_on else activity.created_at.date()
    except ValueError:
        day = activity.created_at.date()
    interested = set(
        db.session.scalars(select(Interest.topic_id).where(Interest.participant_id == participant.id))
    ) | set(db.session.scalars(select(Visit.topic_id).where(Visit.participant_id == participant.id)))
    slots = {s.id: s for s in services.slots_of(activity)}
    spaces = {s.id: s for s in services.spaces_of(activity)}
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    host = public_base_url().split("//")[-1].split("/")[0].split(":")[0] or "facilitator"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Facilitator//Open Space//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_ics_text(activity.title)}",
    ]
    for topic in services.ordered_topics(activity):
        if topic.slot_id is None or (topic.convener_id != participant.id and topic.id not in interested):
            continue
        slot = slots.get(topic.slot_id)
        start = services.minutes_of(slot.starts_at) if slot else None
        if slot is None or start is None:
            continue
        end = services.minutes_of(slot.ends_at)
        begins = datetime.combine(day, datetime.min.time()) + timedelta(minutes=start)
        ends = datetime.combine(day, datetime.min.time()) + timedelta(
            minutes=end if end and end > start else start + 45
        )
        space = spaces.get(topic.space_id or 0)
        role = _("You convene this session.") if topic.convener_id == participant.id else ""
        lines += [
            "BEGIN:VEVENT",
            f"UID:open-space-{activity.id}-{topic.id}-{participant.id}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{begins:%Y%m%dT%H%M%S}",
            f"DTEND:{ends:%Y%m%dT%H%M%S}",
            f"SUMMARY:{_ics_text(topic.title)}",
            f"LOCATION:{_ics_text(space.name if space else '')}",
            f"DESCRIPTION:{_ics_text(' '.join(x for x in (role, topic.description, workshop.title) if x))}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


@bp.get("/j/<code>/open-space/<int:activity_id>/my-agenda.ics")
def my_agenda(code: str, activity_id: int) -> Response:
    workshop, activity, participant = _phone_activity(code, activity_id)
    if participant is None:
        abort(403)
    response = Response(
        my_agenda_ics(workshop, activity, participant), mimetype="text/calendar; charset=utf-8"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="my-open-space-agenda.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Flip-chart photos --------------------------------------------------------------------------------


def _viewer(activity: Activity) -> tuple[bool, Participant | None]:
    """(is a facilitator of this workshop, the participant of this workshop on this phone)."""
    workshop = db.session.get(Workshop, activity.workshop_id)
    staff = bool(workshop and current_user.is_authenticated and workshop.is_facilitated_by(current_user))
    return staff, participant_for(activity.workshop_id)


@bp.get("/open-space/<int:activity_id>/photos/<int:photo_id>.jpg")
def photo(activity_id: int, photo_id: int) -> Response:
    """A photo, only for the workshop's facilitators and participants (never cached by proxies)."""
    activity = db.session.get(Activity, activity_id)
    item = db.session.get(Photo, photo_id)
    if activity is None or item is None or item.activity_id != activity.id:
        abort(404)
    staff, participant = _viewer(activity)
    topic = db.session.get(Topic, item.topic_id)
    if not staff and (participant is None or topic is None or topic.is_hidden):
        abort(404)
    path = photos.photo_file(item)
    if not path.is_file():
        abort(404)
    response = Response(path.read_bytes(), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/open-space/<int:activity_id>/topics/<int:topic_id>/photos", methods=["GET", "POST"])
def topic_photos(activity_id: int, topic_id: int) -> str | WResponse:
    """Add or remove flip-chart photos: the convener, anyone who was in the session, or a facilitator."""
    activity = db.session.get(Activity, activity_id)
    topic = db.session.get(Topic, topic_id)
    if activity is None or activity.kind != "open_space" or topic is None or topic.activity_id != activity.id:
        abort(404)
    staff, participant = _viewer(activity)
    if not staff:
        if participant is None or topic.is_hidden:
            abort(404)
        if not services.can_report(activity, topic, participant):
            abort(403)
    workshop = db.session.get(Workshop, activity.workshop_id)
    assert workshop is not None
    if request.method == "POST":
        try:
            if not staff:
                activity.require_phase(services.ActivityPhase.OPEN)
            remove = request.form.get("remove", "")
            if remove.isdigit():
                photos.remove_photo(activity, topic, int(remove))
                flash(_("Photo removed."), "success")
            else:
                upload = request.files.get("photo")
                if upload is None or not upload.filename:
                    raise DomainError("invalid", _("Please choose a photo."))
                try:
                    data = upload.stream.read(photos.MAX_BYTES + 1)
                finally:
                    upload.close()
                photos.add_photo(activity, topic, data, by=None if staff else participant)
                flash(_("Photo added."), "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        return redirect(url_for("open_space.topic_photos", activity_id=activity.id, topic_id=topic.id))
    back = (
        url_for("workshops.console", workshop_id=workshop.id)
        if staff
        else url_for("join.live", code=workshop.code)
    )
    return render_template(
        "open_space/photos.html",
        workshop=workshop,
        activity=activity,
        topic=topic,
        photos=photos.photos_by_topic(activity).get(topic.id, []),
        back=back,
        staff=staff,
        max_mb=photos.MAX_BYTES // (1024 * 1024),
    )

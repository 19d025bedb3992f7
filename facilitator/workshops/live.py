"""What a live client sees: the snapshot on (re)connect, the delta of missed events, derived counters."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select

from facilitator.activities import get_kind
from facilitator.db import utcnow
from facilitator.extensions import db
from facilitator.i18n import translate_builtin
from facilitator.realtime.protocol import Actor, Role
from facilitator.realtime.publish import (
    ALL,
    STAFF,
    Coalescer,
    emit_now,
    participant_audience,
    room_for,
    screen_room,
)
from facilitator.workshops.models import Participant, Presence, Workshop, WorkshopEvent
from facilitator.workshops.services import activity_public, agenda_public, timer_public, workshop_public


def counters(workshop: Workshop) -> dict[str, Any]:
    joined = db.session.scalar(select(func.count()).where(Participant.workshop_id == workshop.id)) or 0
    online = (
        db.session.scalar(
            select(func.count(func.distinct(Presence.participant_id))).where(
                Presence.workshop_id == workshop.id, Presence.participant_id.is_not(None)
            )
        )
        or 0
    )
    staged = workshop.staged
    answered = get_kind(staged.kind).answered(staged) if staged else 0
    return {"joined": joined, "online": online, "answered": answered}


def room_mix(workshop: Workshop) -> dict[str, list[tuple[str, int]]]:
    """The room's mix by sector and by organisation, for the facilitator's console."""

    def tally(column: Any) -> list[tuple[str, int]]:
        rows = db.session.execute(
            select(column, func.count()).where(Participant.workshop_id == workshop.id).group_by(column)
        ).all()
        return sorted(((name or "", n) for name, n in rows), key=lambda r: (-r[1], r[0]))

    return {"sector": tally(Participant.sector), "organisation": tally(Participant.organisation)}


def online_participants(workshop: Workshop) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Participant)
        .join(Presence, Presence.participant_id == Participant.id)
        .where(Presence.workshop_id == workshop.id)
        .distinct()
        .order_by(Participant.display_name)
    ).scalars()
    return [{"id": p.id, "name": p.label, "organisation": p.organisation, "sector": p.sector} for p in rows]


def staged_state(workshop: Workshop, actor: Actor) -> dict[str, Any] | None:
    staged = workshop.staged
    if staged is None:
        return None
    kind = get_kind(staged.kind)
    return {
        **activity_public(staged),
        "title": translate_builtin(staged.title),  # a default title (a kind's name) in the asker's words
        "state": kind.snapshot(staged, actor),
        "hidden_count": kind.hidden_count(staged),
    }


def snapshot(workshop: Workshop, actor: Actor) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workshop": workshop_public(workshop),
        "staged": staged_state(workshop, actor),
        "timer": timer_public(workshop),
        "counters": counters(workshop),
        "server_now": int(utcnow().timestamp() * 1000),
    }
    if actor.role == Role.FACILITATOR:
        data["agenda"] = agenda_public(workshop)
        data["mix"] = room_mix(workshop)
        data["online"] = online_participants(workshop)
    if actor.role == Role.PARTICIPANT:
        participant = actor.participant()
        data["me"] = {"id": participant.id, "name": participant.label}
    return data


def audiences_for(actor: Actor) -> list[str]:
    audiences = [ALL]
    if actor.role == Role.FACILITATOR:
        audiences.append(STAFF)
    if actor.participant_id is not None:
        audiences.append(participant_audience(actor.participant_id))
    return audiences


def resync(workshop: Workshop, actor: Actor, last_seq: int | None) -> dict[str, Any]:
    """Everything after ``last_seq`` the actor may see, or a snapshot if that is shorter or safer."""
    current = workshop.seq
    limit = current_app.config["RESYNC_MAX_EVENTS"]
    if last_seq is not None and 0 <= last_seq <= current and current - last_seq <= limit:
        rows = db.session.scalars(
            select(WorkshopEvent)
            .where(
                WorkshopEvent.workshop_id == workshop.id,
                WorkshopEvent.seq > last_seq,
                WorkshopEvent.audience.in_(audiences_for(actor)),
            )
            .order_by(WorkshopEvent.seq)
        ).all()
        return {
            "mode": "delta",
            "seq": current,
            "events": [{"name": r.name, "seq": r.seq, "data": r.payload} for r in rows],
            "counters": counters(workshop),
            "server_now": int(utcnow().timestamp() * 1000),
        }
    return {"mode": "snapshot", "seq": current, "snapshot": snapshot(workshop, actor)}


def _push_counters(workshop_id: int) -> None:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        return
    data = counters(workshop)
    emit_now("counters:changed", data, screen_room(workshop_id))
    emit_now("counters:changed", data, room_for(workshop_id, STAFF))
    emit_now("presence:changed", {"online": online_participants(workshop), "mix": room_mix(workshop)},
             room_for(workshop_id, STAFF))


counter_push = Coalescer(_push_counters, interval=0.25)

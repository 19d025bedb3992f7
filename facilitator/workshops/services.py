"""Named operations on workshops. Views and socket handlers call these; these commit and announce."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from facilitator.activities import get_kind, registry
from facilitator.auth.models import Facilitator
from facilitator.db import utcnow
from facilitator.errors import DomainError, NotFound
from facilitator.extensions import db
from facilitator.realtime.publish import STAFF, announce
from facilitator.workshops.models import (
    Activity,
    ActivityPhase,
    ModerationEntry,
    Participant,
    Visibility,
    Workshop,
    WorkshopFacilitator,
    WorkshopPhase,
)

MAX_ACTIVITIES = 30


def new_code() -> str:
    """A 6-digit code not used by any workshop (ended ones included, so old links stay unambiguous)."""
    for _attempt in range(50):
        code = f"{secrets.randbelow(900000) + 100000}"
        if db.session.scalar(select(func.count()).where(Workshop.code == code)) == 0:
            return code
    raise DomainError("no_code", _("Could not find a free join code. Please try again."))


def find_by_code(code: str) -> Workshop | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    rows = db.session.scalars(select(Workshop).where(Workshop.code == code).order_by(Workshop.id.desc())).all()
    return rows[0] if rows else None


def create_workshop(data: dict[str, Any], *, by: Facilitator) -> Workshop:
    workshop = Workshop(
        title=data["title"],
        purpose=data.get("purpose", ""),
        venue=data.get("venue", ""),
        starts_on=data.get("starts_on", ""),
        screen_language=data.get("screen_language") or "",
        code=new_code(),
    )
    workshop.memberships.append(WorkshopFacilitator(facilitator=by, is_owner=True))
    db.session.add(workshop)
    db.session.commit()
    return workshop


def update_workshop(workshop: Workshop, data: dict[str, Any], *, by: Facilitator) -> Workshop:
    for key in ("title", "purpose", "venue", "starts_on", "screen_language"):
        if key in data:
            setattr(workshop, key, data[key] or "")
    announce(workshop.id, "workshop:updated", workshop_public(workshop))
    db.session.commit()
    return workshop


def duplicate_workshop(workshop: Workshop, *, by: Facilitator) -> Workshop:
    copy = Workshop(
        title=_("Copy of %(title)s", title=workshop.title)[:200],
        purpose=workshop.purpose,
        venue=workshop.venue,
        starts_on="",
        screen_language=workshop.screen_language,
        code=new_code(),
    )
    copy.memberships.append(WorkshopFacilitator(facilitator=by, is_owner=True))
    for activity in workshop.activities:
        copy.activities.append(
            Activity(
                kind=activity.kind,
                title=activity.title,
                prompt=activity.prompt,
                position=activity.position,
                visibility=activity.visibility,
                config=dict(activity.config or {}),
            )
        )
    db.session.add(copy)
    db.session.commit()
    return copy


def delete_workshop(workshop: Workshop, *, by: Facilitator) -> None:
    workshop.staged_activity_id = None
    db.session.flush()
    db.session.delete(workshop)
    db.session.commit()


def set_workshop_phase(workshop: Workshop, phase: WorkshopPhase, *, by: Facilitator) -> Workshop:
    if phase not in WorkshopPhase:
        raise DomainError("invalid", _("Unknown phase."))
    workshop.phase = phase
    if phase == WorkshopPhase.ENDED:
        for activity in workshop.activities:
            if activity.phase == ActivityPhase.OPEN:
                activity.phase = ActivityPhase.CLOSED
        workshop.timer_ends_at = None
        workshop.timer_remaining = None
    announce(workshop.id, "workshop:phase_changed", {"phase": str(phase)})
    db.session.commit()
    return workshop


def add_co_facilitator(workshop: Workshop, email: str, *, by: Facilitator) -> Facilitator:
    other = db.session.scalar(select(Facilitator).where(func.lower(Facilitator.email) == email.strip().lower()))
    if other is None:
        raise DomainError(
            "no_account", _("No facilitator account has that email address. Ask them to be given an account first.")
        )
    if workshop.is_facilitated_by(other):
        raise DomainError("already", _("%(name)s already facilitates this workshop.", name=other.name))
    workshop.memberships.append(WorkshopFacilitator(facilitator=other, is_owner=False))
    db.session.commit()
    return other


def remove_co_facilitator(workshop: Workshop, facilitator_id: int, *, by: Facilitator) -> None:
    membership = next((m for m in workshop.memberships if m.facilitator_id == facilitator_id), None)
    if membership is None:
        raise NotFound()
    if membership.is_owner:
        raise DomainError("owner", _("The workshop's owner cannot be removed."))
    workshop.memberships.remove(membership)
    db.session.commit()


# Activities -------------------------------------------------------------------------------------


def add_activity(workshop: Workshop, kind_name: str, title: str, prompt: str, *, by: Facilitator) -> Activity:
    if kind_name not in registry():
        raise DomainError("invalid", _("Unknown kind of activity."))
    if len(workshop.activities) >= MAX_ACTIVITIES:
        raise DomainError("too_many", _("A workshop can have at most %(n)d activities.", n=MAX_ACTIVITIES))
    kind = get_kind(kind_name)
    position = max((a.position for a in workshop.activities), default=-1) + 1
    if not title:
        # The kind's name, stored in English like other built-in text and shown in the reader's language
        # (translate_builtin): not in the language of the console that happened to add it.
        with force_locale("en"):
            title = kind.label()
    activity = Activity(
        kind=kind_name,
        title=title,
        prompt=prompt,
        position=position,
        visibility=kind.default_visibility,
        config=kind.default_config(),
    )
    workshop.activities.append(activity)
    db.session.flush()
    announce(workshop.id, "agenda:changed", {"agenda": agenda_public(workshop)}, audience=STAFF)
    db.session.commit()
    return activity


def update_activity(activity: Activity, title: str, prompt: str, visibility: str, *, by: Facilitator) -> Activity:
    if visibility not in {v.value for v in Visibility}:
        raise DomainError("invalid", _("Unknown visibility."))
    if activity.phase != ActivityPhase.DRAFT and visibility != activity.visibility:
        raise DomainError(
            "visibility_locked",
            _("Who can see names cannot change once the activity has been opened: participants were told."),
        )
    activity.title = title
    activity.prompt = prompt
    activity.visibility = visibility
    announce(activity.workshop_id, "activity:updated", activity_public(activity))
    db.session.commit()
    return activity


def move_activity(activity: Activity, direction: int, *, by: Facilitator) -> None:
    workshop = activity.workshop
    ordered = list(workshop.activities)
    index = ordered.index(activity)
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        for pos, item in enumerate(ordered):
            item.position = pos
        db.session.flush()
        db.session.expire(workshop, ["activities"])
        announce(workshop.id, "agenda:changed", {"agenda": agenda_public(workshop)}, audience=STAFF)
    db.session.commit()


def remove_activity(activity: Activity, *, by: Facilitator) -> None:
    workshop = activity.workshop
    if workshop.staged_activity_id == activity.id:
        workshop.staged_activity_id = None
        announce(workshop.id, "activity:staged", {"activity": None})
    db.session.delete(activity)
    db.session.flush()
    db.session.expire(workshop, ["activities"])
    announce(workshop.id, "agenda:changed", {"agenda": agenda_public(workshop)}, audience=STAFF)
    db.session.commit()


def stage_activity(workshop: Workshop, activity: Activity | None, *, by: Any) -> None:
    workshop.require_not_ended()
    workshop.staged_activity_id = activity.id if activity else None
    if workshop.phase == WorkshopPhase.DRAFT and activity is not None:
        workshop.phase = WorkshopPhase.LIVE
        announce(workshop.id, "workshop:phase_changed", {"phase": str(WorkshopPhase.LIVE)})
    announce(workshop.id, "activity:staged", {"activity": staged_public(activity) if activity else None})
    db.session.commit()


def set_activity_phase(activity: Activity, phase: ActivityPhase, *, by: Any) -> None:
    activity.workshop.require_not_ended()
    if phase == ActivityPhase.DRAFT:
        raise DomainError("invalid", _("An activity cannot go back to draft."))
    activity.phase = phase
    announce(activity.workshop_id, "activity:phase_changed", {"activity_id": activity.id, "phase": str(phase)})
    db.session.commit()


# Timer ------------------------------------------------------------------------------------------


def timer_start(workshop: Workshop, seconds: int, label: str, *, by: Any) -> None:
    workshop.timer_ends_at = utcnow() + timedelta(seconds=seconds)
    workshop.timer_remaining = None
    workshop.timer_label = label
    _announce_timer(workshop)


def timer_add(workshop: Workshop, seconds: int, *, by: Any) -> None:
    if workshop.timer_remaining is not None:
        workshop.timer_remaining = max(0, workshop.timer_remaining + seconds)
    elif workshop.timer_ends_at is not None:
        workshop.timer_ends_at = max(workshop.timer_ends_at, utcnow()) + timedelta(seconds=seconds)
    else:
        raise DomainError("no_timer", _("There is no timer running."))
    _announce_timer(workshop)


def timer_pause(workshop: Workshop, *, by: Any) -> None:
    if workshop.timer_ends_at is None:
        raise DomainError("no_timer", _("There is no timer running."))
    workshop.timer_remaining = max(0, int((workshop.timer_ends_at - utcnow()).total_seconds()))
    workshop.timer_ends_at = None
    _announce_timer(workshop)


def timer_resume(workshop: Workshop, *, by: Any) -> None:
    if workshop.timer_remaining is None:
        raise DomainError("no_timer", _("The timer is not paused."))
    workshop.timer_ends_at = utcnow() + timedelta(seconds=workshop.timer_remaining)
    workshop.timer_remaining = None
    _announce_timer(workshop)


def timer_stop(workshop: Workshop, *, by: Any) -> None:
    workshop.timer_ends_at = None
    workshop.timer_remaining = None
    _announce_timer(workshop)


def _announce_timer(workshop: Workshop) -> None:
    announce(workshop.id, "timer:changed", timer_public(workshop))
    db.session.commit()


# Moderation -------------------------------------------------------------------------------------


def set_item_hidden(
    activity: Activity, item_type: str, item_id: int, hidden: bool, reason: str, *, by: Facilitator | None
) -> None:
    kind = get_kind(activity.kind)
    spec = kind.items.get(item_type)
    if spec is None:
        raise DomainError("invalid", _("Unknown kind of item."))
    item = db.session.get(spec.model, item_id)
    if item is None or item.activity_id != activity.id:
        raise NotFound(_("That item could not be found."))
    if hidden and not reason.strip():
        raise DomainError("reason_required", _("Please give a reason for hiding this item."))
    if bool(item.is_hidden) == hidden:
        return
    item.is_hidden = hidden
    db.session.add(
        ModerationEntry(
            workshop_id=activity.workshop_id,
            activity_id=activity.id,
            item_type=item_type,
            item_id=item_id,
            action="hide" if hidden else "restore",
            reason=reason.strip(),
            item_text=item.moderation_text()[:2000],
            facilitator_id=getattr(by, "id", None),
        )
    )
    db.session.flush()
    count = kind.hidden_count(activity)
    if hidden:
        announce(
            activity.workshop_id,
            "item:hidden",
            {"activity_id": activity.id, "item_type": item_type, "item_id": item_id, "hidden_count": count},
        )
    else:
        announce(
            activity.workshop_id,
            "item:restored",
            {
                "activity_id": activity.id,
                "item_type": item_type,
                "item_id": item_id,
                "item": spec.public(item),
                "hidden_count": count,
            },
        )
    db.session.commit()


# Public shapes ----------------------------------------------------------------------------------


def workshop_public(workshop: Workshop) -> dict[str, Any]:
    return {
        "id": workshop.id,
        "title": workshop.title,
        "purpose": workshop.purpose,
        "code": workshop.code,
        "code_grouped": workshop.code_grouped,
        "phase": workshop.phase,
        "screen_language": workshop.screen_language,
    }


def activity_public(activity: Activity) -> dict[str, Any]:
    """An activity as broadcasts carry it: no words in anyone's language (see ``staged_public``)."""
    kind = get_kind(activity.kind)
    return {
        "id": activity.id,
        "kind": activity.kind,
        "title": activity.title,
        "prompt": activity.prompt,
        "phase": activity.phase,
        "visibility": activity.visibility,
        "config": activity.config or {},
        "js": kind.js,
    }


# Parts of a kind's snapshot worded for whoever asked (the module's words, built-in texts translated, a
# stakeholder map's findings). A broadcast is built once, in the language of whoever triggered it, and goes
# to phones in every language: it leaves these out, and each client asks for its own (activity:state).
WORDED_STATE = frozenset({"t", "words", "i18n", "labels", "analysis"})


def staged_public(activity: Activity) -> dict[str, Any]:
    """The activity with its state as everyone may see it (no names that are for facilitators only) and
    without words in anyone's language (``WORDED_STATE``)."""
    from facilitator.realtime.protocol import Actor, Role

    kind = get_kind(activity.kind)
    viewer = Actor(Role.SCREEN, activity.workshop_id)
    with force_locale("en"):  # stored built-in texts (a form's name in the results) stay as stored
        state = {k: v for k, v in kind.snapshot(activity, viewer).items() if k not in WORDED_STATE}
    return {**activity_public(activity), "state": state, "hidden_count": kind.hidden_count(activity)}


def agenda_public(workshop: Workshop) -> list[dict[str, Any]]:
    return [activity_public(a) for a in workshop.activities]


def timer_public(workshop: Workshop) -> dict[str, Any]:
    ends = workshop.timer_ends_at
    return {
        "ends_at": int(ends.timestamp() * 1000) if ends else None,
        "remaining": workshop.timer_remaining,
        "label": workshop.timer_label,
    }


def participant_public(participant: Participant) -> dict[str, Any]:
    return {
        "id": participant.id,
        "name": participant.label,
        "organisation": participant.organisation,
        "sector": participant.sector,
    }

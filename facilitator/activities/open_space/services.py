"""Open Space operations: propose, mark interest, place on the agenda wall, check in, report."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import func, select, union

from facilitator.activities.open_space import convergence, photos
from facilitator.activities.open_space.models import (
    CheckIn,
    Interest,
    Photo,
    Report,
    Slot,
    Space,
    Topic,
    Visit,
    Vote,
)
from facilitator.activities.open_space.schemas import MAX_TOPICS_EACH
from facilitator.errors import DomainError, Forbidden, NotFound
from facilitator.extensions import db
from facilitator.realtime.publish import ALL, STAFF, Coalescer, announce, emit_now, room_for
from facilitator.workshops.models import Activity, ActivityPhase, Participant, Visibility

if TYPE_CHECKING:
    from facilitator.realtime.protocol import Actor

STAGES = ("marketplace", "agenda", "sessions", "reports", "convergence")
REMINDER_MINUTES = 10
MAX_SPACES = 40
MAX_SLOTS = 20


# Reading ----------------------------------------------------------------------------------------


def spaces_of(activity: Activity) -> list[Space]:
    return list(
        db.session.scalars(
            select(Space).where(Space.activity_id == activity.id).order_by(Space.position, Space.id)
        )
    )


def slots_of(activity: Activity) -> list[Slot]:
    return list(
        db.session.scalars(
            select(Slot).where(Slot.activity_id == activity.id).order_by(Slot.position, Slot.id)
        )
    )


def topics_of(activity: Activity) -> list[Topic]:
    return list(db.session.scalars(select(Topic).where(Topic.activity_id == activity.id).order_by(Topic.id)))


def space_public(space: Space) -> dict[str, Any]:
    return {"id": space.id, "name": space.name, "capacity": space.capacity}


def slot_public(slot: Slot) -> dict[str, Any]:
    return {"id": slot.id, "label": slot.label, "starts_at": slot.starts_at, "ends_at": slot.ends_at}


def current_slot_id(activity: Activity, slots: list[Slot] | None = None) -> int | None:
    wanted = (activity.config or {}).get("current_slot_id")
    ids = {s.id for s in (slots if slots is not None else slots_of(activity))}
    return wanted if wanted in ids else None


def stage_of(activity: Activity) -> str:
    stage = (activity.config or {}).get("stage")
    return stage if stage in STAGES else "marketplace"


def grid_public(activity: Activity) -> dict[str, Any]:
    slots = slots_of(activity)
    return {
        "activity_id": activity.id,
        "spaces": [space_public(s) for s in spaces_of(activity)],
        "slots": [slot_public(s) for s in slots],
        "current_slot_id": current_slot_id(activity, slots),
        "stage": stage_of(activity),
    }


def interest_counts(activity: Activity) -> dict[int, int]:
    rows = db.session.execute(
        select(Interest.topic_id, func.count())
        .where(Interest.activity_id == activity.id)
        .group_by(Interest.topic_id)
    ).all()
    return {topic_id: n for topic_id, n in rows}


def attendance_counts(activity: Activity) -> dict[int, int]:
    rows = db.session.execute(
        select(CheckIn.topic_id, func.count())
        .where(CheckIn.activity_id == activity.id)
        .group_by(CheckIn.topic_id)
    ).all()
    return {topic_id: n for topic_id, n in rows}


def convener_for(topic: Topic, activity: Activity, *, staff: bool) -> str | None:
    if activity.visibility == Visibility.NAMED or (
        staff and activity.visibility == Visibility.NAMED_TO_FACILITATORS
    ):
        return topic.convener.label
    return None


def _topic_dict(
    topic: Topic, activity: Activity, *, staff: bool, interest: int, attendance: int, has_report: bool
) -> dict[str, Any]:
    data = {
        "id": topic.id,
        "title": topic.title,
        "description": topic.description,
        "convener": convener_for(topic, activity, staff=staff),
        "interest_count": interest,
        "attendance": attendance,
        "slot_id": topic.slot_id,
        "space_id": topic.space_id,
        "has_report": has_report,
    }
    if staff:
        data["is_hidden"] = topic.is_hidden
    return data


def _topic_numbers(topic: Topic) -> tuple[int, int, bool]:
    interest = db.session.scalar(select(func.count()).where(Interest.topic_id == topic.id)) or 0
    attendance = db.session.scalar(select(func.count()).where(CheckIn.topic_id == topic.id)) or 0
    has_report = db.session.scalar(select(func.count()).where(Report.topic_id == topic.id)) or 0
    return interest, attendance, bool(has_report)


def topic_public(topic: Topic) -> dict[str, Any]:
    activity = db.session.get(Activity, topic.activity_id)
    assert activity is not None
    interest, attendance, has_report = _topic_numbers(topic)
    return _topic_dict(
        topic, activity, staff=False, interest=interest, attendance=attendance, has_report=has_report
    )


def topic_staff(topic: Topic, activity: Activity) -> dict[str, Any]:
    interest, attendance, has_report = _topic_numbers(topic)
    return _topic_dict(
        topic, activity, staff=True, interest=interest, attendance=attendance, has_report=has_report
    )


def report_public(report: Report) -> dict[str, Any]:
    return {
        "topic_id": report.topic_id,
        "notes": report.notes,
        "key_points": list(report.key_points or []),
        "proposed_actions": list(report.proposed_actions or []),
        "took_part": list(report.took_part or []),
        "updated_at": report.updated_at.isoformat(),
    }


def _announce_topic(activity: Activity, name: str, topic: Topic) -> None:
    """A topic as everyone may see it; facilitators also get the staff view (names, hidden flag)."""
    if not topic.is_hidden:
        announce(activity.workshop_id, name, {"activity_id": activity.id, "topic": topic_public(topic)})
    if topic.is_hidden or activity.visibility == Visibility.NAMED_TO_FACILITATORS:
        announce(
            activity.workshop_id,
            name,
            {"activity_id": activity.id, "topic": topic_staff(topic, activity)},
            audience=STAFF,
        )


def _topic(activity: Activity, topic_id: int, *, staff: bool = False) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.activity_id != activity.id or (topic.is_hidden and not staff):
        raise NotFound(_("That topic could not be found."))
    return topic


def _poke_counters(activity: Activity) -> None:
    from facilitator.workshops.live import counter_push

    counter_push.poke(activity.workshop_id)


# Marketplace ------------------------------------------------------------------------------------


def propose_topic(activity: Activity, title: str, description: str, *, by: Participant) -> Topic:
    activity.require_phase(ActivityPhase.OPEN)
    mine = db.session.scalar(
        select(func.count()).where(Topic.activity_id == activity.id, Topic.convener_id == by.id)
    )
    if (mine or 0) >= MAX_TOPICS_EACH:
        raise DomainError("too_many", _("You can convene up to %(n)d topics.", n=MAX_TOPICS_EACH))
    topic = Topic(
        activity_id=activity.id, convener_id=by.id, convener=by, title=title, description=description
    )
    db.session.add(topic)
    db.session.flush()
    _announce_topic(activity, "topic:proposed", topic)
    db.session.commit()
    _poke_counters(activity)
    return topic


def edit_topic(
    activity: Activity, topic_id: int, title: str, description: str, *, by: Participant | None
) -> Topic:
    """A convener edits their own topic; ``by=None`` is a facilitator, who may edit any."""
    topic = _topic(activity, topic_id, staff=by is None)
    if by is not None:
        activity.require_phase(ActivityPhase.OPEN)
        if topic.convener_id != by.id:
            raise Forbidden(_("Only the convener can edit this topic."))
    topic.title = title
    topic.description = description
    _announce_topic(activity, "topic:edited", topic)
    db.session.commit()
    return topic


def set_interest(activity: Activity, topic_id: int, interested: bool, *, by: Participant) -> int:
    activity.require_phase(ActivityPhase.OPEN)
    topic = _topic(activity, topic_id)
    mark = db.session.scalars(
        select(Interest).where(Interest.topic_id == topic.id, Interest.participant_id == by.id)
    ).first()
    if interested and mark is None:
        db.session.add(Interest(activity_id=activity.id, topic_id=topic.id, participant_id=by.id))
    elif not interested and mark is not None:
        db.session.delete(mark)
    else:
        return db.session.scalar(select(func.count()).where(Interest.topic_id == topic.id)) or 0
    db.session.flush()
    count = db.session.scalar(select(func.count()).where(Interest.topic_id == topic.id)) or 0
    announce(
        activity.workshop_id,
        "topic:interest_changed",
        {"activity_id": activity.id, "topic_id": topic.id, "interest_count": count},
    )
    db.session.commit()
    _poke_counters(activity)
    return count


# Agenda wall ------------------------------------------------------------------------------------


def _cell(activity: Activity, slot_id: int, space_id: int) -> tuple[Slot, Space]:
    slot = db.session.get(Slot, slot_id)
    space = db.session.get(Space, space_id)
    if slot is None or slot.activity_id != activity.id or space is None or space.activity_id != activity.id:
        raise NotFound(_("That place on the agenda could not be found."))
    return slot, space


def _convener_busy(activity: Activity, topic: Topic, slot_id: int, *, ignoring: set[int]) -> bool:
    return (
        db.session.scalar(
            select(func.count()).where(
                Topic.activity_id == activity.id,
                Topic.slot_id == slot_id,
                Topic.convener_id == topic.convener_id,
                Topic.id.not_in(ignoring | {topic.id}),
            )
        )
        or 0
    ) > 0


def _announce_placed(activity: Activity, topics: list[Topic]) -> None:
    announce(
        activity.workshop_id,
        "topic:placed",
        {
            "activity_id": activity.id,
            "placements": [{"topic_id": t.id, "slot_id": t.slot_id, "space_id": t.space_id} for t in topics],
        },
    )


def place_topic(
    activity: Activity, topic_id: int, slot_id: int, space_id: int, *, swap: bool = False
) -> list[Topic]:
    """Put a topic in a cell of the wall (facilitator). A taken cell is refused unless ``swap``."""
    topic = _topic(activity, topic_id, staff=True)
    if topic.is_hidden:
        raise DomainError("hidden", _("Restore this topic before placing it."))
    slot, space = _cell(activity, slot_id, space_id)
    if topic.slot_id == slot.id and topic.space_id == space.id:
        return [topic]
    other = db.session.scalars(
        select(Topic).where(
            Topic.activity_id == activity.id, Topic.slot_id == slot.id, Topic.space_id == space.id
        )
    ).first()
    if other is not None and not swap:
        raise DomainError("cell_taken", _("“%(title)s” is already there.", title=other.title))
    ignoring = {other.id} if other is not None else set()
    if _convener_busy(activity, topic, slot.id, ignoring=ignoring):
        raise DomainError("convener_busy", _("This convener already has a session in that slot."))
    old_slot, old_space = topic.slot_id, topic.space_id
    if (
        other is not None
        and old_slot is not None
        and _convener_busy(activity, other, old_slot, ignoring={topic.id})
    ):
        raise DomainError(
            "convener_busy", _("The other topic's convener already has a session in that slot.")
        )
    changed = [topic]
    topic.slot_id = topic.space_id = None
    if other is not None:
        other.slot_id, other.space_id = None, None
        db.session.flush()
        other.slot_id, other.space_id = old_slot, old_space
        changed.append(other)
    db.session.flush()
    topic.slot_id, topic.space_id = slot.id, space.id
    db.session.flush()
    _announce_placed(activity, changed)
    db.session.commit()
    return changed


def unplace_topic(activity: Activity, topic_id: int) -> None:
    topic = _topic(activity, topic_id, staff=True)
    if topic.slot_id is None and topic.space_id is None:
        return
    topic.slot_id = topic.space_id = None
    _announce_placed(activity, [topic])
    db.session.commit()


def apply_agenda(
    activity: Activity, placements: list[tuple[int, int, int]], *, clear_others: bool = True
) -> int:
    """Set many placements at once (an accepted suggestion). All or nothing."""
    topics = {t.id: t for t in topics_of(activity)}
    slot_ids = {s.id for s in slots_of(activity)}
    space_ids = {s.id for s in spaces_of(activity)}
    seen_topics: set[int] = set()
    cells: set[tuple[int, int]] = set()
    busy: set[tuple[int, int]] = set()  # (slot, convener)
    wanted: dict[int, tuple[int, int]] = {}
    if not clear_others:
        for t in topics.values():
            if t.slot_id is not None and t.space_id is not None:
                wanted[t.id] = (t.slot_id, t.space_id)
    for topic_id, slot_id, space_id in placements:
        topic = topics.get(topic_id)
        if topic is None or topic.is_hidden or topic_id in seen_topics:
            raise DomainError("invalid", _("That agenda names a topic that cannot be placed."))
        if slot_id not in slot_ids or space_id not in space_ids:
            raise DomainError("invalid", _("That agenda names a place that does not exist."))
        seen_topics.add(topic_id)
        wanted[topic_id] = (slot_id, space_id)
    for topic_id, (slot_id, space_id) in wanted.items():
        if (slot_id, space_id) in cells:
            raise DomainError("cell_taken", _("Two topics cannot share one place."))
        cells.add((slot_id, space_id))
        key = (slot_id, topics[topic_id].convener_id)
        if key in busy:
            raise DomainError("convener_busy", _("A convener would be in two places at once."))
        busy.add(key)
    changed = []
    for topic in topics.values():
        if topic.slot_id is not None or topic.space_id is not None:
            topic.slot_id = topic.space_id = None
            changed.append(topic)
    db.session.flush()
    for topic_id, (slot_id, space_id) in wanted.items():
        topics[topic_id].slot_id, topics[topic_id].space_id = slot_id, space_id
        if topics[topic_id] not in changed:
            changed.append(topics[topic_id])
    db.session.flush()
    _announce_placed(activity, changed)
    db.session.commit()
    return len(wanted)


def _agenda_inputs(activity: Activity) -> tuple[list[Any], list[Any], list[Any], list[Topic]]:
    from facilitator.analysis import agenda as lib

    topics = [t for t in topics_of(activity) if not t.is_hidden]
    marks: dict[int, set[str]] = defaultdict(set)
    for topic_id, participant_id in db.session.execute(
        select(Interest.topic_id, Interest.participant_id).where(Interest.activity_id == activity.id)
    ):
        marks[topic_id].add(f"p:{participant_id}")
    lib_topics = [
        lib.Topic(
            id=t.id,
            title=t.title,
            convener_key=f"p:{t.convener_id}",
            interest_count=len(marks[t.id]),
            interested_keys=frozenset(marks[t.id]),
        )
        for t in topics
    ]
    lib_spaces = [lib.Space(id=s.id, name=s.name, capacity=s.capacity) for s in spaces_of(activity)]
    lib_slots = [lib.Slot(id=s.id, order=s.position) for s in slots_of(activity)]
    return lib_topics, lib_spaces, lib_slots, topics


def _clash_public(clash: Any) -> dict[str, Any]:
    return {
        "kind": clash.kind,
        "slot_id": clash.slot_id,
        "topic_ids": list(clash.topic_ids),
        "people": clash.people,
    }


def suggest_agenda(activity: Activity, *, keep_placed: bool = True) -> dict[str, Any]:
    """A proposed agenda from the interest marks; nothing changes until the facilitator applies it."""
    from facilitator.analysis import agenda as lib

    lib_topics, lib_spaces, lib_slots, topics = _agenda_inputs(activity)
    fixed = {
        t.id: (t.slot_id, t.space_id)
        for t in topics
        if keep_placed and t.slot_id is not None and t.space_id is not None
    }
    try:
        suggestion = lib.suggest_agenda(lib_topics, lib_spaces, lib_slots, fixed=fixed, time_budget=1.0)
    except ValueError as err:
        raise DomainError("invalid", _("The agenda could not be suggested: %(why)s", why=str(err))) from None
    return {
        "placements": [
            {"topic_id": tid, "slot_id": slot, "space_id": space}
            for tid, (slot, space) in sorted(suggestion.placements.items())
        ],
        "unplaced": suggestion.unplaced,
        "clashes": [_clash_public(c) for c in suggestion.clashes],
    }


def current_clashes(activity: Activity) -> list[dict[str, Any]]:
    from facilitator.analysis import agenda as lib

    lib_topics, lib_spaces, _slots, topics = _agenda_inputs(activity)
    placed = {
        t.id: (t.slot_id, t.space_id) for t in topics if t.slot_id is not None and t.space_id is not None
    }
    return [_clash_public(c) for c in lib.clashes(placed, lib_topics, lib_spaces)]


def set_current_slot(activity: Activity, slot_id: int | None) -> None:
    if slot_id is not None:
        slot = db.session.get(Slot, slot_id)
        if slot is None or slot.activity_id != activity.id:
            raise NotFound(_("That time slot could not be found."))
    activity.config = {**(activity.config or {}), "current_slot_id": slot_id}
    announce(activity.workshop_id, "openspace:grid_changed", grid_public(activity))
    db.session.commit()


def set_stage(activity: Activity, stage: str) -> None:
    if stage not in STAGES:
        raise DomainError("invalid", _("Unknown stage."))
    activity.config = {**(activity.config or {}), "stage": stage}
    announce(activity.workshop_id, "openspace:grid_changed", grid_public(activity))
    db.session.commit()


# The law of two feet ----------------------------------------------------------------------------


def _push_attendance(activity_id: int) -> None:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return
    counts = attendance_counts(activity)
    emit_now(
        "openspace:attendance",
        {"activity_id": activity_id, "counts": {str(k): v for k, v in counts.items()}},
        room_for(activity.workshop_id, ALL),
    )


attendance_push = Coalescer(_push_attendance, interval=0.25)


def check_in(activity: Activity, topic_id: int | None, *, by: Participant) -> int | None:
    """Be in a session now (or in none): one session at a time, moving whenever you like."""
    activity.require_phase(ActivityPhase.OPEN)
    here = db.session.scalars(
        select(CheckIn).where(CheckIn.activity_id == activity.id, CheckIn.participant_id == by.id)
    ).first()
    from_topic = here.topic_id if here else None
    if topic_id is None:
        if here is None:
            return None
        db.session.delete(here)
    else:
        topic = _topic(activity, topic_id)
        if topic.slot_id is None:
            raise DomainError("not_scheduled", _("This topic is not on the agenda yet."))
        now = current_slot_id(activity)
        if now is not None and topic.slot_id != now:
            raise DomainError("not_now", _("This session is not running now."))
        if from_topic == topic.id:
            return topic.id
        from facilitator.db import utcnow

        if here is None:
            db.session.add(CheckIn(activity_id=activity.id, participant_id=by.id, topic_id=topic.id))
        else:
            here.topic_id = topic.id
            here.updated_at = utcnow()
        visited = db.session.scalar(
            select(func.count()).where(Visit.topic_id == topic.id, Visit.participant_id == by.id)
        )
        if not visited:
            db.session.add(Visit(activity_id=activity.id, topic_id=topic.id, participant_id=by.id))
    db.session.flush()
    named = activity.visibility != Visibility.ANONYMOUS
    announce(
        activity.workshop_id,
        "openspace:moved",
        {
            "activity_id": activity.id,
            "participant": {"id": by.id, "name": by.label if named else None},
            "from_topic_id": from_topic,
            "topic_id": topic_id,
        },
        audience=STAFF,
    )
    db.session.commit()
    attendance_push.poke(activity.id)
    _poke_counters(activity)
    return topic_id


# Reports ----------------------------------------------------------------------------------------


def can_report(activity: Activity, topic: Topic, participant: Participant) -> bool:
    if topic.convener_id == participant.id:
        return True
    here = db.session.scalar(
        select(func.count()).where(CheckIn.topic_id == topic.id, CheckIn.participant_id == participant.id)
    )
    been = db.session.scalar(
        select(func.count()).where(Visit.topic_id == topic.id, Visit.participant_id == participant.id)
    )
    return bool(here or been)


def save_report(
    activity: Activity,
    topic_id: int,
    notes: str,
    key_points: list[str],
    proposed_actions: list[str],
    *,
    by: Participant | None,
    took_part: list[str] | None = None,
) -> Report:
    """The convener, anyone who was in the session, or a facilitator (``by=None``) writes the report."""
    from facilitator.db import utcnow

    topic = _topic(activity, topic_id, staff=by is None)
    if by is not None:
        activity.require_phase(ActivityPhase.OPEN)
        if not can_report(activity, topic, by):
            raise Forbidden(_("Only the convener or someone in the session can write its report."))
    report = db.session.scalars(select(Report).where(Report.topic_id == topic.id)).first()
    if report is None:
        report = Report(activity_id=activity.id, topic_id=topic.id)
        db.session.add(report)
    report.notes = notes
    report.key_points = [p for p in key_points if p]
    report.proposed_actions = [p for p in proposed_actions if p]
    if took_part is not None:
        report.took_part = list(dict.fromkeys(p for p in took_part if p))
    elif not report.took_part:
        report.took_part = took_part_names(activity, topic)
    convergence.prune_votes(activity, topic.id, report.proposed_actions)
    report.updated_by_id = by.id if by is not None else None
    report.updated_at = utcnow()
    db.session.flush()
    payload = {"activity_id": activity.id, "report": report_public(report)}
    announce(
        activity.workshop_id, "openspace:report_saved", payload, audience=STAFF if topic.is_hidden else ALL
    )
    db.session.commit()
    _poke_counters(activity)
    return report


def took_part_names(activity: Activity, topic: Topic) -> list[str]:
    """Who took part, as the check-ins saw it: the convener, then everyone who checked in (names only
    when the activity shows names)."""
    if activity.visibility == Visibility.ANONYMOUS:
        return []
    names = [topic.convener.label]
    for visit in db.session.scalars(select(Visit).where(Visit.topic_id == topic.id).order_by(Visit.id)):
        names.append(visit.participant.label)
    return list(dict.fromkeys(names))


def report_draft(activity: Activity, topic_id: int, *, by: Participant | None) -> dict[str, Any]:
    """What the report form starts from: the saved report, or who checked in."""
    topic = _topic(activity, topic_id, staff=by is None)
    if by is not None and not can_report(activity, topic, by):
        raise Forbidden(_("Only the convener or someone in the session can write its report."))
    report = db.session.scalars(select(Report).where(Report.topic_id == topic.id)).first()
    return {
        "topic_id": topic.id,
        "took_part": list(report.took_part)
        if report and report.took_part
        else took_part_names(activity, topic),
        "checked_in": took_part_names(activity, topic),
    }


# Merging duplicates -----------------------------------------------------------------------------


def merge_topics(activity: Activity, topic_id: int, into_id: int) -> Topic:
    """Fold a duplicate topic into another (facilitator): its interest marks, check-ins, visits, report,
    photos and votes move over; its convener becomes interested in the kept topic; nothing is lost."""
    if topic_id == into_id:
        raise DomainError("invalid", _("Choose two different topics to merge."))
    source = _topic(activity, topic_id, staff=True)
    target = _topic(activity, into_id, staff=True)

    def mark(participant_id: int) -> None:
        exists = db.session.scalar(
            select(func.count()).where(
                Interest.topic_id == target.id, Interest.participant_id == participant_id
            )
        )
        if not exists and participant_id != target.convener_id:
            db.session.add(
                Interest(activity_id=activity.id, topic_id=target.id, participant_id=participant_id)
            )

    for interest in db.session.scalars(select(Interest).where(Interest.topic_id == source.id)):
        mark(interest.participant_id)
    mark(source.convener_id)
    for check_in_row in db.session.scalars(select(CheckIn).where(CheckIn.topic_id == source.id)):
        check_in_row.topic_id = target.id
    target_visitors = set(db.session.scalars(select(Visit.participant_id).where(Visit.topic_id == target.id)))
    for visit in db.session.scalars(select(Visit).where(Visit.topic_id == source.id)):
        if visit.participant_id in target_visitors:
            db.session.delete(visit)
        else:
            visit.topic_id = target.id
    for photo in db.session.scalars(select(Photo).where(Photo.topic_id == source.id)):
        photo.topic_id = target.id
    target_votes = {
        (v.participant_id, v.action_key)
        for v in db.session.scalars(select(Vote).where(Vote.topic_id == target.id))
    }
    for vote in db.session.scalars(select(Vote).where(Vote.topic_id == source.id)):
        if (vote.participant_id, vote.action_key) in target_votes:
            db.session.delete(vote)  # the voter gets that dot back
        else:
            vote.topic_id = target.id
    old = db.session.scalars(select(Report).where(Report.topic_id == source.id)).first()
    kept = db.session.scalars(select(Report).where(Report.topic_id == target.id)).first()
    if old is not None and kept is None:
        old.topic_id = target.id
        kept = old
    elif old is not None and kept is not None:
        kept.notes = "\n\n".join(x for x in (kept.notes, old.notes) if x)[:4000]
        kept.key_points = list(dict.fromkeys([*kept.key_points, *old.key_points]))
        kept.proposed_actions = list(dict.fromkeys([*kept.proposed_actions, *old.proposed_actions]))
        kept.took_part = list(dict.fromkeys([*(kept.took_part or []), *(old.took_part or [])]))
        db.session.delete(old)
    # Stored and shown to every phone: no words in the merging facilitator's language, just "+ “title”".
    extra = f"+ \u201c{source.title}\u201d"
    if source.description and source.description != target.description:
        extra += " " + source.description
    target.description = " ".join(x for x in (target.description, extra) if x)[:500]
    cell = (source.slot_id, source.space_id)
    source.slot_id = source.space_id = None
    db.session.flush()
    if target.slot_id is None and cell[0] is not None:
        target.slot_id, target.space_id = cell
    db.session.delete(source)
    db.session.flush()
    payload: dict[str, Any] = {"activity_id": activity.id, "from_id": source.id, "into_id": target.id}
    if kept is not None:
        payload["report"] = report_public(kept)
    announce(activity.workshop_id, "topic:merged", {**payload, "topic": topic_public(target)}, audience=ALL)
    if target.is_hidden or activity.visibility == Visibility.NAMED_TO_FACILITATORS:
        announce(
            activity.workshop_id,
            "topic:merged",
            {**payload, "topic": topic_staff(target, activity)},
            audience=STAFF,
        )
    db.session.commit()
    attendance_push.poke(activity.id)
    return target


# Now and next, reminders --------------------------------------------------------------------------

_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*$")


def minutes_of(text: str) -> int | None:
    """Minutes after midnight of a slot time written like "10:45", "9.30" or "14h00"; None otherwise."""
    match = _TIME.match(text or "")
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None


def reminder_for(
    slots: list[Slot], convened: list[Topic], now: datetime, *, before: int = REMINDER_MINUTES
) -> dict[str, Any] | None:
    """The convener's reminder due at ``now`` (venue local time): their session that is running and ends
    within ``before`` minutes, so they can gather the report."""
    by_id = {s.id: s for s in slots}
    clock = now.hour * 60 + now.minute + now.second / 60
    for topic in convened:
        slot = by_id.get(topic.slot_id or 0)
        if slot is None:
            continue
        start, end = minutes_of(slot.starts_at), minutes_of(slot.ends_at)
        if end is None or (start is not None and clock < start):
            continue
        left = end - clock
        if 0 < left <= before:
            return {"topic_id": topic.id, "ends_at": slot.ends_at, "minutes_left": max(1, round(left))}
    return None


def local_now() -> datetime:
    """The venue's clock: the laptop's local time (slot times are written in it)."""
    return datetime.now()


# Settings ---------------------------------------------------------------------------------------


def _rows(form: Any, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    columns = {f: form.getlist(f"{prefix}_{f}") for f in ("id", *fields)}
    count = max((len(v) for v in columns.values()), default=0)
    rows = []
    for i in range(count):
        rows.append({f: (columns[f][i] if i < len(columns[f]) else "").strip() for f in ("id", *fields)})
    return rows


def _as_id(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def apply_settings(activity: Activity, form: Any) -> None:
    """Spaces and time slots from the settings page: rows with an id are kept, a blank name removes one."""
    space_rows = [r for r in _rows(form, "space", ("name", "capacity")) if r["name"]]
    slot_rows = [r for r in _rows(form, "slot", ("label", "starts_at", "ends_at")) if r["label"]]
    if not space_rows or not slot_rows:
        raise DomainError("invalid", _("An open space needs at least one space and one time slot."))
    if len(space_rows) > MAX_SPACES or len(slot_rows) > MAX_SLOTS:
        raise DomainError(
            "invalid", _("At most %(a)d spaces and %(b)d time slots.", a=MAX_SPACES, b=MAX_SLOTS)
        )
    for r in space_rows:
        if not r["capacity"].isdigit() or not 1 <= int(r["capacity"]) <= 10000:
            raise DomainError("invalid", _("Each space needs a capacity between 1 and 10000."))
        if len(r["name"]) > 60:
            raise DomainError("invalid", _("Space names can be up to 60 characters."))
    for r in slot_rows:
        if len(r["label"]) > 60 or len(r["starts_at"]) > 20 or len(r["ends_at"]) > 20:
            raise DomainError("invalid", _("Slot labels can be up to 60 characters, times up to 20."))

    def sync(model: type[Any], rows: list[dict[str, str]], existing: list[Any], assign: Any) -> list[int]:
        by_id = {x.id: x for x in existing}
        kept: set[int] = set()
        for position, row in enumerate(rows):
            item = by_id.get(_as_id(row["id"]) or 0)
            if item is None or item.id in kept:
                item = model(activity_id=activity.id)
                db.session.add(item)
            else:
                kept.add(item.id)
            item.position = position
            assign(item, row)
        return [x.id for x in existing if x.id not in kept]

    def set_space(item: Space, row: dict[str, str]) -> None:
        item.name, item.capacity = row["name"], int(row["capacity"])

    def set_slot(item: Slot, row: dict[str, str]) -> None:
        item.label, item.starts_at, item.ends_at = row["label"], row["starts_at"], row["ends_at"]

    gone_spaces = sync(Space, space_rows, spaces_of(activity), set_space)
    gone_slots = sync(Slot, slot_rows, slots_of(activity), set_slot)
    unplaced = []
    if gone_spaces or gone_slots:
        for topic in topics_of(activity):
            if topic.space_id in gone_spaces or topic.slot_id in gone_slots:
                topic.slot_id = topic.space_id = None
                unplaced.append(topic)
        db.session.flush()
        for model, ids in ((Space, gone_spaces), (Slot, gone_slots)):
            for item_id in ids:
                db.session.delete(db.session.get(model, item_id))
    db.session.flush()
    config = dict(activity.config or {})
    config["grid"] = {
        "spaces": [{"name": r["name"], "capacity": int(r["capacity"])} for r in space_rows],
        "slots": [
            {"label": r["label"], "starts_at": r["starts_at"], "ends_at": r["ends_at"]} for r in slot_rows
        ],
    }
    votes = str(form.get("votes_each", "") or "").strip()
    if votes:
        if not votes.isdigit() or not 1 <= int(votes) <= convergence.MAX_VOTES_EACH:
            raise DomainError(
                "invalid", _("Votes each must be between 1 and %(n)d.", n=convergence.MAX_VOTES_EACH)
            )
        config["votes_each"] = int(votes)
    activity.config = config
    if unplaced:
        _announce_placed(activity, unplaced)
    announce(activity.workshop_id, "openspace:grid_changed", grid_public(activity))


# Snapshot, counts, export -----------------------------------------------------------------------


def strings() -> dict[str, str]:
    """The words of the browser module, translated on the server (the shared i18n block stays small)."""
    return {
        "marketplace": _("Marketplace"),
        "propose": _("Propose a topic"),
        "topic_title": _("Topic"),
        "topic_description": _("What is it about? (optional)"),
        "convene": _("Convene it"),
        "interested": _("I'm interested"),
        "not_interested": _("Interested ✓"),
        "interest_n": _("%(n)s interested", n="{n}"),
        "here_n": _("%(n)s here", n="{n}"),
        "edit": _("Edit"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "mine": _("Your sessions"),
        "you_convene": _("You convene this"),
        "no_topics": _("No topics yet. Propose the first one."),
        "agenda": _("Agenda"),
        "now": _("Now"),
        "all_sessions": _("Sessions"),
        "join_session": _("I'm here"),
        "you_are_here": _("You are here"),
        "leave": _("Leave"),
        "not_placed": _("Not on the wall yet"),
        "report": _("Session report"),
        "write_report": _("Write the report"),
        "notes": _("Notes"),
        "key_points": _("Key points (one per line)"),
        "actions": _("Proposed actions (one per line)"),
        "report_saved": _("Report saved"),
        "place": _("Place"),
        "take_off": _("Take off the wall"),
        "pick_topic": _("Tap a topic, then tap a cell."),
        "suggest": _("Suggest an agenda"),
        "accept": _("Accept suggestion"),
        "discard": _("Discard"),
        "clashes": _("Clashes"),
        "no_clashes": _("No clashes."),
        "clash_convener": _("convener in two places"),
        "clash_audience": _("%(n)s people want both", n="{n}"),
        "clash_over": _("%(n)s more than the space holds", n="{n}"),
        "unplaced": _("Not placed"),
        "current_slot": _("Now running"),
        "none": _("None"),
        "stage": _("Stage"),
        "stage_marketplace": _("Marketplace"),
        "stage_agenda": _("Agenda"),
        "stage_sessions": _("Sessions"),
        "stage_reports": _("Reports"),
        "proceedings": _("Proceedings"),
        "capacity": _("%(n)s places", n="{n}"),
        "empty_cell": _("free"),
        "swap_confirm": _("That place is taken. Swap the two topics?"),
        "stage_convergence": _("Convergence"),
        "steps": _("Open Space steps"),
        "step_n": _("Step %(n)s of %(m)s", n="{n}", m="{m}"),
        "merge": _("Merge into…"),
        "merge_pick": _("Merge “{title}” into which topic?"),
        "merge_confirm": _("Merge “{a}” into “{b}”? Interest, check-ins and the report move over."),
        "merged": _("Topics merged."),
        "now_next": _("Now and next"),
        "next": pgettext("the session after the current one", "Next"),
        "your_session": _("Your session: {title} · {space}"),
        "you_convene_at": _("You convene: {title} · {space}"),
        "pick_a_session": _("Pick a session to join"),
        "nothing_yet": _("The agenda is not up yet."),
        "my_agenda": _("My agenda"),
        "ics": _("Add my agenda to my calendar (.ics)"),
        "took_part": _("Who took part (one per line)"),
        "photos": _("Flip-chart photos"),
        "add_photos": _("Add or remove photos"),
        "photo_of": _("Photo of the flip chart for {title}"),
        "reminder": _("Your session “{title}” ends in {n} min (at {at}): time to gather the report."),
        "dismiss": _("OK"),
        "edit_report": _("Edit the report"),
        "vote": _("Vote"),
        "voted": _("Voted ●"),
        "unvote": _("Take back"),
        "votes_left": _("You have {n} of {m} votes left."),
        "votes_cast": _("{n} votes from {p} people"),
        "no_actions": _("No proposed actions yet: they come from the session reports."),
        "ranking": _("Ranking"),
        "reveal": _("Reveal the ranking"),
        "hide_ranking": _("Hide the ranking"),
        "ranking_hidden": _("The ranking appears when the facilitator reveals it."),
        "votes_n": _("{n} votes"),
        "to_tree": _("Add the chosen actions to the commitment tree as branches"),
        "tree": _("Commitment tree"),
        "added_to_tree": _("Added to the tree: {labels}"),
        "no_tree": _("Add a commitment tree to the agenda to carry actions into it."),
        "qr_sheets": _("Print QR check-in sheets"),
        "export_actions": _("Actions (CSV)"),
    }


def snapshot(activity: Activity, actor: Actor) -> dict[str, Any]:
    staff = actor.role == "facilitator"
    topics = topics_of(activity)
    interest = interest_counts(activity)
    attendance = attendance_counts(activity)
    reports = {
        r.topic_id: r for r in db.session.scalars(select(Report).where(Report.activity_id == activity.id))
    }
    visible = [t for t in topics if staff or not t.is_hidden]
    data: dict[str, Any] = {
        **grid_public(activity),
        "topics": [
            _topic_dict(
                t,
                activity,
                staff=staff,
                interest=interest.get(t.id, 0),
                attendance=attendance.get(t.id, 0),
                has_report=t.id in reports,
            )
            for t in visible
        ],
        "reports": [report_public(reports[t.id]) for t in visible if t.id in reports],
        "photos": {
            str(k): v for k, v in photos.photos_by_topic(activity).items() if k in {t.id for t in visible}
        },
        "clock": local_now().strftime("%H:%M:%S"),
        "reminder_minutes": REMINDER_MINUTES,
        "votes_each": convergence.votes_each(activity),
        "revealed": convergence.is_revealed(activity),
        **convergence.totals(activity),
        "i18n": strings(),
    }
    actions = convergence.actions_of(activity, ordered_topics(activity))
    data["actions"] = actions
    if staff or data["revealed"]:
        data["ranking"] = convergence.ranking(activity, actions)
    if staff:
        data["trees"] = [
            {"id": a.id, "title": a.title}
            for a in activity.workshop.activities
            if a.kind == "commitment_tree"
        ]
        data["clashes"] = current_clashes(activity)
        if activity.visibility != Visibility.ANONYMOUS:
            where: dict[int, list[str]] = defaultdict(list)
            for row in db.session.scalars(select(CheckIn).where(CheckIn.activity_id == activity.id)):
                where[row.topic_id].append(row.participant.label)
            data["attendees"] = {str(k): sorted(v) for k, v in where.items()}
    if actor.participant_id is not None:
        pid = actor.participant_id
        here = db.session.scalar(
            select(CheckIn.topic_id).where(CheckIn.activity_id == activity.id, CheckIn.participant_id == pid)
        )
        visited = set(
            db.session.scalars(
                select(Visit.topic_id).where(Visit.activity_id == activity.id, Visit.participant_id == pid)
            )
        )
        data["mine"] = {
            "convening": [t.id for t in topics if t.convener_id == pid],
            "interested": list(
                db.session.scalars(
                    select(Interest.topic_id).where(
                        Interest.activity_id == activity.id, Interest.participant_id == pid
                    )
                )
            ),
            "checked_in": here,
            "visited": sorted(visited),
            "votes": convergence.my_votes(activity, pid),
        }
        convened = [t for t in topics if t.convener_id == pid and not t.is_hidden]
        data["mine"]["reminder"] = reminder_for(slots_of(activity), convened, local_now())
    return data


def answered_count(activity: Activity) -> int:
    ids = union(
        select(Topic.convener_id.label("pid")).where(Topic.activity_id == activity.id),
        select(Interest.participant_id.label("pid")).where(Interest.activity_id == activity.id),
        select(CheckIn.participant_id.label("pid")).where(CheckIn.activity_id == activity.id),
        select(Report.updated_by_id.label("pid")).where(
            Report.activity_id == activity.id, Report.updated_by_id.is_not(None)
        ),
    ).subquery()
    return db.session.scalar(select(func.count()).select_from(ids)) or 0


def ordered_topics(activity: Activity) -> list[Topic]:
    """Visible topics in agenda order (slot, then space), unplaced ones last."""
    slots = {s.id: s for s in slots_of(activity)}
    spaces = {s.id: s for s in spaces_of(activity)}
    big = 10**9

    def order(t: Topic) -> tuple[int, int, int]:
        slot = slots.get(t.slot_id or 0)
        space = spaces.get(t.space_id or 0)
        return (slot.position if slot else big, space.position if space else big, t.id)

    return sorted((t for t in topics_of(activity) if not t.is_hidden), key=order)


def proceedings(activity: Activity) -> list[dict[str, Any]]:
    """Every visible topic in agenda order (slot, then space), unplaced ones last, with its report."""
    pictures = photos.photos_by_topic(activity)
    slots = {s.id: s for s in slots_of(activity)}
    spaces = {s.id: s for s in spaces_of(activity)}
    interest = interest_counts(activity)
    reports = {
        r.topic_id: r for r in db.session.scalars(select(Report).where(Report.activity_id == activity.id))
    }
    visits: Counter[int] = Counter(
        db.session.scalars(select(Visit.topic_id).where(Visit.activity_id == activity.id))
    )
    big = 10**9

    def order(t: Topic) -> tuple[int, int, int]:
        slot = slots.get(t.slot_id or 0)
        space = spaces.get(t.space_id or 0)
        return (slot.position if slot else big, space.position if space else big, t.id)

    out = []
    for t in sorted((t for t in topics_of(activity) if not t.is_hidden), key=order):
        slot = slots.get(t.slot_id or 0)
        space = spaces.get(t.space_id or 0)
        report = reports.get(t.id)
        out.append(
            {
                "topic_id": t.id,
                "title": t.title,
                "description": t.description,
                "convener": convener_for(t, activity, staff=True),
                "interest_count": interest.get(t.id, 0),
                "participants": visits.get(t.id, 0),
                "slot": slot_public(slot) if slot else None,
                "space": space_public(space) if space else None,
                "report": report_public(report) if report else None,
                "photos": pictures.get(t.id, []),
            }
        )
    return out


def export(activity: Activity) -> dict[str, Any]:
    grid = grid_public(activity)
    topics = topics_of(activity)
    return {
        "spaces": grid["spaces"],
        "slots": grid["slots"],
        "topics": [{**topic_staff(t, activity), "created_at": t.created_at.isoformat()} for t in topics],
        "sessions": proceedings(activity),
    }


# Demo -------------------------------------------------------------------------------------------

DEMO_TOPICS = (
    ("One front door for mental health crisis", "Police, A&E and the crisis team all get the 2 a.m. call."),
    ("Housing first for people leaving hospital", "Nobody should be discharged to a night shelter."),
    ("Sharing data without waiting for lawyers", "What can we share today, safely?"),
    ("Peer support in every GP practice", "People with lived experience as part of the team."),
    ("Young people's voice on our boards", ""),
    ("Stop doing: the reports nobody reads", "Free up time for the work that matters."),
)
DEMO_REPORTS = {
    0: (
        "We mapped the four places a person in crisis can turn up at night.",
        ["Three services answer the same call", "Handovers lose the person's story"],
        ["Pilot a joint crisis line for three months", "Share one crisis plan per person"],
    ),
    1: (
        "Discharge planning starts too late for housing to help.",
        ["Housing hears on the day of discharge"],
        ["Invite housing to the daily discharge huddle", "Pilot a joint crisis line for three months"],
    ),
    2: ("", ["Most sharing is already lawful", "Fear, not law, stops us"], ["Agree a one-page sharing pact"]),
}


def demo(workshop: Any, owner: Any, participants: list[Participant]) -> None:
    """A marketplace with interest marks, an arranged agenda, people checked in and three reports."""
    from facilitator.workshops import services as ws

    if len(participants) < 6:
        return
    activity = ws.add_activity(
        workshop,
        "open_space",
        "Open Space",
        "What must we do together that none of us can do alone?",
        by=owner,
    )
    ws.set_activity_phase(activity, ActivityPhase.OPEN, by=owner)
    topics = [
        propose_topic(activity, title, description, by=participants[i % len(participants)])
        for i, (title, description) in enumerate(DEMO_TOPICS)
    ]
    for n, participant in enumerate(participants):
        for k in range(3):
            topic = topics[(n + k * 2) % len(topics)]
            if topic.convener_id != participant.id:
                set_interest(activity, topic.id, True, by=participant)
    suggestion = suggest_agenda(activity, keep_placed=False)
    apply_agenda(activity, [(p["topic_id"], p["slot_id"], p["space_id"]) for p in suggestion["placements"]])
    first = slots_of(activity)[0]
    set_current_slot(activity, first.id)
    running = [t for t in topics if t.slot_id == first.id]
    for n, participant in enumerate(participants):
        if running:
            check_in(activity, running[n % len(running)].id, by=participant)
    for index, (notes, points, actions) in DEMO_REPORTS.items():
        topic = topics[index]
        if topic.slot_id is None:
            continue
        if topic.slot_id != first.id:
            set_current_slot(activity, topic.slot_id)
            check_in(activity, topic.id, by=topic.convener)
        save_report(activity, topic.id, notes, points, actions, by=topic.convener)
    set_current_slot(activity, first.id)
    set_stage(activity, "sessions")

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from facilitator.activities.check_in.models import CheckInAnswer
from facilitator.activities.check_in.schemas import MAX_ANSWERS_EACH
from facilitator.errors import DomainError, Forbidden
from facilitator.extensions import db
from facilitator.realtime.publish import STAFF, announce
from facilitator.workshops.models import Activity, ActivityPhase, Participant, Visibility

if TYPE_CHECKING:
    from facilitator.realtime.protocol import Actor


def author_for(answer: CheckInAnswer, activity: Activity, *, staff: bool) -> str | None:
    if activity.visibility == Visibility.NAMED or (staff and activity.visibility == Visibility.NAMED_TO_FACILITATORS):
        return answer.participant.label
    return None


def answer_public(answer: CheckInAnswer) -> dict[str, Any]:
    activity = db.session.get(Activity, answer.activity_id)
    assert activity is not None
    return {"id": answer.id, "text": answer.text, "author": author_for(answer, activity, staff=False)}


def answer_staff(answer: CheckInAnswer, activity: Activity) -> dict[str, Any]:
    return {
        "id": answer.id,
        "text": answer.text,
        "author": author_for(answer, activity, staff=True),
        "is_hidden": answer.is_hidden,
    }


def add_answer(activity: Activity, text: str, *, by: Participant) -> CheckInAnswer:
    activity.require_phase(ActivityPhase.OPEN)
    mine = db.session.scalar(
        select(func.count()).where(CheckInAnswer.activity_id == activity.id, CheckInAnswer.participant_id == by.id)
    )
    if (mine or 0) >= MAX_ANSWERS_EACH:
        raise DomainError("too_many", _("You can give up to %(n)d answers.", n=MAX_ANSWERS_EACH))
    answer = CheckInAnswer(activity_id=activity.id, participant_id=by.id, text=text, participant=by)
    db.session.add(answer)
    db.session.flush()
    announce(activity.workshop_id, "checkin:answered", {"activity_id": activity.id, "answer": answer_public(answer)})
    if activity.visibility == Visibility.NAMED_TO_FACILITATORS:
        staff_view = answer_staff(answer, activity)
        announce(activity.workshop_id, "checkin:answered", {"activity_id": activity.id, "answer": staff_view},
                 audience=STAFF)
    db.session.commit()
    from facilitator.workshops.live import counter_push

    counter_push.poke(activity.workshop_id)
    return answer


def withdraw_answer(activity: Activity, answer_id: int, *, by: Participant) -> None:
    activity.require_phase(ActivityPhase.OPEN)
    answer = db.session.get(CheckInAnswer, answer_id)
    if answer is None or answer.activity_id != activity.id:
        raise DomainError("not_found", _("That answer could not be found."), 404)
    if answer.participant_id != by.id:
        raise Forbidden(_("You can only withdraw your own answers."))
    db.session.delete(answer)
    announce(activity.workshop_id, "checkin:withdrawn", {"activity_id": activity.id, "answer_id": answer_id})
    db.session.commit()


def snapshot(activity: Activity, actor: Actor) -> dict[str, Any]:
    query = select(CheckInAnswer).where(CheckInAnswer.activity_id == activity.id).order_by(CheckInAnswer.id)
    answers = db.session.scalars(query).all()
    if actor.role == "facilitator":
        items = [answer_staff(a, activity) for a in answers]
    else:
        items = [answer_public(a) for a in answers if not a.is_hidden]
    data: dict[str, Any] = {"answers": items}
    if actor.participant_id is not None:
        data["mine"] = [a.id for a in answers if a.participant_id == actor.participant_id]
    return data


def answered_count(activity: Activity) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(CheckInAnswer.participant_id))).where(CheckInAnswer.activity_id == activity.id)
    ) or 0


def export(activity: Activity) -> dict[str, Any]:
    answers = db.session.scalars(
        select(CheckInAnswer).where(CheckInAnswer.activity_id == activity.id).order_by(CheckInAnswer.id)
    ).all()
    return {
        "answers": [
            {**answer_staff(a, activity), "created_at": a.created_at.isoformat()} for a in answers
        ]
    }

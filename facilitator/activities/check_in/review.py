"""The check-in's section of the review: the answers the room saw (hidden ones left out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.activities.check_in.models import CheckInAnswer
from facilitator.extensions import db
from facilitator.workshops.models import Activity

if TYPE_CHECKING:
    from facilitator.review.context import ReviewContext


def review(activity: Activity, ctx: ReviewContext) -> dict[str, Any]:
    rows = db.session.scalars(
        select(CheckInAnswer)
        .where(CheckInAnswer.activity_id == activity.id, CheckInAnswer.is_hidden.is_(False))
        .order_by(CheckInAnswer.id)
        .options(selectinload(CheckInAnswer.participant))
    ).all()
    answers = [{"text": a.text, "author": ctx.author(a.participant, activity)} for a in rows]
    people = len({a.participant_id for a in rows})
    findings = []
    if answers:
        findings.append(
            ngettext(
                "%(num)d answer from %(people)d person.",
                "%(num)d answers from %(people)d people.",
                len(answers),
                people=people,
            )
        )
    named = any(a["author"] for a in answers)
    return {
        "answers": answers,
        "named": named,
        "empty": not answers,
        "findings": findings,
        "appendix": [
            {
                "title": _("Check-in answers"),
                "columns": [_("Answer"), _("Name")] if named else [_("Answer")],
                "rows": [[a["text"], a["author"] or ""] if named else [a["text"]] for a in answers],
            }
        ]
        if answers
        else [],
    }

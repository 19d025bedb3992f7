"""Open Space's section of the review: the proceedings slot by slot and the proposed actions, ranked
by how many people cared about the session they came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import ngettext

from facilitator.activities.open_space import services
from facilitator.workshops.models import Activity

if TYPE_CHECKING:
    from facilitator.review.context import ReviewContext


def review(activity: Activity, ctx: ReviewContext) -> dict[str, Any]:
    sessions = services.proceedings(activity)
    topics = {t.id: t for t in services.topics_of(activity)}
    for s in sessions:  # the staff view names conveners; this reader may not see names
        topic = topics.get(s["topic_id"])
        s["convener"] = ctx.author(topic.convener, activity) if topic is not None else None
    by_slot = []
    for slot in services.slots_of(activity):
        items = [s for s in sessions if s["slot"] and s["slot"]["id"] == slot.id]
        if items:
            by_slot.append({"slot": services.slot_public(slot), "sessions": items})
    unplaced = [s for s in sessions if s["slot"] is None]
    actions = []
    for s in sessions:
        for text in (s["report"] or {}).get("proposed_actions", []):
            actions.append(
                {
                    "text": text,
                    "session": s["title"],
                    "interest": s["interest_count"],
                    "participants": s["participants"],
                }
            )
    actions.sort(key=lambda a: (-a["interest"], -a["participants"], a["session"].casefold()))
    for rank, action in enumerate(actions, start=1):
        action["rank"] = rank
    reported = sum(1 for s in sessions if s["report"])
    findings = []
    if sessions:
        findings.append(
            ngettext(
                "%(num)d session was convened; %(reported)d filed a report.",
                "%(num)d sessions were convened; %(reported)d filed a report.",
                len(sessions),
                reported=reported,
            )
        )
        busiest = max(sessions, key=lambda s: (s["participants"], s["interest_count"]))
        if busiest["participants"] or busiest["interest_count"]:
            findings.append(
                _(
                    "The session that drew most people was “%(title)s” "
                    "(%(n)d took part, %(i)d marked interest).",
                    title=busiest["title"],
                    n=busiest["participants"],
                    i=busiest["interest_count"],
                )
            )
        if actions:
            findings.append(
                ngettext(
                    "Sessions proposed %(num)d action.", "Sessions proposed %(num)d actions.", len(actions)
                )
            )
    return {
        "empty": not sessions,
        "by_slot": by_slot,
        "unplaced": unplaced,
        "actions": actions,
        "findings": findings,
        "appendix": [
            {
                "title": _("Open Space sessions"),
                "columns": [_("Slot"), _("Space"), _("Topic"), _("Interested"), _("Took part"), _("Report")],
                "rows": [
                    [
                        s["slot"]["label"] if s["slot"] else "",
                        s["space"]["name"] if s["space"] else "",
                        s["title"],
                        s["interest_count"],
                        s["participants"],
                        _("yes") if s["report"] else _("no"),
                    ]
                    for s in sessions
                ],
            }
        ]
        if sessions
        else [],
    }

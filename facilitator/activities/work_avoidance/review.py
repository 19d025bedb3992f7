"""The work-avoidance checklist's section of the review: the room's pattern as bars, what it says in
plain language and the most present forms with counter-moves. Only aggregates: no one's answers, no
individual rows (the examples people typed stay with the facilitator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from markupsafe import Markup

from facilitator.activities.work_avoidance import services
from facilitator.workshops.models import Activity

if TYPE_CHECKING:
    from facilitator.review.context import ReviewContext


def review(activity: Activity, ctx: ReviewContext) -> dict[str, Any]:
    data = services.export(activity)
    labels = [str(s.get("label", s.get("value"))) for s in data["scale"]]
    rows = []
    for a in data["aggregates"]:
        if a["suppressed"]:
            rows.append([a["name"], a["n"], _("too few answers to show"), "", ""])
            continue
        mean = "" if a["mean"] is None else f"{a['mean']:.1f}"
        often = "" if a["share_often"] is None else f"{round(a['share_often'] * 100)}%"
        spread = " · ".join(
            f"{label}: {n}" for label, n in zip(labels, a["distribution"] or [], strict=False)
        )
        rows.append([a["name"], a["n"], mean, often, spread])
    return {
        "empty": data["respondents"] == 0,
        "respondents": data["respondents"],
        "suppress_below": data["suppress_below"],
        "svg": Markup(data["svg"]),
        "top": data["top"],
        "findings": list(data["findings"]),
        "appendix": [
            {
                "title": _("Work-avoidance ratings (aggregates)"),
                "columns": [
                    _("Form"),
                    _("Answers"),
                    _("Average (0-4)"),
                    _("Often or all the time"),
                    _("Spread"),
                ],
                "rows": rows,
            }
        ],
    }

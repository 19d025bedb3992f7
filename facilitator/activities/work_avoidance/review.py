"""The work-avoidance checklist's section of the review: the room's pattern as bars, what it says in
plain language and the most present forms with counter-moves. Only aggregates: no one's answers, no
individual rows (the examples people typed stay with the facilitator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from facilitator.activities.work_avoidance import services
from facilitator.i18n import translate_builtin
from facilitator.workshops.models import Activity

if TYPE_CHECKING:
    from facilitator.review.context import ReviewContext


def review(activity: Activity, ctx: ReviewContext) -> dict[str, Any]:
    data = services.export(activity)
    labels = [str(s.get("label", s.get("value"))) for s in services.scale_public(activity)]
    rows = []
    for a in data["aggregates"]:
        name = translate_builtin(a["name"])
        if a["suppressed"]:
            rows.append([name, a["n"], _("too few answers to show"), "", ""])
            continue
        mean = "" if a["mean"] is None else format_decimal(a["mean"], format="0.0")
        often = "" if a["share_often"] is None else format_percent(a["share_often"])
        spread = " · ".join(
            _("%(label)s: %(n)s", label=label, n=n)
            for label, n in zip(labels, a["distribution"] or [], strict=False)
        )
        rows.append([name, a["n"], mean, often, spread])
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

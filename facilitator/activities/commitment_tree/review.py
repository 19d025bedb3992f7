"""The commitment tree's section of the review: the tree as the room grew it and how far people have
followed through since (counts by status), with each commitment and where it stands."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from facilitator.activities.commitment_tree import services
from facilitator.activities.commitment_tree.schemas import STATUSES
from facilitator.analysis.tree import svg_tree
from facilitator.workshops.models import Activity

if TYPE_CHECKING:
    from facilitator.review.context import ReviewContext


def review(activity: Activity, ctx: ReviewContext) -> dict[str, Any]:
    visible = [c for c in services._all(activity) if not c.is_hidden]
    if not visible:
        return {"empty": True, "findings": [], "appendix": []}
    names = ctx.names_in(activity)
    layout = services.tree_layout(activity, remember=False)
    picture = svg_tree(
        layout, show_names=names and services.show_names(activity), title=activity.prompt or activity.title,
        words=services.tree_words(),
    )
    labels = services.status_labels()
    counts = Counter(c.status for c in visible)
    by_status = [{"status": s, "label": labels.get(s, s), "count": counts.get(s, 0)} for s in STATUSES]
    updated = sum(1 for c in visible if c.status_at is not None)
    commitments = [
        {
            "text": c.text,
            "branch": services.branch_label(activity, c.branch_id),
            "by_when": c.by_when,
            "with_whom": ", ".join(c.with_whom or []) if names else "",
            "author": ctx.author(c.participant, activity),
            "status": labels.get(c.status, c.status),
            "status_key": c.status,
            "status_note": c.status_note,
        }
        for c in visible
    ]
    commitments.sort(
        key=lambda c: (
            c["branch"].casefold(),
            STATUSES.index(c["status_key"]) if c["status_key"] in STATUSES else 99,
        )
    )
    total = len(visible)
    findings = [
        ngettext("%(num)d commitment was made.", "%(num)d commitments were made.", total),
        ngettext(
            "%(u)d of %(num)d has been updated since the workshop: %(done)d done, %(prog)d in progress, "
            "%(stuck)d stuck.",
            "%(u)d of %(num)d have been updated since the workshop: %(done)d done, %(prog)d in progress, "
            "%(stuck)d stuck.",
            total,
            u=updated,
            done=counts.get("done", 0),
            prog=counts.get("in_progress", 0),
            stuck=counts.get("stuck", 0),
        ),
    ]
    named = any(c["author"] for c in commitments)
    columns = [_("Commitment"), _("Branch"), _("By when"), _("Status"), _("Note")]
    if named:
        columns.insert(1, _("Name"))
    rows = []
    for c in commitments:
        row = [c["text"], c["branch"], c["by_when"], c["status"], c["status_note"]]
        if named:
            row.insert(1, c["author"] or "")
        rows.append(row)
    return {
        "empty": False,
        "svg": Markup(picture),
        "by_status": by_status,
        "total": total,
        "updated": updated,
        "commitments": commitments,
        "named": named,
        "findings": findings,
        "appendix": [{"title": _("Commitments"), "columns": columns, "rows": rows}],
    }

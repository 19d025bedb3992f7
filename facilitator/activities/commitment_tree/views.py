"""HTTP pages of the commitment tree: the tree as SVG, the CSV export, and the follow-up pages."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as WResponse

from facilitator.activities.commitment_tree import services
from facilitator.activities.commitment_tree.schemas import MAX_NOTE, STATUSES
from facilitator.db import utcnow
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.workshops.access import facilitated_activity, facilitated_workshop
from facilitator.workshops.models import Activity

bp = Blueprint("commitment_tree", __name__)


def _tree_activity(workshop_id: int, activity_id: int) -> Activity:
    activity = facilitated_activity(facilitated_workshop(workshop_id), activity_id)
    if activity.kind != "commitment_tree":
        abort(404)
    return activity


def _private(response: Response | WResponse) -> Response | WResponse:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/workshops/<int:workshop_id>/activities/<int:activity_id>/tree.svg")
@login_required
def tree_svg(workshop_id: int, activity_id: int) -> Response | WResponse:
    activity = _tree_activity(workshop_id, activity_id)
    mode = "list" if request.args.get("mode") == "list" else "auto"
    fresh = [int(x) for x in request.args.get("new", "").split(",")[:20] if x.isdigit() and len(x) < 12]
    svg = services.tree_svg(activity, mode=mode, highlight=fresh, titled=request.args.get("title") != "0")
    response = Response(svg, mimetype="image/svg+xml")
    # The drawing may carry its own small stylesheet (leaf motion), never scripts.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = f'attachment; filename="commitment-tree-{activity.id}.svg"'
    return _private(response)


@bp.get("/workshops/<int:workshop_id>/activities/<int:activity_id>/commitments.csv")
@login_required
def export_csv(workshop_id: int, activity_id: int) -> Response | WResponse:
    activity = _tree_activity(workshop_id, activity_id)
    response = Response("\ufeff" + services.export_csv(activity), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="commitments-{activity.id}.csv"'
    return _private(response)


@bp.get("/workshops/<int:workshop_id>/activities/<int:activity_id>/follow-up")
@login_required
def follow_up_overview(workshop_id: int, activity_id: int) -> Response | WResponse:
    activity = _tree_activity(workshop_id, activity_id)
    return _private(
        Response(
            render_template(
                "commitment_tree/overview.html",
                workshop=activity.workshop,
                activity=activity,
                overview=services.follow_up_overview(activity),
                labels=services.status_labels(),
            )
        )
    )


def _link_or_404(token: str) -> services.FollowUpLink:
    link = services.link_by_token(token)
    if link is None:
        abort(404)
    return link


def _follow_up_headers(response: Response | WResponse) -> Response | WResponse:
    # The token in the address is the credential: keep it out of referrers, caches and search engines.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return _private(response)


@bp.get("/f/<token>")
def follow_up(token: str) -> Response | WResponse:
    from facilitator.analysis.checklist import DEFAULT_FORMS

    link = _link_or_404(token)
    link.last_opened_at = utcnow()
    db.session.commit()
    activity = db.session.get(Activity, link.activity_id)
    assert activity is not None
    html = render_template(
        "commitment_tree/follow_up.html",
        link=link,
        activity=activity,
        workshop=activity.workshop,
        commitments=services.owned_commitments(link),
        branch_label=lambda bid: services.branch_label(activity, bid),
        statuses=STATUSES,
        labels=services.status_labels(),
        forms=[(f["key"], f["name"]) for f in DEFAULT_FORMS],
        form_names={f["key"]: f["name"] for f in DEFAULT_FORMS},
        max_note=MAX_NOTE,
    )
    return _follow_up_headers(Response(html))


@bp.post("/f/<token>/<int:commitment_id>")
def follow_up_update(token: str, commitment_id: int) -> Response | WResponse:
    link = _link_or_404(token)
    form = request.form
    try:
        services.update_status(
            link,
            commitment_id,
            form.get("status", ""),
            form.get("note", ""),
            form.get("obstacle_form", ""),
            form.get("obstacle", ""),
        )
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            abort(404)
        flash(err.message, "error")
    else:
        flash(_("Saved. Thank you for following up."), "success")
    target = url_for("commitment_tree.follow_up", token=link.token) + f"#c{commitment_id}"
    return _follow_up_headers(redirect(target))

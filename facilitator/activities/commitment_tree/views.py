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
from facilitator.i18n import translate_builtin
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


@bp.app_template_global("commitment_tree_sources")
def commitment_tree_sources(activity: Activity) -> list[dict[str, str]]:
    """Branch ideas from an Open Space of the same workshop, for the settings form."""
    return services.open_space_sources(activity) if activity.kind == "commitment_tree" else []


@bp.get("/workshops/<int:workshop_id>/activities/<int:activity_id>/follow-up")
@login_required
def follow_up_overview(workshop_id: int, activity_id: int) -> Response | WResponse:
    from facilitator.activities.commitment_tree import followup

    activity = _tree_activity(workshop_id, activity_id)
    rounds = followup.rounds(activity)
    latest = rounds[-1] if rounds else None
    return _private(
        Response(
            render_template(
                "commitment_tree/overview.html",
                workshop=activity.workshop,
                activity=activity,
                overview=services.follow_up_overview(activity),
                labels=services.status_labels(),
                insights=followup.insights(activity),
                rounds=rounds,
                latest_round=latest,
                not_updated=followup.not_updated_since(activity, latest.created_at) if latest else [],
                pulses=services.pulse_days(activity),
            )
        )
    )


@bp.post("/workshops/<int:workshop_id>/activities/<int:activity_id>/follow-up/rounds")
@login_required
def open_round(workshop_id: int, activity_id: int) -> WResponse:
    from facilitator.activities.commitment_tree import followup

    activity = _tree_activity(workshop_id, activity_id)
    followup.open_round(
        activity, request.form.get("label", ""), email_owners=request.form.get("email_owners") == "1"
    )
    flash(_("Follow-up round opened. Owners who have not updated since now are listed below."), "success")
    target = url_for("commitment_tree.follow_up_overview", workshop_id=workshop_id, activity_id=activity_id)
    return redirect(target + "#round")


@bp.post("/workshops/<int:workshop_id>/activities/<int:activity_id>/ties-to-map")
@login_required
def ties_to_map(workshop_id: int, activity_id: int) -> WResponse:
    from facilitator.activities.commitment_tree import ties

    activity = _tree_activity(workshop_id, activity_id)
    try:
        result = ties.hand_over(activity)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(
            _(
                "Stakeholder map: %(added)d relationships added, %(already)d already there.",
                added=result["added"],
                already=result["already"],
            ),
            "success",
        )
    target = url_for("commitment_tree.follow_up_overview", workshop_id=workshop_id, activity_id=activity_id)
    return redirect(target + "#ties")


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
        forms=[(f["key"], translate_builtin(f["name"])) for f in DEFAULT_FORMS],
        form_names={f["key"]: translate_builtin(f["name"]) for f in DEFAULT_FORMS},
        max_note=MAX_NOTE,
        pulses=services.pulse_days(activity),
    )
    return _follow_up_headers(Response(html))


@bp.get("/f/<token>/qr.svg")
def follow_up_qr(token: str) -> Response | WResponse:
    """The personal follow-up link as a QR code, to photograph or save from the phone."""
    import io

    import segno

    from facilitator.netaddr import public_base_url

    link = _link_or_404(token)
    buffer = io.BytesIO()
    url = public_base_url() + url_for("commitment_tree.follow_up", token=link.token)
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=6, border=2, xmldecl=False, title=_("Your follow-up link")
    )
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return _follow_up_headers(response)


@bp.post("/f/<token>/email")
def follow_up_email(token: str) -> Response | WResponse:
    from facilitator.activities.commitment_tree import followup
    from facilitator.netaddr import public_base_url

    link = _link_or_404(token)
    page = public_base_url() + url_for("commitment_tree.follow_up", token=link.token)
    try:
        followup.save_email(
            link, request.form.get("email", ""), consent=request.form.get("consent") == "1", page_url=page
        )
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(_("Saved: we will email you reminders. You can remove your address at any time."), "success")
    return _follow_up_headers(redirect(url_for("commitment_tree.follow_up", token=link.token) + "#reminders"))


@bp.post("/f/<token>/email/remove")
def follow_up_email_remove(token: str) -> Response | WResponse:
    from facilitator.activities.commitment_tree import followup

    link = _link_or_404(token)
    followup.remove_email(link)
    flash(_("Your email address has been removed. No more reminders will be sent."), "success")
    return _follow_up_headers(redirect(url_for("commitment_tree.follow_up", token=link.token) + "#reminders"))


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

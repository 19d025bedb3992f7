"""The review pages: the facilitator's dashboard, report, PDF and link management under
/workshops/<id>/, and the same read-only pages for a leader at /r/<token>."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WResponse

from facilitator.errors import DomainError
from facilitator.netaddr import public_base_url
from facilitator.review import pdf as pdf_jobs
from facilitator.review import services
from facilitator.review.context import FACILITATOR, ReviewContext
from facilitator.review.models import ReviewLink
from facilitator.review.pdf import html_to_pdf
from facilitator.workshops.access import facilitated_workshop
from facilitator.workshops.models import Workshop

PDF_APPENDIX_ROWS = 60  # a printed appendix stays readable (and quick to typeset); exports carry every row

bp = Blueprint("review", __name__)


# Dates and numbers in the reader's language, for every page (review, console, proceedings, follow-up) --


@bp.app_template_filter("day")
def day(value: Any, width: str = "medium") -> str:
    """A date ("2026-11-23", a date or a datetime) as the reader's language writes it; other text as is."""
    from datetime import date, datetime

    from flask_babel import format_date

    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, width) if isinstance(value, date) else ("" if value is None else str(value))


@bp.app_template_filter("moment")
def moment(value: Any, width: str = "short") -> str:
    """A date and time (stored in UTC) as the reader's language writes it, in the app's time zone."""
    from flask_babel import format_datetime

    return format_datetime(value, width) if value is not None else ""


@bp.app_template_filter("one_decimal")
def one_decimal(value: Any, signed: bool = False) -> str:
    """A mean such as 2.5, with the reader's decimal sign ("2,5" in French)."""
    from flask_babel import format_decimal

    if value is None:
        return "—"
    text = format_decimal(abs(value) if signed else value, format="0.0")
    if not signed:
        return text
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


@bp.app_template_filter("num")
def num(value: Any) -> str:
    """A whole number with the reader's grouping (1,234 / 1 234 / 1.234)."""
    from flask_babel import format_number

    return format_number(value) if isinstance(value, int | float) else ("" if value is None else str(value))

_NEW_LINK = "review_new_link"


def _private(response: Response | WResponse) -> Response | WResponse:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _filename(workshop: Workshop) -> str:
    text = unicodedata.normalize("NFKD", workshop.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "workshop"
    return f"{slug}-report.pdf"


def _urls(workshop: Workshop, token: str | None) -> dict[str, str]:
    if token is None:
        return {
            "dashboard": url_for("review.dashboard", workshop_id=workshop.id),
            "report": url_for("review.report", workshop_id=workshop.id),
            "pdf": url_for("review.report_pdf", workshop_id=workshop.id),
        }
    return {
        "dashboard": url_for("review.shared_dashboard", token=token),
        "report": url_for("review.shared_report", token=token),
        "pdf": url_for("review.shared_report_pdf", token=token),
    }


def render_report(
    workshop: Workshop, ctx: ReviewContext, *, token: str | None = None, pdf: bool = False
) -> str:
    data = services.review(workshop, ReviewContext(show_names=ctx.show_names, staff=ctx.staff, print=True))
    return render_template(
        "review/report.html", **data, urls=_urls(workshop, token), pdf=pdf, reviewer=token is not None,
        pdf_rows=PDF_APPENDIX_ROWS
    )


def _pdf_response(workshop: Workshop, html: str | None, made: bytes | None = None) -> Response:
    response = Response(made if made is not None else html_to_pdf(html or ""), mimetype="application/pdf")
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{_filename(workshop)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The facilitator's pages --------------------------------------------------------------------------


@bp.get("/workshops/<int:workshop_id>/review")
@login_required
def dashboard(workshop_id: int) -> Response | WResponse:
    workshop = facilitated_workshop(workshop_id)
    data = services.review(workshop, FACILITATOR)
    html = render_template("review/dashboard.html", **data, urls=_urls(workshop, None), reviewer=False)
    return _private(Response(html))


@bp.get("/workshops/<int:workshop_id>/report")
@login_required
def report(workshop_id: int) -> Response | WResponse:
    workshop = facilitated_workshop(workshop_id)
    return _private(Response(render_report(workshop, FACILITATOR)))


@bp.get("/workshops/<int:workshop_id>/report.pdf")
@login_required
def report_pdf(workshop_id: int) -> Response:
    workshop = facilitated_workshop(workshop_id)
    # ?job=... is the link sent when a PDF asked for from the console is ready: served as made. Once it
    # has expired (or on another deployment) the link still works: the PDF is made again.
    made = pdf_jobs.kept(workshop.id, request.args.get("job", ""))
    if made is not None:
        return _pdf_response(workshop, None, made)
    return _pdf_response(workshop, render_report(workshop, FACILITATOR, pdf=True))


@bp.post("/workshops/<int:workshop_id>/report.pdf/prepare")
@login_required
def prepare_report_pdf(workshop_id: int) -> tuple[Response, int]:
    """From the console: make the PDF in the background; the facilitator's consoles are told, with a
    download link, when it is ready (``report:pdf_ready`` through the message queue)."""
    workshop = facilitated_workshop(workshop_id)
    html = render_report(workshop, FACILITATOR, pdf=True)  # here: the asker's language and view
    url = url_for("review.report_pdf", workshop_id=workshop.id, download=1)
    job = pdf_jobs.start(workshop.id, current_user.id, html, url)
    return jsonify(job), 202


@bp.get("/workshops/<int:workshop_id>/review/links")
@login_required
def links(workshop_id: int) -> Response | WResponse:
    workshop = facilitated_workshop(workshop_id)
    html = render_template(
        "review/links.html",
        workshop=workshop,
        links=services.links_of(workshop),
        stats=services.view_stats(workshop),
        views=services.recent_views(workshop),
        new_link=session.pop(_NEW_LINK, None),
        max_days=services.MAX_LINK_DAYS,
    )
    return _private(Response(html))


@bp.post("/workshops/<int:workshop_id>/review/links")
@login_required
def create_link(workshop_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    raw_days = request.form.get("days", "").strip()
    try:
        days = int(raw_days) if raw_days else None
    except ValueError:
        days = -1
    try:
        link, token = services.create_link(
            workshop,
            label=request.form.get("label", ""),
            allow_names=request.form.get("allow_names") in ("1", "on", "y", "true"),
            days=days,
            by=current_user,
        )
    except DomainError as err:
        flash(err.message, "error")
    else:
        session[_NEW_LINK] = {
            "id": link.id,
            "url": public_base_url() + url_for("review.shared_dashboard", token=token),
        }
        flash(_("Review link created. Copy it now: it is shown only once."), "success")
    return redirect(url_for("review.links", workshop_id=workshop.id))


@bp.post("/workshops/<int:workshop_id>/review/links/<int:link_id>/revoke")
@login_required
def revoke_link(workshop_id: int, link_id: int) -> WResponse:
    workshop = facilitated_workshop(workshop_id)
    try:
        services.revoke_link(workshop, link_id, by=current_user)
    except DomainError:
        abort(404)
    flash(_("The link no longer opens the review."), "success")
    return redirect(url_for("review.links", workshop_id=workshop.id))


# A reviewer's pages -------------------------------------------------------------------------------


def _reviewer_headers(response: Response | WResponse) -> Response | WResponse:
    # The token in the address is the credential: keep it out of referrers, caches and search engines.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return _private(response)


def _open(token: str, page: str) -> tuple[ReviewLink, Workshop, ReviewContext] | Response | WResponse:
    link = services.link_by_token(token)
    if link is None:
        abort(404)
    state = link.state()
    if state != "active":
        title = _("This link has been withdrawn") if state == "revoked" else _("This link has expired")
        message = _("Ask the workshop's facilitator for a new review link.")
        return _reviewer_headers(Response(render_template("error.html", title=title, message=message), 410))
    from facilitator.extensions import db

    workshop = db.session.get(Workshop, link.workshop_id)
    if workshop is None:
        abort(404)
    services.log_view(link, page, request.headers.get("User-Agent", ""))
    return link, workshop, ReviewContext(show_names=link.allow_names, staff=False)


@bp.get("/r/<token>")
def shared_dashboard(token: str) -> Response | WResponse:
    opened: Any = _open(token, "dashboard")
    if not isinstance(opened, tuple):
        return opened
    link, workshop, ctx = opened
    data = services.review(workshop, ctx)
    html = render_template(
        "review/dashboard.html", **data, urls=_urls(workshop, token), reviewer=True, link=link
    )
    return _reviewer_headers(Response(html))


@bp.get("/r/<token>/report")
def shared_report(token: str) -> Response | WResponse:
    opened: Any = _open(token, "report")
    if not isinstance(opened, tuple):
        return opened
    _link, workshop, ctx = opened
    return _reviewer_headers(Response(render_report(workshop, ctx, token=token)))


@bp.get("/r/<token>/report.pdf")
def shared_report_pdf(token: str) -> Response | WResponse:
    opened: Any = _open(token, "pdf")
    if not isinstance(opened, tuple):
        return opened
    _link, workshop, ctx = opened
    return _reviewer_headers(_pdf_response(workshop, render_report(workshop, ctx, token=token, pdf=True)))



# Series of workshops --------------------------------------------------------------------------------


def _owned_series(series_id: int) -> Any:
    from facilitator.review import series as series_services

    found = series_services.owned_series(series_id, current_user.id)
    if found is None:
        abort(404)
    return found


def _workshop_ids() -> list[int]:
    return [int(v) for v in request.form.getlist("workshop_ids") if v.isdigit()]


@bp.get("/series")
@login_required
def series_index() -> Response | WResponse:
    from facilitator.review import series as series_services

    html = render_template(
        "review/series_index.html",
        all_series=series_services.series_of(current_user.id),
        workshops=series_services.own_workshops(current_user.id),
        workshops_in=series_services.workshops_in,
    )
    return _private(Response(html))


@bp.post("/series")
@login_required
def series_create() -> WResponse:
    from facilitator.review import series as series_services

    try:
        name = request.form.get("name", "")
        created = series_services.create_series(name, _workshop_ids(), by=current_user)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("review.series_index"))
    flash(_("Series created."), "success")
    return redirect(url_for("review.series_page", series_id=created.id))


@bp.get("/series/<int:series_id>")
@login_required
def series_page(series_id: int) -> Response | WResponse:
    from facilitator.review import series as series_services

    found = _owned_series(series_id)
    html = render_template(
        "review/series.html",
        series=found,
        data=series_services.overview(found),
        workshops=series_services.own_workshops(current_user.id),
        member_ids=set(found.workshop_ids or []),
    )
    return _private(Response(html))


@bp.post("/series/<int:series_id>")
@login_required
def series_update(series_id: int) -> WResponse:
    from facilitator.review import series as series_services

    found = _owned_series(series_id)
    try:
        series_services.update_series(found, request.form.get("name", ""), _workshop_ids())
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(_("Series saved."), "success")
    return redirect(url_for("review.series_page", series_id=found.id))


@bp.post("/series/<int:series_id>/delete")
@login_required
def series_delete(series_id: int) -> WResponse:
    from facilitator.review import series as series_services

    series_services.delete_series(_owned_series(series_id))
    flash(_("Series deleted. Its workshops are untouched."), "success")
    return redirect(url_for("review.series_index"))

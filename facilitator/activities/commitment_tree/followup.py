"""Commitment tree after the workshop: email consent, pulse reminders by SMTP, follow-up rounds, and
what leaders see (follow-through, stuck reasons, promised ties, who commitments depend on)."""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from facilitator.activities.commitment_tree import services
from facilitator.activities.commitment_tree.models import (
    Commitment,
    FollowUpLink,
    FollowUpRound,
    Reminder,
)
from facilitator.analysis import commitments as analysis
from facilitator.db import utcnow
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.i18n import translate_builtin
from facilitator.realtime.publish import STAFF, announce
from facilitator.workshops.models import Activity, Participant, Visibility, Workshop

log = logging.getLogger(__name__)

MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s<>\"'(),;:\\]+@[^@\s<>\"'(),;:\\]+\.[^@\s<>\"'(),;:\\]+$")
MAX_ROUND_LABEL = 120


# Consent ----------------------------------------------------------------------------------------


def save_email(link: FollowUpLink, email: str, *, consent: bool, page_url: str) -> None:
    """Keep an address for reminders, only with a ticked consent box."""
    email = email.strip()
    if not consent:
        raise DomainError("consent_required", _("Tick the box to agree to reminders by email."))
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise DomainError("invalid_email", _("Please enter a valid email address."))
    link.email = email
    link.email_consent_at = utcnow()
    link.page_url = page_url[:400]
    db.session.commit()


def remove_email(link: FollowUpLink) -> None:
    """Forget the address and the consent (the sent-reminder log stays, so nothing is re-sent)."""
    link.email = ""
    link.email_consent_at = None
    db.session.commit()


# Rounds -----------------------------------------------------------------------------------------


def rounds(activity: Activity) -> list[FollowUpRound]:
    return list(
        db.session.scalars(
            select(FollowUpRound).where(FollowUpRound.activity_id == activity.id).order_by(FollowUpRound.id)
        )
    )


def open_round(activity: Activity, label: str, *, email_owners: bool) -> FollowUpRound:
    label = " ".join(label.split())[:MAX_ROUND_LABEL]
    r = FollowUpRound(activity_id=activity.id, label=label, email_owners=email_owners)
    db.session.add(r)
    db.session.flush()
    announce(
        activity.workshop_id,
        "commitment:round_opened",
        {"activity_id": activity.id, "round_id": r.id, "label": label},
        audience=STAFF,
    )
    db.session.commit()
    return r


# Reminders --------------------------------------------------------------------------------------


def _base_url(link: FollowUpLink) -> str:
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return f"{str(configured).rstrip('/')}/f/{link.token}"
    return link.page_url


def _one_line(text: str, limit: int = 120) -> str:
    return " ".join(str(text).split())[:limit]


def reminder_message(
    link: FollowUpLink, workshop: Workshop, activity: Activity, owned: list[Commitment], key: str, note: str
) -> EmailMessage:
    """A plain-text email (participant text stays text: there is no HTML part to inject into)."""
    labels = services.status_labels()
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = link.email
    msg["Subject"] = _("How are your commitments going? (%(title)s)", title=_one_line(workshop.title, 80))
    msg["Message-ID"] = make_msgid(domain="facilitator.local")
    msg["X-Facilitator-Reminder"] = key
    lines = [
        _("Hello %(name)s,", name=_one_line(link.participant.display_name, 60) or _("there")),
        "",
        note,
        "",
        _("At \u201c%(title)s\u201d you committed to:", title=_one_line(workshop.title, 200)),
        "",
    ]
    for c in owned:
        lines.append(f"- {_one_line(c.text, 300)}  [{labels.get(c.status, c.status)}]")
    lines += [
        "",
        _("One tap to say how it is going (no account needed):"),
        _base_url(link),
        "",
        _("You get these reminders because you asked for them on your follow-up page. To stop them, "
          "open the link above and remove your email address."),
    ]
    msg.set_content("\n".join(lines))
    return msg


def _due_keys(activity: Activity, link: FollowUpLink, now: datetime) -> list[tuple[str, str]]:
    """(key, note) of every pulse and emailed round now due for this link, oldest first."""
    due: list[tuple[datetime, str, str]] = []
    for days in services.pulse_days(activity):
        at = link.created_at + timedelta(days=days)
        if at <= now:
            due.append((at, f"pulse:{days}", _("It is %(n)d days since the workshop.", n=days)))
    for r in rounds(activity):
        if r.email_owners and r.created_at <= now:
            note = _("The facilitator has opened a follow-up round: %(label)s", label=_one_line(r.label)) \
                if r.label else _("The facilitator has opened a follow-up round.")
            due.append((r.created_at, f"round:{r.id}", note))
    due.sort(key=lambda d: d[0])
    return [(k, n) for _at, k, n in due]


def send_reminders(
    *, now: datetime | None = None, connect: Callable[[], Any] | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Send every due pulse once. For each link with consent, of the reminders now due only the latest
    is emailed (older ones are marked skipped); owners with nothing left open are skipped. Each
    reminder is recorded (and committed) before its email goes out; a failed send removes the record,
    so the next run tries again. Safe to run as often as a scheduler likes."""
    now = now or utcnow()
    summary = {"sent": 0, "skipped": 0, "failed": 0, "checked": 0}
    links = db.session.scalars(
        select(FollowUpLink)
        .where(FollowUpLink.email != "", FollowUpLink.email_consent_at.is_not(None))
        .options(selectinload(FollowUpLink.participant))
        .order_by(FollowUpLink.id)
    ).all()
    smtp: Any = None
    try:
        for link in links:
            summary["checked"] += 1
            activity = db.session.get(Activity, link.activity_id)
            if activity is None:
                continue
            done = set(db.session.scalars(select(Reminder.key).where(Reminder.link_id == link.id)))
            due = [(k, n) for k, n in _due_keys(activity, link, now) if k not in done]
            if not due:
                continue
            owned = services.owned_commitments(link)
            active = [c for c in owned if c.status in analysis.ACTIVE]
            send_key, note = due[-1] if active else ("", "")
            if dry_run:
                summary["sent" if send_key else "skipped"] += 1
                continue
            for key, _n in due:
                db.session.add(
                    Reminder(link_id=link.id, key=key, outcome="sent" if key == send_key else "skipped")
                )
            try:
                db.session.commit()
            except IntegrityError:  # another run claimed it first
                db.session.rollback()
                continue
            summary["skipped"] += len(due) - (1 if send_key else 0)
            if not send_key:
                continue
            msg = reminder_message(link, activity.workshop, activity, active, send_key, note)
            try:
                if smtp is None:
                    smtp = (connect or _connect)()
                smtp.send_message(msg)
            except (OSError, smtplib.SMTPException) as err:
                log.warning("reminder %s for follow-up link %s failed: %s", send_key, link.id, err)
                db.session.query(Reminder).filter(
                    Reminder.link_id == link.id, Reminder.key == send_key
                ).delete()
                db.session.commit()
                summary["failed"] += 1
                smtp = None
                continue
            summary["sent"] += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return summary


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=30)
    if config.get("SMTP_STARTTLS"):
        smtp.starttls()
    if config.get("SMTP_USERNAME"):
        smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
    return smtp


# What leaders see -------------------------------------------------------------------------------


def _facts(
    activity: Activity, commitments: list[Commitment], *, names: bool
) -> list[analysis.CommitmentFacts]:
    return [
        analysis.CommitmentFacts(
            id=c.id,
            author=c.participant.label if names else "",
            author_org=c.participant.organisation,
            with_whom=tuple(c.with_whom or ()),
            branch=services.branch_label(activity, c.branch_id),
            status=c.status,
            text=c.text,
        )
        for c in commitments
    ]


def room(activity: Activity) -> tuple[dict[str, str], list[str]]:
    rows = db.session.execute(
        select(Participant.display_name, Participant.organisation).where(
            Participant.workshop_id == activity.workshop_id
        )
    ).all()
    people = {name: org for name, org in rows if name}
    organisations = sorted({org for _n, org in rows if org}, key=str.casefold)
    return people, organisations


def _changes(commitments: list[Commitment]) -> list[analysis.StatusChange]:
    return [
        analysis.StatusChange(u.commitment_id, u.created_at.date(), u.status, u.obstacle_form, u.obstacle)
        for c in commitments
        for u in c.updates
    ]


def map_pairs(activity: Activity) -> tuple[Activity | None, list[tuple[str, str]]]:
    """The stakeholder map of the same workshop (if any) and the organisation pairs already tied on it."""
    from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder

    stakeholder_map = db.session.scalars(
        select(Activity)
        .where(Activity.workshop_id == activity.workshop_id, Activity.kind == "stakeholder_map")
        .order_by(Activity.position, Activity.id)
    ).first()
    if stakeholder_map is None:
        return None, []
    people = {
        s.id: (s.organisation or s.name)
        for s in db.session.scalars(select(Stakeholder).where(Stakeholder.activity_id == stakeholder_map.id))
    }
    pairs = []
    for r in db.session.scalars(
        select(Relationship).where(
            Relationship.activity_id == stakeholder_map.id, Relationship.is_needed.is_(False)
        )
    ):
        a, b = people.get(r.source_id, ""), people.get(r.target_id, "")
        if a and b:
            pairs.append((a, b))
    return stakeholder_map, pairs


def insights(activity: Activity, *, overload_at: int = 3) -> dict[str, Any]:
    from facilitator.analysis.checklist import DEFAULT_FORMS

    commitments = services._all(activity, with_history=True)
    names = activity.visibility != Visibility.ANONYMOUS
    facts = _facts(activity, commitments, names=names)
    people, organisations = room(activity)
    stakeholder_map, existing = map_pairs(activity)
    ties = analysis.promised_ties(facts, people, organisations, existing)
    graph = analysis.dependency_network(facts, people, organisations)
    changes = _changes(commitments)
    start = min((c.created_at.date() for c in commitments), default=utcnow().date())
    end = max([utcnow().date(), start, *(ch.on for ch in changes)])
    by_id = {c.id: c for c in commitments}
    return {
        "count": len(commitments),
        "ties": ties,
        "map": stakeholder_map,
        "overload": [r for r in analysis.overload(graph, overload_at) if r["count"] > 1 or r["overloaded"]],
        "overload_at": overload_at,
        "unpartnered": [by_id[i] for i in analysis.unpartnered(graph)],
        "stuck": analysis.stuck_reasons(
            changes, {f["key"]: translate_builtin(f["name"]) for f in DEFAULT_FORMS}
        ),
        "follow_through": analysis.follow_through(
            facts, no_branch=_("No branch"), no_org=_("No organisation given")
        ),
        "over_time": analysis.status_over_time([c.id for c in commitments], changes, start, end),
        "by_id": by_id,
    }


def not_updated_since(activity: Activity, since: datetime) -> list[Participant]:
    """Owners with no status update since ``since`` (e.g. when a follow-up round opened)."""
    owners: dict[int, Participant] = {}
    updated: set[int] = set()
    for c in services._all(activity):
        owners[c.participant_id] = c.participant
        if c.status_at is not None and c.status_at >= since:
            updated.add(c.participant_id)
    return sorted(
        (p for pid, p in owners.items() if pid not in updated), key=lambda p: p.label.casefold()
    )


def as_of(text: str | None) -> datetime | None:
    """``--as-of 2031-04-01`` for the CLI: that day at noon UTC."""
    if not text:
        return None
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, 12, tzinfo=utcnow().tzinfo)

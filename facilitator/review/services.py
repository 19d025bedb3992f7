"""Review links, the view log, and the review assembled from every activity kind's own section."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from facilitator.activities import registry
from facilitator.db import utcnow
from facilitator.errors import DomainError, NotFound
from facilitator.extensions import db
from facilitator.i18n import translate_builtin
from facilitator.review.charts import bars
from facilitator.review.context import ReviewContext
from facilitator.review.models import ReviewLink, ReviewView
from facilitator.workshops.models import ModerationEntry, Participant, Workshop

MAX_LINK_DAYS = 366
MAX_LABEL = 120
MIX_ROWS = 12  # the mix shows this many organisations; the rest are counted together


# Links ------------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_link(
    workshop: Workshop, *, label: str, allow_names: bool, days: int | None, by: Any
) -> tuple[ReviewLink, str]:
    """A new link; returns it and its token (shown once: only the hash is kept)."""
    label = " ".join(label.split())[:MAX_LABEL]
    if days is not None and not 1 <= days <= MAX_LINK_DAYS:
        raise DomainError("invalid", _("A link can last from 1 to %(n)d days.", n=MAX_LINK_DAYS))
    token = secrets.token_urlsafe(32)
    link = ReviewLink(
        workshop_id=workshop.id,
        token_hash=hash_token(token),
        label=label,
        allow_names=allow_names,
        expires_at=utcnow() + timedelta(days=days) if days else None,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(link)
    db.session.commit()
    return link, token


def revoke_link(workshop: Workshop, link_id: int, *, by: Any) -> ReviewLink:
    link = db.session.get(ReviewLink, link_id)
    if link is None or link.workshop_id != workshop.id:
        raise NotFound(_("That review link could not be found."))
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.commit()
    return link


def links_of(workshop: Workshop) -> list[ReviewLink]:
    return list(
        db.session.scalars(
            select(ReviewLink).where(ReviewLink.workshop_id == workshop.id).order_by(ReviewLink.id.desc())
        )
    )


def link_by_token(token: str) -> ReviewLink | None:
    """The link a token opens, whatever its state; None for a token nobody was given."""
    if not token or len(token) > 100:
        return None
    return db.session.scalars(select(ReviewLink).where(ReviewLink.token_hash == hash_token(token))).first()


def log_view(link: ReviewLink, page: str, user_agent: str = "") -> None:
    db.session.add(
        ReviewView(
            link_id=link.id, workshop_id=link.workshop_id, page=page, user_agent=(user_agent or "")[:200]
        )
    )
    db.session.commit()


@dataclass
class LinkStats:
    count: int = 0
    last: datetime | None = None


def view_stats(workshop: Workshop) -> dict[int, LinkStats]:
    rows = db.session.execute(
        select(ReviewView.link_id, func.count(), func.max(ReviewView.id))
        .where(ReviewView.workshop_id == workshop.id)
        .group_by(ReviewView.link_id)
    ).all()
    last_ids = [r[2] for r in rows]
    when = dict(
        db.session.execute(
            select(ReviewView.id, ReviewView.viewed_at).where(ReviewView.id.in_(last_ids))
        ).all()
    )
    return {link_id: LinkStats(n, when.get(last_id)) for link_id, n, last_id in rows}


def recent_views(workshop: Workshop, limit: int = 200) -> list[ReviewView]:
    return list(
        db.session.scalars(
            select(ReviewView)
            .where(ReviewView.workshop_id == workshop.id)
            .order_by(ReviewView.id.desc())
            .limit(limit)
        )
    )


# The review -------------------------------------------------------------------------------------


@dataclass
class Section:
    activity: Any
    label: str
    template: str | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[str]:
        return [str(f) for f in self.data.get("findings", [])]

    @property
    def appendix(self) -> list[dict[str, Any]]:
        return list(self.data.get("appendix", []))


def participation(workshop: Workshop) -> dict[str, Any]:
    """Who took part: how many, and the mix by sector and by organisation (no names)."""
    rows = db.session.execute(
        select(Participant.sector, Participant.organisation).where(Participant.workshop_id == workshop.id)
    ).all()
    sectors: Counter[str] = Counter()
    organisations: Counter[str] = Counter()
    shown_org: dict[str, str] = {}
    for sector, organisation in rows:
        sectors[" ".join((sector or "").split()) or ""] += 1
        org = " ".join((organisation or "").split())
        key = org.casefold()
        shown_org.setdefault(key, org)
        organisations[key] += 1
    not_given = _("Not given")
    # A sector offered at joining is stored in English: shown in the reader's language.
    by_sector = [
        (translate_builtin(s) if s else not_given, n)
        for s, n in sorted(sectors.items(), key=lambda kv: (not kv[0], -kv[1], kv[0]))
    ]
    named_orgs = sorted(((k, n) for k, n in organisations.items() if k), key=lambda kv: (-kv[1], kv[0]))
    by_org = [(shown_org[k], n) for k, n in named_orgs[:MIX_ROWS]]
    rest = sum(n for _k, n in named_orgs[MIX_ROWS:])
    if rest:
        others = len(named_orgs) - MIX_ROWS
        by_org.append((ngettext("%(num)d other organisation", "%(num)d other organisations", others), rest))
    if organisations.get(""):
        by_org.append((not_given, organisations[""]))
    return {
        "count": len(rows),
        "organisations": len(named_orgs),
        "sectors": len([s for s in sectors if s]),
        "by_sector": by_sector,
        "by_organisation": by_org,
    }


def sections(workshop: Workshop, ctx: ReviewContext) -> list[Section]:
    """Each activity's section, in agenda order, from its kind's own ``review`` function."""
    kinds = registry()
    out = []
    for activity in workshop.activities:
        kind = kinds.get(activity.kind)
        label = kind.label() if kind else activity.kind
        if kind is None or kind.review is None:
            answered = kind.answered(activity) if kind else 0
            out.append(Section(activity, label, None, {"answered": answered}))
            continue
        out.append(Section(activity, label, kind.review_template, kind.review(activity, ctx)))
    return out


def moderation_log(workshop: Workshop) -> list[ModerationEntry]:
    return list(
        db.session.scalars(
            select(ModerationEntry)
            .where(ModerationEntry.workshop_id == workshop.id)
            .order_by(ModerationEntry.id)
        )
    )


def review(workshop: Workshop, ctx: ReviewContext) -> dict[str, Any]:
    """Everything the dashboard and the report show."""
    parts = sections(workshop, ctx)
    return {
        "workshop": workshop,
        "ctx": ctx,
        "mix": participation(workshop),
        "sections": parts,
        "findings": [(s, s.findings) for s in parts if s.findings],
        "moderation": moderation_log(workshop) if ctx.print else [],
        "generated_at": utcnow(),
        "mix_chart": lambda rows, title: bars(rows, title=title),
    }

"""Review links (read-only, revocable, optionally expiring) and the log of every view through one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.auth.models import Facilitator
from facilitator.db import TimestampMixin, utcnow
from facilitator.extensions import db


class ReviewLink(TimestampMixin, db.Model):
    """A leader's read-only link to one workshop's review. Only a hash of the token is stored: the
    link itself is shown once, when it is made."""

    __tablename__ = "review_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    label: Mapped[str] = mapped_column(String(120), default="")
    allow_names: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("facilitator.id", ondelete="SET NULL"))

    created_by: Mapped[Facilitator | None] = relationship()
    views: Mapped[list[ReviewView]] = relationship(
        back_populates="link",
        order_by="ReviewView.id.desc()",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def state(self, now: datetime | None = None) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"


class ReviewView(db.Model):
    """One page seen through a review link: the facilitator sees who looked, and when."""

    __tablename__ = "review_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("review_link.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    page: Mapped[str] = mapped_column(String(20))  # dashboard | report | pdf
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)

    link: Mapped[ReviewLink] = relationship(back_populates="views")



class Series(TimestampMixin, db.Model):
    """A facilitator's own grouping of workshops (a programme with several cohorts, quarterly
    meetings...), so the series page can show what changed from one workshop to the next.

    The workshops are a list of ids rather than a table with a foreign key to ``workshop``: a series
    belongs to the facilitator's account, so a workshop's export, import and erasure (which follow
    foreign keys from ``workshop``) neither carry nor touch it. Ids of deleted workshops are ignored."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("facilitator.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    workshop_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

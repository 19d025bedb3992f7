from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.activities.base import ModeratedItem
from facilitator.db import TimestampMixin, utcnow
from facilitator.extensions import db
from facilitator.workshops.models import Participant


class Commitment(ModeratedItem, TimestampMixin, db.Model):
    """One "I will ..." on the tree. Its leaf position is kept so the leaf never moves once drawn."""

    __tablename__ = "commitment_tree_commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    by_when: Mapped[str] = mapped_column(String(10), default="")  # ISO date or ""
    with_whom: Mapped[list[Any]] = mapped_column(default=list)  # list of short strings
    branch_id: Mapped[int | None] = mapped_column()  # an id from activity.config["branches"]
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    status_note: Mapped[str] = mapped_column(String(300), default="")
    status_at: Mapped[datetime | None] = mapped_column()  # last follow-up update
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    leaf_x: Mapped[float | None] = mapped_column()
    leaf_y: Mapped[float | None] = mapped_column()

    participant: Mapped[Participant] = relationship()
    updates: Mapped[list[StatusUpdate]] = relationship(
        back_populates="commitment",
        order_by="StatusUpdate.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class StatusUpdate(db.Model):
    """The history of a commitment's status, written from the follow-up page."""

    __tablename__ = "commitment_tree_status_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_tree_commitment.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")
    obstacle_form: Mapped[str] = mapped_column(String(40), default="")  # a work-avoidance form key, if stuck
    obstacle: Mapped[str] = mapped_column(String(300), default="")  # what is in the way, if stuck
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="updates")


class FollowUpLink(TimestampMixin, db.Model):
    """A participant's personal follow-up link for one activity: the token is the only credential."""

    __tablename__ = "commitment_tree_follow_up"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    last_opened_at: Mapped[datetime | None] = mapped_column()
    # Reminders by email, only with the owner's explicit consent; both cleared when they remove it.
    email: Mapped[str] = mapped_column(String(254), default="")
    email_consent_at: Mapped[datetime | None] = mapped_column()
    page_url: Mapped[str] = mapped_column(String(400), default="")  # the link as the owner saw it

    participant: Mapped[Participant] = relationship()


class Reminder(db.Model):
    """A pulse (``pulse:30``) or a follow-up round (``round:4``) reminder for one link: written before
    the email goes out, so a pulse is never sent twice, even by two schedulers at once."""

    __tablename__ = "commitment_tree_reminder"
    __table_args__ = (UniqueConstraint("link_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_tree_follow_up.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20), default="sent")  # sent | skipped
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUpRound(db.Model):
    """A follow-up round the facilitator opened (say, before a review meeting)."""

    __tablename__ = "commitment_tree_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    email_owners: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

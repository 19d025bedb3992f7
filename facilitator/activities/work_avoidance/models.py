"""A participant's rating of one form of work avoidance, and the examples they give (moderated).

Rows keep ``participant_id`` only so a participant can change their own answer (one row per participant
and form). No view, event, snapshot or export ever carries it.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facilitator.activities.base import ModeratedItem
from facilitator.db import TimestampMixin
from facilitator.extensions import db


class WorkAvoidanceRating(TimestampMixin, db.Model):
    __tablename__ = "work_avoidance_rating"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    form_key: Mapped[str] = mapped_column(String(40))
    rating: Mapped[int | None] = mapped_column()  # 0-4; None = skipped


class WorkAvoidanceExample(ModeratedItem, TimestampMixin, db.Model):
    __tablename__ = "work_avoidance_example"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    form_key: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))

"""Work-avoidance checklist data: ratings, examples (moderated), the forms a participant picks to
tackle, live flags, and each facilitator's library of checklists.

Rating, example and pick rows keep ``participant_id`` only so a participant can change their own answer
(one row per participant and form). No view, event, snapshot or export ever carries it. The sector and
organisation a participant gave are copied onto the rating when it is given, so group splits never
need the participant. Flags carry no participant at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facilitator.activities.base import ModeratedItem
from facilitator.db import TimestampMixin, utcnow
from facilitator.extensions import db


class WorkAvoidanceRating(TimestampMixin, db.Model):
    __tablename__ = "work_avoidance_rating"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    form_key: Mapped[str] = mapped_column(String(40))
    rating: Mapped[int | None] = mapped_column()  # 0-4; None = skipped
    sector: Mapped[str] = mapped_column(String(80), default="")  # as given at answer time
    organisation: Mapped[str] = mapped_column(String(120), default="")


class WorkAvoidanceExample(ModeratedItem, TimestampMixin, db.Model):
    __tablename__ = "work_avoidance_example"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    form_key: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))


class WorkAvoidancePick(TimestampMixin, db.Model):
    """One of the (at most two) forms a participant thinks the group most needs to tackle."""

    __tablename__ = "work_avoidance_pick"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    form_key: Mapped[str] = mapped_column(String(40))


class WorkAvoidanceFlag(TimestampMixin, db.Model):
    """"I think we are avoiding the work": anonymous, stamped with what was on stage at the time."""

    __tablename__ = "work_avoidance_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    activity_title: Mapped[str] = mapped_column(String(200), default="")  # kept if the activity goes
    form_key: Mapped[str] = mapped_column(String(40), default="")  # "" = not sure which form
    form_name: Mapped[str] = mapped_column(String(120), default="")


class Checklist(TimestampMixin, db.Model):
    """A facilitator's own checklist (forms as JSON). Activities copy it: editing it later changes no
    workshop that already used it."""

    __tablename__ = "work_avoidance_checklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("facilitator.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    forms: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Open Space: the grid (spaces x slots), topics and interest marks, where people are, session reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from facilitator.activities.base import ModeratedItem
from facilitator.db import TimestampMixin, utcnow
from facilitator.extensions import db
from facilitator.workshops.models import Activity, Participant

KIND_NAME = "open_space"

DEFAULT_SPACES = [("Space A", 20), ("Space B", 15), ("Space C", 12), ("Space D", 8)]
DEFAULT_SLOTS = [
    ("Session 1", "10:00", "10:45"),
    ("Session 2", "11:00", "11:45"),
    ("Session 3", "12:00", "12:45"),
]


class Space(db.Model):
    __tablename__ = "open_space_space"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    capacity: Mapped[int] = mapped_column(default=10)
    position: Mapped[int] = mapped_column(default=0)


class Slot(db.Model):
    __tablename__ = "open_space_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[str] = mapped_column(
        String(20), default=""
    )  # as written by the facilitator, e.g. "10:00"
    ends_at: Mapped[str] = mapped_column(String(20), default="")
    position: Mapped[int] = mapped_column(default=0)


class Topic(ModeratedItem, TimestampMixin, db.Model):
    __tablename__ = "open_space_topic"
    __table_args__ = (UniqueConstraint("slot_id", "space_id", name="uq_open_space_topic_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    convener_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("open_space_slot.id", ondelete="SET NULL"))
    space_id: Mapped[int | None] = mapped_column(ForeignKey("open_space_space.id", ondelete="SET NULL"))

    convener: Mapped[Participant] = relationship()

    def moderation_text(self) -> str:
        return f"{self.title}\n{self.description}".strip()


class Interest(TimestampMixin, db.Model):
    __tablename__ = "open_space_interest"
    __table_args__ = (UniqueConstraint("topic_id", "participant_id", name="uq_open_space_interest_mark"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("open_space_topic.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))


class CheckIn(db.Model):
    """Where a participant is now: one row per participant and activity (the law of two feet moves it)."""

    __tablename__ = "open_space_checkin"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id", name="uq_open_space_checkin_where"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("open_space_topic.id", ondelete="CASCADE"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    participant: Mapped[Participant] = relationship()


class Visit(db.Model):
    """Who has been in a session at some point: pre-fills the report and lets them write it."""

    __tablename__ = "open_space_visit"
    __table_args__ = (UniqueConstraint("topic_id", "participant_id", name="uq_open_space_visit_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("open_space_topic.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))

    participant: Mapped[Participant] = relationship()


class Report(db.Model):
    __tablename__ = "open_space_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("open_space_topic.id", ondelete="CASCADE"), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    key_points: Mapped[list[Any]] = mapped_column(default=list)
    proposed_actions: Mapped[list[Any]] = mapped_column(default=list)
    took_part: Mapped[list[Any]] = mapped_column(default=list)  # names, pre-filled from check-ins
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    updated_by: Mapped[Participant | None] = relationship()


class Photo(db.Model):
    """A photo of a session's flip chart: re-encoded on upload, stored under a random name."""

    __tablename__ = "open_space_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("open_space_topic.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(64), unique=True)  # random, in the instance folder
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vote(db.Model):
    """One dot on one proposed action (convergence). An action is a line of a report, keyed by topic and
    a hash of its text, so a vote follows the action when the report is edited around it."""

    __tablename__ = "open_space_vote"
    __table_args__ = (
        UniqueConstraint("participant_id", "topic_id", "action_key", name="uq_open_space_vote_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("open_space_topic.id", ondelete="CASCADE"), index=True)
    action_key: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def grid_template(config: dict[str, Any] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The spaces and slots a new activity starts with: the copied grid of a duplicate, else the defaults."""
    grid = (config or {}).get("grid") or {}
    spaces = [s for s in grid.get("spaces") or [] if isinstance(s, dict) and s.get("name")]
    slots = [s for s in grid.get("slots") or [] if isinstance(s, dict) and s.get("label")]
    if not spaces:
        spaces = [{"name": n, "capacity": c} for n, c in DEFAULT_SPACES]
    if not slots:
        slots = [{"label": lb, "starts_at": s, "ends_at": e} for lb, s, e in DEFAULT_SLOTS]
    return spaces[:40], slots[:20]


@event.listens_for(Activity, "after_insert")
def _seed_grid(mapper: Mapper[Any], connection: Connection, target: Activity) -> None:
    """Every new open space starts with a grid the facilitator can change in its settings."""
    if target.kind != KIND_NAME:
        return
    spaces, slots = grid_template(target.config)
    connection.execute(
        Space.__table__.insert(),
        [
            {
                "activity_id": target.id,
                "name": str(s["name"])[:60],
                "capacity": _int(s.get("capacity"), 10),
                "position": i,
            }
            for i, s in enumerate(spaces)
        ],
    )
    connection.execute(
        Slot.__table__.insert(),
        [
            {
                "activity_id": target.id,
                "label": str(s["label"])[:60],
                "starts_at": str(s.get("starts_at", ""))[:20],
                "ends_at": str(s.get("ends_at", ""))[:20],
                "position": i,
            }
            for i, s in enumerate(slots)
        ],
    )


def _int(value: Any, default: int) -> int:
    try:
        return max(1, min(10000, int(value)))
    except (TypeError, ValueError):
        return default

"""Workshops, their activities, participants, and the record that keeps live clients in step."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.auth.models import Facilitator
from facilitator.db import TimestampMixin, utcnow
from facilitator.errors import DomainError
from facilitator.extensions import db


class WorkshopPhase(enum.StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    ENDED = "ended"


class ActivityPhase(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Visibility(enum.StrEnum):
    ANONYMOUS = "anonymous"
    NAMED = "named"
    NAMED_TO_FACILITATORS = "facilitators"


class WorkshopFacilitator(db.Model):
    __tablename__ = "workshop_facilitator"

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("facilitator.id", ondelete="CASCADE"), primary_key=True
    )
    is_owner: Mapped[bool] = mapped_column(default=False)

    facilitator: Mapped[Facilitator] = relationship()


class Workshop(TimestampMixin, db.Model):
    __tablename__ = "workshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[str] = mapped_column(String(10), default="")  # ISO date, optional
    code: Mapped[str] = mapped_column(String(6), index=True)
    phase: Mapped[str] = mapped_column(String(10), default=WorkshopPhase.DRAFT)
    seq: Mapped[int] = mapped_column(default=0)
    staged_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL", use_alter=True)
    )
    timer_ends_at: Mapped[datetime | None] = mapped_column()
    timer_remaining: Mapped[int | None] = mapped_column()  # seconds left while paused
    timer_label: Mapped[str] = mapped_column(String(80), default="")
    screen_language: Mapped[str] = mapped_column(String(16), default="", server_default="")

    activities: Mapped[list[Activity]] = relationship(
        back_populates="workshop",
        order_by="Activity.position",
        foreign_keys="Activity.workshop_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    memberships: Mapped[list[WorkshopFacilitator]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def code_grouped(self) -> str:
        return f"{self.code[:3]} {self.code[3:]}"

    @property
    def staged(self) -> Activity | None:
        if self.staged_activity_id is None:
            return None
        return db.session.get(Activity, self.staged_activity_id)

    def is_facilitated_by(self, facilitator: Any) -> bool:
        fid = getattr(facilitator, "id", None)
        return fid is not None and any(m.facilitator_id == fid for m in self.memberships)

    def require_not_ended(self) -> None:
        if self.phase == WorkshopPhase.ENDED:
            raise DomainError("workshop_ended", "This workshop has ended.")


class Activity(TimestampMixin, db.Model):
    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    phase: Mapped[str] = mapped_column(String(10), default=ActivityPhase.DRAFT)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.NAMED)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)

    workshop: Mapped[Workshop] = relationship(back_populates="activities", foreign_keys=[workshop_id])

    def require_phase(self, *phases: ActivityPhase) -> None:
        if self.phase not in phases:
            from flask_babel import gettext as _

            if self.phase == ActivityPhase.CLOSED:
                raise DomainError("activity_closed", _("This activity is closed."))
            raise DomainError("activity_not_open", _("This activity is not open yet."))


class Participant(TimestampMixin, db.Model):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    sector: Mapped[str] = mapped_column(String(80), default="")
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop: Mapped[Workshop] = relationship()

    @property
    def label(self) -> str:
        return self.display_name or f"Participant {self.id}"


class WorkshopEvent(db.Model):
    """Every broadcast, numbered per workshop, so a client that missed some can catch up exactly."""

    __tablename__ = "workshop_event"
    __table_args__ = (UniqueConstraint("workshop_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(60))
    audience: Mapped[str] = mapped_column(String(40))  # "all", "staff" or "participant:<id>"
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedCommand(db.Model):
    """Client-made command ids already carried out: a retried command changes nothing twice."""

    __tablename__ = "processed_command"
    __table_args__ = (UniqueConstraint("actor", "command_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(40))  # "p:<id>" or "f:<id>"
    command_id: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationEntry(db.Model):
    """The audit log of hides and restores: part of the workshop's record."""

    __tablename__ = "moderation_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    item_type: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(10))  # hide | restore
    reason: Mapped[str] = mapped_column(String(300), default="")
    item_text: Mapped[str] = mapped_column(Text, default="")
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("facilitator.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facilitator: Mapped[Facilitator | None] = relationship()
    activity: Mapped[Activity] = relationship()


class Presence(db.Model):
    """One row per open socket, so 'who is online' holds across workers and restarts."""

    __tablename__ = "presence"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    worker: Mapped[str] = mapped_column(String(80))
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)


class Throttle(db.Model):
    """Counts of attempts in a fixed window, keyed by what is being throttled (not by IP)."""

    __tablename__ = "throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column()
    count: Mapped[int] = mapped_column(default=0)



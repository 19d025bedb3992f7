from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.activities.base import ModeratedItem
from facilitator.db import TimestampMixin
from facilitator.extensions import db
from facilitator.workshops.models import Participant


class Stakeholder(ModeratedItem, TimestampMixin, db.Model):
    """A person, team, organisation or group on the map. ``x``/``y`` are in the unit square."""

    __tablename__ = "stakeholder_map_stakeholder"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    sector: Mapped[str] = mapped_column(String(80), default="")
    influence: Mapped[int | None] = mapped_column()
    interest: Mapped[int | None] = mapped_column()
    stance: Mapped[str] = mapped_column(String(20), default="")
    at_stake: Mapped[str] = mapped_column(Text, default="")
    loyalties: Mapped[str] = mapped_column(Text, default="")
    losses: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[str] = mapped_column(Text, default="")  # names merged into this one, one a line
    x: Mapped[float | None] = mapped_column()
    y: Mapped[float | None] = mapped_column()
    settled: Mapped[bool] = mapped_column(default=False)  # placed by a full layout (kept on a tidy-up)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    # The participant this stakeholder stands for ("put myself on the map"), if any.
    self_of_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))

    added_by: Mapped[Participant | None] = relationship(foreign_keys=[added_by_id])

    def moderation_text(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name


class Relationship(ModeratedItem, TimestampMixin, db.Model):
    """A tie between two stakeholders; ``is_needed`` marks one that is needed but missing today."""

    __tablename__ = "stakeholder_map_relationship"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("stakeholder_map_stakeholder.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("stakeholder_map_stakeholder.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40), default="")
    strength: Mapped[int] = mapped_column(default=2)
    directed: Mapped[bool] = mapped_column(default=False)
    is_needed: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(280), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))

    source: Mapped[Stakeholder] = relationship(foreign_keys=[source_id])
    target: Mapped[Stakeholder] = relationship(foreign_keys=[target_id])
    added_by: Mapped[Participant | None] = relationship(foreign_keys=[added_by_id])

    def moderation_text(self) -> str:
        arrow = "->" if self.directed else "--"
        return f"{self.source.name} {arrow} {self.target.name} ({self.kind})"

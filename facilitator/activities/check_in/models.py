from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.activities.base import ModeratedItem
from facilitator.db import TimestampMixin
from facilitator.extensions import db
from facilitator.workshops.models import Participant


class CheckInAnswer(ModeratedItem, TimestampMixin, db.Model):
    __tablename__ = "check_in_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(280))

    participant: Mapped[Participant] = relationship()

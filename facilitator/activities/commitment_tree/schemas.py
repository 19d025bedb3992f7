from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from facilitator.realtime.protocol import CommandIn

MAX_TEXT = 300
MAX_COMMITMENTS_EACH = 5
MAX_WHO = 8
MAX_WHO_LEN = 80
MAX_BRANCHES = 12
MAX_BRANCH_LABEL = 60
MAX_NOTE = 300

STATUSES = ("not_started", "in_progress", "stuck", "done", "dropped")

Who = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_WHO_LEN)]


class CommitmentFields(CommandIn):
    activity_id: int = Field(ge=1)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    by_when: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    with_whom: list[Who] = Field(default_factory=list, max_length=MAX_WHO)
    branch_id: int | None = Field(default=None, ge=1, le=10_000)


class PostIn(CommitmentFields):
    pass


class EditIn(CommitmentFields):
    commitment_id: int = Field(ge=1)


class WithdrawIn(CommandIn):
    activity_id: int = Field(ge=1)
    commitment_id: int = Field(ge=1)

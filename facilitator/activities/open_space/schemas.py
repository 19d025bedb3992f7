from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from facilitator.realtime.protocol import CommandIn

MAX_TITLE = 120
MAX_DESCRIPTION = 500
MAX_TOPICS_EACH = 5
MAX_NOTES = 4000
MAX_POINT = 300
MAX_POINTS = 12
MAX_PLACEMENTS = 500

MAX_PEOPLE = 200
MAX_CARRY = 12

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_POINT)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
ActionId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}-[0-9a-f]{12}$")]


class ActivityRef(CommandIn):
    activity_id: int = Field(ge=1)


class TopicRef(CommandIn):
    activity_id: int = Field(ge=1)
    topic_id: int = Field(ge=1)


class ProposeIn(CommandIn):
    activity_id: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class EditIn(CommandIn):
    activity_id: int = Field(ge=1)
    topic_id: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class InterestIn(CommandIn):
    activity_id: int = Field(ge=1)
    topic_id: int = Field(ge=1)
    interested: bool


class PlaceIn(CommandIn):
    activity_id: int = Field(ge=1)
    topic_id: int = Field(ge=1)
    slot_id: int = Field(ge=1)
    space_id: int = Field(ge=1)
    swap: bool = False  # if the cell is taken, swap the two topics instead of refusing


class PlacementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topic_id: int = Field(ge=1)
    slot_id: int = Field(ge=1)
    space_id: int = Field(ge=1)


class ApplyAgendaIn(CommandIn):
    activity_id: int = Field(ge=1)
    placements: list[PlacementIn] = Field(max_length=MAX_PLACEMENTS)
    clear_others: bool = True  # topics not named are taken off the wall


class SuggestIn(CommandIn):
    activity_id: int = Field(ge=1)
    keep_placed: bool = True  # keep the facilitator's placements as they are


class CurrentSlotIn(CommandIn):
    activity_id: int = Field(ge=1)
    slot_id: int | None = Field(default=None, ge=1)


class StageIn(CommandIn):
    activity_id: int = Field(ge=1)
    stage: Literal["marketplace", "agenda", "sessions", "reports", "convergence"]


class CheckInIn(CommandIn):
    activity_id: int = Field(ge=1)
    topic_id: int | None = Field(default=None, ge=1)  # None: leave the session you are in


class ReportIn(CommandIn):
    activity_id: int = Field(ge=1)
    topic_id: int = Field(ge=1)
    notes: str = Field(default="", max_length=MAX_NOTES)
    key_points: list[Line] = Field(default_factory=list, max_length=MAX_POINTS)
    proposed_actions: list[Line] = Field(default_factory=list, max_length=MAX_POINTS)
    took_part: list[Name] | None = Field(default=None, max_length=MAX_PEOPLE)  # None: from check-ins


class MergeIn(CommandIn):
    activity_id: int = Field(ge=1)
    topic_id: int = Field(ge=1)  # the duplicate, which goes away
    into_id: int = Field(ge=1)  # the topic that is kept


class VoteIn(CommandIn):
    activity_id: int = Field(ge=1)
    action_id: ActionId


class RevealIn(CommandIn):
    activity_id: int = Field(ge=1)
    revealed: bool


class ToTreeIn(CommandIn):
    activity_id: int = Field(ge=1)
    tree_activity_id: int = Field(ge=1)
    action_ids: list[ActionId] = Field(min_length=1, max_length=MAX_CARRY)

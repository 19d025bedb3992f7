from typing import Literal

from pydantic import Field

from facilitator.realtime.protocol import CommandIn

MAX_NAME = 120
MAX_ORG = 120
MAX_SECTOR = 80
MAX_KIND = 40
MAX_TEXT = 500
MAX_STAKEHOLDERS_EACH = 40
MAX_RELATIONSHIPS_EACH = 80
MAX_STAKEHOLDERS = 5000
MAX_WORKS_WITH = 12

Stance = Literal["", "champion", "supporter", "neutral", "sceptic", "opponent", "unknown"]
ColourBy = Literal["organisation", "sector", "community", "kind", "stance"]


class StakeholderFields(CommandIn):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    kind: str = Field(default="", max_length=MAX_KIND)
    organisation: str = Field(default="", max_length=MAX_ORG)
    sector: str = Field(default="", max_length=MAX_SECTOR)
    influence: int | None = Field(default=None, ge=1, le=5)
    interest: int | None = Field(default=None, ge=1, le=5)
    stance: Stance = ""
    at_stake: str = Field(default="", max_length=MAX_TEXT)
    loyalties: str = Field(default="", max_length=MAX_TEXT)
    losses: str = Field(default="", max_length=MAX_TEXT)


class StakeholderAddIn(StakeholderFields):
    activity_id: int = Field(ge=1)
    confirm_new: bool = False  # add even though similar names exist


class StakeholderEditIn(CommandIn):
    """Only the fields given are changed."""

    activity_id: int = Field(ge=1)
    stakeholder_id: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    kind: str | None = Field(default=None, max_length=MAX_KIND)
    organisation: str | None = Field(default=None, max_length=MAX_ORG)
    sector: str | None = Field(default=None, max_length=MAX_SECTOR)
    influence: int | None = Field(default=None, ge=0, le=5)  # 0 clears
    interest: int | None = Field(default=None, ge=0, le=5)
    stance: Stance | None = None
    at_stake: str | None = Field(default=None, max_length=MAX_TEXT)
    loyalties: str | None = Field(default=None, max_length=MAX_TEXT)
    losses: str | None = Field(default=None, max_length=MAX_TEXT)


class RelationshipAddIn(CommandIn):
    activity_id: int = Field(ge=1)
    source_id: int = Field(ge=1)
    target_id: int = Field(ge=1)
    kind: str = Field(default="", max_length=MAX_KIND)
    strength: int = Field(default=2, ge=1, le=3)
    directed: bool = False
    is_needed: bool = False
    note: str = Field(default="", max_length=280)


class RelationshipEditIn(CommandIn):
    activity_id: int = Field(ge=1)
    relationship_id: int = Field(ge=1)
    kind: str | None = Field(default=None, max_length=MAX_KIND)
    strength: int | None = Field(default=None, ge=1, le=3)
    directed: bool | None = None
    is_needed: bool | None = None
    note: str | None = Field(default=None, max_length=280)


class RelationshipRef(CommandIn):
    activity_id: int = Field(ge=1)
    relationship_id: int = Field(ge=1)


class JoinMapIn(CommandIn):
    """Put myself on the map: me as a person, tied to my organisation and to people I work with."""

    activity_id: int = Field(ge=1)
    organisation: str = Field(default="", max_length=MAX_ORG)
    sector: str = Field(default="", max_length=MAX_SECTOR)
    works_with: list[int] = Field(default_factory=list, max_length=MAX_WORKS_WITH)
    kind: str = Field(default="", max_length=MAX_KIND)  # relationship kind for the works_with ties


class MergeIn(CommandIn):
    activity_id: int = Field(ge=1)
    keep_id: int = Field(ge=1)
    merge_id: int = Field(ge=1)


class LockIn(CommandIn):
    activity_id: int = Field(ge=1)
    locked: bool


class ConfigIn(CommandIn):
    activity_id: int = Field(ge=1)
    allow_relationships: bool | None = None
    colour_by: ColourBy | None = None
    size_by: Literal["degree", "betweenness", "pagerank", "none"] | None = None
    ties_shown: Literal["today", "needed"] | None = None
    show_losses: bool | None = None
    view_mode: Literal["network", "grid"] | None = None


class ActivityRef(CommandIn):
    activity_id: int = Field(ge=1)


class RelayoutIn(CommandIn):
    activity_id: int = Field(ge=1)
    fresh: bool = False  # True: lay the whole map out again; False: keep settled positions

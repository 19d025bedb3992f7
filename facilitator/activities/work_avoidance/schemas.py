from typing import Annotated

from pydantic import Field, StrictBool, StrictInt

from facilitator.analysis.checklist import SCALE_MAX, SCALE_MIN
from facilitator.realtime.protocol import CommandIn

MAX_EXAMPLE = 500
FORM_KEY = r"^[a-z0-9_]{1,40}$"

FormKey = Annotated[str, Field(min_length=1, max_length=40, pattern=FORM_KEY)]


class RateIn(CommandIn):
    """Rate one form from 0 (not at all) to 4 (all the time); ``rating: null`` skips the form."""

    activity_id: int = Field(ge=1)
    form_key: FormKey
    rating: Annotated[StrictInt, Field(ge=SCALE_MIN, le=SCALE_MAX)] | None


class ExampleIn(CommandIn):
    """Give (or replace) an example for one form; an empty text removes it."""

    activity_id: int = Field(ge=1)
    form_key: FormKey
    text: str = Field(default="", max_length=MAX_EXAMPLE)


class PickIn(CommandIn):
    """The one or two forms the group most needs to tackle (an empty list clears the choice)."""

    activity_id: int = Field(ge=1)
    form_keys: list[FormKey] = Field(max_length=2)


class RevealIn(CommandIn):
    activity_id: int = Field(ge=1)
    revealed: StrictBool = True


class FlagIn(CommandIn):
    """"I think we are avoiding the work", with the form it looks like ("" = not sure)."""

    form_key: str = Field(default="", max_length=40, pattern=r"^[a-z0-9_]{0,40}$")

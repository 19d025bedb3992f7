from pydantic import Field

from facilitator.realtime.protocol import CommandIn

MAX_ANSWER = 280
MAX_ANSWERS_EACH = 3


class AnswerIn(CommandIn):
    activity_id: int = Field(ge=1)
    text: str = Field(min_length=1, max_length=MAX_ANSWER)


class WithdrawIn(CommandIn):
    activity_id: int = Field(ge=1)
    answer_id: int = Field(ge=1)

from __future__ import annotations

from typing import Any

from facilitator.activities.check_in import services
from facilitator.activities.check_in.schemas import AnswerIn, WithdrawIn
from facilitator.realtime.protocol import Actor, Role, command


def register() -> None:
    @command("checkin:answer", AnswerIn, roles={Role.PARTICIPANT})
    def on_checkin_answer(actor: Actor, data: AnswerIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind="check_in")
        answer = services.add_answer(activity, data.text, by=actor.participant())
        return {"id": answer.id}

    @command("checkin:withdraw", WithdrawIn, roles={Role.PARTICIPANT})
    def on_checkin_withdraw(actor: Actor, data: WithdrawIn) -> None:
        activity = actor.activity(data.activity_id, kind="check_in")
        services.withdraw_answer(activity, data.answer_id, by=actor.participant())

from __future__ import annotations

from typing import Any

from facilitator.activities.commitment_tree import services
from facilitator.activities.commitment_tree.schemas import EditIn, PostIn, WithdrawIn
from facilitator.realtime.protocol import Actor, Role, command

KIND = "commitment_tree"


def register() -> None:
    @command("commitment:post", PostIn, roles={Role.PARTICIPANT})
    def on_commitment_post(actor: Actor, data: PostIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        commitment, link = services.post_commitment(activity, data, by=actor.participant())
        from flask import url_for

        return {
            "id": commitment.id,
            "follow_up_url": services.follow_up_url(link),
            "follow_up_qr": url_for("commitment_tree.follow_up_qr", token=link.token),
        }

    @command("commitment:edit", EditIn, roles={Role.PARTICIPANT})
    def on_commitment_edit(actor: Actor, data: EditIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        commitment = services.edit_commitment(activity, data.commitment_id, data, by=actor.participant())
        return {"id": commitment.id}

    @command("commitment:withdraw", WithdrawIn, roles={Role.PARTICIPANT})
    def on_commitment_withdraw(actor: Actor, data: WithdrawIn) -> None:
        activity = actor.activity(data.activity_id, kind=KIND)
        services.withdraw_commitment(activity, data.commitment_id, by=actor.participant())

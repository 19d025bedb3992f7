from __future__ import annotations

from typing import Any

from facilitator.activities.work_avoidance import services
from facilitator.activities.work_avoidance.schemas import ExampleIn, RateIn
from facilitator.realtime.protocol import Actor, Role, command


def register() -> None:
    @command("wa:rate", RateIn, roles={Role.PARTICIPANT})
    def on_wa_rate(actor: Actor, data: RateIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind="work_avoidance")
        return services.rate_form(activity, data.form_key, data.rating, by=actor.participant())

    @command("wa:example", ExampleIn, roles={Role.PARTICIPANT})
    def on_wa_example(actor: Actor, data: ExampleIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind="work_avoidance")
        return services.set_example(activity, data.form_key, data.text, by=actor.participant())

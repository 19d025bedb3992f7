from __future__ import annotations

from typing import Any

from facilitator.activities.work_avoidance import services
from facilitator.activities.work_avoidance.schemas import ExampleIn, FlagIn, PickIn, RateIn, RevealIn
from facilitator.realtime.protocol import Actor, Empty, Role, command


def register() -> None:
    @command("wa:rate", RateIn, roles={Role.PARTICIPANT})
    def on_wa_rate(actor: Actor, data: RateIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind="work_avoidance")
        return services.rate_form(activity, data.form_key, data.rating, by=actor.participant())

    @command("wa:example", ExampleIn, roles={Role.PARTICIPANT})
    def on_wa_example(actor: Actor, data: ExampleIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind="work_avoidance")
        return services.set_example(activity, data.form_key, data.text, by=actor.participant())

    @command("wa:pick", PickIn, roles={Role.PARTICIPANT})
    def on_wa_pick(actor: Actor, data: PickIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind="work_avoidance")
        return services.set_picks(activity, list(data.form_keys), by=actor.participant())

    @command("wa:reveal", RevealIn, roles={Role.FACILITATOR})
    def on_wa_reveal(actor: Actor, data: RevealIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind="work_avoidance")
        return services.set_revealed(activity, data.revealed, by=actor.facilitator_id)

    @command("wa:flag", FlagIn, roles={Role.PARTICIPANT})
    def on_wa_flag(actor: Actor, data: FlagIn) -> dict[str, Any]:
        return services.raise_flag(actor.workshop(), data.form_key, by=actor.participant())

    @command("wa:flags", Empty, roles={Role.FACILITATOR})
    def on_wa_flags(actor: Actor, data: Empty) -> dict[str, Any]:
        return services.flag_timeline(actor.workshop())

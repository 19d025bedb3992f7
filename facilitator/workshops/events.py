"""Socket commands the facilitator's console sends. Thin: validate, authorise, call a service."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from facilitator.auth.models import Facilitator
from facilitator.extensions import db
from facilitator.i18n import translate_builtin
from facilitator.realtime.protocol import Actor, CommandIn, Empty, Role, command
from facilitator.workshops import services
from facilitator.workshops.models import ActivityPhase

STAFF_ONLY = {Role.FACILITATOR}


def _by(actor: Actor) -> Facilitator | None:
    return db.session.get(Facilitator, actor.facilitator_id) if actor.facilitator_id else None


class StageIn(CommandIn):
    activity_id: int | None = Field(default=None, ge=1)


class ActivityRef(CommandIn):
    activity_id: int = Field(ge=1)


class TimerStartIn(CommandIn):
    seconds: int = Field(ge=5, le=4 * 3600)
    label: str = Field(default="", max_length=80)


class TimerAddIn(CommandIn):
    seconds: int = Field(ge=-3600, le=3600)


class HideIn(CommandIn):
    activity_id: int = Field(ge=1)
    item_type: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    item_id: int = Field(ge=1)
    reason: str = Field(default="", max_length=300)


class PhaseIn(CommandIn):
    activity_id: int = Field(ge=1)
    phase: Literal["open", "closed"]


def register() -> None:
    @command("activity:state", ActivityRef, roles=set(Role), read_only=True)
    def on_activity_state(actor: Actor, data: ActivityRef) -> dict[str, Any] | None:
        """The on-stage activity as this actor sees it (facilitators may look at any activity)."""
        from facilitator.activities import get_kind

        activity = actor.activity(data.activity_id)
        workshop = actor.workshop()
        if actor.role != Role.FACILITATOR and workshop.staged_activity_id != activity.id:
            return None
        kind = get_kind(activity.kind)
        return {
            **services.activity_public(activity),
            "title": translate_builtin(activity.title),  # a default title (a kind's name) in their words
            "state": kind.snapshot(activity, actor),
            "hidden_count": kind.hidden_count(activity),
        }

    @command("activity:stage", StageIn, roles=STAFF_ONLY)
    def on_activity_stage(actor: Actor, data: StageIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id) if data.activity_id else None
        services.stage_activity(actor.workshop(), activity, by=_by(actor))
        return {"staged": data.activity_id}

    @command("activity:set_phase", PhaseIn, roles=STAFF_ONLY)
    def on_activity_set_phase(actor: Actor, data: PhaseIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id)
        services.set_activity_phase(activity, ActivityPhase(data.phase), by=_by(actor))
        return {"phase": data.phase}

    @command("timer:start", TimerStartIn, roles=STAFF_ONLY)
    def on_timer_start(actor: Actor, data: TimerStartIn) -> None:
        services.timer_start(actor.workshop(), data.seconds, data.label, by=_by(actor))

    @command("timer:add", TimerAddIn, roles=STAFF_ONLY)
    def on_timer_add(actor: Actor, data: TimerAddIn) -> None:
        services.timer_add(actor.workshop(), data.seconds, by=_by(actor))

    @command("timer:pause", Empty, roles=STAFF_ONLY)
    def on_timer_pause(actor: Actor, data: Empty) -> None:
        services.timer_pause(actor.workshop(), by=_by(actor))

    @command("timer:resume", Empty, roles=STAFF_ONLY)
    def on_timer_resume(actor: Actor, data: Empty) -> None:
        services.timer_resume(actor.workshop(), by=_by(actor))

    @command("timer:stop", Empty, roles=STAFF_ONLY)
    def on_timer_stop(actor: Actor, data: Empty) -> None:
        services.timer_stop(actor.workshop(), by=_by(actor))

    @command("item:hide", HideIn, roles=STAFF_ONLY)
    def on_item_hide(actor: Actor, data: HideIn) -> None:
        services.set_item_hidden(
            actor.activity(data.activity_id), data.item_type, data.item_id, True, data.reason, by=_by(actor)
        )

    @command("item:restore", HideIn, roles=STAFF_ONLY)
    def on_item_restore(actor: Actor, data: HideIn) -> None:
        services.set_item_hidden(
            actor.activity(data.activity_id), data.item_type, data.item_id, False, data.reason, by=_by(actor)
        )

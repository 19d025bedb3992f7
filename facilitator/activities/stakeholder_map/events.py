from __future__ import annotations

from typing import Any

from facilitator.activities.stakeholder_map import services
from facilitator.activities.stakeholder_map.schemas import (
    ActivityRef,
    ConfigIn,
    JoinMapIn,
    LockIn,
    MergeIn,
    RelationshipAddIn,
    RelationshipEditIn,
    RelationshipRef,
    RelayoutIn,
    StakeholderAddIn,
    StakeholderEditIn,
)
from facilitator.realtime.protocol import Actor, Role, command
from facilitator.workshops.models import Activity, Participant

KIND = "stakeholder_map"
EVERYONE_WHO_EDITS = {Role.PARTICIPANT, Role.FACILITATOR}
STAFF = {Role.FACILITATOR}
STAFF_AND_SCREEN = {Role.FACILITATOR, Role.SCREEN}


def _who(actor: Actor) -> Participant | None:
    """The participant acting, or None for a facilitator (who may change anything)."""
    return actor.participant() if actor.role == Role.PARTICIPANT else None


def _map(actor: Actor, activity_id: int) -> Activity:
    return actor.activity(activity_id, kind=KIND)


def register() -> None:
    @command("stakeholder:add", StakeholderAddIn, roles=EVERYONE_WHO_EDITS)
    def on_stakeholder_add(actor: Actor, data: StakeholderAddIn) -> dict[str, Any]:
        return services.add_stakeholder(_map(actor, data.activity_id), data, by=_who(actor))

    @command("stakeholder:edit", StakeholderEditIn, roles=EVERYONE_WHO_EDITS)
    def on_stakeholder_edit(actor: Actor, data: StakeholderEditIn) -> dict[str, Any]:
        s = services.edit_stakeholder(_map(actor, data.activity_id), data, by=_who(actor))
        return {"id": s.id}

    @command("relationship:add", RelationshipAddIn, roles=EVERYONE_WHO_EDITS)
    def on_relationship_add(actor: Actor, data: RelationshipAddIn) -> dict[str, Any]:
        r = services.add_relationship(_map(actor, data.activity_id), data, by=_who(actor))
        return {"id": r.id}

    @command("relationship:edit", RelationshipEditIn, roles=EVERYONE_WHO_EDITS)
    def on_relationship_edit(actor: Actor, data: RelationshipEditIn) -> dict[str, Any]:
        r = services.edit_relationship(_map(actor, data.activity_id), data, by=_who(actor))
        return {"id": r.id}

    @command("relationship:remove", RelationshipRef, roles=EVERYONE_WHO_EDITS)
    def on_relationship_remove(actor: Actor, data: RelationshipRef) -> None:
        services.remove_relationship(_map(actor, data.activity_id), data.relationship_id, by=_who(actor))

    @command("map:join", JoinMapIn, roles={Role.PARTICIPANT})
    def on_map_join(actor: Actor, data: JoinMapIn) -> dict[str, Any]:
        return services.join_map(_map(actor, data.activity_id), data, by=actor.participant())

    @command("map:merge", MergeIn, roles=STAFF)
    def on_map_merge(actor: Actor, data: MergeIn) -> dict[str, Any]:
        return services.merge_stakeholders(_map(actor, data.activity_id), data.keep_id, data.merge_id)

    @command("map:lock", LockIn, roles=STAFF)
    def on_map_lock(actor: Actor, data: LockIn) -> dict[str, Any]:
        return {"locked": services.lock_map(_map(actor, data.activity_id), data.locked)["locked"]}

    @command("map:configure", ConfigIn, roles=STAFF)
    def on_map_configure(actor: Actor, data: ConfigIn) -> dict[str, Any]:
        config = services.set_config(
            _map(actor, data.activity_id),
            allow_relationships=data.allow_relationships,
            colour_by=data.colour_by,
            size_by=data.size_by,
            ties_shown=data.ties_shown,
            show_losses=data.show_losses,
            view_mode=data.view_mode,
        )
        return {"config": config}

    @command("map:analyse", ActivityRef, roles=STAFF_AND_SCREEN)
    def on_map_analyse(actor: Actor, data: ActivityRef) -> dict[str, Any]:
        return services.request_analysis(_map(actor, data.activity_id))

    @command("map:relayout", RelayoutIn, roles=STAFF)
    def on_map_relayout(actor: Actor, data: RelayoutIn) -> dict[str, Any]:
        return services.request_relayout(_map(actor, data.activity_id), data.fresh)

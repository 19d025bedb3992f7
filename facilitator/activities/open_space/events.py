from __future__ import annotations

from typing import Any

from facilitator.activities.open_space import convergence, services
from facilitator.activities.open_space.schemas import (
    ActivityRef,
    ApplyAgendaIn,
    CheckInIn,
    CurrentSlotIn,
    EditIn,
    InterestIn,
    MergeIn,
    PlaceIn,
    ProposeIn,
    ReportIn,
    RevealIn,
    StageIn,
    SuggestIn,
    TopicRef,
    ToTreeIn,
    VoteIn,
)
from facilitator.realtime.protocol import Actor, Role, command

KIND = "open_space"
STAFF_ONLY = {Role.FACILITATOR}
EVERYONE_WHO_WRITES = {Role.PARTICIPANT, Role.FACILITATOR}


def register() -> None:
    # Marketplace (phones)
    @command("topic:propose", ProposeIn, roles={Role.PARTICIPANT})
    def on_topic_propose(actor: Actor, data: ProposeIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        topic = services.propose_topic(activity, data.title, data.description, by=actor.participant())
        return {"id": topic.id}

    @command("topic:edit", EditIn, roles=EVERYONE_WHO_WRITES)
    def on_topic_edit(actor: Actor, data: EditIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        by = actor.participant() if actor.role == Role.PARTICIPANT else None
        topic = services.edit_topic(activity, data.topic_id, data.title, data.description, by=by)
        return {"id": topic.id}

    @command("topic:interest", InterestIn, roles={Role.PARTICIPANT})
    def on_topic_interest(actor: Actor, data: InterestIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        count = services.set_interest(activity, data.topic_id, data.interested, by=actor.participant())
        return {"topic_id": data.topic_id, "interested": data.interested, "interest_count": count}

    # Agenda wall (facilitator)
    @command("topic:place", PlaceIn, roles=STAFF_ONLY)
    def on_topic_place(actor: Actor, data: PlaceIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        changed = services.place_topic(activity, data.topic_id, data.slot_id, data.space_id, swap=data.swap)
        return {
            "placements": [{"topic_id": t.id, "slot_id": t.slot_id, "space_id": t.space_id} for t in changed]
        }

    @command("topic:unplace", TopicRef, roles=STAFF_ONLY)
    def on_topic_unplace(actor: Actor, data: TopicRef) -> None:
        services.unplace_topic(actor.activity(data.activity_id, kind=KIND), data.topic_id)

    @command("openspace:suggest", SuggestIn, roles=STAFF_ONLY)
    def on_suggest(actor: Actor, data: SuggestIn) -> dict[str, Any]:
        return services.suggest_agenda(
            actor.activity(data.activity_id, kind=KIND), keep_placed=data.keep_placed
        )

    @command("openspace:apply_agenda", ApplyAgendaIn, roles=STAFF_ONLY)
    def on_apply_agenda(actor: Actor, data: ApplyAgendaIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        placed = services.apply_agenda(
            activity,
            [(p.topic_id, p.slot_id, p.space_id) for p in data.placements],
            clear_others=data.clear_others,
        )
        return {"placed": placed}

    @command("openspace:clashes", ActivityRef, roles=STAFF_ONLY)
    def on_clashes(actor: Actor, data: ActivityRef) -> dict[str, Any]:
        return {"clashes": services.current_clashes(actor.activity(data.activity_id, kind=KIND))}

    @command("openspace:set_current_slot", CurrentSlotIn, roles=STAFF_ONLY)
    def on_set_current_slot(actor: Actor, data: CurrentSlotIn) -> dict[str, Any]:
        services.set_current_slot(actor.activity(data.activity_id, kind=KIND), data.slot_id)
        return {"current_slot_id": data.slot_id}

    @command("openspace:set_stage", StageIn, roles=STAFF_ONLY)
    def on_set_stage(actor: Actor, data: StageIn) -> dict[str, Any]:
        services.set_stage(actor.activity(data.activity_id, kind=KIND), data.stage)
        return {"stage": data.stage}

    # The law of two feet (phones)
    @command("openspace:check_in", CheckInIn, roles={Role.PARTICIPANT})
    def on_check_in(actor: Actor, data: CheckInIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        return {"topic_id": services.check_in(activity, data.topic_id, by=actor.participant())}

    # Reports (convener, anyone who was there, or a facilitator)
    @command("openspace:report", ReportIn, roles=EVERYONE_WHO_WRITES)
    def on_report(actor: Actor, data: ReportIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        by = actor.participant() if actor.role == Role.PARTICIPANT else None
        report = services.save_report(
            activity,
            data.topic_id,
            data.notes,
            list(data.key_points),
            list(data.proposed_actions),
            by=by,
            took_part=list(data.took_part) if data.took_part is not None else None,
        )
        return {"topic_id": report.topic_id, "updated_at": report.updated_at.isoformat()}

    @command("openspace:report_draft", TopicRef, roles=EVERYONE_WHO_WRITES)
    def on_report_draft(actor: Actor, data: TopicRef) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        by = actor.participant() if actor.role == Role.PARTICIPANT else None
        return services.report_draft(activity, data.topic_id, by=by)

    # Merging duplicates (facilitator)
    @command("topic:merge", MergeIn, roles=STAFF_ONLY)
    def on_topic_merge(actor: Actor, data: MergeIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        return {"id": services.merge_topics(activity, data.topic_id, data.into_id).id}

    # Convergence: dot votes on proposed actions
    @command("action:vote", VoteIn, roles={Role.PARTICIPANT})
    def on_action_vote(actor: Actor, data: VoteIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        mine = convergence.cast_vote(activity, data.action_id, by=actor.participant())
        return {"votes": mine, "left": convergence.votes_each(activity) - len(mine)}

    @command("action:unvote", VoteIn, roles={Role.PARTICIPANT})
    def on_action_unvote(actor: Actor, data: VoteIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        mine = convergence.withdraw_vote(activity, data.action_id, by=actor.participant())
        return {"votes": mine, "left": convergence.votes_each(activity) - len(mine)}

    @command("openspace:reveal", RevealIn, roles=STAFF_ONLY)
    def on_reveal(actor: Actor, data: RevealIn) -> dict[str, Any]:
        convergence.reveal_ranking(actor.activity(data.activity_id, kind=KIND), data.revealed)
        return {"revealed": data.revealed}

    @command("openspace:to_tree", ToTreeIn, roles=STAFF_ONLY)
    def on_to_tree(actor: Actor, data: ToTreeIn) -> dict[str, Any]:
        activity = actor.activity(data.activity_id, kind=KIND)
        tree = actor.activity(data.tree_activity_id, kind="commitment_tree")
        return {"added": convergence.carry_to_tree(activity, list(data.action_ids), tree)}

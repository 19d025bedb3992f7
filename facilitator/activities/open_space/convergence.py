"""Convergence: everyone dot-votes on the actions proposed in all the session reports; the facilitator
reveals the ranking and can carry the top actions into a commitment tree as branches."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from facilitator.activities.open_space.models import Report, Topic, Vote
from facilitator.errors import DomainError, NotFound
from facilitator.extensions import db
from facilitator.realtime.publish import ALL, STAFF, Coalescer, announce, emit_now, room_for
from facilitator.workshops.models import Activity, ActivityPhase, Participant

DEFAULT_VOTES_EACH = 3
MAX_VOTES_EACH = 10


def action_key(text: str) -> str:
    """A stable key for an action line: the same words (ignoring case and spacing) give the same key."""
    normal = " ".join(text.split()).casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:12]


def action_id(topic_id: int, text: str) -> str:
    return f"{topic_id}-{action_key(text)}"


def votes_each(activity: Activity) -> int:
    try:
        n = int((activity.config or {}).get("votes_each", DEFAULT_VOTES_EACH))
    except (TypeError, ValueError):
        n = DEFAULT_VOTES_EACH
    return max(1, min(MAX_VOTES_EACH, n))


def is_revealed(activity: Activity) -> bool:
    return bool((activity.config or {}).get("ranking_revealed"))


def actions_of(activity: Activity, ordered_topics: list[Topic]) -> list[dict[str, Any]]:
    """Every proposed action of the visible topics' reports, in agenda order, each once."""
    reports = {
        r.topic_id: r for r in db.session.scalars(select(Report).where(Report.activity_id == activity.id))
    }
    out: list[dict[str, Any]] = []
    for topic in ordered_topics:
        report = reports.get(topic.id)
        if topic.is_hidden or report is None:
            continue
        seen: set[str] = set()
        for text in report.proposed_actions or []:
            key = action_key(str(text))
            if not str(text).strip() or key in seen:
                continue
            seen.add(key)
            out.append(
                {"id": f"{topic.id}-{key}", "topic_id": topic.id, "topic": topic.title, "text": str(text)}
            )
    return out


def _tally(activity: Activity) -> Counter[str]:
    rows = db.session.execute(
        select(Vote.topic_id, Vote.action_key, func.count())
        .where(Vote.activity_id == activity.id)
        .group_by(Vote.topic_id, Vote.action_key)
    ).all()
    return Counter({f"{tid}-{key}": n for tid, key, n in rows})


def ranking(activity: Activity, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Actions with their votes, most first (ties keep agenda order)."""
    tally = _tally(activity)
    ranked = [{**a, "votes": tally.get(a["id"], 0)} for a in actions]
    ranked.sort(key=lambda a: -a["votes"])
    return ranked


def totals(activity: Activity) -> dict[str, int]:
    votes = db.session.scalar(select(func.count()).where(Vote.activity_id == activity.id)) or 0
    voters = (
        db.session.scalar(
            select(func.count(func.distinct(Vote.participant_id))).where(Vote.activity_id == activity.id)
        )
        or 0
    )
    return {"votes_cast": votes, "voters": voters}


def my_votes(activity: Activity, participant_id: int) -> list[str]:
    rows = db.session.execute(
        select(Vote.topic_id, Vote.action_key).where(
            Vote.activity_id == activity.id, Vote.participant_id == participant_id
        )
    ).all()
    return sorted(f"{tid}-{key}" for tid, key in rows)


def _parse(activity: Activity, action: str) -> tuple[Topic, str]:
    topic_part, _sep, key = action.partition("-")
    topic = db.session.get(Topic, int(topic_part)) if topic_part.isdigit() else None
    if topic is None or topic.activity_id != activity.id or topic.is_hidden:
        raise NotFound(_("That action could not be found."))
    report = db.session.scalars(select(Report).where(Report.topic_id == topic.id)).first()
    if report is None or key not in {action_key(str(a)) for a in report.proposed_actions or []}:
        raise NotFound(_("That action could not be found."))
    return topic, key


def _require_voting(activity: Activity) -> None:
    from facilitator.activities.open_space.services import stage_of

    activity.require_phase(ActivityPhase.OPEN)
    if stage_of(activity) != "convergence":
        raise DomainError("not_voting", _("Voting has not started yet."))


def cast_vote(activity: Activity, action: str, *, by: Participant) -> list[str]:
    """One dot on one action: at most ``votes_each`` dots, never two on the same action."""
    _require_voting(activity)
    topic, key = _parse(activity, action)
    mine = my_votes(activity, by.id)
    if f"{topic.id}-{key}" in mine:
        raise DomainError("already_voted", _("You have already voted for this action."))
    limit = votes_each(activity)
    if len(mine) >= limit:
        raise DomainError("no_votes_left", _("You have used all %(n)d of your votes.", n=limit))
    db.session.add(Vote(activity_id=activity.id, participant_id=by.id, topic_id=topic.id, action_key=key))
    db.session.flush()
    mine = my_votes(activity, by.id)
    announce(
        activity.workshop_id,
        "openspace:my_votes",
        {"activity_id": activity.id, "votes": mine},
        audience=f"p:{by.id}",
    )
    db.session.commit()
    ranking_push.poke(activity.id)
    return mine


def withdraw_vote(activity: Activity, action: str, *, by: Participant) -> list[str]:
    _require_voting(activity)
    topic_part, _sep, key = action.partition("-")
    if not topic_part.isdigit():
        raise NotFound(_("That action could not be found."))
    gone = db.session.execute(
        delete(Vote).where(
            Vote.activity_id == activity.id,
            Vote.participant_id == by.id,
            Vote.topic_id == int(topic_part),
            Vote.action_key == key,
        )
    ).rowcount
    mine = my_votes(activity, by.id)
    if gone:
        announce(
            activity.workshop_id,
            "openspace:my_votes",
            {"activity_id": activity.id, "votes": mine},
            audience=f"p:{by.id}",
        )
    db.session.commit()
    ranking_push.poke(activity.id)
    return mine


def prune_votes(activity: Activity, topic_id: int, actions: list[str]) -> None:
    """Votes on actions no longer in a report go back to their voters (called inside a transaction)."""
    keep = {action_key(a) for a in actions}
    for vote in db.session.scalars(select(Vote).where(Vote.topic_id == topic_id)):
        if vote.action_key not in keep:
            db.session.delete(vote)


def _push_ranking(activity_id: int) -> None:
    """Coalesced: facilitators always see the live tally; everyone else only once it is revealed."""
    from facilitator.activities.open_space.services import ordered_topics

    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return
    actions = actions_of(activity, ordered_topics(activity))
    full = {"activity_id": activity_id, **totals(activity), "ranking": ranking(activity, actions)}
    if is_revealed(activity):
        emit_now("openspace:ranking", {**full, "revealed": True}, room_for(activity.workshop_id, ALL))
    else:
        emit_now("openspace:ranking", {**full, "revealed": False}, room_for(activity.workshop_id, STAFF))
        emit_now(
            "openspace:ranking",
            {"activity_id": activity_id, **totals(activity), "revealed": False},
            room_for(activity.workshop_id, ALL),
        )


ranking_push = Coalescer(_push_ranking, interval=0.25)


def reveal_ranking(activity: Activity, revealed: bool) -> None:
    from facilitator.activities.open_space.services import ordered_topics

    activity.config = {**(activity.config or {}), "ranking_revealed": bool(revealed)}
    actions = actions_of(activity, ordered_topics(activity))
    payload: dict[str, Any] = {"activity_id": activity.id, "revealed": bool(revealed), **totals(activity)}
    if revealed:
        payload["ranking"] = ranking(activity, actions)
    announce(activity.workshop_id, "openspace:revealed", payload)
    db.session.commit()


def carry_to_tree(activity: Activity, action_ids: list[str], tree: Activity) -> list[str]:
    """Add the chosen actions to a commitment tree of the same workshop as branches (existing branches
    and labels already there are kept; the tree's own settings function does the work)."""
    from facilitator.activities.commitment_tree import services as tree_services
    from facilitator.workshops.services import activity_public

    if tree.workshop_id != activity.workshop_id or tree.kind != "commitment_tree":
        raise NotFound(_("That commitment tree could not be found."))
    labels = []
    for action in action_ids:
        topic, key = _parse(activity, action)
        report = db.session.scalars(select(Report).where(Report.topic_id == topic.id)).first()
        assert report is not None
        text = next(str(a) for a in report.proposed_actions if action_key(str(a)) == key)
        labels.append(" ".join(text.split()))
    if not labels:
        raise DomainError("invalid", _("Choose at least one action."))
    before = {b["label"].casefold() for b in tree_services.branches(tree)}
    show = (tree.config or {}).get("show_names", True)
    tree_services.apply_settings(tree, {"new_branches": "\n".join(labels), "show_names": "1" if show else ""})
    added = [b["label"] for b in tree_services.branches(tree) if b["label"].casefold() not in before]
    announce(tree.workshop_id, "activity:updated", activity_public(tree))
    db.session.commit()
    return added

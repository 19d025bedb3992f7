"""Hand the ties the room promised to the stakeholder map of the same workshop.

Only the stakeholder map's public services are used, as a facilitator would (``by=None``): each
commitment that names someone becomes a relationship of kind "committed to work with" from its author
(or, in an anonymous tree, the author's organisation) to the party named. Running it twice adds nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from facilitator.activities.commitment_tree import followup, services
from facilitator.analysis import commitments as analysis
from facilitator.analysis.network import normalise_name
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.workshops.models import Activity, Visibility

TIE_KIND = "committed to work with"


def _find(stakeholder_map: Activity, name: str) -> int | None:
    from facilitator.activities.stakeholder_map.models import Stakeholder

    key = normalise_name(name)
    for s in db.session.scalars(
        select(Stakeholder).where(Stakeholder.activity_id == stakeholder_map.id).order_by(Stakeholder.id)
    ):
        if s.is_hidden:
            continue
        if normalise_name(s.name) == key or key in {normalise_name(a) for a in s.aliases.splitlines() if a}:
            return s.id
    return None


def _kind(config: dict[str, Any], wanted: str) -> str:
    return next((k for k in config["stakeholder_kinds"] if k.casefold() == wanted), "")


def _ensure(stakeholder_map: Activity, name: str, kind: str, organisation: str) -> int:
    from facilitator.activities.stakeholder_map import services as sm
    from facilitator.activities.stakeholder_map.schemas import MAX_NAME, MAX_ORG, StakeholderAddIn

    found = _find(stakeholder_map, name)
    if found is not None:
        return found
    data = StakeholderAddIn(
        activity_id=stakeholder_map.id,
        name=name[:MAX_NAME],
        kind=_kind(sm.config_of(stakeholder_map), kind),
        organisation=organisation[:MAX_ORG],
        confirm_new=True,
    )
    return int(sm.add_stakeholder(stakeholder_map, data, by=None)["id"])


def hand_over(activity: Activity) -> dict[str, int]:
    """Add the promised ties to the stakeholder map; returns counts of added / already there / skipped."""
    from facilitator.activities.stakeholder_map import services as sm
    from facilitator.activities.stakeholder_map.schemas import RelationshipAddIn

    stakeholder_map, _pairs = followup.map_pairs(activity)
    if stakeholder_map is None:
        raise DomainError("no_map", "There is no stakeholder map in this workshop.", 404)
    config = sm.config_of(stakeholder_map)
    if not any(k.casefold() == TIE_KIND for k in config["relationship_kinds"]):
        sm.set_config(stakeholder_map, relationship_kinds=[*config["relationship_kinds"], TIE_KIND])
    named = activity.visibility == Visibility.NAMED
    people, organisations = followup.room(activity)
    commitments = [c for c in services._all(activity) if not c.is_hidden]
    result = {"added": 0, "already": 0, "skipped": 0}
    for c in commitments:
        author_org = " ".join(c.participant.organisation.split())
        for name in c.with_whom or []:
            party = analysis.resolve_counterpart(name, people, organisations)
            if party is None:
                continue
            if named:
                source = _ensure(stakeholder_map, c.participant.label, "person", author_org)
            elif author_org:
                source = _ensure(stakeholder_map, author_org, "organisation", author_org)
            else:
                result["skipped"] += 1  # an anonymous author with no organisation: nobody to draw
                continue
            kind = "person" if party.kind == "person" else "organisation"
            target = _ensure(stakeholder_map, party.label, kind, party.organisation)
            if source == target:
                result["skipped"] += 1
                continue
            data = RelationshipAddIn(
                activity_id=stakeholder_map.id,
                source_id=source,
                target_id=target,
                kind=TIE_KIND,
                directed=True,
                note=" ".join(c.text.split())[:280],
            )
            try:
                sm.add_relationship(stakeholder_map, data, by=None)
            except DomainError as err:
                db.session.rollback()
                if err.code != "already_exists":
                    raise
                result["already"] += 1
            else:
                result["added"] += 1
    return result

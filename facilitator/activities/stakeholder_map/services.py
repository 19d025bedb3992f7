"""Stakeholder map: named operations on stakeholders and relationships, snapshots and analysis.

Rules: participants act only while the activity is open and the map is not locked, and change only
what they added themselves; facilitators (``by=None``) may change anything at any time. Hidden
stakeholders (and every relationship touching one) are never sent to phones or the screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import get_translations
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
from facilitator.activities.stakeholder_map.schemas import (
    MAX_KIND,
    MAX_ORG,
    MAX_RELATIONSHIPS_EACH,
    MAX_STAKEHOLDERS,
    MAX_STAKEHOLDERS_EACH,
    MAX_TEXT,
)
from facilitator.analysis import network
from facilitator.errors import DomainError, Forbidden, NotFound
from facilitator.extensions import db, socketio
from facilitator.i18n import N_
from facilitator.realtime.offload import run_cpu
from facilitator.realtime.publish import ALL, STAFF, Coalescer, announce
from facilitator.workshops.models import Activity, ActivityPhase, Participant, Visibility

if TYPE_CHECKING:
    from facilitator.realtime.protocol import Actor

log = logging.getLogger(__name__)

# Built-in kinds are stored in English (they are also the values phones send back) and shown in the
# reader's language (translate_builtin here, the same messages in static/js/kinds/stakeholder_map.js).
DEFAULT_STAKEHOLDER_KINDS = [N_("person"), N_("team"), N_("organisation"), N_("group")]
DEFAULT_RELATIONSHIP_KINDS = [
    N_("collaborates"), N_("commissions"), N_("funds"), N_("reports to"), N_("informal"), N_("in tension"),
]
MEMBERSHIP_KIND = N_("member of")  # the tie "put myself on the map" draws from a person to their organisation
MAX_KINDS = 20
INLINE_ANALYSIS_LIMIT = 300  # above this many stakeholders, analysis runs in a background task
SNAPSHOT_ANALYSIS_LIMIT = 300


def default_config() -> dict[str, Any]:
    return {
        "stakeholder_kinds": list(DEFAULT_STAKEHOLDER_KINDS),
        "relationship_kinds": list(DEFAULT_RELATIONSHIP_KINDS),
        "allow_relationships": True,
        "locked": False,
        "colour_by": "organisation",
        "size_by": "degree",
        "ties_shown": "today",  # "today": today's network; "needed": today's beside the needed ties
        "show_losses": False,  # highlight who bears the losses of change
        "view_mode": "network",  # "network" or "grid" (power/interest)
    }


def config_of(activity: Activity) -> dict[str, Any]:
    return {**default_config(), **(activity.config or {})}


def set_config(activity: Activity, **changes: Any) -> dict[str, Any]:
    """Change config keys (a new dict, so the JSON column notices) and tell every client."""
    config = {**config_of(activity), **{k: v for k, v in changes.items() if v is not None}}
    activity.config = config
    db.session.flush()
    announce(activity.workshop_id, "map:configured", {"activity_id": activity.id, "config": config})
    db.session.commit()
    return config


def parse_kinds(raw: str, fallback: list[str]) -> list[str]:
    """Kinds from a textarea (one per line or comma separated): trimmed, de-duplicated, bounded."""
    seen: dict[str, str] = {}
    for part in raw.replace(",", "\n").splitlines():
        word = " ".join(part.split())
        if not word:
            continue
        if len(word) > MAX_KIND:
            raise DomainError("invalid", _("Each kind can have at most %(n)d characters.", n=MAX_KIND))
        seen.setdefault(word.casefold(), word)
    kinds = list(seen.values())
    if len(kinds) > MAX_KINDS:
        raise DomainError("invalid", _("Offer at most %(n)d kinds.", n=MAX_KINDS))
    return kinds or list(fallback)


def apply_settings(activity: Activity, form: Any) -> None:
    """From the activity settings page (request.form); committed by the caller."""
    config = config_of(activity)
    config["stakeholder_kinds"] = parse_kinds(form.get("stakeholder_kinds", ""), DEFAULT_STAKEHOLDER_KINDS)
    config["relationship_kinds"] = parse_kinds(form.get("relationship_kinds", ""), DEFAULT_RELATIONSHIP_KINDS)
    config["allow_relationships"] = form.get("allow_relationships") in ("on", "1", "true", "y")
    config["locked"] = form.get("locked") in ("on", "1", "true", "y")
    if form.get("colour_by") in ("organisation", "sector", "community", "kind", "stance"):
        config["colour_by"] = form.get("colour_by")
    if form.get("size_by") in ("degree", "betweenness", "pagerank", "none"):
        config["size_by"] = form.get("size_by")
    if form.get("ties_shown") in ("today", "needed"):
        config["ties_shown"] = form.get("ties_shown")
    config["show_losses"] = form.get("show_losses") in ("on", "1", "true", "y")
    activity.config = config


# Shapes -------------------------------------------------------------------------------------------


def _author(item: Stakeholder | Relationship, activity: Activity, *, staff: bool) -> str | None:
    if item.added_by is None:
        return None
    if activity.visibility == Visibility.NAMED or (
        staff and activity.visibility == Visibility.NAMED_TO_FACILITATORS
    ):
        return item.added_by.label
    return None


def stakeholder_view(s: Stakeholder, activity: Activity, *, staff: bool) -> dict[str, Any]:
    data = {
        "id": s.id,
        "name": s.name,
        "kind": s.kind,
        "organisation": s.organisation,
        "sector": s.sector,
        "influence": s.influence,
        "interest": s.interest,
        "stance": s.stance,
        "at_stake": s.at_stake,
        "loyalties": s.loyalties,
        "losses": s.losses,
        "aliases": [a for a in s.aliases.splitlines() if a],
        "x": s.x,
        "y": s.y,
        "is_self": s.self_of_id is not None,
        "author": _author(s, activity, staff=staff),
    }
    if staff:
        data["is_hidden"] = s.is_hidden
    return data


def relationship_view(r: Relationship, activity: Activity, *, staff: bool) -> dict[str, Any]:
    data = {
        "id": r.id,
        "source": r.source_id,
        "target": r.target_id,
        "kind": r.kind,
        "strength": r.strength,
        "directed": r.directed,
        "is_needed": r.is_needed,
        "note": r.note,
        "author": _author(r, activity, staff=staff),
    }
    if staff:
        data["is_hidden"] = r.is_hidden
    return data


def _activity_of(item: Stakeholder | Relationship) -> Activity:
    activity = db.session.get(Activity, item.activity_id)
    assert activity is not None
    return activity


def stakeholder_public(s: Stakeholder) -> dict[str, Any]:
    return stakeholder_view(s, _activity_of(s), staff=False)


def relationship_public(r: Relationship) -> dict[str, Any]:
    return relationship_view(r, _activity_of(r), staff=False)


def _visible(r: Relationship) -> bool:
    return not (r.is_hidden or r.source.is_hidden or r.target.is_hidden)


def _announce_stakeholder(activity: Activity, name: str, s: Stakeholder, **extra: Any) -> None:
    if not s.is_hidden:
        announce(
            activity.workshop_id,
            name,
            {"activity_id": activity.id, "stakeholder": stakeholder_view(s, activity, staff=False), **extra},
        )
    if s.is_hidden or activity.visibility == Visibility.NAMED_TO_FACILITATORS:
        announce(
            activity.workshop_id,
            name,
            {"activity_id": activity.id, "stakeholder": stakeholder_view(s, activity, staff=True), **extra},
            audience=STAFF,
        )


def _announce_relationship(activity: Activity, name: str, r: Relationship, **extra: Any) -> None:
    if _visible(r):
        announce(
            activity.workshop_id,
            name,
            {
                "activity_id": activity.id,
                "relationship": relationship_view(r, activity, staff=False),
                **extra,
            },
        )
    if not _visible(r) or activity.visibility == Visibility.NAMED_TO_FACILITATORS:
        announce(
            activity.workshop_id,
            name,
            {"activity_id": activity.id, "relationship": relationship_view(r, activity, staff=True), **extra},
            audience=STAFF,
        )


# Rules --------------------------------------------------------------------------------------------


def _require_participant_may_change(activity: Activity, by: Participant | None) -> None:
    if by is None:
        return
    activity.require_phase(ActivityPhase.OPEN)
    if config_of(activity).get("locked"):
        raise DomainError("map_locked", _("The facilitator has locked the map: it cannot be changed now."))


def _check_kind(value: str, offered: list[str], *, system: Iterable[str] = ()) -> str:
    word = " ".join(value.split())
    if not word:
        return ""
    for option in [*offered, *system]:
        if option.casefold() == word.casefold():
            return option
    raise DomainError("invalid_kind", _("Please choose one of the kinds offered."))


def _get_stakeholder(activity: Activity, stakeholder_id: int, *, by: Participant | None) -> Stakeholder:
    s = db.session.get(Stakeholder, stakeholder_id)
    if s is None or s.activity_id != activity.id or (by is not None and s.is_hidden):
        raise NotFound(_("That stakeholder could not be found."))
    return s


def _get_relationship(activity: Activity, relationship_id: int, *, by: Participant | None) -> Relationship:
    r = db.session.get(Relationship, relationship_id)
    if r is None or r.activity_id != activity.id or (by is not None and not _visible(r)):
        raise NotFound(_("That relationship could not be found."))
    return r


def _owns(s: Stakeholder | Relationship, by: Participant) -> bool:
    return s.added_by_id == by.id or (isinstance(s, Stakeholder) and s.self_of_id == by.id)


def _positions(activity: Activity) -> dict[int, tuple[float, float]]:
    rows = db.session.execute(
        select(Stakeholder.id, Stakeholder.x, Stakeholder.y).where(Stakeholder.activity_id == activity.id)
    ).all()
    return {i: (x, y) for i, x, y in rows if x is not None and y is not None}


def _place(activity: Activity, s: Stakeholder, neighbours: Iterable[int]) -> None:
    x, y = network.place_one(s.id, list(neighbours), _positions(activity))
    s.x, s.y = round(x, 5), round(y, 5)


def _tie_count(stakeholder_id: int, *, excluding: int | None = None) -> int:
    query = (
        select(func.count())
        .select_from(Relationship)
        .where(
            or_(Relationship.source_id == stakeholder_id, Relationship.target_id == stakeholder_id),
            Relationship.is_needed.is_(False),
        )
    )
    if excluding is not None:
        query = query.where(Relationship.id != excluding)
    return db.session.scalar(query) or 0


def _count(model: type[Any], activity: Activity, by: Participant | None = None) -> int:
    query = select(func.count()).select_from(model).where(model.activity_id == activity.id)
    if by is not None:
        query = query.where(model.added_by_id == by.id)
    return db.session.scalar(query) or 0


def _poke(activity: Activity) -> None:
    from facilitator.workshops.live import counter_push

    counter_push.poke(activity.workshop_id)
    if current_app.config.get("MAP_AUTO_SETTLE", True):
        settle_soon.poke(activity.id)


# Stakeholders -------------------------------------------------------------------------------------


def similar_to(activity: Activity, name: str, *, exclude: int | None = None) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Stakeholder).where(Stakeholder.activity_id == activity.id, Stakeholder.is_hidden.is_(False))
    ).all()
    existing: list[tuple[int, str]] = []
    for s in rows:
        if s.id == exclude:
            continue
        existing.append((s.id, s.name))
        existing.extend((s.id, alias) for alias in s.aliases.splitlines() if alias)
    by_id = {s.id: s for s in rows}
    found: list[dict[str, Any]] = []
    for sid, _matched in network.similar_names(name, existing, limit=6):
        if any(f["id"] == sid for f in found):
            continue
        s = by_id[sid]
        found.append({"id": s.id, "name": s.name, "organisation": s.organisation, "kind": s.kind})
    return found[:3]


def add_stakeholder(activity: Activity, data: Any, *, by: Participant | None) -> dict[str, Any]:
    """Add a stakeholder, unless similar names exist and ``confirm_new`` is not set.

    Returns ``{"added": True, "id": ...}`` or ``{"added": False, "similar": [...]}``.
    """
    _require_participant_may_change(activity, by)
    config = config_of(activity)
    kind = _check_kind(data.kind, config["stakeholder_kinds"])
    if by is not None and _count(Stakeholder, activity, by) >= MAX_STAKEHOLDERS_EACH:
        raise DomainError("too_many", _("You can add up to %(n)d stakeholders.", n=MAX_STAKEHOLDERS_EACH))
    if _count(Stakeholder, activity) >= MAX_STAKEHOLDERS:
        raise DomainError("too_many", _("The map is full."))
    if not data.confirm_new:
        similar = similar_to(activity, data.name)
        if similar:
            return {"added": False, "similar": similar}
    s = Stakeholder(
        activity_id=activity.id,
        name=data.name,
        kind=kind,
        organisation=" ".join(data.organisation.split()),
        sector=" ".join(data.sector.split()),
        influence=data.influence,
        interest=data.interest,
        stance=data.stance,
        at_stake=data.at_stake,
        loyalties=data.loyalties,
        losses=data.losses,
        added_by=by,
    )
    db.session.add(s)
    db.session.flush()
    _place(activity, s, [])
    _announce_stakeholder(activity, "stakeholder:added", s)
    db.session.commit()
    _poke(activity)
    return {"added": True, "id": s.id, "x": s.x, "y": s.y}


EDITABLE = (
    "name",
    "kind",
    "organisation",
    "sector",
    "influence",
    "interest",
    "stance",
    "at_stake",
    "loyalties",
    "losses",
)


def edit_stakeholder(activity: Activity, data: Any, *, by: Participant | None) -> Stakeholder:
    _require_participant_may_change(activity, by)
    s = _get_stakeholder(activity, data.stakeholder_id, by=by)
    if by is not None and not _owns(s, by):
        raise Forbidden(_("You can only change stakeholders you added."))
    config = config_of(activity)
    for name in EDITABLE:
        value = getattr(data, name)
        if value is None:
            continue
        if name == "kind":
            value = _check_kind(value, config["stakeholder_kinds"], system=[s.kind] if s.kind else [])
        elif name in ("influence", "interest"):
            value = value or None
        elif name in ("organisation", "sector"):
            value = " ".join(value.split())
        setattr(s, name, value)
    db.session.flush()
    _announce_stakeholder(activity, "stakeholder:updated", s)
    db.session.commit()
    return s


# Relationships ------------------------------------------------------------------------------------


def _existing_tie(activity: Activity, a: int, b: int, kind: str, is_needed: bool) -> Relationship | None:
    return db.session.scalars(
        select(Relationship).where(
            Relationship.activity_id == activity.id,
            or_(
                (Relationship.source_id == a) & (Relationship.target_id == b),
                (Relationship.source_id == b) & (Relationship.target_id == a),
            ),
            Relationship.kind == kind,
            Relationship.is_needed.is_(is_needed),
        )
    ).first()


def _create_relationship(
    activity: Activity,
    source: Stakeholder,
    target: Stakeholder,
    *,
    kind: str,
    strength: int = 2,
    directed: bool = False,
    is_needed: bool = False,
    note: str = "",
    by: Participant | None,
) -> tuple[Relationship, list[dict[str, Any]]]:
    """Create and announce a relationship; an end with no ties yet moves next to the other end."""
    moved: list[dict[str, Any]] = []
    if not is_needed:
        for end, other in ((source, target), (target, source)):
            if not end.settled and _tie_count(end.id) == 0:
                _place(activity, end, [other.id])
                moved.append({"id": end.id, "x": end.x, "y": end.y})
    r = Relationship(
        activity_id=activity.id,
        source=source,
        target=target,
        source_id=source.id,
        target_id=target.id,
        kind=kind,
        strength=strength,
        directed=directed,
        is_needed=is_needed,
        note=note,
        added_by=by,
    )
    db.session.add(r)
    db.session.flush()
    _announce_relationship(activity, "relationship:added", r, moved=moved)
    return r, moved


def add_relationship(activity: Activity, data: Any, *, by: Participant | None) -> Relationship:
    _require_participant_may_change(activity, by)
    config = config_of(activity)
    if by is not None and not config.get("allow_relationships", True):
        raise DomainError("relationships_off", _("In this activity only the facilitator adds relationships."))
    if data.source_id == data.target_id:
        raise DomainError("invalid", _("Please choose two different stakeholders."))
    source = _get_stakeholder(activity, data.source_id, by=by)
    target = _get_stakeholder(activity, data.target_id, by=by)
    kind = _check_kind(data.kind, config["relationship_kinds"], system=[MEMBERSHIP_KIND])
    if by is not None and _count(Relationship, activity, by) >= MAX_RELATIONSHIPS_EACH:
        raise DomainError("too_many", _("You can add up to %(n)d relationships.", n=MAX_RELATIONSHIPS_EACH))
    if _existing_tie(activity, source.id, target.id, kind, data.is_needed) is not None:
        raise DomainError("already_exists", _("That relationship is already on the map."))
    r, _moved = _create_relationship(
        activity,
        source,
        target,
        kind=kind,
        strength=data.strength,
        directed=data.directed,
        is_needed=data.is_needed,
        note=data.note,
        by=by,
    )
    db.session.commit()
    _poke(activity)
    return r


def edit_relationship(activity: Activity, data: Any, *, by: Participant | None) -> Relationship:
    _require_participant_may_change(activity, by)
    r = _get_relationship(activity, data.relationship_id, by=by)
    if by is not None and not _owns(r, by):
        raise Forbidden(_("You can only change relationships you added."))
    if data.kind is not None:
        r.kind = _check_kind(
            data.kind, config_of(activity)["relationship_kinds"], system=[r.kind, MEMBERSHIP_KIND]
        )
    for name in ("strength", "directed", "is_needed", "note"):
        value = getattr(data, name)
        if value is not None:
            setattr(r, name, value)
    db.session.flush()
    _announce_relationship(activity, "relationship:updated", r)
    db.session.commit()
    return r


def remove_relationship(activity: Activity, relationship_id: int, *, by: Participant | None) -> None:
    _require_participant_may_change(activity, by)
    r = _get_relationship(activity, relationship_id, by=by)
    if by is not None and not _owns(r, by):
        raise Forbidden(_("You can only remove relationships you added."))
    audience = ALL if _visible(r) else STAFF
    db.session.delete(r)
    announce(
        activity.workshop_id,
        "relationship:removed",
        {"activity_id": activity.id, "relationship_id": relationship_id},
        audience=audience,
    )
    db.session.commit()


# Put myself on the map --------------------------------------------------------------------------


def join_map(activity: Activity, data: Any, *, by: Participant) -> dict[str, Any]:
    """Add the participant as a person (once), tied to their organisation and to whom they work with."""
    _require_participant_may_change(activity, by)
    config = config_of(activity)
    if data.works_with and not config.get("allow_relationships", True):
        raise DomainError("relationships_off", _("In this activity only the facilitator adds relationships."))
    kinds = config["stakeholder_kinds"]
    person_kind = next((k for k in kinds if k.casefold() == "person"), kinds[0] if kinds else "")
    org_kind = next((k for k in kinds if k.casefold() == "organisation"), "")
    tie_kind = (
        _check_kind(data.kind, config["relationship_kinds"])
        if data.kind
        else next((k for k in config["relationship_kinds"] if k.casefold() == "collaborates"), "")
    )
    organisation = " ".join((data.organisation or by.organisation).split())[:MAX_ORG]
    sector = " ".join((data.sector or by.sector).split())

    me = db.session.scalars(
        select(Stakeholder).where(Stakeholder.activity_id == activity.id, Stakeholder.self_of_id == by.id)
    ).first()
    if me is not None and me.is_hidden:
        raise DomainError("hidden", _("The facilitator has taken you off the map."))
    others = [_get_stakeholder(activity, i, by=by) for i in dict.fromkeys(data.works_with)]
    new_ids: list[int] = []

    org: Stakeholder | None = None
    if organisation:
        key = network.normalise_name(organisation)
        candidates = db.session.scalars(
            select(Stakeholder).where(
                Stakeholder.activity_id == activity.id, Stakeholder.is_hidden.is_(False)
            )
        ).all()
        org = next(
            (
                s
                for s in candidates
                if network.normalise_name(s.name) == key and (not org_kind or s.kind == org_kind)
            ),
            None,
        )
        if org is None:
            org = Stakeholder(
                activity_id=activity.id,
                name=organisation,
                kind=org_kind,
                organisation=organisation,
                sector=sector,
                added_by=by,
            )
            db.session.add(org)
            db.session.flush()
            _place(activity, org, [o.id for o in others])
            _announce_stakeholder(activity, "stakeholder:added", org)
            new_ids.append(org.id)

    if me is None:
        me = Stakeholder(
            activity_id=activity.id,
            name=by.label[:120],
            kind=person_kind,
            organisation=organisation,
            sector=sector,
            added_by=by,
            self_of_id=by.id,
        )
        db.session.add(me)
        db.session.flush()
        _place(activity, me, [o.id for o in others] + ([org.id] if org else []))
        _announce_stakeholder(activity, "stakeholder:added", me)
        new_ids.append(me.id)
    elif organisation and me.organisation != organisation:
        me.organisation, me.sector = organisation, sector or me.sector
        db.session.flush()
        _announce_stakeholder(activity, "stakeholder:updated", me)

    relationship_ids: list[int] = []
    if org is not None and _existing_tie(activity, me.id, org.id, MEMBERSHIP_KIND, False) is None:
        r, _moved = _create_relationship(activity, me, org, kind=MEMBERSHIP_KIND, directed=True, by=by)
        relationship_ids.append(r.id)
    for other in others:
        if other.id == me.id or _existing_tie(activity, me.id, other.id, tie_kind, False) is not None:
            continue
        r, _moved = _create_relationship(activity, me, other, kind=tie_kind, by=by)
        relationship_ids.append(r.id)
    db.session.commit()
    _poke(activity)
    return {
        "stakeholder_id": me.id,
        "organisation_id": org.id if org else None,
        "added": new_ids,
        "relationship_ids": relationship_ids,
    }


# Curation -----------------------------------------------------------------------------------------


def _joined(a: str, b: str, limit: int) -> str:
    a, b = a.strip(), b.strip()
    if not b or b.casefold() == a.casefold():
        return a
    if not a:
        return b[:limit]
    return f"{a}\n{b}"[:limit]


def merge_stakeholders(activity: Activity, keep_id: int, merge_id: int) -> dict[str, Any]:
    """Fold ``merge_id`` into ``keep_id``: its relationships re-pointed, duplicates merged, details kept."""
    if keep_id == merge_id:
        raise DomainError("invalid", _("Please choose two different stakeholders."))
    keep = _get_stakeholder(activity, keep_id, by=None)
    gone = _get_stakeholder(activity, merge_id, by=None)
    for name in ("kind", "organisation", "sector", "stance"):
        if not getattr(keep, name) and getattr(gone, name):
            setattr(keep, name, getattr(gone, name))
    for name in ("influence", "interest"):
        if getattr(keep, name) is None:
            setattr(keep, name, getattr(gone, name))
    for name in ("at_stake", "loyalties", "losses"):
        setattr(keep, name, _joined(getattr(keep, name), getattr(gone, name), MAX_TEXT * 4))
    aliases = [a for a in keep.aliases.splitlines() if a]
    for alias in [gone.name, *gone.aliases.splitlines()]:
        if alias and alias.casefold() != keep.name.casefold() and alias not in aliases:
            aliases.append(alias)
    keep.aliases = "\n".join(aliases)
    if keep.self_of_id is None and gone.self_of_id is not None:
        keep.self_of_id = gone.self_of_id
    if keep.added_by_id is None:
        keep.added_by_id = gone.added_by_id

    rows = db.session.scalars(
        select(Relationship)
        .where(
            Relationship.activity_id == activity.id,
            or_(
                Relationship.source_id.in_([keep.id, gone.id]), Relationship.target_id.in_([keep.id, gone.id])
            ),
        )
        .order_by(Relationship.id)
    ).all()
    removed: list[int] = []
    changed: list[Relationship] = []
    seen: dict[tuple[Any, ...], Relationship] = {}
    for r in rows:
        if r.source_id == gone.id:
            r.source_id, r.source = keep.id, keep
            changed.append(r)
        if r.target_id == gone.id:
            r.target_id, r.target = keep.id, keep
            if r not in changed:
                changed.append(r)
        if r.source_id == r.target_id:  # a tie between the two halves of one stakeholder
            removed.append(r.id)
            db.session.delete(r)
            continue
        ends = (r.source_id, r.target_id) if r.directed else tuple(sorted((r.source_id, r.target_id)))
        key = (ends, r.directed, r.kind.casefold(), r.is_needed)
        first = seen.get(key)
        if first is None:
            seen[key] = r
            continue
        first.strength = max(first.strength, r.strength)
        first.note = _joined(first.note, r.note, 280)
        first.is_hidden = first.is_hidden and r.is_hidden
        if first not in changed:
            changed.append(first)
        removed.append(r.id)
        db.session.delete(r)
    changed = [r for r in changed if r.id not in removed]
    gone_id = gone.id
    db.session.flush()
    db.session.delete(gone)
    db.session.flush()
    public_rels = [relationship_view(r, activity, staff=False) for r in changed if _visible(r)]
    announce(
        activity.workshop_id,
        "map:merged",
        {
            "activity_id": activity.id,
            "stakeholder": stakeholder_view(keep, activity, staff=False) if not keep.is_hidden else None,
            "removed_id": gone_id,
            "relationships": public_rels,
            "removed_relationships": removed,
        },
    )
    announce(
        activity.workshop_id,
        "map:merged",
        {
            "activity_id": activity.id,
            "stakeholder": stakeholder_view(keep, activity, staff=True),
            "removed_id": gone_id,
            "relationships": [relationship_view(r, activity, staff=True) for r in changed],
            "removed_relationships": removed,
        },
        audience=STAFF,
    )
    db.session.commit()
    return {"id": keep.id, "removed_id": gone_id, "relationships": len(changed), "merged_duplicates": removed}


def lock_map(activity: Activity, locked: bool) -> dict[str, Any]:
    return set_config(activity, locked=locked)


# Analysis -----------------------------------------------------------------------------------------


def _graph_input(
    activity: Activity, *, with_hidden: bool = False
) -> tuple[list[Stakeholder], list[Relationship], list[network.NodeIn], list[network.EdgeIn]]:
    stakeholders = db.session.scalars(
        select(Stakeholder).where(Stakeholder.activity_id == activity.id).order_by(Stakeholder.id)
    ).all()
    relationships = db.session.scalars(
        select(Relationship).where(Relationship.activity_id == activity.id).order_by(Relationship.id)
    ).all()
    if not with_hidden:
        hidden = {s.id for s in stakeholders if s.is_hidden}
        stakeholders = [s for s in stakeholders if not s.is_hidden]
        relationships = [
            r
            for r in relationships
            if not r.is_hidden and r.source_id not in hidden and r.target_id not in hidden
        ]
    nodes = [
        network.NodeIn(
            id=s.id,
            name=s.name,
            kind=s.kind,
            organisation=s.organisation,
            sector=s.sector,
            influence=s.influence,
            interest=s.interest,
            stance=s.stance or None,
            losses=s.losses,
        )
        for s in stakeholders
    ]
    edges = [
        network.EdgeIn(
            id=r.id,
            source=r.source_id,
            target=r.target_id,
            kind=r.kind,
            strength=r.strength,
            directed=r.directed,
            is_needed=r.is_needed,
        )
        for r in relationships
    ]
    return list(stakeholders), list(relationships), nodes, edges


def percent_text(value: int) -> str:
    """A whole percentage in the reader's language (12 -> "12 %" in French)."""
    from flask_babel import format_percent

    return format_percent(value / 100)


def translate_finding(singular: str, plural: str, n: int) -> str:
    """The gettext catalogue of the current locale, without Flask-Babel's ``%`` formatting
    (finding templates use ``{name}`` placeholders and contain literal ``%`` signs)."""
    return str(get_translations().ngettext(singular, plural, n))


def _measure(nodes: list[Any], edges: list[Any]) -> tuple[Any, Any, Any]:
    """The pure, CPU-heavy part of the analysis (runs off the live loop under gevent)."""
    metrics = network.compute_metrics(nodes, edges)
    found = network.findings(nodes, edges, metrics)
    impact = network.needed_ties_impact(nodes, edges) if any(e.is_needed for e in edges) else None
    return metrics, found, impact


_measured: dict[int, tuple[Any, Any]] = {}  # activity id -> (the map measured, what was found), latest only
_measured_lock = threading.Lock()
MEASURED_KEPT = 64


def _measure_once(activity_id: int, nodes: list[Any], edges: list[Any]) -> tuple[Any, Any, Any]:
    """The analysis of this exact map, computed once: after a ``map:analysed`` broadcast every screen and
    console asks for the findings in its own language, and they all get the same measures."""
    key = (tuple(nodes), tuple(edges))
    with _measured_lock:
        hit = _measured.get(activity_id)
    if hit is not None and hit[0] == key:
        return hit[1]
    result = run_cpu(_measure, nodes, edges)
    with _measured_lock:
        _measured.pop(activity_id, None)
        _measured[activity_id] = (key, result)
        while len(_measured) > MEASURED_KEPT:
            _measured.pop(next(iter(_measured)))
    return result


def analyse(activity: Activity) -> dict[str, Any]:
    """Measures, findings and the effect of needed ties, for the visible map (JSON-ready). Each finding's
    ``text`` is in the reader's language."""
    _s, _r, nodes, edges = _graph_input(activity)
    metrics, found, impact = _measure_once(activity.id, nodes, edges)
    measures = {
        str(i): {
            "degree": m.degree,
            "betweenness": round(m.betweenness, 5),
            "pagerank": round(m.pagerank, 5),
            "community": m.community,
            "component": m.component,
            "broker": m.is_articulation_point,
            "constraint": None if m.constraint is None else round(m.constraint, 4),
            "effective_size": None if m.effective_size is None else round(m.effective_size, 3),
        }
        for i, m in metrics.nodes.items()
    }
    summary = {
        "stakeholders": metrics.node_count,
        "ties": metrics.tie_count,
        "density": round(metrics.density, 4),
        "components": metrics.component_count,
        "communities": metrics.community_count,
        "cross_org_share": metrics.cross_org_share,
        "cross_sector_share": metrics.cross_sector_share,
        "betweenness_exact": metrics.betweenness_exact,
    }
    needed = None
    if impact is not None:
        needed = {
            "change": impact.get("change"),
            "brokers_relieved": impact.get("brokers_relieved"),
            "isolates_reached": impact.get("isolates_reached"),
        }
    return {
        "measures": measures,
        "summary": summary,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "text": network.finding_text(f, translate_finding, percent_text),
                "ids": [i for i in [*f.params.get("ids", []), f.params.get("id")] if isinstance(i, int)],
            }
            for f in found
        ],
        "needed": needed,
    }


def _in_background(fn: Callable[..., None], *args: Any) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                fn(*args)
            except Exception:
                log.exception("stakeholder map background task failed")
                db.session.rollback()
            finally:
                db.session.remove()

    socketio.start_background_task(run)


_running: set[tuple[str, int]] = set()
_running_lock = threading.Lock()


def _claim(job: str, activity_id: int) -> bool:
    with _running_lock:
        if (job, activity_id) in _running:
            return False
        _running.add((job, activity_id))
        return True


def _release(job: str, activity_id: int) -> None:
    with _running_lock:
        _running.discard((job, activity_id))


def publish_analysis(activity_id: int) -> dict[str, Any] | None:
    try:
        activity = db.session.get(Activity, activity_id)
        if activity is None:
            return None
        result = analyse(activity)
        # The broadcast carries measures and finding codes only: a sentence would be in the language of
        # whoever asked. Screens and consoles fetch their own wording (activity:state); the asker has it here.
        codes = [{k: v for k, v in f.items() if k != "text"} for f in result["findings"]]
        public = {**result, "findings": codes}
        announce(activity.workshop_id, "map:analysed", {"activity_id": activity.id, **public})
        db.session.commit()
        return result
    finally:
        _release("analyse", activity_id)


def request_analysis(activity: Activity) -> dict[str, Any]:
    """Analyse now for a small map (result in the ack too), in the background for a large one."""
    if not _claim("analyse", activity.id):
        return {"queued": True}
    if _count(Stakeholder, activity) <= INLINE_ANALYSIS_LIMIT:
        return {"queued": False, **(publish_analysis(activity.id) or {})}
    _in_background(publish_analysis, activity.id)
    return {"queued": True}


def relayout_now(activity_id: int, fresh: bool) -> None:
    """Lay the map out again (settled stakeholders keep their place unless ``fresh``) and announce it."""
    try:
        activity = db.session.get(Activity, activity_id)
        if activity is None:
            return
        # Hidden stakeholders keep a place (so restoring one does not jump); hidden ties pull nobody.
        stakeholders, relationships, nodes, all_edges = _graph_input(activity, with_hidden=True)
        edges = [e for e, r in zip(all_edges, relationships, strict=True) if not r.is_hidden]
        previous = (
            None
            if fresh
            else {s.id: (s.x, s.y) for s in stakeholders if s.settled and s.x is not None and s.y is not None}
        )
        db.session.rollback()  # no transaction (and no write lock) held while the layout runs
        positions = run_cpu(network.layout, nodes, edges, previous=previous or None)
        by_id = {
            s.id: s
            for s in db.session.scalars(select(Stakeholder).where(Stakeholder.id.in_(list(positions)))).all()
        }
        moved = []
        for sid, (x, y) in positions.items():
            s = by_id.get(sid)
            if s is None:  # merged away meanwhile
                continue
            s.x, s.y, s.settled = round(x, 5), round(y, 5), True
            if not s.is_hidden:
                moved.append([sid, s.x, s.y])
        announce(activity.workshop_id, "map:positions", {"activity_id": activity_id, "positions": moved})
        db.session.commit()
    finally:
        _release("layout", activity_id)


AUTO_SETTLE_LIMIT = 300  # maps up to this size lay out new stakeholders and refresh findings by themselves


def _settle(activity_id: int) -> None:
    """A second after stakeholders or ties are added: give the newcomers a real place in the layout
    (everyone already settled stays exactly where they are) and refresh the findings."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or _count(Stakeholder, activity) > AUTO_SETTLE_LIMIT:
        return
    unsettled = db.session.scalar(
        select(func.count())
        .select_from(Stakeholder)
        .where(Stakeholder.activity_id == activity_id, Stakeholder.settled.is_(False))
    )
    if unsettled and _claim("layout", activity_id):
        relayout_now(activity_id, False)
    if _claim("analyse", activity_id):
        publish_analysis(activity_id)


settle_soon = Coalescer(_settle, interval=1.0)


def request_relayout(activity: Activity, fresh: bool) -> dict[str, Any]:
    if not _claim("layout", activity.id):
        return {"started": False, "reason": "running"}
    _in_background(relayout_now, activity.id, fresh)
    return {"started": True}


# Snapshot, counts, export -----------------------------------------------------------------------


def words() -> dict[str, str]:
    """Strings for the browser module (translated on the server)."""
    return {
        "add_stakeholder": _("Add a stakeholder"),
        "add_relationship": _("Add a relationship"),
        "put_me": _("Put myself on the map"),
        "name": _("Name"),
        "kind": _("Kind"),
        "organisation": _("Organisation"),
        "sector": _("Sector"),
        "influence": _("Influence (1-5)"),
        "interest": _("Interest (1-5)"),
        "stance": _("Stance"),
        "at_stake": _("What is at stake for them"),
        "loyalties": _("Where their loyalties lie"),
        "losses": _("What they stand to lose from change"),
        "more": _("Stakes, loyalties and losses (optional)"),
        "from": _("From"),
        "to": _("To"),
        "filter": _("Type to filter"),
        "strength": _("Strength"),
        "weak": _("Weak"),
        "medium": _("Medium"),
        "strong": _("Strong"),
        "directed": _("One-way (from → to)"),
        "needed": _("Needed but missing today"),
        "did_you_mean": _("Did you mean one of these?"),
        "use_this": _("Use this one"),
        "add_anyway": _("No, add a new stakeholder"),
        "works_with": _("Who do you already work with? (tick all that apply)"),
        "add": _("Add"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "edit": _("Edit"),
        "remove": _("Remove"),
        "merge": _("Merge into…"),
        "merge_prompt": _("Merge this stakeholder into which one? Type its number."),
        "lock": _("Lock the map"),
        "unlock": _("Unlock the map"),
        "locked": _("The map is locked."),
        "relationships_off": _("Only the facilitator adds relationships in this activity."),
        "analyse": _("Analyse"),
        "relayout": _("Tidy layout"),
        "relayout_fresh": _("New layout"),
        "colour_by": _("Colour by"),
        "size_by": _("Size by"),
        "community": _("cluster"),
        "degree": _("relationships"),
        "betweenness": _("brokerage (betweenness)"),
        "pagerank": _("reach (PageRank)"),
        "none": _("same size"),
        "table": _("Stakeholders and their measures"),
        "findings": _("What the map shows"),
        "no_findings": _("Press Analyse to see what the map shows."),
        "stakeholders": _("Stakeholders"),
        "relationships": _("Relationships"),
        "mine": _("Added by you"),
        "you": _("you"),
        "empty": _("No stakeholders yet."),
        "not_recorded": _("not recorded"),
        "other": _("Other"),
        "map_label": _("Network map of the stakeholders"),
        "focus_hint": _("Tap a stakeholder to focus on its neighbourhood."),
        "steps": _("Steps out"),
        "show_all": _("Show all"),
        "added": _("Added."),
        "on_map": _("You are on the map."),
        "choose_two": _("Please choose two different stakeholders."),
        "champion": _("champion"),
        "supporter": _("supporter"),
        "neutral": _("neutral"),
        "sceptic": _("sceptic"),
        "opponent": _("opponent"),
        "unknown": _("unknown"),
        "brokers": _("broker"),
        "hidden_item": _("hidden"),
        "see_map": _("See the map"),
        "legend": _("Legend"),
        "see_larger": _("Open a larger picture"),
        "grid": _("Power/interest grid"),
        "keep_satisfied": _("Keep satisfied"),
        "manage_closely": _("Manage closely"),
        "monitor": _("Monitor"),
        "keep_informed": _("Keep informed"),
        "interest_axis": _("Interest"),
        "influence_axis": _("Influence"),
        "not_rated": _("Not rated"),
        "ties_today": _("Today's network"),
        "ties_needed": _("With the needed ties"),
        "who_loses": _("Who bears the losses"),
        "no_losses": _("No losses recorded yet."),
        "losses_short": _("Stands to lose"),
        "needed_count": _("Needed ties"),
        "cross_org_change": _("Change in cross-organisation share (points)"),
        "single_points_fewer": _("Fewer single points of failure"),
        "parts_joined": _("Separate parts joined"),
        "focus_on": _("Showing the neighbourhood of"),
    }


def snapshot(activity: Activity, actor: Actor) -> dict[str, Any]:
    staff = actor.role == "facilitator"
    stakeholders, relationships, _n, _e = _graph_input(activity, with_hidden=staff)
    data: dict[str, Any] = {
        "stakeholders": [stakeholder_view(s, activity, staff=staff) for s in stakeholders],
        "relationships": [relationship_view(r, activity, staff=staff) for r in relationships],
        "config": config_of(activity),
        "words": words(),
    }
    if actor.participant_id is not None:
        data["mine"] = [
            s.id
            for s in stakeholders
            if s.added_by_id == actor.participant_id or s.self_of_id == actor.participant_id
        ]
        data["my_relationships"] = [r.id for r in relationships if r.added_by_id == actor.participant_id]
        data["me"] = next((s.id for s in stakeholders if s.self_of_id == actor.participant_id), None)
    elif actor.is_staff and len(stakeholders) <= SNAPSHOT_ANALYSIS_LIMIT:
        data["analysis"] = analyse(activity)
    return data


def answered_count(activity: Activity) -> int:
    people: set[int] = set()
    for model in (Stakeholder, Relationship):
        people.update(
            db.session.scalars(
                select(model.added_by_id)
                .where(model.activity_id == activity.id, model.added_by_id.is_not(None))
                .distinct()
            ).all()
        )
    return len(people)


def export(activity: Activity) -> dict[str, Any]:
    stakeholders, relationships, _n, _e = _graph_input(activity, with_hidden=True)
    return {
        "config": config_of(activity),
        "stakeholders": [stakeholder_view(s, activity, staff=True) for s in stakeholders],
        "relationships": [relationship_view(r, activity, staff=True) for r in relationships],
        "analysis": analyse(activity),
    }

"""Series of workshops: a facilitator groups their own workshops, and the series page shows what
changed from one to the next (work-avoidance profile per form, commitment follow-through, how the
stakeholder network grew). Only aggregates are shown: no one's answers, no names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from facilitator.analysis import checklist, network
from facilitator.analysis.commitments import CommitmentFacts, follow_through
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.review.models import Series
from facilitator.workshops.models import Workshop, WorkshopFacilitator

MAX_NAME = 120


def own_workshops(facilitator_id: int) -> list[Workshop]:
    """Every workshop this facilitator runs, in date order."""
    rows = db.session.scalars(
        select(Workshop)
        .join(WorkshopFacilitator, WorkshopFacilitator.workshop_id == Workshop.id)
        .where(WorkshopFacilitator.facilitator_id == facilitator_id)
    ).all()
    return _in_date_order(rows)


def _in_date_order(workshops: Iterable[Workshop]) -> list[Workshop]:
    # A workshop with no date sorts by the day it was created.
    return sorted(
        dict.fromkeys(workshops),
        key=lambda w: (w.starts_on or w.created_at.date().isoformat(), w.created_at, w.id),
    )


def series_of(facilitator_id: int) -> list[Series]:
    return list(
        db.session.scalars(
            select(Series).where(Series.facilitator_id == facilitator_id).order_by(Series.name, Series.id)
        ).all()
    )


def owned_series(series_id: int, facilitator_id: int) -> Series | None:
    series = db.session.get(Series, series_id)
    if series is None or series.facilitator_id != facilitator_id:
        return None
    return series


def workshops_in(series: Series) -> list[Workshop]:
    """The series' workshops the owner still runs (a workshop handed over leaves their view), by date."""
    ids = [int(i) for i in series.workshop_ids or []]
    if not ids:
        return []
    rows = db.session.scalars(select(Workshop).where(Workshop.id.in_(ids))).all()
    owner = series.facilitator_id
    return _in_date_order(w for w in rows if any(m.facilitator_id == owner for m in w.memberships))


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("series_name", _("Give the series a name."))
    return name[:MAX_NAME]


def create_series(name: str, workshop_ids: Iterable[int], *, by: Any) -> Series:
    series = Series(facilitator_id=by.id, name=_clean_name(name))
    db.session.add(series)
    db.session.flush()
    _set_members(series, workshop_ids)
    db.session.commit()
    return series


def update_series(series: Series, name: str, workshop_ids: Iterable[int]) -> None:
    series.name = _clean_name(name)
    _set_members(series, workshop_ids)
    db.session.commit()


def delete_series(series: Series) -> None:
    db.session.delete(series)
    db.session.commit()


def _set_members(series: Series, workshop_ids: Iterable[int]) -> None:
    """Keep exactly the given workshops, ignoring any the series' owner does not run."""
    allowed = {w.id for w in own_workshops(series.facilitator_id)}
    series.workshop_ids = sorted({int(i) for i in workshop_ids if int(i) in allowed})


# What changed ------------------------------------------------------------------------------------


def _activities(workshop: Workshop, kind: str) -> list[Any]:
    return [a for a in workshop.activities if a.kind == kind]


def _network(workshop: Workshop) -> dict[str, Any] | None:
    """The workshop's stakeholder map (its last map with anyone on it) as figures, plus the ties as
    pairs of normalised names, so the next workshop's new ties can be counted."""
    from facilitator.activities.stakeholder_map import services as map_services

    for activity in reversed(_activities(workshop, "stakeholder_map")):
        _stakeholders, _relationships, nodes, edges = map_services._graph_input(activity)
        if not nodes:
            continue
        metrics = network.compute_metrics(nodes, edges)
        name_of = {n.id: network.normalise_name(n.name) or n.name for n in nodes}
        pairs = {
            tuple(sorted((name_of[e.source], name_of[e.target])))
            for e in edges
            if not e.is_needed and e.source in name_of and e.target in name_of and e.source != e.target
        }
        return {
            "stakeholders": metrics.node_count,
            "ties": metrics.tie_count,
            "isolates": len(metrics.isolates),
            "cross_org": metrics.cross_org_share,
            "pairs": pairs,
        }
    return None


def _commitments(workshop: Workshop) -> dict[str, Any] | None:
    from facilitator.activities.commitment_tree import services as tree_services

    facts = [
        CommitmentFacts(id=c.id, author="", author_org="", status=c.status)
        for activity in _activities(workshop, "commitment_tree")
        for c in tree_services._all(activity)
        if not c.is_hidden
    ]
    if not facts:
        return None
    return dict(follow_through(facts)["overall"])


def _work_avoidance(workshop: Workshop) -> list[checklist.FormAggregate] | None:
    from facilitator.activities.work_avoidance import services as wa_services

    for activity in reversed(_activities(workshop, "work_avoidance")):
        aggregates = wa_services.aggregates(activity)
        if any(a.n for a in aggregates):
            return aggregates
    return None


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)


def overview(series: Series) -> dict[str, Any]:
    """Per workshop (date order): network figures with the change since the previous workshop that
    had a map, commitment follow-through; and per work-avoidance form its mean in each workshop."""
    workshops = workshops_in(series)
    rows: list[dict[str, Any]] = []
    previous_net: dict[str, Any] | None = None
    runs: list[list[checklist.FormAggregate]] = []
    run_of: list[int | None] = []  # index into runs per workshop (None: no checklist)
    for w in workshops:
        net = _network(w)
        if net is not None:
            change = None
            if previous_net is not None:
                change = {
                    "ties": net["ties"] - previous_net["ties"],
                    "isolates": net["isolates"] - previous_net["isolates"],
                    "new_ties": len(net["pairs"] - previous_net["pairs"]),
                    "cross_org": None
                    if net["cross_org"] is None or previous_net["cross_org"] is None
                    else _percent(net["cross_org"]) - _percent(previous_net["cross_org"]),  # type: ignore[operator]
                }
            shown_net: dict[str, Any] | None = {
                "stakeholders": net["stakeholders"],
                "ties": net["ties"],
                "isolates": net["isolates"],
                "cross_org": _percent(net["cross_org"]),
                "change": change,
            }
            previous_net = net
        else:
            shown_net = None
        commitments = _commitments(w)
        if commitments is not None:
            commitments["done_pct"] = _percent(commitments["done_share"])
            commitments["in_progress_pct"] = _percent(commitments["in_progress_share"])
        aggregates = _work_avoidance(w)
        if aggregates is not None:
            run_of.append(len(runs))
            runs.append(aggregates)
        else:
            run_of.append(None)
        rows.append({"workshop": w, "network": shown_net, "commitments": commitments})
    trends = checklist.change_over_time(runs) if runs else []
    forms = []
    for t in trends:
        cells = [None if i is None else t.means[i] for i in run_of]
        forms.append({"key": t.key, "name": t.name, "means": cells, "change": t.change})
    return {"workshops": workshops, "rows": rows, "forms": forms}

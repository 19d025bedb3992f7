"""Commitments as promised ties, their dependency network, and how the follow-up is going.

Pure code: plain data in, plain data out. No Flask, no database.

A commitment names counterparts ("with whom"). A counterpart is resolved against the room: a
participant's name is a *person* (with their organisation), an organisation someone in the room
belongs to is an *organisation*, and anything else is a *named* party from outside the room, counted
as its own organisation. A commitment whose author and counterpart belong to different organisations
promises a cross-organisation tie.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import networkx as nx

from facilitator.analysis.network import normalise_name

__all__ = [
    "ACTIVE",
    "CommitmentFacts",
    "Party",
    "StatusChange",
    "dependency_network",
    "follow_through",
    "overload",
    "promised_ties",
    "resolve_counterpart",
    "status_over_time",
    "stuck_reasons",
    "unpartnered",
]

PartyKind = Literal["person", "organisation", "named"]
ACTIVE = ("not_started", "in_progress", "stuck")  # statuses still worth a reminder


@dataclass(frozen=True, slots=True)
class Party:
    """Someone a commitment depends on. ``key`` is stable across spellings of the same name."""

    key: str
    label: str
    kind: PartyKind
    organisation: str  # "" when unknown


@dataclass(frozen=True, slots=True)
class CommitmentFacts:
    id: int
    author: str
    author_org: str
    with_whom: tuple[str, ...] = ()
    branch: str = ""
    status: str = "not_started"
    text: str = ""


@dataclass(frozen=True, slots=True)
class StatusChange:
    commitment_id: int
    on: date
    status: str
    obstacle_form: str = ""
    obstacle: str = ""


@dataclass(slots=True)
class _Room:
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # norm name -> (label, org)
    organisations: dict[str, str] = field(default_factory=dict)  # norm name -> label


def _room(people: Mapping[str, str], organisations: Iterable[str]) -> _Room:
    room = _Room()
    for name, org in people.items():
        key = normalise_name(name)
        if key:
            room.people.setdefault(key, (" ".join(name.split()), " ".join((org or "").split())))
    for org in [*organisations, *(o for o in people.values() if o)]:
        key = normalise_name(org)
        if key:
            room.organisations.setdefault(key, " ".join(org.split()))
    return room


def resolve_counterpart(
    name: str, people: Mapping[str, str], organisations: Iterable[str] = ()
) -> Party | None:
    """The party a "with whom" entry stands for; ``people`` maps a participant's name to their
    organisation ("" if none). Returns None for an empty name."""
    return _resolve(name, _room(people, organisations))


def _resolve(name: str, room: _Room) -> Party | None:
    key = normalise_name(name)
    if not key:
        return None
    if key in room.people:
        label, org = room.people[key]
        return Party(f"person:{key}", label, "person", org)
    if key in room.organisations:
        label = room.organisations[key]
        return Party(f"org:{key}", label, "organisation", label)
    label = " ".join(name.split())
    return Party(f"org:{key}", label, "named", label)


def _org_key(org: str) -> str:
    return normalise_name(org)


def promised_ties(
    commitments: Sequence[CommitmentFacts],
    people: Mapping[str, str],
    organisations: Iterable[str] = (),
    existing_pairs: Collection[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The working relationships the room promised.

    Returns ``ties`` (author, counterpart, commitment id: one per named counterpart), ``cross_org``
    (distinct unordered pairs of different organisations, each with the commitment ids behind it) and
    ``new_cross_org`` (those pairs not in ``existing_pairs``, e.g. organisations already tied on the
    stakeholder map). Pairs are given by organisation label, sorted.
    """
    room = _room(people, organisations)
    existing = {frozenset((_org_key(a), _org_key(b))) for a, b in existing_pairs}
    ties: list[dict[str, Any]] = []
    pairs: dict[frozenset[str], dict[str, Any]] = {}
    for c in commitments:
        author_org = " ".join(c.author_org.split())
        for name in c.with_whom:
            party = _resolve(name, room)
            if party is None:
                continue
            ties.append({"commitment_id": c.id, "author": c.author, "author_org": author_org, "party": party})
            a, b = _org_key(author_org), _org_key(party.organisation)
            if not a or not b or a == b:
                continue
            pair = frozenset((a, b))
            entry = pairs.setdefault(
                pair,
                {"organisations": tuple(sorted((author_org, party.organisation), key=str.casefold)),
                 "commitment_ids": [], "is_new": pair not in existing},
            )
            if c.id not in entry["commitment_ids"]:
                entry["commitment_ids"].append(c.id)
    cross = sorted(pairs.values(), key=lambda e: (-len(e["commitment_ids"]), e["organisations"]))
    return {
        "ties": ties,
        "cross_org": cross,
        "new_cross_org": [e for e in cross if e["is_new"]],
    }


def dependency_network(
    commitments: Sequence[CommitmentFacts], people: Mapping[str, str], organisations: Iterable[str] = ()
) -> nx.DiGraph:
    """A directed graph: commitment node ``c:<id>`` -> party node (``person:..`` / ``org:..``).

    Commitment nodes carry ``kind="commitment"``, ``text``, ``author``; party nodes carry ``kind``
    (person, organisation, named), ``label`` and ``organisation``.
    """
    room = _room(people, organisations)
    g = nx.DiGraph()
    for c in commitments:
        node = f"c:{c.id}"
        g.add_node(node, kind="commitment", id=c.id, text=c.text, author=c.author, status=c.status)
        for name in c.with_whom:
            party = _resolve(name, room)
            if party is None:
                continue
            if party.key not in g:
                g.add_node(party.key, kind=party.kind, label=party.label, organisation=party.organisation)
            g.add_edge(node, party.key)
    return g


def overload(graph: nx.DiGraph, threshold: int = 3) -> list[dict[str, Any]]:
    """Parties many commitments depend on, most first; ``overloaded`` when at least ``threshold``."""
    rows = []
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "commitment":
            continue
        ids = sorted(graph.nodes[src]["id"] for src in graph.predecessors(node))
        rows.append(
            {
                "key": node,
                "label": data["label"],
                "kind": data["kind"],
                "organisation": data["organisation"],
                "count": len(ids),
                "commitment_ids": ids,
                "overloaded": len(ids) >= threshold,
            }
        )
    rows.sort(key=lambda r: (-r["count"], r["label"].casefold()))
    return rows


def unpartnered(graph: nx.DiGraph) -> list[int]:
    """Ids of commitments that name no counterpart (nobody to work with: a lone promise)."""
    return sorted(
        data["id"] for node, data in graph.nodes(data=True)
        if data.get("kind") == "commitment" and graph.out_degree(node) == 0
    )


def stuck_reasons(changes: Iterable[StatusChange], form_names: Mapping[str, str]) -> dict[str, Any]:
    """What is in the way, added up: each work-avoidance form counted once per commitment, plus the
    sentences people wrote (most recent last), without repeats."""
    per_form: dict[str, set[int]] = {}
    sentences: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    stuck_ids: set[int] = set()
    for ch in changes:
        if ch.status != "stuck":
            continue
        stuck_ids.add(ch.commitment_id)
        if ch.obstacle_form:
            per_form.setdefault(ch.obstacle_form, set()).add(ch.commitment_id)
        text = " ".join(ch.obstacle.split())
        if text and (ch.commitment_id, text.casefold()) not in seen:
            seen.add((ch.commitment_id, text.casefold()))
            sentences.append({"commitment_id": ch.commitment_id, "text": text, "on": ch.on})
    forms = [
        {"key": k, "name": form_names.get(k, k), "count": len(ids)}
        for k, ids in per_form.items()
    ]
    forms.sort(key=lambda f: (-f["count"], f["name"].casefold()))
    return {"forms": forms, "sentences": sentences, "commitments_ever_stuck": len(stuck_ids)}


def _shares(statuses: Sequence[str]) -> dict[str, Any]:
    counts = Counter(statuses)
    total = len(statuses)
    return {
        "total": total,
        "counts": dict(counts),
        "done": counts.get("done", 0),
        "in_progress": counts.get("in_progress", 0),
        "done_share": counts.get("done", 0) / total if total else 0.0,
        "in_progress_share": counts.get("in_progress", 0) / total if total else 0.0,
    }


def follow_through(
    commitments: Sequence[CommitmentFacts], *, no_branch: str = "", no_org: str = ""
) -> dict[str, Any]:
    """Shares done and in progress overall, by branch and by the author's organisation."""

    def grouped(key: str, empty: str) -> list[dict[str, Any]]:
        groups: dict[str, list[str]] = {}
        labels: dict[str, str] = {}
        for c in commitments:
            label = " ".join(str(getattr(c, key)).split()) or empty
            k = normalise_name(label) or label
            labels.setdefault(k, label)
            groups.setdefault(k, []).append(c.status)
        rows = [{"label": labels[k], **_shares(v)} for k, v in groups.items()]
        rows.sort(key=lambda r: (-r["total"], r["label"].casefold()))
        return rows

    return {
        "overall": _shares([c.status for c in commitments]),
        "by_branch": grouped("branch", no_branch),
        "by_organisation": grouped("author_org", no_org),
    }


def status_over_time(
    commitment_ids: Iterable[int],
    changes: Iterable[StatusChange],
    start: date,
    end: date,
    *,
    step_days: int = 7,
    max_points: int = 60,
) -> list[dict[str, Any]]:
    """The status of every commitment as it stood on each day from ``start`` to ``end`` (inclusive,
    every ``step_days``, at most ``max_points`` points, always ending on ``end``), rebuilt from the
    status history. A commitment with no update yet counts as not started."""
    ids = list(dict.fromkeys(commitment_ids))
    history: dict[int, list[StatusChange]] = {}
    for ch in sorted(changes, key=lambda c: c.on):
        history.setdefault(ch.commitment_id, []).append(ch)
    if end < start:
        end = start
    step = max(1, step_days)
    span = (end - start).days
    if span // step + 1 > max_points:
        step = -(-span // (max_points - 1))
    days = [start + timedelta(days=d) for d in range(0, span + 1, step)]
    if days[-1] != end:
        days.append(end)
    points = []
    for day in days:
        statuses = []
        for cid in ids:
            status = "not_started"
            for ch in history.get(cid, ()):
                if ch.on <= day:
                    status = ch.status
                else:
                    break
            statuses.append(status)
        points.append({"on": day, **_shares(statuses)})
    return points

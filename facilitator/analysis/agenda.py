"""Open Space: suggest an agenda (topics into slot x space) from interest marks, and list its clashes.

Pure code: plain data in, plain data out. No Flask, no database.

Rules the suggestion keeps:

* a convener is never in two places in one slot (fixed placements chosen by the facilitator are kept
  as they are, and any clash they cause is reported);
* one topic per slot x space cell;
* topics with more interest are placed first and get the larger spaces; a topic goes into a space
  too small for its interest only when no fitting cell is free;
* topics that share interested people go into different slots where possible (a greedy placement,
  then a local search of moves and swaps that never makes the fit worse);
* topics that find no cell are returned in ``unplaced``.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import networkx as nx

__all__ = [
    "Clash",
    "Placement",
    "Slot",
    "Space",
    "Suggestion",
    "Topic",
    "clashes",
    "conflict_graph",
    "suggest_agenda",
]

Placement = tuple[int, int]  # (slot_id, space_id)


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    title: str
    convener_key: str
    interest_count: int = 0
    interested_keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def demand(self) -> int:
        """Expected attendance: the interest count, or the marks we hold if there are more."""
        return max(self.interest_count, len(self.interested_keys))

    @property
    def attendees(self) -> frozenset[str]:
        """The people we expect in the session: those interested, and its convener."""
        return self.interested_keys | {self.convener_key}


@dataclass(frozen=True, slots=True)
class Space:
    id: int
    name: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Slot:
    id: int
    order: int  # position in time: slots are used in increasing order


@dataclass(frozen=True, slots=True)
class Clash:
    """``convener``: one convener holds several of ``topic_ids`` in ``slot_id`` (people = 1).
    ``audience``: ``people`` are interested in (or convene) both topics of the pair.
    ``over_capacity``: the topic's interest exceeds its space by ``people``."""

    kind: Literal["convener", "audience", "over_capacity"]
    slot_id: int
    topic_ids: tuple[int, ...]
    people: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    placements: dict[int, Placement]  # topic id -> (slot id, space id), fixed ones included
    unplaced: list[int]  # topic ids that found no cell, most interest first
    clashes: list[Clash]

    @property
    def clash_people(self) -> int:
        """Total of people counted in audience clashes (lower is better)."""
        return sum(c.people for c in self.clashes if c.kind == "audience")


# --------------------------------------------------------------------------------------- helpers


def conflict_graph(topics: Iterable[Topic]) -> nx.Graph:
    """Topics as nodes; an edge joins two topics that share attendees, ``weight`` = how many.

    A convener counts as an attendee of their own topic, so two topics of one convener are joined too
    (``same_convener=True`` on the edge).
    """
    topic_list = list(topics)
    g = nx.Graph()
    for t in topic_list:
        g.add_node(t.id, title=t.title, demand=t.demand)
    by_person: dict[str, list[int]] = defaultdict(list)
    for t in topic_list:
        for person in t.attendees:
            by_person[person].append(t.id)
    weights: Counter[tuple[int, int]] = Counter()
    for ids in by_person.values():
        if len(ids) > 1:
            for a, b in combinations(sorted(ids), 2):
                weights[(a, b)] += 1
    convener = {t.id: t.convener_key for t in topic_list}
    for (a, b), w in weights.items():
        g.add_edge(a, b, weight=w, same_convener=convener[a] == convener[b])
    return g


def clashes(
    agenda: Mapping[int, Placement],
    topics: Iterable[Topic],
    spaces: Iterable[Space] | None = None,
) -> list[Clash]:
    """What is wrong with an agenda: conveners double-booked, shared audiences in one slot, and (when
    ``spaces`` is given) spaces smaller than a topic's interest. Topics not in ``agenda`` are ignored.

    Sorted: convener clashes first, then over-capacity, then audience clashes with most people first.
    """
    by_id = {t.id: t for t in topics}
    capacity = {sp.id: sp.capacity for sp in spaces} if spaces is not None else None
    in_slot: dict[int, list[Topic]] = defaultdict(list)
    for tid, (slot_id, _space_id) in agenda.items():
        if tid in by_id:
            in_slot[slot_id].append(by_id[tid])
    out: list[Clash] = []
    for slot_id, here in in_slot.items():
        here.sort(key=lambda t: t.id)
        by_convener: dict[str, list[int]] = defaultdict(list)
        for t in here:
            by_convener[t.convener_key].append(t.id)
        for ids in by_convener.values():
            if len(ids) > 1:
                out.append(Clash("convener", slot_id, tuple(ids), 1))
        for a, b in combinations(here, 2):
            shared = a.attendees & b.attendees
            if a.convener_key == b.convener_key:
                shared = shared - {a.convener_key}
            if shared:
                out.append(Clash("audience", slot_id, (a.id, b.id), len(shared)))
        if capacity is not None:
            for t in here:
                cap = capacity.get(agenda[t.id][1])
                if cap is not None and t.demand > cap:
                    out.append(Clash("over_capacity", slot_id, (t.id,), t.demand - cap))
    order = {"convener": 0, "over_capacity": 1, "audience": 2}
    out.sort(key=lambda c: (order[c.kind], -c.people, c.slot_id, c.topic_ids))
    return out


# ------------------------------------------------------------------------------------- scheduler


def suggest_agenda(
    topics: Sequence[Topic],
    spaces: Sequence[Space],
    slots: Sequence[Slot],
    *,
    fixed: Mapping[int, Placement] | None = None,
    time_budget: float = 1.5,
) -> Suggestion:
    """Propose an agenda. ``fixed`` placements (topic id -> (slot id, space id)) are kept as they are;
    entries for topics not in ``topics`` are ignored. ``time_budget`` bounds the improvement search
    in seconds (the greedy placement always completes).

    Raises ValueError for an unknown slot or space in ``fixed``, or two fixed topics in one cell.
    """
    fixed = dict(fixed or {})
    topic_ids = [t.id for t in topics]
    if len(set(topic_ids)) != len(topic_ids):
        raise ValueError("topic ids must be unique")
    by_id = {t.id: t for t in topics}
    slot_list = sorted(slots, key=lambda s: (s.order, s.id))
    space_list = sorted(spaces, key=lambda sp: (-sp.capacity, sp.id))
    slot_index = {s.id: i for i, s in enumerate(slot_list)}
    space_index = {sp.id: i for i, sp in enumerate(space_list)}
    if len(slot_index) != len(slot_list) or len(space_index) != len(space_list):
        raise ValueError("slot and space ids must be unique")
    n_slots, n_spaces = len(slot_list), len(space_list)
    caps = [sp.capacity for sp in space_list]

    # state, by indices: cell (slot i, space j) -> topic id
    occupant: dict[tuple[int, int], int] = {}
    where: dict[int, tuple[int, int]] = {}
    busy: list[Counter[str]] = [Counter() for _ in range(n_slots)]
    members: list[set[int]] = [set() for _ in range(n_slots)]
    locked: set[int] = set()
    for tid, (slot_id, space_id) in fixed.items():
        if tid not in by_id:
            continue
        if slot_id not in slot_index or space_id not in space_index:
            raise ValueError(f"fixed placement of topic {tid} names an unknown slot or space")
        cell = (slot_index[slot_id], space_index[space_id])
        if cell in occupant:
            raise ValueError(f"topics {occupant[cell]} and {tid} are both fixed in one cell")
        occupant[cell] = tid
        where[tid] = cell
        busy[cell[0]][by_id[tid].convener_key] += 1
        members[cell[0]].add(tid)
        locked.add(tid)

    graph = conflict_graph(topics)
    weight: dict[int, dict[int, int]] = defaultdict(dict)
    for a, b, data in graph.edges(data=True):
        w = int(data["weight"])
        if data["same_convener"]:
            w -= 1  # the shared convener is a hard constraint, not an audience clash
        if w > 0:
            weight[a][b] = w
            weight[b][a] = w

    # clash[t][i]: people t shares with the topics currently in slot i
    clash: dict[int, list[int]] = {t.id: [0] * n_slots for t in topics}
    for tid in where:
        _add_to_slot(tid, where[tid][0], weight, clash)

    def overflow(tid: int, space_i: int) -> int:
        return max(0, by_id[tid].demand - caps[space_i])

    def free_for(tid: int, slot_i: int, ignoring: int | None = None) -> bool:
        """Is the convener of ``tid`` free in slot ``slot_i`` (apart from ``tid`` and ``ignoring``)?"""
        conv = by_id[tid].convener_key
        count = busy[slot_i][conv]
        if tid in members[slot_i]:
            count -= 1
        if ignoring is not None and ignoring in members[slot_i] and by_id[ignoring].convener_key == conv:
            count -= 1
        return count <= 0

    def place(tid: int, cell: tuple[int, int]) -> None:
        occupant[cell] = tid
        where[tid] = cell
        busy[cell[0]][by_id[tid].convener_key] += 1
        members[cell[0]].add(tid)
        _add_to_slot(tid, cell[0], weight, clash)

    def unplace(tid: int) -> tuple[int, int]:
        cell = where.pop(tid)
        del occupant[cell]
        busy[cell[0]][by_id[tid].convener_key] -= 1
        members[cell[0]].discard(tid)
        _remove_from_slot(tid, cell[0], weight, clash)
        return cell

    # 1. greedy: most interest first, into the best free cell
    queue = sorted((t for t in topics if t.id not in where), key=lambda t: (-t.demand, t.id))
    unplaced: list[int] = []
    for t in queue:
        best: tuple[tuple[int, int, int, int, int, int], tuple[int, int]] | None = None
        for i in range(n_slots):
            if busy[i][t.convener_key]:
                continue
            for j in range(n_spaces):
                if (i, j) in occupant:
                    continue
                key = (overflow(t.id, j), clash[t.id][i], len(members[i]), -caps[j], i, j)
                if best is None or key < best[0]:
                    best = (key, (i, j))
        if best is None:
            unplaced.append(t.id)
        else:
            place(t.id, best[1])

    # 2. repair: an unplaced topic whose convener is busy wherever a cell is free may still fit if a
    #    placed topic moves into that free cell and hands over its own
    still: list[int] = []
    for tid in unplaced:
        done = False
        free_cells = [(i, j) for i in range(n_slots) for j in range(n_spaces) if (i, j) not in occupant]
        options: list[tuple[tuple[int, int, int], int, tuple[int, int]]] = []
        for free_cell in free_cells:
            for other, cell in list(where.items()):
                if other in locked or cell[0] == free_cell[0]:
                    continue
                if busy[cell[0]][by_id[tid].convener_key]:
                    continue
                if not free_for(other, free_cell[0]):
                    continue
                cost = (
                    overflow(tid, cell[1]) + overflow(other, free_cell[1]),
                    clash[tid][cell[0]] + clash[other][free_cell[0]],
                    other,
                )
                options.append((cost, other, free_cell))
        if options:
            _, other, free_cell = min(options)
            cell = unplace(other)
            place(other, free_cell)
            place(tid, cell)
            done = True
        if not done:
            still.append(tid)
    unplaced = still

    # 3. improve: moves into free cells and swaps between slots, lowering (overflow, clash)
    deadline = time.perf_counter() + max(0.0, time_budget)
    movable = sorted(tid for tid in where if tid not in locked)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for tid in movable:
            si, sj = where[tid]
            own_over = overflow(tid, sj)
            own_clash = clash[tid][si]
            best_move: tuple[tuple[int, int], tuple[int, int]] | None = None
            for i in range(n_slots):
                if i == si or not free_for(tid, i):
                    continue
                for j in range(n_spaces):
                    if (i, j) in occupant:
                        continue
                    gain = (own_over - overflow(tid, j), own_clash - clash[tid][i])
                    if overflow(tid, j) <= own_over and gain > (0, 0):
                        if best_move is None or gain > best_move[0]:
                            best_move = (gain, (i, j))
            if best_move is not None:
                unplace(tid)
                place(tid, best_move[1])
                improved = True
        for a_pos, a in enumerate(movable):
            if time.perf_counter() >= deadline:
                break
            for b in movable[a_pos + 1 :]:
                (ai, aj), (bi, bj) = where[a], where[b]
                if ai == bi:
                    continue
                if overflow(a, bj) > overflow(a, aj) or overflow(b, aj) > overflow(b, bj):
                    continue
                w_ab = weight[a].get(b, 0)
                before = clash[a][ai] + clash[b][bi]
                after = (clash[a][bi] - w_ab) + (clash[b][ai] - w_ab)
                over_gain = overflow(a, aj) + overflow(b, bj) - overflow(a, bj) - overflow(b, aj)
                if (over_gain, before - after) <= (0, 0):
                    continue
                if not (free_for(a, bi, ignoring=b) and free_for(b, ai, ignoring=a)):
                    continue
                unplace(a)
                unplace(b)
                place(a, (bi, bj))
                place(b, (ai, aj))
                improved = True

    placements = {tid: (slot_list[i].id, space_list[j].id) for tid, (i, j) in where.items()}
    unplaced.sort(key=lambda tid: (-by_id[tid].demand, tid))
    return Suggestion(
        placements=placements,
        unplaced=unplaced,
        clashes=clashes(placements, topics, spaces),
    )


def _add_to_slot(
    tid: int, slot_i: int, weight: Mapping[int, Mapping[int, int]], clash: dict[int, list[int]]
) -> None:
    for other, w in weight.get(tid, {}).items():
        if other in clash:
            clash[other][slot_i] += w


def _remove_from_slot(
    tid: int, slot_i: int, weight: Mapping[int, Mapping[int, int]], clash: dict[int, list[int]]
) -> None:
    for other, w in weight.get(tid, {}).items():
        if other in clash:
            clash[other][slot_i] -= w

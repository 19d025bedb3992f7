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
* topics that find no cell are returned in ``unplaced``; when the greedy placement leaves topics out
  although cells are free, a min-cost flow (networkx) places as many topics as the conveners allow,
  so every topic is placed whenever there is room;
* it is never worse than the obvious approach: ``greedy_baseline`` (most interest first, into the
  earliest slot with a free cell) is one of the candidates, and the candidate with fewest unplaced
  topics, then fewest audience clashes, then least overflow wins.

Every candidate is *settled* before it is compared: a topic too big for its space moves to a free cell
that fits it better (where its convener is free), and inside each slot the largest spaces go to the
topics with most interest.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    "greedy_baseline",
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

Cell = tuple[int, int]  # (slot index, space index) on the board


class _Board:
    """The agenda being built, by indices: slots in time order, spaces largest first."""

    def __init__(
        self,
        by_id: Mapping[int, Topic],
        caps: Sequence[int],
        n_slots: int,
        weight: Mapping[int, dict[int, int]],
    ) -> None:
        self.by_id = by_id
        self.caps = list(caps)
        self.n_slots = n_slots
        self.n_spaces = len(caps)
        self.weight = weight
        self.occupant: dict[Cell, int] = {}
        self.where: dict[int, Cell] = {}
        self.busy: list[Counter[str]] = [Counter() for _ in range(n_slots)]
        self.members: list[set[int]] = [set() for _ in range(n_slots)]
        self.locked: set[int] = set()
        # clash[t][i]: people topic t shares with the topics now in slot i
        self.clash: dict[int, list[int]] = {tid: [0] * n_slots for tid in by_id}

    def copy(self) -> _Board:
        other = _Board.__new__(_Board)
        other.by_id, other.caps, other.n_slots, other.n_spaces = (
            self.by_id,
            self.caps,
            self.n_slots,
            self.n_spaces,
        )
        other.weight = self.weight
        other.occupant = dict(self.occupant)
        other.where = dict(self.where)
        other.busy = [Counter(c) for c in self.busy]
        other.members = [set(m) for m in self.members]
        other.locked = set(self.locked)
        other.clash = {tid: list(v) for tid, v in self.clash.items()}
        return other

    def overflow(self, tid: int, space_i: int) -> int:
        return max(0, self.by_id[tid].demand - self.caps[space_i])

    def free_for(self, tid: int, slot_i: int, ignoring: int | None = None) -> bool:
        """Is the convener of ``tid`` free in slot ``slot_i`` (apart from ``tid`` and ``ignoring``)?"""
        conv = self.by_id[tid].convener_key
        count = self.busy[slot_i][conv]
        if tid in self.members[slot_i]:
            count -= 1
        if (
            ignoring is not None
            and ignoring in self.members[slot_i]
            and self.by_id[ignoring].convener_key == conv
        ):
            count -= 1
        return count <= 0

    def place(self, tid: int, cell: Cell) -> None:
        self.occupant[cell] = tid
        self.where[tid] = cell
        self.busy[cell[0]][self.by_id[tid].convener_key] += 1
        self.members[cell[0]].add(tid)
        for other, w in self.weight.get(tid, {}).items():
            if other in self.clash:
                self.clash[other][cell[0]] += w

    def unplace(self, tid: int) -> Cell:
        cell = self.where.pop(tid)
        del self.occupant[cell]
        self.busy[cell[0]][self.by_id[tid].convener_key] -= 1
        self.members[cell[0]].discard(tid)
        for other, w in self.weight.get(tid, {}).items():
            if other in self.clash:
                self.clash[other][cell[0]] -= w
        return cell

    def free_cells(self) -> list[Cell]:
        return [
            (i, j) for i in range(self.n_slots) for j in range(self.n_spaces) if (i, j) not in self.occupant
        ]

    def total_overflow(self) -> int:
        return sum(self.overflow(tid, cell[1]) for tid, cell in self.where.items())

    def total_clash(self) -> int:
        return sum(self.clash[tid][cell[0]] for tid, cell in self.where.items()) // 2

    def score(self) -> tuple[int, int, int]:
        """Lower is better: topics left out, people in audience clashes, people over capacity."""
        return (len(self.by_id) - len(self.where), self.total_clash(), self.total_overflow())


def _weights(topics: Sequence[Topic]) -> dict[int, dict[int, int]]:
    weight: dict[int, dict[int, int]] = defaultdict(dict)
    for a, b, data in conflict_graph(topics).edges(data=True):
        w = int(data["weight"])
        if data["same_convener"]:
            w -= 1  # the shared convener is a hard constraint, not an audience clash
        if w > 0:
            weight[a][b] = w
            weight[b][a] = w
    return weight


def _queue(board: _Board) -> list[int]:
    """Topics still to place, most interest first."""
    waiting = [tid for tid in board.by_id if tid not in board.where]
    return sorted(waiting, key=lambda tid: (-board.by_id[tid].demand, tid))


def _greedy_aware(board: _Board) -> None:
    """Most interest first, into the cell with least overflow, then least shared audience."""
    for tid in _queue(board):
        t = board.by_id[tid]
        best: tuple[tuple[int, int, int, int, int, int], Cell] | None = None
        for i in range(board.n_slots):
            if board.busy[i][t.convener_key]:
                continue
            for j in range(board.n_spaces):
                if (i, j) in board.occupant:
                    continue
                key = (
                    board.overflow(tid, j),
                    board.clash[tid][i],
                    len(board.members[i]),
                    -board.caps[j],
                    i,
                    j,
                )
                if best is None or key < best[0]:
                    best = (key, (i, j))
        if best is not None:
            board.place(tid, best[1])
    _repair(board)


def _greedy_plain(board: _Board) -> None:
    """The obvious approach: most interest first, into the earliest slot with a free cell (largest space
    there) where the convener is free. Blind to shared audiences."""
    for tid in _queue(board):
        t = board.by_id[tid]
        for i in range(board.n_slots):
            if board.busy[i][t.convener_key]:
                continue
            free = [j for j in range(board.n_spaces) if (i, j) not in board.occupant]
            if free:
                board.place(tid, (i, free[0]))
                break


def _repair(board: _Board) -> None:
    """An unplaced topic whose convener is busy wherever a cell is free may still fit if a placed topic
    moves into that free cell and hands over its own."""
    for tid in _queue(board):
        conv = board.by_id[tid].convener_key
        options: list[tuple[tuple[int, int, int], int, Cell]] = []
        for free_cell in board.free_cells():
            for other, cell in board.where.items():
                if other in board.locked or cell[0] == free_cell[0] or board.busy[cell[0]][conv]:
                    continue
                if not board.free_for(other, free_cell[0]):
                    continue
                cost = (
                    board.overflow(tid, cell[1]) + board.overflow(other, free_cell[1]),
                    board.clash[tid][cell[0]] + board.clash[other][free_cell[0]],
                    other,
                )
                options.append((cost, other, free_cell))
        if options:
            _, other, free_cell = min(options)
            cell = board.unplace(other)
            board.place(other, free_cell)
            board.place(tid, cell)


def _flow_fill(board: _Board) -> None:
    """Place as many movable topics as the conveners and free cells allow (a min-cost max-flow that
    prefers topics with more interest), then settle spaces. Used when the greedy placement left topics
    out although cells were free."""
    movable = [tid for tid in board.by_id if tid not in board.locked]
    for tid in movable:
        if tid in board.where:
            board.unplace(tid)
    room = [board.n_spaces - len(board.members[i]) for i in range(board.n_slots)]
    g = nx.DiGraph()
    for tid in movable:
        t = board.by_id[tid]
        g.add_edge("source", ("topic", tid), capacity=1, weight=-(t.demand + 1))
        for i in range(board.n_slots):
            if room[i] > 0 and not board.busy[i][t.convener_key]:
                g.add_edge(("topic", tid), ("convener", t.convener_key, i), capacity=1, weight=0)
                g.add_edge(("convener", t.convener_key, i), ("slot", i), capacity=1, weight=0)
    for i in range(board.n_slots):
        if room[i] > 0:
            g.add_edge(("slot", i), "sink", capacity=room[i], weight=0)
    if "sink" not in g or "source" not in g:
        return
    flow = nx.max_flow_min_cost(g, "source", "sink")
    for tid in sorted(movable, key=lambda tid: (-board.by_id[tid].demand, tid)):
        for node, amount in flow.get(("topic", tid), {}).items():
            if amount:
                slot_i = node[2]
                space_j = next(j for j in range(board.n_spaces) if (slot_i, j) not in board.occupant)
                board.place(tid, (slot_i, space_j))
                break
    _normalise(board)


def _normalise(board: _Board) -> bool:
    """Inside each slot, the topics with most interest get the largest spaces (fixed topics stay).
    Shared audiences do not change; overflow never grows. True if overflow went down."""
    before = board.total_overflow()
    for i in range(board.n_slots):
        movable = sorted(
            (tid for tid in board.members[i] if tid not in board.locked),
            key=lambda tid: (-board.by_id[tid].demand, tid),
        )
        if not movable:
            continue
        taken = {board.where[tid][1] for tid in board.members[i] if tid in board.locked}
        spaces = [j for j in range(board.n_spaces) if j not in taken][: len(movable)]
        current = {tid: board.where[tid][1] for tid in movable}
        wanted = dict(zip(movable, spaces, strict=True))
        if wanted == current:
            continue
        for tid in movable:
            board.unplace(tid)
        for tid in movable:
            board.place(tid, (i, wanted[tid]))
    return board.total_overflow() < before


def _settle(board: _Board) -> None:
    """No topic sits over capacity where a free cell would hold it better: move it there, and give the
    larger spaces of each slot to the topics with more interest."""
    _normalise(board)
    moved = True
    while moved:
        moved = False
        for tid in sorted(board.where, key=lambda tid: (-board.by_id[tid].demand, tid)):
            if tid in board.locked:
                continue
            si, sj = board.where[tid]
            own = board.overflow(tid, sj)
            if own == 0:
                continue
            best: tuple[tuple[int, int], Cell] | None = None
            for i, j in board.free_cells():
                if not board.free_for(tid, i):
                    continue
                key = (board.overflow(tid, j), board.clash[tid][i] if i != si else board.clash[tid][si])
                if key[0] < own and (best is None or key < best[0]):
                    best = (key, (i, j))
            if best is not None:
                board.unplace(tid)
                board.place(tid, best[1])
                moved = True
        if _normalise(board):
            moved = True


def _improve(board: _Board, deadline: float) -> None:
    """Local search: moves into free cells and swaps between slots, lowering (overflow, shared audience)."""
    movable = sorted(tid for tid in board.where if tid not in board.locked)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for tid in movable:
            si, sj = board.where[tid]
            own_over = board.overflow(tid, sj)
            own_clash = board.clash[tid][si]
            best_move: tuple[tuple[int, int], Cell] | None = None
            for i in range(board.n_slots):
                if i == si or not board.free_for(tid, i):
                    continue
                for j in range(board.n_spaces):
                    if (i, j) in board.occupant:
                        continue
                    over = board.overflow(tid, j)
                    gain = (own_over - over, own_clash - board.clash[tid][i])
                    if over <= own_over and gain > (0, 0) and (best_move is None or gain > best_move[0]):
                        best_move = (gain, (i, j))
            if best_move is not None:
                board.unplace(tid)
                board.place(tid, best_move[1])
                improved = True
        for a_pos, a in enumerate(movable):
            if time.perf_counter() >= deadline:
                break
            for b in movable[a_pos + 1 :]:
                (ai, aj), (bi, bj) = board.where[a], board.where[b]
                if ai == bi:
                    continue
                if board.overflow(a, bj) > board.overflow(a, aj) or board.overflow(b, aj) > board.overflow(
                    b, bj
                ):
                    continue
                w_ab = board.weight.get(a, {}).get(b, 0)
                before = board.clash[a][ai] + board.clash[b][bi]
                after = (board.clash[a][bi] - w_ab) + (board.clash[b][ai] - w_ab)
                over_gain = (
                    board.overflow(a, aj)
                    + board.overflow(b, bj)
                    - board.overflow(a, bj)
                    - board.overflow(b, aj)
                )
                if (over_gain, before - after) <= (0, 0):
                    continue
                if not (board.free_for(a, bi, ignoring=b) and board.free_for(b, ai, ignoring=a)):
                    continue
                board.unplace(a)
                board.unplace(b)
                board.place(a, (bi, bj))
                board.place(b, (ai, aj))
                improved = True
        if _normalise(board):
            improved = True


def _start(
    topics: Sequence[Topic],
    spaces: Sequence[Space],
    slots: Sequence[Slot],
    fixed: Mapping[int, Placement] | None,
) -> tuple[_Board, list[Slot], list[Space]]:
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
    board = _Board(by_id, [sp.capacity for sp in space_list], len(slot_list), _weights(topics))
    for tid, (slot_id, space_id) in (fixed or {}).items():
        if tid not in by_id:
            continue
        if slot_id not in slot_index or space_id not in space_index:
            raise ValueError(f"fixed placement of topic {tid} names an unknown slot or space")
        cell = (slot_index[slot_id], space_index[space_id])
        if cell in board.occupant:
            raise ValueError(f"topics {board.occupant[cell]} and {tid} are both fixed in one cell")
        board.place(tid, cell)
        board.locked.add(tid)
    return board, slot_list, space_list


def _result(
    board: _Board,
    topics: Sequence[Topic],
    spaces: Sequence[Space],
    slot_list: list[Slot],
    space_list: list[Space],
) -> Suggestion:
    placements = {tid: (slot_list[i].id, space_list[j].id) for tid, (i, j) in board.where.items()}
    unplaced = sorted(
        (tid for tid in board.by_id if tid not in board.where),
        key=lambda tid: (-board.by_id[tid].demand, tid),
    )
    return Suggestion(placements=placements, unplaced=unplaced, clashes=clashes(placements, topics, spaces))


def greedy_baseline(
    topics: Sequence[Topic],
    spaces: Sequence[Space],
    slots: Sequence[Slot],
    *,
    fixed: Mapping[int, Placement] | None = None,
) -> Suggestion:
    """The yardstick: most interest first, each into the earliest slot with a free cell where its
    convener is free, then settled (fitting spaces, largest spaces to most interest). Blind to shared
    audiences; ``suggest_agenda`` is never worse than this."""
    board, slot_list, space_list = _start(topics, spaces, slots, fixed)
    _greedy_plain(board)
    _settle(board)
    return _result(board, topics, spaces, slot_list, space_list)


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
    in seconds (the greedy placements always complete).

    Raises ValueError for an unknown slot or space in ``fixed``, or two fixed topics in one cell.
    """
    start, slot_list, space_list = _start(topics, spaces, slots, fixed)
    builders: list[Callable[[_Board], None]] = [_greedy_aware, _greedy_plain]
    boards: list[_Board] = []
    for build in builders:
        board = start.copy()
        build(board)
        _settle(board)
        boards.append(board)
    if any(b.score()[0] and b.free_cells() for b in boards):
        board = start.copy()
        _flow_fill(board)
        _settle(board)
        boards.append(board)
    candidates = list(boards)
    if time_budget > 0:
        share = time_budget / len(boards)
        for board in boards:
            better = board.copy()
            _improve(better, time.perf_counter() + share)
            _settle(better)
            candidates.append(better)
    best = min(candidates, key=lambda b: b.score())
    return _result(best, topics, spaces, slot_list, space_list)

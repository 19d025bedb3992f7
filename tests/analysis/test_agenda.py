"""Open Space agenda suggestion and clash report, as pure functions."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from facilitator.analysis.agenda import (
    Clash,
    Slot,
    Space,
    Suggestion,
    Topic,
    clashes,
    conflict_graph,
    suggest_agenda,
)


def topic(tid: int, convener: str, people: str | list[str] = "", interest: int | None = None) -> Topic:
    keys = frozenset(people.split() if isinstance(people, str) else people)
    return Topic(tid, f"Topic {tid}", convener, len(keys) if interest is None else interest, keys)


def random_event(
    seed: int, n_topics: int, n_spaces: int, n_slots: int, n_people: int = 200
) -> tuple[list[Topic], list[Space], list[Slot]]:
    rnd = random.Random(seed)
    people = [f"p{i}" for i in range(n_people)]
    conveners = people[: max(1, n_topics // 2)]  # some people convene several topics
    topics = [
        topic(i + 1, rnd.choice(conveners), rnd.sample(people, rnd.randint(0, min(30, n_people))))
        for i in range(n_topics)
    ]
    spaces = [Space(100 + j, f"Room {j}", rnd.choice([8, 12, 20, 30, 60])) for j in range(n_spaces)]
    slots = [Slot(200 + k, k) for k in range(n_slots)]
    return topics, spaces, slots


def assert_sound(s: Suggestion, topics: list[Topic], fixed: dict[int, tuple[int, int]] | None = None) -> None:
    cells = Counter(s.placements.values())
    assert all(n == 1 for n in cells.values()), "a slot x space cell is double-booked"
    by_id = {t.id: t for t in topics}
    per_slot = Counter((slot, by_id[tid].convener_key) for tid, (slot, _) in s.placements.items())
    fixed = fixed or {}
    fixed_pairs = Counter((slot, by_id[tid].convener_key) for tid, (slot, _) in fixed.items())
    for key, n in per_slot.items():
        assert n == 1 or n == fixed_pairs[key], f"convener double-booked: {key}"
    assert set(s.placements) | set(s.unplaced) == set(by_id)
    assert not set(s.placements) & set(s.unplaced)
    for tid, cell in fixed.items():
        assert s.placements[tid] == cell


def test_topics_sharing_people_go_to_different_slots() -> None:
    topics = [
        topic(1, "ann", "a b c d e"),
        topic(2, "bob", "a b c d e"),
        topic(3, "cat", "v w x"),
        topic(4, "dan", "y z"),
    ]
    s = suggest_agenda(topics, [Space(1, "Hall", 30), Space(2, "Room", 10)], [Slot(1, 0), Slot(2, 1)])
    assert s.placements[1][0] != s.placements[2][0]
    assert s.clashes == [] and s.unplaced == []


def test_most_interest_gets_the_largest_space() -> None:
    topics = [topic(1, "a", [f"p{i}" for i in range(40)]), topic(2, "b", "q r")]
    spaces = [Space(1, "Small", 5), Space(2, "Big", 50)]
    s = suggest_agenda(topics, spaces, [Slot(1, 0)])
    assert s.placements == {1: (1, 2), 2: (1, 1)}


def test_a_fitting_space_is_used_when_one_is_free() -> None:
    topics = [topic(1, "a", interest=30), topic(2, "b", interest=10)]
    spaces = [Space(1, "Twenty", 20), Space(2, "Forty", 40)]
    s = suggest_agenda(topics, spaces, [Slot(1, 0), Slot(2, 1)])
    assert s.placements[1][1] == 2
    assert not [c for c in s.clashes if c.kind == "over_capacity"]


def test_a_convener_is_never_in_two_places() -> None:
    topics = [topic(1, "ann", interest=9), topic(2, "ann", interest=8), topic(3, "ann", interest=7)]
    s = suggest_agenda(topics, [Space(1, "A", 10), Space(2, "B", 10)], [Slot(1, 0), Slot(2, 1)])
    assert_sound(s, topics)
    assert len({slot for slot, _ in s.placements.values()}) == 2
    assert s.unplaced == [3]  # the least interest is left out


def test_topics_that_do_not_fit_are_returned_separately() -> None:
    topics = [topic(i, f"c{i}", interest=i) for i in range(1, 6)]
    s = suggest_agenda(topics, [Space(1, "A", 10), Space(2, "B", 10)], [Slot(1, 0)])
    assert sorted(s.placements) == [4, 5]
    assert s.unplaced == [3, 2, 1]


def test_every_topic_is_placed_when_there_is_room() -> None:
    for seed in range(10):
        topics, spaces, slots = random_event(seed, 30, 6, 5)
        topics = [topic(t.id, f"own{t.id}", list(t.interested_keys)) for t in topics]  # distinct conveners
        s = suggest_agenda(topics, spaces, slots)
        assert s.unplaced == []
        assert_sound(s, topics)


def test_fixed_placements_are_respected() -> None:
    topics, spaces, slots = random_event(7, 40, 5, 6)
    fixed = {topics[5].id: (slots[0].id, spaces[0].id), topics[9].id: (slots[0].id, spaces[1].id)}
    s = suggest_agenda(topics, spaces, slots, fixed=fixed)
    assert_sound(s, topics, fixed)


def test_fixed_placements_are_checked() -> None:
    topics = [topic(1, "a"), topic(2, "b")]
    spaces, slots = [Space(1, "A", 10)], [Slot(1, 0)]
    with pytest.raises(ValueError):
        suggest_agenda(topics, spaces, slots, fixed={1: (1, 1), 2: (1, 1)})
    with pytest.raises(ValueError):
        suggest_agenda(topics, spaces, slots, fixed={1: (9, 1)})
    s = suggest_agenda(topics, spaces, slots, fixed={77: (1, 1)})  # a topic merged away: ignored
    assert len(s.placements) == 1


@pytest.mark.parametrize("seed", range(25))
def test_random_agendas_are_sound_and_no_worse_than_greedy(seed: int) -> None:
    rnd = random.Random(seed)
    topics, spaces, slots = random_event(seed, rnd.randint(1, 60), rnd.randint(1, 8), rnd.randint(1, 6))
    fixed = {}
    if rnd.random() < 0.5 and len(topics) > 2:
        fixed = {topics[0].id: (slots[-1].id, spaces[0].id)}
    greedy = suggest_agenda(topics, spaces, slots, fixed=fixed, time_budget=0)
    full = suggest_agenda(topics, spaces, slots, fixed=fixed)
    assert_sound(greedy, topics, fixed)
    assert_sound(full, topics, fixed)
    assert len(full.placements) >= len(greedy.placements)
    assert full.clash_people <= greedy.clash_people


def test_no_space_is_over_capacity_where_a_fitting_space_was_free() -> None:
    for seed in range(15):
        topics, spaces, slots = random_event(seed, 25, 6, 6)
        s = suggest_agenda(topics, spaces, slots)
        used = set(s.placements.values())
        by_id = {t.id: t for t in topics}
        capacity = {sp.id: sp.capacity for sp in spaces}
        for c in s.clashes:
            if c.kind != "over_capacity":
                continue
            t = by_id[c.topic_ids[0]]
            busy_slots = {
                slot for tid, (slot, _) in s.placements.items() if by_id[tid].convener_key == t.convener_key
            }
            for slot in slots:
                for sp in spaces:
                    free = (slot.id, sp.id) not in used and slot.id not in busy_slots
                    assert not (free and capacity[sp.id] >= t.demand)


def test_clashes_are_listed_and_counted() -> None:
    topics = [
        topic(1, "ann", "x y z"),
        topic(2, "ann", "x q"),  # same convener as 1
        topic(3, "bob", "x y ann"),  # ann is interested here too
        topic(4, "cat", "p"),
    ]
    agenda = {1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 1)}
    found = clashes(agenda, topics, [Space(1, "A", 2), Space(2, "B", 10), Space(3, "C", 10)])
    assert found[0] == Clash("convener", 1, (1, 2), 1)
    assert Clash("over_capacity", 1, (1,), 1) in found  # 3 interested in a space for 2
    audience = {c.topic_ids: c.people for c in found if c.kind == "audience"}
    assert audience == {(1, 2): 1, (1, 3): 3, (2, 3): 2}  # x; x, y and ann; x and ann


def test_conflict_graph_weights() -> None:
    g = conflict_graph([topic(1, "a", "x y"), topic(2, "b", "x y a"), topic(3, "c", "z")])
    assert g[1][2]["weight"] == 3  # x, y and a (who convenes 1)
    assert not g.has_edge(1, 3)


def test_a_large_event_is_arranged_quickly() -> None:
    rnd = random.Random(42)
    people = [f"p{i}" for i in range(500)]
    topics = [topic(i, rnd.choice(people[:120]), rnd.sample(people, rnd.randint(0, 30))) for i in range(150)]
    spaces = [Space(j, f"Room {j}", rnd.choice([10, 20, 30, 50])) for j in range(12)]
    slots = [Slot(k, k) for k in range(6)]
    started = time.perf_counter()
    s = suggest_agenda(topics, spaces, slots)
    assert time.perf_counter() - started < 2.0
    assert len(s.placements) == 72
    assert_sound(s, topics)

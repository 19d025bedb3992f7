"""Property tests of the Open Space scheduler (hypothesis): whatever the interest marks, the agenda keeps
its promises to conveners, spaces and the room."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.analysis.agenda import Slot, Space, Topic, greedy_baseline, suggest_agenda

PEOPLE = [f"p{i}" for i in range(12)]


@st.composite
def events(draw: st.DrawFn, room: bool = False) -> tuple[list[Topic], list[Space], list[Slot]]:
    n_slots = draw(st.integers(1, 4))
    n_spaces = draw(st.integers(1, 4))
    capacities = draw(st.lists(st.integers(1, 8), min_size=n_spaces, max_size=n_spaces))
    most = n_slots * n_spaces if room else 14
    n_topics = draw(st.integers(0, most))
    topics = []
    per_convener: Counter[str] = Counter()
    for i in range(n_topics):
        convener = draw(st.sampled_from(PEOPLE[:6]))
        if room and per_convener[convener] >= n_slots:
            # "room" means: enough cells, and no convener has more topics than there are slots
            convener = next(p for p in PEOPLE if per_convener[p] < n_slots)
        per_convener[convener] += 1
        marks = frozenset(draw(st.lists(st.sampled_from(PEOPLE), max_size=8)))
        topics.append(Topic(i + 1, f"Topic {i + 1}", convener, len(marks), marks))
    spaces = [Space(100 + j, f"Room {j}", c) for j, c in enumerate(capacities)]
    slots = [Slot(200 + k, k) for k in range(n_slots)]
    return topics, spaces, slots


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(events())
def test_no_convener_is_double_booked_and_no_cell_holds_two(event) -> None:
    topics, spaces, slots = event
    s = suggest_agenda(topics, spaces, slots, time_budget=0.2)
    by_id = {t.id: t for t in topics}
    assert all(n == 1 for n in Counter(s.placements.values()).values())
    assert all(
        n == 1
        for n in Counter((slot, by_id[t].convener_key) for t, (slot, _) in s.placements.items()).values()
    )
    assert set(s.placements) | set(s.unplaced) == set(by_id) and not set(s.placements) & set(s.unplaced)


@FAST
@given(events())
def test_no_space_is_over_capacity_where_a_fitting_space_exists(event) -> None:
    topics, spaces, slots = event
    s = suggest_agenda(topics, spaces, slots, time_budget=0.2)
    by_id = {t.id: t for t in topics}
    capacity = {sp.id: sp.capacity for sp in spaces}
    used = set(s.placements.values())
    for tid, (slot_id, space_id) in s.placements.items():
        t = by_id[tid]
        if t.demand <= capacity[space_id]:
            continue
        busy = {sl for other, (sl, _) in s.placements.items() if by_id[other].convener_key == t.convener_key}
        # no free cell that holds it better in a slot where its convener is free ...
        for slot in slots:
            if slot.id in busy and slot.id != slot_id:
                continue
            for sp in spaces:
                if (slot.id, sp.id) not in used:
                    assert capacity[sp.id] <= capacity[space_id]
        # ... and in its own slot the larger spaces went to topics with at least as much interest
        for other, (sl, sp) in s.placements.items():
            if sl == slot_id and other != tid and capacity[sp] > capacity[space_id]:
                assert by_id[other].demand >= t.demand


@FAST
@given(events(room=True))
def test_every_topic_is_placed_when_there_is_room(event) -> None:
    topics, spaces, slots = event
    s = suggest_agenda(topics, spaces, slots, time_budget=0.2)
    assert s.unplaced == []
    assert len(s.placements) == len(topics)


@FAST
@given(events())
def test_never_worse_than_the_simple_greedy_baseline(event) -> None:
    topics, spaces, slots = event
    ours = suggest_agenda(topics, spaces, slots, time_budget=0.2)
    base = greedy_baseline(topics, spaces, slots)
    assert len(ours.unplaced) <= len(base.unplaced)
    if len(ours.unplaced) == len(base.unplaced):
        assert ours.clash_people <= base.clash_people

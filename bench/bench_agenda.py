"""Benchmark: auto-arrange an Open Space of 150 topics, 12 spaces, 6 slots and 500 participants' marks.

    .venv/bin/python bench/bench_agenda.py [--runs 5] [--seed 42]

Prints the time of each run and the median; the target is under 2 s per run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from facilitator.analysis.agenda import Slot, Space, Topic, greedy_baseline, suggest_agenda


def event(seed: int) -> tuple[list[Topic], list[Space], list[Slot]]:
    rnd = random.Random(seed)
    people = [f"p{i}" for i in range(500)]
    marks: dict[int, set[str]] = {i: set() for i in range(150)}
    popularity = [rnd.paretovariate(1.2) for _ in range(150)]  # a few topics draw most of the room
    for person in people:
        for tid in rnd.choices(range(150), weights=popularity, k=rnd.randint(2, 8)):
            marks[tid].add(person)
    conveners = rnd.sample(people, 110)  # some people convene two topics
    topics = [
        Topic(
            id=i + 1,
            title=f"Topic {i + 1}",
            convener_key=conveners[i % len(conveners)],
            interest_count=len(marks[i]),
            interested_keys=frozenset(marks[i]),
        )
        for i in range(150)
    ]
    spaces = [Space(100 + j, f"Room {j}", rnd.choice([10, 15, 20, 30, 50, 80])) for j in range(12)]
    slots = [Slot(200 + k, k) for k in range(6)]
    return topics, spaces, slots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    topics, spaces, slots = event(args.seed)
    marks = sum(len(t.interested_keys) for t in topics)
    print(
        f"{len(topics)} topics, {len(spaces)} spaces, {len(slots)} slots, 500 people, {marks} interest marks"
    )
    times = []
    for run in range(args.runs):
        started = time.perf_counter()
        s = suggest_agenda(topics, spaces, slots)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        over = sum(c.people for c in s.clashes if c.kind == "over_capacity")
        print(
            f"run {run + 1}: {elapsed:.3f} s  placed {len(s.placements)}  unplaced {len(s.unplaced)}  "
            f"audience clashes {s.clash_people} people  over capacity {over} people"
        )
    base = greedy_baseline(topics, spaces, slots)
    print(f"greedy baseline: audience clashes {base.clash_people} people")
    print(f"median {statistics.median(times):.3f} s, max {max(times):.3f} s (target < 2 s)")


if __name__ == "__main__":
    main()

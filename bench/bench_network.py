"""Benchmark of the stakeholder-map analysis on a large, seeded random map.

    .venv/bin/python bench/bench_network.py [--nodes 2000] [--edges 5000] [--repeat 3]

Builds a map of 2,000 stakeholders in ~10 organisations and 6 sectors with 5,000 relationships
(most inside organisations), then times the calls the app makes: metrics, a full layout, a layout
that keeps previous positions and adds one stakeholder, and ``place_one``. Prints best and median
of the repeats against the targets of issue 3 (metrics < 1 s, full layout < 3 s, one new
stakeholder < 50 ms).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def make_map(n_nodes: int, n_edges: int, seed: int = 42) -> tuple[list[Any], list[Any]]:
    from facilitator.analysis.network import EdgeIn, NodeIn

    rng = random.Random(seed)
    organisations = [f"Organisation {i}" for i in range(10)]
    weights = [1.0 / (i + 1) ** 0.7 for i in range(len(organisations))]  # unequal sizes
    sectors = ["Health", "Local authority", "Voluntary", "Police", "Education", "Housing"]
    org_sector = {org: sectors[i % len(sectors)] for i, org in enumerate(organisations)}
    nodes = []
    members: dict[str, list[int]] = {org: [] for org in organisations}
    for i in range(n_nodes):
        org = rng.choices(organisations, weights)[0]
        members[org].append(i)
        blank = rng.random() < 0.03
        nodes.append(
            NodeIn(
                id=i,
                name=f"Stakeholder {i}",
                kind=rng.choice(["person", "team", "organisation", "group"]),
                organisation="" if blank else org,
                sector="" if blank else org_sector[org],
                influence=rng.randint(1, 5),
                interest=rng.randint(1, 5),
                stance=rng.choice(["supportive", "neutral", "opposed", None]),
            )
        )
    org_of = {i: org for org, ids in members.items() for i in ids}
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < n_edges:
        u = rng.randrange(n_nodes)
        v = rng.choice(members[org_of[u]]) if rng.random() < 0.7 else rng.randrange(n_nodes)
        if u != v:
            pairs.add((min(u, v), max(u, v)))
    edges = [
        EdgeIn(
            id=i,
            source=u,
            target=v,
            kind=rng.choice(["collaborates", "commissions", "funds", "reports to", "informal"]),
            strength=rng.randint(1, 5),
            directed=rng.random() < 0.2,
            is_needed=rng.random() < 0.02,
        )
        for i, (u, v) in enumerate(sorted(pairs))
    ]
    return nodes, edges


def timed(func: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run (CPU time shows what other load on the machine hides)."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--edges", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    import networkx as nx

    from facilitator.analysis.network import (
        EdgeIn,
        NodeIn,
        compute_metrics,
        findings,
        layout,
        needed_ties_impact,
        place_one,
        svg_map,
    )

    nodes, edges = make_map(args.nodes, args.edges, args.seed)
    current = sum(1 for e in edges if not e.is_needed)
    print(
        f"map: {len(nodes)} stakeholders, {len(edges)} relationships ({current} current, "
        f"{len(edges) - current} needed), seed {args.seed}"
    )
    print(f"python {platform.python_version()}, networkx {nx.__version__}, {platform.machine()}\n")

    positions = layout(nodes, edges, seed=args.seed)
    newcomer = NodeIn(args.nodes, "Newcomer", "person", "Organisation 3", "Police", 3, 4, None)
    ties = [
        EdgeIn(10**6 + i, args.nodes, target, "informal", 2, False, False)
        for i, target in enumerate((5, 77, 901))
    ]
    metrics = compute_metrics(nodes, edges, seed=args.seed)

    rows: list[tuple[str, tuple[list[float], list[float]], float | None]] = [
        ("compute_metrics", timed(lambda: compute_metrics(nodes, edges, seed=args.seed), args.repeat), 1.0),
        (
            "layout (full, 50 iterations)",
            timed(lambda: layout(nodes, edges, seed=args.seed), args.repeat),
            3.0,
        ),
        (
            "layout (previous + 1 new)",
            timed(
                lambda: layout([*nodes, newcomer], [*edges, *ties], previous=positions), max(5, args.repeat)
            ),
            0.05,
        ),
        ("place_one", timed(lambda: place_one(args.nodes, (5, 77, 901), positions), 1000), 0.05),
        ("findings", timed(lambda: findings(nodes, edges, metrics), args.repeat), None),
        (
            "needed_ties_impact",
            timed(lambda: needed_ties_impact(nodes, edges, seed=args.seed), args.repeat),
            None,
        ),
        ("svg_map", timed(lambda: svg_map(nodes, edges, positions), args.repeat), None),
    ]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:9.3f} ms"

    print(f"{'step':30} {'best':>12} {'median':>12} {'worst':>12} {'median CPU':>12} {'target':>9}  ok")
    failed = False
    for name, (wall, cpu), target in rows:
        median = statistics.median(wall)
        ok = "" if target is None else ("yes" if median < target else "NO")
        failed = failed or ok == "NO"
        target_text = "" if target is None else f"< {target * 1000:.0f} ms"
        figures = f"{ms(min(wall))} {ms(median)} {ms(max(wall))} {ms(statistics.median(cpu))}"
        print(f"{name:30} {figures} {target_text:>9}  {ok}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    how = "exact" if metrics.betweenness_exact else f"{metrics.betweenness_samples} sampled sources"
    print(
        f"\nbetweenness: {how}; communities: {metrics.community_count}; "
        f"components: {metrics.component_count}\npass/fail on the median wall-clock time; "
        f"load average when done: {load:.2f} on {os.cpu_count()} CPUs"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

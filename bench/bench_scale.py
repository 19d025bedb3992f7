"""Capacity of 1, 2 and 4 workers sharing PostgreSQL and Redis, measured with `facilitator loadtest`.

    .venv/bin/python bench/bench_scale.py [--workers 1 2 4] [--ladder 250 500 1000] [--answers 10]

For each number of workers it starts a fresh PostgreSQL database, that many `facilitator serve`
processes with Redis as the message queue, and nginx configured from deploy/nginx.conf, then runs two
scenarios at each step of the ladder of participants, stopping a scenario once fan-out p95 passes the
budget (100 ms):

* one large workshop, its phones dealt over all the workers (`loadtest --spread`): every broadcast
  crosses Redis to every worker;
* several workshops at once (`--workshops` per worker, default 2) through nginx, which keeps each
  workshop on one worker by hashing on `ws`.

The load generator runs on the same machine and takes CPU from the workers: on a 2-core machine
the figures are a floor, and more workers than cores cannot scale. Needs PostgreSQL, Redis and
nginx (see README, "Deploying at scale").
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_MS = 100.0


def run(urls: list[str], participants: int, answers: int, workshops: int, spread: bool) -> dict[str, Any]:
    from facilitator.loadtest import run_loadtest
    from tests.live import FAC_EMAIL, FAC_PASSWORD

    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        return run_loadtest(urls, participants, email=FAC_EMAIL, password=FAC_PASSWORD, answers=answers,
                            workshops=workshops, spread=spread, echo=lambda line: None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--ladder", type=int, nargs="+", default=[250, 500, 1000, 1500])
    parser.add_argument("--answers", type=int, default=10, help="answers per workshop")
    parser.add_argument("--workshops-per-worker", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()

    from tests.scale.cluster import Cluster, fresh_database, nginx_binary, postgres_problem, redis_problem

    for problem in (postgres_problem(), redis_problem()):
        if problem:
            sys.exit(problem)
    if not nginx_binary():
        sys.exit("nginx is not installed")

    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    rows: list[dict[str, Any]] = []
    for n in args.workers:
        with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
            cluster = Cluster(Path(tmp), url, workers=n)
            try:
                assert cluster.nginx is not None
                direct = [w.url for w in cluster.workers]
                scenarios = [
                    ("one workshop", direct, 1, True),
                    (f"{n * args.workshops_per_worker} workshops", [cluster.nginx.url],
                     n * args.workshops_per_worker, False),
                ]
                for label, urls, workshops, spread in scenarios:
                    for participants in args.ladder:
                        started = time.monotonic()
                        r = run(urls, participants, args.answers, workshops, spread)
                        row = {**r, "workers": n, "scenario": label, "wall_s": time.monotonic() - started,
                               "load": os.getloadavg()[0]}
                        rows.append(row)
                        print(f"{n} worker(s) | {label:>13} | {participants:5d} phones"
                              f" | join {r['join_total_s']:5.1f} s"
                              f" | ack p95 {r['ack_p95_ms']:6.1f} ms"
                              f" | fan-out p50 {r['fanout_p50_ms']:6.1f} ms"
                              f" p95 {r['fanout_p95_ms']:6.1f} ms | lost {r['lost']} dup {r['duplicated']}"
                              f" | load {row['load']:.1f}", flush=True)
                        if r["fanout_p95_ms"] > BUDGET_MS or r["lost"]:
                            break
            finally:
                cluster.close()

    print("\nLargest step with fan-out p95 under 100 ms and nothing lost (per worker; ratio to 1 worker):")
    for label in ("one workshop", "workshops"):
        base: float | None = None
        for n in args.workers:
            ok = [r for r in rows if r["workers"] == n and label in r["scenario"]
                  and r["fanout_p95_ms"] <= BUDGET_MS and not r["lost"]]
            best = max(ok, key=lambda r: r["participants"], default=None)
            if best is None:
                print(f"  {label:>12}, {n} worker(s): none (the smallest step was over budget)")
                continue
            phones = best["participants"]
            if n == min(args.workers):
                base = phones
            ratio = f"{phones / base:.2f}x" if base else "-"
            print(f"  {label:>12}, {n} worker(s): {phones} phones in {best['scenario']}"
                  f" (p95 {best['fanout_p95_ms']:.0f} ms) = {phones / n:.0f} per worker; {ratio} of 1 worker")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

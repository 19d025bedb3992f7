"""Heavy work under gevent runs in a real thread, so the live loop keeps answering meanwhile."""

import subprocess
import sys

PROBE = r"""
from gevent import monkey; monkey.patch_all()
import time, gevent
from facilitator.realtime.offload import run_cpu

def busy():
    end = time.perf_counter() + 0.6
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n

ticks = []
def heartbeat():
    for _ in range(30):
        ticks.append(time.perf_counter()); gevent.sleep(0.02)

hb = gevent.spawn(heartbeat)
gevent.sleep(0.05)
job = gevent.spawn(run_cpu, busy)
job.join(); hb.join()
gaps = [b - a for a, b in zip(ticks, ticks[1:])]
print("result", job.value > 0, "max_gap", round(max(gaps), 3))
"""


def test_a_long_computation_does_not_freeze_other_greenlets():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert "result True" in out.stdout, out.stderr
    max_gap = float(out.stdout.split("max_gap")[1])
    # Run inline in a greenlet, the heartbeat would stop for the whole 0.6 s of work.
    assert max_gap < 0.4, out.stdout

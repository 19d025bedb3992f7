"""Two `facilitator serve` workers sharing PostgreSQL and Redis, behind nginx from deploy/nginx.conf."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from tests.live import create_workshop, facilitator_session, join
from tests.scale.cluster import Cluster, Phone

pytestmark = pytest.mark.services


def open_checkin(cluster: Cluster, base: str) -> tuple[dict, Phone]:
    fac = facilitator_session(base)
    ws = create_workshop(fac, base, title="Regional summit")
    console = Phone(base, fac, ws["id"], role="facilitator").connect()
    assert console.call("activity:stage", {"activity_id": ws["activities"][0]})["ok"]
    assert console.call("activity:set_phase", {"activity_id": ws["activities"][0], "phase": "open"})["ok"]
    return ws, console


def wait_presence(cluster: Cluster, count: int, timeout: float = 10) -> list[tuple[int | None, str]]:
    deadline = time.monotonic() + timeout
    rows = cluster.presence()
    while len(rows) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        rows = cluster.presence()
    return rows


def test_phones_on_different_workers_see_each_others_items_in_order(cluster: Cluster):
    a, b = cluster.workers
    assert cluster.nginx is not None
    ws, console = open_checkin(cluster, cluster.nginx.url)
    activity = ws["activities"][0]
    # Ali and Bo are pinned to one worker each; Cy comes through nginx like a real phone.
    ali = Phone(a.url, join(a.url, ws["code"], "Ali"), ws["id"]).connect()
    bo = Phone(b.url, join(b.url, ws["code"], "Bo"), ws["id"]).connect()
    cy = Phone(cluster.nginx.url, join(cluster.nginx.url, ws["code"], "Cy"), ws["id"]).connect()
    workers = {w for _, w in wait_presence(cluster, 4)}
    assert len(workers) == 2, "the phones should be spread over both workers"

    # All three answer at the same moment, three times each: nine commits racing on two workers.
    go = threading.Barrier(3)
    errors: list[BaseException] = []

    def speak(phone: Phone, name: str) -> None:
        try:
            go.wait()
            for i in range(3):
                phone.answer(activity, f"{name} {i}")
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=speak, args=(p, n)) for p, n in ((ali, "Ali"), (bo, "Bo"), (cy, "Cy"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []

    everyone = [ali, bo, cy, console]
    for phone in everyone:
        assert len(phone.wait_answers(9)) == 9, (phone.applied, phone.trace)
    # Same items, same order, on every phone, whatever worker it is on; and it is the stored order.
    assert ali.answers() == bo.answers() == cy.answers() == console.answers()
    assert len(set(ali.answers())) == 9
    for phone in everyone:
        seqs = [s for s, _, _ in phone.applied]
        assert seqs == sorted(seqs)
    for phone in everyone:
        phone.close()


def test_a_map_laid_out_on_one_worker_reaches_phones_on_the_other(cluster: Cluster):
    """Layouts and analysis run off the event loop of the worker that was asked; their results are
    announced like any change, so phones on other workers get them through Redis."""
    a, b = cluster.workers
    fac = facilitator_session(a.url)
    ws = create_workshop(fac, a.url, title="Map across workers", kinds=("stakeholder_map",))
    activity = ws["activities"][0]
    console = Phone(a.url, fac, ws["id"], role="facilitator").connect()
    assert console.call("activity:stage", {"activity_id": activity})["ok"]
    assert console.call("activity:set_phase", {"activity_id": activity, "phase": "open"})["ok"]
    bo = Phone(b.url, join(b.url, ws["code"], "Bo"), ws["id"]).connect()
    ids = []
    for name in ("North Vale Council", "Mind in North Vale", "Vale Hospital Trust"):
        res = console.call("stakeholder:add", {"activity_id": activity, "name": name, "confirm_new": True})
        assert res["ok"] and res["data"]["added"], res
        ids.append(res["data"]["id"])
    assert console.call("map:relayout", {"activity_id": activity, "fresh": True})["ok"]
    assert console.call("map:analyse", {"activity_id": activity})["ok"]

    def placed() -> set[int]:
        with bo.lock:
            return {p[0] for _, n, d in bo.applied if n == "map:positions" for p in d["positions"]}

    def analysed() -> list[Any]:
        with bo.lock:
            return [d for _, n, d in bo.applied if n == "map:analysed" and d["summary"]["stakeholders"] == 3]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (len(placed()) >= 3 and analysed()):
        time.sleep(0.1)
    assert len(placed()) >= 3, bo.trace
    assert analysed(), bo.trace
    assert set(ids) <= placed()
    for phone in (console, bo):
        phone.close()


def test_a_pdf_asked_for_on_one_worker_is_announced_to_the_console_on_another(cluster: Cluster):
    """The PDF is typeset (in a child process) by whichever worker got the request; the facilitator's
    console, on another worker, hears it is ready through Redis, and a third request, on either worker,
    downloads the PDF that was made."""
    import redis

    from tests.live import csrf
    from tests.scale.cluster import REDIS_URL

    a, b = cluster.workers
    fac = facilitator_session(a.url)
    ws = create_workshop(fac, a.url, title="PDF across workers")
    console = Phone(b.url, fac, ws["id"], role="facilitator").connect()
    token = csrf(fac.get(f"{a.url}/workshops/{ws['id']}").text)
    asked = fac.post(f"{a.url}/workshops/{ws['id']}/report.pdf/prepare", headers={"X-CSRFToken": token},
                     timeout=60)
    assert asked.status_code == 202, asked.text
    job = asked.json()["job"]
    ready = console.wait_unnumbered("report:pdf_ready", timeout=120)
    assert ready and ready[0]["job"] == job and ready[0]["workshop_id"] == ws["id"], console.unnumbered
    for worker in (b, a):
        got = fac.get(worker.url + ready[0]["url"], timeout=60)
        assert got.status_code == 200 and got.content.startswith(b"%PDF-")
        assert "attachment" in got.headers["Content-Disposition"]
    kept = redis.Redis.from_url(REDIS_URL).get(f"facilitator:report-pdf:{ws['id']}:{job}")
    assert kept == got.content  # served as made, from Redis, by the worker that did not make it too
    console.close()


def commit_without_publishing(cluster: Cluster, workshop_id: int, activity_id: int, text: str) -> int:
    """What a worker killed between COMMIT and its publish leaves behind: the workshop's seq bumped and
    the event stored, nothing sent on Redis. Returns the answer id the event carries."""
    import psycopg
    from psycopg.types.json import Jsonb

    with psycopg.connect(cluster.database_url) as conn:
        seq = conn.execute("UPDATE workshop SET seq = seq + 1 WHERE id = %s RETURNING seq",
                           (workshop_id,)).fetchone()[0]
        answer_id = 2_000_000_000 + seq
        payload = {"activity_id": activity_id, "answer": {"id": answer_id, "text": text, "author": None}}
        conn.execute(
            "INSERT INTO workshop_event (workshop_id, seq, name, audience, payload, created_at) "
            "VALUES (%s, %s, 'checkin:answered', 'all', %s, now() AT TIME ZONE 'utc')",
            (workshop_id, seq, Jsonb(payload)),
        )
    return answer_id


def test_events_a_dead_worker_committed_but_never_sent_still_reach_phones_that_stay_connected(
    cluster: Cluster,
):
    a, b = cluster.workers
    assert cluster.nginx is not None
    ws, console = open_checkin(cluster, cluster.nginx.url)
    activity = ws["activities"][0]
    ali = Phone(a.url, join(a.url, ws["code"], "Ali"), ws["id"]).connect()
    bo = Phone(b.url, join(b.url, ws["code"], "Bo"), ws["id"]).connect()
    everyone = [ali, bo, console]
    ali.answer(activity, "first")
    for phone in everyone:
        assert len(phone.wait_answers(1)) == 1, phone.trace

    # The next change to the workshop, on either worker, first sends what is missing.
    lost = commit_without_publishing(cluster, ws["id"], activity, "committed, then the worker died")
    bo.answer(activity, "second")
    for phone in everyone:
        got = phone.wait_answers(3)
        assert len(got) == 3 and got[1] == lost, (got, phone.trace)

    # With no further change: a worker whose heartbeat stops (here one that never had one) is noticed,
    # its sockets forgotten, and what it left unsent goes out.
    lost_again = commit_without_publishing(cluster, ws["id"], activity, "and again")
    import psycopg

    with psycopg.connect(cluster.database_url) as conn:
        conn.execute(
            "INSERT INTO presence (sid, workshop_id, participant_id, role, worker, connected_at) VALUES "
            "('ghost-socket', %s, NULL, 'participant', 'ghost-host:1', now() AT TIME ZONE 'utc')",
            (ws["id"],),
        )
    for phone in everyone:
        got = phone.wait_answers(4)
        assert len(got) == 4 and got[3] == lost_again, (got, phone.trace)
    for phone in everyone:
        seqs = [s for s, _, _ in phone.applied]
        assert seqs == sorted(seqs) and len(set(phone.answers())) == 4 and phone.snapshots == 1, phone.trace
    assert all(worker != "ghost-host:1" for _, worker in cluster.presence())
    for phone in everyone:
        phone.close()


def test_racing_wrong_join_codes_on_both_workers_get_no_more_answers_than_the_limit(cluster: Cluster):
    """Guesses from one device, spread over both workers, all at once: the shared count lets exactly
    the limit through (JOIN_ATTEMPTS_PER_DEVICE, 8 by default) and refuses the rest with 429."""
    a, b = cluster.workers
    first = requests.get(f"{a.url}/join", timeout=20)
    device = first.cookies["fdev"]
    go = threading.Barrier(24)
    statuses: list[int] = []

    def guess(i: int) -> None:
        worker = (a, b)[i % 2]
        go.wait(20)
        r = requests.get(f"{worker.url}/j/{990000 + i}", cookies={"fdev": device}, allow_redirects=False,
                         timeout=60)
        statuses.append(r.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    # A wrong code is answered with a redirect back to the code form ("no workshop has that code").
    assert sorted(statuses) == [302] * 8 + [429] * 16, statuses


def test_a_killed_worker_s_phones_reconnect_through_nginx_and_catch_up(cluster: Cluster):
    assert cluster.nginx is not None
    base = cluster.nginx.url
    ws, console = open_checkin(cluster, base)
    activity = ws["activities"][0]
    phones = [Phone(base, join(base, ws["code"], f"Phone {i}"), ws["id"]).connect() for i in range(4)]
    rows = wait_presence(cluster, 5)
    # nginx hashes on the workshop: every socket of it is on one worker.
    assert len({w for _, w in rows}) == 1, rows
    doomed = cluster.worker_of(rows[0][1])
    survivor = next(w for w in cluster.workers if w is not doomed)
    # A phone that was pinned to the other worker all along (as after an earlier failover).
    steady = Phone(survivor.url, join(survivor.url, ws["code"], "Steady"), ws["id"]).connect()

    for i, phone in enumerate(phones):
        phone.answer(activity, f"before {i}")
    for phone in [*phones, steady]:
        assert len(phone.wait_answers(4)) == 4

    doomed.kill()
    # While the phones are cut off, the room goes on: these must not be lost to them.
    for i in range(3):
        steady.answer(activity, f"during {i}")
    # The phones reconnect by themselves; nginx finds the dead worker refusing and rehashes them.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(p.connects >= 2 and p.synced.is_set() for p in phones):
        time.sleep(0.1)
    assert all(p.connects >= 2 for p in phones), [p.connects for p in phones]
    for i, phone in enumerate(phones):
        phone.answer(activity, f"after {i}")

    for phone in [*phones, steady]:
        got = phone.wait_answers(11, timeout=20)
        assert len(got) == 11 and len(set(got)) == 11, (phone.applied, phone.trace)
        assert got == steady.answers(), phone.trace
        assert phone.snapshots == 1  # caught up by seq (a delta), not by a fresh snapshot
    # The dead worker's sockets drop out of "online" (its heartbeat in Redis expired); all six
    # (four phones, Steady, the console) are counted once, on the survivor.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(w.endswith(f":{doomed.pid}") for _, w in cluster.presence()):
        time.sleep(0.2)
    rows = cluster.presence()
    assert len(rows) == 6 and all(w.endswith(f":{survivor.pid}") for _, w in rows), rows
    for phone in [*phones, steady, console]:
        phone.close()

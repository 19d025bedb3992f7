"""Soak: 1,000 phones on one `facilitator serve` process for N minutes of workshop activity.

    .venv/bin/python bench/soak.py [--minutes 10] [-n 1000] [--think 120] [--reconnect 0.03]
                                   [--stage-every SECONDS] [--url URL --pid PID] [--json FILE]

Without --url it starts its own server (gevent, SQLite in a temporary instance folder, default settings),
as `facilitator serve` runs at a venue. Phones join through the join form (facilitator/loadtest.py's
helpers) and stay connected. A workshop with the five activity kinds runs: the facilitator puts each on
stage in turn, opens it and starts a timer (every --stage-every seconds, by default the run is split
evenly between the five); on each stage change every phone asks for the activity's state, as phone.js
does. Each phone acts every --think seconds on average (exponential think time) on what is on stage:
check-in answers, stakeholders, Open Space topics and interest, commitments, work-avoidance ratings, each
within the per-phone caps. Every minute a share of the phones (--reconnect) drops off and comes back a
few seconds later, catching up by seq as live.js does.

Printed per minute: commands sent, errors (refusals by code, no answer in 30 s, answer lost with its
connection), ack p50/p95, fan-out p50/p95 (item command sent -> the last connected phone has its
broadcast) with the deliveries counted against the phones connected when it was sent (phones back from
a reconnect just then can push it past 100%), reconnects made on purpose, connections dropped (closed
by the server or lost: the phone reconnects by itself, 1-2 s later, as live.js does), catch-up p95, the
CPU of the server and of this load generator, the server's RSS (/proc/<pid>/status). At the end:
totals, ack times per command (activity:state per kind), when each stage change happened and how late,
RSS at start / after the joins / at the end / peak, and how many broadcasts the phones had not yet got
live 8 s after the end (their final catch-up by seq brings them; under overload they are late, not
lost).

The load generator runs in this process, on the same machine: on a small machine it takes CPU from the
server, so the latencies are an upper bound. Only ever point it at a server you run yourself.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facilitator.loadtest import _cookie_header, _csrf, _facilitator, join_phone, percentile  # noqa: E402

KINDS = ("check_in", "stakeholder_map", "open_space", "commitment_tree", "work_avoidance")
# command -> the broadcast that carries its item to the room, and where the item is in it
ITEM_EVENTS = {
    "checkin:answer": ("checkin:answered", "answer"),
    "stakeholder:add": ("stakeholder:added", "stakeholder"),
    "topic:propose": ("topic:proposed", "topic"),
    "commitment:post": ("commitment:posted", "commitment"),
}
ITEM_OF = dict(ITEM_EVENTS.values())
FORMS = (
    "quick_fix",
    "fit_expertise",
    "denial",
    "jumping_to_conclusions",
    "distraction",
    "options_off_table",
    "fake_remedy",
    "scapegoating",
    "outside_enemy",
    "attacking_authority",
    "silencing",
    "passing_it_on",
    "papers_not_action",
    "meetings_without_decisions",
    "diagrams_no_agreement",
    "back_to_back",
    "data_and_plans",
)
ORGS = (
    "North Vale NHS Trust",
    "Vale County Council",
    "Vale Police",
    "Riverside Housing",
    "Age Concern Vale",
    "Vale College",
    "Chamber of Commerce",
    "Carers' Network",
)
WORDS = (
    "housing",
    "hospital discharge",
    "youth services",
    "mental health",
    "transport",
    "loneliness",
    "data sharing",
    "prevention",
    "workforce",
    "estates",
)
ACK_TIMEOUT = 30.0


@dataclass
class Minute:
    commands: int = 0
    acks: list[float] = field(default_factory=list)
    by_command: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    reconnects: int = 0
    drops: int = 0  # connections the server (or the network) closed: the phone reconnects by itself
    catch_up: list[float] = field(default_factory=list)
    cpu: float = float("nan")
    client_cpu: float = float("nan")
    rss_mb: float = float("nan")


class Soak:
    def __init__(self, args: argparse.Namespace, pid: int | None):
        self.args = args
        self.pid = pid
        self.t0 = 0.0  # monotonic
        self.t0_perf = 0.0  # the same moment on perf_counter
        self.minutes: dict[int, Minute] = collections.defaultdict(Minute)
        self.sent: dict[tuple[str, int], tuple[float, int]] = {}  # item -> (sent at, phones connected then)
        self.arrivals: dict[tuple[str, int], list[float]] = {}  # item -> [deliveries, last arrival]
        self.staged: dict[str, Any] = {"id": None, "kind": None, "phase": None}
        self.phones: list[Phone] = []
        self.running = True
        self.rss: dict[str, float] = {}
        self.stages: list[tuple[float, str, float]] = []  # (seconds into the run, kind, how late)

    def minute(self, when: float) -> Minute:
        return self.minutes[max(0, int((when - self.t0) // 60))]

    def connected(self) -> int:
        return sum(1 for p in self.phones if p.online)


@dataclass
class Phone:
    index: int
    sio: Any = None
    jar: Any = None
    online: bool = False
    leaving: bool = False  # the reconnector closed it on purpose
    epoch: int = 0  # connections so far: a call that outlived its connection was dropped, not ignored
    last_seq: int | None = None
    staged: dict[str, Any] = field(default_factory=dict)  # id, kind, phase as this phone knows it
    made: collections.Counter[int] = field(default_factory=collections.Counter)  # items per activity
    topics: list[int] = field(default_factory=list)
    missed_at_end: int = 0


def proc_status(pid: int, key: str) -> float:
    """A /proc/<pid>/status value in MB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fetch_state(soak: Soak, phone: Phone, state: dict[str, Any], label: str) -> None:
    """As phone.js does: wait a random moment up to a second, then ask (the room spreads its asking)."""
    await asyncio.sleep(random.random())
    await call(soak, phone, "activity:state", state, label=label)


async def call(
    soak: Soak, phone: Phone, name: str, payload: dict[str, Any], *, cid: bool = True, label: str = ""
) -> dict[str, Any] | None:
    """One command as live.js sends it (with a client id), timed; None if it got no answer."""
    if not phone.online:
        return None
    if cid:
        payload = {**payload, "cid": uuid.uuid4().hex}
    started = time.perf_counter()
    bucket = soak.minute(time.monotonic())
    bucket.commands += 1
    epoch = phone.epoch
    try:
        answer = await phone.sio.call(name, payload, timeout=ACK_TIMEOUT)
    except Exception:  # no answer in time, or the connection went away under it
        bucket.errors["no_answer" if phone.online and phone.epoch == epoch else "dropped"] += 1
        return None
    bucket.acks.append(time.perf_counter() - started)
    bucket.by_command[label or name].append(bucket.acks[-1])
    if not answer.get("ok"):
        bucket.errors[answer.get("error", {}).get("code", "?")] += 1
    return answer  # type: ignore[no-any-return]


def apply_staged(phone: Phone, activity: dict[str, Any] | None) -> None:
    phone.staged = (
        {"id": activity["id"], "kind": activity["kind"], "phase": activity["phase"]} if activity else {}
    )


async def connect_phone(
    soak: Soak, phone: Phone, base: str, workshop_id: int, *, again: bool = False
) -> None:
    import aiohttp
    import socketio

    if phone.sio is None:

        def http() -> Any:
            # The cookie lives in a jar: python-socketio drops a Cookie header after the first connect.
            return aiohttp.ClientSession(cookie_jar=phone.jar)

        phone.sio = socketio.AsyncClient(reconnection=False, http_session=http)

        @phone.sio.on("*")
        async def any_event(name: str, env: Any = None) -> None:
            if not isinstance(env, dict) or not isinstance(env.get("seq"), int):
                return
            if phone.last_seq is not None and env["seq"] <= phone.last_seq:
                return
            phone.last_seq = env["seq"]
            data = env.get("data") or {}
            if name in ITEM_OF and isinstance(data.get(ITEM_OF[name]), dict):
                key = (name, data[ITEM_OF[name]]["id"])
                got = soak.arrivals.setdefault(key, [0, 0.0])
                got[0] += 1
                got[1] = time.perf_counter()
                if name == "topic:proposed":
                    phone.topics.append(key[1])
            elif name == "activity:staged":
                apply_staged(phone, data.get("activity"))
                if phone.staged:  # phone.js fetches the activity's state in its own language
                    state = {"activity_id": phone.staged["id"]}
                    label = f"activity:state ({phone.staged['kind']})"
                    asyncio.ensure_future(fetch_state(soak, phone, state, label))
            elif name == "activity:phase_changed" and data.get("activity_id") == phone.staged.get("id"):
                phone.staged["phase"] = data["phase"]

        @phone.sio.on("disconnect")
        async def gone(reason: Any = None) -> None:
            phone.online = False
            if soak.running and not phone.leaving:
                soak.minute(time.monotonic()).drops += 1
                asyncio.ensure_future(come_back(soak, phone, base, workshop_id))

    await phone.sio.connect(
        f"{base}/?ws={workshop_id}",
        auth={"workshop": workshop_id, "role": "participant"},
        transports=["websocket"],
        wait_timeout=60,
    )
    phone.online = True
    phone.epoch += 1
    # Catch up as live.js does on every connect: a delta after the last seq seen, or a snapshot.
    started = time.perf_counter()
    answer = await call(soak, phone, "sync", {"last_seq": phone.last_seq}, cid=False)
    if answer and answer.get("ok"):
        data = answer["data"]
        if data["mode"] == "snapshot":
            apply_staged(phone, data["snapshot"]["staged"])
        else:
            for ev in data["events"]:
                if ev["name"] == "activity:staged":
                    apply_staged(phone, ev["data"].get("activity"))
                elif ev["name"] == "activity:phase_changed" and ev["data"]["activity_id"] == phone.staged.get(
                    "id"
                ):
                    phone.staged["phase"] = ev["data"]["phase"]
        phone.last_seq = max(phone.last_seq or 0, data["seq"])
        if again:
            soak.minute(time.monotonic()).catch_up.append(time.perf_counter() - started)


async def come_back(soak: Soak, phone: Phone, base: str, workshop_id: int) -> None:
    """Reconnect as socket.io-client does for live.js: 1 s, then doubling, at most 2 s apart, with jitter."""
    attempt = 0
    while soak.running and not phone.online:
        await asyncio.sleep(min(2**attempt * random.uniform(0.5, 1.5), 2.0))
        attempt += 1
        try:
            await connect_phone(soak, phone, base, workshop_id, again=True)
        except Exception:
            continue


async def act(soak: Soak, phone: Phone) -> None:
    """One thing a person does on what is on stage (if it is open)."""
    staged = phone.staged
    if not staged or staged.get("phase") != "open":
        return
    aid, kind, i = staged["id"], staged["kind"], phone.index
    k = phone.made[aid]
    name, payload = None, {"activity_id": aid}
    if kind == "check_in" and k < 3:
        name, payload["text"] = "checkin:answer", f"{random.choice(WORDS)} (phone {i}, {k})"
    elif kind == "stakeholder_map" and k < 40:
        name = "stakeholder:add"
        payload.update(
            name=f"{random.choice(ORGS)} {random.choice(WORDS)} lead {i}-{k}",
            confirm_new=True,
            organisation=random.choice(ORGS),
            influence=random.randint(1, 5),
            interest=random.randint(1, 5),
        )
    elif kind == "open_space" and k < 5 and (k == 0 or random.random() < 0.2):
        name = "topic:propose"
        payload.update(title=f"What about {random.choice(WORDS)}? ({i}-{k})", description="Let's talk.")
    elif kind == "open_space" and phone.topics:
        name = "topic:interest"
        payload.update(topic_id=random.choice(phone.topics[-50:]), interested=random.random() < 0.8)
    elif kind == "commitment_tree" and k < 5:
        name = "commitment:post"
        payload.update(
            text=f"I will bring {random.choice(WORDS)} to our next board ({i}-{k})",
            with_whom=[random.choice(ORGS)],
        )
    elif kind == "work_avoidance":
        name = "wa:rate"
        payload.update(form_key=random.choice(FORMS), rating=random.randint(0, 4))
    if name is None:
        return
    sent_at = time.perf_counter()
    online = soak.connected()
    answer = await call(soak, phone, name, payload)
    if answer and answer.get("ok"):
        if name in ITEM_EVENTS:
            soak.sent[(ITEM_EVENTS[name][0], answer["data"]["id"])] = (sent_at, online)
            phone.made[aid] += 1
    elif answer and answer.get("error", {}).get("code") == "too_many":
        phone.made[aid] = 99


async def person(soak: Soak, phone: Phone) -> None:
    await asyncio.sleep(random.uniform(0, soak.args.think))
    while soak.running:
        if phone.online:
            await act(soak, phone)
        await asyncio.sleep(random.expovariate(1 / soak.args.think))


async def reconnector(soak: Soak, base: str, workshop_id: int) -> None:
    """A share of the phones drops off every minute (a lock screen, a lift, wifi) and comes back."""
    per_second = soak.args.reconnect * len(soak.phones) / 60

    async def bounce(phone: Phone) -> None:
        bucket = soak.minute(time.monotonic())
        bucket.reconnects += 1
        phone.leaving = True
        phone.online = False
        try:
            await phone.sio.disconnect()
        except Exception:
            pass
        phone.online = False
        await asyncio.sleep(random.uniform(2, 10))
        phone.leaving = False
        try:
            await connect_phone(soak, phone, base, workshop_id, again=True)
        except Exception:
            soak.minute(time.monotonic()).errors["reconnect_failed"] += 1
            await come_back(soak, phone, base, workshop_id)

    while soak.running:
        await asyncio.sleep(1)
        for _ in range(int(per_second) + (random.random() < per_second % 1)):
            online = [p for p in soak.phones if p.online]
            if online:
                asyncio.ensure_future(bounce(random.choice(online)))


async def facilitator_runs(soak: Soak, console: Any, activities: list[int]) -> None:
    """Put each activity on stage in turn, open it, start a timer; close the previous one. Like the
    console page, a command that gets no answer is sent again (same id) until it is answered."""
    every = soak.args.stage_every

    async def do(name: str, payload: dict[str, Any]) -> None:
        payload = {**payload, "cid": uuid.uuid4().hex}
        while soak.running:
            try:
                if console.connected:
                    answer = await console.call(name, payload, timeout=ACK_TIMEOUT)
                    if answer.get("ok"):
                        return
                    soak.minute(time.monotonic()).errors[f"console {answer['error']['code']}"] += 1
                    if not answer["error"].get("retry"):
                        return
            except Exception:
                soak.minute(time.monotonic()).errors["console no_answer"] += 1
            await asyncio.sleep(1)

    previous = None
    for n in range(math.ceil(soak.args.minutes * 60 / every)):
        if not soak.running:
            break
        due = soak.t0 + n * every
        aid = activities[n % len(activities)]
        if previous is not None:
            await do("activity:set_phase", {"activity_id": previous, "phase": "closed"})
        await do("activity:stage", {"activity_id": aid})
        await do("activity:set_phase", {"activity_id": aid, "phase": "open"})
        await do("timer:start", {"seconds": int(every), "label": ""})
        soak.stages.append((time.monotonic() - soak.t0, KINDS[n % len(KINDS)], time.monotonic() - due))
        previous = aid
        await asyncio.sleep(max(0.0, soak.t0 + (n + 1) * every - time.monotonic()))


def fanouts_of(soak: Soak, m: int) -> tuple[list[float], float]:
    times, got, expected = [], 0, 0
    for key, (sent_at, online) in soak.sent.items():
        if int((sent_at - soak.t0_perf) // 60) != m:
            continue
        arrived = soak.arrivals.get(key)
        expected += online
        if arrived:
            got += arrived[0]
            times.append(arrived[1] - sent_at)
    return times, (100 * got / expected if expected else float("nan"))


def minute_line(soak: Soak, m: int) -> str:
    b = soak.minutes[m]
    fan, delivered = fanouts_of(soak, m)
    errors = sum(b.errors.values())
    detail = (" (" + ", ".join(f"{k} {v}" for k, v in b.errors.most_common(3)) + ")") if errors else ""
    return (
        f"{m + 1:>3} {b.commands:>6} {errors:>5} "
        f"{percentile(b.acks, 50) * 1000:>7.0f} {percentile(b.acks, 95) * 1000:>7.0f} "
        f"{percentile(fan, 50) * 1000:>8.0f} {percentile(fan, 95) * 1000:>7.0f} {len(fan):>6} "
        f"{delivered:>8.1f}% {b.reconnects:>6} {b.drops:>6} {percentile(b.catch_up, 95) * 1000:>8.0f} "
        f"{b.cpu:>6.0f}% {b.client_cpu:>6.0f}% {b.rss_mb:>7.0f}{detail}"
    )


HEADER = (
    f"{'min':>3} {'cmds':>6} {'errs':>5} {'ack50':>7} {'ack95':>7} {'fan50':>8} {'fan95':>7} {'items':>6} "
    f"{'got live':>9} {'recon':>6} {'drops':>6} {'catch95':>8} {'srvCPU':>7} {'genCPU':>7} {'RSS MB':>7}"
)


async def reporter(soak: Soak) -> None:
    """Every minute, a line for the minute before (fan-outs have had a few seconds to arrive)."""
    m = 0
    last_cpu = cpu_seconds(soak.pid) if soak.pid else float("nan")
    last_own = time.process_time()
    while True:
        target = soak.t0 + (m + 1) * 60
        await asyncio.sleep(max(0.0, target - time.monotonic()))
        if soak.pid:
            cpu = cpu_seconds(soak.pid)
            soak.minutes[m].cpu = 100 * (cpu - last_cpu) / 60
            soak.minutes[m].rss_mb = proc_status(soak.pid, "VmRSS")
            last_cpu = cpu
        own = time.process_time()
        soak.minutes[m].client_cpu = 100 * (own - last_own) / 60
        last_own = own
        await asyncio.sleep(3)
        print(minute_line(soak, m), flush=True)
        m += 1
        if m >= soak.args.minutes:
            return


async def run(
    args: argparse.Namespace, base: str, pid: int | None, email: str, password: str
) -> dict[str, Any]:
    import aiohttp
    import socketio
    from yarl import URL

    soak = Soak(args, pid)
    if pid:
        soak.rss["start"] = proc_status(pid, "VmRSS")
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        workshop_id, code, first = await _facilitator(base, email, password, http)
        for kind in KINDS[1:]:
            html = await (await http.get(f"{base}/workshops/{workshop_id}")).text()
            await http.post(
                f"{base}/workshops/{workshop_id}/activities",
                data={
                    "csrf_token": _csrf(html),
                    "kind": kind,
                    "title": "",
                    "prompt": "What do we see from where we sit?",
                },
            )
        html = await (await http.get(f"{base}/workshops/{workshop_id}")).text()
        activities = [int(a) for a in re.findall(r'class="agenda-item[^"]*" data-activity-id="(\d+)"', html)]
        assert activities[0] == first and len(activities) == len(KINDS), activities
        fac_cookies = _cookie_header(http.cookie_jar, base)
    fac_jar = aiohttp.CookieJar(unsafe=True)
    fac_jar.update_cookies(dict(c.split("=", 1) for c in fac_cookies.split("; ")), response_url=URL(base))
    # The console reconnects by itself, as the page does.
    console = socketio.AsyncClient(
        reconnection=True,
        reconnection_delay=1,
        reconnection_delay_max=2,
        http_session=lambda: aiohttp.ClientSession(cookie_jar=fac_jar),
    )
    await console.connect(
        f"{base}/?ws={workshop_id}",
        auth={"workshop": workshop_id, "role": "facilitator"},
        transports=["websocket"],
    )

    print(f"workshop {workshop_id} (code {code}): joining {args.participants} phones", flush=True)
    soak.phones = [Phone(i) for i in range(args.participants)]
    connector = aiohttp.TCPConnector(limit=200)
    sem = asyncio.Semaphore(100)
    joined_at = time.perf_counter()

    async def join(phone: Phone) -> None:
        async with sem:
            phone.jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(
                timeout=timeout, cookie_jar=phone.jar, connector=connector, connector_owner=False
            ) as s:
                await join_phone(s, base, code, f"Phone {phone.index}")
            await connect_phone(soak, phone, base, workshop_id)

    soak.t0 = time.monotonic()  # joins count in minute 0's figures until the run starts
    soak.t0_perf = time.perf_counter()
    await asyncio.gather(*(join(p) for p in soak.phones))
    await connector.close()
    join_s = time.perf_counter() - joined_at
    if pid:
        soak.rss["joined"] = proc_status(pid, "VmRSS")
    print(
        f"joined in {join_s:.1f} s; server RSS {soak.rss.get('start', float('nan')):.0f} MB at start, "
        f"{soak.rss.get('joined', float('nan')):.0f} MB with {args.participants} phones connected",
        flush=True,
    )
    errors_while_joining = sum(soak.minutes[0].errors.values())
    soak.minutes.clear()
    soak.t0 = time.monotonic()
    soak.t0_perf = time.perf_counter()
    print(
        f"{args.minutes} min, think {args.think:.0f} s, reconnect {args.reconnect:.0%}/min, "
        f"stage every {args.stage_every:.0f} s"
    )
    print(HEADER, flush=True)
    tasks = [asyncio.ensure_future(person(soak, p)) for p in soak.phones]
    tasks.append(asyncio.ensure_future(reconnector(soak, base, workshop_id)))
    tasks.append(asyncio.ensure_future(facilitator_runs(soak, console, activities)))
    await reporter(soak)
    soak.running = False
    for p in soak.phones:
        p.leaving = True
    for task in tasks:
        task.cancel()
    await asyncio.sleep(8)  # reconnecting phones come back; commands in flight are answered

    # Every phone catches up from its last seq: whatever comes back is a broadcast it never got live.
    async def final(phone: Phone) -> None:
        if not phone.online:
            phone.missed_at_end = -1
            return
        answer = await call(soak, phone, "sync", {"last_seq": phone.last_seq}, cid=False)
        if answer and answer.get("ok"):
            data = answer["data"]
            phone.missed_at_end = len(data["events"]) if data["mode"] == "delta" else -2

    await asyncio.gather(*(final(p) for p in soak.phones))
    if pid:
        soak.rss["end"] = proc_status(pid, "VmRSS")
        soak.rss["peak"] = proc_status(pid, "VmHWM")
    await asyncio.gather(*(p.sio.disconnect() for p in soak.phones if p.sio), return_exceptions=True)
    await console.disconnect()

    during = [b for m, b in soak.minutes.items() if m < args.minutes]  # not the final catch-up
    acks = [a for b in during for a in b.acks]
    errors: collections.Counter[str] = collections.Counter()
    for b in during:
        errors.update(b.errors)
    fan = [t for m in range(args.minutes) for t in fanouts_of(soak, m)[0]]
    by_command: dict[str, list[float]] = collections.defaultdict(list)
    for b in during:
        for name, times in b.by_command.items():
            by_command[name].extend(times)
    missed = [p.missed_at_end for p in soak.phones]
    result = {
        "participants": args.participants,
        "minutes": args.minutes,
        "join_s": join_s,
        "errors_while_joining": errors_while_joining,
        "commands": sum(b.commands for b in during),
        "errors": dict(errors),
        "ack_p50_ms": percentile(acks, 50) * 1000,
        "ack_p95_ms": percentile(acks, 95) * 1000,
        "ack_p99_ms": percentile(acks, 99) * 1000,
        "fanout_p50_ms": percentile(fan, 50) * 1000,
        "fanout_p95_ms": percentile(fan, 95) * 1000,
        "items": len(soak.sent),
        "reconnects": sum(b.reconnects for b in during),
        "dropped_by_server": sum(b.drops for b in during),
        "missed_at_end": sum(m for m in missed if m > 0),
        "phones_missing_some": sum(1 for m in missed if m > 0),
        "snapshots_at_end": missed.count(-2),
        "offline_at_end": missed.count(-1),
        "rss_mb": soak.rss,
        "stages": soak.stages,
        "by_command": {
            name: (len(times), percentile(times, 50) * 1000, percentile(times, 95) * 1000)
            for name, times in by_command.items()
        },
        "per_minute": [
            {
                "minute": m + 1,
                "commands": b.commands,
                "errors": dict(b.errors),
                "ack_p50_ms": percentile(b.acks, 50) * 1000,
                "ack_p95_ms": percentile(b.acks, 95) * 1000,
                "fanout_p50_ms": percentile(fanouts_of(soak, m)[0], 50) * 1000,
                "fanout_p95_ms": percentile(fanouts_of(soak, m)[0], 95) * 1000,
                "server_cpu_pct": b.cpu,
                "rss_mb": b.rss_mb,
            }
            for m, b in sorted(soak.minutes.items())
            if m < args.minutes
        ],
    }
    return result


def main() -> None:
    import logging

    for name in ("engineio.client", "socketio.client"):  # drops are counted, not logged one by one
        logging.getLogger(name).setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("-n", "--participants", type=int, default=1000)
    parser.add_argument(
        "--think",
        type=float,
        default=120.0,
        help="mean seconds between two actions of one phone (default 120)",
    )
    parser.add_argument(
        "--reconnect",
        type=float,
        default=0.03,
        help="share of the phones that drop off and come back each minute (default 0.03)",
    )
    parser.add_argument(
        "--stage-every",
        type=float,
        default=None,
        help="seconds each activity stays on stage (default: the run split over the five kinds)",
    )
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--pid", type=int, help="that server's process id, for its CPU and memory")
    parser.add_argument("--email", default=None)
    parser.add_argument("--password", default=None)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the started server's instance folder")
    args = parser.parse_args()
    if args.stage_every is None:
        args.stage_every = max(10.0, args.minutes * 60 / len(KINDS))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.participants + 1024)), hard))

    print(
        f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average before: {os.getloadavg()[0]:.1f}"
    )
    server = None
    if args.url:
        base, pid = args.url.rstrip("/"), args.pid
        email, password = args.email or "loadtest@example.org", args.password or "loadtest-password"
    else:
        from tests.live import FAC_EMAIL, FAC_PASSWORD, LiveServer

        instance = Path(tempfile.mkdtemp(prefix="facilitator-soak-"))
        server = LiveServer(instance).start()
        base, pid, email, password = (
            server.url,
            server.proc.pid if server.proc else None,
            FAC_EMAIL,
            FAC_PASSWORD,
        )
        time.sleep(2)  # let it settle before the first RSS reading
        print(f"server: {base} (pid {pid}, gevent, SQLite in {instance})")
    try:
        result = asyncio.run(run(args, base, pid, email, password))
    finally:
        if server is not None:
            server.stop()
    print(
        f"\ncommands {result['commands']}, items {result['items']}, reconnects {result['reconnects']}, "
        f"connections dropped by the server {result['dropped_by_server']}; "
        f"errors: {result['errors'] or 'none'} (while joining: {result['errors_while_joining']})"
    )
    print(
        f"ack p50 {result['ack_p50_ms']:.0f} ms, p95 {result['ack_p95_ms']:.0f} ms, "
        f"p99 {result['ack_p99_ms']:.0f} ms; fan-out to the last phone p50 {result['fanout_p50_ms']:.0f} ms, "
        f"p95 {result['fanout_p95_ms']:.0f} ms"
    )
    print(
        f"broadcasts not yet received live 8 s after the end (brought by the final catch-up): "
        f"{result['missed_at_end']} (phones behind: "
        f"{result['phones_missing_some']}, offline {result['offline_at_end']}, "
        f"given a snapshot {result['snapshots_at_end']})"
    )
    for name, (count, p50, p95) in sorted(result["by_command"].items()):
        print(f"  {name:<22} {count:>6} answered, ack p50 {p50:>6.0f} ms, p95 {p95:>6.0f} ms")
    print(
        "stage changes (s into the run, kind, s late): "
        + ", ".join(f"{at:.0f} {kind} +{late:.1f}" for at, kind, late in result["stages"])
    )
    rss = result["rss_mb"]
    if rss:
        print("server RSS: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))
    if server is not None:
        db = server.instance / "facilitator.db"
        size = sum(p.stat().st_size for p in server.instance.glob("facilitator.db*"))
        print(f"database: {size / 2**20:.1f} MB" + (f" ({db})" if args.keep else ""))
        if not args.keep:
            shutil.rmtree(server.instance, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""`facilitator loadtest URL [URL ...] --participants N [--workshops K] [--spread]`: simulated phones
against a running server, or against several workers that share PostgreSQL and Redis.

Each phone joins over HTTP (join form with its CSRF token) and opens a Socket.IO connection with the
cookie it got, exactly as a browser does. A facilitator stages and opens a check-in; some phones answer.
Printed: join time, ack p50/p95, fan-out p50/p95 (command sent -> the last phone has the broadcast),
and how many deliveries were lost or duplicated. Only ever point it at a server you run yourself.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1) or match.group(2)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Phone:
    index: int
    cookies: str = ""
    sio: Any = None
    seen: dict[int, float] = field(default_factory=dict)  # answer id -> time received
    seqs: list[int] = field(default_factory=list)
    duplicates: int = 0


def _cookie_header(jar: Any, url: str) -> str:
    from yarl import URL

    return "; ".join(f"{k}={v.value}" for k, v in jar.filter_cookies(URL(url)).items())


async def join_phone(http: Any, base: str, code: str, name: str) -> str:
    """Join through the join form (its CSRF token included) as a phone does; returns the Cookie header
    the phone's socket must send. ``http`` is the phone's own aiohttp session (its own cookie jar)."""
    html = await (await http.get(f"{base}/j/{code}")).text()
    await http.post(f"{base}/j/{code}", data={"csrf_token": _csrf(html), "display_name": name})
    return _cookie_header(http.cookie_jar, base)


async def _facilitator(base: str, email: str, password: str, http: Any) -> tuple[int, str, int]:
    resp = await http.get(f"{base}/setup")
    if str(resp.url).endswith("/setup"):
        html = await resp.text()
        await http.post(f"{base}/setup", data={"csrf_token": _csrf(html), "name": "Load test", "email": email,
                                               "password": password, "confirm": password})
    html = await (await http.get(f"{base}/login")).text()
    if "csrf_token" in html:
        await http.post(f"{base}/login", data={"csrf_token": _csrf(html), "email": email, "password": password})
    resp = await http.get(f"{base}/workshops/new")
    if not str(resp.url).endswith("/workshops/new"):
        raise RuntimeError("could not sign in: create the account first with `facilitator create-facilitator`")
    html = await resp.text()
    resp = await http.post(f"{base}/workshops/new", data={"csrf_token": _csrf(html), "title": "Load test"})
    workshop_id = int(re.search(r"/workshops/(\d+)", str(resp.url)).group(1))  # type: ignore[union-attr]
    html = await resp.text()
    await http.post(f"{base}/workshops/{workshop_id}/activities",
                    data={"csrf_token": _csrf(html), "kind": "check_in", "title": "Check-in",
                          "prompt": "One word for today"})
    html = await (await http.get(f"{base}/workshops/{workshop_id}")).text()
    code = re.search(r'class="code">(\d{3}) (\d{3})<', html)
    activity = re.search(r'data-activity-id="(\d+)"', html)
    if not code or not activity:
        raise RuntimeError("could not read the workshop's code")
    return workshop_id, code.group(1) + code.group(2), int(activity.group(1))


@dataclass
class _Workshop:
    id: int
    code: str
    activity: int
    url: str  # where its facilitator and, unless phones are spread, its phones connect
    phones: list[Phone] = field(default_factory=list)
    sent: dict[int, float] = field(default_factory=dict)  # answer id -> time sent
    ack_times: list[float] = field(default_factory=list)


async def _run(url: str | list[str], participants: int, email: str, password: str, answers: int,
               echo: Callable[[str], Any], workshops: int = 1, spread: bool = False) -> dict[str, Any]:
    """``url`` is one server (or a load balancer) or several workers sharing PostgreSQL and Redis. The
    phones are split over ``workshops`` workshops (round robin). Workshop ``k`` lives on worker
    ``k % len(urls)``; with ``spread`` the phones of each workshop are dealt over all the workers instead,
    so that one large workshop is served by several workers through the message queue."""
    import aiohttp
    import socketio

    urls = [u.rstrip("/") for u in ([url] if isinstance(url, str) else url)]
    base = urls[0]
    timeout = aiohttp.ClientTimeout(total=60)
    rooms: list[_Workshop] = []
    consoles: list[Any] = []
    async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for k in range(max(1, workshops)):
            workshop_id, code, activity_id = await _facilitator(base, email, password, http)
            home = urls[k % len(urls)]
            fac = socketio.AsyncClient(reconnection=False)
            await fac.connect(f"{home}/?ws={workshop_id}",
                              headers={"Cookie": _cookie_header(http.cookie_jar, base)},
                              auth={"workshop": workshop_id, "role": "facilitator"}, transports=["websocket"])
            await fac.call("activity:stage", {"activity_id": activity_id})
            await fac.call("activity:set_phase", {"activity_id": activity_id, "phase": "open"})
            consoles.append(fac)
            rooms.append(_Workshop(workshop_id, code, activity_id, home))
    where = f" on {len(urls)} workers" if len(urls) > 1 else ""
    echo(f"{len(rooms)} workshop(s){where}: joining {participants} phones"
         + ("" if len(rooms) > 1 else f" (workshop {rooms[0].id} code {rooms[0].code})"))

    phones = [Phone(i) for i in range(participants)]
    for phone in phones:
        rooms[phone.index % len(rooms)].phones.append(phone)
    join_times: list[float] = []
    connector = aiohttp.TCPConnector(limit=200)
    sem = asyncio.Semaphore(100)  # joins in flight at once, like a room scanning a QR code together

    async def join(phone: Phone) -> None:
        room = rooms[phone.index % len(rooms)]
        target = urls[(phone.index // len(rooms)) % len(urls)] if spread else room.url
        async with sem:
            started = time.perf_counter()
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(timeout=timeout, cookie_jar=jar, connector=connector,
                                             connector_owner=False) as s:
                phone.cookies = await join_phone(s, target, room.code, f"Phone {phone.index}")
            sio = socketio.AsyncClient(reconnection=False)

            @sio.on("checkin:answered")
            async def answered(env: dict[str, Any]) -> None:
                if env["seq"] in phone.seqs:
                    phone.duplicates += 1
                    return
                phone.seqs.append(env["seq"])
                phone.seen[env["data"]["answer"]["id"]] = time.perf_counter()

            # ?ws= is what a load balancer hashes on (static/js/live.js sends it too).
            await sio.connect(f"{target}/?ws={room.id}", headers={"Cookie": phone.cookies},
                              auth={"workshop": room.id, "role": "participant"},
                              transports=["websocket"], wait_timeout=30)
            phone.sio = sio
            join_times.append(time.perf_counter() - started)

    t0 = time.perf_counter()
    await asyncio.gather(*(join(p) for p in phones))
    join_total = time.perf_counter() - t0
    await asyncio.sleep(1.0)

    async def speak(room: _Workshop) -> None:
        # The workshops run at the same time; inside one, answers come a little apart.
        for phone in room.phones[: max(1, min(answers, len(room.phones)))]:
            started = time.perf_counter()
            payload = {"cid": uuid.uuid4().hex, "activity_id": room.activity,
                       "text": f"answer from phone {phone.index}"}
            ack = await phone.sio.call("checkin:answer", payload, timeout=30)
            room.ack_times.append(time.perf_counter() - started)
            if ack.get("ok"):
                room.sent[ack["data"]["id"]] = started
            await asyncio.sleep(0.05)

    await asyncio.gather(*(speak(r) for r in rooms if r.phones))
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        if all(len(p.seen) >= len(r.sent) for r in rooms for p in r.phones):
            break
        await asyncio.sleep(0.1)

    fanouts: list[float] = []
    ack_times = [t for r in rooms for t in r.ack_times]
    lost = expected = sent_total = 0
    for room in rooms:
        sent_total += len(room.sent)
        expected += len(room.sent) * len(room.phones)
        for answer_id, started in room.sent.items():
            arrivals = [p.seen[answer_id] for p in room.phones if answer_id in p.seen]
            lost += len(room.phones) - len(arrivals)
            if arrivals:
                fanouts.append(max(arrivals) - started)
    duplicates = sum(p.duplicates for p in phones)
    await asyncio.gather(*(p.sio.disconnect() for p in phones if p.sio), return_exceptions=True)
    await asyncio.gather(*(fac.disconnect() for fac in consoles), return_exceptions=True)
    await connector.close()

    result = {
        "participants": participants,
        "workers": len(urls),
        "workshops": len(rooms),
        "join_total_s": join_total,
        "join_p50_ms": percentile(join_times, 50) * 1000,
        "join_p95_ms": percentile(join_times, 95) * 1000,
        "ack_p50_ms": percentile(ack_times, 50) * 1000,
        "ack_p95_ms": percentile(ack_times, 95) * 1000,
        "fanout_p50_ms": percentile(fanouts, 50) * 1000,
        "fanout_p95_ms": percentile(fanouts, 95) * 1000,
        "answers": sent_total,
        "deliveries_expected": expected,
        "lost": lost,
        "duplicated": duplicates,
        "mean_ack_ms": statistics.fmean(ack_times) * 1000 if ack_times else float("nan"),
    }
    return result


def run_loadtest(url: str | list[str], participants: int, *, email: str, password: str, answers: int = 20,
                 echo: Callable[[str], Any] = print, workshops: int = 1,
                 spread: bool = False) -> dict[str, Any]:
    # A thread of its own: the caller may already be running an event loop (a test, a notebook).
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["result"] = asyncio.run(_run(url, participants, email, password, answers, echo,
                                             workshops=workshops, spread=spread))
        except BaseException as err:  # handed back to the caller below
            box["error"] = err

    thread = threading.Thread(target=runner, name="loadtest")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    result = box["result"]
    echo(f"phones joined:        {result['participants']} in {result['join_total_s']:.2f} s "
         f"(per phone p50 {result['join_p50_ms']:.0f} ms, p95 {result['join_p95_ms']:.0f} ms)")
    echo(f"answer ack:           p50 {result['ack_p50_ms']:.1f} ms, p95 {result['ack_p95_ms']:.1f} ms")
    per = "" if result["workshops"] == 1 else f" in {result['workshops']} workshops"
    echo(f"fan-out to last phone: p50 {result['fanout_p50_ms']:.1f} ms, p95 {result['fanout_p95_ms']:.1f} ms "
         f"({result['answers']} answers, {result['participants']} phones{per})")
    echo(f"lost deliveries:      {result['lost']} of {result['deliveries_expected']}; "
         f"duplicated: {result['duplicated']}")
    return result

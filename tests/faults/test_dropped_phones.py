"""A tenth of the room drops off the network mid-activity, keeps typing, and comes back: nothing lost,
nothing stored or shown twice, every phone ends with what the database holds."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.faults.phones import Database, FaultServer, Phone, Proxy, log_tail, phone_cookies, until
from tests.live import cookie_header, create_workshop, facilitator_session

ROOM = 30
DROPPED = 3


def test_a_tenth_of_the_phones_drop_and_come_back_without_loss_or_duplicates(fault_server: FaultServer):
    server = fault_server
    fac = facilitator_session(server.url)
    ws = create_workshop(fac, server.url, title="Dropped wifi summit", kinds=("stakeholder_map",))
    activity = ws["activities"][0]
    cookies = [phone_cookies(server.url, ws["code"], f"Phone {i}") for i in range(ROOM)]
    fac_cookies = cookie_header(fac)
    fac.close()
    database = Database(server.database_url)
    try:
        asyncio.run(_scenario(server, database, ws, activity, fac_cookies, cookies))
    except AssertionError:
        print(log_tail(server))
        raise
    finally:
        database.close()


async def _scenario(
    server: FaultServer,
    database: Database,
    ws: dict[str, Any],
    activity: int,
    fac_cookies: str,
    cookies: list[str],
) -> None:
    console = await Phone(server.url, fac_cookies, ws["id"], "Console", activity, role="facilitator").start()
    assert (await console._call("activity:stage", {"activity_id": activity}))["ok"]
    assert (await console._call("activity:set_phase", {"activity_id": activity, "phase": "open"}))["ok"]
    wifi = Proxy(server.port)  # the patchy corner of the room
    await wifi.restore()
    phones = list(
        await asyncio.gather(
            *(
                Phone(wifi.url if i < DROPPED else server.url, c, ws["id"], f"Phone {i}", activity).start()
                for i, c in enumerate(cookies)
            )
        )
    )
    dropped, steady = phones[:DROPPED], phones[DROPPED:]

    async def post(group: list[Phone], label: str) -> None:
        for p in group:
            p.add_stakeholder(f"{p.name} {label}")
        assert all(await asyncio.gather(*(p.drained(20) for p in group))), label

    await post(phones, "first")
    # Their wifi goes: connections reset, no way back for now.
    await wifi.cut()
    assert await until(lambda: all(p.dropped.is_set() for p in dropped), 10)
    # They keep using the page: what they add waits in their outbox. The rest of the room goes on.
    for p in dropped:
        p.add_stakeholder(f"{p.name} offline one")
        p.add_stakeholder(f"{p.name} offline two")
    await post(steady, "second")
    await post(steady, "third")
    assert [len(p.outbox) for p in dropped] == [2] * DROPPED
    assert not any("offline" in name for name in database.items(activity).values())

    # The wifi is back. They reconnect by themselves while the others keep posting.
    stored_at_return = set(database.items(activity))
    await wifi.restore()
    await post(steady, "fourth")
    assert all(await asyncio.gather(*(p.drained(20) for p in dropped))), [len(p.outbox) for p in dropped]

    expected = sorted(
        [f"{p.name} {label}" for p in phones for label in ("first",)]
        + [f"{p.name} {label}" for p in steady for label in ("second", "third", "fourth")]
        + [f"{p.name} offline {n}" for p in dropped for n in ("one", "two")]
    )
    stored = database.stakeholders(activity)
    assert sorted(name for _, name, _ in stored) == expected  # nothing lost, nothing stored twice
    final = {sid: name for sid, name, _ in stored}
    for p in phones:
        for cid, answer in p.acks.items():
            assert answer["ok"] and "duplicate" not in answer, answer
            assert final[answer["data"]["id"]] == p.commands[cid][1]["name"]
    for p in dropped:
        assert p.connects == 2
        # Caught up by seq (a delta, not a fresh snapshot), with everything added while they were away.
        assert p.snapshots == 1
        shown_on_return = next(items for _, n, items in p.syncs if n == 2)
        assert stored_at_return <= shown_on_return, (p.sync_log, sorted(p.seen_seqs))
    assert all(p.connects == 1 for p in steady)

    # Every phone ends with exactly what is stored, each addition applied once.
    assert await until(lambda: all(p.items == final for p in phones), 15), [
        (p.name, len(p.items)) for p in phones if p.items != final
    ]
    for p in phones:
        assert len(p.added) == len(set(p.added)), p.name
    await console._call("sync", {"last_seq": console.last_seq})
    assert await until(lambda: console.counters.get("online") == ROOM, 10), console.counters
    await asyncio.gather(*(p.close() for p in [*phones, console]))
    await wifi.cut()

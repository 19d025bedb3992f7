"""A workshop with every kind of activity, three people who took part in all of them, and a hidden item."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import or_, select

from facilitator.extensions import db
from tests.conftest import ack

KINDS = ("check_in", "stakeholder_map", "open_space", "work_avoidance", "commitment_tree")
SKIPPED = {"facilitator", "presence", "processed_command", "throttle", "workshop_facilitator"}
# Only names typed by the people themselves; the tests look for every one of these strings.
PEOPLE = (
    ("Zelda Quist", "Riverside Trust", "Housing"),
    ("Bram Okafor", "Hillcrest Academy", "Education"),
    ("Carys Pell", "Marsh Lane Surgery", "NHS and health care"),
)
ZELDA_WORDS = ("Zelda", "Quist", "Riverside Trust")


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["ok"], result
    return result.get("data") or {}


def cid() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def rich_workshop(
    app, make_workshop, phone, sockets, facilitator, monkeypatch
) -> Callable[[], dict[str, Any]]:
    from facilitator.activities.stakeholder_map import services as map_services

    # The map lays newcomers out a second later in a background thread; these tests need a workshop
    # that stays still while they compare it.
    monkeypatch.setattr(map_services.settle_soon, "poke", lambda _key: None)

    def build() -> dict[str, Any]:
        from facilitator.workshops import services
        from facilitator.workshops.models import ActivityPhase, Workshop

        ws = make_workshop(activities=KINDS)
        with app.app_context():
            workshop = db.session.get(Workshop, ws["id"])
            for activity in workshop.activities[1:]:
                services.set_activity_phase(activity, ActivityPhase.OPEN, by=None)
        check_in, smap, ospace, wa, tree = ws["activities"]
        people = [sockets(phone(ws["code"], n, o, s), ws["id"]) for n, o, s in PEOPLE]
        zelda, bram, carys = people
        console = sockets(facilitator, ws["id"], role="facilitator")

        answer = ok(
            ack(
                zelda,
                "checkin:answer",
                {"cid": cid(), "activity_id": check_in, "text": "Zelda here, arriving tired but hopeful"},
            )
        )["id"]
        ok(ack(bram, "checkin:answer", {"cid": cid(), "activity_id": check_in, "text": "Curious, Bram"}))
        ok(ack(carys, "checkin:answer", {"activity_id": check_in, "text": "Ready to listen"}))

        gp = ok(
            ack(
                zelda,
                "stakeholder:add",
                {
                    "activity_id": smap,
                    "name": "Dr Gupta",
                    "organisation": "Vale NHS Trust",
                    "confirm_new": True,
                },
            )
        )["id"]
        bank = ok(
            ack(
                bram,
                "stakeholder:add",
                {
                    "activity_id": smap,
                    "name": "Food bank",
                    "organisation": "Vale Food Bank",
                    "confirm_new": True,
                },
            )
        )["id"]
        ok(
            ack(
                zelda,
                "relationship:add",
                {"activity_id": smap, "source_id": gp, "target_id": bank, "kind": "informal"},
            )
        )
        ok(ack(zelda, "map:join", {"activity_id": smap, "works_with": [gp], "kind": "collaborates"}))
        ok(ack(bram, "map:join", {"activity_id": smap, "works_with": [bank]}))

        topic = ok(
            ack(
                zelda,
                "topic:propose",
                {
                    "cid": cid(),
                    "activity_id": ospace,
                    "title": "Zelda's housing-first pilot",
                    "description": "What would it take across the vale?",
                },
            )
        )["id"]
        other = ok(ack(bram, "topic:propose", {"activity_id": ospace, "title": "School nurses"}))["id"]
        ok(ack(carys, "topic:interest", {"activity_id": ospace, "topic_id": topic, "interested": True}))
        ok(ack(zelda, "topic:interest", {"activity_id": ospace, "topic_id": other, "interested": True}))
        state = ok(ack(console, "activity:state", {"activity_id": ospace}))["state"]
        s1, r1, r2 = state["slots"][0]["id"], state["spaces"][0]["id"], state["spaces"][1]["id"]
        ok(
            ack(
                console,
                "topic:place",
                {"activity_id": ospace, "topic_id": topic, "slot_id": s1, "space_id": r1},
            )
        )
        ok(
            ack(
                console,
                "topic:place",
                {"activity_id": ospace, "topic_id": other, "slot_id": s1, "space_id": r2},
            )
        )
        ok(ack(carys, "openspace:check_in", {"activity_id": ospace, "topic_id": other}))
        ok(
            ack(
                bram,
                "openspace:report",
                {
                    "activity_id": ospace,
                    "topic_id": other,
                    "notes": "Nurses stretched thin",
                    "key_points": ["More nurses"],
                    "proposed_actions": ["Pilot in two schools"],
                },
            )
        )
        ok(
            ack(
                carys,
                "openspace:report",
                {
                    "activity_id": ospace,
                    "topic_id": other,
                    "notes": "Nurses stretched thin; parents want drop-ins",
                },
            )
        )
        ok(
            ack(
                zelda,
                "openspace:report",
                {
                    "activity_id": ospace,
                    "topic_id": topic,
                    "notes": "Zelda Quist convened; keys held by three bodies",
                },
            )
        )

        for person, rating in zip(people, (3, 1, 4), strict=True):
            ok(ack(person, "wa:rate", {"activity_id": wa, "form_key": "denial", "rating": rating}))
        ok(
            ack(
                zelda,
                "wa:example",
                {"activity_id": wa, "form_key": "denial", "text": "We pretend the waiting list is fine"},
            )
        )

        mine = ok(
            ack(
                zelda,
                "commitment:post",
                {
                    "activity_id": tree,
                    "text": "Walk the wards with Bram monthly",
                    "with_whom": ["Bram Okafor"],
                },
            )
        )["id"]
        ok(
            ack(
                bram,
                "commitment:post",
                {"activity_id": tree, "text": "Invite Zelda to our governors", "with_whom": ["Zelda"]},
            )
        )
        ok(ack(carys, "commitment:post", {"activity_id": tree, "text": "Open our surgery's data"}))

        ok(
            ack(
                console,
                "item:hide",
                {"activity_id": check_in, "item_type": "answer", "item_id": answer, "reason": "Off topic"},
            )
        )
        for client in (*people, console):
            client.get_received()
        return {
            **ws,
            "people": people,
            "console": console,
            "answer": answer,
            "commitment": mine,
            "topic": topic,
            "gp": gp,
        }

    return build


def reachable(workshop_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of the workshop, found independently of the code under test (same idea, fresh code)."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in SKIPPED]
    ids: dict[str, set[int]] = {"workshop": {workshop_id}}
    rows: dict[str, dict[Any, dict[str, Any]]] = {}
    changed = True
    while changed:
        changed = False
        for table in tables:
            where = [
                fk.parent.in_(ids[fk.column.table.name])
                for fk in table.foreign_keys
                if ids.get(fk.column.table.name)
            ]
            if table.name == "workshop":
                where.append(table.c.id == workshop_id)
            if not where:
                continue
            for row in db.session.execute(select(table).where(or_(*where))).mappings():
                key = tuple(row[c.name] for c in table.primary_key.columns)
                changed = changed or key not in rows.get(table.name, {})
                rows.setdefault(table.name, {})[key] = dict(row)
                if "id" in row:
                    ids.setdefault(table.name, set()).add(row["id"])
    return {name: [found[k] for k in sorted(found)] for name, found in rows.items()}


def fingerprint(workshop_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """The workshop's rows with every id replaced by the rank of the row it names (ids differ, order not)."""
    from facilitator.activities import registry

    rows = reachable(workshop_id)
    rank = {
        name: {r["id"]: i for i, r in enumerate(found)}
        for name, found in rows.items()
        if found and "id" in found[0]
    }
    tables = {t.name: t for t in db.metadata.sorted_tables}
    item_tables = {
        (k.name, t): spec.model.__table__.name for k in registry().values() for t, spec in k.items.items()
    }
    kinds = {r["id"]: r["kind"] for r in rows.get("activity", [])}
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name, found in rows.items():
        table = tables[name]
        normal = []
        for row in found:
            values = []
            for column in table.columns:
                value = row[column.name]
                fks = list(column.foreign_keys)
                if column.primary_key and column.name == "id":
                    value = rank[name][value]
                elif fks and fks[0].column.table.name == "facilitator":
                    continue
                elif fks and value is not None:
                    value = rank[fks[0].column.table.name][value]
                elif name == "moderation_entry" and column.name == "item_id":
                    item_table = item_tables[(kinds[row["activity_id"]], row["item_type"])]
                    value = rank[item_table].get(value)
                values.append((column.name, value))
            normal.append(tuple(values))
        out[name] = normal
    return out

"""Data protection: erase one participant from a workshop; purge ended workshops after a retention time.

Erasure, like the export, follows foreign keys from the metadata, so a new kind's tables are covered
without touching this module:

* every row that points at the participant is deleted, and every row that points at a deleted row,
  and so on. A link declared ``ondelete="SET NULL"`` towards a participant ("added by", "stands for")
  marks something the person authored, so that row goes too, except the few links listed in
  ``UNLINK_ONLY`` that only record who last touched a shared record (an Open Space report that a
  whole group wrote): there the link is emptied and the record kept;
* open sockets (presence) and the command ids kept for de-duplication go;
* the moderation log keeps that something was hidden and why, but no longer the text of their items;
* the event log. It is the replay buffer: a phone that was asleep asks for every event after the last
  one it saw and applies them in order, and the seq numbers must have no holes or the phone would wait
  for the missing one forever. So events are not deleted: every event that carries the person
  (their name, their participant id, a copy of one of their rows or of its text, or anything sent
  only to them) is rewritten in place into an empty ``record:erased`` event with the same seq, which
  every client ignores. A replay therefore never shows them. Clients that already show their items
  get a fresh copy of the activity on stage (an ``activity:staged`` event, announced with the
  erasure), and any other activity is sent whole when it is next put on stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Table, and_, delete, func, select, update

from facilitator.archive.document import PARTICIPANT, Scrubber, _kind, _single_pk, collect
from facilitator.db import utcnow
from facilitator.errors import NotFound
from facilitator.extensions import db
from facilitator.realtime.publish import announce
from facilitator.workshops.models import (
    ModerationEntry,
    Participant,
    ProcessedCommand,
    Workshop,
    WorkshopEvent,
    WorkshopPhase,
)

TOMBSTONE = "record:erased"
# Links to a participant that only say who last edited a record many people wrote.
UNLINK_ONLY = frozenset({("open_space_report", "updated_by_id")})
# Payload keys that name a participant by id.
PERSON_KEYS = frozenset(
    {
        "participant_id",
        "by",
        "by_id",
        "author_id",
        "convener_id",
        "added_by_id",
        "self_of_id",
        "updated_by_id",
        "me",
    }
)
NOT_FOLLOWED = frozenset({"facilitator", "throttle", "workshop", "activity"})


@dataclass
class Erasure:
    name: str
    deleted: dict[str, int] = field(default_factory=dict)
    unlinked: int = 0
    events_rewritten: int = 0
    moderation_entries: int = 0
    mentions_removed: int = 0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in NOT_FOLLOWED]


def plan(
    participant: Participant,
) -> tuple[dict[str, dict[Any, dict[str, Any]]], list[tuple[Table, str, Any]]]:
    """The rows that go (by table, by primary key) and the links that are only emptied."""
    doomed: dict[str, dict[Any, dict[str, Any]]] = {
        PARTICIPANT: {
            participant.id: dict(
                db.session.execute(
                    select(Participant.__table__).where(Participant.__table__.c.id == participant.id)
                )
                .mappings()
                .one()
            )
        }
    }
    unlink: list[tuple[Table, str, Any]] = []
    seen_unlink: set[tuple[str, str, Any]] = set()
    changed = True
    while changed:
        changed = False
        for table in _tables():
            for fk in table.foreign_keys:
                target = fk.column.table.name
                ids = list(doomed.get(target, {}))
                if not ids:
                    continue
                column = fk.parent
                keep = fk.ondelete == "SET NULL" and (
                    target != PARTICIPANT or (table.name, column.name) in UNLINK_ONLY
                )
                for row in db.session.execute(select(table).where(column.in_(ids))).mappings():
                    row = dict(row)
                    key = tuple(row[c.name] for c in table.primary_key.columns)
                    key = key[0] if len(key) == 1 else key
                    if keep:
                        if (table.name, column.name, key) not in seen_unlink:
                            seen_unlink.add((table.name, column.name, key))
                            unlink.append((table, column.name, key))
                        continue
                    if key not in doomed.setdefault(table.name, {}):
                        doomed[table.name][key] = row
                        changed = True
    unlink = [(t, c, k) for t, c, k in unlink if k not in doomed.get(t.name, {})]
    return doomed, unlink


def _where_key(table: Table, key: Any) -> Any:
    cols = list(table.primary_key.columns)
    if len(cols) == 1:
        return cols[0] == key
    return and_(*(c == v for c, v in zip(cols, key, strict=True)))


def erase_participant(workshop: Workshop, participant_id: int, *, by: Any) -> Erasure:
    """Remove one participant and everything they put into the workshop, in one transaction."""
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop.id:
        raise NotFound(_("That participant could not be found."))
    report = Erasure(name=participant.label)
    doomed, unlink = plan(participant)
    tables = {t.name: t for t in db.metadata.sorted_tables}
    others = db.session.scalars(
        select(Participant.display_name).where(
            Participant.workshop_id == workshop.id, Participant.id != participant.id
        )
    ).all()
    scrubber = Scrubber.for_people(
        [doomed[PARTICIPANT][participant.id]],
        lambda _p: _("[name removed]"),
        keep={w for name in others for w in re.findall(r"\w+", name)},
    )

    report.moderation_entries = _forget_moderated_text(workshop, doomed)
    report.events_rewritten = _rewrite_events(workshop, participant, doomed, scrubber)
    db.session.execute(
        delete(ProcessedCommand).where(
            ProcessedCommand.workshop_id == workshop.id, ProcessedCommand.actor == f"p:{participant.id}"
        )
    )
    for table, column, key in unlink:
        db.session.execute(update(table).where(_where_key(table, key)).values({column: None}))
    report.unlinked = len(unlink)
    for table in reversed(db.metadata.sorted_tables):  # children first
        keys = list(doomed.get(table.name, {}))
        if not keys:
            continue
        pk = _single_pk(table)
        if pk is not None:
            for start in range(0, len(keys), 500):
                db.session.execute(delete(table).where(pk.in_(keys[start : start + 500])))
        else:
            for key in keys:
                db.session.execute(delete(table).where(_where_key(tables[table.name], key)))
        report.deleted[table.name] = len(keys)
    report.mentions_removed = _remove_mentions(workshop, scrubber)

    db.session.expire_all()
    staged = workshop.staged
    if staged is not None:
        from facilitator.workshops.services import staged_public

        announce(workshop.id, "activity:staged", {"activity": staged_public(staged)})
    db.session.commit()
    from facilitator.workshops.live import counter_push

    counter_push.poke(workshop.id)
    return report


def _forget_moderated_text(workshop: Workshop, doomed: dict[str, dict[Any, dict[str, Any]]]) -> int:
    """The log keeps that an item was hidden and why, not the words of an erased person's item."""
    from facilitator.activities import registry

    count = 0
    for kind in registry().values():
        for item_type, spec in kind.items.items():
            rows = doomed.get(spec.model.__table__.name, {})
            for key, row in rows.items():
                result = db.session.execute(
                    update(ModerationEntry)
                    .where(
                        ModerationEntry.workshop_id == workshop.id,
                        ModerationEntry.activity_id == row.get("activity_id"),
                        ModerationEntry.item_type == item_type,
                        ModerationEntry.item_id == key,
                    )
                    .values(item_text=_("(erased at the participant's request)"))
                    .execution_options(synchronize_session=False)
                )
                count += result.rowcount or 0  # type: ignore[attr-defined]
    return count


def _walk(value: Any) -> Iterator[tuple[str | None, Any, dict[str, Any] | None]]:
    """(key, value, the dict holding it) for every value inside a JSON payload."""
    stack: list[tuple[str | None, Any, dict[str, Any] | None]] = [(None, value, None)]
    while stack:
        key, item, parent = stack.pop()
        yield key, item, parent
        if isinstance(item, dict):
            stack.extend((str(k), v, item) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((key, v, parent) for v in item)


def _remove_mentions(workshop: Workshop, scrubber: Scrubber) -> int:
    """Their name written in what others wrote ("with Sam"): replaced, the rest of the text kept."""
    db.session.flush()
    tables = {t.name: t for t in db.metadata.sorted_tables}
    changed = 0
    for name, rows in collect(workshop.id, skip={PARTICIPANT}).items():
        table = tables[name]
        pk = _single_pk(table)
        columns = [
            c
            for c in table.columns
            if _kind(c) in ("str", "json") and not c.foreign_keys and c.name != "token"
        ]
        if pk is None or not columns:
            continue
        for row in rows:
            values = {c.name: scrubber.scrub(row[c.name]) for c in columns}
            values = {k: v for k, v in values.items() if v != row[k]}
            if values:
                db.session.execute(update(table).where(pk == row[pk.name]).values(values))
                changed += 1
    return changed


def _rewrite_events(
    workshop: Workshop,
    participant: Participant,
    doomed: dict[str, dict[Any, dict[str, Any]]],
    scrubber: Scrubber,
) -> int:
    names = {
        n.strip().casefold()
        for n in (participant.display_name, participant.label, participant.token)
        if n and n.strip()
    }
    texts: set[str] = set()
    signatures: set[tuple[Any, str, Any]] = set()
    tables = {t.name: t for t in db.metadata.sorted_tables}
    for table_name, rows in doomed.items():
        table = tables[table_name]
        for row in rows.values():
            row_id = row.get("id")
            for column in table.columns:
                value = row.get(column.name)
                if value is None or isinstance(value, bool) or column.name == "id":
                    continue
                if row_id is not None and isinstance(value, (str, int, float)) and value != "":
                    signatures.add((row_id, column.name, value))
                if (
                    _kind(column) == "str"
                    and isinstance(value, str)
                    and len(value.strip()) >= 4
                    and (
                        getattr(column.type, "length", None) is None or column.type.length >= 100  # type: ignore[attr-defined]
                    )
                ):
                    texts.add(value.strip().casefold())
                elif _kind(column) == "json":
                    for _k, v, _p in _walk(value):
                        if isinstance(v, str) and len(v.strip()) >= 4:
                            texts.add(v.strip().casefold())

    def carries_them(event: WorkshopEvent) -> bool:
        if event.audience == f"p:{participant.id}":
            return True
        for key, value, parent in _walk(event.payload):
            if isinstance(value, str):
                folded = value.strip().casefold()
                if folded in names or folded in texts or scrubber.matches(value):
                    return True
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and value == participant.id
                and key
                and (key in PERSON_KEYS or key.endswith("participant_id"))
            ):
                return True
            if (
                parent is not None
                and key
                and key != "id"
                and "id" in parent
                and not isinstance(value, (dict, list))
            ):
                if (parent["id"], key, value) in signatures:
                    return True
        return False

    rewritten = 0
    for event in db.session.scalars(select(WorkshopEvent).where(WorkshopEvent.workshop_id == workshop.id)):
        if event.name != TOMBSTONE and carries_them(event):
            event.name = TOMBSTONE
            event.payload = {}
            rewritten += 1
    db.session.flush()
    return rewritten


# Retention ---------------------------------------------------------------------------------------------


def last_activity(workshop: Workshop) -> Any:
    """When anything last happened in the workshop: its latest recorded event (ending it is one)."""
    latest = db.session.scalar(
        select(func.max(WorkshopEvent.created_at)).where(WorkshopEvent.workshop_id == workshop.id)
    )
    return max(latest, workshop.created_at) if latest else workshop.created_at


def purgeable(older_than_days: int, *, now: Any = None) -> list[Workshop]:
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    ended = db.session.scalars(
        select(Workshop).where(Workshop.phase == WorkshopPhase.ENDED).order_by(Workshop.id)
    ).all()
    return [w for w in ended if last_activity(w) < cutoff]


def purge_ended(older_than_days: int, *, now: Any = None, dry_run: bool = False) -> list[tuple[int, str]]:
    """Delete every ended workshop (with all its data) whose last event is older than the cutoff."""
    from facilitator.workshops.services import delete_workshop

    if older_than_days < 0:
        raise ValueError("older_than_days must not be negative")
    gone = []
    for workshop in purgeable(older_than_days, now=now):
        gone.append((workshop.id, workshop.title))
        if not dry_run:
            delete_workshop(workshop, by=None)
    return gone

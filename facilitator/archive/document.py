"""One workshop as a versioned JSON document, built from the SQLAlchemy metadata, and back again.

Nothing here knows the activity kinds: the rows of a workshop are found by following foreign keys
from the ``workshop`` row (the workshop's activities, participants, events, then every row that points
at a row already taken, and so on until nothing new turns up). A new kind's tables travel without
touching this module.

The document::

    {"format": "facilitator-workshop", "version": 1, "exported_at": "...+00:00", "anonymised": false,
     "tables": {"<table>": [{"<column>": value, ...}, ...], ...}, "sha256": "<hex>"}

``sha256`` is taken over the canonical JSON of everything else (sorted keys, no spaces, UTF-8). It
catches a damaged or hand-edited file; it is not a signature (anyone can recompute it), which is why
the import also checks every value against the schema and every reference against the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import types as satypes

from facilitator.auth.models import Facilitator
from facilitator.db import utcnow
from facilitator.errors import DomainError
from facilitator.extensions import db

log = logging.getLogger(__name__)

FORMAT = "facilitator-workshop"
VERSION = 1
ROOT = "workshop"
ACCOUNTS = "facilitator"
MEMBERSHIP = "workshop_facilitator"
PARTICIPANT = "participant"
# Not part of a workshop's record: accounts (never exported), open sockets, client command ids kept
# for de-duplication, and rate-limit counters. They mean nothing on another installation.
SKIPPED = frozenset({ACCOUNTS, "presence", "processed_command", "throttle"})
# Left out of an anonymised export as well: the replay log repeats names and texts verbatim.
SKIPPED_WHEN_ANONYMISED = frozenset({"workshop_event"})
MAX_ROWS = 500_000


class ArchiveError(DomainError):
    """A file that cannot be imported; ``message`` says why, in words a facilitator understands."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_archive", message)


# Tables and rows -----------------------------------------------------------------------------------


def workshop_tables() -> list[Table]:
    """Every table that can hold a workshop's rows, parents before children."""
    return [t for t in db.metadata.sorted_tables if t.name not in SKIPPED]


def _single_pk(table: Table) -> Column[Any] | None:
    pk = list(table.primary_key.columns)
    return pk[0] if len(pk) == 1 else None


def _row_key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


def collect(workshop_id: int, *, skip: Iterable[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Every row reachable from the workshop, by table, each table's rows in primary-key order."""
    skipped = set(skip)
    tables = [t for t in workshop_tables() if t.name not in skipped]
    ids: dict[str, set[Any]] = {ROOT: {workshop_id}}
    found: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {t.name: {} for t in tables}
    changed = True
    while changed:
        changed = False
        for table in tables:
            conditions = [
                fk.parent.in_(sorted(ids[fk.column.table.name]))
                for fk in table.foreign_keys
                if ids.get(fk.column.table.name)
            ]
            if table.name == ROOT:
                conditions.append(table.c.id == workshop_id)
            if not conditions:
                continue
            for row in db.session.execute(select(table).where(or_(*conditions))).mappings():
                key = _row_key(table, dict(row))
                if key in found[table.name]:
                    continue
                found[table.name][key] = dict(row)
                changed = True
                pk = _single_pk(table)
                if pk is not None:
                    ids.setdefault(table.name, set()).add(row[pk.name])
    return {name: [rows[k] for k in sorted(rows, key=_sort_key)] for name, rows in found.items() if rows}


def _sort_key(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(f"{v:020d}" if isinstance(v, int) else str(v) for v in key)


# Values --------------------------------------------------------------------------------------------


def _kind(column: Column[Any]) -> str:
    t = column.type
    if isinstance(t, satypes.TypeDecorator):
        t = t.impl_instance
    if isinstance(t, JSON):
        return "json"
    if isinstance(t, DateTime):
        return "datetime"
    if isinstance(t, satypes.Date):
        return "date"
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, Integer):
        return "int"
    if isinstance(t, (Float, satypes.Numeric)):
        return "float"
    if isinstance(t, (String, satypes.Text)):
        return "str"
    return "other"


def dump_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        raise TypeError(f"binary column {column.table.name}.{column.name} cannot be exported")
    return value


def load_value(column: Column[Any], value: Any) -> Any:
    """The value as the column needs it, or ArchiveError: the file's content is not trusted."""
    where = f"{column.table.name}.{column.name}"
    if value is None:
        if not column.nullable and column.default is None and not column.primary_key:
            raise ArchiveError(_("The file is missing a required value (%(where)s).", where=where))
        return None
    kind = _kind(column)
    bad = ArchiveError(_("The file has a value of the wrong type (%(where)s).", where=where))
    if kind == "datetime":
        if not isinstance(value, str):
            raise bad
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise bad from None
        if parsed.tzinfo is None:
            raise bad
        return parsed.astimezone(UTC)
    if kind == "date":
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise bad from None
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**62:
            raise bad
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise bad
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise ArchiveError(_("The file has a text that is too long (%(where)s).", where=where))
        return value
    return value  # JSON: any JSON value is fine


# The document ----------------------------------------------------------------------------------------


def canonical(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def checksum(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(doc)).hexdigest()


def export_document(workshop_id: int, *, anonymise: bool = False) -> dict[str, Any]:
    """The workshop as a plain, JSON-ready dict with its checksum."""
    skip = {MEMBERSHIP, *(SKIPPED_WHEN_ANONYMISED if anonymise else ())}
    rows = collect(workshop_id, skip=skip)
    if anonymise:
        rows = Anonymiser(rows).apply()
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in workshop_tables():
        if table.name not in rows:
            continue
        accounts = {
            c.name for c in table.columns if any(fk.column.table.name == ACCOUNTS for fk in c.foreign_keys)
        }
        tables[table.name] = [
            {c.name: None if c.name in accounts else dump_value(c, row.get(c.name)) for c in table.columns}
            for row in rows[table.name]
        ]
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow().isoformat(),
        "anonymised": anonymise,
        "tables": tables,
    }
    doc["sha256"] = checksum(doc)
    return doc


def dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def parse(raw: bytes | str) -> dict[str, Any]:
    """Read and check a file: format, version and checksum. Raises ArchiveError with the reason."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ArchiveError(_("This is not a Facilitator workshop file (it is not JSON).")) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ArchiveError(_("This is not a Facilitator workshop file."))
    version = doc.get("version")
    if version != VERSION:
        raise ArchiveError(
            _(
                "This file is in format version %(found)s; this installation reads version %(ours)s.",
                found=version,
                ours=VERSION,
            )
        )
    if not isinstance(doc.get("sha256"), str) or not secrets.compare_digest(doc["sha256"], checksum(doc)):
        raise ArchiveError(
            _(
                "The file has been changed or damaged since it was exported (its checksum does "
                "not match), so it was not imported."
            )
        )
    if doc.get("anonymised"):
        raise ArchiveError(_("This is an anonymised export: it cannot be restored. Import a full export."))
    if not isinstance(doc.get("tables"), dict):
        raise ArchiveError(_("This is not a Facilitator workshop file."))
    return doc


# Import ----------------------------------------------------------------------------------------------


def import_document(doc: dict[str, Any], *, owner: Facilitator) -> int:
    """Create the workshop in the file, owned by ``owner``, in one transaction. Returns its new id.

    Every id is new; every reference is carried over to the new ids. Facilitator accounts are not in
    the file: the owner becomes the workshop's only facilitator, and other references to accounts
    (who hid an item) become empty. A join code or token already used here is replaced.
    """
    try:
        new_id = _import(doc, owner)
    except ArchiveError:
        db.session.rollback()
        raise
    except Exception as err:
        db.session.rollback()
        log.warning("workshop import failed", exc_info=True)
        raise ArchiveError(
            _("The file could not be imported: its content does not fit this installation.")
        ) from err
    db.session.commit()
    return new_id


def _import(doc: dict[str, Any], owner: Facilitator) -> int:
    tables = {t.name: t for t in workshop_tables()}
    data: dict[str, Any] = doc["tables"]
    unknown = sorted(set(data) - set(tables))
    if unknown:
        raise ArchiveError(
            _(
                "The file has tables this installation does not know (%(names)s). Is it from a newer "
                "version of Facilitator?",
                names=", ".join(unknown[:5]),
            )
        )
    total = 0
    for name, rows in data.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ArchiveError(_("The file is damaged (table %(name)s).", name=name))
        total += len(rows)
        extra = {k for r in rows for k in r} - set(tables[name].c.keys())
        if extra:
            raise ArchiveError(
                _(
                    "The file has columns this installation does not know (%(where)s).",
                    where=f"{name}.{sorted(extra)[0]}",
                )
            )
    if total > MAX_ROWS:
        raise ArchiveError(_("The file is too large to import."))
    if len(data.get(ROOT) or []) != 1:
        raise ArchiveError(_("The file must hold exactly one workshop."))

    order = [t for t in workshop_tables() if data.get(t.name)]
    order.sort(key=lambda t: t.name in SOFT_REFERENCES)  # soft references need every other table first
    position = {t.name: i for i, t in enumerate(order)}
    idmap: dict[str, dict[Any, Any]] = {}
    deferred: list[tuple[Table, Column[Any], Any, Any]] = []  # (table, column, new pk, old value)

    # Core inserts, not ORM objects: mapper events (an open space seeding its default grid when an
    # activity is created) must not run again, since the file already holds what they made.
    for table in order:
        if table.name == MEMBERSHIP:
            continue  # memberships are replaced by the importing facilitator, below
        pk = _single_pk(table)
        auto = pk is not None and _kind(pk) == "int"
        old_keys: list[Any] = []
        params: list[dict[str, Any]] = []
        pending: list[tuple[Column[Any], int, Any]] = []  # (column, row index, old value) set after insert
        for raw in data[table.name]:
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.name not in raw:
                    if not column.nullable and column.default is None and not column.primary_key:
                        raise ArchiveError(
                            _(
                                "The file is missing a required value (%(where)s).",
                                where=f"{table.name}.{column.name}",
                            )
                        )
                    continue
                value = raw[column.name]
                if auto and column is pk:
                    if isinstance(value, bool) or not isinstance(value, int):
                        raise ArchiveError(_("The file is damaged (table %(name)s).", name=table.name))
                    old_keys.append(value)
                    continue
                fks = list(column.foreign_keys)
                if not fks:
                    row[column.name] = load_value(column, value)
                    continue
                target = fks[0].column.table.name
                if value is None:
                    row[column.name] = load_value(column, None)
                elif target == ACCOUNTS:
                    row[column.name] = None if column.nullable else owner.id
                elif target == table.name or position.get(target, -1) >= position[table.name]:
                    if not column.nullable or not auto:
                        raise ArchiveError(_("The file is damaged (table %(name)s).", name=table.name))
                    pending.append((column, len(params), value))  # the row it points at is not in yet
                    row[column.name] = None
                else:
                    row[column.name] = _mapped(idmap, target, value, column)
            params.append(row)
        if auto and len(set(old_keys)) != len(old_keys):
            raise ArchiveError(_("The file is damaged (table %(name)s).", name=table.name))
        _fix_unique(table, params)
        if table.name == ROOT:
            _fix_code(params[0])
        if table.name in SOFT_REFERENCES:
            for row in params:
                SOFT_REFERENCES[table.name](row, idmap, data)
        same_keys = all(set(r) == set(params[0]) for r in params)
        if auto:
            assert pk is not None
            if same_keys:  # one statement for the whole table, new ids in the order of the rows
                result = db.session.execute(
                    table.insert().returning(pk, sort_by_parameter_order=True), params
                )
                new_keys = [r[0] for r in result]
            else:  # rows from an older file may leave out columns that have defaults
                new_keys = [db.session.execute(table.insert().returning(pk), r).scalar_one() for r in params]
            idmap[table.name] = dict(zip(old_keys, new_keys, strict=True))
            deferred.extend((table, column, new_keys[index], old) for column, index, old in pending)
        else:
            for row in params if not same_keys else [None]:
                db.session.execute(table.insert(), [row] if row is not None else params)

    for table, column, new_key, old in deferred:
        target = next(iter(column.foreign_keys)).column.table.name
        pk = _single_pk(table)
        assert pk is not None
        db.session.execute(
            update(table).where(pk == new_key).values({column.name: _mapped(idmap, target, old, column)})
        )

    workshop_id = idmap[ROOT][data[ROOT][0]["id"]]
    membership = tables[MEMBERSHIP]
    db.session.execute(
        membership.insert(), [{"workshop_id": workshop_id, "facilitator_id": owner.id, "is_owner": True}]
    )
    db.session.flush()
    return int(workshop_id)


def _mapped(idmap: dict[str, dict[Any, Any]], target: str, value: Any, column: Column[Any]) -> Any:
    new = idmap.get(target, {}).get(value)
    if new is None:
        if column.nullable:
            return None
        raise ArchiveError(
            _(
                "The file refers to something that is not in it (%(where)s).",
                where=f"{column.table.name}.{column.name}",
            )
        )
    return new


def _unique_columns(table: Table) -> list[Column[Any]]:
    cols = [c for c in table.columns if c.unique]
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and len(constraint.columns) == 1:
            cols.append(next(iter(constraint.columns)))
    for index in table.indexes:
        if index.unique and len(index.columns) == 1:
            cols.append(next(iter(index.columns)))
    seen: list[Column[Any]] = []
    for c in cols:
        if c not in seen and not c.primary_key and not c.foreign_keys and _kind(c) == "str":
            seen.append(c)
    return seen


def _fix_unique(table: Table, params: list[dict[str, Any]]) -> None:
    """A token already used here (the file was imported before, or into its own installation) is renewed."""
    for column in _unique_columns(table):
        values = [r.get(column.name) for r in params if r.get(column.name) is not None]
        taken: set[Any] = set()
        for start in range(0, len(values), 500):
            taken.update(db.session.scalars(select(column).where(column.in_(values[start : start + 500]))))
        used: set[Any] = set()
        for row in params:
            value = row.get(column.name)
            if value is None:
                continue
            if value in taken or value in used:
                length = getattr(column.type, "length", None) or 64
                value = secrets.token_urlsafe(32)[:length]
                row[column.name] = value
            used.add(value)


def _fix_code(row: dict[str, Any]) -> None:
    from facilitator.workshops.models import Workshop
    from facilitator.workshops.services import new_code

    code = row.get("code")
    if not code or db.session.scalar(select(func.count()).where(Workshop.code == code)):
        row["code"] = new_code()


def _moderation_item(row: dict[str, Any], idmap: dict[str, dict[Any, Any]], data: dict[str, Any]) -> None:
    """``moderation_entry.item_id`` names a row of the kind's item table, found through the registry."""
    from facilitator.activities import registry

    kinds = {a["id"]: a.get("kind") for a in data.get("activity", [])}
    old_activity = next(
        (old for old, new in idmap.get("activity", {}).items() if new == row.get("activity_id")), None
    )
    kind = registry().get(str(kinds.get(old_activity)))
    spec = kind.items.get(str(row.get("item_type"))) if kind else None
    table = spec.model.__table__.name if spec else None
    row["item_id"] = idmap.get(table or "", {}).get(row.get("item_id"), 0)  # 0: the item no longer exists


# Columns that hold another row's id without a foreign key, and how to carry them over.
SOFT_REFERENCES = {"moderation_entry": _moderation_item}


# Anonymising -------------------------------------------------------------------------------------------


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


class Scrubber:
    """Replaces people's names (whole phrases, ignoring case) and the words of their names (as written)."""

    def __init__(self, phrases: dict[str, str], words: dict[str, str]) -> None:
        # A scan word by word with dictionaries, not one regular expression with hundreds of
        # alternatives: a 300-person workshop has thousands of texts to go through.
        self._by_first: dict[str, list[tuple[int, str, str]]] = {}  # first word -> (offset, phrase, alias)
        for phrase, alias in phrases.items():
            for variant in {phrase.lower(), _xml_escaped(phrase).lower()}:
                first = _WORD.search(variant)
                if first is not None:
                    entry = (first.start(), variant, alias)
                    self._by_first.setdefault(first.group(0), []).append(entry)
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[1]))
        self._words = words

    def _phrases(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, alias) of every name phrase in the text, left to right, never overlapping."""
        if not self._by_first:
            return
        lowered = text.lower()
        last = 0
        for m in _WORD.finditer(lowered):
            for offset, phrase, alias in self._by_first.get(m.group(0), ()):
                start = m.start() - offset
                end = start + len(phrase)
                if start < last or lowered[start:end] != phrase:
                    continue
                if (start > 0 and _is_word(lowered[start - 1])) or (
                    end < len(lowered) and _is_word(lowered[end])
                ):
                    continue
                yield start, end, alias
                last = end
                break

    def matches(self, text: str) -> bool:
        if next(self._phrases(text), None) is not None:
            return True
        return bool(self._words) and any(m.group(0) in self._words for m in _WORD.finditer(text))

    def scrub(self, value: Any) -> Any:
        """The value with names replaced: a string, or any JSON value."""
        if isinstance(value, str):
            parts, last = [], 0
            for start, end, alias in self._phrases(value):
                parts += [value[last:start], alias]
                last = end
            value = "".join(parts) + value[last:] if parts else value
            if self._words:
                value = _WORD.sub(lambda m: self._words.get(m.group(0), m.group(0)), value)
            return value
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value

    @classmethod
    def for_people(
        cls, people: Iterable[dict[str, Any]], alias: Any, *, keep: Iterable[str] = ()
    ) -> Scrubber:
        """``alias(person)`` is what replaces that person's name; "Calm Otter"-style names the join page
        made up are not personal, so their words are left alone (only the whole name is replaced), as are
        the words in ``keep`` (parts of other people's names)."""
        from facilitator.workshops.joining import NAME_WORDS

        made_up = {w.casefold() for words in NAME_WORDS for w in words}
        kept = set(keep)
        phrases: dict[str, str] = {}
        words: dict[str, str] = {}
        for person in people:
            replacement = alias(person)
            name = " ".join((person.get("display_name") or "").split())
            for phrase in (name, f"Participant {person['id']}"):
                if len(phrase) >= 2:
                    phrases[phrase] = replacement
            parts = re.findall(r"\w+", name)
            if not all(w.casefold() in made_up for w in parts):
                for word in parts:
                    if len(word) >= 3 and word not in kept:
                        words[word] = (
                            replacement if words.get(word, replacement) == replacement else _("[name]")
                        )
        return cls(phrases, words)


class Anonymiser:
    """Pseudonyms for people and their organisations; no link from any row back to a participant.

    Participants become "Participant 1..n" (in the order they joined, so the same workshop always
    gives the same pseudonyms) and their organisations "Organisation A, B, ...". Every column that
    points at a participant is emptied (who wrote which text is not in the file) and tokens are
    dropped. Wherever else a participant's name, a word of it, or their organisation is written (a
    stakeholder standing for them, "with Sam" in a commitment, an organisation on the map), it is
    replaced as well. Erring towards replacing too much is the safe side for a file meant for sharing.
    """

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.rows = rows
        people = rows.get(PARTICIPANT, [])
        self.by_participant = {p["id"]: p for p in people}
        self.pseudonym = {p["id"]: _("Participant %(n)d", n=i) for i, p in enumerate(people, start=1)}
        self.org_pseudonym: dict[str, str] = {}
        for p in people:
            org = " ".join((p.get("organisation") or "").split()).casefold()
            if org and org not in self.org_pseudonym:
                self.org_pseudonym[org] = _("Organisation %(x)s", x=_letters(len(self.org_pseudonym)))
        names = Scrubber.for_people(people, lambda p: self.pseudonym[p["id"]])
        orgs = Scrubber({o: alias for o, alias in self.org_pseudonym.items() if len(o) >= 3}, {})
        self._scrubbers = (names, orgs)

    def scrub(self, value: Any) -> Any:
        """Replace participants' names and organisations inside a string or a JSON value."""
        for scrubber in self._scrubbers:
            value = scrubber.scrub(value)
        return value

    def org(self, organisation: str) -> str:
        return self.org_pseudonym.get(" ".join(organisation.split()).casefold(), "") if organisation else ""

    def apply(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        tables = {t.name: t for t in workshop_tables()}
        for name, rows in self.rows.items():
            table = tables[name]
            links = [
                c.name
                for c in table.columns
                if any(fk.column.table.name == PARTICIPANT for fk in c.foreign_keys)
            ]
            new_rows = []
            for row in rows:
                row = dict(row)
                if name == PARTICIPANT:
                    row.update(
                        display_name=self.pseudonym[row["id"]],
                        organisation=self.org(row.get("organisation") or ""),
                        token="",
                    )
                    new_rows.append(row)
                    continue
                for column in table.columns:
                    value = row.get(column.name)
                    if column.name in links or column.name == "token":
                        row[column.name] = None
                    elif column.name != "sector" and _kind(column) in ("str", "json"):
                        row[column.name] = self.scrub(value)
                new_rows.append(row)
            out[name] = new_rows
        return out


def _xml_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


_WORD = re.compile(r"\w+")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"

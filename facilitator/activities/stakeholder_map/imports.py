"""Bringing a map in from files: CSV (stakeholders, relationships) and GraphML.

All or nothing: every row is checked first, and a file with any bad row is refused with a report
(row number and reason for each bad row); only a clean file changes the map, in one transaction.
The formats read are the ones :mod:`exports` writes (so an export comes back as it went out) and
the common shapes other tools write (a ``name``/``label`` column, ``source``/``target`` by name).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from flask_babel import gettext as _
from sqlalchemy import select

from facilitator.activities.stakeholder_map import services
from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
from facilitator.activities.stakeholder_map.schemas import (
    MAX_KIND,
    MAX_NAME,
    MAX_ORG,
    MAX_SECTOR,
    MAX_STAKEHOLDERS,
    MAX_TEXT,
)
from facilitator.analysis import network
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.realtime.publish import announce
from facilitator.workshops.models import Activity

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = MAX_STAKEHOLDERS
MAX_RELATIONSHIP_ROWS = 20_000
MAX_REPORTED = 200  # bad rows listed in one report
MAX_LONG_TEXT = MAX_TEXT * 4  # merged stakeholders carry joined texts; their export must come back
MAX_NOTE = 280
STANCES = {"", "champion", "supporter", "neutral", "sceptic", "opponent", "unknown"}
YES = {"yes", "y", "true", "1", "on"}
NO = {"no", "n", "false", "0", "off", ""}
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r\n])")  # the apostrophe our CSV export adds


@dataclass
class RowError:
    file: str
    row: int  # 1-based line number as a spreadsheet shows it (the header is row 1); 0 = whole file
    reason: str


@dataclass
class StakeholderRow:
    row: int
    ref: str  # the id column of the file, if any
    name: str
    kind: str = ""
    organisation: str = ""
    sector: str = ""
    influence: int | None = None
    interest: int | None = None
    stance: str = ""
    at_stake: str = ""
    loyalties: str = ""
    losses: str = ""
    aliases: str = ""
    x: float | None = None
    y: float | None = None


@dataclass
class RelationshipRow:
    row: int
    source: str  # a reference: the file's id, else a name
    target: str
    kind: str = ""
    strength: int = 2
    directed: bool = False
    is_needed: bool = False
    note: str = ""


@dataclass
class Plan:
    """What a file would add, or why it cannot."""

    stakeholders: list[StakeholderRow] = field(default_factory=list)
    relationships: list[RelationshipRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    files: tuple[str, str] = ("", "")  # how the report names the stakeholder and relationship rows


class ImportRefused(DomainError):
    """The file had bad rows; ``errors`` says which and why. Nothing was changed."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("import_refused", _("Nothing was imported: the file has problems."))
        self.errors = errors


# Reading cells ------------------------------------------------------------------------------------


def _clean(value: Any) -> str:
    text = "" if value is None else str(value)
    text = _FORMULA_GUARD.sub("", text.strip())
    return text.replace("\x00", "")


def _one_line(value: Any) -> str:
    return " ".join(_clean(value).split())


class _Bad(Exception):
    pass


def _text(value: Any, limit: int, what: str, *, line: bool = True) -> str:
    text = _one_line(value) if line else _clean(value)
    if len(text) > limit:
        raise _Bad(_("%(what)s is longer than %(n)d characters.", what=what, n=limit))
    return text


def _scale(value: Any, what: str) -> int | None:
    text = _clean(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise _Bad(_("%(what)s must be a whole number from 1 to 5.", what=what)) from None
    if not number.is_integer() or not 1 <= number <= 5:
        raise _Bad(_("%(what)s must be a whole number from 1 to 5.", what=what))
    return int(number)


def _position(value: Any, what: str) -> float | None:
    text = _clean(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise _Bad(_("%(what)s must be a number from 0 to 1.", what=what)) from None
    if not math.isfinite(number) or not 0 <= number <= 1:
        raise _Bad(_("%(what)s must be a number from 0 to 1.", what=what))
    return number


def _flag(value: Any, what: str) -> bool:
    text = _clean(value).casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise _Bad(_("%(what)s must be yes or no.", what=what))


def _stance(value: Any) -> str:
    text = _one_line(value).casefold()
    if text not in STANCES:
        raise _Bad(_("Stance must be one of: %(list)s.", list=", ".join(sorted(s for s in STANCES if s))))
    return text


def _strength(value: Any) -> int:
    text = _clean(value)
    if not text:
        return 2
    try:
        number = float(text)
    except ValueError:
        raise _Bad(_("Strength must be 1, 2 or 3.")) from None
    if not number.is_integer() or not 1 <= number <= 3:
        raise _Bad(_("Strength must be 1, 2 or 3."))
    return int(number)


def stakeholder_row(row: int, get: Any) -> StakeholderRow:
    """One stakeholder from a mapping-like ``get(column)``; raises :class:`_Bad` with the reason."""
    name = _text(get("name") or get("label"), MAX_NAME, _("Name"))
    if not name:
        raise _Bad(_("The name is missing."))
    return StakeholderRow(
        row=row,
        ref=_one_line(get("id")),
        name=name,
        kind=_text(get("kind") or get("type"), MAX_KIND, _("Kind")),
        organisation=_text(get("organisation") or get("organization"), MAX_ORG, _("Organisation")),
        sector=_text(get("sector"), MAX_SECTOR, _("Sector")),
        influence=_scale(get("influence"), _("Influence")),
        interest=_scale(get("interest"), _("Interest")),
        stance=_stance(get("stance")),
        at_stake=_text(get("at_stake"), MAX_LONG_TEXT, _("What is at stake"), line=False),
        loyalties=_text(get("loyalties"), MAX_LONG_TEXT, _("Loyalties"), line=False),
        losses=_text(get("losses"), MAX_LONG_TEXT, _("Losses"), line=False),
        aliases="\n".join(
            a for a in (_one_line(p) for p in re.split(r"\s*\|\s*|\n", _clean(get("aliases")))) if a
        )[:MAX_LONG_TEXT],
        x=_position(get("x"), "x"),
        y=_position(get("y"), "y"),
    )


def relationship_row(row: int, get: Any) -> RelationshipRow:
    source = _one_line(get("source_id")) or _one_line(get("source")) or _one_line(get("from"))
    target = _one_line(get("target_id")) or _one_line(get("target")) or _one_line(get("to"))
    if not source or not target:
        raise _Bad(_("Both ends (source and target) are needed."))
    return RelationshipRow(
        row=row,
        source=source,
        target=target,
        kind=_text(get("kind") or get("type"), MAX_KIND, _("Kind")),
        strength=_strength(get("strength") or get("weight")),
        directed=_flag(get("directed"), _("Directed")),
        is_needed=_flag(get("needed") or get("is_needed"), _("Needed")),
        note=_text(get("note"), MAX_NOTE, _("Note")),
    )


# Files --------------------------------------------------------------------------------------------


def _decode(data: bytes, file: str, errors: list[RowError]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(RowError(file, 0, _("The file is not UTF-8 text (save it as CSV UTF-8).")))
        return None


def _csv_rows(
    text: str, file: str, errors: list[RowError], *, limit: int
) -> list[tuple[int, dict[str, str]]]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(h or "").strip().casefold() for h in (reader.fieldnames or [])]
    except csv.Error as e:
        errors.append(RowError(file, 1, _("The file is not valid CSV (%(e)s).", e=str(e)[:80])))
        return []
    if not header:
        errors.append(RowError(file, 0, _("The file is empty.")))
        return []
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                errors.append(RowError(file, line, _("The row has more cells than the header.")))
                continue
            if not any((v or "").strip() for v in record.values()):
                continue  # blank lines are not rows
            rows.append((line, record))
            if len(rows) > limit:
                errors.append(RowError(file, line, _("At most %(n)d rows can be imported.", n=limit)))
                return rows
    except csv.Error as e:
        errors.append(RowError(file, reader.line_num, _("The file is not valid CSV (%(e)s).", e=str(e)[:80])))
    return rows


def read_csv(stakeholders: bytes | None, relationships: bytes | None) -> Plan:
    """A plan from a stakeholders CSV and/or a relationships CSV."""
    s_file, r_file = _("stakeholders CSV"), _("relationships CSV")
    plan = Plan(files=(s_file, r_file))
    if stakeholders:
        text = _decode(stakeholders, s_file, plan.errors)
        rows = _csv_rows(text, s_file, plan.errors, limit=MAX_ROWS) if text is not None else []
        if rows and "name" not in rows[0][1] and "label" not in rows[0][1]:
            plan.errors.append(RowError(s_file, 1, _("The header has no name column.")))
            rows = []
        for line, record in rows:
            try:
                plan.stakeholders.append(stakeholder_row(line, record.get))
            except _Bad as bad:
                plan.errors.append(RowError(s_file, line, str(bad)))
    if relationships:
        text = _decode(relationships, r_file, plan.errors)
        rows = _csv_rows(text, r_file, plan.errors, limit=MAX_RELATIONSHIP_ROWS) if text is not None else []
        if rows and not ({"source", "source_id", "from"} & set(rows[0][1])):
            plan.errors.append(RowError(r_file, 1, _("The header has no source and target columns.")))
            rows = []
        for line, record in rows:
            try:
                plan.relationships.append(relationship_row(line, record.get))
            except _Bad as bad:
                plan.errors.append(RowError(r_file, line, str(bad)))
    return plan


def read_graphml(data: bytes) -> Plan:
    """A plan from GraphML. Rows are numbered in document order: nodes 1.., then edges 1.."""
    plan = Plan(files=(_("GraphML node"), _("GraphML edge")))
    file = "GraphML"
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        plan.errors.append(
            RowError(file, 0, _("The file declares a DOCTYPE or entities; they are not allowed."))
        )
        return plan
    try:
        g = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    except Exception:  # networkx raises several kinds (ParseError, NetworkXError, KeyError, ValueError)
        plan.errors.append(RowError(file, 0, _("The file is not valid GraphML.")))
        return plan
    if g.number_of_nodes() > MAX_ROWS:
        plan.errors.append(RowError(file, 0, _("At most %(n)d stakeholders can be imported.", n=MAX_ROWS)))
        return plan
    if g.number_of_edges() > MAX_RELATIONSHIP_ROWS:
        plan.errors.append(
            RowError(file, 0, _("At most %(n)d relationships can be imported.", n=MAX_RELATIONSHIP_ROWS))
        )
        return plan
    graph_directed = g.is_directed()
    for number, (node, attrs) in enumerate(g.nodes(data=True), start=1):
        values = {str(k).casefold(): v for k, v in attrs.items()}
        values.setdefault("label", values.get("name") or node)
        values["id"] = node
        try:
            plan.stakeholders.append(stakeholder_row(number, values.get))
        except _Bad as bad:
            plan.errors.append(RowError(plan.files[0], number, f"{node}: {bad}"))
    for number, (u, v, attrs) in enumerate(g.edges(data=True), start=1):
        values = {str(k).casefold(): a for k, a in attrs.items()}
        values["source"], values["target"] = u, v
        if "directed" not in values:
            values["directed"] = graph_directed
        try:
            plan.relationships.append(relationship_row(number, values.get))
        except _Bad as bad:
            plan.errors.append(RowError(plan.files[1], number, f"{u} → {v}: {bad}"))
    return plan


# Applying a plan ----------------------------------------------------------------------------------


def _kind_in(offered: list[str], value: str) -> str | None:
    return next((k for k in offered if k.casefold() == value.casefold()), None)


def check(activity: Activity, plan: Plan) -> dict[str, Any]:
    """Resolve references and rules against the map; adds errors to ``plan``. Changes nothing."""
    existing = db.session.scalars(
        select(Stakeholder).where(Stakeholder.activity_id == activity.id, Stakeholder.is_hidden.is_(False))
    ).all()
    total = services._count(Stakeholder, activity)
    s_file, r_file = plan.files
    by_ref: dict[str, StakeholderRow] = {}
    for s in plan.stakeholders:
        if s.ref:
            if s.ref in by_ref:
                plan.errors.append(
                    RowError(
                        s_file,
                        s.row,
                        _("The id %(id)s is used by row %(other)d too.", id=s.ref, other=by_ref[s.ref].row),
                    )
                )
            by_ref.setdefault(s.ref, s)
    file_names: dict[str, list[StakeholderRow]] = {}
    for s in plan.stakeholders:
        file_names.setdefault(network.normalise_name(s.name), []).append(s)
    map_names: dict[str, list[Stakeholder]] = {}
    for e in existing:
        map_names.setdefault(network.normalise_name(e.name), []).append(e)
    # A file stakeholder whose name is already on the map is the same stakeholder (not added twice).
    matched: dict[int, Stakeholder] = {}
    for s in plan.stakeholders:
        same = map_names.get(network.normalise_name(s.name), [])
        if len(same) == 1:
            matched[s.row] = same[0]
    new_count = len(plan.stakeholders) - len(matched)
    if total + new_count > MAX_STAKEHOLDERS:
        plan.errors.append(
            RowError(s_file, 0, _("The map can hold at most %(n)d stakeholders.", n=MAX_STAKEHOLDERS))
        )

    def resolve(ref: str, row: int) -> StakeholderRow | Stakeholder | None:
        if ref in by_ref:
            return by_ref[ref]
        key = network.normalise_name(ref)
        in_file = file_names.get(key, [])
        on_map = map_names.get(key, [])
        if len(in_file) > 1 or (not in_file and len(on_map) > 1):
            plan.errors.append(
                RowError(r_file, row, _("“%(name)s” matches several stakeholders; use ids.", name=ref))
            )
            return None
        if in_file:
            return in_file[0]
        if on_map:
            return on_map[0]
        plan.errors.append(
            RowError(r_file, row, _("No stakeholder called or numbered “%(name)s”.", name=ref))
        )
        return None

    def identity(end: StakeholderRow | Stakeholder) -> tuple[str, int]:
        if isinstance(end, Stakeholder):
            return ("map", end.id)
        if end.row in matched:
            return ("map", matched[end.row].id)
        return ("row", end.row)

    resolved: list[tuple[RelationshipRow, Any, Any]] = []
    for r in plan.relationships:
        a, b = resolve(r.source, r.row), resolve(r.target, r.row)
        if a is None or b is None:
            continue
        if identity(a) == identity(b):
            plan.errors.append(RowError(r_file, r.row, _("A relationship needs two different stakeholders.")))
            continue
        resolved.append((r, a, b))
    return {"matched": matched, "resolved": resolved}


def import_plan(activity: Activity, plan: Plan) -> dict[str, int]:
    """Add what ``plan`` describes, all in one transaction, or raise :class:`ImportRefused`."""
    # References are checked once every stakeholder row could be read (else they would all fail).
    checked = check(activity, plan) if not any(e.file == plan.files[0] for e in plan.errors) else {}
    if plan.errors:
        raise ImportRefused(sorted(plan.errors, key=lambda e: (e.file, e.row))[:MAX_REPORTED])
    config = services.config_of(activity)
    kinds = {
        "stakeholder_kinds": list(config["stakeholder_kinds"]),
        "relationship_kinds": list(config["relationship_kinds"]),
    }

    def kind_of(key: str, value: str, *, system: tuple[str, ...] = ()) -> str:
        if not value:
            return ""
        found = _kind_in([*kinds[key], *system], value)
        if found is not None:
            return found
        kinds[key].append(value)  # an imported map brings its own kinds with it
        return value

    matched: dict[int, Stakeholder] = checked["matched"]
    made: dict[int, Stakeholder] = {}
    for row in plan.stakeholders:
        if row.row in matched:
            made[id(row)] = matched[row.row]
            continue
        s = Stakeholder(
            activity_id=activity.id,
            name=row.name,
            kind=kind_of("stakeholder_kinds", row.kind),
            organisation=row.organisation,
            sector=row.sector,
            influence=row.influence,
            interest=row.interest,
            stance=row.stance,
            at_stake=row.at_stake,
            loyalties=row.loyalties,
            losses=row.losses,
            aliases=row.aliases,
            x=row.x if row.x is not None and row.y is not None else None,
            y=row.y if row.x is not None and row.y is not None else None,
            settled=row.x is not None and row.y is not None,
        )
        db.session.add(s)
        made[id(row)] = s
    db.session.flush()
    new_people = [s for row in plan.stakeholders if row.row not in matched for s in [made[id(row)]]]
    placed = services._positions(activity)
    for s in new_people:
        if s.x is None or s.y is None:
            s.x, s.y = (round(c, 5) for c in network.place_one(s.id, [], placed))
            placed[s.id] = (s.x, s.y)

    new_ties: list[Relationship] = []
    seen: set[tuple[int, int, str, bool]] = set()
    for r, a, b in checked["resolved"]:
        source = made[id(a)] if isinstance(a, StakeholderRow) else a
        target = made[id(b)] if isinstance(b, StakeholderRow) else b
        kind = kind_of("relationship_kinds", r.kind, system=(services.MEMBERSHIP_KIND,))
        key = (min(source.id, target.id), max(source.id, target.id), kind.casefold(), r.is_needed)
        if key in seen or services._existing_tie(activity, source.id, target.id, kind, r.is_needed):
            continue  # already there: importing the same file twice adds nothing twice
        seen.add(key)
        tie = Relationship(
            activity_id=activity.id,
            source=source,
            target=target,
            source_id=source.id,
            target_id=target.id,
            kind=kind,
            strength=r.strength,
            directed=r.directed,
            is_needed=r.is_needed,
            note=r.note,
        )
        db.session.add(tie)
        new_ties.append(tie)
    db.session.flush()
    for key in ("stakeholder_kinds", "relationship_kinds"):
        kinds[key] = kinds[key][: max(services.MAX_KINDS, len(config[key]))]
    if (
        kinds["stakeholder_kinds"] != config["stakeholder_kinds"]
        or kinds["relationship_kinds"] != config["relationship_kinds"]
    ):
        activity.config = {**config, **kinds}
        announce(
            activity.workshop_id, "map:configured", {"activity_id": activity.id, "config": activity.config}
        )
    announce(
        activity.workshop_id,
        "map:imported",
        {
            "activity_id": activity.id,
            "stakeholders": [services.stakeholder_view(s, activity, staff=False) for s in new_people],
            "relationships": [services.relationship_view(r, activity, staff=False) for r in new_ties],
        },
    )
    db.session.commit()
    services._poke(activity)
    if any(not s.settled for s in new_people) and len(new_people) > services.AUTO_SETTLE_LIMIT:
        services.request_relayout(activity, False)
    return {"stakeholders": len(new_people), "matched": len(matched), "relationships": len(new_ties)}

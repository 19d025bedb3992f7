"""The live protocol: who is asking (``Actor``), and the one decorator every socket command goes through.

A command arrives as ``emit(name, {"cid": <client-made id>, ...fields})`` and is answered through the
acknowledgement with ``{"ok": true, "data": ...}`` or ``{"ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations

import enum
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, request, session
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from facilitator.db import DatabaseBusy
from facilitator.errors import DomainError
from facilitator.extensions import db, socketio
from facilitator.workshops.models import Activity, Participant, ProcessedCommand, Workshop, WorkshopPhase

log = logging.getLogger(__name__)

ACTOR_KEY = "socket_actor"


class Role(enum.StrEnum):
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    SCREEN = "screen"


@dataclass(frozen=True)
class Actor:
    role: Role
    workshop_id: int
    participant_id: int | None = None
    facilitator_id: int | None = None

    @property
    def key(self) -> str:
        if self.participant_id is not None:
            return f"p:{self.participant_id}"
        return f"f:{self.facilitator_id}"

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.FACILITATOR, Role.SCREEN)

    def workshop(self) -> Workshop:
        workshop = db.session.get(Workshop, self.workshop_id)
        if workshop is None:
            raise DomainError("not_found", _("This workshop no longer exists."), 404)
        return workshop

    def participant(self) -> Participant:
        if self.participant_id is None:
            raise DomainError("forbidden", _("Only participants can do that."), 403)
        participant = db.session.get(Participant, self.participant_id)
        if participant is None:
            raise DomainError("forbidden", _("You are no longer part of this workshop."), 403)
        return participant

    def activity(self, activity_id: int, kind: str | None = None) -> Activity:
        """Load an activity of the actor's own workshop (never another's)."""
        activity = db.session.get(Activity, activity_id)
        if activity is None or activity.workshop_id != self.workshop_id or (kind and activity.kind != kind):
            raise DomainError("not_found", _("That activity could not be found."), 404)
        return activity

    def to_session(self) -> dict[str, Any]:
        return {
            "role": str(self.role),
            "workshop_id": self.workshop_id,
            "participant_id": self.participant_id,
            "facilitator_id": self.facilitator_id,
        }

    @classmethod
    def from_session(cls) -> Actor | None:
        raw = session.get(ACTOR_KEY)
        if not raw:
            return None
        return cls(
            role=Role(raw["role"]),
            workshop_id=raw["workshop_id"],
            participant_id=raw.get("participant_id"),
            facilitator_id=raw.get("facilitator_id"),
        )


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 8:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


class CommandIn(BaseModel):
    """Base of every command payload: bounded, no unknown fields, an optional client-made id."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    cid: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL cannot store NUL in text, and no person types one: refuse it at the edge.
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


class Empty(CommandIn):
    pass


M = TypeVar("M", bound=CommandIn)
Handler = Callable[[Actor, Any], dict[str, Any] | list[Any] | None]

COMMANDS: dict[str, tuple[type[CommandIn], frozenset[Role]]] = {}


def error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, **extra}}


def busy() -> dict[str, Any]:
    """The answer to a command the database could not take now: keep it and send it again later."""
    return error("busy", _("The database is busy. Your change is kept and will be sent again."), retry=True)


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone; the pool replaces it
        log.exception("rollback after a database error failed")


def _validation_message(err: ValidationError) -> tuple[str, dict[str, str]]:
    fields: dict[str, str] = {}
    for item in err.errors():
        loc = ".".join(str(x) for x in item["loc"]) or "payload"
        fields.setdefault(loc, item["msg"])
    first = next(iter(fields.items()), ("payload", "invalid"))
    return _("Please check %(field)s: %(problem)s", field=first[0], problem=first[1]), fields


def _rate_ok() -> bool:
    """A token bucket per connection, kept in the connection's own session."""
    cfg = current_app.config
    capacity = float(cfg["COMMAND_RATE"])
    refill = capacity / float(cfg["RATE_WINDOW"])
    now = time.monotonic()
    tokens, last = session.get("rate", (capacity, now))
    tokens = min(capacity, tokens + (now - last) * refill)
    if tokens < 1:
        session["rate"] = (tokens, now)
        return False
    session["rate"] = (tokens - 1, now)
    return True


def command(
    name: str, schema: type[M], *, roles: set[Role] | frozenset[Role], read_only: bool = False
) -> Callable[[Handler], Handler]:
    """Register a socket command: authenticate, authorise, validate, de-duplicate, answer with an ack.

    ``read_only``: the command changes nothing, so sending it twice is harmless; its client id is not
    recorded (no write for a read, and its answer, often a whole activity's state, is not stored).
    """
    allowed = frozenset(roles)

    def decorate(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handler(payload: Any = None) -> dict[str, Any]:
            actor = Actor.from_session()
            if actor is None:
                return error("unauthorised", _("Please join the workshop again."))
            if actor.role not in allowed:
                return error("forbidden", _("You are not allowed to do that."))
            if not _rate_ok():
                return error("rate_limited", _("You are sending too fast. Please wait a moment."))
            if not isinstance(payload, dict):
                return error("invalid", _("The request was not understood."))
            try:
                data = schema.model_validate(payload)
            except ValidationError as err:
                message, fields = _validation_message(err)
                return error("invalid", message, fields=fields)
            try:
                return _run(fn, actor, data, record=not read_only)
            except DomainError as err:
                db.session.rollback()
                return error(err.code, err.message)
            except (OperationalError, DatabaseBusy) as err:
                # Locked or unreachable database: nothing of the command was kept (the transaction is
                # rolled back, its id not recorded), so the client keeps it and sends it again later.
                _rollback_quietly()
                log.warning("command %s: database busy (%s)", name, str(getattr(err, "orig", err)).strip())
                return busy()
            except Exception:
                db.session.rollback()
                log.exception("command %s failed", name)
                return error("server_error", _("Something went wrong on our side. Please try again."))

        COMMANDS[name] = (schema, allowed)
        socketio.on_event(name, handler)
        return handler

    return decorate


def _run(fn: Handler, actor: Actor, data: CommandIn, record: bool = True) -> dict[str, Any]:
    if actor.role == Role.PARTICIPANT:
        workshop = actor.workshop()
        if workshop.phase == WorkshopPhase.ENDED:
            raise DomainError("workshop_ended", _("This workshop has ended."))
    if data.cid is None or not record:
        return {"ok": True, "data": fn(actor, data)}
    done = db.session.scalars(
        select(ProcessedCommand).where(ProcessedCommand.actor == actor.key, ProcessedCommand.command_id == data.cid)
    ).first()
    if done is not None:
        return _already_done(done)
    entry = ProcessedCommand(workshop_id=actor.workshop_id, actor=actor.key, command_id=data.cid)
    db.session.add(entry)
    try:
        result = fn(actor, data)
    except IntegrityError:
        db.session.rollback()
        done = db.session.scalars(
            select(ProcessedCommand).where(
                ProcessedCommand.actor == actor.key, ProcessedCommand.command_id == data.cid
            )
        ).first()
        if done is None:
            raise
        return _already_done(done)
    settled = _only_record_pending(entry)
    entry.result = {"data": result}
    try:
        db.session.commit()
    except (OperationalError, DatabaseBusy):
        if not settled:
            raise
        # The change itself was committed by the service; only its stored answer is missing. A retry
        # finds the id recorded and changes nothing; this client gets its answer now.
        _rollback_quietly()
        log.warning("could not store the answer to command %s: database busy", data.cid)
    return {"ok": True, "data": result}


def _already_done(done: ProcessedCommand) -> dict[str, Any]:
    """The answer to a command id carried out before: the stored answer, marked as a duplicate."""
    if done.result is None:
        # Carried out, but the server stopped (a crash) between committing the change and storing its
        # answer: say so plainly rather than answer "ok" with nothing the page can use.
        return error("already_done", _("This was already saved."))
    return {"ok": True, "data": done.result["data"], "duplicate": True}


def _only_record_pending(record: ProcessedCommand) -> bool:
    """True when the handler committed its own work: nothing but the command's record is left unsaved."""
    from facilitator.realtime.publish import has_pending_events

    session = db.session
    left = [obj for obj in (*session.new, *session.dirty, *session.deleted) if obj is not record]
    return not left and not has_pending_events(session)


def current_sid() -> str:
    return request.sid  # type: ignore[attr-defined,no-any-return]

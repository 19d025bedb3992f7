"""Connect and disconnect: identity comes from HTTP (login or join), rooms come from identity."""

from __future__ import annotations

import logging
import os
import socket as pysocket
from typing import Any

from flask import current_app, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from pydantic import Field
from sqlalchemy import delete, select

from facilitator.extensions import db, socketio
from facilitator.realtime.protocol import ACTOR_KEY, Actor, CommandIn, Role, command, current_sid
from facilitator.realtime.publish import STAFF, facilitator_room, room_for, screen_room
from facilitator.workshops.models import Participant, Presence, Workshop

log = logging.getLogger(__name__)

WORKER = f"{pysocket.gethostname()}:{os.getpid()}"
PARTICIPANTS_KEY = "participants"  # flask session: {workshop_id: participant token}


def participant_for(workshop_id: int) -> Participant | None:
    token = (session.get(PARTICIPANTS_KEY) or {}).get(str(workshop_id))
    if not token:
        return None
    participant = db.session.query(Participant).filter_by(token=token).one_or_none()
    if participant is None or participant.workshop_id != workshop_id:
        return None
    return participant


def identify(auth: Any) -> Actor:
    if not isinstance(auth, dict):
        raise ConnectionRefusedError("unauthorised")
    try:
        workshop_id = int(auth.get("workshop"))
    except (TypeError, ValueError):
        raise ConnectionRefusedError("unauthorised") from None
    role = auth.get("role")
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise ConnectionRefusedError("unauthorised")
    if role in (Role.FACILITATOR, Role.SCREEN):
        if not current_user.is_authenticated or not workshop.is_facilitated_by(current_user):
            raise ConnectionRefusedError("unauthorised")
        return Actor(Role(role), workshop_id, facilitator_id=current_user.id)
    if role == Role.PARTICIPANT:
        participant = participant_for(workshop_id)
        if participant is None:
            raise ConnectionRefusedError("unauthorised")
        return Actor(Role.PARTICIPANT, workshop_id, participant_id=participant.id)
    raise ConnectionRefusedError("unauthorised")


def register() -> None:
    @socketio.on("connect")
    def on_connect(auth: Any = None) -> None:
        actor = identify(auth)
        _ensure_presence_keeper()
        session[ACTOR_KEY] = actor.to_session()
        join_room(room_for(actor.workshop_id, "all"))
        if actor.role == Role.FACILITATOR:
            join_room(room_for(actor.workshop_id, STAFF))
            join_room(facilitator_room(actor.facilitator_id))  # news for this person (a PDF is ready)
        if actor.role == Role.SCREEN:
            join_room(screen_room(actor.workshop_id))
        if actor.participant_id is not None:
            join_room(room_for(actor.workshop_id, f"p:{actor.participant_id}"))
        db.session.merge(
            Presence(
                sid=current_sid(),
                workshop_id=actor.workshop_id,
                participant_id=actor.participant_id,
                role=str(actor.role),
                worker=WORKER,
            )
        )
        db.session.commit()
        if actor.participant_id is not None:
            from facilitator.workshops.live import counter_push

            counter_push.poke(actor.workshop_id)

    @socketio.on("disconnect")
    def on_disconnect(reason: Any = None) -> None:
        raw = session.get(ACTOR_KEY)
        db.session.execute(delete(Presence).where(Presence.sid == current_sid()))
        db.session.commit()
        if raw and raw.get("participant_id") is not None:
            from facilitator.workshops.live import counter_push

            counter_push.poke(raw["workshop_id"])

    class SyncIn(CommandIn):
        last_seq: int | None = Field(default=None, ge=0, le=2**62)

    @command("sync", SyncIn, roles=set(Role))
    def on_sync(actor: Actor, data: SyncIn) -> dict[str, Any]:
        from facilitator.workshops.live import resync

        return resync(actor.workshop(), actor, data.last_seq)


def clear_stale_presence() -> None:
    """Forget sockets this worker held before it restarted. A single process (no message queue) is the
    only worker there is: every row is from before, including those of a killed process, whose pid
    differs; with several workers the others' rows are live, and the heartbeat sweeps a dead one's."""
    query = delete(Presence)
    if not current_app.config.get("MESSAGE_QUEUE"):
        db.session.execute(query)
    else:
        db.session.execute(query.where(Presence.worker == WORKER))
    db.session.commit()


_keeper_started = False


def _ensure_presence_keeper() -> None:
    """With several workers (a Redis message queue), a worker that dies leaves its presence rows
    behind and the room looks fuller than it is. Each worker keeps a heartbeat key in Redis; any
    worker deletes the rows of workers whose heartbeat has expired. One process: nothing to do."""
    global _keeper_started
    url = current_app.config.get("MESSAGE_QUEUE") or ""
    if _keeper_started or not str(url).startswith(("redis://", "rediss://", "unix://")):
        return
    _keeper_started = True
    import redis

    client = redis.Redis.from_url(str(url), socket_timeout=5)
    beat = float(current_app.config["PRESENCE_HEARTBEAT"])
    _heartbeat(client, beat)  # before this worker's first presence row, so no one sweeps it
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    socketio.start_background_task(_keep_presence, app, client, beat)


_HEARTBEAT_KEY = "facilitator:worker:{}"


def _heartbeat(client: Any, beat: float) -> None:
    try:
        client.set(_HEARTBEAT_KEY.format(WORKER), "1", px=int(beat * 3000))
    except Exception:
        log.exception("presence heartbeat failed")


def _keep_presence(app: Any, client: Any, beat: float) -> None:
    key = _HEARTBEAT_KEY
    while True:
        socketio.sleep(beat)
        _heartbeat(client, beat)
        try:
            with app.app_context():
                others = set(db.session.scalars(select(Presence.worker).distinct()).all()) - {WORKER}
                gone = [w for w in sorted(others) if not client.exists(key.format(w))]
                if gone:
                    rows = db.session.execute(
                        select(Presence.workshop_id).where(Presence.worker.in_(gone)).distinct()
                    ).scalars().all()
                    db.session.execute(delete(Presence).where(Presence.worker.in_(gone)))
                    db.session.commit()
                    from facilitator.workshops.live import counter_push

                    for workshop_id in rows:
                        counter_push.poke(workshop_id)
                    log.info("forgot the sockets of stopped workers %s", ", ".join(gone))
                    # A worker that died between a commit and its publish left events unsent.
                    from facilitator.realtime.publish import publish_unsent

                    publish_unsent()
        except Exception:
            log.exception("forgetting the sockets of stopped workers failed")

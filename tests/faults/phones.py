"""Tools for the fault tests: a `facilitator serve` that can be killed and restarted on its port, phones
that behave like static/js/live.js (outbox, same id on every resend, catch-up by seq), a TCP proxy that
can cut a phone's network, and a look at the database itself."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.live import LiveServer, cookie_header, free_port, join

ACK_TIMEOUT = 5.0  # the browser waits 8 s; shorter keeps a test that meets a dead server quick


class FaultServer(LiveServer):
    """A real gevent `facilitator serve` on a file database (SQLite, or a PostgreSQL schema when the
    suite runs on PostgreSQL) that can be killed with SIGKILL and started again on the same port."""

    def __init__(self, instance: Path, database_url: str, extra_env: dict[str, str] | None = None):
        env = {
            "FACILITATOR_DATABASE_URL": database_url,
            # Each phone sends as fast as it is answered: the burst is the point, not the rate limit.
            "FACILITATOR_COMMAND_RATE": "1000",
            **(extra_env or {}),
        }
        super().__init__(instance, extra_env=env)
        self.env.pop("FACILITATOR_TEST_DATABASE_URL", None)
        self.database_url = database_url
        self.starts = 0

    def start(self) -> FaultServer:
        super().start()
        self.starts = 1
        return self

    def kill(self) -> None:
        """Die as a crashed or OOM-killed process does: no clean disconnects, no rollback, no flush."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def restart(self) -> float:
        """Start again on the same port; returns the monotonic time it accepted connections again."""
        assert self.proc is not None and self.proc.poll() is not None
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "facilitator",
                "serve",
                "--port",
                str(self.port),
                "--async-mode",
                "gevent",
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1
        deadline = time.monotonic() + 60
        import socket

        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return time.monotonic()
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.instance / "server.log").read_text()[-3000:]) from None
                time.sleep(0.02)
        raise RuntimeError("server did not come back")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


class Database:
    """Read what the server has stored, from outside the server."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def stakeholders(self, activity_id: int) -> list[tuple[int, str, int | None]]:
        """(id, name, added by participant id) of every stakeholder of the map, duplicates included."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, name, added_by_id FROM stakeholder_map_stakeholder "
                    "WHERE activity_id = :a ORDER BY id"
                ),
                {"a": activity_id},
            )
            return [(r[0], r[1], r[2]) for r in rows]

    def items(self, activity_id: int) -> dict[int, str]:
        return {sid: name for sid, name, _ in self.stakeholders(activity_id)}

    def seq(self, workshop_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.text("SELECT seq FROM workshop WHERE id = :w"), {"w": workshop_id}).scalar()
            )

    def close(self) -> None:
        self.engine.dispose()


def in_order_client() -> type:
    """python-socketio hands each incoming message to a task of its own, so a broadcast can reach the
    handlers before the connect event, or after a later one; the phone would then skip a seq. A browser
    (one JavaScript thread) handles messages strictly in arrival order: so does this client, on its read
    loop (the handlers below never wait for an answer there)."""
    import engineio
    import socketio

    class InOrderEngineIO(engineio.AsyncClient):  # type: ignore[misc]
        async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "message":
                kwargs.pop("run_async", None)
            return await super()._trigger_event(event, *args, **kwargs)

    class InOrderClient(socketio.AsyncClient):  # type: ignore[misc]
        def _engineio_client_class(self) -> type:
            return InOrderEngineIO

    return InOrderClient


class Phone:
    """A python-socketio client that does what static/js/live.js does.

    * Reconnects by itself (retries 1 s, then at most ~2 s apart, with jitter).
    * On every connect asks ``sync`` with the last seq it has seen, applies the delta (or snapshot), and
      only then sends what is waiting in its outbox.
    * Applies each broadcast once: anything at or below its last seq is dropped.
    * ``send`` puts a command with a fresh client id in the outbox; the outbox sends the oldest command
      and waits for its answer before the next. No answer (timeout, dropped connection): the command
      stays and is sent again, with the same id, on the next connect or after a pause. An answer that
      says ``retry`` (database busy): the same, after a growing pause. Any other answer ends it.
    """

    def __init__(
        self, url: str, cookies: str, workshop_id: int, name: str, activity_id: int, role: str = "participant"
    ):
        self.url, self.cookies, self.workshop_id, self.name, self.role = url, cookies, workshop_id, name, role
        self.activity_id = activity_id
        self.jar: Any = None
        # The cookie goes in a jar, not a header: the Engine.IO client drops a Cookie header after the first
        # connect, so a reconnect would arrive without it (a browser always sends its cookies).
        self.sio = in_order_client()(
            reconnection=True,
            reconnection_delay=1,
            reconnection_delay_max=2,
            randomization_factor=0.5,
            http_session=self._http,
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("*", self._on_any)
        self.last_seq: int | None = None
        self.seen_seqs: set[int] = set()
        self.redelivered = 0  # broadcasts that came twice (live and in a catch-up) and were dropped
        self.added: list[int] = []  # every stakeholder id this phone applied an "added" for, in order
        self.items: dict[int, str] = {}  # what this phone shows: stakeholder id -> name
        self.snapshots = 0
        self.sync_log: list[Any] = []
        self.connects = 0
        self.syncs: list[tuple[float, int, frozenset[int]]] = []  # (when, connect number, items then)
        self.counters: dict[str, Any] = {}
        self.syncing = False
        self.buffered: list[tuple[str, Any]] = []
        self.synced = asyncio.Event()
        self.dropped = asyncio.Event()
        self.outbox: list[tuple[str, dict[str, Any]]] = []
        self.acks: dict[str, dict[str, Any]] = {}  # cid -> final answer
        self.commands: dict[str, tuple[str, dict[str, Any]]] = {}  # cid -> (name, payload), all ever sent
        self.busy_answers = 0
        self.flushing = False
        self.retry_delay = 0.2
        self.retry_task: asyncio.Task[None] | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.on_ack: Callable[[Phone, str, dict[str, Any]], None] | None = None

    # connection -------------------------------------------------------------------------------------

    def _http(self) -> Any:
        import aiohttp
        from yarl import URL

        if self.jar is None:
            self.jar = aiohttp.CookieJar(unsafe=True)
            self.jar.update_cookies(
                dict(pair.split("=", 1) for pair in self.cookies.split("; ")), response_url=URL(self.url)
            )
        return aiohttp.ClientSession(cookie_jar=self.jar)

    async def start(self) -> Phone:
        await self.sio.connect(
            f"{self.url}/?ws={self.workshop_id}",
            auth={"workshop": self.workshop_id, "role": self.role},
            transports=["websocket"],
            wait_timeout=20,
        )
        await asyncio.wait_for(self.synced.wait(), 20)
        return self

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        try:
            await self.sio.disconnect()
        except Exception:
            pass

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _on_connect(self) -> None:
        self.connects += 1
        self.dropped.clear()
        self.synced.clear()
        # From now until the catch-up is applied, live broadcasts wait (as in live.js).
        self.syncing = True
        # Not in the handler itself: the client reads acks on the task that runs it.
        self._spawn(self._sync_then_flush())

    async def _on_disconnect(self, reason: Any = None) -> None:
        # A catch-up is owed from now on: python-socketio may hand over broadcasts of the next connection
        # before its connect event, and one applied before the sync would move last_seq past a gap.
        self.syncing = True
        self.dropped.set()

    async def _call(self, name: str, payload: dict[str, Any], timeout: float = ACK_TIMEOUT) -> dict[str, Any]:
        """Emit and wait for the ack; give up at once if the connection drops (as socket.io-client does)."""
        if not self.sio.connected or self.dropped.is_set():
            raise ConnectionError("offline")
        call = asyncio.ensure_future(self.sio.call(name, payload, timeout=timeout))
        drop = asyncio.ensure_future(self.dropped.wait())
        try:
            done, _ = await asyncio.wait({call, drop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            drop.cancel()
        if call not in done:
            call.cancel()
            raise ConnectionError("dropped")
        return call.result()  # type: ignore[no-any-return]

    # catch-up ---------------------------------------------------------------------------------------

    async def _sync_then_flush(self) -> None:
        connect_number = self.connects
        while True:
            try:
                res = await self._call("sync", {"last_seq": self.last_seq})
            except Exception:
                res = None
            if res is not None and res.get("ok"):
                break
            if self.dropped.is_set():
                return  # still owed: the next connect syncs again (live events keep waiting)
            await asyncio.sleep(0.5)
        data = res["data"]
        self.sync_log.append(
            (self.last_seq, data["mode"], data["seq"], [e["seq"] for e in data.get("events", [])])
        )
        if data["mode"] == "snapshot":
            self.snapshots += 1
            self.last_seq = data["seq"]
            staged = data["snapshot"]["staged"]
            if staged and staged["id"] == self.activity_id:
                self.items = {s["id"]: s["name"] for s in staged["state"]["stakeholders"]}
            self.counters = data["snapshot"]["counters"]
        else:
            for ev in data["events"]:
                self._apply(ev["name"], ev["seq"], ev["data"])
            self.last_seq = max(self.last_seq or 0, data["seq"])
            self.counters = data["counters"]
        # Only after a catch-up that worked: the broadcasts held back meanwhile (older ones are dropped).
        self.syncing = False
        pending, self.buffered = self.buffered, []
        for name, env in pending:
            self._apply(name, env["seq"], env.get("data"))
        self.syncs.append((time.monotonic(), connect_number, frozenset(self.items)))
        self.synced.set()
        await self.flush()

    async def _on_any(self, name: str, env: Any = None) -> None:
        if name == "counters:changed" and isinstance(env, dict):
            self.counters = env
            return
        if not isinstance(env, dict) or not isinstance(env.get("seq"), int):
            return
        if self.syncing:
            self.buffered.append((name, env))
        else:
            self._apply(name, env["seq"], env.get("data"))

    def _apply(self, name: str, seq: int, data: Any) -> None:
        if self.last_seq is not None and seq <= self.last_seq:
            if seq in self.seen_seqs:
                self.redelivered += 1
            return
        self.last_seq = seq
        self.seen_seqs.add(seq)
        if name == "stakeholder:added" and data["activity_id"] == self.activity_id:
            self.items[data["stakeholder"]["id"]] = data["stakeholder"]["name"]
            self.added.append(data["stakeholder"]["id"])

    # outbox -----------------------------------------------------------------------------------------

    def send(self, name: str, payload: dict[str, Any]) -> str:
        cid = uuid.uuid4().hex
        op = (name, {**payload, "cid": cid})
        self.commands[cid] = op
        self.outbox.append(op)
        self._spawn(self.flush())
        return cid

    def add_stakeholder(self, name: str) -> str:
        return self.send(
            "stakeholder:add", {"activity_id": self.activity_id, "name": name, "confirm_new": True}
        )

    def requeue(self, cid: str) -> None:
        """As if the answer to ``cid`` was lost on the way: the command goes back to the outbox's head."""
        self.acks.pop(cid)
        self.outbox.insert(0, self.commands[cid])
        self._spawn(self.flush())

    def _retry_later(self) -> None:
        if self.retry_task is not None and not self.retry_task.done():
            return
        delay = self.retry_delay
        self.retry_delay = min(self.retry_delay * 2, 2.0)

        async def later() -> None:
            await asyncio.sleep(delay)
            await self.flush()

        self.retry_task = asyncio.ensure_future(later())
        self.tasks.add(self.retry_task)
        self.retry_task.add_done_callback(self.tasks.discard)

    async def flush(self) -> None:
        if self.flushing or not self.sio.connected or not self.synced.is_set():
            return
        self.flushing = True
        try:
            while self.outbox and self.sio.connected:
                name, payload = self.outbox[0]
                try:
                    res = await self._call(name, payload)
                except Exception:
                    self._retry_later()
                    return
                if not res.get("ok") and (res.get("error") or {}).get("retry"):
                    self.busy_answers += 1
                    self._retry_later()
                    return
                self.retry_delay = 0.2
                self.outbox = [op for op in self.outbox if op[1]["cid"] != payload["cid"]]
                self.acks[payload["cid"]] = res
                if self.on_ack:
                    self.on_ack(self, payload["cid"], res)
        finally:
            self.flushing = False

    async def drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.outbox and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return not self.outbox


class Proxy:
    """A TCP hop between some phones and the server, standing for their wifi: ``cut`` resets every
    connection through it and refuses new ones, as a phone that walked out of range; ``restore`` brings
    it back."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: asyncio.base_events.Server | None = None
        self.links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for a, b in list(self.links):
            a.transport.abort()
            b.transport.abort()
        await self.server.wait_closed()
        self.server = None

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, up_writer)
        self.links.add(link)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except Exception:
                pass
            finally:
                dst.transport.abort()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self.links.discard(link)


def phone_cookies(url: str, code: str, name: str) -> str:
    """Join through the join form (as a phone does) and keep only the cookie it got."""
    session = join(url, code, name)
    try:
        return cookie_header(session)
    finally:
        session.close()


async def until(check: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(step)
    return check()


def log_tail(server: LiveServer, chars: int = 3000) -> str:
    path = server.instance / "server.log"
    return path.read_text(errors="replace")[-chars:] if os.path.exists(path) else ""

"""A small cluster for the scale-out tests: a fresh PostgreSQL database, Redis, several real
`facilitator serve` workers and nginx in front of them, configured from deploy/nginx.conf."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.live import FAC_EMAIL, FAC_PASSWORD, cookie_header, free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
PG_URL = os.environ.get("FACILITATOR_SCALE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FACILITATOR_SCALE_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def need(ok: bool, what: str) -> None:
    """Skip with a reason on a developer's machine; fail in CI, where .ci/run must provide it."""
    if ok:
        return
    if in_ci():
        pytest.fail(f"{what} (CI must provide it: see .ci/run)")
    pytest.skip(what)


def postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as err:  # any reason at all: report it
        return f"PostgreSQL is not reachable at {PG_URL}: {err.__class__.__name__}"
    return None


def redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as err:
        return f"Redis is not reachable at {REDIS_URL}: {err.__class__.__name__}"
    return None


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (other test runs share the server)."""
    import psycopg

    name = f"facilitator_scale_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", PG_URL.split("://", 1)[1], count=1)
    url = PG_URL.split("://", 1)[0] + "://" + url
    try:
        yield url
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def spread_ids(url: str) -> None:
    """Start workshop and participant ids somewhere random: Socket.IO rooms are named after them and
    Redis pub/sub channels ignore the database number, so concurrent test runs must not collide."""
    import psycopg

    start = secrets.randbelow(1_000_000_000) + 1_000_000
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("workshop", "participant"):
            seq = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]
            conn.execute(f"ALTER SEQUENCE {seq} RESTART WITH {start}")


def facilitator_cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "facilitator", *args], env=env, capture_output=True,
                         text=True, timeout=180, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return out.stdout


class Worker:
    """One `facilitator serve` process (gevent) on its own port and its own instance folder."""

    def __init__(self, env: dict[str, str], instance: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = instance
        instance.mkdir(parents=True, exist_ok=True)
        self.env = {**env, "FACILITATOR_INSTANCE_PATH": str(instance)}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        self.log = open(self.instance / "server.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "facilitator", "serve", "--port", str(self.port), "--no-upgrade"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        return self

    def wait_ready(self, timeout: float = 60) -> Worker:
        wait_for_port(self.port, timeout, self.proc, self.instance / "server.log")
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """Die as a crashed or OOM-killed process would: no clean disconnects."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None):
            self.log.close()


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                text = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"process exited:\n{text[-3000:]}") from None
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout} s")


def nginx_site(upstreams: list[str], port: int) -> str:
    """deploy/nginx.conf with this cluster's workers and a free port, nothing else changed."""
    site = NGINX_CONF.read_text()
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+ [^;]*;\n", site, flags=re.M)
    assert servers, "deploy/nginx.conf lists no worker"
    options = servers[0].strip().split(" ", 2)[2]
    lines = "".join(f"    server {u} {options}\n" for u in upstreams)
    site = site.replace("".join(servers), lines)
    site, n = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", site)
    assert n == 1
    return site


def nginx_main_conf(prefix: Path, site: str) -> str:
    """A main nginx.conf around the site: everything in ``prefix``, nothing in /etc or /var."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would otherwise run as nobody
    return (
        f"{user}worker_processes 1;\ndaemon off;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"  access_log {prefix}/access.log;\n"
        f"  client_body_temp_path {prefix}/tmp/body;\n  proxy_temp_path {prefix}/tmp/proxy;\n"
        f"  fastcgi_temp_path {prefix}/tmp/fastcgi;\n  uwsgi_temp_path {prefix}/tmp/uwsgi;\n"
        f"  scgi_temp_path {prefix}/tmp/scgi;\n"
        f"{site}\n}}\n"
    )


class Nginx:
    def __init__(self, prefix: Path, upstreams: list[str]):
        binary = nginx_binary()
        assert binary
        self.binary = binary
        self.prefix = prefix
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(nginx_main_conf(prefix, nginx_site(upstreams, self.port)))
        self.proc: subprocess.Popen[bytes] | None = None

    def check(self) -> str:
        out = subprocess.run([self.binary, "-t", "-c", str(self.conf), "-p", str(self.prefix)],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stderr

    def start(self) -> Nginx:
        self.check()
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf), "-p", str(self.prefix)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, 20, self.proc, self.prefix / "error.log")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # the master stops its own workers
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Cluster:
    """PostgreSQL database + Redis + ``n`` workers (+ nginx): what README's "Deploying at scale" describes."""

    def __init__(self, tmp: Path, database_url: str, workers: int = 2, with_nginx: bool = True):
        self.tmp = tmp
        self.database_url = database_url
        self.env = {
            **os.environ,
            "FACILITATOR_DATABASE_URL": database_url,
            "FACILITATOR_MESSAGE_QUEUE": REDIS_URL,
            "FACILITATOR_SECRET_KEY": secrets.token_urlsafe(32),  # the same on every worker
            "FACILITATOR_PRESENCE_HEARTBEAT": "1",  # a dead worker's sockets are forgotten within seconds
        }
        for key in ("FACILITATOR_TEST_DATABASE_URL", "FACILITATOR_INSTANCE_PATH"):
            self.env.pop(key, None)
        self.env["FACILITATOR_INSTANCE_PATH"] = str(tmp / "init")
        # create-facilitator migrates first, as `facilitator init` would.
        facilitator_cli(self.env, "create-facilitator", "--email", FAC_EMAIL, "--name", "Scale Facilitator",
                        "--password", FAC_PASSWORD)
        spread_ids(database_url)
        self.workers = [Worker(self.env, tmp / f"worker{i}") for i in range(workers)]
        for w in self.workers:  # start together, then wait: startup is mostly imports
            w.start()
        for w in self.workers:
            w.wait_ready()
        upstreams = [f"127.0.0.1:{w.port}" for w in self.workers]
        self.nginx = Nginx(tmp / "nginx", upstreams).start() if with_nginx else None

    def worker_of(self, pid_worker: str) -> Worker:
        pid = int(pid_worker.rsplit(":", 1)[1])
        return next(w for w in self.workers if w.pid == pid)

    def presence(self) -> list[tuple[int | None, str]]:
        """(participant id, worker) of every open socket, from the shared database."""
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return [(r[0], r[1]) for r in conn.execute("SELECT participant_id, worker FROM presence")]

    def close(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for w in self.workers:
            w.stop()


def ordered_client_class() -> type:
    """python-socketio's Client runs the handler of every incoming message in a thread of its own, so
    two broadcasts that arrive in order can reach the handlers in the opposite order; the phone then
    drops the earlier seq as "already seen". That lost answers in this harness under load (issue 7),
    while a browser (one JavaScript thread) handles messages strictly in arrival order. This client
    handles them in arrival order too, on its read loop, like the browser."""
    import engineio
    import socketio

    class InOrderEngineIO(engineio.Client):  # type: ignore[misc]
        def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "message":
                kwargs.pop("run_async", None)
            return super()._trigger_event(event, *args, **kwargs)

    class InOrderClient(socketio.Client):  # type: ignore[misc]
        def _engineio_client_class(self) -> type:
            return InOrderEngineIO

    return InOrderClient


class Phone:
    """A python-socketio client that behaves like static/js/live.js: it sends ``ws`` in the query
    string, reconnects by itself, handles messages in arrival order, and from the moment it connects
    (or loses the connection) holds live broadcasts back until a ``sync`` with its last seq has
    answered; then it applies each broadcast once, in seq order, dropping anything at or below the
    last seq it has seen. A failed sync is tried again with the broadcasts still held back."""

    def __init__(self, url: str, session: Any, workshop_id: int, role: str = "participant"):
        self.url, self.session, self.workshop_id, self.role = url, session, workshop_id, role
        self.lock = threading.RLock()
        self.last_seq: int | None = None
        self.applied: list[tuple[int, str, Any]] = []
        self.duplicates = 0
        self.snapshots = 0
        self.syncing = False
        self.buffered: list[tuple[str, Any]] = []
        self.connects = 0
        self.synced = threading.Event()
        self.trace: list[tuple[Any, ...]] = []  # what happened, for failure messages
        self.unnumbered: list[tuple[str, Any]] = []
        self.sio = ordered_client_class()(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                          randomization_factor=0.2)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("*", self._on_any)

    def connect(self, url: str | None = None) -> Phone:
        self.url = url or self.url
        self.sio.connect(f"{self.url}/?ws={self.workshop_id}",
                         headers={"Cookie": cookie_header(self.session)},
                         auth={"workshop": self.workshop_id, "role": self.role},
                         transports=["websocket"], wait_timeout=20)
        assert self.synced.wait(20), "no sync after connect"
        return self

    def _on_connect(self) -> None:
        # On the read loop, before any broadcast that follows the connect: from here on they wait.
        with self.lock:
            self.synced.clear()
            self.syncing = True
            self.connects += 1
            self.trace.append(("connect", self.last_seq))
        self.sio.start_background_task(self._sync)

    def _on_disconnect(self, reason: Any = None) -> None:
        with self.lock:
            self.syncing = True  # a catch-up is owed from now on
            self.trace.append(("disconnect", self.last_seq))

    def _sync(self) -> None:
        while True:
            try:
                res = self.sio.call("sync", {"last_seq": self.last_seq}, timeout=20)
            except Exception as err:  # disconnected or no answer: the next connect syncs again
                with self.lock:
                    self.trace.append(("sync failed", repr(err)))
                if not self.sio.connected:
                    return
                time.sleep(0.5)
                continue
            if not res.get("ok"):
                with self.lock:
                    self.trace.append(("sync refused", res))
                time.sleep(0.5)
                continue
            break
        data = res["data"]
        with self.lock:
            if data["mode"] == "snapshot":
                self.snapshots += 1
                self.last_seq = data["seq"]
                self.trace.append(("snapshot", data["seq"]))
            else:
                self.trace.append(("delta", data["seq"], [ev["seq"] for ev in data["events"]]))
                for ev in data["events"]:
                    self._apply(ev["name"], ev["seq"], ev["data"])
                self.last_seq = max(self.last_seq or 0, data["seq"])
            self.syncing = False
            pending, self.buffered = self.buffered, []
            for name, env in pending:
                self._apply(name, env["seq"], env.get("data"))
        self.synced.set()

    def _on_any(self, name: str, env: Any = None) -> None:
        if not isinstance(env, dict) or not isinstance(env.get("seq"), int):
            with self.lock:
                self.unnumbered.append((name, env))  # counters, presence, news for one person
            return
        with self.lock:
            self.trace.append(("held" if self.syncing else "live", env["seq"]))
            if self.syncing:
                self.buffered.append((name, env))
            else:
                self._apply(name, env["seq"], env.get("data"))

    def _apply(self, name: str, seq: int, data: Any) -> None:
        if self.last_seq is not None and seq <= self.last_seq:
            if any(s == seq for s, _, _ in self.applied):
                self.duplicates += 1
            else:
                self.trace.append(("dropped unseen", seq, self.last_seq))
            return
        self.last_seq = seq
        self.applied.append((seq, name, data))

    def wait_unnumbered(self, name: str, timeout: float = 60) -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [env for n, env in self.unnumbered if n == name]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def answers(self) -> list[int]:
        with self.lock:
            return [d["answer"]["id"] for _, n, d in self.applied if n == "checkin:answered"]

    def call(self, name: str, payload: dict[str, Any], timeout: float = 20) -> Any:
        return self.sio.call(name, payload, timeout=timeout)

    def answer(self, activity_id: int, text: str) -> dict[str, Any]:
        """Send a check-in answer like the phone's outbox does: same cid on every retry."""
        cid = uuid.uuid4().hex
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.sio.connected:
                    payload = {"cid": cid, "activity_id": activity_id, "text": text}
                    res = self.call("checkin:answer", payload, 8)
                    assert res["ok"], res
                    return res
            except Exception:  # no ack (the worker died under us): keep it and retry
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError("answer never acknowledged")
            time.sleep(0.1)

    def wait_answers(self, count: int, timeout: float = 15) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.answers()) < count:
            time.sleep(0.02)
        return self.answers()

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass

"""A real `facilitator serve` process for live-flow and browser tests, and HTTP helpers for it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

FAC_EMAIL = "live@example.org"
FAC_PASSWORD = "live-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, instance: Path, async_mode: str = "gevent", extra_env: dict[str, str] | None = None):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FACILITATOR_INSTANCE_PATH": str(instance), **(extra_env or {})}
        self.async_mode = async_mode
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "facilitator", *args], env=self.env, capture_output=True,
                             text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        return out.stdout

    def start(self) -> LiveServer:
        self.cli("create-facilitator", "--email", FAC_EMAIL, "--name", "Live Facilitator",
                 "--password", FAC_PASSWORD)
        self.log = open(self.instance / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "facilitator", "serve", "--port", str(self.port),
             "--async-mode", self.async_mode],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.instance / "server.log").read_text()[-3000:]) from None
                time.sleep(0.1)
        raise RuntimeError("server did not start")

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


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no csrf token"
    return match.group(1)


def facilitator_session(url: str) -> requests.Session:
    s = requests.Session()
    html = s.get(f"{url}/login").text
    r = s.post(f"{url}/login", data={"csrf_token": csrf(html), "email": FAC_EMAIL, "password": FAC_PASSWORD})
    assert r.url.endswith("/workshops"), r.url
    return s


def create_workshop(s: requests.Session, url: str, title: str = "Live summit",
                    kinds: tuple[str, ...] = ("check_in",)) -> dict[str, Any]:
    html = s.get(f"{url}/workshops/new").text
    r = s.post(f"{url}/workshops/new", data={"csrf_token": csrf(html), "title": title})
    workshop_id = int(re.search(r"/workshops/(\d+)", r.url).group(1))  # type: ignore[union-attr]
    for kind in kinds:
        html = s.get(f"{url}/workshops/{workshop_id}").text
        s.post(f"{url}/workshops/{workshop_id}/activities",
               data={"csrf_token": csrf(html), "kind": kind, "title": "", "prompt": "How are you arriving?"})
    html = s.get(f"{url}/workshops/{workshop_id}").text
    code = re.search(r'class="code">(\d{3}) (\d{3})<', html)
    activities = [int(a) for a in re.findall(r'class="agenda-item[^"]*" data-activity-id="(\d+)"', html)]
    return {"id": workshop_id, "code": code.group(1) + code.group(2), "activities": activities}  # type: ignore


def join(url: str, code: str, name: str) -> requests.Session:
    s = requests.Session()
    html = s.get(f"{url}/j/{code}").text
    r = s.post(f"{url}/j/{code}", data={"csrf_token": csrf(html), "display_name": name})
    assert r.url.endswith("/live"), r.url
    return s


def cookie_header(s: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)

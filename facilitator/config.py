"""Configuration, layered: defaults, then ``instance/config.py``, then ``FACILITATOR_*`` variables,
then the mapping a test passes to ``create_app``."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

DEV_SECRET_KEY = "dev-only-not-secret"


def N_(text: str) -> str:  # noqa: N802 - the name the message extractor looks for (as facilitator.i18n.N_)
    return text


class Defaults:
    ENV_NAME = "production"  # "development" relaxes the secret-key check
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: sqlite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    ASYNC_MODE = "threading"  # `facilitator serve` switches to gevent
    MESSAGE_QUEUE: str | None = None  # redis://... to fan out across several workers
    # Engine.IO heartbeats: a server busy for a few seconds (a whole room asking at once) must not count
    # as dead phones, or they all reconnect at once and make it busier (seen at 1,000 phones in the soak).
    SOCKET_PING_INTERVAL = 25
    SOCKET_PING_TIMEOUT = 45
    PRESENCE_HEARTBEAT = 10  # seconds; with Redis, sockets of a worker silent for 3 beats are forgotten
    PUBLIC_URL: str | None = None  # e.g. http://192.168.1.20:5000, used in join links and QR codes
    # Offered at joining. Stored in English (a participant's sector is the English text) and shown in the
    # reader's language through translate_builtin; an installation's own list is shown as configured.
    SECTORS = [
        N_("NHS and health care"),
        N_("Local government"),
        N_("Police and justice"),
        N_("Housing"),
        N_("Voluntary and community sector"),
        N_("Business"),
        N_("Education"),
        N_("Residents and people with lived experience"),
        N_("Other"),
    ]
    MAX_SOCKET_PAYLOAD = 64 * 1024  # bytes; Socket.IO buffer limit (the default is 1 MB)
    COMMAND_RATE = 20  # commands a client may send per RATE_WINDOW seconds
    RATE_WINDOW = 10
    JOIN_ATTEMPTS_PER_CODE = 20  # wrong attempts on one code per JOIN_WINDOW
    JOIN_ATTEMPTS_PER_DEVICE = 8  # wrong attempts from one device per JOIN_WINDOW
    JOIN_WINDOW = 300
    RESYNC_MAX_EVENTS = 300  # beyond this a reconnecting client gets a snapshot instead of a delta
    DB_LOCK_TIMEOUT = 5  # seconds a write waits for a database lock; then the command is answered "busy, retry"
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES: list[str] | None = None  # None: every language with a catalogue in facilitator/translations
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30
    WTF_CSRF_TIME_LIMIT = None
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    MAP_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    MAP_AUTO_SETTLE = True  # stakeholder maps lay out newcomers and refresh findings a second after changes
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    MAIL_FROM = "facilitator@localhost"
    RETENTION_DAYS: int | None = None  # `facilitator purge` deletes workshops ended this many days ago


def _coerce(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for key, raw in os.environ.items():
        if key.startswith("FACILITATOR_") and key != "FACILITATOR_INSTANCE_PATH":
            name = key.removeprefix("FACILITATOR_")
            if name == "DATABASE_URL":
                name = "SQLALCHEMY_DATABASE_URI"
            app.config[name] = _coerce(raw) if name not in {"SECRET_KEY", "SQLALCHEMY_DATABASE_URI"} else raw
    if test_config:
        app.config.update(test_config)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "facilitator.db")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgresql://")

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError(
            "Refusing to run in production with the development secret key. "
            "Remove FACILITATOR_SECRET_KEY to have one generated in the instance folder."
        )


def _instance_secret(instance: Path) -> str:
    """Read the secret key kept in the instance folder, generating it on first run."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()

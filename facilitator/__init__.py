"""Facilitator: live systems-leadership workshops joined from phones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# Nothing from Flask is imported at module level: `facilitator serve` must monkey-patch with gevent
# before Flask, SQLAlchemy or the socket libraries are first imported.

_PACKAGE = Path(__file__).resolve().parent
_listeners_installed = False
_events_registered = False


def _asset_dir(name: str) -> str:
    """``templates/`` and ``static/`` sit beside the package in the repo, inside it in a wheel."""
    beside = _PACKAGE.parent / name
    if beside.is_dir():
        return str(beside)
    return str(_PACKAGE / f"web_{name}")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    import os

    from flask import Flask
    from flask_login import current_user
    from flask_sqlalchemy.session import Session as FSASession

    from facilitator.config import load_config

    app = Flask(
        __name__,
        instance_path=os.environ.get("FACILITATOR_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=_asset_dir("templates"),
        static_folder=_asset_dir("static"),
        static_url_path="/static",
    )
    load_config(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from facilitator.extensions import babel, csrf, db, login_manager, migrate, socketio

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_PACKAGE / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    from facilitator.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)

    global _listeners_installed
    if not _listeners_installed:
        from facilitator.db import install_write_serialiser
        from facilitator.realtime.publish import install_publisher

        install_write_serialiser(FSASession)
        install_publisher(FSASession)
        _listeners_installed = True

    with app.app_context():
        from facilitator.db import configure_sqlite

        configure_sqlite(db.engine, lock_timeout=float(app.config["DB_LOCK_TIMEOUT"]))

    # Models of every kind must be imported before the schema is used.
    from facilitator import models  # noqa: F401
    from facilitator.activities import registry
    from facilitator.realtime import rooms
    from facilitator.workshops import events as workshop_events

    global _events_registered
    if not _events_registered:  # before init_app: SocketIO keeps them and binds them to every server it makes
        rooms.register()
        workshop_events.register()
        for kind in registry().values():
            if kind.register_events is not None:
                kind.register_events()
        _events_registered = True

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config.get("MESSAGE_QUEUE"),
        max_http_buffer_size=app.config["MAX_SOCKET_PAYLOAD"],
        ping_interval=app.config["SOCKET_PING_INTERVAL"],
        ping_timeout=app.config["SOCKET_PING_TIMEOUT"],
        cors_allowed_origins=app.config.get("CORS_ORIGINS"),
        logger=False,
        engineio_logger=False,
    )

    from facilitator.auth.views import bp as auth_bp
    from facilitator.review.views import bp as review_bp
    from facilitator.workshops.joining import bp as join_bp
    from facilitator.workshops.views import bp as workshops_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(workshops_bp)
    app.register_blueprint(join_bp)
    app.register_blueprint(review_bp)
    for kind in registry().values():
        if kind.blueprint is not None:
            app.register_blueprint(kind.blueprint)
    from facilitator.i18n import init_app as init_i18n

    init_i18n(app)
    from facilitator.archive import init_app as init_archive

    init_archive(app)

    from facilitator.errors import register_error_pages

    register_error_pages(app)
    _security_headers(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_babel import get_locale

        return {"current_user": current_user, "get_locale": get_locale}

    from facilitator.cli import register_flask_commands

    register_flask_commands(app)
    return app


def _security_headers(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():  # noqa: ANN202
        """PostgreSQL cannot store NUL in text and no person types one: a clear 400, never a 500."""
        from flask import abort, request

        for values in (request.args, request.form):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400)
        return None

    @app.after_request
    def headers(response):  # noqa: ANN001, ANN202
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

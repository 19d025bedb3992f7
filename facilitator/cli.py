"""The ``facilitator`` command: serve, init, create-facilitator, demo, loadtest."""

from __future__ import annotations

import sys
from typing import Any


def _wants_gevent(argv: list[str]) -> bool:
    if len(argv) < 2 or argv[1] != "serve":
        return False
    joined = " ".join(argv)
    return "--async-mode threading" not in joined and "--async-mode=threading" not in joined


def main(argv: list[str] | None = None) -> Any:
    argv = list(sys.argv if argv is None else argv)
    if _wants_gevent(argv):
        # Must come before Flask, SQLAlchemy, redis or socket libraries are imported.
        from gevent import monkey

        monkey.patch_all()
    return cli(args=argv[1:], prog_name="facilitator")


def _click() -> Any:
    import click

    return click


click = _click()


@click.group(help="Facilitator: live systems-leadership workshops joined from phones.")
def cli() -> None:
    pass


def _app(**overrides: Any) -> Any:
    from facilitator import create_app

    return create_app(overrides or None)


def upgrade_database(app: Any) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@cli.command(help="Create or migrate the database (SQLite in the instance folder by default).")
def init() -> None:
    app = _app()
    upgrade_database(app)
    click.echo(f"Database ready: {app.config['SQLALCHEMY_DATABASE_URI']}")


@cli.command(help="Serve Facilitator (gevent by default). Use --host 0.0.0.0 at a venue so phones can reach it.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--async-mode", type=click.Choice(["gevent", "threading"]), default="gevent", show_default=True)
@click.option("--no-upgrade", is_flag=True, help="Do not migrate the database before serving.")
def serve(host: str, port: int, async_mode: str, no_upgrade: bool) -> None:
    app = _app(ASYNC_MODE=async_mode, SERVE_HOST=host)
    if not no_upgrade:
        upgrade_database(app)
    from facilitator.extensions import socketio
    from facilitator.netaddr import lan_addresses
    from facilitator.realtime.rooms import clear_stale_presence

    with app.app_context():
        clear_stale_presence()
    click.echo(f"Facilitator on http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/")
    if host in ("0.0.0.0", "::"):
        for addr in lan_addresses():
            click.echo(f"  phones on the same network join at http://{addr}:{port}/join")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=async_mode == "threading",
                 log_output=False)


@cli.command("create-facilitator", help="Create a facilitator account.")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_facilitator_cmd(email: str, name: str, password: str) -> None:
    from facilitator.auth.services import create_facilitator
    from facilitator.errors import DomainError

    app = _app()
    upgrade_database(app)
    with app.app_context():
        try:
            facilitator = create_facilitator(name, email, password)
        except DomainError as err:
            raise click.ClickException(err.message) from None
        click.echo(f"Created facilitator {facilitator.email}")


@cli.command(help="Create a realistic demo workshop (an integrated-care system event).")
@click.option("--email", default="demo@example.org", show_default=True, help="Facilitator who will own it.")
@click.option("--password", default=None, help="Password if the account must be created (default: generated).")
def demo(email: str, password: str | None) -> None:
    from facilitator.demo import create_demo

    app = _app()
    upgrade_database(app)
    with app.app_context():
        workshop, created_password = create_demo(email, password)
        click.echo(f"Demo workshop '{workshop.title}' created, join code {workshop.code_grouped}.")
        if created_password:
            click.echo(f"Sign in as {email} with password: {created_password}")


@cli.command(help="Join N simulated phones to a running server and measure join, ack and fan-out times.")
@click.argument("url")
@click.option("--participants", "-n", default=200, show_default=True, type=int)
@click.option("--email", default="loadtest@example.org", show_default=True)
@click.option("--password", default="loadtest-password", show_default=True)
@click.option("--answers", default=20, show_default=True, type=int, help="How many phones answer the check-in.")
def loadtest(url: str, participants: int, email: str, password: str, answers: int) -> None:
    from facilitator.loadtest import run_loadtest

    run_loadtest(url, participants, email=email, password=password, answers=answers, echo=click.echo)


def register_flask_commands(app: Any) -> None:
    """The same commands under `flask --app facilitator ...`."""
    app.cli.add_command(create_facilitator_cmd)
    app.cli.add_command(demo)


if __name__ == "__main__":
    main()

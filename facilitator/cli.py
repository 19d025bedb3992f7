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


@cli.command(help="Join N simulated phones to a running server and measure join, ack and fan-out times. "
             "Give several URLs for several workers sharing PostgreSQL and Redis.")
@click.argument("urls", nargs=-1, required=True)
@click.option("--participants", "-n", default=200, show_default=True, type=int)
@click.option("--email", default="loadtest@example.org", show_default=True)
@click.option("--password", default="loadtest-password", show_default=True)
@click.option("--answers", default=20, show_default=True, type=int,
              help="How many phones answer the check-in (in each workshop).")
@click.option("--workshops", default=1, show_default=True, type=int,
              help="Split the phones over this many workshops running at once (workshop k on URL k mod n).")
@click.option("--spread", is_flag=True, help="Deal each workshop's phones over all the URLs.")
def loadtest(urls: tuple[str, ...], participants: int, email: str, password: str, answers: int, workshops: int,
             spread: bool) -> None:
    from facilitator.loadtest import run_loadtest

    run_loadtest(list(urls), participants, email=email, password=password, answers=answers, echo=click.echo,
                 workshops=workshops, spread=spread)


@cli.command("send-reminders", help="Email the follow-up pulses and rounds now due (for a scheduler).")
@click.option("--as-of", default=None, help="Treat this ISO date as today (to try a schedule).")
@click.option("--dry-run", is_flag=True, help="Only count what would be sent.")
def send_reminders_cmd(as_of: str | None, dry_run: bool) -> None:
    from facilitator.activities.commitment_tree.followup import as_of as parse_day
    from facilitator.activities.commitment_tree.followup import send_reminders

    app = _app()
    with app.app_context():
        try:
            now = parse_day(as_of)
        except ValueError:
            raise click.BadParameter("use an ISO date such as 2031-04-01", param_hint="--as-of") from None
        result = send_reminders(now=now, dry_run=dry_run)
    click.echo(
        f"Reminders: {result['sent']} sent, {result['skipped']} skipped, {result['failed']} failed "
        f"({result['checked']} follow-up links with email)."
    )
    if result["failed"]:
        sys.exit(1)


@cli.command("export", help="Export a workshop: a backup file (.json) or everything as a ZIP (.zip).")
@click.argument("workshop_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="file.json (the workshop only) or file.zip (with CSV, GraphML, report PDF, README)")
@click.option("--anonymise", is_flag=True,
              help="Pseudonyms for people and organisations (such a file cannot be imported).")
def export_cmd(workshop_id: int, output: str, anonymise: bool) -> None:
    from facilitator.archive import bundle, document
    from facilitator.extensions import db
    from facilitator.workshops.models import Workshop

    app = _app()
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        if workshop is None:
            raise click.ClickException(f"There is no workshop {workshop_id}.")
        if output.lower().endswith(".zip"):
            body = bundle.build_zip(workshop, anonymise=anonymise)
        else:
            body = document.dumps(document.export_document(workshop.id, anonymise=anonymise))
        with open(output, "wb") as fh:
            fh.write(body)
        click.echo(f"Exported '{workshop.title}' to {output} ({len(body):,} bytes).")


@cli.command("import", help="Import a workshop file (.json or an export .zip) as a new workshop.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--owner", required=True, help="Email of the facilitator account that will own it.")
def import_cmd(file: str, owner: str) -> None:
    from sqlalchemy import func, select

    from facilitator.archive import bundle, document
    from facilitator.auth.models import Facilitator
    from facilitator.errors import DomainError
    from facilitator.extensions import db
    from facilitator.workshops.models import Workshop

    app = _app()
    with app.app_context():
        account = db.session.scalar(select(Facilitator).where(func.lower(Facilitator.email) == owner.lower()))
        if account is None:
            raise click.ClickException(f"No facilitator account has the email {owner}.")
        with open(file, "rb") as fh:
            raw = fh.read()
        try:
            new_id = document.import_document(document.parse(bundle.unpack(raw)), owner=account)
        except DomainError as err:
            raise click.ClickException(f"Not imported: {err.message}") from None
        workshop = db.session.get(Workshop, new_id)
        click.echo(f"Imported '{workshop.title}' as workshop {new_id}, join code {workshop.code_grouped}.")


@cli.command("purge", help="Delete ended workshops, with all their data, once nothing has happened in them "
                           "for DAYS days (for a scheduler; default: the RETENTION_DAYS setting).")
@click.option("--older-than", "days", type=click.IntRange(min=0), default=None, metavar="DAYS")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def purge_cmd(days: int | None, dry_run: bool) -> None:
    from facilitator.archive.erasure import purge_ended

    app = _app()
    with app.app_context():
        days = days if days is not None else app.config.get("RETENTION_DAYS")
        if days is None:
            raise click.UsageError(
                "Give --older-than DAYS or set RETENTION_DAYS (FACILITATOR_RETENTION_DAYS)."
            )
        gone = purge_ended(int(days), dry_run=dry_run)
        for workshop_id, title in gone:
            click.echo(f"{'Would delete' if dry_run else 'Deleted'} workshop {workshop_id}: {title}")
        done = "found" if dry_run else "deleted"
        click.echo(f"{len(gone)} ended workshop(s) older than {days} days {done}.")


def register_flask_commands(app: Any) -> None:
    """The same commands under `flask --app facilitator ...`."""
    app.cli.add_command(create_facilitator_cmd)
    app.cli.add_command(demo)
    app.cli.add_command(export_cmd)
    app.cli.add_command(import_cmd)
    app.cli.add_command(purge_cmd)


if __name__ == "__main__":
    main()

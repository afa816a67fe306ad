"""`flask exchange ...` commands; each one calls services."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from exchange.extensions import db

exchange_cli = AppGroup("exchange", help="Exchange administration commands.")


@exchange_cli.command("demo")
def load_demo():
    """Load the demo institutes and accounts (idempotent)."""
    from exchange.demo import ACCOUNTS, DEMO_PASSWORD, demo_email, load_demo_data
    from exchange.evaluations.demo_records import load_demo_records
    from exchange.rotations.demo_programs import load_demo_programs
    from exchange.wiki.demo_loader import load_demo_pages

    added = load_demo_data()
    pages = load_demo_pages()
    records = load_demo_records()
    programs = load_demo_programs()
    click.echo(
        f"Demo data: {added['institutes']} institutes, {added['users']} accounts, "
        f"{pages} wiki pages, {records} evaluation records and {programs} rotation programs "
        "added (existing rows kept)."
    )
    _index_quietly()
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for code, local, name, _roles, _locale in ACCOUNTS:
        click.echo(f"  {demo_email(code, local):32} {name}")


@exchange_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--institute", "institute_code", required=True, help="Institute code, e.g. KR-AISI")
@click.password_option()
def create_admin(email, name, institute_code, password):
    """Create a platform admin (the first account of a real deployment)."""
    from sqlalchemy import select

    from exchange.accounts import passwords
    from exchange.accounts.errors import ServiceError
    from exchange.accounts.models import Institute, Role, User, UserRole
    from exchange.accounts.services import check_password_rules, normalize_email
    from exchange.db import utcnow

    institute = db.session.scalar(select(Institute).where(Institute.code == institute_code))
    if institute is None:
        raise click.ClickException(f"no institute with code {institute_code}")
    try:
        check_password_rules(password, email)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.add(
        User(
            email=normalize_email(email),
            display_name=name,
            password_hash=passwords.hash_password(password),
            institute=institute,
            email_confirmed_at=utcnow(),
            role_rows=[UserRole(role=Role.ADMIN.value)],
        )
    )
    db.session.commit()
    click.echo(f"Admin {email} created.")


@exchange_cli.group("outbox")
def outbox_cli():
    """The e-mail outbox."""


@outbox_cli.command("send")
def send_outbox():
    """Send every due e-mail now (run from cron to retry failed sends)."""
    from exchange.notifications.outbox import send_due

    sent, failed = send_due()
    click.echo(f"{sent} sent, {failed} failed (will be retried)")
    if failed and current_app.config["MAIL_BACKEND"] == "smtp":
        raise SystemExit(1)


@exchange_cli.group("translations")
def translations_cli():
    """The English and Korean message catalogs."""


@translations_cli.command("update")
def update_translations():
    """Extract messages and merge them into the catalogs; list what lacks Korean."""
    from exchange.i18n_catalogs import update_catalogs

    for locale, count in update_catalogs().items():
        click.echo(f"{locale}: {count} messages without a translation")


@translations_cli.command("compile")
def compile_translations():
    """Compile the catalogs to .mo files."""
    from exchange.i18n_catalogs import compile_catalogs

    compile_catalogs()
    click.echo("catalogs compiled")


@exchange_cli.group("evaluations")
def evaluations_cli():
    """Evaluation records."""


@evaluations_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--as", "email", required=True, help="E-mail of the account that imports.")
@click.option("--record", "record_slug", default=None, help="Add the runs to this record.")
def import_evaluations(paths, email, record_slug):
    """Import Inspect logs (.eval, .json) from files and folders (recursively)."""
    from pathlib import Path

    from sqlalchemy import select

    from exchange.accounts.models import User
    from exchange.evaluations.importing import import_files
    from exchange.evaluations.services import find_record

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        raise click.ClickException(f"no active account {email}")
    record = find_record(record_slug) if record_slug else None
    if record_slug and record is None:
        raise click.ClickException(f"no record {record_slug}")
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".eval", ".json"))
        else:
            files.append(path)
    with click.progressbar(length=len(files), label="Importing", show_pos=True) as bar:
        summary = import_files(user, files, record, progress=lambda _path: bar.update(1))
    click.echo(
        f"{len(summary.imported)} imported, {len(summary.duplicates)} duplicates, "
        f"{len(summary.failed)} failed"
    )
    for path in summary.duplicates:
        click.echo(f"  duplicate: {path}")
    for path, reason in summary.failed:
        click.echo(f"  failed: {path}: {reason}")
    for record in {r.slug: r for r in summary.records}.values():
        click.echo(f"  record: {record.slug} ({record.title})")
    _index_quietly()
    if summary.failed:
        raise SystemExit(1)


def _index_quietly() -> None:
    """Apply the search outbox after a command that changed content (if the index exists)."""
    from exchange.search.indexer import current_index, drain

    if current_index().is_current_schema():
        try:
            drain()
        except Exception as exc:  # the rows stay in the outbox for `search sync`
            click.echo(f"Search index not updated ({exc}); run `flask exchange search sync`.")


@exchange_cli.group("search")
def search_cli():
    """The search index: keep it in step with the database, or rebuild it."""


@search_cli.command("sync")
def sync_search():
    """Build the index if it is missing or outdated, then apply pending changes."""
    from exchange.search.documents import count_all
    from exchange.search.indexer import current_index, sync

    index = current_index()
    if not index.needs_rebuild():
        rebuilt, written = sync()
    else:
        with click.progressbar(length=count_all(), label="Building the search index") as bar:
            rebuilt, written = sync(progress=bar.update)
    click.echo(
        ("Index built. " if rebuilt else "")
        + f"{written} pending change(s) applied; index at {index.current()}"
    )


@search_cli.command("reindex")
def reindex_search():
    """Rebuild the whole index and swap it in atomically (searches keep working meanwhile)."""
    from exchange.search.documents import count_all
    from exchange.search.indexer import current_index, reindex

    with click.progressbar(length=count_all(), label="Rebuilding the search index") as bar:
        count = reindex(progress=bar.update)
    click.echo(f"{count} documents indexed; index at {current_index().current()}")


@search_cli.command("status")
def search_status():
    """Where the index is and how many changes wait to be applied."""
    from exchange.search.indexer import current_index, pending_count

    index = current_index()
    click.echo(f"index: {index.current() or 'none yet'}")
    click.echo(f"pending changes: {pending_count()}")


@exchange_cli.group("rotations")
def rotations_cli():
    """Staff rotations."""


@rotations_cli.command("sweep")
def sweep_rotations():
    """Expire overdue offers and offer the freed seats to the waitlists (run from cron)."""
    from sqlalchemy import func, select

    from exchange.db import utcnow
    from exchange.notifications.outbox import send_due
    from exchange.rotations.machine import sweep
    from exchange.rotations.models import ApplicationEvent

    now = utcnow()
    expired = sweep(now)
    # Seats offered from a waitlist are recorded as automatic offers at the sweep's time.
    promoted = db.session.scalar(
        select(func.count(ApplicationEvent.id)).where(
            ApplicationEvent.transition == "offer",
            ApplicationEvent.from_state == "waitlisted",
            ApplicationEvent.actor_id.is_(None),
            ApplicationEvent.created_at >= now,
        )
    )
    sent, _failed = send_due()
    click.echo(
        f"{expired} offers expired; {promoted} seats offered to the next on the waitlist; "
        f"{sent} e-mails sent"
    )


@rotations_cli.command("purge")
@click.option("--months", type=click.IntRange(min=1), default=None, help="Default: config.")
def purge_rotations(months):
    """Erase the personal data of applications closed more than N months ago."""
    from exchange.rotations.services import purge_personal_data

    months = months or current_app.config["ROTATION_PURGE_MONTHS"]
    count = purge_personal_data(months)
    click.echo(f"{count} applications closed more than {months} months ago purged")

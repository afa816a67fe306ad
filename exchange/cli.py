"""`flask exchange ...` commands; each one calls services."""

from __future__ import annotations

from pathlib import Path

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


# --- Operations: backups and the move to PostgreSQL (exchange/ops) -------------------------


@exchange_cli.command("backup")
@click.argument("dest_dir", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest_dir):
    """Back up the database and the uploads into DEST_DIR (safe while the app runs)."""
    from exchange.ops.backup import BackupError, backup, database_url, display_url

    try:
        result = backup(dest_dir)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = result.manifest
    click.echo(
        f"Backup of {display_url(database_url())} ({manifest['database']}, migration "
        f"{manifest['alembic_revision']}) written to {result.folder}:"
    )
    for name, described in manifest["files"].items():
        click.echo(
            f"  {name:18} {described['bytes']:>14,} bytes  sha256 {described['sha256'][:16]}"
        )
    click.echo(
        f"  {'manifest.json':18} {len(manifest['tables'])} tables, "
        f"{sum(manifest['tables'].values()):,} rows, {manifest['uploads']['files']} uploaded files"
    )
    click.echo(
        "The search index is not backed up: after a restore, rebuild it with "
        "`flask exchange search reindex`."
    )


@exchange_cli.command("restore")
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database and uploads without asking.")
@click.option("--reindex", is_flag=True, help="Rebuild the search index afterwards.")
def restore_command(src_dir, yes, reindex):
    """Restore the database and the uploads from a backup folder (replacing both)."""
    from exchange.ops import backup as ops_backup
    from exchange.ops.tables import code_head

    try:
        manifest = ops_backup.read_manifest(src_dir)
        click.echo(
            f"Backup of {manifest['created_at']}: {manifest['database']}, migration "
            f"{manifest['alembic_revision']}, {len(manifest['tables'])} tables, "
            f"{sum(manifest['tables'].values()):,} rows, {manifest['uploads']['files']} "
            "uploaded files."
        )
        ops_backup.check_restorable(src_dir, manifest)
    except ops_backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Checksums verified.")
    target = ops_backup.display_url(ops_backup.database_url())
    folder = ops_backup.upload_folder()
    if not yes:
        click.confirm(
            f"Replace the database {target} and the uploads in {folder} with this backup?",
            abort=True,
        )
    try:
        ops_backup.restore_database(src_dir, manifest)
        click.echo(f"Database {target} restored.")
        files = ops_backup.restore_uploads(src_dir)
    except ops_backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Uploads restored: {files} files in {folder}.")
    revision, counts = ops_backup.restored_counts()
    differing = [
        f"{name} ({counts.get(name)} rows, the backup had {expected})"
        for name, expected in manifest["tables"].items()
        if counts.get(name) != expected
    ]
    if differing:
        raise click.ClickException("row counts differ from the backup: " + "; ".join(differing))
    click.echo(f"Row counts match the backup ({len(manifest['tables'])} tables).")
    extra = sorted(set(counts) - set(manifest["tables"]))
    if extra:
        click.echo(
            f"Tables not in the backup were left in place: {', '.join(extra)} (drop them "
            "before `flask db upgrade`)."
        )
    if revision != code_head():
        click.echo(
            f"The database is at migration {revision}; this code's newest is {code_head()}: "
            "run `flask db upgrade`, then `flask exchange search reindex`."
        )
    elif reindex:
        reindex_search.callback()
    else:
        click.echo("Now rebuild the search index: `flask exchange search reindex`.")


@exchange_cli.command("migrate-to-postgres")
@click.argument("target_url")
@click.option(
    "--uploads-to",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also copy the uploads folder here (and check every file's SHA-256).",
)
def migrate_to_postgres(target_url, uploads_to):
    """Copy this SQLite database into an empty PostgreSQL database, then verify every table."""
    from exchange.ops import to_postgres
    from exchange.ops.backup import database_url, display_url, upload_folder
    from exchange.ops.tables import alembic_revision, code_head

    source_url = database_url()
    if source_url.get_backend_name() != "sqlite":
        raise click.ClickException(
            f"the configured database is {source_url.get_backend_name()}, not SQLite"
        )
    try:
        engine = to_postgres.target_engine(target_url)
    except to_postgres.MigrationError as error:
        raise click.ClickException(str(error)) from error
    with db.engine.connect() as connection:
        source_revision = alembic_revision(connection)
    if source_revision != code_head():
        raise click.ClickException(
            f"the SQLite database is at migration {source_revision}, the code at {code_head()}: "
            "run `flask db upgrade` first"
        )
    click.echo(f"Source: {display_url(source_url)} (migration {source_revision})")
    click.echo(f"Target: {display_url(engine.url)}")
    click.echo("Writes to the source from now on are not copied: stop the app servers first.")
    try:
        to_postgres.check_target_empty(engine)
        revision = to_postgres.upgrade_target(target_url)
        click.echo(f"Target migrated to {revision}.")
        to_postgres.check_target_empty(engine)
        with db.engine.connect() as source, source.begin():  # one snapshot of the source
            total = sum(
                to_postgres.tables.row_counts(
                    source,
                    [
                        t.name
                        for t in to_postgres.tables.schema_tables()
                        if t.name not in to_postgres.tables.DERIVED_TABLES
                    ],
                ).values()
            )
            with (
                engine.begin() as target,
                click.progressbar(length=total, label="Copying rows", show_pos=True) as bar,
            ):
                to_postgres.copy_tables(source, target, lambda _t, n: bar.update(n))
                sequences = to_postgres.reset_sequences(target)
            click.echo(f"{total:,} rows copied; {len(sequences)} sequences continue after them.")
            with engine.connect() as target:
                checks = to_postgres.verify(source, target)
    except to_postgres.MigrationError as error:
        raise click.ClickException(str(error)) from error
    finally:
        engine.dispose()
    _print_checks(checks)
    bad = [check.name for check in checks if not check.ok]
    if bad:
        click.echo(f"MISMATCH in {len(bad)} table(s): {', '.join(bad)}. Do not switch over.")
        raise SystemExit(1)
    copied = [check for check in checks if check.copied]
    click.echo(
        f"All {len(copied)} tables match: {sum(c.target_rows for c in copied):,} rows, equal "
        "SHA-256 checksums."
    )
    folder = upload_folder()
    if uploads_to is not None:
        try:
            files = to_postgres.copy_uploads(folder, uploads_to)
        except to_postgres.MigrationError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Uploads: {files} files copied from {folder} to {uploads_to}, SHA-256 equal.")
    else:
        click.echo(
            f"Uploads are files on disk, not rows: they stay in {folder}. Every app server "
            "must see them at UPLOAD_FOLDER (shared storage), or copy them with --uploads-to."
        )
    click.echo(
        "Next: set DATABASE_URL to the target on every app server, then run "
        "`flask exchange search reindex` there."
    )


def _print_checks(checks) -> None:
    click.echo(f"{'table':36} {'source rows':>12} {'target rows':>12}  checksum")
    for check in checks:
        if not check.copied:
            verdict = "not copied (rebuilt by `search reindex`)"
            if check.target_rows:
                verdict = "MISMATCH: should be empty"
            click.echo(f"{check.name:36} {'-':>12} {check.target_rows:>12,}  {verdict}")
            continue
        verdict = (
            f"ok {check.target_sha256[:12]}"
            if check.ok
            else (f"MISMATCH {check.source_sha256[:12]} ≠ {check.target_sha256[:12]}")
        )
        click.echo(f"{check.name:36} {check.source_rows:>12,} {check.target_rows:>12,}  {verdict}")

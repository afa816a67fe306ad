"""Wiki services: create, save (compare-and-swap with three-way merge), revert, rename,
attachments, review sign-off, translations and watching. Each public service commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.exc import OperationalError

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications.outbox import external_url, queue_email
from exchange.notifications.services import notify
from exchange.wiki import attachments
from exchange.wiki.merge import three_way_merge
from exchange.wiki.models import (
    Attachment,
    Page,
    PageKind,
    PageLink,
    PageTag,
    ReviewStatus,
    Revision,
    SignOff,
    SlugRedirect,
    Watch,
)
from exchange.wiki.rendering import normalize_slug, render_markdown

MAX_SOURCE = 300_000
# Python-Markdown and Python's HTML parser take quadratic time on some bracket-heavy input
# (Python-Markdown issue #798); these caps keep one save or preview under about a second.
MAX_SQUARE_BRACKETS = 2_000
MAX_ANGLE_BRACKETS = 4_000


def check_renderable(source: str) -> None:
    """Refuse text that is too long, or too bracket-heavy, to render promptly."""
    if len(source) > MAX_SOURCE:
        raise ServiceError(
            _l("The page is too long (at most %(n)d characters); split it.", n=MAX_SOURCE),
            field="source",
        )
    if source.count("[") > MAX_SQUARE_BRACKETS or source.count("<") > MAX_ANGLE_BRACKETS:
        raise ServiceError(
            _l("The text has too many brackets to render safely; split the page."),
            field="source",
        )


@dataclass
class PageFields:
    """The settings of a page other than its text."""

    title: str
    kind: str
    language: str
    visibility: str
    institute_ids: list[int]
    embargo_until: datetime | None
    tags: list[str]


@dataclass
class SaveResult:
    """What happened to a save: saved, unchanged, merged (to confirm) or conflict."""

    status: str
    page: Page
    revision: Revision | None = None
    merged_text: str | None = None
    theirs: Revision | None = None


@cache
def _page_by_slug() -> Select:
    """The page whose slug is the ``slug`` bind parameter, built once: a statement that is
    run again skips SQLAlchemy's cache-key work, which costs more than the query itself."""
    return select(Page).where(Page.slug == bindparam("slug"))


def find_page(slug: str) -> tuple[Page | None, bool]:
    """Return (page, redirected) for a slug, following the slugs of renamed pages."""
    page = db.session.scalars(_page_by_slug(), {"slug": slug}).one_or_none()
    if page is not None:
        return page, False
    redirect = db.session.get(SlugRedirect, slug)
    if redirect is not None:
        return db.session.get(Page, redirect.page_id), True
    return None, False


def slug_taken(slug: str, page: Page | None = None) -> bool:
    owner = db.session.scalar(select(Page.id).where(Page.slug == slug))
    redirect = db.session.get(SlugRedirect, slug)
    if owner is not None and (page is None or owner != page.id):
        return True
    return redirect is not None and (page is None or redirect.page_id != page.id)


def clean_tags(tags: list[str]) -> list[str]:
    cleaned = sorted({normalize_slug(t)[:40] for t in tags if normalize_slug(t)})
    if len(cleaned) > 12:
        raise ServiceError(_l("Use at most 12 tags."), field="tags")
    return cleaned


def _check_fields(fields: PageFields) -> None:
    if fields.kind not in {k.value for k in PageKind}:
        raise ServiceError(_l("Choose a kind of page."), field="kind")
    if fields.language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("Choose a language."), field="language")
    if fields.visibility not in {v.value for v in access.Visibility}:
        raise ServiceError(_l("Choose who may read the page."), field="visibility")
    if fields.visibility == access.Visibility.INSTITUTES and not fields.institute_ids:
        raise ServiceError(
            _l("List at least one institute, or choose another visibility."), field="institutes"
        )


def _apply_fields(page: Page, fields: PageFields) -> None:
    page.title = fields.title.strip()
    page.kind = fields.kind
    page.language = fields.language
    page.visibility = fields.visibility
    page.embargo_until = fields.embargo_until
    ids = fields.institute_ids if fields.visibility == access.Visibility.INSTITUTES else []
    page.allowed_institutes = (
        list(db.session.scalars(select(Institute).where(Institute.id.in_(ids)))) if ids else []
    )
    wanted = clean_tags(fields.tags)
    page.tag_rows = [t for t in page.tag_rows if t.tag in wanted] + [
        PageTag(tag=t) for t in wanted if t not in page.tags
    ]


def _new_revision(page, actor, source, title, summary, kind, base_revision_id) -> Revision:
    check_renderable(source)
    rendered = render_markdown(source)
    number = 1 if page.current_revision is None else page.current_revision.number + 1
    revision = Revision(
        page_id=page.id,
        number=number,
        kind=kind,
        title=title.strip(),
        source=source,
        html=rendered.html,
        toc_html=rendered.toc_html,
        summary=(summary or "").strip()[:300],
        author_id=getattr(actor, "id", None),
        base_revision_id=base_revision_id,
    )
    db.session.add(revision)
    db.session.flush()
    db.session.execute(delete(PageLink).where(PageLink.source_page_id == page.id))
    db.session.add_all(
        PageLink(source_page_id=page.id, kind=link.kind, target_slug=link.target)
        for link in rendered.links
    )
    return revision


def normalize_text(text: str) -> str:
    """Browsers send textareas with CRLF; store LF and one final newline."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n" if text.strip() else ""


def create_page(
    actor: User,
    slug: str,
    fields: PageFields,
    source: str,
    summary: str = "",
    *,
    translation_of: Page | None = None,
    is_demo: bool = False,
) -> Page:
    """Create a page owned by the actor's institute with its first revision."""
    if not access.is_signed_in(actor):
        raise ServiceError(_l("Sign in to create pages."))
    slug = normalize_slug(slug or fields.title)
    if not slug:
        raise ServiceError(_l("Choose an address with letters or digits."), field="slug")
    if slug_taken(slug):
        raise ServiceError(_l("Another page already uses this address."), field="slug")
    _check_fields(fields)
    if translation_of is not None and not access.can_view(actor, translation_of):
        raise ServiceError(_l("No such page to translate."), field="translation_of")
    page = Page(
        slug=slug,
        owner_institute_id=actor.institute_id,
        created_by_id=actor.id,
        is_demo=is_demo,
        title=fields.title,
    )
    _apply_fields(page, fields)
    if translation_of is not None:
        page.translation_of = translation_of
        page.translation_source_revision_id = translation_of.current_revision_id
    db.session.add(page)
    db.session.flush()
    revision = _new_revision(
        page, actor, normalize_text(source), fields.title, summary, "create", None
    )
    page.current_revision = revision
    db.session.commit()
    return page


def save_page(
    actor: User,
    page: Page,
    *,
    base_revision_id: int,
    title: str,
    source: str,
    summary: str = "",
    translation_in_sync: bool = False,
) -> SaveResult:
    """Save new text as compare-and-swap on the revision the editor started from.

    If someone saved in between, the edits are merged three-way: a clean merge comes back
    for the user to confirm, an overlap comes back as a conflict. Nothing is ever dropped.
    """
    if not access.can_edit(actor, page):
        raise ServiceError(_l("You may not edit this page."))
    source = normalize_text(source)
    title = (title or "").strip() or page.title
    current = page.current_revision
    if base_revision_id != current.id:
        return _merge_with_current(page, base_revision_id, source)
    if source == current.source and title == current.title:
        if translation_in_sync:
            _sync_translation(page)
            db.session.commit()
        return SaveResult("unchanged", page, current)
    if not _claim_page(page, base_revision_id):  # someone saved between our read and now
        page = db.session.get(Page, page.id, populate_existing=True)
        return _merge_with_current(page, base_revision_id, source)
    revision = _new_revision(page, actor, source, title, summary, "edit", base_revision_id)
    db.session.execute(
        update(Page)
        .where(Page.id == page.id)
        .values(current_revision_id=revision.id, title=title)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(page)
    if translation_in_sync:
        _sync_translation(page)
    _notify_watchers(actor, page, revision)
    db.session.commit()
    return SaveResult("saved", page, revision)


def _claim_page(page: Page, expected_revision_id: int) -> bool:
    """Compare-and-swap before numbering a new revision: True if the page is still at
    ``expected_revision_id`` and is now write-locked by this transaction.

    The conditional UPDATE comes first so that two saves from the same revision never both
    number a revision: on PostgreSQL the second waits for the first's row lock, then finds
    the page moved on; on SQLite a writer whose snapshot is stale is refused at once
    ("database is locked"), so it starts a fresh transaction and looks again.
    """
    page_id = page.id  # read now: after a rollback, page.id would reload in a read transaction
    for attempt in range(3):
        try:
            claimed = db.session.execute(
                update(Page)
                .where(Page.id == page_id, Page.current_revision_id == expected_revision_id)
                .values(updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        except OperationalError:
            db.session.rollback()
            if attempt == 2:
                raise
            continue
        if claimed.rowcount == 1:
            return True
        db.session.rollback()
        return False
    return False


def _merge_with_current(page: Page, base_revision_id: int, mine: str) -> SaveResult:
    current = page.current_revision
    base = db.session.get(Revision, base_revision_id)
    if base is None or base.page_id != page.id:
        raise ServiceError(_l("The revision you started from does not belong to this page."))
    merged = three_way_merge(base.source, mine, current.source)
    status = "merged" if merged.clean else "conflict"
    return SaveResult(status, page, None, merged.text if merged.clean else None, current)


def _sync_translation(page: Page) -> None:
    if page.translation_of is not None:
        page.translation_source_revision_id = page.translation_of.current_revision_id


def link_translation(actor: User, page: Page, source: Page | None) -> None:
    """Declare ``page`` a translation of ``source`` (or unlink it with None)."""
    if not access.can_edit(actor, page):
        raise ServiceError(_l("You may not change this page."))
    if source is not None:
        if not access.can_view(actor, source) or source.id == page.id:
            raise ServiceError(_l("No such page to translate."), field="source_slug")
        if source.language == page.language:
            raise ServiceError(
                _l("A translation must be in another language than its source."),
                field="source_slug",
            )
        if source.translation_of_id is not None:
            raise ServiceError(
                _l("That page is itself a translation; link to its source instead."),
                field="source_slug",
            )
    page.translation_of = source
    page.translation_source_revision_id = source.current_revision_id if source else None
    db.session.commit()


def translation_is_stale(page: Page) -> bool:
    """True when the page translates a source that has new revisions since."""
    source = page.translation_of
    return source is not None and source.current_revision_id != page.translation_source_revision_id


def revert(actor: User, page: Page, revision: Revision) -> Revision:
    """Restore an old revision's text as a new revision (history is never rewritten)."""
    if not access.can_edit(actor, page):
        raise ServiceError(_l("You may not edit this page."))
    if revision.page_id != page.id:
        raise ServiceError(_l("No such revision."))
    current = page.current_revision
    if revision.id == current.id:
        raise ServiceError(_l("This is already the current revision."))
    if not _claim_page(page, current.id):
        raise ServiceError(_l("Someone saved this page a moment ago; look at it again."))
    new = _new_revision(
        page,
        actor,
        revision.source,
        revision.title,
        str(_l("Reverted to revision %(n)d", n=revision.number)),
        "revert",
        current.id,
    )
    page.current_revision = new
    page.title = revision.title
    page.updated_at = utcnow()
    _notify_watchers(actor, page, new)
    db.session.commit()
    return new


def update_settings(actor: User, page: Page, fields: PageFields) -> None:
    """Change a page's kind, language, visibility, embargo and tags (not its text)."""
    if not access.can_edit(actor, page):
        raise ServiceError(_l("You may not change this page."))
    _check_fields(fields)
    fields.title = page.title
    _apply_fields(page, fields)
    page.updated_at = utcnow()
    db.session.commit()


def rename(actor: User, page: Page, new_slug: str) -> None:
    """Give a page a new address; the old one redirects and links follow."""
    if not access.can_edit(actor, page):
        raise ServiceError(_l("You may not change this page."))
    new_slug = normalize_slug(new_slug)
    if not new_slug:
        raise ServiceError(_l("Choose an address with letters or digits."), field="slug")
    if new_slug == page.slug:
        return
    if slug_taken(new_slug, page):
        raise ServiceError(_l("Another page already uses this address."), field="slug")
    old = page.slug
    db.session.execute(delete(SlugRedirect).where(SlugRedirect.old_slug == new_slug))
    db.session.add(SlugRedirect(old_slug=old, page_id=page.id))
    page.slug = new_slug
    db.session.execute(
        update(PageLink)
        .where(PageLink.kind == "page", PageLink.target_slug == old)
        .values(target_slug=new_slug)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def add_attachment(actor: User, page: Page, filename: str, data: bytes) -> Attachment:
    """Attach a file of an allowed type and size; a same-named file is replaced."""
    if not access.can_edit(actor, page):
        raise ServiceError(_l("You may not change this page."))
    filename = attachments.clean_filename(filename)
    ext = attachments.extension(filename)
    types = attachments.allowed_types()
    if ext not in types:
        raise ServiceError(
            _l(
                "Files of this type are not accepted. Allowed: %(types)s.",
                types=", ".join(sorted(types)),
            ),
            field="file",
        )
    limit = current_app.config["WIKI_ATTACHMENT_MAX_BYTES"]
    if len(data) > limit:
        raise ServiceError(
            _l("The file is larger than %(mb).1f MB.", mb=limit / 1_048_576), field="file"
        )
    if not data:
        raise ServiceError(_l("The file is empty."), field="file")
    if not attachments.content_matches(ext, data[:16]):
        raise ServiceError(_l("The file's content does not match its type."), field="file")
    digest = attachments.store(data)
    existing = db.session.scalar(
        select(Attachment).where(Attachment.page_id == page.id, Attachment.filename == filename)
    )
    attachment = existing or Attachment(page_id=page.id, filename=filename)
    attachment.content_type = types[ext]
    attachment.size = len(data)
    attachment.sha256 = digest
    attachment.uploaded_by_id = actor.id
    attachment.created_at = utcnow()
    db.session.add(attachment)
    db.session.commit()
    return attachment


def can_sign_off(actor: User, page: Page) -> bool:
    """Sign-off is for named people of the owning institute."""
    return access.is_signed_in(actor) and actor.institute_id == page.owner_institute_id


def sign_off(actor: User, page: Page, level: str) -> SignOff:
    """Mark the current revision reviewed, or endorsed once it has been reviewed."""
    if not can_sign_off(actor, page):
        raise ServiceError(_l("Only people of the owning institute can sign off this page."))
    if level not in (ReviewStatus.REVIEWED, ReviewStatus.ENDORSED):
        raise ServiceError(_l("Unknown sign-off."))
    revision = page.current_revision
    if level == ReviewStatus.ENDORSED and not db.session.scalar(
        select(SignOff.id).where(SignOff.page_id == page.id, SignOff.level == "reviewed")
    ):
        raise ServiceError(_l("A page is reviewed before it is endorsed."))
    existing = db.session.scalar(
        select(SignOff).where(
            SignOff.revision_id == revision.id,
            SignOff.level == level,
            SignOff.user_id == actor.id,
        )
    )
    if existing is not None:
        raise ServiceError(_l("You have already signed off this revision."))
    signoff = SignOff(page_id=page.id, revision_id=revision.id, level=level, user_id=actor.id)
    db.session.add(signoff)
    if level == ReviewStatus.ENDORSED or page.review_status == ReviewStatus.DRAFT:
        page.review_status = level
    db.session.commit()
    return signoff


def set_watch(actor: User, page: Page, watching: bool) -> None:
    if not access.can_view(actor, page) or not access.is_signed_in(actor):
        raise ServiceError(_l("No such page."))
    existing = db.session.get(Watch, (actor.id, page.id))
    if watching and existing is None:
        db.session.add(Watch(user_id=actor.id, page_id=page.id))
    elif not watching and existing is not None:
        db.session.delete(existing)
    db.session.commit()


def _notify_watchers(actor: User, page: Page, revision: Revision) -> None:
    """Tell each watcher who may still read the page (the policy decides, per person)."""
    watchers = db.session.scalars(
        select(User).join(Watch, Watch.user_id == User.id).where(Watch.page_id == page.id)
    ).all()
    link = f"/wiki/{page.slug}"
    for watcher in watchers:
        if watcher.id == actor.id or not access.can_view(watcher, page):
            continue
        notify(watcher, "page_changed", link=link, name=actor.display_name, title=page.title)
        queue_email(
            watcher.email,
            _l("“%(title)s” was changed", title=page.title),
            "page_changed",
            locale=watcher.locale,
            user=watcher,
            actor=actor,
            page=page,
            revision=revision,
            page_url=external_url("wiki.view_page", slug=page.slug),
            diff_url=external_url(
                "wiki.diff_page",
                slug=page.slug,
                to=revision.number,
                **{"from": max(1, revision.number - 1)},
            ),
        )

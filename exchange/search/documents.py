"""What search knows of each kind of content: documents built from the database.

A :class:`SearchDocument` is everything the index stores or matches on for one wiki page,
evaluation record or rotation program, including the ACL tokens of the access policy
(:func:`exchange.access.object_tokens`) that decide who may find it. Documents are built only
here, from committed rows, by the indexer; nothing is indexed from ORM events.

:data:`TRIGGERS` maps each model whose change alters a document to that document, for the
outbox hook (:mod:`exchange.search.outbox`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exchange import access
from exchange.evaluations.models import EvaluationRecord, EvaluationResult, RecordLabel
from exchange.extensions import db
from exchange.rotations.models import Program
from exchange.search.analysis import index_terms
from exchange.wiki.models import Page, PageTag, Revision

ENTITIES = ("page", "record", "program")
#: Facet values of ``kind`` beyond the wiki's page kinds.
RECORD_KIND = "record"
PROGRAM_KIND = "program"
#: Stored text is cut here: enough for snippets, bounded for the index.
STORED_TEXT_CHARS = 20_000

_TAG_RE = re.compile(r"<[^>]+>")
_HANGUL_RE = re.compile("[\uac00-\ud7a3]")


@dataclass
class SearchDocument:
    """One searchable item, as the index sees it."""

    entity: str
    object_id: int
    kind: str
    title: str
    text: str
    slug: str
    institute: str
    language: str
    date: datetime
    acl: frozenset[str]
    tags: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    summary: str = ""
    # When the document's ACL tokens change on their own (an embargo ends).
    recheck_at: datetime | None = None

    @property
    def key(self) -> str:
        return document_key(self.entity, self.object_id)


@dataclass
class Analysed:
    """The terms of a document, as every backend indexes them (see exchange.search.analysis).

    ``body`` is every term in order (title, tags, domains, models, text): positions for
    phrases; ``words`` the distinct surface words (prefixes, spelling); ``title`` and
    ``title_words`` the same for the title alone (field search, suggestions); ``model`` the
    model names' terms; ``tags`` the tags lower-cased.
    """

    body: list[str]
    words: set[str]
    title: list[str]
    title_words: set[str]
    model: list[str]
    tags: list[str]
    #: Where the text's terms start in ``body`` (after the title's and the labels').
    text_start: int = 0


def analyse(doc: SearchDocument) -> Analysed:
    # The terms of "title\nlabels\ntext" are the terms of each part in turn (no word or
    # Hangul run crosses a line break, and a run after one is never "attached"), so each part
    # is analysed once: the title serves both ``title`` and the start of ``body``.
    extra = " ".join([*doc.tags, *doc.domains, *doc.models]).replace("_", " ")
    title, title_words = index_terms(doc.title)
    labels, label_words = index_terms(extra) if extra else ([], set())
    text, text_words = index_terms(doc.text)
    model, _ = index_terms(" ".join(doc.models)) if doc.models else ([], set())
    return Analysed(
        body=[*title, *labels, *text],
        words=title_words | label_words | text_words,
        title=title,
        title_words=title_words,
        model=model,
        tags=[t.casefold() for t in doc.tags],
        text_start=len(title) + len(labels),
    )


def stored_data(doc: SearchDocument) -> dict:
    """What a result shows, stored with the document (text cut for snippets)."""
    return {
        "key": doc.key,
        "entity": doc.entity,
        "kind": doc.kind,
        "title": doc.title,
        "slug": doc.slug,
        "institute": doc.institute,
        "language": doc.language,
        "date": doc.date.isoformat(),
        "tags": list(doc.tags),
        "domains": list(doc.domains),
        "text": doc.text[:STORED_TEXT_CHARS],
    }


def document_key(entity: str, object_id: int) -> str:
    return f"{entity}:{object_id}"


def split_key(key: str) -> tuple[str, int]:
    entity, _, object_id = key.partition(":")
    return entity, int(object_id)


def html_to_text(markup: str) -> str:
    """Plain text of sanitized HTML (tags dropped, entities decoded, spaces collapsed)."""
    # str.split() splits on the characters ``\s`` matches: runs of them become one space.
    return " ".join(html.unescape(_TAG_RE.sub(" ", markup or "")).split())


def guess_language(text: str) -> str:
    """'ko' when at least a fifth of the letters are Hangul syllables, else 'en'."""
    letters = sum(1 for ch in text[:4000] if ch.isalpha())
    if not letters:
        return "en"
    return "ko" if len(_HANGUL_RE.findall(text[:4000])) * 5 >= letters else "en"


def _as_datetime(value: date | datetime | None, fallback: datetime) -> datetime:
    if value is None:
        return fallback
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _embargo_end(obj) -> datetime | None:
    return obj.embargo_until if access.is_embargoed(obj) else None


def program_tokens(program: Program) -> frozenset[str]:
    """Programs are for signed-in members once open; drafts for the host's coordinators."""
    if program.status == "draft":
        return frozenset({access.coordinator_token(program.host_institute_id)})
    return frozenset({access.NETWORK_TOKEN})


# --- Builders ------------------------------------------------------------------------------


def page_document(page: Page) -> SearchDocument | None:
    revision = page.current_revision
    if revision is None:
        return None
    return SearchDocument(
        entity="page",
        object_id=page.id,
        kind=page.kind,
        title=page.title,
        text=html_to_text(revision.html),
        slug=page.slug,
        institute=page.owner_institute.code,
        language=page.language,
        date=_as_datetime(page.updated_at, revision.created_at),
        acl=access.object_tokens(page),
        tags=sorted(page.tags),
        recheck_at=_embargo_end(page),
    )


def record_document(record: EvaluationRecord) -> SearchDocument:
    models = [
        m
        for m in (record.model_name, record.model_version, record.model_developer)
        if m and m.strip()
    ]
    models += [m.strip() for m in record.reference_models.split(",") if m.strip()]
    results = sorted({r.benchmark for r in record.results if r.benchmark})
    text = " ".join(
        part
        for part in (
            record.summary,
            record.headline_finding,
            record.caveats,
            " ".join(results),
            " ".join(record.labels_of("technique")).replace("_", " "),
        )
        if part
    )
    return SearchDocument(
        entity="record",
        object_id=record.id,
        kind=RECORD_KIND,
        title=record.title,
        text=text,
        slug=record.slug,
        institute=record.owner_institute.code,
        language=guess_language(record.title + " " + text),
        date=_as_datetime(record.evaluated_on, record.updated_at),
        acl=access.object_tokens(record),
        tags=sorted(record.labels_of("technique")),
        domains=sorted(record.labels_of("domain")),
        models=models,
        summary=record.summary,
        recheck_at=_embargo_end(record),
    )


def program_document(program: Program) -> SearchDocument:
    text = " ".join(
        part
        for part in (
            html_to_text(program.description_html) or program.description,
            program.focus_areas,
            program.skills_sought,
            program.location,
        )
        if part
    )
    return SearchDocument(
        entity="program",
        object_id=program.id,
        kind=PROGRAM_KIND,
        title=program.title,
        text=text,
        slug=program.slug,
        institute=program.host_institute.code,
        language=guess_language(program.title + " " + text),
        date=_as_datetime(program.start_date, program.updated_at),
        acl=program_tokens(program),
        tags=sorted(
            {t.strip().lower() for t in re.split(r"[,;]", program.focus_areas) if t.strip()}
        ),
    )


def _page_query():
    return select(Page).options(
        selectinload(Page.current_revision),
        selectinload(Page.tag_rows),
        selectinload(Page.allowed_institutes),
        selectinload(Page.owner_institute),
    )


def _record_query():
    return select(EvaluationRecord).options(
        selectinload(EvaluationRecord.labels),
        selectinload(EvaluationRecord.results),
        selectinload(EvaluationRecord.allowed_institutes),
        selectinload(EvaluationRecord.participating_institutes),
        selectinload(EvaluationRecord.owner_institute),
    )


def _program_query():
    return select(Program).options(selectinload(Program.host_institute))


_LOADERS: dict[str, tuple[type, Callable, Callable]] = {
    "page": (Page, _page_query, page_document),
    "record": (EvaluationRecord, _record_query, record_document),
    "program": (Program, _program_query, program_document),
}


def load_documents(entity: str, ids: list[int]) -> dict[int, SearchDocument | None]:
    """Documents for these ids; None for an id that no longer exists or has nothing to index."""
    model, query, build = _LOADERS[entity]
    found: dict[int, SearchDocument | None] = dict.fromkeys(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for obj in db.session.scalars(query().where(model.id.in_(chunk))):
            found[obj.id] = build(obj)
    return found


def count_all() -> int:
    from sqlalchemy import func

    return sum(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model, _query, _build in _LOADERS.values()
    )


def iter_all(batch: int = 500, release: bool = True) -> Iterator[list[SearchDocument]]:
    """Every document, in batches.

    With ``release`` each batch is read in its own short transaction; without it the session's
    transaction stays open (a backend that writes in that same transaction) and only the
    loaded objects are let go.
    """
    for model, query, build in _LOADERS.values():
        last_id = 0
        while True:
            rows = list(
                db.session.scalars(
                    query().where(model.id > last_id).order_by(model.id).limit(batch)
                )
            )
            if not rows:
                break
            last_id = rows[-1].id
            docs = [doc for doc in map(build, rows) if doc is not None]
            if release:
                db.session.rollback()  # end the read transaction; keep nothing in the session
            else:
                db.session.expunge_all()
            yield docs
            if len(rows) < batch:
                break


class Batches:
    """Batches of documents that know how many documents there were when they were counted
    (a rebuild splits its work by that number; the batches may hold a few more or fewer)."""

    def __init__(self, batches: Iterable[list[SearchDocument]], total: int):
        self._batches = batches
        self.total = total

    def __iter__(self) -> Iterator[list[SearchDocument]]:
        return iter(self._batches)


def all_batches(batch: int = 500, release: bool = True) -> Batches:
    """:func:`iter_all`, with the number of documents counted first."""
    total = count_all()
    if release:
        db.session.rollback()
    return Batches(iter_all(batch, release), total)


# --- What changes which document -----------------------------------------------------------

TRIGGERS: dict[type, Callable[[object], tuple[str, int | None]]] = {
    Page: lambda o: ("page", o.id),
    Revision: lambda o: ("page", o.page_id),
    PageTag: lambda o: ("page", o.page_id),
    EvaluationRecord: lambda o: ("record", o.id),
    RecordLabel: lambda o: ("record", o.record_id),
    EvaluationResult: lambda o: ("record", o.record_id),
    Program: lambda o: ("program", o.id),
}
"""Model -> the document (entity, id) its insert, update or delete affects.

Not listed: renaming an institute (its code is in every document it owns) is rare and is
picked up by ``flask exchange search reindex``."""

__all__ = [
    "ENTITIES",
    "TRIGGERS",
    "Batches",
    "SearchDocument",
    "all_batches",
    "document_key",
    "iter_all",
    "load_documents",
    "split_key",
]

"""Search as the site and the API use it: one function per use, the access policy applied.

Need-to-know is enforced twice. Inside the index every document carries the ACL tokens of
:func:`exchange.access.object_tokens`; every count, facet, result, suggestion and spelling
candidate is computed only over the documents whose tokens meet the reader's
(:func:`exchange.access.acl_tokens`). Then the hits shown are checked against the database
with the same policy, so that an index that has not caught up yet (a change committed a moment
ago, or left behind by a crash until ``search sync``) cannot show a result, a title or a
snippet of something the reader may no longer see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import url_for
from markupsafe import Markup
from sqlalchemy import bindparam, select

from exchange import access
from exchange.db import utcnow
from exchange.evaluations.models import EvaluationRecord
from exchange.extensions import db
from exchange.rotations.models import Program
from exchange.rotations.policy import can_view_program
from exchange.search.analysis import query_terms, surface_word
from exchange.search.highlight import mark_title, snippet
from exchange.search.indexer import current_index
from exchange.search.models import SearchOutbox
from exchange.search.query import (
    EVERYTHING,
    MAX_QUERY_LENGTH,
    Hint,
    ParsedQuery,
    Words,
    parse,
    positive_parts,
)
from exchange.search.whoosh_backend import Filters, Matches
from exchange.wiki.models import Page

PER_PAGE = 10
#: At most this many pending outbox rows are re-checked per search (see stale_denied).
STALE_LIMIT = 2000
# Control characters (NUL included) are never part of a query and cannot be shown back in HTML.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_PAGE = 100
SORTS = ("relevance", "date")
FILTER_NAMES = ("kind", "institute", "domain", "lang", "tag")
ENDPOINTS = {
    "page": "wiki.view_page",
    "record": "evaluations.view_record",
    "program": "rotations.view_program",
}


@dataclass
class SearchRequest:
    q: str = ""
    kind: str = ""
    institute: str = ""
    domain: str = ""
    lang: str = ""
    tag: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def has_filters(self) -> bool:
        return bool(
            any(getattr(self, name) for name in FILTER_NAMES) or self.date_from or self.date_to
        )

    def args(self, **changes) -> dict:
        """URL arguments for this request with ``changes`` (None or "" drops an argument)."""
        values = {
            "q": self.q,
            **{name: getattr(self, name) for name in FILTER_NAMES},
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "sort": "" if self.sort == "relevance" else self.sort,
            "page": self.page if self.page > 1 else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _date(value: str, name: str, hints: list[Hint]) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        hints.append(Hint("bad_date", name))
        return None


def request_from_args(args, per_page: int = PER_PAGE) -> tuple[SearchRequest, list[Hint]]:
    """Read query-string arguments; what cannot be used is dropped with a hint, never an error."""
    hints: list[Hint] = []
    q = args.get("q") or ""
    if _CONTROL.search(q):  # never part of a query, and not to be echoed into HTML
        hints.append(Hint("control_characters"))
        q = _CONTROL.sub(" ", q)
    if len(q) > MAX_QUERY_LENGTH:
        hints.append(Hint("too_long", str(MAX_QUERY_LENGTH)))
        q = q[:MAX_QUERY_LENGTH]
    req = SearchRequest(q=q, per_page=per_page)
    for name in FILTER_NAMES:
        setattr(req, name, (args.get(name) or "").strip()[:80])
    req.date_from = _date(args.get("from", ""), "from", hints)
    req.date_to = _date(args.get("to", ""), "to", hints)
    if req.date_from and req.date_to and req.date_from > req.date_to:
        req.date_from, req.date_to = req.date_to, req.date_from
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        hints.append(Hint("bad_sort", sort[:20]))
        sort = "relevance"
    req.sort = sort
    try:
        req.page = int(args.get("page") or 1)
    except ValueError:
        hints.append(Hint("bad_page"))
        req.page = 1
    if req.page < 1 or req.page > MAX_PAGE:
        hints.append(Hint("bad_page"))
        req.page = min(max(req.page, 1), MAX_PAGE)
    return req, hints


@dataclass
class Hit:
    key: str
    entity: str
    kind: str
    title: Markup
    snippet: Markup
    url: str
    institute: str
    language: str
    date: datetime
    tags: list[str]
    domains: list[str]

    def as_json(self) -> dict:
        return {
            "type": self.entity,
            "kind": self.kind,
            "title": self.title.striptags(),
            "title_html": str(self.title),
            "snippet_html": str(self.snippet),
            "url": self.url,
            "institute": self.institute,
            "language": self.language,
            "date": self.date.date().isoformat(),
            "tags": self.tags,
            "domains": self.domains,
        }


@dataclass
class SearchResponse:
    request: SearchRequest
    parsed: ParsedQuery
    hints: list[Hint]
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    did_you_mean: str | None = None
    searched: bool = False

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.request.per_page)))


def _filters(req: SearchRequest) -> Filters:
    return Filters(
        kind=req.kind,
        institute=req.institute,
        domain=req.domain,
        lang=req.lang,
        tag=req.tag,
        date_from=req.date_from.toordinal() if req.date_from else None,
        date_to=req.date_to.toordinal() if req.date_to else None,
    )


def search(user, req: SearchRequest, hints: list[Hint] | None = None) -> SearchResponse:
    """Run a search for ``user``: hits of the requested page, counts, facets, did-you-mean."""
    parsed = parse(req.q)
    response = SearchResponse(req, parsed, [*(hints or []), *parsed.hints])
    tree = parsed.tree
    if tree is None:
        if not req.has_filters:
            return response
        tree = EVERYTHING
    tokens = access.acl_tokens(user)
    deny = stale_denied(user)
    view = current_index().view()
    offset = (req.page - 1) * req.per_page
    # With no words there is no relevance to rank by: newest first.
    sort = req.sort if parsed.tree is not None else "date"
    matches: Matches = view.run(
        tree, tokens, _filters(req), sort=sort, offset=offset, limit=req.per_page, deny=deny
    )
    response.searched = True
    response.total = matches.total
    response.facets = {
        name: sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
        for name, counter in matches.facets.items()
    }
    response.hits = _visible_hits(user, matches)
    if parsed.tree is not None and matches.total < 3:
        response.did_you_mean = did_you_mean(view, parsed, tokens, deny)
    return response


_VISIBLE_IDS: dict[tuple[type, bool], object] = {}


def _visible_ids(user, model, ids: list[int]):
    """The ``ids`` of ``model`` rows that ``user`` may see now (the access policy in SQL).

    The statement is built once per model and kind of reader, with the reader's institute
    and the time as bind parameters (building the policy's condition cost more than running
    it, on every search).
    """
    institute = user.institute_id if access.is_signed_in(user) else None
    if access.is_signed_in(user) and institute is None:  # no institute: the policy as is
        condition = access.visibility_filter(user, model)
        return db.session.scalars(select(model.id).where(model.id.in_(ids), condition))
    key = (model, institute is not None)
    statement = _VISIBLE_IDS.get(key)
    if statement is None:
        reader = bindparam("institute") if institute is not None else None
        statement = _VISIBLE_IDS[key] = select(model.id).where(
            model.id.in_(bindparam("ids", expanding=True)),
            access.visibility_condition(model, reader, bindparam("now")),
        )
    params = {"ids": ids, "now": utcnow()}
    if institute is not None:
        params["institute"] = institute
    return db.session.scalars(statement, params)


def _visible_keys(user, ids: dict[str, list[int]]) -> set[str]:
    """The keys among ``ids`` (per entity) that ``user`` may see now, by the database."""
    visible: set[str] = set()
    if ids.get("page"):
        visible |= {f"page:{i}" for i in _visible_ids(user, Page, ids["page"])}
    if ids.get("record"):
        visible |= {f"record:{i}" for i in _visible_ids(user, EvaluationRecord, ids["record"])}
    if ids.get("program"):
        visible |= {
            f"program:{p.id}"
            for p in db.session.scalars(select(Program).where(Program.id.in_(ids["program"])))
            if can_view_program(user, p)
        }
    return visible


def _ids_by_entity(stored: list[dict]) -> dict[str, list[int]]:
    """Object ids per entity of stored index data (``{"key": "page:12", ...}``)."""
    ids: dict[str, list[int]] = {}
    for data in stored:
        entity, _, object_id = data["key"].partition(":")
        ids.setdefault(entity, []).append(int(object_id))
    return ids


def stale_denied(user) -> frozenset[str]:
    """Documents changed but not re-indexed yet that ``user`` may not see now.

    Until the indexer applies a change, the index still holds the document's old ACL tokens.
    Leaving these out of every count, facet, spelling check and suggestion closes that window
    (a page just narrowed to one institute, or left behind by a crash until ``search sync``).
    Fail-closed: a document that became visible shows up once it is indexed.
    """
    rows = db.session.execute(
        select(SearchOutbox.entity, SearchOutbox.object_id)
        .where(SearchOutbox.done_at.is_(None), SearchOutbox.available_at <= utcnow())
        .distinct()
        .limit(STALE_LIMIT)
    ).all()
    if not rows:
        return frozenset()
    ids: dict[str, list[int]] = {}
    for row in rows:
        ids.setdefault(row.entity, []).append(row.object_id)
    keys = {f"{row.entity}:{row.object_id}" for row in rows}
    return frozenset(keys - _visible_keys(user, ids))


def _visible_hits(user, matches: Matches) -> list[Hit]:
    """Hits the reader may see now, by the database (the index may lag a moment behind)."""
    visible = _visible_keys(user, _ids_by_entity(matches.hits))
    hits = []
    terms, prefixes = matches.highlight_terms, matches.highlight_prefixes
    for data in matches.hits:
        if data["key"] not in visible:
            continue
        hits.append(
            Hit(
                key=data["key"],
                entity=data["entity"],
                kind=data["kind"],
                title=mark_title(data["title"], terms, prefixes),
                snippet=snippet(data["text"], terms, prefixes),
                url=url_for(ENDPOINTS[data["entity"]], slug=data["slug"]),
                institute=data["institute"],
                language=data["language"],
                date=datetime.fromisoformat(data["date"]),
                tags=data["tags"],
                domains=data["domains"],
            )
        )
    return hits


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")


def did_you_mean(
    view, parsed: ParsedQuery, tokens: frozenset[str], deny: frozenset[str] = frozenset()
) -> str | None:
    """A corrected query, only if it finds something this reader may see; else None.

    Candidates are indexed words within one or two edits; each is kept only if a document the
    reader may see contains it, and the corrected query must find at least one such document,
    so a suggestion never reveals a word from a document the reader cannot read.
    """
    text = parsed.text
    changed = False
    for part in positive_parts(parsed.tree):
        if not (
            isinstance(part, Words) and part.field is None and _LATIN_WORD.fullmatch(part.text)
        ):
            continue
        word = surface_word(part.text)
        if view.visible_word(word, tokens, deny):
            continue
        for candidate in view.spelling_candidates(word):
            if view.visible_word(candidate, tokens, deny):
                text = re.sub(
                    rf"(?<![\w-]){re.escape(part.text)}(?![\w-])", candidate, text, count=1
                )
                changed = True
                break
    if not changed:
        return None
    corrected = parse(text)
    if corrected.tree is None or view.count(corrected.tree, tokens, deny) == 0:
        return None
    return text


def suggest_titles(user, text: str, limit: int = 8) -> list[dict]:
    """Titles for the search box while typing: the last word may be incomplete."""
    text = _CONTROL.sub(" ", text or "")[:200]
    words = text.split()
    if not words:
        return []
    complete, last = words[:-1], words[-1]
    terms = [t for group in query_terms(" ".join(complete)) for t in group]
    partial = ""
    if text.endswith(" "):
        terms += [t for group in query_terms(last) for t in group]
    elif re.fullmatch(r"[\w.-]+", last) and last.isascii():
        partial = surface_word(last)
        if len(partial) < 2:
            return []
    else:  # Korean or other scripts: the word as it is
        terms += [t for group in query_terms(last) for t in group]
    view = current_index().view()
    found = view.titles(terms, partial, access.acl_tokens(user), limit * 2, stale_denied(user))
    # The same database check as results: the index may lag behind a change of visibility.
    shown = _visible_keys(user, _ids_by_entity(found))
    out = []
    for data in found:
        if data["key"] in shown:
            out.append(
                {
                    "title": data["title"],
                    "url": url_for(ENDPOINTS[data["entity"]], slug=data["slug"]),
                    "kind": data["kind"],
                }
            )
        if len(out) >= limit:
            break
    return out

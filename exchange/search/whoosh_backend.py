"""The embedded search backend: a Whoosh index in a folder, kept by one writer at a time.

Layout: ``<SEARCH_INDEX_PATH>/current`` is a symbolic link to one generation folder
(``v<schema>-<time>-<random>``) holding a Whoosh index. A rebuild writes a new generation
beside it and replaces the link with one atomic ``rename``, so searches keep working from the
old generation until the new one is complete. Every process notices the new link on its next
search.

What the index holds per document (see :func:`index_fields`): the terms of
:mod:`exchange.search.analysis`, fed pre-analysed (space-separated) so the analysis runs once
and the same terms can feed another backend; the body's terms in order as one column value
(a forward index: a phrase is checked on it for the few candidate documents, which is far
cheaper than positions in every posting), plus word-pair *shingles* of frequent terms
(:data:`COMMON_TERMS` most frequent in a sample, chosen when a generation is built and stored
with it), so that a phrase of common words -- the slow case -- is one short posting list; the
distinct surface words, from which spelling suggestions come and on which a prefix of five
letters or more (``evalu*``) is expanded to the words it starts; the first three and four
letters of each surface word (``lead``: a short prefix, which starts hundreds of words, is
one posting list and finds them all); exact values for facets and field filters; the ACL
tokens of the access policy; and a compact column per document with its facet values and
field lengths. Queries do not go through Whoosh's matchers: :mod:`.engine` reads the
posting lists into arrays and evaluates, counts and ranks with whole-array operations.

Measured reasons for these choices are in ``bench/README.md`` ("Search").
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import secrets
import shutil
import threading
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, pairwise
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError

from exchange.search import whoosh_bulk
from exchange.search.analysis import index_terms
from exchange.search.documents import Analysed, SearchDocument, analyse, stored_data
from exchange.search.engine import Columns
from exchange.search.query import All, Any, Everything, Phrase, Prefix, Value, Words

SCHEMA_VERSION = 5
#: A prefix of one of these lengths is one posting list: the ``lead`` field holds the first
#: three and the first four letters of each of a document's surface words (edge n-grams).
LEADS = (3, 4)
#: How many of the most frequent terms get shingles, and the sample they are chosen from.
COMMON_TERMS = 500
COMMON_SAMPLE = 5000
#: A term must be in at least this share of the sampled documents to count as common.
COMMON_MIN_SHARE = 0.01
#: A title suggestion's last word expands to at most this many words (the most frequent).
MAX_EXPANSION = 48
#: A prefix longer than the ``lead`` grams matches at most this many words (the most frequent):
#: at five letters and more, all of them in practice.
MAX_PREFIX_WORDS = 512
#: How many words of a prefix are looked at before choosing the most frequent.
MAX_PREFIX_SCAN = 5000
#: A rebuild writes segments of at most this many documents (held in memory until written).
SEGMENT_DOCS = 50_000
#: A rebuild of fewer documents than this is written in one process (measured: at 5,000
#: two processes cost more CPU than one, each segment writing its own copy of every term).
PARALLEL_MIN_DOCS = 10_000
#: At most this many processes write a rebuild.
MAX_REBUILD_PROCS = 4

__all__ = ["LockError", "WhooshIndex", "index_fields"]


def schema() -> Schema:
    terms = SpaceSeparatedTokenizer()
    return Schema(
        key=ID(stored=True, unique=True),
        entity=ID(),
        kind=ID(),
        institute=ID(),
        lang=ID(),
        tag=KEYWORD(scorable=True),
        domain=KEYWORD(scorable=True),
        acl=KEYWORD(scorable=True),
        title=TEXT(analyzer=terms, phrase=False, field_boost=3.0),
        # No positions: a phrase is checked on the ``sequence`` column (see engine.py).
        body=TEXT(analyzer=terms, phrase=False),
        model=TEXT(analyzer=terms, phrase=False),
        shingle=KEYWORD(scorable=True),
        words=KEYWORD(scorable=True),
        lead=KEYWORD(scorable=True),
        title_words=KEYWORD(scorable=True),
        facets=COLUMN(VarBytesColumn()),
        sequence=COLUMN(VarBytesColumn()),
        data=STORED(),
    )


def shingles(terms: list[str], common: frozenset[str]) -> set[str]:
    """Adjacent pairs of common terms, each one term (``a_b``: terms never hold ``_``).

    A two-word phrase of common words -- the slow case of a positional phrase query, where
    both words are in thousands of documents -- is then one posting list, exact, with no
    positions to check. Pairs with a rarer word need no shingle: the rarer word's own short
    posting list bounds the candidates whose positions are checked. Only pairs of the
    :data:`COMMON_TERMS` most frequent terms are shingled, which bounds the shingle
    vocabulary (Whoosh pays per distinct term when it writes a segment).
    """
    return {f"{a}_{b}" for a, b in pairwise(terms) if a in common and b in common}


def leads(words: Iterable[str]) -> list[str]:
    """The first three and four letters of each word long enough (repeated: a prefix's weight
    in a document is how many of its distinct words start with it).

    Short prefixes are the expensive ones: a 3-letter prefix starts hundreds of words, and
    reading each word's postings cost more than 50 ms at 50,000 documents (``bench/README.md``,
    "Search"). As one term of its own it is one posting list, and it finds every word it
    starts.
    """
    return [w[:n] for w in words for n in LEADS if len(w) >= n]


def choose_common(
    docs: list[SearchDocument], analysed: list[Analysed] | None = None
) -> frozenset[str]:
    """The terms frequent enough in ``docs`` that phrases of them get shingles.

    ``analysed``, if given, is ``analyse(doc)`` of each document, to avoid analysing again.
    """
    counts: Counter = Counter()
    for i, doc in enumerate(docs):
        if analysed is None:
            terms, _words = index_terms(f"{doc.title}\n{doc.text}")
        else:  # the same terms in the same order: the title's, then the text's
            terms = analysed[i].title + analysed[i].body[analysed[i].text_start :]
        counts.update(set(terms))
    floor = max(2, int(len(docs) * COMMON_MIN_SHARE))
    return frozenset(t for t, n in counts.most_common(COMMON_TERMS) if n >= floor)


def _fields_of(common: frozenset[str], doc: SearchDocument, terms: Analysed | None) -> dict:
    return index_fields(doc, common, terms)


def _ordinal(when: datetime) -> int:
    return when.toordinal()


def index_fields(
    doc: SearchDocument, common: frozenset[str] = frozenset(), terms: Analysed | None = None
) -> dict:
    """The Whoosh fields of one document (``terms``: ``analyse(doc)``, if already done)."""
    if terms is None:
        terms = analyse(doc)
    facets = [
        doc.kind,
        doc.institute.casefold(),
        doc.language,
        _ordinal(doc.date),
        list(doc.domains),
        terms.tags,
        doc.date.year,
        len(terms.body),
        len(terms.title),
    ]
    body = " ".join(terms.body)
    return {
        "key": doc.key,
        "entity": doc.entity,
        "kind": doc.kind,
        "institute": doc.institute.casefold(),
        "lang": doc.language,
        "tag": " ".join(terms.tags),
        "domain": " ".join(doc.domains),
        "acl": " ".join(sorted(doc.acl)),
        "title": " ".join(terms.title),
        "body": body,
        "model": " ".join(terms.model),
        "shingle": " ".join(shingles(terms.body, common)),
        "words": " ".join(terms.words),
        "lead": " ".join(leads(terms.words)),
        "title_words": " ".join(terms.title_words),
        "facets": json.dumps(facets, separators=(",", ":")).encode(),
        "sequence": body.encode(),
        "data": stored_data(doc),
    }


# --- The index folder ----------------------------------------------------------------------


class WhooshIndex:
    """One index folder (its generations and ``current`` link) and this process's searchers."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.link = self.root / "current"
        self._local = threading.local()

    # Folder management

    @contextmanager
    def _folder_lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def current(self) -> Path | None:
        """The generation folder in use, or None when there is no index yet."""
        try:
            target = os.readlink(self.link)
        except FileNotFoundError:
            return None
        return self.root / target

    def is_current_schema(self) -> bool:
        current = self.current()
        return current is not None and current.name.startswith(f"v{SCHEMA_VERSION}-")

    def needs_rebuild(self) -> bool:
        return not self.is_current_schema()

    #: Writes are committed to the index on their own (the indexer then marks the outbox).
    transactional = False

    def _new_generation(self, common: frozenset[str] = frozenset()) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.root / f"v{SCHEMA_VERSION}-{stamp}-{secrets.token_hex(3)}"
        path.mkdir(parents=True)
        (path / COMMON_FILE).write_text(json.dumps(sorted(common), ensure_ascii=False))
        whoosh_index.create_in(str(path), schema())
        return path

    def common_terms(self, path: Path | None = None) -> frozenset[str]:
        """The shingled terms of a generation (fixed when it was built)."""
        path = path or self.current()
        if path is None:
            return frozenset()
        cached = _COMMON.get(str(path))
        if cached is None:
            try:
                cached = frozenset(json.loads((path / COMMON_FILE).read_text()))
            except FileNotFoundError:
                cached = frozenset()
            _COMMON[str(path)] = cached
        return cached

    def _swap(self, path: Path) -> None:
        """Point ``current`` at ``path`` atomically; drop generations older than the last one."""
        previous = self.current()
        tmp = self.root / f".current-{secrets.token_hex(4)}"
        os.symlink(path.name, tmp)
        os.replace(tmp, self.link)
        keep = {path.name, previous.name if previous else None}
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("v") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def ensure(self) -> bool:
        """Create an empty index when there is none; True if one was created."""
        if self.current() is not None:
            return False
        with self._folder_lock():
            if self.current() is not None:
                return False
            self._swap(self._new_generation())
            return True

    def open(self):
        self.ensure()
        return whoosh_index.open_dir(str(self.current()))

    # Writing

    def write(self, docs: dict[str, SearchDocument | None], timeout: float) -> None:
        """Apply documents (None: delete) in one commit; LockError after ``timeout`` s."""
        ix = self.open()
        common = self.common_terms(Path(ix.storage.folder))
        # Segments as separate files, not one compound file: Whoosh copies each part of a
        # compound segment into memory whenever a reader opens it (measured: 1.4 s per
        # update at 50,000 documents); plain files are memory-mapped. Posting blocks not
        # compressed, as in a rebuild (whoosh_bulk.codec).
        writer = ix.writer(timeout=timeout, delay=0.02, compound=False, codec=whoosh_bulk.codec())
        try:
            for key, doc in docs.items():
                if doc is None:
                    writer.delete_by_term("key", key)
                else:
                    writer.update_document(**index_fields(doc, common))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    #: Processes that write a rebuild (None: one per available CPU, at most
    #: :data:`MAX_REBUILD_PROCS`); 1 writes in this process.
    rebuild_procs: int | None = None

    def _rebuild_procs(self, total: int | None) -> int:
        if total is not None and total < PARALLEL_MIN_DOCS:
            return 1
        if self.rebuild_procs is not None:
            return max(1, self.rebuild_procs)
        affinity = getattr(os, "sched_getaffinity", None)
        cpus = len(affinity(0)) if affinity else os.cpu_count() or 1
        return max(1, min(cpus, MAX_REBUILD_PROCS))

    def rebuild(self, batches: Iterable[list[SearchDocument]], progress=None) -> int:
        """Build a new generation from ``batches`` and swap it in; return the document count.

        ``batches`` may say how many documents it holds (a ``total`` attribute, or a list of
        lists): the documents are then split into one segment per writing process (see
        :func:`whoosh_bulk.build`; at most :data:`SEGMENT_DOCS` each), in the order given.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        total = getattr(batches, "total", None)
        if total is None and isinstance(batches, list | tuple):
            total = sum(map(len, batches))
        # The common terms are chosen from the first documents, then fixed for the generation.
        # Those documents are analysed once, for the choice and for their own fields.
        batches = iter(batches)
        sample: list[list[SearchDocument]] = []
        for batch in batches:
            sample.append(batch)
            if sum(map(len, sample)) >= COMMON_SAMPLE:
                break
        docs = [doc for batch in sample for doc in batch]
        analysed = [analyse(doc) for doc in docs]
        common = choose_common(docs, analysed)
        first = [list(zip(docs, analysed, strict=True))]
        del sample, docs, analysed
        procs = self._rebuild_procs(total)
        range_size = SEGMENT_DOCS
        if procs > 1 and total:
            range_size = min(SEGMENT_DOCS, -(-total // procs))
        path = self._new_generation(common)
        try:
            count = whoosh_bulk.build(
                str(path),
                chain(first, ([(doc, None) for doc in batch] for batch in batches)),
                functools.partial(_fields_of, common),
                procs=procs,
                range_size=range_size,
                progress=progress,
            )
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        with self._folder_lock():
            self._swap(path)
        return count

    def destroy(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # Reading

    def view(self) -> SearchView:
        """This thread's view of the newest committed index (reopened or refreshed if needed)."""
        current = self.current()
        if current is None:
            self.ensure()
            current = self.current()
        view = getattr(self._local, "view", None)
        if view is not None and view.path == current and view.searcher.up_to_date():
            return view
        # A new searcher, never ``Searcher.refresh()``: in Whoosh 2.7.5 a refreshed searcher
        # reuses its segment readers with their old deletion lists, so a deleted or replaced
        # document (with its old ACL tokens) would still match. Opening costs a few ms and
        # happens once per index commit; unchanged segments' facet columns stay cached.
        if view is not None:
            view.searcher.close()
        view = SearchView(
            current, whoosh_index.open_dir(str(current)).searcher(), self.common_terms(current)
        )
        self._local.view = view
        return view

    def close(self) -> None:
        view = getattr(self._local, "view", None)
        if view is not None:
            view.searcher.close()
            self._local.view = None


# --- Queries -------------------------------------------------------------------------------

_COMMON: dict[str, frozenset[str]] = {}
COMMON_FILE = "common-terms.json"


@dataclass
class Filters:
    """Facet selections and a date range (``date_from``/``date_to`` as ordinals)."""

    kind: str = ""
    institute: str = ""
    domain: str = ""
    lang: str = ""
    tag: str = ""
    date_from: int | None = None
    date_to: int | None = None

    def values(self) -> list[tuple[str, str]]:
        """(field, value) of every facet selected."""
        out: list[tuple[str, str]] = []
        for name in ("kind", "institute", "domain", "lang", "tag"):
            value = getattr(self, name)
            if value:
                out.append((name, value.casefold()))
        return out


@dataclass
class Matches:
    """What a query found for one reader."""

    total: int
    hits: list[dict]  # the stored data of the requested page, in order
    facets: dict[str, Counter]
    highlight_terms: frozenset[str]
    highlight_prefixes: frozenset[str]  # every word starting with one of them is marked


class SearchView:
    """A searcher with caches that live as long as it (one index generation and commit).

    Queries run in :mod:`exchange.search.engine` over arrays read from the searcher's
    segments; Whoosh supplies the postings, the stored fields and the term dictionary.
    """

    def __init__(self, path: Path, searcher, common: frozenset[str] = frozenset()):
        self.path = path
        self.common = common
        self.searcher = searcher
        self.reader = searcher.reader()
        self.columns = Columns(searcher, str(path))
        self._acl: dict[frozenset[str], np.ndarray] = {}
        self._expansions: dict[tuple[str, str, int], tuple[str, ...]] = {}
        # An index from before the field (until ``search sync`` rebuilds it) expands instead.
        self.has_leads = "lead" in self.reader.schema

    # Caches

    def allowed(self, tokens: frozenset[str], deny: frozenset[str] = frozenset()) -> np.ndarray:
        """A mask of the documents any of ``tokens`` may see, less those keyed in ``deny``."""
        cols = self.columns
        docs = self._acl.get(tokens)
        if docs is None:
            docs = cols.union("acl", sorted(tokens))
            docs &= cols.live
            if len(self._acl) > 64:
                self._acl.clear()
            self._acl[tokens] = docs
        if not deny:
            return docs
        docs = docs.copy()
        for key in deny:
            docs[cols.postings("key", key).ids] = False
        return docs

    def expand(self, fieldname: str, prefix: str, limit: int = MAX_EXPANSION) -> tuple[str, ...]:
        """Words of ``fieldname`` starting with ``prefix``: the ``limit`` most frequent."""
        key = (fieldname, prefix, limit)
        found = self._expansions.get(key)
        if found is None:
            found = self.columns.expand(fieldname, prefix, limit, MAX_PREFIX_SCAN)
            if len(self._expansions) > 1024:
                self._expansions.clear()
            self._expansions[key] = found
        return found

    # Evaluating the query tree

    def _evaluate(self, tree: All, within: np.ndarray, plan: _Plan | None) -> np.ndarray:
        """The documents of ``within`` that match ``tree`` (``plan`` collects what scores)."""
        matched = within.copy()
        # Cheap parts first: a phrase checks positions only for what is still left.
        parts = sorted(tree.include, key=lambda p: isinstance(p, Phrase))
        for part in parts:
            if not matched.any():
                return matched
            matched &= self._node(part, matched, plan)
        if tree.exclude and matched.any():
            for part in tree.exclude:
                matched &= ~self._node(part, matched, None)
        return matched

    def _node(self, part, within: np.ndarray, plan: _Plan | None) -> np.ndarray:
        cols = self.columns
        if isinstance(part, Words):
            fieldname = part.field or "body"
            flat = [t for group in part.groups for t in group]
            out = within.copy()
            for term in flat:
                out &= cols.mask(fieldname, term)
            if plan is not None:
                plan.terms.update(flat)
                plan.score.extend((fieldname, t) for t in flat)
                if part.field is None:
                    plan.title.update(flat)
            return out
        if isinstance(part, Phrase):
            terms = list(part.terms)
            pairs = sorted(shingles(terms, self.common)) if part.field is None else []
            if plan is not None:
                plan.terms.update(terms)
                if part.field is None:
                    plan.title.update(terms)
                # A shingle ranks like the phrase itself and is a much shorter list.
                if pairs:
                    plan.score.extend(("shingle", p) for p in pairs)
                else:
                    plan.score.extend((part.field or "body", t) for t in terms)
            out = within.copy()
            for pair in pairs:
                out &= cols.mask("shingle", pair)
            if part.field is None and len(terms) == 2 and pairs:
                return out  # the shingle is the phrase
            for term in terms:
                out &= cols.mask(part.field or "body", term)
            if part.field is not None or len(terms) < 2:
                return out
            # The term sequence decides, for the candidates left after every other condition.
            candidates = np.flatnonzero(out)
            if len(candidates):
                out[candidates[~cols.has_sequence(candidates, terms)]] = False
            return out
        if isinstance(part, Prefix):
            if plan is not None:
                plan.prefixes.add(part.prefix)
            if not self.has_leads:  # an index from before the field: the old expansion
                expanded = self.expand("words", part.prefix)
                if plan is not None:
                    plan.score.extend(("words", w) for w in expanded)
                return within & cols.union("words", expanded)
            if len(part.prefix) in LEADS:
                if plan is not None:
                    plan.score.append(("lead", part.prefix))
                return within & cols.mask("lead", part.prefix)
            # Longer: the words it starts, ranked as their longest lead gram (one list, not
            # one score per word).
            expanded = self.expand("words", part.prefix, MAX_PREFIX_WORDS)
            if plan is not None and expanded:
                plan.score.append(("lead", part.prefix[: LEADS[-1]]))
            return within & cols.union("words", expanded)
        if isinstance(part, Value):
            return within & cols.mask(part.field, part.value)
        if isinstance(part, Everything):
            return within.copy()
        if isinstance(part, Any):
            out = np.zeros(cols.size, dtype=bool)
            for sub in part.parts:
                out |= self._node(sub, within, plan)
            return out
        raise TypeError(part)

    def _base(self, tokens: frozenset[str], filters: Filters, deny: frozenset[str]):
        """Allowed documents that pass the facet filters and the date range."""
        cols = self.columns
        base = self.allowed(tokens, deny)
        values = filters.values()
        if values or filters.date_from is not None or filters.date_to is not None:
            base = base.copy()
        for name, value in values:
            base &= cols.mask(name, value)
        if filters.date_from is not None:
            base &= cols.date >= filters.date_from
        if filters.date_to is not None:
            base &= cols.date <= filters.date_to
        return base

    # Running

    def run(
        self,
        tree: All,
        tokens: frozenset[str],
        filters: Filters,
        *,
        sort: str = "relevance",
        offset: int = 0,
        limit: int = 10,
        deny: frozenset[str] = frozenset(),
    ) -> Matches:
        cols = self.columns
        plan = _Plan()
        matched = self._evaluate(tree, self._base(tokens, filters, deny), plan)
        total = int(matched.sum())
        facets = cols.facet_counts(matched)
        want = offset + limit
        if not total or offset >= total:
            page: list[int] = []
        elif sort == "date":
            page = cols.top(matched, cols.date, want)[offset:]
        else:
            scores = np.zeros(cols.size, dtype=np.float32)
            for fieldname, term in dict.fromkeys(plan.score):
                cols.bm25(scores, fieldname, term, matched)
            for term in sorted(plan.title):
                cols.bm25(scores, "title", term, matched)
            page = cols.top(matched, scores, want)[offset:]
        stored = self.searcher.stored_fields
        return Matches(
            total=total,
            hits=[stored(d)["data"] for d in page],
            facets=facets,
            highlight_terms=frozenset(plan.terms),
            highlight_prefixes=frozenset(plan.prefixes),
        )

    def count(self, tree: All, tokens: frozenset[str], deny: frozenset[str] = frozenset()) -> int:
        return int(self._evaluate(tree, self.allowed(tokens, deny), None).sum())

    def visible_word(
        self, word: str, tokens: frozenset[str], deny: frozenset[str] = frozenset()
    ) -> bool:
        ids = self.columns.postings("words", word).ids
        return bool(len(ids)) and bool(self.allowed(tokens, deny)[ids].any())

    def spelling_candidates(self, word: str) -> list[str]:
        """Indexed surface words within one or two edits of ``word``, most frequent first."""
        maxdist = 2 if len(word) >= 7 else 1
        found = {
            w.decode() if isinstance(w, bytes) else w
            for w in self.reader.terms_within("words", word, maxdist, prefix=1)
        }
        found.discard(word)
        freq = self.reader.doc_frequency
        return sorted(found, key=lambda w: (-freq("words", w), w))[:8]

    def titles(
        self,
        complete: list[str],
        partial: str,
        tokens: frozenset[str],
        limit: int,
        deny: frozenset[str] = frozenset(),
    ):
        """Title suggestions: every complete word in the title, the last one as a prefix."""
        cols = self.columns
        if not complete and not partial:
            return []
        matched = self.allowed(tokens, deny).copy()
        for term in complete:
            matched &= cols.mask("title", term)
        expanded: tuple[str, ...] = ()
        if partial:
            expanded = self.expand("title_words", partial)
            if not expanded:
                return []
            either = np.zeros(cols.size, dtype=bool)
            for word in expanded:
                either |= cols.mask("title_words", word)
            matched &= either
        if not matched.any():
            return []
        scores = np.zeros(cols.size, dtype=np.float32)
        for term in complete:
            cols.bm25(scores, "title", term, matched)
        for word in expanded:
            cols.bm25(scores, "title_words", word, matched)
        stored = self.searcher.stored_fields
        return [stored(d)["data"] for d in cols.top(matched, scores, limit)]


@dataclass
class _Plan:
    """What a query's positive parts contribute: scored terms and highlighted words."""

    terms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    title: set[str] = field(default_factory=set)
    score: list[tuple[str, str]] = field(default_factory=list)

"""The embedded search backend: a Whoosh index in a folder, kept by one writer at a time.

Layout: ``<SEARCH_INDEX_PATH>/current`` is a symbolic link to one generation folder
(``v<schema>-<time>-<random>``) holding a Whoosh index. A rebuild writes a new generation
beside it and replaces the link with one atomic ``rename``, so searches keep working from the
old generation until the new one is complete. Every process notices the new link on its next
search.

What the index holds per document (see :func:`index_fields`): the terms of
:mod:`exchange.search.analysis`, fed pre-analysed (space-separated) so the analysis runs once
and the same terms can feed another backend; positions, for phrases, plus word-pair
*shingles* of frequent terms (:data:`COMMON_TERMS` most frequent in a sample, chosen when a
generation is built and stored with it), so that a phrase of common words -- the slow case of
a positional phrase query -- starts from one short posting list; the distinct surface words,
on which a prefix (``eval*``) is expanded to at most :data:`MAX_EXPANSION` terms, the most
frequent first, and from which spelling suggestions come; exact values for facets and field
filters; the ACL tokens of the access policy; and a compact facet column counted per segment.

Measured reasons for these choices are in ``bench/README.md`` ("Search").
"""

from __future__ import annotations

import fcntl
import heapq
import json
import os
import secrets
import shutil
import threading
import zlib
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice, pairwise
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError

from exchange.search.analysis import index_terms
from exchange.search.documents import SearchDocument, analyse, stored_data
from exchange.search.query import All, Any, Everything, Phrase, Prefix, Value, Words

SCHEMA_VERSION = 3
SHINGLE_MASK = 0xFFFF
#: How many of the most frequent terms get shingles, and the sample they are chosen from.
COMMON_TERMS = 500
COMMON_SAMPLE = 5000
#: A term must be in at least this share of the sampled documents to count as common.
COMMON_MIN_SHARE = 0.01
#: A prefix expands to at most this many words (the most frequent ones).
MAX_EXPANSION = 48
#: How many words of a prefix are looked at before choosing the most frequent.
MAX_PREFIX_SCAN = 5000
FACETS = ("kind", "institute", "lang", "domain", "tag", "year")

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
        body=TEXT(analyzer=terms, phrase=True),
        model=TEXT(analyzer=terms, phrase=False),
        shingle=KEYWORD(scorable=True),
        words=KEYWORD(scorable=True),
        title_words=KEYWORD(scorable=True),
        facets=COLUMN(VarBytesColumn()),
        data=STORED(),
    )


def shingles(terms: list[str], common: frozenset[str]) -> set[str]:
    """Buckets of adjacent pairs of common terms (a CRC-32 of the pair, 16 bits).

    A bucket stands for many pairs, so a phrase query always checks positions too
    (``And(shingle buckets, Phrase)``): the buckets only narrow the candidates. Bounding the
    number of distinct shingle terms keeps Whoosh's per-term cost (a compressed block each)
    from growing with the corpus.
    """
    return {
        format(zlib.crc32(f"{a} {b}".encode()) & SHINGLE_MASK, "04x")
        for a, b in pairwise(terms)
        if a in common and b in common
    }


def choose_common(docs: list[SearchDocument]) -> frozenset[str]:
    """The terms frequent enough in ``docs`` that phrases of them get shingles."""
    counts: Counter = Counter()
    for doc in docs:
        terms, _words = index_terms(f"{doc.title}\n{doc.text}")
        counts.update(set(terms))
    floor = max(2, int(len(docs) * COMMON_MIN_SHARE))
    return frozenset(t for t, n in counts.most_common(COMMON_TERMS) if n >= floor)


def _ordinal(when: datetime) -> int:
    return when.toordinal()


def index_fields(doc: SearchDocument, common: frozenset[str] = frozenset()) -> dict:
    """The Whoosh fields of one document."""
    terms = analyse(doc)
    facets = [
        doc.kind,
        doc.institute.casefold(),
        doc.language,
        _ordinal(doc.date),
        list(doc.domains),
        terms.tags,
        doc.date.year,
    ]
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
        "body": " ".join(terms.body),
        "model": " ".join(terms.model),
        "shingle": " ".join(shingles(terms.body, common)),
        "words": " ".join(terms.words),
        "title_words": " ".join(terms.title_words),
        "facets": json.dumps(facets, separators=(",", ":")).encode(),
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
        # update at 50,000 documents); plain files are memory-mapped.
        writer = ix.writer(timeout=timeout, delay=0.02, compound=False)
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

    def rebuild(self, batches: Iterable[list[SearchDocument]], progress=None) -> int:
        """Build a new generation from ``batches`` and swap it in; return the document count."""
        self.root.mkdir(parents=True, exist_ok=True)
        # The common terms are chosen from the first documents, then fixed for the generation.
        batches = iter(batches)
        sample: list[list[SearchDocument]] = []
        for batch in batches:
            sample.append(batch)
            if sum(map(len, sample)) >= COMMON_SAMPLE:
                break
        common = choose_common([doc for batch in sample for doc in batch])
        path = self._new_generation(common)
        count = 0
        try:
            ix = whoosh_index.open_dir(str(path))
            writer = ix.writer(limitmb=256, compound=False)
            try:
                for batch in chain(sample, batches):
                    for doc in batch:
                        writer.add_document(**index_fields(doc, common))
                    count += len(batch)
                    if progress is not None:
                        progress(len(batch))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
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

_LEAF_FACETS: dict[tuple[str, str], list] = {}
_COMMON: dict[str, frozenset[str]] = {}
COMMON_FILE = "common-terms.json"
_LEAF_LOCK = threading.Lock()


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

    def terms(self) -> list[wq.Query]:
        out: list[wq.Query] = []
        for name in ("kind", "institute", "domain", "lang", "tag"):
            value = getattr(self, name)
            if value:
                out.append(wq.Term(name, value.casefold()))
        return out


@dataclass
class Matches:
    """What a query found for one reader."""

    total: int
    hits: list[dict]  # the stored data of the requested page, in order
    facets: dict[str, Counter]
    highlight_terms: frozenset[str]
    highlight_words: frozenset[str]


class SearchView:
    """A searcher with caches that live as long as it (one index generation and commit)."""

    def __init__(self, path: Path, searcher, common: frozenset[str] = frozenset()):
        self.path = path
        self.common = common
        self.searcher = searcher
        self.reader = searcher.reader()
        self._acl: dict[frozenset[str], frozenset[int]] = {}
        self._expansions: dict[tuple[str, str], tuple[str, ...]] = {}
        self._facets: list | None = None

    # Caches

    def allowed(self, tokens: frozenset[str], deny: frozenset[str] = frozenset()):
        """Document numbers any of ``tokens`` may see, less the documents keyed in ``deny``."""
        docs = self._acl.get(tokens)
        if docs is None:
            q = wq.Or([wq.Term("acl", t) for t in sorted(tokens)])
            docs = self._acl[tokens] = frozenset(self.searcher.docs_for_query(q))
        if not deny:
            return docs
        denied = set()
        for key in deny:
            denied.update(self.searcher.docs_for_query(wq.Term("key", key)))
        return docs - denied if denied & docs else docs

    def facet_rows(self) -> list:
        """Per document number: [kind, institute, lang, date ordinal, domains, tags, year]."""
        if self._facets is None:
            rows: list = []
            for leaf, offset in self.searcher.leaf_searchers():
                reader = leaf.reader()
                assert offset == len(rows)
                rows.extend(_leaf_facets(reader, str(self.path)))
            self._facets = rows
        return self._facets

    def expand(self, fieldname: str, prefix: str) -> tuple[str, ...]:
        """Words of ``fieldname`` starting with ``prefix``: the most frequent, at most a few."""
        key = (fieldname, prefix)
        found = self._expansions.get(key)
        if found is None:
            words = list(islice(self.reader.expand_prefix(fieldname, prefix), MAX_PREFIX_SCAN))
            words = [w.decode() if isinstance(w, bytes) else w for w in words]
            if len(words) > MAX_EXPANSION:
                freq = self.reader.doc_frequency
                words = heapq.nlargest(MAX_EXPANSION, words, key=lambda w: freq(fieldname, w))
            found = self._expansions[key] = tuple(sorted(words))
        return found

    # Compiling the query tree

    def compile(self, tree: All, highlight: tuple[set, set] | None = None) -> wq.Query:
        terms, words = highlight if highlight is not None else (set(), set())
        title_terms: list[str] = []

        def node(part) -> wq.Query:
            if isinstance(part, Words):
                fieldname = part.field or "body"
                flat = [t for group in part.groups for t in group]
                terms.update(flat)
                if part.field is None:
                    title_terms.extend(flat)
                return wq.And([wq.Term(fieldname, t) for t in flat])
            if isinstance(part, Phrase):
                terms.update(part.terms)
                if part.field is not None:
                    return wq.And([wq.Term(part.field, t) for t in part.terms])
                title_terms.extend(part.terms)
                # Shingles of common pairs narrow the candidates; positions decide.
                pairs = sorted(shingles(list(part.terms), self.common))
                phrase = wq.Phrase("body", list(part.terms))
                return wq.And([*(wq.Term("shingle", s) for s in pairs), phrase])
            if isinstance(part, Prefix):
                expanded = self.expand("words", part.prefix)
                words.update(expanded)
                if not expanded:
                    return wq.NullQuery
                return wq.Or([wq.Term("words", w) for w in expanded])
            if isinstance(part, Value):
                return wq.Term(part.field, part.value)
            if isinstance(part, Everything):
                return wq.Every()
            if isinstance(part, Any):
                return wq.Or([node(p) for p in part.parts])
            raise TypeError(part)

        include = wq.And([node(p) for p in tree.include])
        negative = [node(p) for p in tree.exclude]
        # Exclusions are not highlighted.
        main: wq.Query = include
        if negative:
            main = wq.AndNot(include, wq.Or(negative))
        if title_terms:
            main = wq.AndMaybe(main, wq.Or([wq.Term("title", t) for t in set(title_terms)]))
        return main

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
        terms: set[str] = set()
        words: set[str] = set()
        q = self.compile(tree, (terms, words))
        filter_terms = filters.terms()
        if filter_terms:
            q = (
                wq.And([q, *filter_terms])
                if not isinstance(q, wq.AndMaybe)
                else wq.AndMaybe(wq.And([q.a, *filter_terms]), q.b)
            )
        allowed = self.allowed(tokens, deny)
        matched = {d for d in self.searcher.docs_for_query(q) if d in allowed}
        rows = self.facet_rows()
        if filters.date_from is not None or filters.date_to is not None:
            lo = filters.date_from if filters.date_from is not None else 0
            hi = filters.date_to if filters.date_to is not None else 10**7
            matched = {d for d in matched if lo <= rows[d][3] <= hi}
        facets = count_facets(rows, matched)
        want = offset + limit
        if not matched or offset >= len(matched):
            page: list[int] = []
        elif sort == "date":
            page = heapq.nlargest(want, matched, key=lambda d: (rows[d][3], -d))[offset:]
        else:
            results = self.searcher.search(q, filter=matched, limit=want)
            page = [hit.docnum for hit in results[offset:want]]
        stored = self.searcher.stored_fields
        return Matches(
            total=len(matched),
            hits=[stored(d)["data"] for d in page],
            facets=facets,
            highlight_terms=frozenset(terms),
            highlight_words=frozenset(words),
        )

    def count(self, tree: All, tokens: frozenset[str], deny: frozenset[str] = frozenset()) -> int:
        allowed = self.allowed(tokens, deny)
        return sum(1 for d in self.searcher.docs_for_query(self.compile(tree)) if d in allowed)

    def visible_word(
        self, word: str, tokens: frozenset[str], deny: frozenset[str] = frozenset()
    ) -> bool:
        allowed = self.allowed(tokens, deny)
        return any(d in allowed for d in self.searcher.docs_for_query(wq.Term("words", word)))

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
        parts: list[wq.Query] = [wq.Term("title", t) for t in complete]
        if partial:
            expanded = self.expand("title_words", partial)
            if not expanded:
                return []
            parts.append(wq.Or([wq.Term("title_words", w) for w in expanded]))
        if not parts:
            return []
        allowed = self.allowed(tokens, deny)
        results = self.searcher.search(wq.And(parts), filter=set(allowed), limit=limit)
        return [hit.fields()["data"] for hit in results]


def _leaf_facets(reader, folder: str) -> list:
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:  # an empty index
        return []
    key = (folder, segment.segment_id())
    with _LEAF_LOCK:
        rows = _LEAF_FACETS.get(key)
    if rows is None:
        column = reader.column_reader("facets")
        rows = [json.loads(value) if value else ["", "", "", 0, [], [], 0] for value in column]
        with _LEAF_LOCK:
            if len(_LEAF_FACETS) > 256:
                _LEAF_FACETS.clear()
            _LEAF_FACETS[key] = rows
    return rows


def count_facets(rows: list, docs: Iterable[int]) -> dict[str, Counter]:
    docs = list(docs)
    picked = [rows[d] for d in docs]
    return {
        "kind": Counter(r[0] for r in picked),
        "institute": Counter(r[1] for r in picked),
        "lang": Counter(r[2] for r in picked),
        "year": Counter(r[6] for r in picked if r[6]),
        "domain": Counter(chain.from_iterable(r[4] for r in picked)),
        "tag": Counter(chain.from_iterable(r[5] for r in picked)),
    }

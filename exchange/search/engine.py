"""Query execution over a Whoosh index with arrays instead of per-document matcher calls.

Whoosh stores the index (terms, posting lists, positions, stored fields); this module runs the
queries. Whoosh's own query machinery walks every matching document through a chain of Python
matcher objects, once to find the matches, again to count facets and a third time to score
them, which costs seconds for a word that half the corpus contains (``bench/README.md``,
"Search"). Here a posting list is read block by block (one unpickle per 128 postings) into
numpy arrays, and a query becomes a few whole-array operations:

- the match set is a boolean mask over the reader's document numbers: terms are masks,
  ``AND``/``OR``/``NOT`` are ``&``/``|``/``~``, the access policy's allowed set is a mask too;
- phrases start from the documents holding every word (and the shingle buckets of common
  pairs), and positions are decoded only for those candidates that pass every other filter;
- facet counts are ``bincount`` over per-document code arrays built once per segment;
- ranking is BM25 over the posting arrays of the query's words, computed as vectors, and only
  the requested page is sorted.

A :class:`Columns` belongs to one Whoosh searcher (one commit); its per-segment arrays are
cached across searchers because segments never change once written (only their deletions do,
and those are read per searcher).
"""

from __future__ import annotations

import heapq
import json
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

#: BM25 parameters (the usual ones; Whoosh's defaults too).
K1 = 1.2
B = 0.75
#: Facet column layout: kind, institute, lang, date ordinal, domains, tags, year,
#: body length, title length (in terms).
EMPTY_ROW = ["", "", "", 0, [], [], 0, 0, 0]
#: How many posting lists a searcher keeps decoded, and how many postings at most (the
#: least recently used go first).
CACHE_LISTS = 512
CACHE_POSTINGS = 2_000_000

_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


# --- Interned facet values -----------------------------------------------------------------


class _Codes:
    """Facet values <-> small integers, shared by every segment of the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.values: list = [None]  # code 0: no value
        self.codes: dict = {}

    def code(self, value) -> int:
        found = self.codes.get(value)
        if found is None:
            with self._lock:
                found = self.codes.get(value)
                if found is None:
                    found = self.codes[value] = len(self.values)
                    self.values.append(value)
        return found


CODES = _Codes()


# --- Per segment ---------------------------------------------------------------------------


@dataclass
class Leaf:
    """The facet and length columns of one segment, as arrays (immutable, cached)."""

    size: int
    kind: np.ndarray
    institute: np.ndarray
    lang: np.ndarray
    year: np.ndarray
    date: np.ndarray
    body_len: np.ndarray
    title_len: np.ndarray
    domain_doc: np.ndarray
    domain_val: np.ndarray
    tag_doc: np.ndarray
    tag_val: np.ndarray


_LEAVES: dict[tuple[str, str], Leaf] = {}
_LEAVES_LOCK = threading.Lock()


def _build_leaf(reader) -> Leaf:
    column = reader.column_reader("facets")
    rows = [json.loads(value) if value else EMPTY_ROW for value in column]
    n = len(rows)
    code = CODES.code
    kind = np.fromiter((code(r[0]) for r in rows), dtype=np.int32, count=n)
    institute = np.fromiter((code(r[1]) for r in rows), dtype=np.int32, count=n)
    lang = np.fromiter((code(r[2]) for r in rows), dtype=np.int32, count=n)
    date = np.fromiter((r[3] for r in rows), dtype=np.int32, count=n)
    year = np.fromiter((code(r[6]) if r[6] else 0 for r in rows), dtype=np.int32, count=n)
    body_len = np.fromiter((r[7] if len(r) > 7 else 0 for r in rows), dtype=np.float32, count=n)
    title_len = np.fromiter((r[8] if len(r) > 8 else 0 for r in rows), dtype=np.float32, count=n)

    def pairs(index: int) -> tuple[np.ndarray, np.ndarray]:
        docs: list[int] = []
        vals: list[int] = []
        for d, row in enumerate(rows):
            for value in row[index]:
                docs.append(d)
                vals.append(code(value))
        return np.array(docs, dtype=np.int64), np.array(vals, dtype=np.int32)

    domain_doc, domain_val = pairs(4)
    tag_doc, tag_val = pairs(5)
    return Leaf(
        n,
        kind,
        institute,
        lang,
        year,
        date,
        body_len,
        title_len,
        domain_doc,
        domain_val,
        tag_doc,
        tag_val,
    )


def leaf_for(reader, folder: str) -> Leaf | None:
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:  # an empty index
        return None
    key = (folder, segment.segment_id())
    with _LEAVES_LOCK:
        leaf = _LEAVES.get(key)
    if leaf is None:
        leaf = _build_leaf(reader)
        with _LEAVES_LOCK:
            if len(_LEAVES) > 256:
                _LEAVES.clear()
            _LEAVES[key] = leaf
    return leaf


# --- Posting lists -------------------------------------------------------------------------


@dataclass
class Postings:
    """One term's postings over the whole reader: sorted document numbers and weights."""

    ids: np.ndarray
    weights: np.ndarray
    doc_frequency: int = 0

    @classmethod
    def empty(cls) -> Postings:
        return cls(_EMPTY_IDS, _EMPTY_WEIGHTS, 0)


def read_leaf(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, weights) of a term in one segment, deleted documents included.

    Whoosh's :class:`W3LeafMatcher` keeps postings in blocks of up to 128, each one pickled
    tuple ``(id deltas, weights, values)``; reading the blocks directly costs one unpickle per
    block instead of several Python calls per posting. Other matchers (a term whose postings
    Whoosh inlined in its term info) are read through the public matcher interface.
    """
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return _EMPTY_IDS, _EMPTY_WEIGHTS
    if isinstance(matcher, FilterMatcher):
        # Deletions are applied by the caller's mask. The filter has already moved its child
        # past the leading deleted documents: start again from the first posting.
        matcher = matcher.child
        matcher.reset()
    flat: list[int] = []
    weights: list = []
    if type(matcher) is W3LeafMatcher:
        previous_max = 0
        while matcher.is_active():
            matcher._read_data()
            deltas, block_weights, _values = matcher._data
            count = matcher._blocklength
            start = len(flat)
            flat.extend(deltas)
            if start:
                # Each block's deltas start from 0; make them continue the previous block.
                flat[start] -= previous_max
            previous_max = matcher._maxid
            if block_weights is None:
                weights.extend([1.0] * count)
            elif isinstance(block_weights, float):
                weights.extend([block_weights] * count)
            else:
                weights.extend(block_weights)
            matcher._next_block()
        ids = np.cumsum(np.array(flat, dtype=np.int64)).astype(np.int32)
        return ids, np.array(weights, dtype=np.float32)
    while matcher.is_active():
        flat.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(flat, dtype=np.int32), np.array(weights, dtype=np.float32)


# --- One searcher --------------------------------------------------------------------------


class Columns:
    """The arrays of one searcher: its segments side by side, deletions, posting cache."""

    def __init__(self, searcher, folder: str):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves: list[tuple[object, int, Leaf]] = []
        for leaf_searcher, offset in searcher.leaf_searchers():
            reader = leaf_searcher.reader()
            leaf = leaf_for(reader, folder)
            if leaf is not None:
                self.leaves.append((reader, offset, leaf))
        self.size = sum(leaf.size for _r, _o, leaf in self.leaves)
        self.live = np.ones(self.size, dtype=bool)
        for reader, offset, _leaf in self.leaves:
            deleted = reader.deleted_docs_set if reader.has_deletions() else ()
            if deleted:
                self.live[np.fromiter(deleted, dtype=np.int64) + offset] = False
        self.live_count = int(self.live.sum())

        def joined(name: str, dtype) -> np.ndarray:
            parts = [getattr(leaf, name) for _r, _o, leaf in self.leaves]
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

        def joined_pairs(doc: str, val: str) -> tuple[np.ndarray, np.ndarray]:
            docs = [getattr(leaf, doc) + offset for _r, offset, leaf in self.leaves]
            vals = [getattr(leaf, val) for _r, _o, leaf in self.leaves]
            if not docs:
                return np.zeros(0, np.int64), np.zeros(0, np.int32)
            return np.concatenate(docs), np.concatenate(vals)

        self.kind = joined("kind", np.int32)
        self.institute = joined("institute", np.int32)
        self.lang = joined("lang", np.int32)
        self.year = joined("year", np.int32)
        self.date = joined("date", np.int32)
        self.body_len = joined("body_len", np.float32)
        self.title_len = joined("title_len", np.float32)
        self.domain_doc, self.domain_val = joined_pairs("domain_doc", "domain_val")
        self.tag_doc, self.tag_val = joined_pairs("tag_doc", "tag_val")
        live_count = max(self.live_count, 1)
        self.avg_len = {
            "body": max(float(self.body_len[self.live].sum()) / live_count, 1.0),
            "title": max(float(self.title_len[self.live].sum()) / live_count, 1.0),
        }
        self._cache: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._sequences: dict[int, object] = {}
        self._present: dict[tuple[str, str], tuple[int, ...]] = {}
        self._cached_postings = 0
        self._lock = threading.Lock()

    # Posting lists

    def postings(self, fieldname: str, text: str) -> Postings:
        """A term's postings over every segment (cached for this searcher)."""
        key = (fieldname, text)
        found = self._cache.get(key)
        if found is not None:
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
            return found
        ids_parts: list[np.ndarray] = []
        weight_parts: list[np.ndarray] = []
        # A word found by expand() is read only in the segments whose term file holds it.
        where = self._present.get(key)
        leaves = self.leaves if where is None else [self.leaves[i] for i in where]
        for reader, offset, _leaf in leaves:
            ids, weights = read_leaf(reader, fieldname, text)
            if len(ids):
                ids_parts.append(ids + offset if offset else ids)
                weight_parts.append(weights)
        if not ids_parts:
            found = Postings.empty()
        else:
            ids = np.concatenate(ids_parts) if len(ids_parts) > 1 else ids_parts[0]
            weights = np.concatenate(weight_parts) if len(weight_parts) > 1 else weight_parts[0]
            found = Postings(ids, weights, int(self.live[ids].sum()))
        with self._lock:
            if key not in self._cache:
                self._cache[key] = found
                self._cached_postings += len(found.ids)
            # The least recently used lists go first (the newest one always stays).
            while len(self._cache) > 1 and (
                len(self._cache) > CACHE_LISTS or self._cached_postings > CACHE_POSTINGS
            ):
                _key, old = self._cache.popitem(last=False)
                self._cached_postings -= len(old.ids)
        return found

    def union(self, fieldname: str, words: Iterable[str]) -> np.ndarray:
        """A mask of the documents holding any of ``words`` (a prefix's expansion, ACL tokens).

        Lists not cached already are read without caching them: a long prefix can start
        hundreds of rare words, which would push the lists of other queries out.
        """
        out = np.zeros(self.size, dtype=bool)
        for word in words:
            found = self._cache.get((fieldname, word))
            if found is not None:
                out[found.ids] = True
                continue
            where = self._present.get((fieldname, word))
            leaves = self.leaves if where is None else [self.leaves[i] for i in where]
            for reader, offset, _leaf in leaves:
                ids, _weights = read_leaf(reader, fieldname, word)
                out[ids + offset if offset else ids] = True
        return out

    def mask(self, fieldname: str, text: str) -> np.ndarray:
        out = np.zeros(self.size, dtype=bool)
        out[self.postings(fieldname, text).ids] = True
        return out

    def has_sequence(self, docs: np.ndarray, terms: list[str]) -> np.ndarray:
        """For each of ``docs`` (sorted): do ``terms`` occur in a row in its body?

        The ``sequence`` column holds each document's body terms, space-separated, so the
        check is a substring search of `` a b `` in `` <terms> ``: no positions needed.
        """
        needle = f" {' '.join(terms)} ".encode()
        out = np.zeros(len(docs), dtype=bool)
        for reader, offset, leaf in self.leaves:
            lo, hi = np.searchsorted(docs, [offset, offset + leaf.size])
            if lo == hi:
                continue
            if "sequence" not in reader.schema:
                # An index from before the column (until ``search sync`` rebuilds it): every
                # candidate holds all the words; keep them rather than fail the search.
                out[lo:hi] = True
                continue
            column = self._sequences.get(offset)
            if column is None:
                column = self._sequences[offset] = reader.column_reader("sequence")
            for i, doc in enumerate(docs[lo:hi].tolist(), start=int(lo)):
                out[i] = needle in b" " + column[doc - offset] + b" "
        return out

    def expand(self, fieldname: str, prefix: str, limit: int, scan: int) -> tuple[str, ...]:
        """Terms of ``fieldname`` starting with ``prefix``: the ``limit`` most frequent.

        Each segment's term file is read in order (``scan`` terms at most per segment) and the
        document frequencies are added up here: asking a multi-segment reader instead looks
        every term up again in every segment's hash table. Which segments hold each word is
        remembered, so that its postings are read only there.
        """
        frequencies: Counter = Counter()
        where: dict[bytes, list[int]] = {}
        for index, (reader, _offset, _leaf) in enumerate(self.leaves):
            try:
                for text, info in islice(reader.iter_prefix(fieldname, prefix), scan):
                    frequencies[text] += info.doc_frequency()
                    where.setdefault(text, []).append(index)
            except TermNotFound:
                continue
        words = [(t, n) for t, n in frequencies.items() if n]
        if len(words) > limit:
            words = heapq.nlargest(limit, words, key=lambda w: (w[1], w[0]))
        found = []
        for text, _n in words:
            word = text.decode() if isinstance(text, bytes) else text
            if len(self._present) < 65536:
                self._present[(fieldname, word)] = tuple(where[text])
            found.append(word)
        return tuple(sorted(found))

    # Facets

    def facet_counts(self, matched: np.ndarray) -> dict[str, Counter]:
        values = CODES.values
        size = len(values)

        def count(codes: np.ndarray) -> Counter:
            counts = np.bincount(codes, minlength=size)
            return Counter({values[c]: int(counts[c]) for c in np.flatnonzero(counts) if c})

        return {
            "kind": count(self.kind[matched]),
            "institute": count(self.institute[matched]),
            "lang": count(self.lang[matched]),
            "year": count(self.year[matched]),
            "domain": count(self.domain_val[matched[self.domain_doc]]),
            "tag": count(self.tag_val[matched[self.tag_doc]]),
        }

    # Ranking

    def bm25(self, scores: np.ndarray, fieldname: str, text: str, within: np.ndarray) -> None:
        """Add ``text``'s BM25 score in ``fieldname`` to ``scores`` for documents in ``within``."""
        postings = self.postings(fieldname, text)
        if not postings.doc_frequency:
            return
        ids = postings.ids[within[postings.ids]]
        if not len(ids):
            return
        weights = postings.weights[within[postings.ids]]
        n, df = self.live_count, postings.doc_frequency
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        lengths = self.title_len if fieldname == "title" else self.body_len
        avg = self.avg_len["title" if fieldname == "title" else "body"]
        norm = K1 * (1.0 - B + B * lengths[ids] / avg)
        scores[ids] += idf * weights * (K1 + 1.0) / (weights + norm)

    def top(
        self, matched: np.ndarray, key: np.ndarray, want: int, newest_first: bool = True
    ) -> list[int]:
        """The ``want`` matched documents with the highest ``key`` (ties: newest, then first)."""
        docs = np.flatnonzero(matched)
        if not len(docs) or want <= 0:
            return []
        keys = key[docs]
        if len(docs) > want:
            threshold = np.partition(keys, len(keys) - want)[len(keys) - want]
            keep = keys >= threshold
            docs, keys = docs[keep], keys[keep]
        dates = self.date[docs] if newest_first else np.zeros(len(docs), np.int32)
        # lexsort: the last key is the primary one.
        order = np.lexsort((docs, -dates.astype(np.int64), -keys))
        return docs[order][:want].tolist()

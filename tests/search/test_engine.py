"""The array query engine against Whoosh's own readers, on an index with several segments.

``engine.read_leaf`` reads Whoosh's posting blocks directly; these tests compare it with
Whoosh's public matcher interface for long lists (many blocks), short ones and lists with
deleted documents, and compare whole searches with a brute-force evaluation of the same
documents.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from exchange.search.documents import SearchDocument
from exchange.search.engine import Columns, read_leaf
from exchange.search.query import parse
from exchange.search.whoosh_backend import Filters, WhooshIndex

WORDS = [f"w{n:03d}" for n in range(60)]
KINDS = ("page", "finding", "record", "program")


def make_doc(n: int, rng: random.Random) -> SearchDocument:
    # A skewed vocabulary: w000 is in nearly every document, w059 in few.
    text = " ".join(WORDS[min(int(rng.expovariate(0.12)), 59)] for _ in range(rng.randint(5, 40)))
    if n % 150 == 1:  # a word too rare for shingles: phrases with it check the sequence
        text += " zeta w000"
    elif n % 150 == 77:
        text += " w000 zeta"
    return SearchDocument(
        entity="page",
        object_id=n,
        kind=KINDS[n % 4],
        title=f"title {WORDS[n % 60]}",
        text=text,
        slug=f"doc-{n}",
        institute=("KR-AISI", "UK-AISI")[n % 2],
        language="en",
        date=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n % 300),
        acl=frozenset({"public"} if n % 3 else {"inst:UK-AISI"}),
        tags=[f"tag{n % 5}"] + ([f"tag{n % 7}x"] if n % 2 else []),
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """600 documents in a rebuilt segment, then two update commits (new segments, deletions).

    Shared by the tests of this module, which only read it.
    """
    rng = random.Random(7)
    docs = {n: make_doc(n, rng) for n in range(600)}
    index = WhooshIndex(tmp_path_factory.mktemp("engine") / "index")
    index.rebuild([list(docs.values())[i : i + 200] for i in range(0, 600, 200)])
    changed = {}
    for n in range(0, 600, 17):  # replaced: the old copy becomes a deleted document
        docs[n] = changed[docs[n].key] = make_doc(n, rng)
    index.write(changed, timeout=5)
    gone = {docs[n].key: None for n in range(5, 600, 23)}
    for n in range(5, 600, 23):
        del docs[n]
    index.write(gone, timeout=5)
    view = index.view()
    yield index, view, docs
    index.close()


def terms_of(doc: SearchDocument) -> list[str]:
    return f"{doc.title} {doc.text}".split()


def test_block_reader_matches_whoosh_matchers(corpus):
    _index, view, _docs = corpus
    leaves = [s.reader() for s, _offset in view.searcher.leaf_searchers()]
    assert len(leaves) >= 2, "the fixture should leave several segments"
    assert any(r.has_deletions() for r in leaves)
    checked = 0
    for reader in leaves:
        for word in ("w000", "w003", "w020", "w059", "nosuchword"):
            ids, weights = read_leaf(reader, "body", word)
            try:
                matcher = reader.postings("body", word)
            except Exception:
                assert len(ids) == 0
                continue
            if hasattr(matcher, "child"):  # deletions included, as read_leaf
                matcher = matcher.child
                matcher.reset()
            expected = []
            while matcher.is_active():
                expected.append((matcher.id(), matcher.weight()))
                matcher.next()
            assert ids.tolist() == [e[0] for e in expected]
            assert weights.tolist() == pytest.approx([e[1] for e in expected])
            checked += len(expected)
    assert checked > 600  # long lists span many 128-posting blocks


def test_postings_skip_deleted_documents(corpus):
    _index, view, docs = corpus
    cols = view.columns
    for word in ("w000", "w010", "w040"):
        found = {
            view.searcher.stored_fields(d)["key"]
            for d in cols.postings("body", word).ids
            if cols.live[d]
        }
        expected = {doc.key for doc in docs.values() if word in terms_of(doc)}
        assert found == expected


@pytest.mark.parametrize(
    "query",
    [
        "w002",
        "w001 w004",
        '"w000 w001"',  # common words: the shingle alone answers
        '"w000 w001 w000"',  # three words: shingles, then positions
        '"w001 w000" -"w000 w002"',
        '"zeta w000"',
        "w00*",  # three letters: one ``lead`` posting list
        "w01* -w000",
        "w003*",  # four letters: expanded to the words it starts
        "w003 -w000",
        "w005 OR w030",
        "tag:tag3 w001",
    ],
)
def test_searches_match_a_brute_force_evaluation(corpus, query):
    _index, view, docs = corpus
    tree = parse(query).tree
    tokens = frozenset({"public"})
    matches = view.run(tree, tokens, Filters(kind="finding"), limit=2000)

    def matches_doc(doc: SearchDocument) -> bool:
        words = terms_of(doc)
        checks = {
            "w002": "w002" in words,
            "w001 w004": "w001" in words and "w004" in words,
            # Tags come between the title and the text in the indexed terms.
            '"w000 w001"': " w000 w001 " in f" {doc.text} ",
            '"w000 w001 w000"': " w000 w001 w000 " in f" {doc.text} ",
            '"zeta w000"': " zeta w000 " in f" {doc.text} ",
            '"w001 w000" -"w000 w002"': " w001 w000 " in f" {doc.text} "
            and " w000 w002 " not in f" {doc.text} ",
            "w00*": any(w.startswith("w00") for w in words),
            "w01* -w000": any(w.startswith("w01") for w in words) and "w000" not in words,
            "w003*": any(w.startswith("w003") for w in words),
            "w003 -w000": "w003" in words and "w000" not in words,
            "w005 OR w030": "w005" in words or "w030" in words,
            "tag:tag3 w001": "tag3" in doc.tags and "w001" in words,
        }
        return checks[query] and "public" in doc.acl and doc.kind == "finding"

    expected = {doc.key for doc in docs.values() if matches_doc(doc)}
    assert expected, "the query should find something"
    assert matches.total == len(expected)
    assert {hit["key"] for hit in matches.hits} == expected
    assert sum(matches.facets["kind"].values()) == len(expected)
    assert matches.facets["institute"] == {
        name.casefold(): sum(1 for d in docs.values() if matches_doc(d) and d.institute == name)
        for name in ("KR-AISI", "UK-AISI")
        if any(matches_doc(d) and d.institute == name for d in docs.values())
    }


def test_facet_counts_are_per_visible_match(corpus):
    _index, view, docs = corpus
    matches = view.run(parse("w000").tree, frozenset({"public"}), Filters())
    visible = [d for d in docs.values() if "public" in d.acl and "w000" in terms_of(d)]
    tags = {}
    for doc in visible:
        for tag in doc.tags:
            tags[tag] = tags.get(tag, 0) + 1
    assert dict(matches.facets["tag"]) == tags
    assert matches.total == len(visible)


def test_ranking_prefers_more_occurrences_and_pages_do_not_overlap(corpus):
    _index, view, _docs = corpus
    tree = parse("w030").tree
    tokens = frozenset({"public", "inst:UK-AISI"})
    first = view.run(tree, tokens, Filters(), limit=5)
    second = view.run(tree, tokens, Filters(), offset=5, limit=5)
    keys = [h["key"] for h in first.hits] + [h["key"] for h in second.hits]
    assert len(set(keys)) == 10
    cols = view.columns
    scores = np.zeros(cols.size, dtype=np.float32)
    everything = np.ones(cols.size, dtype=bool) & cols.live
    cols.bm25(scores, "body", "w030", everything)
    order = sorted(scores[everything].tolist(), reverse=True)
    shown = [scores[d] for d in cols.top(everything & (scores > 0), scores, 10)]
    assert shown == pytest.approx(order[:10])


def test_columns_of_an_empty_index(tmp_path):
    index = WhooshIndex(tmp_path / "index")
    view = index.view()
    assert isinstance(view.columns, Columns)
    assert view.columns.size == 0
    matches = view.run(parse("anything").tree, frozenset({"public"}), Filters())
    assert matches.total == 0 and matches.hits == []
    index.close()


def old_index(folder, missing: str, docs: list[SearchDocument]):
    """A Whoosh index written before the field ``missing`` existed, holding ``docs``."""
    from whoosh import index as whoosh_index

    from exchange.search.whoosh_backend import index_fields, schema

    old = schema()
    old.remove(missing)
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), old)
    writer = ix.writer()
    for doc in docs:
        fields = index_fields(doc)
        del fields[missing]
        writer.add_document(**fields)
    writer.commit()
    return ix


def test_an_index_without_the_sequence_column_still_answers_phrases(tmp_path):
    """An index written before the ``sequence`` column (until sync rebuilds it): no error."""
    folder = tmp_path / "old"
    ix = old_index(folder, "sequence", [make_doc(n, random.Random(n)) for n in range(3)])
    with ix.searcher() as searcher:
        cols = Columns(searcher, str(folder))
        assert cols.has_sequence(np.array([0, 2], dtype=np.int32), ["w000", "w001"]).all()


def _prefix_doc(n: int, text: str) -> SearchDocument:
    return SearchDocument(
        entity="page",
        object_id=n,
        kind="page",
        title=f"note {n}",
        text=text,
        slug=f"p-{n}",
        institute="KR-AISI",
        language="en",
        date=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n),
        acl=frozenset({"public"}),
    )


@pytest.fixture(scope="module")
def prefixed(tmp_path_factory):
    """More words start with ``prob`` (and ``probl``) than a title suggestion expands to."""
    from exchange.search.whoosh_backend import MAX_EXPANSION

    suffixes = [f"{a}{b}" for a in "bcdfghjklm" for b in "aeiou"][: MAX_EXPANSION + 12]
    docs = [_prefix_doc(n, f"probl{s} rest") for n, s in enumerate(suffixes)]
    docs.append(_prefix_doc(len(docs), "probe protocol provenance rest"))
    docs.append(_prefix_doc(len(docs), "unrelated approach rest"))  # "pro" inside a word
    index = WhooshIndex(tmp_path_factory.mktemp("prefixes") / "index")
    index.rebuild([docs])
    yield index.view(), docs
    index.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pro*", "all but the last"),  # three letters: one ``lead`` list
        ("prob*", "all but the last"),  # four letters: one ``lead`` list
        ("probl*", "the problXX words"),  # five letters: every word it starts, expanded
        ("prot*", "protocol"),
        ("prove*", "protocol"),
        ("zzz*", "none"),
        ("zzzzz*", "none"),
    ],
)
def test_a_prefix_finds_every_word_it_starts(prefixed, query, expected):
    view, docs = prefixed
    matches = view.run(parse(query).tree, frozenset({"public"}), Filters(), limit=100)
    want = {
        "all but the last": docs[:-1],
        "the problXX words": docs[:-2],
        "protocol": [docs[-2]],
        "none": [],
    }[expected]
    assert matches.total == len(want)
    assert {h["key"] for h in matches.hits} == {d.key for d in want}
    assert matches.highlight_prefixes == {query.rstrip("*")}


def test_a_prefix_ranks_documents_with_more_of_its_words_first_and_marks_them(prefixed):
    from exchange.search.highlight import snippet

    view, docs = prefixed
    matches = view.run(parse("pro*").tree, frozenset({"public"}), Filters(), limit=100)
    assert matches.hits[0]["text"] == "probe protocol provenance rest"
    marked = str(snippet(docs[-2].text, matches.highlight_terms, matches.highlight_prefixes))
    assert marked.count("<mark>") == 3
    other = str(snippet(docs[-1].text, matches.highlight_terms, matches.highlight_prefixes))
    assert "approach" in other and "<mark>" not in other


def test_a_long_prefix_leaves_the_posting_cache_alone(prefixed):
    view, _docs = prefixed
    cols = view.columns
    before = set(cols._cache)
    view.run(parse("probl*").tree, frozenset({"public"}), Filters())
    assert not {key for key in set(cols._cache) - before if key[0] == "words"}


def test_an_index_without_the_lead_field_still_answers_prefixes(tmp_path):
    """An index from before ``lead`` (until sync rebuilds it) expands three letters too."""
    from exchange.search.whoosh_backend import SearchView

    texts = ["probe rest", "protocol rest", "other rest"]
    folder = tmp_path / "old"
    ix = old_index(folder, "lead", [_prefix_doc(n, text) for n, text in enumerate(texts)])
    view = SearchView(folder, ix.searcher())
    assert not view.has_leads
    matches = view.run(parse("pro*").tree, frozenset({"public"}), Filters())
    assert sorted(h["text"] for h in matches.hits) == texts[:2]
    view.searcher.close()


def test_posting_cache_drops_the_least_recently_used_lists(corpus, monkeypatch):
    from exchange.search import engine

    _index, view, _docs = corpus
    cols = Columns(view.searcher, str(view.path))
    monkeypatch.setattr(engine, "CACHE_LISTS", 3)
    first = cols.postings("body", "w001")
    cols.postings("body", "w002")
    cols.postings("body", "w003")
    assert cols.postings("body", "w001") is first  # a hit: now the most recent
    cols.postings("body", "w004")
    assert list(cols._cache) == [("body", "w003"), ("body", "w001"), ("body", "w004")]
    assert cols._cached_postings == sum(len(p.ids) for p in cols._cache.values())
    monkeypatch.setattr(engine, "CACHE_POSTINGS", len(first.ids))
    cols.postings("body", "w005")
    assert list(cols._cache) == [("body", "w005")]  # over the postings bound: only the newest
    assert cols._cached_postings == len(cols._cache[("body", "w005")].ids)

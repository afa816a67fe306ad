"""Rebuilding the Whoosh index: the bulk writer and the parallel build write what Whoosh would.

``whoosh_bulk.BulkWriter`` replaces Whoosh's ``SegmentWriter`` for a rebuild and writes the
posting blocks itself; these tests compare its segment files byte for byte with Whoosh's for
the same documents, and the index of a rebuild in several processes with one built in this
process. The analysis shortcuts of the rebuild (each part of a document analysed once, the
sample's analysis reused) are compared with the plain computation.
"""

from __future__ import annotations

import pickle
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec

from exchange.search import whoosh_backend, whoosh_bulk
from exchange.search.analysis import index_terms
from exchange.search.documents import SearchDocument, analyse, html_to_text
from exchange.search.whoosh_backend import (
    WhooshIndex,
    choose_common,
    index_fields,
    schema,
)
from exchange.search.whoosh_bulk import BulkWriter
from tests.search.test_analysis import CORPUS

WORDS = [f"w{n:03d}" for n in range(80)] + ["evaluating", "evaluation", "jailbreak", "GPT-4o"]
KOREAN = ["탈옥을", "평가에서", "안전성", "모델의", "전문가가", "정확도를"]


def make_doc(n: int, rng: random.Random) -> SearchDocument:
    # Skewed vocabulary: some terms in most documents (many posting blocks), some in one.
    words = [
        WORDS[min(int(rng.expovariate(0.08)), len(WORDS) - 1)] for _ in range(rng.randint(0, 60))
    ]
    if n % 5 == 0:
        words += rng.sample(KOREAN, 3)
    kind = ("page", "record", "program")[n % 3]
    return SearchDocument(
        entity=kind,
        object_id=n,
        kind=kind,
        title=" ".join(rng.sample(WORDS, 3)) + (" 탈옥" if n % 7 == 0 else ""),
        text=" ".join(words),
        slug=f"doc-{n}",
        institute=("KR-AISI", "UK-AISI", "US-CAISI")[n % 3],
        language="ko" if n % 5 == 0 else "en",
        date=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n % 400),
        acl=frozenset({"public"} if n % 3 else {"inst:1", "inst:2"}),
        tags=sorted({f"tag{n % 4}", f"tag{n % 9}"}),
        domains=["cyber"] if n % 3 == 1 else [],
        models=["Model_X v2", "모델"] if n % 3 == 1 else [],
    )


@pytest.fixture(scope="module")
def docs() -> list[SearchDocument]:
    rng = random.Random(11)
    return [make_doc(n, rng) for n in range(150)]


def segment_files(folder: Path) -> dict[str, bytes]:
    """The files of the index's one segment, by name without the segment's random id."""
    found = {}
    for path in folder.iterdir():
        if path.is_file() and path.name.startswith("MAIN_") and "WRITELOCK" not in path.name:
            found[path.name.split(".", 1)[1]] = path.read_bytes()
    return found


@pytest.mark.parametrize(
    "codec",
    [whoosh_bulk.codec, W3Codec, lambda: W3Codec(blocklimit=4)],
    ids=["exchange", "whoosh-default", "small-blocks"],
)
def test_bulk_writer_writes_the_files_of_whoosh_segment_writer(tmp_path, docs, codec, monkeypatch):
    monkeypatch.setattr(whoosh_bulk, "CHUNK", 5)  # write a field's postings in many chunks
    common = choose_common(docs)
    fields = [index_fields(doc, common) for doc in docs]
    written = {}
    for name in ("whoosh", "bulk"):
        folder = tmp_path / name
        folder.mkdir()
        whoosh_index.create_in(str(folder), schema())
        ix = whoosh_index.open_dir(str(folder))
        if name == "whoosh":
            writer = ix.writer(compound=False, codec=codec())
        else:
            writer = BulkWriter(ix, compound=False, codec=codec())
        for f in fields:
            writer.add_document(**f)
        writer.commit()
        written[name] = segment_files(folder)
    assert "pst" in written["whoosh"] and "trm" in written["whoosh"]
    assert written["bulk"].keys() == written["whoosh"].keys()
    for name, data in written["whoosh"].items():
        assert written["bulk"][name] == data, name


def test_bulk_writer_refuses_what_it_does_not_write(tmp_path, docs):
    whoosh_index.create_in(str(tmp_path), schema())
    ix = whoosh_index.open_dir(str(tmp_path))
    writer = BulkWriter(ix, compound=False)
    with pytest.raises(ValueError, match="boosts"):
        writer.add_document(_boost=2.0, **index_fields(docs[0]))
    with pytest.raises(NotImplementedError):
        writer.update_document(**index_fields(docs[0]))
    writer.add_document(**index_fields(docs[1]))
    writer.commit()
    with pytest.raises(ValueError, match="empty index"):  # it only writes a new index
        BulkWriter(whoosh_index.open_dir(str(tmp_path)))


def index_content(folder: Path) -> tuple[list[str], dict, dict]:
    """Keys in document-number order, postings by term (as keys), stored fields by key."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        keys = [stored["key"] for _docnum, stored in reader.iter_docs()]
        postings = {}
        for fieldname in ix.schema.names():
            if not ix.schema[fieldname].indexed:
                continue
            for text in reader.lexicon(fieldname):
                m = reader.postings(fieldname, text)
                items = []
                while m.is_active():
                    items.append((keys[m.id()], m.weight(), m.value()))
                    m.next()
                postings[fieldname, text] = items
        stored = {
            stored["key"]: (pickle.dumps(stored), reader.column_reader("facets")[docnum])
            for docnum, stored in reader.iter_docs()
        }
        lengths = {
            (keys[d], f): reader.doc_field_length(d, f) or 0
            for d in range(len(keys))
            for f in ix.schema.scorable_names()
        }
        segments = len(list(searcher.leaf_searchers()))
    return keys, postings, {"stored": stored, "lengths": lengths, "segments": segments}


def test_parallel_rebuild_writes_the_same_index_in_order(tmp_path, docs, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "PARALLEL_MIN_DOCS", 0)
    monkeypatch.setattr(whoosh_backend, "SEGMENT_DOCS", 40)  # more ranges than processes
    monkeypatch.setattr(whoosh_backend, "COMMON_SAMPLE", 60)
    batches = [docs[i : i + 25] for i in range(0, len(docs), 25)]
    built = {}
    progress: dict[int, list[int]] = {1: [], 2: []}
    for procs in (1, 2):
        index = WhooshIndex(tmp_path / f"procs-{procs}")
        index.rebuild_procs = procs
        assert index.rebuild(batches, progress[procs].append) == len(docs)
        built[procs] = index_content(index.current())
        assert index.common_terms() == choose_common(docs[:75])  # the first batches
        index.close()
    single, parallel = built[1], built[2]
    assert single[0] == parallel[0] == [doc.key for doc in docs]  # document numbers in order
    assert single[1] == parallel[1]
    assert single[2]["stored"] == parallel[2]["stored"]
    assert single[2]["lengths"] == parallel[2]["lengths"]
    assert single[2]["segments"] == 4  # at most SEGMENT_DOCS each
    assert parallel[2]["segments"] == 4  # 150 / 2 processes = 75 > 40
    assert sum(progress[1]) == sum(progress[2]) == len(docs)


def test_rebuild_equals_whoosh_segment_writer(tmp_path, docs):
    """The whole rebuild path against Whoosh's writer fed ``index_fields`` one by one."""
    index = WhooshIndex(tmp_path / "rebuilt")
    index.rebuild(iter([docs[:70], docs[70:]]))
    folder = tmp_path / "whoosh"
    folder.mkdir()
    whoosh_index.create_in(str(folder), schema())
    writer = whoosh_index.open_dir(str(folder)).writer(compound=False)
    common = choose_common(docs)
    for doc in docs:
        writer.add_document(**index_fields(doc, common))
    writer.commit()
    assert index.common_terms() == common
    assert index_content(index.current())[:2] == index_content(folder)[:2]
    assert index_content(index.current())[2] == index_content(folder)[2]
    index.close()


def test_a_failing_worker_fails_the_rebuild_and_keeps_the_index(tmp_path, docs, monkeypatch):
    index = WhooshIndex(tmp_path / "index")
    index.rebuild([docs[:10]])
    before = index.current()
    index.rebuild_procs = 2
    monkeypatch.setattr(whoosh_backend, "PARALLEL_MIN_DOCS", 0)

    def broken(common, doc, terms):
        if doc.object_id == 120:
            raise RuntimeError("cannot index this one")
        return index_fields(doc, common, terms)

    monkeypatch.setattr(whoosh_backend, "_fields_of", broken)
    with pytest.raises(whoosh_bulk.WorkerError, match="cannot index this one"):
        index.rebuild([docs[:100], docs[100:]])
    assert index.current() == before
    assert [p.name for p in index.root.iterdir() if p.name.startswith("v")] == [before.name]
    index.close()


def test_analyse_reads_each_part_once_with_the_same_terms(docs):
    samples = list(docs[:40])
    for n, text in enumerate(CORPUS):
        samples.append(
            SearchDocument(
                entity="page",
                object_id=1000 + n,
                kind="guide",
                title=CORPUS[(n + 1) % len(CORPUS)],
                text=text,
                slug="x",
                institute="KR-AISI",
                language="ko",
                date=datetime(2025, 1, 1, tzinfo=UTC),
                acl=frozenset({"public"}),
                tags=["탈옥_평가", "red-teaming"] if n % 2 else [],
                models=["GPT-4o를"] if n % 3 else [],
            )
        )
    for doc in samples:
        extra = " ".join([*doc.tags, *doc.domains, *doc.models]).replace("_", " ")
        body, words = index_terms(f"{doc.title}\n{extra}\n{doc.text}")
        got = analyse(doc)
        assert got.body == body, doc.text
        assert got.words == words
        assert (got.title, got.title_words) == index_terms(doc.title)
        assert got.model == index_terms(" ".join(doc.models))[0]
        # What choose_common counts: the title's terms, then the text's.
        text_terms = got.title + got.body[got.text_start :]
        assert text_terms == index_terms(f"{doc.title}\n{doc.text}")[0]
    assert choose_common(samples, [analyse(d) for d in samples]) == choose_common(samples)


def test_index_terms_surface_words_with_and_without_hangul():
    for text in CORPUS:
        # A Hangul run only adds bigrams, so it sends the text down the general path.
        assert index_terms(text)[1] == index_terms(f"가나 {text}")[1], text


def test_html_to_text_collapses_every_kind_of_space():
    markup = "<p>Red\u00a0team</p>\n<ul><li>a&nbsp;b</li>\u2028<li>\tc\x1c d</li></ul>  "
    assert html_to_text(markup) == "Red team a b c d"
    assert html_to_text("") == html_to_text(None) == ""

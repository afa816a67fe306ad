"""Search benchmark: Exchange search on a large corpus, beside SQLite FTS5 on the same data.

Builds a temporary instance (its own SQLite database, migrated with Alembic) holding
``--docs`` documents as real rows (wiki pages with revisions, tags and allowed institutes;
evaluation records with labels and results; rotation programs), generated deterministically:
~300 words each from a Zipf-distributed vocabulary of pronounceable pseudo-words, ~10 % of them
Korean (Hangul nouns with particles and verb endings). Then:

1. builds the index through the real path, ``exchange.search.indexer.reindex()`` (DB rows ->
   ``documents.py`` -> ``whoosh_backend.index_fields`` -> Whoosh), and reports documents/second;
2. builds an SQLite FTS5 table of the same documents, fed the same pre-analysed terms
   (``index_fields`` output: the terms of ``exchange.search.analysis``), so both engines
   match the same documents for the same query;
3. runs queries of eight kinds made from the corpus (every one has hits for the reader):
   single terms (frequent, mid, rare), two-word AND, two-word phrases, 3-letter prefixes,
   field filters (``tag:``, ``institute:``, ``title:``), a word plus a facet filter (kind,
   language, institute, date range, tag), Korean particle-inflected words and 4-letter
   prefixes. Each runs through
   ``exchange.search.service.search(user, request)`` in ``app.test_request_context()`` as a
   signed-in KR-AISI member (ACL filter, facet counts, the database re-check of the shown hits,
   highlighted snippets), and through the FTS5 equivalent (MATCH; the ACL as ``IN`` a TEMP
   table of allowed rowids built once from a tokens table, as Exchange caches its allowed set;
   facet counts by GROUP BY, bm25 top 10, ``snippet()``), interleaved query by query:
   one warm-up pass, then ``--passes`` timed passes;
4. measures single-document updates through the outbox: the save's commit (with the outbox
   insert made by the session hook), ``drain()`` of that one document, and the first search
   after it (which sees the new text); then runs one more pass of the queries on the index
   with its extra segments;
5. profiles (cProfile) the slowest queries of every kind whose p95 misses the goal.

With ``--postgres`` it also builds the PostgreSQL backend (``SEARCH_BACKEND="postgres"``) on the
same corpus: a fresh database on ``--pg-url`` (unique name, dropped at the end unless
``--keep``), migrated with Alembic, seeded with the same rows by the same code, indexed by
``reindex()`` (timed, documents/second); its queries run through the same
``service.search`` as the same reader, interleaved query by query with Whoosh and FTS5, and
its single-document updates (save + ``drain()`` + first search) are timed too.

Prints Markdown tables and writes them with the details to ``bench/results/search-<time>.json``
(git-ignored). The temporary folder is deleted at the end (``--keep`` keeps it).

    .venv/bin/python bench/search.py              # 50,000 documents
    .venv/bin/python bench/search.py --quick      # 5,000 documents, one timed pass (smoke run)
    .venv/bin/python bench/search.py --docs 5000 --queries 20 --passes 1 --postgres
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import html
import io
import json
import logging
import os
import platform
import pstats
import random
import re
import resource
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import whoosh  # noqa: E402
from sqlalchemy import event, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session, selectinload  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.accounts.models import Institute, User  # noqa: E402
from exchange.db import utcnow  # noqa: E402
from exchange.demo import load_demo_data  # noqa: E402
from exchange.evaluations.models import (  # noqa: E402
    RISK_DOMAINS,
    TECHNIQUES,
    EvaluationRecord,
    EvaluationResult,
    RecordLabel,
    record_participants,
    record_readers,
)
from exchange.extensions import db  # noqa: E402
from exchange.rotations.models import Program  # noqa: E402
from exchange.search import indexer  # noqa: E402
from exchange.search.analysis import STOP_WORDS, query_terms, tokens  # noqa: E402
from exchange.search.documents import iter_all, load_documents  # noqa: E402
from exchange.search.query import Any, Phrase, Prefix, Value, Words, parse  # noqa: E402
from exchange.search.service import SearchRequest, search  # noqa: E402
from exchange.search.whoosh_backend import index_fields  # noqa: E402
from exchange.wiki.models import Page, PageTag, Revision, page_institutes  # noqa: E402
from exchange.wiki.rendering import normalize_slug  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
GOAL_P95_MS = 50.0
REINDEX_GOAL_S = 180.0  # for 50,000 documents
REINDEX_GOAL_DOCS = 50_000

INSTITUTES = (
    "KR-AISI",
    "UK-AISI",
    "US-CAISI",
    "JP-AISI",
    "SG-AISI",
    "CA-AISI",
    "EU-AIO",
    "FR-INESIA",
    "AU-AISI",
    "KE-AI",
)
OWNER_WEIGHTS = (18, 18, 16, 12, 10, 8, 6, 5, 4, 3)
READER_EMAIL = "member@kr-aisi.example"
READER_INSTITUTE = "KR-AISI"
PAGE_KINDS = ("methodology", "finding", "guide", "rotation_report")
PAGE_KIND_WEIGHTS = (35, 35, 20, 10)
# Kinds added later go last, so that the queries of the earlier kinds stay the same.
KINDS = ("term", "and", "phrase", "prefix", "field", "facet", "korean", "prefix4")
KIND_LABELS = {
    "term": "single term",
    "and": "two-word AND",
    "phrase": "two-word phrase",
    "prefix": "3-letter prefix",
    "field": "field filter",
    "facet": "word + facet filter",
    "korean": "Korean, with particles",
    "prefix4": "4-letter prefix",
}
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
SPAN_DAYS = 1420  # to 2026-11-21
VOCABULARY = 50_000
KOREAN_VOCABULARY = 8_000
TAGS = 300
ZIPF_WORDS = 1.07
ZIPF_TAGS = 1.2
STOPS = tuple(sorted(w for w in STOP_WORDS if len(w) > 1))
STOP_RATE = 0.4  # a stop word before this share of content words (~29 % of all words)
TERM_BANDS = {"frequent": (0, 100), "mid": (100, 3_000), "rare": (3_000, 20_000)}

# --- Pseudo-words --------------------------------------------------------------------------

ONSETS = (
    *"bcdfghjklmnprstvwz",
    "br",
    "cr",
    "dr",
    "fl",
    "gr",
    "pl",
    "pr",
    "st",
    "tr",
    "ch",
    "sh",
    "th",
    "",
)
VOWELS = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ou", "io")
CODAS = ("", "", "", "", "n", "r", "l", "s", "m", "t", "nd", "st", "rk", "x")
BASE_TAGS = (
    "red-teaming",
    "cyber",
    "jailbreak",
    "korean",
    "biosecurity",
    "agents",
    "evaluation",
    "sandbox",
    "multilingual",
    "elicitation",
    "grading",
    "baselines",
    "statistics",
    "tooling",
    "protocol",
    "reproducibility",
    "cross-lab",
    "pilot",
    "chemical",
    "autonomy",
)
# Hangul syllables: initial consonants, vowels and finals (0 = none) used for pseudo-nouns.
CHO = (0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 16, 17, 18)
JUNG = (0, 4, 8, 13, 18, 20, 1, 5, 12, 17)
JONG = (0, 0, 0, 0, 0, 0, 4, 8, 21, 1, 16, 17)
ONE_SYLLABLE_PARTICLES = frozenset("이가은는을를의에와과도만로께")
AFTER_CONSONANT = ("이", "을", "은", "과", "으로", "에서", "의", "에", "도", "만", "에서는", "까지")
AFTER_VOWEL = ("가", "를", "는", "와", "로", "에서", "의", "에", "도", "만", "에서는", "까지")
VERB_ENDINGS = ("하는", "했다", "하고", "된", "되는", "한다", "하기", "하여")
CITIES = ("Seoul", "London", "Washington", "Tokyo", "Singapore", "Ottawa", "Brussels", "Paris")


def zipf_cum(n: int, s: float) -> list[float]:
    return list(accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def pseudo_words(rng: random.Random, count: int, min_len: int = 4) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        syllables = rng.choice((1, 2, 2, 2, 3, 3))
        word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables))
        word += rng.choice(CODAS)
        if len(word) < min_len or len(word) > 14 or word in seen or word in STOP_WORDS:
            continue
        seen.add(word)
        out.append(word)
    return out


def hangul(cho: int, jung: int, jong: int) -> str:
    return chr(0xAC00 + (cho * 21 + jung) * 28 + jong)


def korean_nouns(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        length = rng.choice((2, 2, 2, 3, 3, 4))
        noun = "".join(
            hangul(rng.choice(CHO), rng.choice(JUNG), rng.choice(JONG)) for _ in range(length)
        )
        if noun in seen or noun[-1] in ONE_SYLLABLE_PARTICLES:
            continue
        seen.add(noun)
        out.append(noun)
    return out


def has_final(syllable: str) -> bool:
    return (ord(syllable) - 0xAC00) % 28 != 0


def particle(noun: str, rng: random.Random) -> str:
    return rng.choice(AFTER_CONSONANT if has_final(noun[-1]) else AFTER_VOWEL)


# --- The corpus ----------------------------------------------------------------------------


@dataclass
class Doc:
    """One generated document; its database row has id ``n + 1``."""

    n: int
    entity: str  # page, record, program
    kind: str  # a page kind, "record" or "program"
    lang: str
    owner: str
    visibility: str
    allowed: tuple[str, ...]
    team: tuple[str, ...]
    embargoed: bool
    status: str
    when: dt.datetime
    tags: list[str] = field(default_factory=list)
    title: str = ""
    blocks: list[tuple[str, str]] = field(default_factory=list)  # ("h2" | "p", text)
    nouns: list[str] = field(default_factory=list)  # Korean nouns used (Korean documents)

    @property
    def id(self) -> int:
        return self.n + 1

    def visible_to_reader(self) -> bool:
        """Mirror of the access policy for the benchmark's reader (a KR-AISI member)."""
        if self.entity == "program":
            return self.status != "draft"
        if self.owner == READER_INSTITUTE:
            return True
        if self.entity == "record" and self.status in ("draft", "in_review"):
            return READER_INSTITUTE in self.team
        if self.embargoed:
            return False
        return self.visibility in ("public", "network") or READER_INSTITUTE in self.allowed

    def html(self) -> str:
        return "\n".join(
            f'<h2 id="s{i}">{html.escape(body)}</h2>'
            if tag == "h2"
            else f"<p>{html.escape(body)}</p>"
            for i, (tag, body) in enumerate(self.blocks)
        )

    def source(self) -> str:
        return "".join(
            f"## {body}\n\n" if tag == "h2" else f"{body}\n\n" for tag, body in self.blocks
        )

    def paragraphs(self) -> list[str]:
        return [body for tag, body in self.blocks if tag == "p"]

    def body_text(self) -> str:
        return " ".join(body for _tag, body in self.blocks)

    def searchable_text(self) -> str:
        """Text whose terms are all in the document's Whoosh ``body`` field."""
        extra = " ".join(self.tags).replace("_", " ")
        return f"{self.title}\n{extra}\n{self.body_text()}"


class Corpus:
    """A deterministic corpus: ``doc(n)`` always gives the same document for the same seed."""

    def __init__(self, size: int, seed: int):
        self.size = size
        self.seed = seed
        rng = random.Random(seed)
        self.vocab = pseudo_words(rng, VOCABULARY)
        self.rank = {w: r for r, w in enumerate(self.vocab)}
        self.cum = zipf_cum(len(self.vocab), ZIPF_WORDS)
        self.ko_vocab = korean_nouns(rng, KOREAN_VOCABULARY)
        self.ko_cum = zipf_cum(len(self.ko_vocab), ZIPF_WORDS)
        extra = [
            w if rng.random() < 0.7 else f"{w}-{rng.choice(self.vocab[:2000])}"
            for w in pseudo_words(rng, TAGS - len(BASE_TAGS))
        ]
        self.tags = [*BASE_TAGS, *extra]
        self.tag_cum = zipf_cum(len(self.tags), ZIPF_TAGS)
        self.models = [f"{w.capitalize()}-{rng.randint(2, 9)}" for w in pseudo_words(rng, 40)]
        self.developers = [f"{w.capitalize()} Labs" for w in pseudo_words(rng, 12)]
        self.benchmarks = [f"{w}-bench" for w in pseudo_words(rng, 60)]

    # Positions -> entities: 4 % evaluation records, 1 % programs, the rest wiki pages.
    @staticmethod
    def entity(n: int) -> str:
        if n % 25 == 7:
            return "record"
        if n % 100 == 13:
            return "program"
        return "page"

    def _rng(self, n: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + n)

    def meta(self, n: int, rng: random.Random | None = None) -> Doc:
        """The document's metadata only (cheap); ``doc`` continues with the same generator."""
        rng = rng or self._rng(n)
        entity = self.entity(n)
        lang = "ko" if rng.random() < 0.10 else "en"
        owner = rng.choices(INSTITUTES, weights=OWNER_WEIGHTS)[0]
        roll = rng.random()
        visibility = "public" if roll < 0.20 else "network" if roll < 0.75 else "institutes"
        allowed: tuple[str, ...] = ()
        if visibility == "institutes":
            others = [c for c in INSTITUTES if c != owner]
            allowed = (owner, *rng.sample(others, rng.randint(1, 2)))
            # Most restricted pages are shared with the reader's institute, some are not.
            if rng.random() < 0.5 and READER_INSTITUTE not in allowed:
                allowed = (
                    (*allowed[:-1], READER_INSTITUTE) if owner != READER_INSTITUTE else allowed
                )
        embargoed = visibility != "public" and rng.random() < 0.01
        when = START + dt.timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400))
        team: tuple[str, ...] = ()
        if entity == "page":
            kind = rng.choices(PAGE_KINDS, weights=PAGE_KIND_WEIGHTS)[0]
            status = rng.choice(("draft", "reviewed", "draft", "endorsed", "reviewed"))
        elif entity == "record":
            kind = "record"
            status = rng.choices(
                ("published", "archived", "in_review", "draft"), weights=(80, 5, 10, 5)
            )[0]
            if status in ("in_review", "draft"):
                team = (owner, rng.choice(INSTITUTES))
        else:
            kind = "program"
            status = rng.choices(("open", "closed", "draft"), weights=(80, 10, 10))[0]
            visibility, allowed, embargoed = "network", (), False
        return Doc(n, entity, kind, lang, owner, visibility, allowed, team, embargoed, status, when)

    def doc(self, n: int) -> Doc:
        rng = self._rng(n)
        d = self.meta(n, rng)
        if d.entity == "record":
            d.tags = sorted(set(rng.sample(TECHNIQUES, rng.randint(1, 2))))
        else:
            d.tags = sorted(
                set(rng.choices(self.tags, cum_weights=self.tag_cum, k=rng.randint(1, 4)))
            )
        total = rng.randint(250, 350)
        if d.lang == "en":
            d.title = self._english_title(rng)
            d.blocks = self._blocks(rng, total, self._english_sentence, self._english_heading)
        else:
            d.title = self._korean_title(rng, d)
            d.blocks = self._blocks(
                rng,
                total,
                lambda r, k: self._korean_sentence(r, k, d),
                lambda r, k: self._korean_heading(r, k, d),
            )
        return d

    def _words(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.vocab, cum_weights=self.cum, k=k)

    def _english_title(self, rng: random.Random) -> str:
        return " ".join(w.capitalize() for w in self._words(rng, rng.randint(4, 8)))

    def _english_heading(self, rng: random.Random, k: int) -> str:
        return " ".join(self._words(rng, k)).capitalize()

    def _english_sentence(self, rng: random.Random, k: int) -> str:
        out: list[str] = []
        for word in self._words(rng, k):
            if rng.random() < STOP_RATE:
                out.append(rng.choice(STOPS))
            out.append(word)
        return " ".join(out).capitalize() + "."

    def _nouns(self, rng: random.Random, k: int, d: Doc) -> list[str]:
        nouns = rng.choices(self.ko_vocab, cum_weights=self.ko_cum, k=k)
        d.nouns.extend(nouns)
        return nouns

    def _korean_title(self, rng: random.Random, d: Doc) -> str:
        nouns = self._nouns(rng, rng.randint(3, 5), d)
        return " ".join(
            n + "의" if i == 0 and rng.random() < 0.5 else n for i, n in enumerate(nouns)
        )

    def _korean_heading(self, rng: random.Random, k: int, d: Doc) -> str:
        return " ".join(self._nouns(rng, k, d))

    def _korean_sentence(self, rng: random.Random, k: int, d: Doc) -> str:
        nouns = self._nouns(rng, k, d)
        english = self._words(rng, k)
        out: list[str] = []
        for noun, word in zip(nouns, english, strict=True):
            roll = rng.random()
            if roll < 0.12:
                out.append(word)
            elif roll < 0.65:
                out.append(noun + particle(noun, rng))
            elif roll < 0.78:
                out.append(noun + rng.choice(VERB_ENDINGS))
            else:
                out.append(noun)
        out[-1] = out[-1] + "."
        return " ".join(out)

    @staticmethod
    def _blocks(rng: random.Random, total: int, sentence, heading) -> list[tuple[str, str]]:
        blocks: list[tuple[str, str]] = []
        count = paragraph = 0
        while count < total:
            if paragraph % 2 == 1:
                k = rng.randint(2, 4)
                blocks.append(("h2", heading(rng, k)))
                count += k
            sentences = []
            for _ in range(rng.randint(3, 5)):
                if count >= total:
                    break
                s = sentence(rng, rng.randint(6, 14))
                sentences.append(s)
                count += s.count(" ") + 1
            blocks.append(("p", " ".join(sentences)))
            paragraph += 1
        return blocks


# --- Seeding the database ------------------------------------------------------------------


def seed_database(corpus: Corpus, chunk: int = 5_000) -> dict:
    """Insert the corpus as real rows (Core executemany, like bench/wiki_seed.py)."""
    started = time.perf_counter()
    session = db.session
    institutes = dict(session.execute(select(Institute.code, Institute.id)).all())
    people: dict[int, list[int]] = defaultdict(list)
    for user_id, institute_id in session.execute(select(User.id, User.institute_id)):
        people[institute_id].append(user_id)
    now = utcnow()
    counts: Counter = Counter()
    rows: dict[str, list] = defaultdict(list)

    def flush() -> None:
        for name, target in (
            ("pages", Page.__table__),
            ("revisions", Revision.__table__),
            ("tags", PageTag.__table__),
            ("page_institutes", page_institutes),
            ("records", EvaluationRecord.__table__),
            ("labels", RecordLabel.__table__),
            ("results", EvaluationResult.__table__),
            ("participants", record_participants),
            ("readers", record_readers),
            ("programs", Program.__table__),
        ):
            if rows[name]:
                session.execute(insert(target), rows[name])
                counts[name] += len(rows[name])
        rows.clear()

    for n in range(corpus.size):
        d = corpus.doc(n)
        owner = institutes[d.owner]
        authors = people.get(owner) or [None]
        author = authors[n % len(authors)]
        slug = f"{normalize_slug(d.title)[:100]}-{d.id}".lstrip("-")
        embargo = now + dt.timedelta(days=90) if d.embargoed else None
        if d.entity == "page":
            rows["pages"].append(
                {
                    "id": d.id,
                    "slug": slug,
                    "title": d.title[:200],
                    "kind": d.kind,
                    "language": d.lang,
                    "visibility": d.visibility,
                    "owner_institute_id": owner,
                    "embargo_until": embargo,
                    "review_status": d.status,
                    "created_by_id": author,
                    "is_demo": True,
                    "created_at": d.when - dt.timedelta(days=3),
                    "updated_at": d.when,
                }
            )
            rows["revisions"].append(
                {
                    "id": d.id,
                    "page_id": d.id,
                    "number": 1,
                    "kind": "create",
                    "title": d.title[:200],
                    "source": d.source(),
                    "html": d.html(),
                    "toc_html": "",
                    "summary": "",
                    "author_id": author,
                    "base_revision_id": None,
                    "created_at": d.when,
                }
            )
            rows["tags"] += [{"page_id": d.id, "tag": t} for t in d.tags]
            rows["page_institutes"] += [
                {"page_id": d.id, "institute_id": institutes[c]} for c in d.allowed
            ]
        elif d.entity == "record":
            rng = random.Random(d.n)
            paragraphs = d.paragraphs()
            model = rng.choice(corpus.models)
            rows["records"].append(
                {
                    "id": d.id,
                    "slug": slug,
                    "title": d.title[:200],
                    "summary": " ".join(paragraphs[:2]),
                    "record_type": rng.choice(
                        ("pre_deployment", "benchmark_run", "research_study")
                    ),
                    "status": d.status,
                    "visibility": d.visibility,
                    "owner_institute_id": owner,
                    "embargo_until": embargo,
                    "model_developer": rng.choice(corpus.developers),
                    "model_name": model,
                    "model_version": f"v{rng.randint(1, 5)}",
                    "evaluated_on": d.when.date(),
                    "reference_models": "",
                    "headline_finding": paragraphs[2] if len(paragraphs) > 2 else "",
                    "caveats": " ".join(paragraphs[3:]),
                    "created_by_id": author,
                    "is_demo": True,
                    "created_at": d.when,
                    "updated_at": d.when,
                }
            )
            labels = {("technique", t) for t in d.tags}
            labels |= {("domain", rng.choice(RISK_DOMAINS)), ("language", d.lang)}
            rows["labels"] += [{"record_id": d.id, "kind": k, "value": v} for k, v in labels]
            rows["results"] += [
                {
                    "record_id": d.id,
                    "benchmark": b,
                    "metric": "accuracy",
                    "model": model,
                    "value": round(rng.random(), 3),
                }
                for b in sorted(set(rng.sample(corpus.benchmarks, rng.randint(1, 3))))
            ]
            rows["participants"] += [
                {"record_id": d.id, "institute_id": institutes[c]} for c in sorted(set(d.team))
            ]
            rows["readers"] += [
                {"record_id": d.id, "institute_id": institutes[c]} for c in d.allowed
            ]
        else:
            rng = random.Random(d.n)
            start = d.when.date()
            rows["programs"].append(
                {
                    "id": d.id,
                    "slug": slug,
                    "title": d.title[:200],
                    "description": d.source(),
                    "description_html": d.html(),
                    "host_institute_id": owner,
                    "focus_areas": ", ".join(d.tags),
                    "skills_sought": " ".join(corpus.vocab[rng.randrange(3000)] for _ in range(4)),
                    "location": rng.choice(CITIES),
                    "start_date": start,
                    "end_date": start + dt.timedelta(days=180),
                    "seats": 2,
                    "seats_taken": 0,
                    "opens_at": d.when - dt.timedelta(days=60),
                    "closes_at": d.when - dt.timedelta(days=10),
                    "status": d.status,
                    "is_demo": True,
                    "created_by_id": author,
                    "created_at": d.when,
                    "updated_at": d.when,
                }
            )
        counts[d.entity + "s_" + d.lang] += 1
        if (n + 1) % chunk == 0:
            flush()
    flush()
    session.execute(text("UPDATE wiki_pages SET current_revision_id = id"))
    if session.get_bind().dialect.name == "postgresql":
        reset_sequences(session)
    session.commit()
    pending = session.scalar(text("SELECT count(*) FROM search_outbox"))
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "rows": dict(counts),
        "outbox": pending,
    }


SEEDED_TABLES = (
    Page.__table__,
    Revision.__table__,
    PageTag.__table__,
    page_institutes,
    EvaluationRecord.__table__,
    RecordLabel.__table__,
    EvaluationResult.__table__,
    record_participants,
    record_readers,
    Program.__table__,
)


def reset_sequences(session) -> None:
    """PostgreSQL: move each seeded table's id sequence past the explicit ids inserted."""
    for table in SEEDED_TABLES:
        if "id" not in table.c:
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) "  # noqa: S608
                f"FROM {table.name} HAVING max(id) IS NOT NULL"
            )
        )


# --- Queries -------------------------------------------------------------------------------


@dataclass
class BenchQuery:
    kind: str
    label: str
    q: str
    filters: dict
    source: int  # corpus position of the document the query was made from

    def request(self) -> SearchRequest:
        return SearchRequest(q=self.q, **self.filters)

    def describe(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.filters.items())
        return f"{self.q} [{extra}]" if extra else self.q


WORD_RE = re.compile(r"[A-Za-z]+")


def word_pairs(terms: list[str]) -> set[tuple[str, str]]:
    """Adjacent index terms: a two-word phrase matches where its two terms are adjacent."""
    return set(pairwise(terms))


def content_words(d: Doc) -> list[str]:
    return [w.lower() for w in WORD_RE.findall(d.body_text()) if w.lower() not in STOP_WORDS]


def adjacent_pairs(d: Doc) -> list[str]:
    """Two words written next to each other in a sentence, both content words."""
    pairs = []
    for paragraph in d.paragraphs():
        for sentence in paragraph.split(". "):
            raw = [w.strip(".") for w in sentence.split()]
            for a, b in pairwise(raw):
                if (
                    a.isalpha()
                    and b.isalpha()
                    and a.lower() not in STOP_WORDS
                    and b.lower() not in STOP_WORDS
                ):
                    pairs.append(f"{a.lower()} {b.lower()}")
    return pairs


class QueryMaker:
    def __init__(self, corpus: Corpus, seed: int):
        self.corpus = corpus
        self.rng = random.Random(seed + 17)
        self.order = list(range(corpus.size))
        self.rng.shuffle(self.order)
        self.cursor = 0
        self.seen: set[str] = set()
        self.prefixes: set[str] = set()

    def sources(self, entity: str | None, lang: str | None):
        """Visible documents in a shuffled order (endless; wraps around)."""
        while True:
            n = self.order[self.cursor % len(self.order)]
            self.cursor += 1
            m = self.corpus.meta(n)
            if not m.visible_to_reader():
                continue
            if entity and m.entity != entity:
                continue
            if lang and m.lang != lang:
                continue
            yield self.corpus.doc(n)

    @staticmethod
    def terms_of(d: Doc) -> set[str]:
        return set(tokens(d.searchable_text()))

    def matches(self, d: Doc, words: str) -> bool:
        terms = self.terms_of(d)
        return all(t in terms for group in query_terms(words) for t in group)

    def add(self, out: list, query: BenchQuery) -> bool:
        key = query.describe()
        if key in self.seen:
            return False
        self.seen.add(key)
        out.append(query)
        return True

    def make(self, kind: str, count: int) -> list[BenchQuery]:
        out: list[BenchQuery] = []
        maker = getattr(self, f"_{kind}")
        attempts = 0
        while len(out) < count:
            attempts += 1
            if attempts > count * 200:
                raise RuntimeError(f"could not make {count} {kind} queries with hits")
            maker(out, len(out))
        return out

    def _term(self, out, i):
        label = ("frequent", "mid", "rare")[i % 3]
        lo, hi = TERM_BANDS[label]
        d = next(self.sources("page", "en"))
        words = sorted({w for w in content_words(d) if lo <= self.corpus.rank.get(w, -1) < hi})
        if words:
            word = self.rng.choice(words)
            if self.matches(d, word):
                self.add(out, BenchQuery("term", label, word, {}, d.n))

    def _and(self, out, i):
        d = next(self.sources("page", "en"))
        words = sorted(set(content_words(d)))
        a, b = self.rng.sample(words, 2)
        if query_terms(a) != query_terms(b) and self.matches(d, f"{a} {b}"):
            self.add(out, BenchQuery("and", "", f"{a} {b}", {}, d.n))

    def _phrase(self, out, i):
        d = next(self.sources("page", "en"))
        pairs = adjacent_pairs(d)
        if not pairs:
            return
        pair = self.rng.choice(pairs)
        terms = tokens(pair)
        if len(terms) == 2 and word_pairs(terms) <= word_pairs(tokens(d.searchable_text())):
            self.add(out, BenchQuery("phrase", "", f'"{pair}"', {}, d.n))

    def _prefix(self, out, i):
        d = next(self.sources("page", "en"))
        words = sorted({w for w in content_words(d) if len(w) >= 4})
        prefix = self.rng.choice(words)[:3]
        if prefix not in self.prefixes:  # each prefix once: the expansion cache is per prefix
            self.prefixes.add(prefix)
            self.add(out, BenchQuery("prefix", "", f"{prefix}*", {}, d.n))

    def _prefix4(self, out, i):
        d = next(self.sources("page", "en"))
        words = sorted({w for w in content_words(d) if len(w) >= 5})
        if not words:
            return
        prefix = self.rng.choice(words)[:4]
        if prefix not in self.prefixes:
            self.prefixes.add(prefix)
            self.add(out, BenchQuery("prefix4", "", f"{prefix}*", {}, d.n))

    def _field(self, out, i):
        label = ("tag", "institute", "title")[i % 3]
        d = next(self.sources("page", "en"))
        word = self.rng.choice(content_words(d))
        if label == "tag":
            q = f"tag:{self.rng.choice(d.tags)} {word}"
        elif label == "institute":
            q = f"institute:{d.owner.lower()} {word}"
        else:
            title_words = [w.lower() for w in d.title.split() if w.lower() not in STOP_WORDS]
            q = f"title:{self.rng.choice(title_words)}"
            word = ""
        if not word or self.matches(d, word):
            self.add(out, BenchQuery("field", label, q, {}, d.n))

    def _facet(self, out, i):
        label = ("kind", "lang", "institute", "date", "tag")[i % 5]
        entity = "record" if i % 7 == 3 else None
        d = next(self.sources(entity, None))
        if d.lang == "ko":
            noun = self.rng.choice(d.nouns)
            word = noun + particle(noun, self.rng)
        else:
            word = self.rng.choice(content_words(d))
        if not self.matches(d, word):
            return
        day = d.when.date()
        filters = {
            "kind": {"kind": d.kind},
            "lang": {"lang": d.lang},
            "institute": {"institute": d.owner},
            "date": {
                "date_from": day - dt.timedelta(days=60),
                "date_to": day + dt.timedelta(days=60),
            },
            "tag": {"tag": d.tags[0].casefold()},
        }[label]
        self.add(out, BenchQuery("facet", label, word, filters, d.n))

    def _korean(self, out, i):
        label = ("one word", "one word", "two words")[i % 3]
        d = next(self.sources(None, "ko"))
        nouns = self.rng.sample(sorted(set(d.nouns)), 2 if label == "two words" else 1)
        q = " ".join(noun + particle(noun, self.rng) for noun in nouns)
        if self.matches(d, q):
            self.add(out, BenchQuery("korean", label, q, {}, d.n))


def make_queries(corpus: Corpus, per_kind: int, seed: int) -> list[BenchQuery]:
    maker = QueryMaker(corpus, seed)
    return [q for kind in KINDS for q in maker.make(kind, per_kind)]


# --- SQLite FTS5 ---------------------------------------------------------------------------

FTS_SCHEMA = """
CREATE TABLE docs (
    id INTEGER PRIMARY KEY, key TEXT UNIQUE, kind TEXT, institute TEXT, lang TEXT,
    day INTEGER, year INTEGER, title TEXT, slug TEXT
);
CREATE INDEX docs_kind ON docs (kind);
CREATE INDEX docs_institute ON docs (institute);
CREATE INDEX docs_lang ON docs (lang);
CREATE INDEX docs_day ON docs (day);
CREATE TABLE doc_acl (token TEXT, doc_id INTEGER, PRIMARY KEY (token, doc_id)) WITHOUT ROWID;
CREATE TABLE doc_labels (
    field TEXT, value TEXT, doc_id INTEGER, PRIMARY KEY (field, value, doc_id)
) WITHOUT ROWID;
CREATE INDEX doc_labels_doc ON doc_labels (doc_id);
CREATE VIRTUAL TABLE fts USING fts5(
    title, body, words, tokenize = 'unicode61 remove_diacritics 0', prefix = '3'
);
"""
SNIPPET_TOKENS = 24


def fts_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def fts_rows(doc, fields: dict, rowid: int):
    """The FTS5 row and side-table rows of one document (terms from ``index_fields``)."""
    day = doc.date.toordinal()
    meta = (
        rowid,
        doc.key,
        doc.kind,
        doc.institute.casefold(),
        doc.language,
        day,
        doc.date.year,
        doc.title,
        doc.slug,
    )
    acl = [(token, rowid) for token in sorted(doc.acl)]
    labels = {("tag", t.casefold(), rowid) for t in doc.tags}
    labels |= {("domain", v, rowid) for v in doc.domains}
    return (rowid, fields["title"], fields["body"], fields["words"]), meta, acl, sorted(labels)


def build_fts(app, path: Path) -> tuple[sqlite3.Connection, dict]:
    """Load every document into FTS5 (same rows, same documents.py, same terms as Whoosh).

    Also times the parts of a Whoosh rebuild that do not depend on Whoosh: reading the rows
    and building the documents (``iter_all``) and ``index_fields`` (analysis, shingles).
    """
    conn = fts_connect(path)
    conn.executescript(FTS_SCHEMA)
    timers = Counter()
    rowid = 0
    with app.app_context():
        batches = iter_all()
        while True:
            t0 = time.perf_counter()
            batch = next(batches, None)
            timers["read_documents"] += time.perf_counter() - t0
            if batch is None:
                break
            t0 = time.perf_counter()
            prepared = []
            for doc in batch:
                rowid += 1
                prepared.append(fts_rows(doc, index_fields(doc), rowid))
            timers["index_fields"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO fts (rowid, title, body, words) VALUES (?, ?, ?, ?)",
                [p[0] for p in prepared],
            )
            conn.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [p[1] for p in prepared]
            )
            conn.executemany(
                "INSERT INTO doc_acl VALUES (?, ?)", [r for p in prepared for r in p[2]]
            )
            conn.executemany(
                "INSERT INTO doc_labels VALUES (?, ?, ?)", [r for p in prepared for r in p[3]]
            )
            conn.execute("COMMIT")
            timers["fts_insert"] += time.perf_counter() - t0
        db.session.remove()
    t0 = time.perf_counter()
    conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timers["fts_optimize"] += time.perf_counter() - t0
    stats = {k: round(v, 2) for k, v in timers.items()}
    stats["documents"] = rowid
    stats["fts_seconds"] = round(timers["fts_insert"] + timers["fts_optimize"], 2)
    stats["size_mb"] = round(path.stat().st_size / 1e6, 1)
    return conn, stats


_ALLOWED_TABLES: dict[tuple[int, frozenset[str]], str] = {}


def fts_allowed(conn: sqlite3.Connection, acl: frozenset[str]) -> str:
    """A TEMP table of the rowids a reader may see, built once per connection and token set.

    The FTS5 twin of ``SearchView.allowed``, which Exchange caches per searcher: without it,
    ``rowid IN (SELECT doc_id FROM doc_acl WHERE token IN (...))`` rebuilds a list of every
    allowed rowid (about 45,000) in every statement, 20-35 ms each time on this machine.
    """
    key = (id(conn), acl)
    name = _ALLOWED_TABLES.get(key)
    if name is None:
        name = f"allowed_{len(_ALLOWED_TABLES)}"
        marks = ", ".join("?" * len(acl))
        conn.execute(f"CREATE TEMP TABLE {name} (id INTEGER PRIMARY KEY)")
        conn.execute(
            f"INSERT OR IGNORE INTO temp.{name} "  # noqa: S608 - a generated table name
            f"SELECT doc_id FROM doc_acl WHERE token IN ({marks})",
            sorted(acl),
        )
        _ALLOWED_TABLES[key] = name
    return name


def _fts_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class FtsQuery:
    """The parsed query tree compiled to an FTS5 MATCH expression and SQL conditions."""

    def __init__(self, tree, req: SearchRequest, allowed_table: str):
        self.conditions: list[str] = []
        self.params: list = []
        matches = []
        for part in tree.include:
            if isinstance(part, Value):
                self._value(part.field, part.value)
            else:
                matches.append(f"({self._expr(part)})")
        if not matches:
            raise ValueError("FTS5 needs at least one word to match")
        match = " AND ".join(matches)
        for part in tree.exclude:
            match = f"({match}) NOT ({self._expr(part)})"
        self.match = match
        for name in ("kind", "institute", "lang", "tag", "domain"):
            value = getattr(req, name)
            if value:
                self._value(name, value.casefold())
        if req.date_from or req.date_to:
            lo = req.date_from.toordinal() if req.date_from else 0
            hi = req.date_to.toordinal() if req.date_to else 10**7
            self.conditions.append("+fts.rowid IN (SELECT id FROM docs WHERE day BETWEEN ? AND ?)")
            self.params += [lo, hi]
        # The unary + keeps SQLite from handing the rowid constraint to FTS5, which would then
        # evaluate the MATCH once per allowed rowid (10-100x slower).
        self.conditions.append(f"+fts.rowid IN (SELECT id FROM temp.{allowed_table})")  # noqa: S608

    def _value(self, name: str, value: str) -> None:
        if name in ("tag", "domain"):
            self.conditions.append(
                "+fts.rowid IN (SELECT doc_id FROM doc_labels WHERE field = ? AND value = ?)"
            )
            self.params += [name, value]
        elif name in ("kind", "institute", "lang"):
            column = {"kind": "kind", "institute": "institute", "lang": "lang"}[name]
            self.conditions.append(
                f"+fts.rowid IN (SELECT id FROM docs WHERE {column} = ?)"  # noqa: S608
            )
            self.params.append(value)
        else:
            raise ValueError(f"no FTS5 equivalent for {name}:")

    def _expr(self, part) -> str:
        if isinstance(part, Words):
            column = {"title": "title", None: "body"}[part.field]
            return " AND ".join(
                f"{column} : {_fts_string(t)}" for group in part.groups for t in group
            )
        if isinstance(part, Phrase):
            if part.field is not None:
                return " AND ".join(f"{part.field} : {_fts_string(t)}" for t in part.terms)
            return f"body : {_fts_string(' '.join(part.terms))}"
        if isinstance(part, Prefix):
            return f"words : {_fts_string(part.prefix)} *"
        if isinstance(part, Any):
            return " OR ".join(f"({self._expr(p)})" for p in part.parts)
        raise ValueError(f"no FTS5 equivalent for {part!r}")

    def where(self) -> tuple[str, list]:
        return " AND ".join(["fts MATCH ?", *self.conditions]), [self.match, *self.params]


def fts_search(conn: sqlite3.Connection, req: SearchRequest, acl: frozenset[str]) -> dict:
    """What the FTS5 backend would do for one search: count, facets, top 10 with snippets."""
    parsed = parse(req.q)
    query = FtsQuery(parsed.tree, req, fts_allowed(conn, acl))
    where, params = query.where()
    # CROSS JOIN: start from the matches (SQLite otherwise scans all of doc_labels in GROUP BY
    # order, about 10-20 ms even for a word with a few hits).
    facet_rows = conn.execute(
        f"""
        WITH m AS MATERIALIZED (SELECT fts.rowid AS id FROM fts WHERE {where})
        SELECT 0, d.kind, d.institute, d.lang, d.year, count(*)
        FROM m CROSS JOIN docs d ON d.id = m.id GROUP BY 2, 3, 4, 5
        UNION ALL
        SELECT 1, l.field, l.value, NULL, NULL, count(*)
        FROM m CROSS JOIN doc_labels l ON l.doc_id = m.id GROUP BY 2, 3
        """,  # noqa: S608 - only ? parameters are interpolated
        params,
    ).fetchall()
    facets: dict[str, Counter] = defaultdict(Counter)
    total = 0
    for which, a, b, c, year, count in facet_rows:
        if which == 0:
            total += count
            facets["kind"][a] += count
            facets["institute"][b] += count
            facets["lang"][c] += count
            facets["year"][year] += count
        else:
            facets[a][b] += count
    top = [
        rowid
        for (rowid,) in conn.execute(
            f"SELECT fts.rowid FROM fts WHERE {where} "  # noqa: S608
            "ORDER BY bm25(fts, 3.0, 1.0, 0.0) LIMIT 10",
            params,
        )
    ]
    hits = []
    if top:
        marks = ", ".join("?" * len(top))
        snippets = dict(
            conn.execute(
                f"SELECT rowid, snippet(fts, 1, '<mark>', '</mark>', '…', {SNIPPET_TOKENS}) "  # noqa: S608
                f"FROM fts WHERE fts MATCH ? AND rowid IN ({marks})",
                [query.match, *top],
            )
        )
        meta = {
            row[0]: row
            for row in conn.execute(
                f"SELECT id, key, title, slug FROM docs WHERE id IN ({marks})",  # noqa: S608
                top,
            )
        }
        hits = [(meta[r][1], meta[r][2], snippets.get(r, "")) for r in top]
    return {"total": total, "facets": facets, "hits": hits}


# --- Timing --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Sample:
    wall: float
    cpu: float
    total: int
    shown: int


def time_whoosh(app, user, query: BenchQuery) -> Sample:
    req = query.request()
    with app.test_request_context("/search"):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        response = search(user, req)
        t1 = time.perf_counter()
        c1 = time.thread_time()
    return Sample(t1 - t0, c1 - c0, response.total, len(response.hits))


def time_fts(conn, acl, query: BenchQuery) -> Sample:
    req = query.request()
    c0 = time.thread_time()
    t0 = time.perf_counter()
    result = fts_search(conn, req, acl)
    t1 = time.perf_counter()
    c1 = time.thread_time()
    return Sample(t1 - t0, c1 - c0, result["total"], len(result["hits"]))


def run_queries(
    app, user, conn, acl, queries, passes: int, fts: bool = True, pg: tuple | None = None
) -> dict:
    """Pass 0 is the warm-up; Whoosh, FTS5 (and PostgreSQL) alternate query by query.

    ``pg`` is ``(app, user)`` of the PostgreSQL-backed app: the same ``service.search``
    (``time_whoosh`` times whichever backend the app is configured with).
    """
    order = list(range(len(queries)))
    random.Random(5).shuffle(order)
    whoosh_samples: dict[int, list[Sample]] = defaultdict(list)
    fts_samples: dict[int, list[Sample]] = defaultdict(list)
    pg_samples: dict[int, list[Sample]] = defaultdict(list)
    for p in range(passes + 1):
        started = time.perf_counter()
        for i in order:
            whoosh_samples[i].append(time_whoosh(app, user, queries[i]))
            if fts:
                fts_samples[i].append(time_fts(conn, acl, queries[i]))
            if pg is not None:
                pg_samples[i].append(time_whoosh(pg[0], pg[1], queries[i]))
        print(
            f"  pass {p} ({'warm-up' if p == 0 else 'timed'}): "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return {"whoosh": whoosh_samples, "fts": fts_samples, "pg": pg_samples}


def summarize(queries, samples: dict[int, list[Sample]], first: bool) -> dict:
    """Per kind: ms of the timed passes (and of the warm-up pass, the first time each query ran)."""
    out = {}
    for kind in KINDS:
        idx = [i for i, q in enumerate(queries) if q.kind == kind]
        if not idx or not samples:
            continue
        start = 1 if first else 0
        wall = [s.wall * 1000 for i in idx for s in samples[i][start:]]
        cpu = [s.cpu * 1000 for i in idx for s in samples[i][start:]]
        row = {
            "queries": len(idx),
            "samples": len(wall),
            "median_ms": statistics.median(wall),
            "p95_ms": percentile(wall, 0.95),
            "max_ms": max(wall),
            "cpu_median_ms": statistics.median(cpu),
            "cpu_p95_ms": percentile(cpu, 0.95),
            "zero_hit_queries": sum(1 for i in idx if samples[i][0].total == 0),
            "median_total": statistics.median(samples[i][0].total for i in idx),
        }
        if first:
            cold = [samples[i][0].wall * 1000 for i in idx]
            row["first_pass_median_ms"] = statistics.median(cold)
            row["first_pass_p95_ms"] = percentile(cold, 0.95)
        out[kind] = row
    return out


# --- Updates through the outbox ------------------------------------------------------------


def measure_updates(app, user, conn, corpus: Corpus, count: int) -> dict:
    """Save a page change (commit + outbox row), drain() it, search for the new word."""
    index = indexer.current_index(app)
    original_write = index.write
    write_times: list[float] = []
    outbox_times: list[float] = []

    def timed_write(docs, timeout):
        t0 = time.perf_counter()
        original_write(docs, timeout)
        write_times.append(time.perf_counter() - t0)

    def timed_after_flush(session, context):
        t0 = time.perf_counter()
        indexer._after_flush(session, context)
        outbox_times.append(time.perf_counter() - t0)

    index.write = timed_write  # this process only, to split drain() into its parts
    event.remove(Session, "after_flush", indexer._after_flush)
    event.listen(Session, "after_flush", timed_after_flush)
    rows = []
    step = max(1, corpus.size // (count * 3))
    candidates = (
        n
        for n in range(5, corpus.size, step)
        if corpus.entity(n) == "page" and corpus.meta(n).visible_to_reader()
    )
    try:
        for k, n in zip(range(count), candidates, strict=False):
            marker = f"updmark{k}z{corpus.seed}"
            with app.app_context():
                page = db.session.scalar(
                    select(Page)
                    .options(selectinload(Page.current_revision))
                    .where(Page.id == n + 1)
                )
                old = page.current_revision
                revision = Revision(
                    page_id=page.id,
                    number=old.number + 1,
                    kind="edit",
                    title=page.title,
                    source=old.source + f"Revised: {marker}.\n",
                    html=old.html + f"\n<p>Revised: {marker}.</p>",
                    toc_html="",
                    summary="benchmark edit",
                    author_id=user.id,
                    base_revision_id=old.id,
                )
                db.session.add(revision)
                page.current_revision = revision
                page.updated_at = utcnow()
                before = len(outbox_times)
                t0 = time.perf_counter()
                db.session.commit()
                t1 = time.perf_counter()
                outbox = sum(outbox_times[before:])
                writes_before = len(write_times)
                t2 = time.perf_counter()
                written = indexer.drain()
                t3 = time.perf_counter()
                whoosh_write = sum(write_times[writes_before:])
                doc = load_documents("page", [n + 1])[n + 1]
                db.session.remove()
            # FTS5: the same new document (analysis included), one transaction.
            t4 = time.perf_counter()
            fields = index_fields(doc)
            rowid = conn.execute("SELECT id FROM docs WHERE key = ?", (doc.key,)).fetchone()[0]
            conn.execute("BEGIN")
            conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
            conn.execute(
                "INSERT INTO fts (rowid, title, body, words) VALUES (?, ?, ?, ?)",
                (rowid, fields["title"], fields["body"], fields["words"]),
            )
            conn.execute("COMMIT")
            t5 = time.perf_counter()
            with app.test_request_context("/search"):
                t6 = time.perf_counter()
                response = search(user, SearchRequest(q=marker))
                t7 = time.perf_counter()
            found = [h.key for h in response.hits] == [f"page:{n + 1}"]
            rows.append(
                {
                    "save_commit_ms": (t1 - t0) * 1000,
                    "outbox_insert_ms": outbox * 1000,
                    "drain_ms": (t3 - t2) * 1000,
                    "whoosh_write_ms": whoosh_write * 1000,
                    "written": written,
                    "fts_update_ms": (t5 - t4) * 1000,
                    "first_search_ms": (t7 - t6) * 1000,
                    "found": found,
                }
            )
    finally:
        event.remove(Session, "after_flush", timed_after_flush)
        indexer.install_session_hooks()
        del index.write
    with app.app_context():
        view = indexer.current_index(app).view()
        segments = len(view.searcher.leaf_searchers())
        pending = indexer.pending_count()
        db.session.remove()
    summary = {"updates": len(rows), "segments_after": segments, "pending_after": pending}
    for key in (
        "save_commit_ms",
        "outbox_insert_ms",
        "drain_ms",
        "whoosh_write_ms",
        "fts_update_ms",
        "first_search_ms",
    ):
        values = [r[key] for r in rows]
        summary[key] = {
            "median": statistics.median(values),
            "p95": percentile(values, 0.95),
            "max": max(values),
        }
    summary["all_found"] = all(r["found"] for r in rows)
    summary["all_written_one"] = all(r["written"] == 1 for r in rows)
    return summary


def measure_pg_updates(app, user, corpus: Corpus, count: int) -> dict:
    """The same page saves as ``measure_updates`` on the PostgreSQL backend (other markers).

    The outbox row is written by the same session hook; ``drain()`` claims it, loads the
    document and upserts its ``search_documents`` row in the transaction that marks it done.
    """
    index = indexer.current_index(app)
    original_write = index.write
    write_times: list[float] = []

    def timed_write(docs, timeout):
        t0 = time.perf_counter()
        original_write(docs, timeout)
        write_times.append(time.perf_counter() - t0)

    index.write = timed_write
    rows = []
    step = max(1, corpus.size // (count * 3))
    candidates = (
        n
        for n in range(5, corpus.size, step)
        if corpus.entity(n) == "page" and corpus.meta(n).visible_to_reader()
    )
    try:
        for k, n in zip(range(count), candidates, strict=False):
            marker = f"pgupdmark{k}z{corpus.seed}"
            with app.app_context():
                page = db.session.scalar(
                    select(Page)
                    .options(selectinload(Page.current_revision))
                    .where(Page.id == n + 1)
                )
                old = page.current_revision
                revision = Revision(
                    page_id=page.id,
                    number=old.number + 1,
                    kind="edit",
                    title=page.title,
                    source=old.source + f"Revised: {marker}.\n",
                    html=old.html + f"\n<p>Revised: {marker}.</p>",
                    toc_html="",
                    summary="benchmark edit",
                    author_id=user.id,
                    base_revision_id=old.id,
                )
                db.session.add(revision)
                page.current_revision = revision
                page.updated_at = utcnow()
                t0 = time.perf_counter()
                db.session.commit()
                t1 = time.perf_counter()
                writes_before = len(write_times)
                t2 = time.perf_counter()
                written = indexer.drain()
                t3 = time.perf_counter()
                pg_write = sum(write_times[writes_before:])
                db.session.remove()
            with app.test_request_context("/search"):
                t6 = time.perf_counter()
                response = search(user, SearchRequest(q=marker))
                t7 = time.perf_counter()
            found = [h.key for h in response.hits] == [f"page:{n + 1}"]
            rows.append(
                {
                    "save_commit_ms": (t1 - t0) * 1000,
                    "drain_ms": (t3 - t2) * 1000,
                    "pg_write_ms": pg_write * 1000,
                    "first_search_ms": (t7 - t6) * 1000,
                    "written": written,
                    "found": found,
                }
            )
    finally:
        del index.write
    summary: dict = {"updates": len(rows)}
    for key in ("save_commit_ms", "drain_ms", "pg_write_ms", "first_search_ms"):
        values = [r[key] for r in rows]
        summary[key] = {
            "median": statistics.median(values),
            "p95": percentile(values, 0.95),
            "max": max(values),
        }
    summary["all_found"] = all(r["found"] for r in rows)
    summary["all_written_one"] = all(r["written"] == 1 for r in rows)
    return summary


# --- PostgreSQL ----------------------------------------------------------------------------


def pg_admin(base_url: str, statement: str) -> None:
    """Run CREATE/DROP DATABASE on the server's maintenance database (autocommit)."""
    import psycopg

    dsn = base_url.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)


def make_pg_app(workdir: Path, base_url: str, name: str):
    app = create_app(
        {
            "ENV_NAME": "development",
            "SECRET_KEY": secrets.token_hex(16),
            "SQLALCHEMY_DATABASE_URI": f"{base_url}/{name}",
            "SEARCH_BACKEND": "postgres",
            "SEARCH_INDEX_PATH": str(workdir / "search-index-unused"),
            "SEARCH_DISPATCH": "manual",
            "MAIL_BACKEND": "file",
            "RATELIMIT_ENABLED": False,
        }
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def build_pg(args, workdir: Path, corpus: Corpus) -> tuple:
    """Create, migrate, seed and index the PostgreSQL database; return (app, user, findings)."""
    found: dict = {"database": args.pg_name}
    pg_admin(args.pg_url, f'CREATE DATABASE "{args.pg_name}"')
    args.pg_created = True
    app = make_pg_app(workdir, args.pg_url, args.pg_name)
    t0 = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()
        load_demo_data()
        db.session.remove()
    found["migrate_seconds"] = time.perf_counter() - t0
    print(
        f"PostgreSQL {args.pg_name}: migrated and loaded accounts in "
        f"{found['migrate_seconds']:.1f} s",
        flush=True,
    )
    with app.app_context():
        found["seed"] = seed_database(corpus)
        db.session.remove()
    print(f"PostgreSQL: seeded {corpus.size:,} documents: {found['seed']}", flush=True)
    marks: list[float] = []
    with app.app_context():
        t0 = time.perf_counter()
        count = indexer.reindex(progress=lambda _n: marks.append(time.perf_counter()))
        t1 = time.perf_counter()
        db.session.execute(text("ANALYZE search_documents"))
        db.session.commit()
        t2 = time.perf_counter()
        size = db.session.scalar(text("SELECT pg_total_relation_size('search_documents')"))
        db.session.remove()
    total = t1 - t0
    found["reindex"] = {
        "documents": count,
        "seconds": total,
        "docs_per_second": count / total,
        "adding_seconds": (marks[-1] - t0) if marks else None,
        "commit_and_replay_seconds": (t1 - marks[-1]) if marks else None,
        "analyze_seconds": t2 - t1,
        "table_mb": size / 1e6,
    }
    print(
        f"PostgreSQL reindex(): {count:,} documents in {total:.1f} s = "
        f"{count / total:.0f} documents/s; search_documents {size / 1e6:.0f} MB "
        f"(with indexes); ANALYZE {t2 - t1:.1f} s",
        flush=True,
    )
    with app.app_context():
        user = db.session.scalar(
            select(User).options(selectinload(User.role_rows)).where(User.email == READER_EMAIL)
        )
        _ = user.roles, user.is_active
        db.session.expunge(user)
        db.session.remove()
    return app, user, found


def drop_pg(args, app=None) -> None:
    if app is not None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if args.keep:
        print(f"Kept PostgreSQL database {args.pg_name}")
        return
    pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{args.pg_name}" WITH (FORCE)')
    print(f"Dropped PostgreSQL database {args.pg_name}")


# --- Profiling -----------------------------------------------------------------------------


def profile_kind(app, user, queries, samples, kind: str, top_queries: int = 10) -> str:
    """cProfile the slowest queries of one kind (one run each, warm), as text."""
    idx = [i for i, q in enumerate(queries) if q.kind == kind]
    idx.sort(key=lambda i: -statistics.median(s.wall for s in samples[i][1:] or samples[i]))
    chosen = idx[:top_queries]
    lines = [f"Slowest {len(chosen)} '{KIND_LABELS[kind]}' queries (median of the timed passes):"]
    for i in chosen:
        ms = statistics.median(s.wall * 1000 for s in samples[i][1:] or samples[i])
        lines.append(f"  {ms:8.1f} ms  hits {samples[i][0].total:6d}  {queries[i].describe()}")
    profiler = cProfile.Profile()
    for i in chosen:
        req = queries[i].request()
        with app.test_request_context("/search"):
            profiler.enable()
            search(user, req)
            profiler.disable()
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.strip_dirs().sort_stats(order).print_stats(28)
        body = buffer.getvalue()
        body = body[body.find("   ncalls") :] if "   ncalls" in body else body
        lines.append(f"\ncProfile of those {len(chosen)} searches, sorted by {order}:")
        lines.append(body.rstrip())
    return "\n".join(lines)


# --- Machine and load ----------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = match.group(1).strip() if match else cpu
    memory = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
        memory = f"{int(match.group(1)) / 1024**2:.1f} GiB" if match else memory
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "whoosh": whoosh.versionstring(),
        "platform": platform.platform(),
    }


def cpu_sample() -> tuple[float, float, float]:
    """(wall, machine busy CPU s, this process's CPU s)."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, _steal = fields
    own = resource.getrusage(resource.RUSAGE_SELF)
    return (
        time.monotonic(),
        (user + nice + system + irq + softirq) / ticks,
        own.ru_utime + own.ru_stime,
    )


def other_load(start, end) -> dict[str, float]:
    return {
        "wall_s": round(end[0] - start[0], 1),
        "own_cpu_s": round(end[2] - start[2], 1),
        "other_processes_cpu_s": round(max(0.0, (end[1] - start[1]) - (end[2] - start[2])), 1),
    }


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- Output --------------------------------------------------------------------------------


def fmt(value: float) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def query_table(
    whoosh_rows: dict, fts_rows: dict, after_rows: dict, pg_rows: dict | None = None
) -> str:
    pg_head, pg_rule = (
        (" | PostgreSQL backend median / p95 ms | PG first pass median / p95 ms", "---:|---:|")
        if pg_rows is not None
        else ("", "")
    )
    lines = [
        "| query kind | queries | hits (median) | Exchange median ms | p95 ms | max ms "
        "| CPU median ms | first pass median / p95 ms | p95 after updates ms "
        f"| FTS5 median ms | FTS5 p95 ms | median ratio | p95 <= 50 ms{pg_head} |",
        f"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|{pg_rule}",
    ]
    for kind in KINDS:
        w = whoosh_rows.get(kind)
        if w is None:
            continue
        f = fts_rows.get(kind, {})
        a = after_rows.get(kind, {})
        ratio = w["median_ms"] / f["median_ms"] if f.get("median_ms") else float("nan")
        pg_cells = ""
        if pg_rows is not None:
            g = pg_rows.get(kind)
            pg_cells = (
                f" | {fmt(g['median_ms'])} / {fmt(g['p95_ms'])} "
                f"| {fmt(g['first_pass_median_ms'])} / {fmt(g['first_pass_p95_ms'])}"
                if g
                else " | - | -"
            )
        lines.append(
            f"| {KIND_LABELS[kind]} | {w['queries']} | {w['median_total']:,.0f} "
            f"| {fmt(w['median_ms'])} | {fmt(w['p95_ms'])} | {fmt(w['max_ms'])} "
            f"| {fmt(w['cpu_median_ms'])} "
            f"| {fmt(w['first_pass_median_ms'])} / {fmt(w['first_pass_p95_ms'])} "
            f"| {fmt(a.get('p95_ms', float('nan')))} "
            f"| {fmt(f.get('median_ms', float('nan')))} | {fmt(f.get('p95_ms', float('nan')))} "
            f"| {ratio:.1f}x | {'yes' if w['p95_ms'] <= GOAL_P95_MS else '**no**'}{pg_cells} |"
        )
    return "\n".join(lines)


def label_table(queries, whoosh_samples, fts_samples, pg_samples=None) -> str:
    """Median / p95 by sub-kind (term frequency band, field, facet), timed passes only."""
    lines = [
        "| query kind | sub-kind | queries | Exchange median / p95 ms | FTS5 median / p95 ms |"
        + (" PostgreSQL median / p95 ms |" if pg_samples else ""),
        "|---|---|---:|---:|---:|" + ("---:|" if pg_samples else ""),
    ]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, q in enumerate(queries):
        groups[(q.kind, q.label or "-")].append(i)
    for kind in KINDS:
        for (k, label), idx in groups.items():
            if k != kind:
                continue
            w = [s.wall * 1000 for i in idx for s in whoosh_samples[i][1:]]
            f = [s.wall * 1000 for i in idx for s in fts_samples[i][1:]]
            extra = ""
            if pg_samples:
                g = [s.wall * 1000 for i in idx for s in pg_samples[i][1:]]
                extra = f" {fmt(statistics.median(g))} / {fmt(percentile(g, 0.95))} |"
            lines.append(
                f"| {KIND_LABELS[kind]} | {label} | {len(idx)} "
                f"| {fmt(statistics.median(w))} / {fmt(percentile(w, 0.95))} "
                f"| {fmt(statistics.median(f))} / {fmt(percentile(f, 0.95))} |{extra}"
            )
    return "\n".join(lines)


def update_table(u: dict) -> str:
    names = {
        "save_commit_ms": "save: commit of the page change (flush + outbox insert + COMMIT)",
        "outbox_insert_ms": "  of which the outbox insert (session hook)",
        "drain_ms": "drain() of that one document (claim, load, index, mark done)",
        "whoosh_write_ms": "  of which the Whoosh write (writer, update_document, commit)",
        "first_search_ms": "first search after the update (finds the new word)",
        "fts_update_ms": "FTS5: the same document re-indexed (analysis + delete + insert)",
    }
    lines = ["| step | median ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    for key, name in names.items():
        v = u[key]
        lines.append(f"| {name} | {fmt(v['median'])} | {fmt(v['p95'])} | {fmt(v['max'])} |")
    return "\n".join(lines)


def pg_report(findings: dict) -> list[str]:
    if "postgres" not in findings:
        return []
    p = findings["postgres"]
    r = p["reindex"]
    u = findings["pg_updates"]
    names = {
        "save_commit_ms": "save: commit of the page change (flush + outbox insert + COMMIT)",
        "drain_ms": "drain() of that one document (claim, load, upsert, mark done, COMMIT)",
        "pg_write_ms": "  of which PostgresIndex.write (the upsert, before the COMMIT)",
        "first_search_ms": "first search after the update (finds the new word)",
    }
    lines = [
        "PostgreSQL backend (SEARCH_BACKEND=postgres, same rows, same service.search, same "
        "reader): hit totals equal to Whoosh's (per kind): "
        + ", ".join(f"{KIND_LABELS[k]} {v}" for k, v in findings["pg_hit_totals_agree"].items()),
        "",
        f"PostgreSQL reindex(): {r['documents']:,} documents in {r['seconds']:.1f} s = "
        f"{r['docs_per_second']:.0f} documents/s (adding {r['adding_seconds']:.1f} s, commit + "
        f"replay {r['commit_and_replay_seconds']:.1f} s; then ANALYZE {r['analyze_seconds']:.1f} "
        f"s); search_documents {r['table_mb']:.0f} MB with its indexes. Seeding the rows: "
        f"{p['seed']['seconds']:.1f} s.",
        "",
        f"PostgreSQL single-document updates ({u['updates']} page saves; every update found by "
        f"the next search: {'yes' if u['all_found'] else '**no**'}):",
        "",
        "| step | median ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for key, name in names.items():
        v = u[key]
        lines.append(f"| {name} | {fmt(v['median'])} | {fmt(v['p95'])} | {fmt(v['max'])} |")
    lines.append("")
    return lines


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=None, help="documents (default 50,000)")
    parser.add_argument("--quick", action="store_true", help="5,000 documents, 1 timed pass")
    parser.add_argument("--queries", type=int, default=50, help="queries per kind (default 50)")
    parser.add_argument("--passes", type=int, default=None, help="timed passes (default 3)")
    parser.add_argument("--updates", type=int, default=None, help="single-document updates")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="profile every kind")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (and PostgreSQL database)"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also build and query the PostgreSQL backend on the same corpus",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without a database (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    args.pg_name = f"exchange_search_bench_{uuid.uuid4().hex[:10]}"
    args.pg_created = False
    args.docs = args.docs or (5_000 if args.quick else 50_000)
    args.passes = args.passes or (1 if args.quick else 3)
    args.updates = args.updates or (10 if args.quick else 30)
    return args


def make_app(workdir: Path):
    os.environ["EXCHANGE_INSTANCE_PATH"] = str(workdir / "instance")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("SEARCH_INDEX_PATH", None)
    app = create_app(
        {
            "ENV_NAME": "development",
            "SECRET_KEY": secrets.token_hex(16),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'exchange.sqlite3'}",
            "SEARCH_INDEX_PATH": str(workdir / "search-index"),
            "SEARCH_DISPATCH": "manual",
            "MAIL_BACKEND": "file",
            "RATELIMIT_ENABLED": False,
        }
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def run(args, workdir: Path) -> dict:
    findings: dict = {}
    app = make_app(workdir)
    t0 = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()
        load_demo_data()
        db.session.remove()
    print(f"Migrated and loaded institutes and accounts: {time.perf_counter() - t0:.1f} s")

    corpus = Corpus(args.docs, args.seed)
    with app.app_context():
        findings["seed"] = seed_database(corpus)
        db.session.remove()
    print(f"Seeded {args.docs:,} documents: {findings['seed']}", flush=True)

    # 1. The index, through the real path.
    marks: list[float] = []
    with app.app_context():
        t0 = time.perf_counter()
        count = indexer.reindex(progress=lambda _n: marks.append(time.perf_counter()))
        t1 = time.perf_counter()
        folder = indexer.current_index(app).current()
        db.session.remove()
    total = t1 - t0
    findings["reindex"] = {
        "documents": count,
        "seconds": total,
        "docs_per_second": count / total,
        "adding_seconds": (marks[-1] - t0) if marks else None,
        "commit_and_swap_seconds": (t1 - marks[-1]) if marks else None,
        "index_mb": folder_size(folder) / 1e6,
        "goal_seconds_for_this_size": REINDEX_GOAL_S * count / REINDEX_GOAL_DOCS,
    }
    print(
        f"reindex(): {count:,} documents in {total:.1f} s = {count / total:.0f} documents/s "
        f"(adding {findings['reindex']['adding_seconds']:.1f} s, commit "
        f"{findings['reindex']['commit_and_swap_seconds']:.1f} s); index "
        f"{findings['reindex']['index_mb']:.0f} MB",
        flush=True,
    )

    # 2. FTS5 on the same documents and terms.
    conn, fts_stats = build_fts(app, workdir / "fts.sqlite3")
    findings["fts_build"] = fts_stats
    print(f"FTS5 build: {fts_stats}", flush=True)

    # 2b. The PostgreSQL backend on the same rows.
    pg = None
    if args.postgres:
        pg_app, pg_user, findings["postgres"] = build_pg(args, workdir, corpus)
        args.pg_app = pg_app
        pg = (pg_app, pg_user)

    # 3. Queries.
    t0 = time.perf_counter()
    queries = make_queries(corpus, args.queries, args.seed)
    print(f"Made {len(queries)} queries in {time.perf_counter() - t0:.1f} s", flush=True)
    with app.app_context():
        user = db.session.scalar(
            select(User).options(selectinload(User.role_rows)).where(User.email == READER_EMAIL)
        )
        _ = user.roles, user.is_active
        db.session.expunge(user)
        db.session.remove()
    from exchange import access

    acl = access.acl_tokens(user)
    print(f"Queries as {READER_EMAIL}, ACL tokens {sorted(acl)}", flush=True)
    samples = run_queries(app, user, conn, acl, queries, args.passes, pg=pg)
    findings["whoosh"] = summarize(queries, samples["whoosh"], first=True)
    findings["fts"] = summarize(queries, samples["fts"], first=True)
    if pg is not None:
        findings["pg"] = summarize(queries, samples["pg"], first=True)
        pg_agree = Counter()
        for i, q in enumerate(queries):
            pg_agree[(q.kind, samples["whoosh"][i][0].total == samples["pg"][i][0].total)] += 1
        findings["pg_hit_totals_agree"] = {
            kind: f"{pg_agree[(kind, True)]}/{pg_agree[(kind, True)] + pg_agree[(kind, False)]}"
            for kind in KINDS
        }
    agree = Counter()
    for i, q in enumerate(queries):
        same = samples["whoosh"][i][0].total == samples["fts"][i][0].total
        agree[(q.kind, same)] += 1
    findings["hit_totals_agree"] = {
        kind: f"{agree[(kind, True)]}/{agree[(kind, True)] + agree[(kind, False)]}"
        for kind in KINDS
    }

    # 4. Updates through the outbox, then one more pass on the index with its new segments.
    findings["updates"] = measure_updates(app, user, conn, corpus, args.updates)
    if pg is not None:
        findings["pg_updates"] = measure_pg_updates(pg[0], pg[1], corpus, args.updates)
    print("Queries again after the updates (Exchange only, one warm-up, one timed pass):")
    after = run_queries(app, user, conn, acl, queries, 1, fts=False)
    findings["whoosh_after_updates"] = summarize(queries, after["whoosh"], first=True)

    # 5. Profiles of the kinds that miss the goal.
    profiles = {}
    for kind in KINDS:
        row = findings["whoosh"].get(kind)
        if row and (args.profile or row["p95_ms"] > GOAL_P95_MS):
            profiles[kind] = profile_kind(app, user, queries, samples["whoosh"], kind)
    findings["profiles"] = profiles
    findings["label_table"] = label_table(
        queries, samples["whoosh"], samples["fts"], samples["pg"] if pg else None
    )
    findings["queries"] = [
        {
            "kind": q.kind,
            "label": q.label,
            "q": q.q,
            "filters": q.filters,
            "whoosh_ms": [round(s.wall * 1000, 2) for s in samples["whoosh"][i]],
            "fts_ms": [round(s.wall * 1000, 2) for s in samples["fts"][i]],
            "whoosh_total": samples["whoosh"][i][0].total,
            "fts_total": samples["fts"][i][0].total,
            **(
                {
                    "pg_ms": [round(s.wall * 1000, 2) for s in samples["pg"][i]],
                    "pg_total": samples["pg"][i][0].total,
                }
                if pg
                else {}
            ),
        }
        for i, q in enumerate(queries)
    ]
    conn.close()
    with app.app_context():
        indexer.current_index(app).close()
    return findings


def report(args, findings: dict, started: dt.datetime, load: dict) -> str:
    r = findings["reindex"]
    f = findings["fts_build"]
    u = findings["updates"]
    out = [
        f"Search benchmark, {started:%Y-%m-%d %H:%M %Z}: {args.docs:,} documents, "
        f"{args.queries} queries per kind, 1 warm-up + {args.passes} timed passes, "
        f"seed {args.seed}",
        "",
        query_table(
            findings["whoosh"],
            findings["fts"],
            findings["whoosh_after_updates"],
            findings.get("pg"),
        ),
        "",
        findings["label_table"],
        "",
        "Hit totals equal in Exchange and FTS5 (per kind): "
        + ", ".join(f"{KIND_LABELS[k]} {v}" for k, v in findings["hit_totals_agree"].items()),
        "",
        f"reindex(): {r['documents']:,} documents in {r['seconds']:.1f} s = "
        f"{r['docs_per_second']:.0f} documents/s (adding {r['adding_seconds']:.1f} s, final "
        f"commit + swap + replay {r['commit_and_swap_seconds']:.1f} s); goal for this size "
        f"{r['goal_seconds_for_this_size']:.0f} s: "
        f"{'met' if r['seconds'] <= r['goal_seconds_for_this_size'] else '**missed**'}; "
        f"index {r['index_mb']:.0f} MB on disk.",
        f"  Timed again separately while loading FTS5: reading rows + building documents "
        f"(iter_all) {f['read_documents']:.1f} s, index_fields (analysis, shingles) "
        f"{f['index_fields']:.1f} s; so Whoosh itself (add_document + commit) took about "
        f"{r['seconds'] - f['read_documents'] - f['index_fields']:.1f} s of the rebuild.",
        f"SQLite FTS5 load of the same terms: {f['fts_seconds']:.1f} s "
        f"(insert {f['fts_insert']:.1f} s, optimize + analyze {f['fts_optimize']:.1f} s), "
        f"database {f['size_mb']:.0f} MB.",
        "",
        f"Single-document updates through the outbox ({u['updates']} page saves; "
        f"{u['segments_after']} index segments after them; every update found by the next "
        f"search: {'yes' if u['all_found'] else '**no**'}):",
        "",
        update_table(u),
        "",
        *pg_report(findings),
        f"Machine: {load['machine']['cpus']} CPUs ({load['machine']['cpu_model']}), "
        f"{load['machine']['memory']}, Python {load['machine']['python']}, SQLite "
        f"{load['machine']['sqlite']}, Whoosh {load['machine']['whoosh']}. Run: "
        f"{load['wall_s']:.0f} s wall, {load['own_cpu_s']:.0f} s CPU of this process, "
        f"{load['other_processes_cpu_s']:.0f} s CPU of other processes.",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now().astimezone()
    begin = cpu_sample()
    workdir = Path(tempfile.mkdtemp(prefix="exchange-search-bench-"))
    print(f"Temporary folder: {workdir}", flush=True)
    try:
        findings = run(args, workdir)
    finally:
        if args.pg_created:
            try:
                drop_pg(args, getattr(args, "pg_app", None))
            except Exception as exc:
                print(f"Could not drop PostgreSQL database {args.pg_name}: {exc}")
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    load = {**other_load(begin, cpu_sample()), "machine": machine()}
    text_report = report(args, findings, started, load)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"search-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(
        json.dumps(
            jsonable(
                {
                    "started": started.isoformat(),
                    "settings": {k: v for k, v in vars(args).items() if k != "pg_app"},
                    "run": load,
                    **findings,
                }
            ),
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    print()
    print(text_report)
    for kind, profile in findings["profiles"].items():
        print(f"\n### Profile: {KIND_LABELS[kind]}\n")
        print(profile)
    print(f"\nDetails: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

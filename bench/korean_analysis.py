"""Korean analysis benchmark: recall and precision of candidate analyzers in a real Whoosh index.

Runs every candidate over the Korean test set (tests/search/korean_eval_set.py): builds an
in-memory Whoosh index (RamStorage) of the documents, runs every query, and compares the hits
with the hand-judged relevant documents. Recall and precision are micro-averaged over the
queries (relevant hits / relevant documents, relevant hits / all hits). Timing: building an
index of the documents repeated --copies times, and the median time of one query over
--passes passes of all queries on that index.

    .venv/bin/python bench/korean_analysis.py            # table
    .venv/bin/python bench/korean_analysis.py --details  # plus each miss and false hit

kiwipiepy (morpheme analysis) is measured too when it can be imported. It is not a project
dependency; to include it: ``pip install --target /tmp/kiwi kiwipiepy`` and pass
``--kiwi-path /tmp/kiwi`` (the model ships on PyPI as kiwipiepy_model; no download at run time).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from whoosh import fields, qparser  # noqa: E402
from whoosh.analysis import StandardAnalyzer, Token, Tokenizer  # noqa: E402
from whoosh.filedb.filestore import RamStorage  # noqa: E402
from whoosh.query import And, NullQuery, Phrase, Query, Term  # noqa: E402

from exchange.search import analysis  # noqa: E402
from tests.search.korean_eval_set import DOCS, QUERIES  # noqa: E402

FIELD = "body"
Groups = list[list[str]]


# --- Analysis variants ---------------------------------------------------------------------


def bigram_groups(query: str) -> Groups:
    """Pure bigrams: the query word is analysed exactly like the index (no stripping)."""
    return [g for g in (analysis.tokens(w) for w in query.split()) if g]


def _strip_unprotected(run: str, sound_rule: bool = True) -> str:
    for suffix in analysis.KOREAN_SUFFIXES:
        stem_len = len(run) - len(suffix)
        if stem_len < 2 or not run.endswith(suffix):
            continue
        if not sound_rule or analysis._agrees(run[stem_len - 1], suffix):
            return run[:stem_len]
    return run


def _strip_terms_unprotected(word: str, sound_rule: bool = True) -> list[str]:
    out = []
    for run in analysis._runs(word):
        if run.script != analysis.HANGUL:
            out.extend(analysis.tokens(run.text))
            continue
        if analysis._is_attached_particle(run):
            continue
        out.extend(analysis.tokens(_strip_unprotected(run.text, sound_rule)))
    return out


def unprotected_groups(query: str) -> Groups:
    """Query-side stripping without the protected-noun list."""
    return [g for g in (_strip_terms_unprotected(w) for w in query.split()) if g]


def plain_strip_groups(query: str) -> Groups:
    """Query-side stripping with neither the sound rule nor the protected-noun list."""
    return [g for g in (_strip_terms_unprotected(w, False) for w in query.split()) if g]


def cover_groups(query: str) -> Groups:
    """Query-side stripping, then only the bigrams needed to cover the stem (개인, 정보)."""
    out = []
    for group in analysis.query_terms(query):
        if len(group) > 2 and all(len(t) == 2 and not t.isascii() for t in group):
            keep = group[::2]
            if len(group) % 2 == 0:
                keep.append(group[-1])
            group = keep
        out.append(group)
    return out


def index_query_side(text: str) -> list[str]:
    """Stripping on both sides: the index also drops each run's trailing particle."""
    return analysis.tokens(text, mode="query")


INDEX_FUNCTIONS: dict[str, Callable[[str], list[str]]] = {
    "tokens": analysis.tokens,
    "tokens-query-mode": index_query_side,
}


class FunctionTokenizer(Tokenizer):
    """Indexes the terms of a named function above (picklable, as Whoosh pickles schemas)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, value, positions=False, chars=False, mode="", start_pos=0, **kwargs):
        t = Token(positions, chars, mode=mode, **kwargs)
        for i, text in enumerate(INDEX_FUNCTIONS[self.name](value)):
            t.text, t.boost, t.stopped = text, 1.0, False
            if positions:
                t.pos = start_pos + i
            yield t


# --- kiwipiepy (optional) ------------------------------------------------------------------

_KIWI = None
KIWI_KEEP_TAGS = {"NNG", "NNP", "NR", "XR", "SL", "SN", "SH", "XSN"}


def kiwi():
    global _KIWI
    if _KIWI is None:
        from kiwipiepy import Kiwi

        _KIWI = Kiwi()
    return _KIWI


def kiwi_terms(text: str) -> list[str]:
    out = []
    for tok in kiwi().tokenize(text):
        if tok.tag not in KIWI_KEEP_TAGS or (tok.tag == "XSN" and tok.form == "들"):
            continue
        out.extend(analysis.tokens(tok.form) if tok.tag == "SL" else [tok.form])
    return out


def kiwi_groups(query: str) -> Groups:
    return [g for g in (kiwi_terms(w) for w in query.split()) if g]


class KiwiTokenizer(Tokenizer):
    """Kiwi morphemes: nouns, roots, noun suffixes, foreign words (stemmed), numbers."""

    def __call__(self, value, positions=False, chars=False, mode="", start_pos=0, **kwargs):
        t = Token(positions, chars, mode=mode, **kwargs)
        for i, text in enumerate(kiwi_terms(value)):
            t.text, t.boost, t.stopped = text, 1.0, False
            if positions:
                t.pos = start_pos + i
            yield t


# --- Candidates ----------------------------------------------------------------------------


@dataclass
class Candidate:
    name: str
    make_analyzer: Callable[[], object]
    # Builds the query; None means Whoosh's QueryParser over the field (AND of the words).
    groups: Callable[[str], Groups] | None = None
    phrase: bool = False
    multitoken_query: str = "default"


def build_query(c: Candidate, schema: fields.Schema, text: str) -> Query:
    if c.groups is None:
        return qparser.QueryParser(FIELD, schema).parse(text)
    parts: list[Query] = []
    for group in c.groups(text):
        if c.phrase and len(group) > 1:
            parts.append(Phrase(FIELD, group))
        else:
            parts.append(And([Term(FIELD, t) for t in group]))
    return And(parts) if parts else NullQuery


def candidates(with_kiwi: bool) -> list[Candidate]:
    out = [
        Candidate("Whoosh StandardAnalyzer (default)", StandardAnalyzer),
        Candidate("bigrams, same analysis both sides", analysis.analyzer, bigram_groups),
        Candidate(
            "bigrams + query-side particle stripping [chosen]",
            analysis.analyzer,
            analysis.query_terms,
        ),
        Candidate(
            "  same, via QueryParser and text_field()",
            analysis.analyzer,
            None,
            multitoken_query="and",
        ),
        Candidate(
            "  same, each word's bigrams as a phrase",
            analysis.analyzer,
            analysis.query_terms,
            phrase=True,
        ),
        Candidate(
            "  same, without the protected-noun list",
            analysis.analyzer,
            unprotected_groups,
        ),
        Candidate(
            "  same, no protected nouns, no sound rule",
            analysis.analyzer,
            plain_strip_groups,
        ),
        Candidate(
            "  same, only bigrams covering the stem",
            analysis.analyzer,
            cover_groups,
        ),
        Candidate(
            "bigrams + stripping on both sides",
            lambda: FunctionTokenizer("tokens-query-mode"),
            analysis.query_terms,
        ),
    ]
    if with_kiwi:
        out.append(Candidate("kiwipiepy morphemes (nouns, roots)", KiwiTokenizer, kiwi_groups))
    return out


# --- Measurement ---------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    recall: float
    precision: float
    hits: int
    relevant: int
    retrieved: int
    zero_hit_queries: int
    index_s: float
    query_ms: float
    details: list[str]


def make_index(c: Candidate, docs: dict[str, str]):
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        body=fields.TEXT(analyzer=c.make_analyzer(), multitoken_query=c.multitoken_query),
    )
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        for doc_id, text in docs.items():
            w.add_document(id=doc_id, body=text)
    return ix


def measure(c: Candidate, copies: int, passes: int) -> Result:
    ix = make_index(c, DOCS)
    hits = relevant = retrieved = zero = 0
    details = []
    with ix.searcher() as s:
        for text, rel in QUERIES:
            q = build_query(c, ix.schema, text)
            found = {hit["id"] for hit in s.search(q, limit=None)}
            hits += len(found & rel)
            relevant += len(rel)
            retrieved += len(found)
            zero += not found
            for d in sorted(rel - found):
                details.append(f"miss       {text!r:22} {d} {DOCS[d]}")
            for d in sorted(found - rel):
                details.append(f"false hit  {text!r:22} {d} {DOCS[d]}")

    big = {f"{d}-{i}": t for i in range(copies) for d, t in DOCS.items()}
    t0 = time.perf_counter()
    ix = make_index(c, big)
    index_s = time.perf_counter() - t0
    samples = []
    with ix.searcher() as s:
        queries = [build_query(c, ix.schema, text) for text, _ in QUERIES]
        for q in queries:  # warm-up
            s.search(q, limit=10)
        for _ in range(passes):
            for text, _ in QUERIES:
                t0 = time.perf_counter()
                q = build_query(c, ix.schema, text)
                list(s.search(q, limit=10))
                samples.append(time.perf_counter() - t0)
    return Result(
        c.name,
        hits / relevant,
        hits / retrieved if retrieved else 0.0,
        hits,
        relevant,
        retrieved,
        zero,
        index_s,
        statistics.median(samples) * 1000,
        details,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=20, help="document copies for timing")
    ap.add_argument("--passes", type=int, default=5, help="timed passes over the queries")
    ap.add_argument("--details", action="store_true", help="print misses and false hits")
    ap.add_argument("--kiwi-path", help="directory holding kiwipiepy (pip install --target)")
    args = ap.parse_args(argv)

    if args.kiwi_path:
        sys.path.append(args.kiwi_path)
    with_kiwi = True
    kiwi_load = ""
    try:
        t0 = time.perf_counter()
        kiwi()
        kiwi_load = f"kiwipiepy model load: {time.perf_counter() - t0:.2f} s (once per process)"
    except ImportError:
        with_kiwi = False
        kiwi_load = "kiwipiepy not importable: skipped (see --kiwi-path)"

    nrel = sum(len(r) for _, r in QUERIES)
    print(
        f"Korean test set: {len(DOCS)} documents, {len(QUERIES)} queries, "
        f"{nrel} relevant (query, document) pairs; timing on {len(DOCS) * args.copies} "
        f"documents ({args.copies} copies), {args.passes} passes"
    )
    print(kiwi_load)
    header = (
        f"| {'Analyzer':50} | Recall | Precision | Hits / relevant / retrieved | "
        f"0-hit queries | Index build, s | Query median, ms |"
    )
    print(header)
    print("|" + "|".join("-" * (len(p)) for p in header.split("|")[1:-1]) + "|")
    for c in candidates(with_kiwi):
        r = measure(c, args.copies, args.passes)
        counts = f"{r.hits} / {r.relevant} / {r.retrieved}"
        print(
            f"| {r.name:50} | {r.recall:.3f}  | {r.precision:.3f}     | {counts:27} | "
            f"{r.zero_hit_queries:13} | {r.index_s:14.2f} | {r.query_ms:16.2f} |"
        )
        if args.details and r.details:
            for line in r.details:
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Search analysis: English stemming, Korean bigrams, query-side particle stripping, and one
set of terms for the Whoosh analyzer and the plain tokens() function."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from whoosh import fields, qparser
from whoosh.filedb.filestore import RamStorage
from whoosh.query import And, NullQuery, Phrase, Term

from exchange.search.analysis import (
    KOREAN_SUFFIXES,
    PROTECTED_NOUNS,
    analyze,
    analyzer,
    index_terms,
    marked_terms,
    query_terms,
    stem,
    strip_korean_suffix,
    surface_word,
    text_field,
    tokens,
)
from tests.search.korean_eval_set import DOCS, QUERIES

ROOT = Path(__file__).resolve().parents[2]

# Strings for comparing the Whoosh analyzer with tokens(): every script and edge case we know.
CORPUS = [
    *DOCS.values(),
    *(q for q, _ in QUERIES),
    "",
    "   ",
    "the of and",
    "Evaluating LLMs: the evaluations were evaluated, an evaluator evaluates.",
    "GPT-4o를 (jailbreak)을 API에서 'LLM'의 “탈옥”을",
    "version 2.7.5, e.g. 3.14 and x_y_z under_score",
    "評価 データ 日本語のプロンプト 中文评估",
    "\uff2c\uff2c\uff2d \ufb01nal \uff25valuation",  # full-width letters, fi ligature
    unicodedata.normalize("NFD", "탈옥을 평가에서"),
    "ㅋㅋ 팀 이 모델",
    "a" * 80 + " " + "b" * 10,
    "레드팀이탈옥을평가했다모델의거부율",
    "Résumé of naïve models, Ångström",
    "sk-abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789",
]


def whoosh_terms(text: str, mode: str = "index") -> list[str]:
    return [t.text for t in analyzer()(text, mode=mode)]


def make_index(docs: dict[str, str]):
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), body=text_field(stored=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        for doc_id, text in docs.items():
            w.add_document(id=doc_id, body=text)
    return ix


def terms_query(text: str, field: str = "body"):
    """The query a backend builds from query_terms(): AND over words, AND within a word."""
    groups = query_terms(text)
    if not groups:
        return NullQuery
    return And([And([Term(field, t) for t in group]) for group in groups])


def search_ids(ix, q) -> set[str]:
    with ix.searcher() as s:
        return {hit["id"] for hit in s.search(q, limit=None)}


# --- English -------------------------------------------------------------------------------


def test_english_stemming_maps_inflections_to_one_term():
    forms = ["evaluate", "evaluating", "evaluated", "evaluations", "evaluation", "Evaluates"]
    assert {tuple(tokens(f)) for f in forms} == {("evalu",)}
    assert tokens("jailbreaks jailbreaking") == ["jailbreak", "jailbreak"]
    assert tokens("refusal refused") == ["refus", "refus"]


def test_stop_words_and_one_letter_words_are_dropped():
    assert tokens("The results of an evaluation of the model") == ["result", "evalu", "model"]
    assert tokens("a b c x 4") == ["4"]  # single digits stay searchable (GPT 4)


def test_case_folding_and_acronym_plurals():
    assert tokens("LLM llm Llm LLMs \uff2c\uff2c\uff2d") == ["llm"] * 5
    assert tokens("APIs GPUs") == ["api", "gpu"]


def test_numbers_and_versions_are_kept_whole():
    assert tokens("Whoosh 2.7.5 and GPT-4o") == ["whoosh", "2.7.5", "gpt", "4o"]


def test_overlong_words_are_not_indexed():
    assert tokens("a" * 80 + " real") == ["real"]


# --- Korean and other CJK scripts ----------------------------------------------------------


def test_hangul_runs_become_bigrams():
    assert tokens("안전성을") == ["안전", "전성", "성을"]
    assert tokens("탈옥 평가에서") == ["탈옥", "평가", "가에", "에서"]
    assert tokens("팀") == ["팀"]  # one-syllable run: the syllable itself


def test_japanese_and_chinese_runs_become_bigrams():
    assert tokens("日本語") == ["日本", "本語"]
    assert tokens("評価") == ["評価"]
    assert tokens("中") == ["中"]


def test_mixed_text_is_analysed_token_by_token():
    assert tokens("LLM 평가에서 Jailbreaks를 evaluating 評価") == [
        "llm",
        "평가",
        "가에",
        "에서",
        "jailbreak",
        "evalu",
        "評価",
    ]


def test_particle_written_straight_after_another_word_is_dropped():
    # Not indexed as a term of its own: LLM의 -> llm, 'GPT-4o'를 -> gpt 4o, "탈옥"을 -> 탈옥
    assert tokens("LLM의 'GPT-4o'를 “탈옥”을 API에서") == ["llm", "gpt", "4o", "탈옥", "api"]
    # A standalone one-syllable word is kept.
    assert tokens("이 모델") == ["이", "모델"]


def test_decomposed_hangul_is_composed_first():
    assert tokens(unicodedata.normalize("NFD", "탈옥을")) == tokens("탈옥을")


# --- Query side ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "stem_"),
    [
        ("탈옥을", "탈옥"),
        ("평가에서", "평가"),
        ("모델의", "모델"),
        ("거부율이", "거부율"),
        ("안전성과", "안전성"),
        ("모델들이", "모델"),
        ("프롬프트로", "프롬프트"),
        ("기준으로", "기준"),
        ("에이전트에서는", "에이전트"),
        ("평가했다", "평가"),
        ("공유된", "공유"),
        ("탈옥이라는", "탈옥"),
        ("모델로", "모델"),  # 로 after ㄹ
        ("데이터를", "데이터"),
        # a suffix that does not agree with the sound before it is no particle
        ("전문가", "전문가"),
        ("보안전문가", "보안전문가"),
        ("전문가가", "전문가"),
        ("안전성평가", "안전성평가"),
        ("연구효과", "연구효과"),
        ("모델차이", "모델차이"),
        ("이동경로", "이동경로"),
        # protected nouns keep their last syllable; a particle after them is still removed
        ("정확도", "정확도"),
        ("정확도를", "정확도"),
        ("사전동의", "사전동의"),
        ("평가결과", "평가결과"),
        ("탈옥시도", "탈옥시도"),
        # nouns ending in 인 (원인, 요인, 한국인) are left alone: 인 is not stripped
        ("사고원인", "사고원인"),
        # never below two syllables
        ("팀에", "팀에"),
        ("일을", "일을"),
        ("결과", "결과"),
    ],
)
def test_strip_korean_suffix(run, stem_):
    assert strip_korean_suffix(run) == stem_


def test_suffix_list_is_longest_first_and_protected_nouns_are_hangul():
    lengths = [len(s) for s in KOREAN_SUFFIXES]
    assert lengths == sorted(lengths, reverse=True)
    assert all("\uac00" <= c <= "\ud7a3" for noun in PROTECTED_NOUNS for c in noun)


def test_query_terms_groups_per_word():
    assert query_terms("탈옥을 평가") == [["탈옥"], ["평가"]]
    assert query_terms("안전성을 Evaluating the LLMs의") == [["안전", "전성"], ["evalu"], ["llm"]]
    assert query_terms("개인정보를") == [["개인", "인정", "정보"]]
    assert query_terms("the of , .") == []
    assert query_terms("") == []


def test_query_mode_analyzer_matches_query_terms():
    for text in CORPUS:
        for word in text.split():
            expected = [t for group in query_terms(word) for t in group]
            assert whoosh_terms(word, mode="query") == expected, word


# --- Whoosh analyzer == tokens() -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["index", "query"])
def test_tokens_equal_whoosh_analyzer_output(mode):
    for text in CORPUS:
        assert tokens(text, mode=mode) == whoosh_terms(text, mode=mode), text


def test_index_terms_equal_tokens_and_collect_surface_words():
    for text in CORPUS:
        terms, words = index_terms(text)
        assert terms == tokens(text), text
    terms, words = index_terms("Evaluating the LLMs' 탈옥을 evaluation")
    assert terms == ["evalu", "llm", "탈옥", "옥을", "evalu"]
    assert words == {"evaluating", "llm", "evaluation"}


def test_positions_and_offsets_equal_analyze():
    for text in CORPUS:
        got = [
            (t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer()(text, positions=True, chars=True, mode="index")
        ]
        assert got == [tuple(t) for t in analyze(text)], text


def test_marked_terms_equal_analyze_with_surface_words():
    """The snippet marker's terms and offsets are analyze()'s; words carry their surface."""
    for text in CORPUS:
        got = marked_terms(text)
        assert [(t, s, e) for t, _w, s, e in got] == [
            (t.text, t.startchar, t.endchar) for t in analyze(text)
        ], text
        for _term, word, start, end in got:
            if word is not None:
                assert word == surface_word(text[start:end])
    assert marked_terms("Evaluating 탈옥을") == [
        ("evalu", "evaluating", 0, 10),
        ("탈옥", None, 11, 13),
        ("옥을", None, 12, 14),
    ]


def test_offsets_point_at_the_term_in_the_text():
    text = "이번 탈옥 평가에서 LLM의 refusal"
    for t in analyze(text):
        source = text[t.startchar : t.endchar]
        assert t.text == source or t.text == stem(source.casefold()), t


def test_consecutive_positions_make_a_korean_word_a_phrase():
    ix = make_index({"a": "평가 방법론을 공개했다", "b": "방법은 법론과 다르다"})
    with ix.searcher() as s:
        q = qparser.QueryParser("body", ix.schema).parse('"방법론"')
        assert {h["id"] for h in s.search(q)} == {"a"}


def test_phrase_across_korean_words_needs_slop_3():
    ix = make_index(
        {
            "one-syllable-particle": "탈옥을 평가에서 봤다",
            "two-syllable-particle": "탈옥에서 평가",
            "far": "탈옥 사례를 모아 다음 달에 평가",
        }
    )
    with ix.searcher() as s:
        found = {h["id"] for h in s.search(Phrase("body", ["탈옥", "평가"], slop=3))}
        assert found == {"one-syllable-particle", "two-syllable-particle"}
        assert not s.search(Phrase("body", ["탈옥", "평가"], slop=1))


def test_stopped_words_keep_whoosh_semantics_with_removestops_false():
    kept = [(t.text, t.stopped) for t in analyzer()("the model", removestops=False)]
    assert kept == [("the", True), ("model", False)]


def test_schema_with_the_analyzer_survives_pickling():
    # Whoosh pickles the schema (analyzer included) into the index's TOC.
    field = pickle.loads(pickle.dumps(text_field()))  # noqa: S301 (our own object)
    assert [t.text for t in field.analyzer("탈옥을 Evaluating")] == ["탈옥", "옥을", "evalu"]


def test_analysis_is_deterministic_across_processes():
    code = (
        "import json, sys; from exchange.search.analysis import tokens, query_terms;"
        "texts = json.load(sys.stdin);"
        "print(json.dumps([[tokens(t), tokens(t, 'query'), query_terms(t)] for t in texts]))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(CORPUS),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=True,
        )
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0][0][0] == tokens(CORPUS[0])


# --- Search behaviour in a real Whoosh index -----------------------------------------------


def test_issue_example_particle_inflected_query_finds_bare_and_inflected_forms():
    ix = make_index(
        {
            "hit": "탈옥 시도는 다음 평가에서 다시 확인한다.",
            "only-jailbreak": "탈옥 사례를 모았다.",
            "only-eval": "평가 일정이 바뀌었다.",
        }
    )
    assert search_ids(ix, terms_query("탈옥을 평가")) == {"hit"}
    parsed = qparser.QueryParser("body", ix.schema).parse("탈옥을 평가")
    assert search_ids(ix, parsed) == {"hit"}


def test_english_stemming_in_search():
    ix = make_index({"en": "We evaluate agents.", "ko": "에이전트를 평가한다."})
    for q in ("evaluating", "evaluated agent", "Evaluations"):
        assert search_ids(ix, terms_query(q)) == {"en"}
    assert search_ids(ix, terms_query("evaluating 평가")) == set()
    assert search_ids(ix, terms_query("에이전트의 평가")) == {"ko"}


def test_highlighting_korean_terms():
    ix = make_index({"d": "이번 평가에서 탈옥 공격을 막았다."})
    with ix.searcher() as s:
        hit = s.search(terms_query("탈옥을"))[0]
        assert "탈옥" in hit.highlights("body")


# --- Quality gate on the Korean test set ---------------------------------------------------


def test_korean_eval_set_shape():
    assert len(DOCS) >= 60
    assert len(QUERIES) >= 40
    assert len({q for q, _ in QUERIES}) == len(QUERIES)
    for query, relevant in QUERIES:
        assert relevant, query
        assert relevant <= DOCS.keys(), query


def test_korean_recall_and_precision_meet_the_goal():
    ix = make_index(DOCS)
    hits = relevant_total = retrieved = 0
    parser = qparser.QueryParser("body", ix.schema)
    with ix.searcher() as s:
        for query, relevant in QUERIES:
            found = {h["id"] for h in s.search(terms_query(query), limit=None)}
            # The QueryParser route gives the same result set.
            assert found == {h["id"] for h in s.search(parser.parse(query), limit=None)}, query
            hits += len(found & relevant)
            relevant_total += len(relevant)
            retrieved += len(found)
    recall, precision = hits / relevant_total, hits / retrieved
    assert recall >= 0.98, recall
    assert precision >= 0.95, precision

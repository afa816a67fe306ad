"""Text analysis for Exchange search: one set of rules for every search backend.

Search covers wiki pages, findings, evaluation records and programs written in English, Korean
or both at once. This module turns text into index terms, token by token:

* **Words in Latin and other alphabetic scripts, and numbers** (``evaluating``, ``GPT-4o``,
  ``3.5``): Unicode NFKC, lower-case (``casefold``), an upper-case acronym's plural loses its
  ``s`` (``LLMs`` -> ``llm``), English stop words (Whoosh's list, :data:`STOP_WORDS`) and
  one-letter words are dropped, and purely alphabetic words are stemmed with the Porter2
  (Snowball English) stemmer, cached (:func:`stem`): ``evaluate``, ``evaluating``,
  ``evaluated``, ``evaluations`` -> ``evalu``. (Whoosh's default Porter stemmer gives
  ``evaluat`` for ``evaluating`` but ``evalu`` for ``evaluate``, so it is not used.)
* **Hangul runs** -> overlapping character bigrams (``안전성을`` -> ``안전``, ``전성``,
  ``성을``); a one-syllable run is kept as that syllable. No dictionary, no model.
* **Chinese/Japanese runs** (Han, Hiragana, Katakana) -> character bigrams the same way.
* A Hangul run that is nothing but a particle or ending written straight after another word
  (``LLM의``, ``GPT-4o를``, ``'탈옥'을``, ``API에서``) is dropped on both sides.

Index side and query side differ in one step only. On the **query** side each Hangul run loses
one trailing particle or ending from :data:`KOREAN_SUFFIXES` (longest match first) before it
is cut into bigrams, unless that would leave fewer than two syllables, or the particle does
not agree with the sound before it (가/를/는/와 follow a vowel, 이/을/은/과 a final consonant,
so ``전문가`` and ``효과`` keep their last syllable), or the run ends with a noun from
:data:`PROTECTED_NOUNS` (``정확도``, ``결과``, ``동의`` ...: the last syllable may be a
particle). So ``탈옥을`` asks for ``탈옥`` only, and a document that says ``탈옥``,
``탈옥에서`` or ``탈옥된`` matches: the index keeps every bigram of every run, so the bigrams
of a noun's stem are present whatever particle the document attached to it. A query for a
one-syllable noun with a particle (``팀에서``) is not stripped (it would leave one syllable)
and matches only that exact form; a compound written with a space in the document but not in
the query (``개인 정보`` vs ``개인정보``) is missed. ``bench/korean_analysis.py`` measures this
design against the alternatives; ``bench/README.md`` ("Korean analysis") has the figures.

Public interface:

* :func:`analyzer` -- a Whoosh analyzer (``Tokenizer | Filter | ...``), for a schema:
  ``TEXT(analyzer=analyzer(), multitoken_query="and")`` (:func:`text_field` builds it).
  Whoosh calls it with ``mode="index"`` when indexing and ``mode="query"`` from ``QueryParser``.
* :func:`tokens` -- the same terms as a plain list (index side by default);
  :func:`tokens` equals ``[t.text for t in analyzer()(text)]``. :func:`analyze` adds positions
  and character offsets. The PostgreSQL backend stores these terms as they are, not re-parsed
  by a text search configuration: ``CAST(:doc AS tsvector)`` with a ``'term':position``
  literal built from :func:`analyze` (positions are 0-based here, 1-based there), or
  ``array_to_tsvector(:terms)`` without positions. Both backends then index the same terms.
* :func:`query_terms` -- a query string as a list of groups, one per query word, each the list
  of terms that must all be present. How a backend builds a query from it:

  - **Whoosh**: ``And([And([Term(f, t) for t in group]) for group in groups])``; or, for each
    group, ``Phrase(f, group)`` (``slop=1``) when the terms must be adjacent (see below). This
    is what ``QueryParser`` produces for unquoted words when the field has
    ``multitoken_query="and"``.
  - **PostgreSQL**: ``CAST(:q AS tsquery)`` with the quoted terms joined by ``&``; within a
    group ``<->`` may replace ``&`` for the adjacent form.
  - An empty list means nothing searchable (only stop words or punctuation): show no results.

Positions and phrases. Terms get consecutive positions in text order, one per word term and
one per bigram. The bigrams of one Hangul run are therefore adjacent, and a phrase over one
query group (``Phrase(f, ["방법", "법론"])``, ``'방법' <-> '법론'``) means "these syllables
appear in this order, together", i.e. a substring of one run. Between words, a document has
the particle bigrams in between (``탈옥을 평가`` is indexed ``탈옥`` 0, ``옥을`` 1, ``평가`` 2),
so a phrase of several Korean words needs slop: allow up to 3 positions from the last term of
one group to the first of the next (a two-syllable particle such as 에서 adds two bigrams):
Whoosh ``Phrase(..., slop=3)``; PostgreSQL's ``<N>`` means exactly N, so join such groups with
``&`` there (or ``<1> | <2> | <3>``). English words are one position each, with stop words not
counted (as Whoosh's StopFilter renumbers them).

Everything here is deterministic: the same text gives the same terms in every process.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

from whoosh import fields
from whoosh.analysis import CompositeAnalyzer, Filter, Token, Tokenizer
from whoosh.analysis.filters import STOP_WORDS as _WHOOSH_STOP_WORDS
from whoosh.lang.porter2 import stem as _porter2_stem

__all__ = [
    "KOREAN_SUFFIXES",
    "PROTECTED_NOUNS",
    "STOP_WORDS",
    "Term",
    "analyze",
    "analyzer",
    "index_terms",
    "query_terms",
    "stem",
    "strip_korean_suffix",
    "surface_word",
    "text_field",
    "tokens",
]

#: English stop words: Whoosh's default list, so results agree with a stock Whoosh setup.
STOP_WORDS: frozenset[str] = frozenset(_WHOOSH_STOP_WORDS)

# --- Character classes ---------------------------------------------------------------------

_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff"
_CJK = (
    "\u3040-\u30ff"  # Hiragana, Katakana (incl. the prolonged sound mark)
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0002fa1f"  # CJK extensions B-F, compatibility supplement
)
# A word character: a letter or digit of any other script (underscore splits words).
_WORD_CHAR = rf"[^\W_{_HANGUL}{_CJK}]"
_RUN_RE = re.compile(
    rf"(?P<hangul>[{_HANGUL}]+)"
    rf"|(?P<cjk>[{_CJK}]+)"
    rf"|(?P<word>{_WORD_CHAR}+(?:\.{_WORD_CHAR}+)*)"
)
_ACRONYM_PLURAL_RE = re.compile(r"[A-Z0-9]*[A-Z][A-Z0-9]*s")
# Without Hangul or CJK characters, the runs of _RUN_RE are exactly the matches of this.
_WORD_RUN_RE = re.compile(rf"{_WORD_CHAR}+(?:\.{_WORD_CHAR}+)*")
_GRAM_CHAR_RE = re.compile(rf"[{_HANGUL}{_CJK}]")
_SPACE_RE = re.compile(r"\s")
_MAX_WORD_LENGTH = 64  # longer "words" are hashes, base64 and the like: not searchable terms

HANGUL, CJK, WORD = "hangul", "cjk", "word"

# --- Korean particles and endings (query side) ---------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_PARTICLES = _words(
    # case and auxiliary particles
    "이 가 은 는 을 를 의 에 와 과 도 만 로 으로 께 에서 에게 한테 까지 부터 보다 처럼 마다 "
    "조차 밖에 이나 이며 이고 이라 라고 이라고 란 이란 라는 이라는 에는 에도 에서는 에서도 "
    "에서의 에서만 에게는 에게서 한테서 께서 으로는 로는 으로도 로도 으로서 로서 으로써 "
    "로써 으로의 로의 와의 과의 와는 과는 까지의 부터의 만의 만을 만이 만은 에의 에만 "
    # copula
    "이다 입니다 이었다 였다 이며 이고 이던"
)
_PLURAL_PARTICLES = _words("이 은 을 의 에 에서 에게 과 와 도 만 로 으로 이다 과의 에서의 에서는")
_ENDINGS = _words(
    # 하다 / 되다 / 시키다 verbs made from nouns: 평가하는, 공유된, 측정했다
    "하다 한다 하는 하고 하며 하여 해서 해야 했다 했고 했으며 했던 하기 하면 하게 하지 한 "
    "합니다 했습니다 하려는 하려고 하도록 하는지 했는지 하였다 "
    "되다 된다 되는 되고 되며 되어 되어야 됐다 되었다 되었고 되기 되면 되지 된 됩니다 "
    "되었습니다 시키는 시킨 시켰다"
)

#: Trailing particles and endings removed from a Hangul run on the query side (one per run,
#: longest match first).
KOREAN_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        set(_PARTICLES) | {"들"} | {"들" + p for p in _PLURAL_PARTICLES} | set(_ENDINGS),
        key=lambda s: (-len(s), s),
    )
)
_PARTICLE_SET = frozenset(KOREAN_SUFFIXES)

# Particles that agree with the sound before them: after a final consonant (batchim) Korean
# writes 이/은/을/과/으로, after a vowel 가/는/를/와/로 (로 also after ㄹ). A suffix that does
# not agree with the syllable before it is not a particle there: 전문가 (문 ends in ㄴ, so the
# particle would be 이), 효과, 차이, 경로 keep their last syllable without any word list.
_AFTER_CONSONANT = frozenset(
    _words(
        "이 은 을 과 과의 과는 이나 이라 이라고 이란 이라는 으로 으로는 으로도 으로서 으로써 으로의"
    )
)
_AFTER_VOWEL = frozenset(_words("가 는 를 와 와의 와는"))
_AFTER_VOWEL_OR_RIEUL = frozenset(_words("로 로는 로도 로서 로써 로의"))
_RIEUL = 8  # index of the final consonant ㄹ in a precomposed syllable


def _agrees(syllable: str, suffix: str) -> bool:
    code = ord(syllable) - 0xAC00
    if not 0 <= code < 11172:  # not a precomposed syllable: cannot tell, allow
        return True
    final = code % 28  # 0: ends in a vowel
    if suffix in _AFTER_CONSONANT:
        return final != 0 and not (suffix.startswith("으로") and final == _RIEUL)
    if suffix in _AFTER_VOWEL:
        return final == 0
    if suffix in _AFTER_VOWEL_OR_RIEUL:
        return final in (0, _RIEUL)
    return True


#: Nouns whose last syllable is also a particle or ending that the sound rule above cannot
#: tell apart. A query run ending with one of them keeps its last syllable (``정확도`` stays
#: ``정확도`` rather than ``정확``); with a particle after them they are stripped as usual
#: (``정확도를`` -> ``정확도``).
PROTECTED_NOUNS: frozenset[str] = frozenset(
    _words(
        "정확도 신뢰도 위험도 민감도 난이도 완성도 유사도 중요도 심각도 충실도 일치도 "
        "정도 제도 의도 속도 강도 빈도 한도 태도 각도 밀도 시도 척도 용도 "
        "동의 회의 합의 협의 논의 정의 주의 강의 "
        "결과 대가 길이 높이 깊이 회로 제한 권한 무한 기한"
    )
)


def strip_korean_suffix(run: str) -> str:
    """Remove one trailing particle or ending from a Hangul run (query-side rule).

    The longest suffix from :data:`KOREAN_SUFFIXES` that leaves at least two syllables and
    agrees with the syllable before it is removed, unless the run ends with one of
    :data:`PROTECTED_NOUNS`.

    >>> [strip_korean_suffix(run) for run in ("탈옥을", "평가에서", "전문가")]
    ['탈옥', '평가', '전문가']
    """
    for noun in PROTECTED_NOUNS:
        if run.endswith(noun):
            return run
    for suffix in KOREAN_SUFFIXES:
        stem_len = len(run) - len(suffix)
        if stem_len >= 2 and run.endswith(suffix) and _agrees(run[stem_len - 1], suffix):
            return run[:stem_len]
    return run


# --- Word normalisation and stemming -------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Porter2 (Snowball English) stem of a lower-case word; a pure, cached function."""
    return _porter2_stem(word)


def _normalize_word(raw: str) -> str:
    word = unicodedata.normalize("NFKC", raw)
    if _ACRONYM_PLURAL_RE.fullmatch(word):  # LLMs, APIs, GPUs -> LLM, API, GPU
        word = word[:-1]
    return word.casefold()


def _is_stop(word: str) -> bool:
    return (
        word in STOP_WORDS or (len(word) < 2 and not word.isdigit()) or len(word) > _MAX_WORD_LENGTH
    )


def _stem_word(word: str) -> str:
    return stem(word) if word.isalpha() else word


# --- Runs and grams ------------------------------------------------------------------------


class _Run(NamedTuple):
    script: str  # HANGUL, CJK or WORD
    text: str
    start: int
    end: int
    attached: bool  # follows the previous run with no whitespace in between


def _runs(text: str) -> Iterator[_Run]:
    prev_end = None
    for m in _RUN_RE.finditer(text):
        start, end = m.span()
        attached = prev_end is not None and not any(c.isspace() for c in text[prev_end:start])
        yield _Run(m.lastgroup or WORD, m.group(), start, end, attached)
        prev_end = end


def _is_attached_particle(run: _Run) -> bool:
    return (
        run.script == HANGUL
        and run.attached
        and unicodedata.normalize("NFC", run.text) in _PARTICLE_SET
    )


def _run_grams(run: _Run, query: bool) -> Iterator[tuple[str, int, int]]:
    """Bigrams (or the one syllable/character) of a Hangul or CJK run, with offsets.

    On the query side a Hangul run first loses a trailing particle or ending.
    """
    if _is_attached_particle(run):
        return
    chars = unicodedata.normalize("NFC", run.text)
    # Offsets of each gram when the text was already composed; otherwise the whole run's.
    exact = len(chars) == run.end - run.start
    if query and run.script == HANGUL:
        chars = strip_korean_suffix(chars)
    if len(chars) == 1:
        yield chars, run.start, run.start + 1 if exact else run.end
        return
    for i in range(len(chars) - 1):
        if exact:
            yield chars[i : i + 2], run.start + i, run.start + i + 2
        else:
            yield chars[i : i + 2], run.start, run.end


# --- Plain-function interface --------------------------------------------------------------


class Term(NamedTuple):
    """One index term with its position (0-based) and character offsets in the text."""

    text: str
    pos: int
    startchar: int
    endchar: int


def analyze(text: str, mode: str = "index") -> list[Term]:
    """Terms of ``text`` with positions and offsets; ``mode`` is ``"index"`` or ``"query"``."""
    query = mode == "query"
    out: list[Term] = []
    for run in _runs(text):
        if run.script == WORD:
            word = _normalize_word(run.text)
            if _is_stop(word):
                continue
            out.append(Term(_stem_word(word), len(out), run.start, run.end))
            continue
        for gram, gstart, gend in _run_grams(run, query):
            out.append(Term(gram, len(out), gstart, gend))
    return out


def tokens(text: str, mode: str = "index") -> list[str]:
    """The index terms of ``text`` (``mode="query"`` applies the query-side Korean rule)."""
    return [t.text for t in analyze(text, mode)]


def index_terms(text: str) -> tuple[list[str], set[str]]:
    """The index terms of ``text`` (as :func:`tokens`) and its distinct surface words.

    Surface words are the word runs lower-cased but not stemmed (``evaluating``), stop words
    left out: prefix search (``eval*``) and spelling suggestions look them up. This is the
    indexing hot path: each distinct word is normalised and stemmed once per process
    (:func:`_word_term`), and whether a Hangul run is attached to the previous run is only
    worked out for Hangul runs.
    """
    if _GRAM_CHAR_RE.search(text) is None:
        # Only word runs (most English text): no offsets needed, each run looked up once.
        pairs = [pair for pair in map(_word_term, _WORD_RUN_RE.findall(text)) if pair]
        return [pair[1] for pair in pairs], {pair[0] for pair in pairs}
    terms: list[str] = []
    words: set[str] = set()
    prev_end = None
    for m in _RUN_RE.finditer(text):
        kind = m.lastgroup
        start, end = m.span()
        if kind == WORD:
            pair = _word_term(m.group())
            if pair is not None:
                words.add(pair[0])
                terms.append(pair[1])
        else:
            attached = prev_end is not None and _SPACE_RE.search(text, prev_end, start) is None
            run = _Run(kind, m.group(), start, end, attached)
            terms.extend(gram for gram, _start, _end in _run_grams(run, False))
        prev_end = end
    return terms, words


@functools.lru_cache(maxsize=262144)
def _word_term(raw: str) -> tuple[str, str] | None:
    """(surface word, index term) of a word run, or None for a stop word."""
    word = _normalize_word(raw)
    if _is_stop(word):
        return None
    return word, _stem_word(word)


def marked_terms(text: str) -> list[tuple[str, str | None, int, int]]:
    """``(term, surface word, start, end)`` of each index term of ``text``, for snippets.

    The terms and offsets of :func:`analyze`, with each word's surface word (None for a
    Hangul or CJK gram); a word run costs one cached look-up (:func:`_word_term`).
    """
    out: list[tuple[str, str | None, int, int]] = []
    prev_end = None
    for m in _RUN_RE.finditer(text):
        kind = m.lastgroup or WORD
        start, end = m.span()
        if kind == WORD:
            pair = _word_term(m.group())
            if pair is not None:
                out.append((pair[1], pair[0], start, end))
        else:
            attached = prev_end is not None and _SPACE_RE.search(text, prev_end, start) is None
            run = _Run(kind, m.group(), start, end, attached)
            out.extend((gram, None, gs, ge) for gram, gs, ge in _run_grams(run, False))
        prev_end = end
    return out


def surface_word(raw: str) -> str:
    """A word run as prefix search and spelling see it: NFKC, lower-case, unstemmed."""
    return _normalize_word(raw)


def query_terms(text: str) -> list[list[str]]:
    """Split a query on whitespace; for each word, the terms that must all match.

    Words that give no term (stop words, punctuation) are left out, so ``[]`` means the
    query has nothing to search for.

    >>> query_terms("탈옥을 평가")
    [['탈옥'], ['평가']]
    >>> query_terms("Evaluating 안전성을")
    [['evalu'], ['안전', '전성']]
    """
    groups = []
    for word in text.split():
        terms = tokens(word, mode="query")
        if terms:
            groups.append(terms)
    return groups


# --- Whoosh analyzer -----------------------------------------------------------------------


class ScriptTokenizer(Tokenizer):
    """Splits text into runs of one script: words (Latin etc. and digits), Hangul, CJK.

    Each token carries ``script`` and ``attached`` attributes that the filters below use.
    """

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.start_pos = start_pos
        for run in _runs(value) if tokenize else [_Run(WORD, value, 0, len(value), False)]:
            t.text = run.text
            t.script = run.script
            t.attached = run.attached
            t.stopped = False
            t.boost = 1.0
            if keeporiginal:
                t.original = run.text
            if chars:
                t.startchar = start_char + run.start
                t.endchar = start_char + run.end
            yield t


class WordFilter(Filter):
    """Word runs: NFKC, acronym plurals, lower-case; marks or removes stop words."""

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, tokens):
        for t in tokens:
            if t.script != WORD:
                yield t
                continue
            t.text = _normalize_word(t.text)
            if _is_stop(t.text):
                if t.removestops:
                    continue
                t.stopped = True
            yield t


class EnglishStemFilter(Filter):
    """Porter2 stemming of alphabetic word runs (cached, see :func:`stem`)."""

    is_morph = True

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, tokens):
        for t in tokens:
            if t.script == WORD and not t.stopped:
                t.text = _stem_word(t.text)
            yield t


class CJKBigramFilter(Filter):
    """Hangul and CJK runs -> character bigrams; query-side Korean suffix stripping."""

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, tokens):
        for t in tokens:
            if t.script == WORD:
                yield t
                continue
            base = t.startchar if t.chars else 0
            run = _Run(t.script, t.text, base, base + len(t.text), t.attached)
            for gram, gstart, gend in _run_grams(run, t.mode == "query"):
                t.text = gram
                if t.chars:
                    t.startchar, t.endchar = gstart, gend
                yield t


class PositionFilter(Filter):
    """Numbers the terms consecutively (stopped words get no position of their own)."""

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, tokens):
        pos = None
        for t in tokens:
            if t.positions:
                if t.stopped:
                    t.pos = t.start_pos if pos is None else pos
                else:
                    pos = t.start_pos if pos is None else pos + 1
                    t.pos = pos
            yield t


def analyzer() -> CompositeAnalyzer:
    """The Whoosh analyzer: same terms as :func:`tokens` (index) and :func:`query_terms`."""
    return (
        ScriptTokenizer()
        | WordFilter()
        | EnglishStemFilter()
        | CJKBigramFilter()
        | PositionFilter()
    )


def text_field(**kwargs) -> fields.TEXT:
    """A Whoosh ``TEXT`` field using :func:`analyzer`; a query word's terms are AND-ed."""
    kwargs.setdefault("multitoken_query", "and")
    return fields.TEXT(analyzer=analyzer(), **kwargs)

"""The search box's language, parsed into a small tree that every backend compiles.

Syntax (what the help text on the search page shows):

* ``word word`` -- every word must match (stemmed English, Korean with particles removed);
* ``"exact phrase"`` -- the words in this order;
* ``-word`` / ``-"phrase"`` -- leave out what matches;
* ``a OR b`` -- either (``OR`` in capitals; it binds tighter than the implicit AND, so
  ``jailbreak korean OR japanese`` means jailbreak AND (korean OR japanese));
* ``eval*`` -- words starting with ``eval`` (at least three letters before the ``*``);
* ``title:`` ``model:`` (words in that field), ``tag:`` ``institute:`` ``domain:`` ``kind:``
  ``lang:`` (exact values) -- e.g. ``tag:korean``, ``institute:KR-AISI``, ``title:"red team"``.

Parsing never fails. What cannot be used is dropped or read literally, and a :class:`Hint`
says so in the user's language (an unclosed quote, a prefix too short, an unknown field, a
query that only excludes).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from exchange.search.analysis import query_terms, tokens

#: Fields that hold words (analysed like the text).
TEXT_FIELDS = ("title", "model")
#: Fields that hold exact values (normalised: lower-case).
VALUE_FIELDS = ("tag", "institute", "domain", "kind", "lang")
FIELDS = TEXT_FIELDS + VALUE_FIELDS
MIN_PREFIX = 3
MAX_QUERY_LENGTH = 500
MAX_CLAUSES = 24

_HANGUL_OR_CJK = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7a3]")
_TOKEN_RE = re.compile(
    r"""
    (?P<neg>-)?
    (?:(?P<field>[A-Za-z]+):)?
    (?:"(?P<phrase>[^"]*)(?P<close>"?)|(?P<word>[^\s"]+))
    """,
    re.VERBOSE,
)


# --- The tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """Words that must all match: ``groups`` as :func:`analysis.query_terms` gives them."""

    text: str
    groups: tuple[tuple[str, ...], ...]
    field: str | None = None  # None: anywhere; or a TEXT_FIELDS name


@dataclass(frozen=True)
class Phrase:
    """Terms that must appear consecutively (index-side analysis: nothing stripped)."""

    text: str
    terms: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Prefix:
    """Words starting with ``prefix`` (lower-cased, unstemmed)."""

    prefix: str


@dataclass(frozen=True)
class Value:
    """An exact facet value: ``tag:korean``."""

    field: str
    value: str


@dataclass(frozen=True)
class Everything:
    """Every document (a search narrowed by facets only, with no words)."""


@dataclass(frozen=True)
class Any:
    """At least one of ``parts``."""

    parts: tuple


@dataclass(frozen=True)
class All:
    """Every one of ``include``, none of ``exclude`` (``include`` is never empty)."""

    include: tuple
    exclude: tuple = ()


EVERYTHING = All((Everything(),))


@dataclass(frozen=True)
class Hint:
    """Something the user should know about how the query was read."""

    code: str
    detail: str = ""


@dataclass
class ParsedQuery:
    text: str
    tree: All | None
    hints: list[Hint] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.tree is None


# --- Parsing -------------------------------------------------------------------------------


def normalize_value(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold().replace(" ", "_")


def _clause(neg, field_name, phrase, closed, word, hints):
    """One query item, or None when it has nothing to search for."""
    if field_name is not None and field_name.lower() not in FIELDS:
        hints.append(Hint("unknown_field", field_name))
        # Read it literally: "foo:bar" becomes the words foo and bar.
        word = f"{field_name} {word}" if word is not None else word
        phrase = f"{field_name} {phrase}" if phrase is not None else phrase
        field_name = None
    field_name = field_name.lower() if field_name else None
    if phrase is not None:
        if not closed:
            hints.append(Hint("unclosed_quote"))
        if field_name in VALUE_FIELDS:
            return Value(field_name, normalize_value(phrase)) if phrase.strip() else None
        terms = tuple(tokens(phrase))
        if not terms:
            return None
        if len(terms) == 1:
            return Words(phrase, ((terms[0],),), field_name)
        return Phrase(phrase, terms, field_name)
    assert word is not None
    if field_name in VALUE_FIELDS:
        return Value(field_name, normalize_value(word))
    if word.endswith("*") and field_name is None:
        stem = unicodedata.normalize("NFKC", word.rstrip("*")).casefold()
        if stem and not _HANGUL_OR_CJK.search(stem) and re.fullmatch(r"[\w.-]+", stem):
            if len(stem) >= MIN_PREFIX:
                return Prefix(stem)
            hints.append(Hint("short_prefix", word))
        word = stem  # too short, or Korean: search the word itself
    groups = tuple(tuple(g) for g in query_terms(word))
    if not groups:
        return None
    return Words(word, groups, field_name)


def parse(text: str) -> ParsedQuery:
    """Read a query typed into the search box (never raises)."""
    hints: list[Hint] = []
    text = (text or "").replace("\x00", " ")
    if len(text) > MAX_QUERY_LENGTH:
        hints.append(Hint("too_long", str(MAX_QUERY_LENGTH)))
        text = text[:MAX_QUERY_LENGTH]
    # Items: ("OR",) markers or (negated, clause).
    items: list = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text.startswith("OR", pos) and (pos + 2 == len(text) or text[pos + 2].isspace()):
            items.append("OR")
            pos += 2
            continue
        if text.startswith("AND", pos) and (pos + 3 == len(text) or text[pos + 3].isspace()):
            pos += 3
            continue
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:  # a lone quote or dash
            pos += 1
            continue
        pos = match.end()
        clause = _clause(
            match["neg"],
            match["field"],
            match["phrase"],
            bool(match["close"]),
            match["word"],
            hints,
        )
        if clause is not None:
            items.append((bool(match["neg"]), clause))
        elif items and items[-1] == "OR":
            items.pop()  # "a OR the": nothing to be the other side
    return ParsedQuery(text, _build(items, hints), hints)


def _build(items: list, hints: list[Hint]) -> All | None:
    include: list = []
    exclude: list = []
    pending_or = False
    for item in items:
        if item == "OR":
            if include and not pending_or:
                pending_or = True
            else:
                hints.append(Hint("dangling_or"))
            continue
        negated, clause = item
        if negated:
            if pending_or:
                hints.append(Hint("or_exclusion"))
                pending_or = False
            exclude.append(clause)
            continue
        if pending_or:
            last = include.pop()
            parts = last.parts if isinstance(last, Any) else (last,)
            include.append(Any((*parts, clause)))
            pending_or = False
        else:
            include.append(clause)
    if pending_or:
        hints.append(Hint("dangling_or"))
    if len(include) + len(exclude) > MAX_CLAUSES:
        hints.append(Hint("too_many", str(MAX_CLAUSES)))
        include, exclude = include[:MAX_CLAUSES], exclude[: max(0, MAX_CLAUSES - len(include))]
    if not include:
        if exclude:
            hints.append(Hint("only_exclusions"))
        return None
    return All(tuple(include), tuple(exclude))


def positive_parts(tree: All | None):
    """Every clause that adds matches (for highlighting and did-you-mean), depth first."""
    if tree is None:
        return
    for part in tree.include:
        if isinstance(part, Any):
            yield from part.parts
        else:
            yield part

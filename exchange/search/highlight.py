"""Snippets: the part of a document that matched, escaped, with the matches marked.

Backend-neutral: matches are found with the same analysis as the index
(:func:`exchange.search.analysis.analyze`), so a stemmed word (``evaluating`` for a query
``evaluate``), a Korean noun with its particle (``탈옥을`` for ``탈옥``) or any word a prefix
starts (``evaluation`` for ``eval*``) is marked where it occurs. Only the document the reader is
allowed to see is ever passed in.

Long texts are not analysed whole: a regular expression built from the query finds candidate
places (at C speed), and only the chosen windows are analysed and marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from exchange.search.analysis import marked_terms

WINDOW = 220
BEFORE = 70
FRAGMENTS = 2
ELLIPSIS = "…"


def _candidate_re(terms: Iterable[str], prefixes: Iterable[str]) -> re.Pattern | None:
    alternatives = set()
    for term in terms:
        if term.isascii() and term.isalpha():
            # Porter2 stems are nearly prefixes of their words (happy -> happi).
            alternatives.add(r"\b" + re.escape(term[: max(3, len(term) - 1)]))
        else:
            alternatives.add(re.escape(term))
    for prefix in prefixes:
        alternatives.add(r"\b" + re.escape(prefix))
    if not alternatives:
        return None
    pattern = "|".join(sorted(alternatives, key=len, reverse=True))
    return re.compile(pattern, re.IGNORECASE)


def _marked(text: str, terms: frozenset[str], prefixes: frozenset[str]) -> Markup:
    """Escape ``text`` and wrap each analysed match in <mark>."""
    spans: list[list[int]] = []
    starts = tuple(prefixes)
    for term, word, start, end in marked_terms(text):
        if term in terms or (starts and word is not None and word.startswith(starts)):
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
    out = []
    last = 0
    for start, end in spans:
        out.append(escape(text[last:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def mark_title(title: str, terms: frozenset[str], prefixes: frozenset[str]) -> Markup:
    return _marked(title, terms, prefixes)


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    if start > 0:
        space = text.rfind(" ", max(0, start - 20), start)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.find(" ", end, end + 20)
        end = space if space != -1 else end
    return start, end


def snippet(text: str, terms: frozenset[str], prefixes: frozenset[str]) -> Markup:
    """Up to two windows of ``text`` around the matches, marked; the start when none match."""
    text = text or ""
    if not text:
        return Markup("")
    pattern = _candidate_re(terms, prefixes)
    windows: list[tuple[int, int]] = []
    seen: set[str] = set()
    if pattern is not None:
        for match in pattern.finditer(text):
            if len(windows) >= FRAGMENTS:
                break
            found = match.group().casefold()
            if any(a <= match.start() < b for a, b in windows):
                continue
            if windows and found in seen:
                continue  # prefer a second window showing another word
            seen.add(found)
            start = max(0, match.start() - BEFORE)
            windows.append(_snap(text, start, min(len(text), start + WINDOW)))
    if not windows:
        start, end = _snap(text, 0, min(len(text), WINDOW))
        windows = [(0, end)]
    windows.sort()
    parts = []
    for start, end in windows:
        fragment = _marked(text[start:end], terms, prefixes)
        prefix = ELLIPSIS if start > 0 else ""
        suffix = ELLIPSIS if end < len(text) else ""
        parts.append(escape(prefix) + fragment + escape(suffix))
    return Markup(" ").join(parts)

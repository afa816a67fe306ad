"""Text merging and diffing for wiki pages.

Wiki pages are Markdown, where a paragraph is a line, so everything here works on lines first:

* :func:`three_way_merge` merges two edits made from the same base revision (the second save of a
  compare-and-swap race). Non-overlapping edits merge cleanly; overlapping or adjacent edits
  produce a conflict, marked in the returned text with ``<<<<<<<`` / ``=======`` / ``>>>>>>>``.
  The line alignment is Breezy's ``merge3`` algorithm.
* :func:`word_diff` gives a word-level diff between two revisions for the history view. Lines are
  compared first and words only inside changed blocks of lines, so long pages stay fast.
  :func:`render_word_diff` turns it into escaped HTML and :func:`diff_stats` counts the words.
* :func:`side_by_side` lines two texts up for a two-column comparison view.

Words are runs of non-whitespace characters, so Hangul (and any other script) is kept intact.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest

import merge3
from markupsafe import Markup, escape

__all__ = [
    "DiffOp",
    "MergeResult",
    "diff_stats",
    "normalize_newlines",
    "render_word_diff",
    "side_by_side",
    "three_way_merge",
    "word_diff",
]

EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"

_TOKEN = re.compile(r"\s+|\S+")
_INLINE_SPACE = re.compile(r"[^\S\n]+")
# Largest (old tokens x new tokens) diffed word by word in one go; difflib takes some
# milliseconds at this size, and far longer on whole rewritten pages of tens of thousands of words.
_WORD_DIFF_BUDGET = 2_000 * 2_000


# --- lines and line matching -------------------------------------------------------------------


def normalize_newlines(text: str) -> str:
    """Return ``text`` with Windows (``\\r\\n``) and old Mac (``\\r``) line endings as ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping the line endings (``"".join`` gives ``text`` back).

    ``str.splitlines`` is not used because it also splits on form feeds, U+2028 and others,
    which a browser's textarea does not treat as line breaks.
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _matching_blocks(a: Sequence, b: Sequence) -> list[tuple[int, int, int]]:
    """Matching blocks of ``a`` and ``b`` like ``difflib.SequenceMatcher.get_matching_blocks``.

    The common prefix and suffix are taken off first, so a long text with a few edits costs
    little more than the edited part. ``difflib``'s "autojunk" heuristic stays on for the rest:
    without it, very frequent items (blank lines, single spaces) make matching quadratic. Such
    items still join matches next to them; they just cannot anchor a match on their own.
    """
    n, m = len(a), len(b)
    prefix = 0
    limit = min(n, m)
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    limit -= prefix
    while suffix < limit and a[n - 1 - suffix] == b[m - 1 - suffix]:
        suffix += 1

    blocks: list[tuple[int, int, int]] = []
    if prefix:
        blocks.append((0, 0, prefix))
    middle_a = a[prefix : n - suffix]
    middle_b = b[prefix : m - suffix]
    if middle_a and middle_b:
        matcher = difflib.SequenceMatcher(None, middle_a, middle_b)
        for i, j, size in matcher.get_matching_blocks():
            if size:
                blocks.append((i + prefix, j + prefix, size))
    if suffix:
        blocks.append((n - suffix, m - suffix, suffix))

    merged: list[tuple[int, int, int]] = []
    for i, j, size in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            last_i, last_j, last_size = merged.pop()
            merged.append((last_i, last_j, last_size + size))
        else:
            merged.append((i, j, size))
    merged.append((n, m, 0))
    return merged


def _opcodes(a: Sequence, b: Sequence) -> list[tuple[str, int, int, int, int]]:
    """Opcodes like ``difflib.SequenceMatcher.get_opcodes``, from :func:`_matching_blocks`."""
    codes: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for ai, bj, size in _matching_blocks(a, b):
        if i < ai and j < bj:
            codes.append(("replace", i, ai, j, bj))
        elif i < ai:
            codes.append((DELETE, i, ai, j, j))
        elif j < bj:
            codes.append((INSERT, i, i, j, bj))
        if size:
            codes.append((EQUAL, ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return codes


class _Matcher:
    """The sequence matcher handed to ``merge3``: :func:`_matching_blocks` behind difflib's API."""

    def __init__(
        self, isjunk: object = None, a: Sequence = (), b: Sequence = (), autojunk: bool = True
    ) -> None:
        self.a = a
        self.b = b

    def get_matching_blocks(self) -> list[tuple[int, int, int]]:
        return _matching_blocks(self.a, self.b)


# --- three-way merge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    """The outcome of :func:`three_way_merge`.

    ``text`` is the merged text when ``clean``; otherwise it is the merge with each of the
    ``conflicts`` conflicting regions written out between conflict markers.
    """

    text: str
    clean: bool
    conflicts: int


def _marker(marker: str, label: str) -> str:
    label = " ".join(label.split())  # a label must not break the marker line
    return f"{marker} {label}\n" if label else f"{marker}\n"


def three_way_merge(
    base: str,
    mine: str,
    theirs: str,
    mine_label: str = "yours",
    theirs_label: str = "theirs",
) -> MergeResult:
    """Merge ``mine`` and ``theirs``, two edits of ``base``, line by line.

    A region changed on one side only takes that change; identical changes on both sides are
    taken once; different changes to the same or adjacent lines (including insertions at the
    same place, and a deletion against an edit) are conflicts. Line endings are normalised to
    ``\\n``. Whether the result ends with a newline is merged like a line: a side that changed
    it wins.
    """
    base, mine, theirs = (normalize_newlines(t) for t in (base, mine, theirs))
    if mine == theirs or theirs == base:
        return MergeResult(mine, clean=True, conflicts=0)
    if mine == base:
        return MergeResult(theirs, clean=True, conflicts=0)

    # Compare complete lines only, so that adding or removing the final newline is not an edit
    # of the last line (which would conflict with an edit just above it).
    def lines(text: str) -> list[str]:
        return _split_lines(text if not text or text.endswith("\n") else text + "\n")

    base_nl = base.endswith("\n") if base else True
    mine_nl = mine.endswith("\n") if mine else base_nl
    theirs_nl = theirs.endswith("\n") if theirs else base_nl
    final_newline = theirs_nl if mine_nl == base_nl else mine_nl

    merger = merge3.Merge3(lines(base), lines(mine), lines(theirs), sequence_matcher=_Matcher)
    out: list[str] = []
    conflicts = 0
    for group in merger.merge_groups():
        if group[0] != "conflict":
            out.extend(group[1])
            continue
        _, _base_lines, mine_lines, theirs_lines = group
        conflicts += 1
        # Lines both sides agree on at the edges of the region stay outside the markers.
        head = 0
        while (
            head < min(len(mine_lines), len(theirs_lines))
            and mine_lines[head] == theirs_lines[head]
        ):
            head += 1
        tail = 0
        while (
            tail < min(len(mine_lines), len(theirs_lines)) - head
            and mine_lines[-1 - tail] == theirs_lines[-1 - tail]
        ):
            tail += 1
        out.extend(mine_lines[:head])
        out.append(_marker("<<<<<<<", mine_label))
        out.extend(mine_lines[head : len(mine_lines) - tail])
        out.append("=======\n")
        out.extend(theirs_lines[head : len(theirs_lines) - tail])
        out.append(_marker(">>>>>>>", theirs_label))
        out.extend(mine_lines[len(mine_lines) - tail :])

    text = "".join(out)
    if not final_newline and text.endswith("\n") and not conflicts:
        text = text[:-1]
    return MergeResult(text, clean=conflicts == 0, conflicts=conflicts)


# --- word diff ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffOp:
    """One piece of a :func:`word_diff`: ``op`` is ``"equal"``, ``"insert"`` or ``"delete"``."""

    op: str
    text: str


def _word_ops(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    """Word-level ops between two lists of tokens (words and runs of whitespace)."""
    if len(a) * len(b) > _WORD_DIFF_BUDGET:
        return [(DELETE, "".join(a)), (INSERT, "".join(b))]
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == EQUAL:
            ops.append((EQUAL, "".join(a[i1:i2])))
            continue
        if i1 < i2:
            ops.append((DELETE, "".join(a[i1:i2])))
        if j1 < j2:
            ops.append((INSERT, "".join(b[j1:j2])))
    return ops


def _tidy(ops: list[tuple[str, str]]) -> list[DiffOp]:
    """Coalesce ops, putting each run of changes as one deletion followed by one insertion.

    Spaces (not newlines) left equal between two changes join the change, so that replacing
    a phrase reads as one deletion and one insertion rather than word-by-word alternation.
    """
    result: list[DiffOp] = []
    deleted: list[str] = []
    inserted: list[str] = []
    pending: set[str] = set()  # the kinds of change in the run being collected

    def flush() -> None:
        if deleted:
            result.append(DiffOp(DELETE, "".join(deleted)))
        if inserted:
            result.append(DiffOp(INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()
        pending.clear()

    ops = [(op, text) for op, text in ops if text]
    for index, (op, text) in enumerate(ops):
        if op == EQUAL:
            next_op = ops[index + 1][0] if index + 1 < len(ops) else EQUAL
            between_changes = (
                pending
                and next_op != EQUAL
                and pending | {next_op} == {DELETE, INSERT}
                and _INLINE_SPACE.fullmatch(text)
            )
            if between_changes:
                deleted.append(text)
                inserted.append(text)
                continue
            flush()
            if result and result[-1].op == EQUAL:
                result[-1] = DiffOp(EQUAL, result[-1].text + text)
            else:
                result.append(DiffOp(EQUAL, text))
        elif op == DELETE:
            deleted.append(text)
            pending.add(DELETE)
        else:
            inserted.append(text)
            pending.add(INSERT)
    flush()
    return result


def _align_to_lines(ops: list[DiffOp]) -> list[DiffOp]:
    r"""Slide a lone insertion or deletion of ``"\nline"`` to ``"line\n"`` where that is equal.

    ``fox<ins>\njumps</ins>\n`` and ``fox\n<ins>jumps\n</ins>`` describe the same change, but
    the second reads as the added line it is.
    """
    ops = [DiffOp(EQUAL, ""), *ops]  # so that every change has an op before it
    for index in range(1, len(ops) - 1):
        before, op, after = ops[index - 1 : index + 2]
        if op.op == EQUAL or before.op != EQUAL or after.op != EQUAL:
            continue
        if not (op.text.startswith("\n") and after.text.startswith("\n")):
            continue
        if after.text == "\n" and index + 2 < len(ops):
            continue  # the change would run into the next one
        ops[index - 1] = DiffOp(EQUAL, before.text + "\n")
        ops[index] = DiffOp(op.op, op.text[1:] + "\n")
        ops[index + 1] = DiffOp(EQUAL, after.text[1:])
    return [op for op in ops if op.text]


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Word-level diff of ``old`` to ``new``, keeping every character of both.

    Joining the ``equal`` and ``delete`` texts gives ``old``; joining the ``equal`` and
    ``insert`` texts gives ``new``. Lines are diffed first and words only within changed blocks
    of lines. Line endings are compared as they are: normalise both texts first (see
    :func:`normalize_newlines`) if they may differ.
    """
    a = _split_lines(old)
    b = _split_lines(new)
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == EQUAL:
            ops.append((EQUAL, "".join(a[i1:i2])))
        elif tag == DELETE:
            ops.append((DELETE, "".join(a[i1:i2])))
        elif tag == INSERT:
            ops.append((INSERT, "".join(b[j1:j2])))
        else:
            ops.extend(_replace_ops(a[i1:i2], b[j1:j2]))
    return _align_to_lines(_tidy(ops))


def _replace_ops(old_lines: list[str], new_lines: list[str]) -> list[tuple[str, str]]:
    """Word-level ops for a block of lines replaced by another.

    Small blocks are diffed word by word as a whole, which copes with reflowed paragraphs. A
    block too big for that (a heavily rewritten page) is diffed line against line when both
    sides have as many lines (the usual shape of a search-and-replace), else shown as deleted
    and inserted wholesale.
    """
    a = _TOKEN.findall("".join(old_lines))
    b = _TOKEN.findall("".join(new_lines))
    if len(old_lines) == len(new_lines) and len(a) * len(b) > _WORD_DIFF_BUDGET:
        ops: list[tuple[str, str]] = []
        for old_line, new_line in zip(old_lines, new_lines, strict=True):
            ops.extend(_word_ops(_TOKEN.findall(old_line), _TOKEN.findall(new_line)))
        return ops
    return _word_ops(a, b)


def render_word_diff(ops: list[DiffOp]) -> Markup:
    """HTML for a word diff: escaped text, insertions in ``<ins>``, deletions in ``<del>``.

    Newlines are kept as they are; show the result in ``<pre>`` or with
    ``white-space: pre-wrap``.
    """
    parts: list[str] = []
    for op in ops:
        text = escape(op.text)
        if op.op == INSERT:
            parts.append(f"<ins>{text}</ins>")
        elif op.op == DELETE:
            parts.append(f"<del>{text}</del>")
        else:
            parts.append(str(text))
    return Markup("".join(parts))  # noqa: S704 -- every piece of text was escaped above


def diff_stats(ops: list[DiffOp]) -> tuple[int, int]:
    """Return ``(words inserted, words deleted)`` for a word diff."""
    inserted = sum(len(op.text.split()) for op in ops if op.op == INSERT)
    deleted = sum(len(op.text.split()) for op in ops if op.op == DELETE)
    return inserted, deleted


# --- side by side ------------------------------------------------------------------------------


def side_by_side(left: str, right: str) -> list[tuple[str, str, str]]:
    """Rows ``(tag, left_line, right_line)`` comparing two texts line by line.

    ``tag`` is ``"equal"``, ``"replace"`` (both sides present and different), ``"delete"``
    (left only; right is ``""``) or ``"insert"`` (right only; left is ``""``). Lines have no
    line endings; ``\\r\\n`` counts the same as ``\\n``.
    """
    a = [line.removesuffix("\n") for line in _split_lines(normalize_newlines(left))]
    b = [line.removesuffix("\n") for line in _split_lines(normalize_newlines(right))]
    rows: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == EQUAL:
            rows.extend((EQUAL, line, line) for line in a[i1:i2])
        elif tag == DELETE:
            rows.extend((DELETE, line, "") for line in a[i1:i2])
        elif tag == INSERT:
            rows.extend((INSERT, "", line) for line in b[j1:j2])
        else:
            for old, new in zip_longest(a[i1:i2], b[j1:j2]):
                if new is None:
                    rows.append((DELETE, old, ""))
                elif old is None:
                    rows.append((INSERT, "", new))
                else:
                    rows.append(("replace", old, new))
    return rows

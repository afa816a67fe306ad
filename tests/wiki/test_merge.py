"""Three-way merge, word diff and side-by-side comparison of wiki page texts."""

from __future__ import annotations

import itertools
import random

import pytest
from markupsafe import Markup

from exchange.wiki.merge import (
    DiffOp,
    MergeResult,
    diff_stats,
    normalize_newlines,
    render_word_diff,
    side_by_side,
    three_way_merge,
    word_diff,
)

BASE = (
    "# Evaluation guide\n"
    "\n"
    "The first paragraph explains the purpose.\n"
    "\n"
    "The second paragraph lists the models.\n"
    "\n"
    "The third paragraph describes the method.\n"
    "\n"
    "The fourth paragraph gives the contacts.\n"
)


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def old_side(ops: list[DiffOp]) -> str:
    return "".join(op.text for op in ops if op.op != "insert")


def new_side(ops: list[DiffOp]) -> str:
    return "".join(op.text for op in ops if op.op != "delete")


def assert_well_formed(ops: list[DiffOp], old: str, new: str) -> None:
    assert old_side(ops) == old
    assert new_side(ops) == new
    assert all(op.op in {"equal", "insert", "delete"} for op in ops)
    assert all(op.text for op in ops)
    for first, second in itertools.pairwise(ops):
        assert first.op != second.op, ops


# --- three-way merge ---------------------------------------------------------------------------


def test_edits_to_different_paragraphs_merge_cleanly():
    mine = edit(BASE, "explains the purpose", "explains the purpose and scope")
    theirs = edit(BASE, "describes the method", "describes the method in detail")

    result = three_way_merge(BASE, mine, theirs)

    assert result == MergeResult(
        text=edit(mine, "describes the method", "describes the method in detail"),
        clean=True,
        conflicts=0,
    )
    assert "purpose and scope" in result.text
    assert "method in detail" in result.text
    assert "<<<<<<<" not in result.text


def test_edits_and_additions_in_several_places_merge_cleanly():
    mine = edit(BASE, "# Evaluation guide\n", "# Evaluation guide (draft)\n")
    mine = edit(mine, "lists the models.\n", "lists the models.\n\nA new paragraph.\n")
    theirs = edit(BASE, "gives the contacts.\n", "gives the contacts.\n\n## Annex\n")
    theirs = edit(theirs, "The third paragraph describes the method.\n\n", "")

    result = three_way_merge(BASE, mine, theirs)

    assert result.clean
    assert result.text == (
        "# Evaluation guide (draft)\n"
        "\n"
        "The first paragraph explains the purpose.\n"
        "\n"
        "The second paragraph lists the models.\n"
        "\n"
        "A new paragraph.\n"
        "\n"
        "The fourth paragraph gives the contacts.\n"
        "\n"
        "## Annex\n"
    )


def test_identical_edits_are_not_a_conflict():
    both = edit(BASE, "lists the models", "lists the frontier models")
    result = three_way_merge(BASE, both, both)
    assert result == MergeResult(both, clean=True, conflicts=0)


def test_identical_edits_alongside_a_one_sided_edit():
    both = edit(BASE, "lists the models", "lists the frontier models")
    theirs = edit(both, "gives the contacts", "gives the contact points")
    result = three_way_merge(BASE, both, theirs)
    assert result == MergeResult(theirs, clean=True, conflicts=0)


@pytest.mark.parametrize("side", ["mine", "theirs"])
def test_one_side_unchanged_takes_the_other(side):
    changed = edit(BASE, "the purpose", "the goal")
    if side == "mine":
        result = three_way_merge(BASE, BASE, changed)
    else:
        result = three_way_merge(BASE, changed, BASE)
    assert result == MergeResult(changed, clean=True, conflicts=0)


def test_overlapping_edits_conflict_with_markers():
    mine = edit(BASE, "lists the models", "lists the models we tested")
    theirs = edit(BASE, "lists the models", "lists every model")

    result = three_way_merge(BASE, mine, theirs)

    assert not result.clean
    assert result.conflicts == 1
    assert result.text == edit(
        BASE,
        "The second paragraph lists the models.\n",
        "<<<<<<< yours\n"
        "The second paragraph lists the models we tested.\n"
        "=======\n"
        "The second paragraph lists every model.\n"
        ">>>>>>> theirs\n",
    )


def test_conflict_markers_use_the_given_labels():
    mine = edit(BASE, "the purpose", "the goal")
    theirs = edit(BASE, "the purpose", "the aim")

    result = three_way_merge(BASE, mine, theirs, mine_label="your edit", theirs_label="rev 12")

    assert "<<<<<<< your edit\nThe first paragraph explains the goal.\n=======\n" in result.text
    assert "The first paragraph explains the aim.\n>>>>>>> rev 12\n" in result.text


def test_conflict_keeps_the_users_text_intact():
    mine = edit(BASE, "lists the models.\n", "lists the models:\n\n- model A\n- model B\n")
    theirs = edit(BASE, "lists the models.\n", "lists no models.\n")

    result = three_way_merge(BASE, mine, theirs)

    yours = result.text.split("<<<<<<< yours\n")[1].split("=======\n")[0]
    assert yours == "The second paragraph lists the models:\n\n- model A\n- model B\n"
    assert "lists no models.\n>>>>>>> theirs\n" in result.text


def test_each_conflicting_region_is_counted():
    mine = edit(BASE, "the purpose", "the goal")
    mine = edit(mine, "the contacts", "the people")
    theirs = edit(BASE, "the purpose", "the aim")
    theirs = edit(theirs, "the contacts", "the names")
    theirs = edit(theirs, "the method", "the approach")

    result = three_way_merge(BASE, mine, theirs)

    assert not result.clean
    assert result.conflicts == 2
    assert result.text.count("<<<<<<< yours\n") == 2
    assert result.text.count("=======\n") == 2
    assert result.text.count(">>>>>>> theirs\n") == 2
    assert "describes the approach" in result.text  # the clean change is still merged


def test_edits_to_adjacent_lines_conflict():
    base = "alpha\nbeta\ngamma\ndelta\n"
    result = three_way_merge(base, "alpha\nBETA\ngamma\ndelta\n", "alpha\nbeta\nGAMMA\ndelta\n")
    assert not result.clean
    assert result.conflicts == 1
    assert result.text == (
        "alpha\n<<<<<<< yours\nBETA\ngamma\n=======\nbeta\nGAMMA\n>>>>>>> theirs\ndelta\n"
    )


def test_insertions_at_the_same_place_conflict():
    mine = edit(BASE, "lists the models.\n", "lists the models.\nMine follows.\n")
    theirs = edit(BASE, "lists the models.\n", "lists the models.\nTheirs follows.\n")

    result = three_way_merge(BASE, mine, theirs)

    assert not result.clean
    assert result.conflicts == 1
    assert "<<<<<<< yours\nMine follows.\n=======\nTheirs follows.\n>>>>>>> theirs\n" in result.text


def test_lines_both_sides_agree_on_stay_outside_the_markers():
    mine = BASE + "\n## Notes\n\nMine.\n\n## End\n"
    theirs = BASE + "\n## Notes\n\nTheirs.\nMore.\n\n## End\n"

    result = three_way_merge(BASE, mine, theirs)

    assert result.conflicts == 1
    assert result.text == BASE + (
        "\n## Notes\n\n<<<<<<< yours\nMine.\n=======\nTheirs.\nMore.\n>>>>>>> theirs\n\n## End\n"
    )


def test_identical_insertions_at_the_same_place_merge():
    both = edit(BASE, "lists the models.\n", "lists the models.\nSame addition.\n")
    assert three_way_merge(BASE, both, both).clean


def test_insertions_at_the_end_of_the_page_conflict():
    result = three_way_merge(BASE, BASE + "\nMine at the end.\n", BASE + "\nTheirs at the end.\n")
    assert not result.clean
    assert result.conflicts == 1
    assert result.text.startswith(BASE + "\n<<<<<<< yours\nMine at the end.\n")


def test_deletion_against_edit_of_the_same_line_conflicts():
    mine = edit(BASE, "The third paragraph describes the method.\n", "")
    theirs = edit(BASE, "describes the method", "describes the new method")

    result = three_way_merge(BASE, mine, theirs)

    assert not result.clean
    assert result.conflicts == 1
    assert (
        "<<<<<<< yours\n=======\nThe third paragraph describes the new method.\n>>>>>>> theirs\n"
        in result.text
    )


def test_deletion_and_edit_elsewhere_merge():
    mine = edit(BASE, "The third paragraph describes the method.\n\n", "")
    theirs = edit(BASE, "the purpose", "the goal")
    result = three_way_merge(BASE, mine, theirs)
    assert result == MergeResult(edit(mine, "the purpose", "the goal"), clean=True, conflicts=0)


def test_windows_line_endings_are_normalised():
    base = BASE.replace("\n", "\r\n")
    mine = edit(BASE, "the purpose", "the goal").replace("\n", "\r\n")
    theirs = edit(BASE, "the contacts", "the people")  # the other save came with "\n"

    result = three_way_merge(base, mine, theirs)

    assert result.clean
    assert "\r" not in result.text
    assert result.text == edit(edit(BASE, "the purpose", "the goal"), "the contacts", "the people")


def test_windows_line_endings_in_a_conflict():
    mine = "one\r\ntwo mine\r\nthree\r\n"
    theirs = "one\r\ntwo theirs\r\nthree\r\n"
    result = three_way_merge("one\r\ntwo\r\nthree\r\n", mine, theirs)
    assert result.text == (
        "one\n<<<<<<< yours\ntwo mine\n=======\ntwo theirs\n>>>>>>> theirs\nthree\n"
    )


def test_line_ending_only_differences_are_not_edits():
    mine = BASE.replace("\n", "\r\n")
    theirs = edit(BASE, "the purpose", "the goal")
    assert three_way_merge(BASE, mine, theirs) == MergeResult(theirs, clean=True, conflicts=0)


def test_texts_without_a_trailing_newline():
    base = "first\nsecond\nlast"
    result = three_way_merge(base, "FIRST\nsecond\nlast", "first\nsecond\nLAST")
    assert result == MergeResult("FIRST\nsecond\nLAST", clean=True, conflicts=0)


def test_adding_the_final_newline_does_not_conflict_with_the_line_above():
    base = "first\nsecond\nlast"
    mine = "first\nsecond\nlast\n"
    theirs = "first\nSECOND\nlast"
    assert three_way_merge(base, mine, theirs) == MergeResult(
        "first\nSECOND\nlast\n", clean=True, conflicts=0
    )
    assert three_way_merge(base, theirs, mine).text == "first\nSECOND\nlast\n"


def test_conflict_on_a_last_line_without_newline():
    result = three_way_merge("a\nb", "a\nmine", "a\ntheirs")
    assert result.conflicts == 1
    assert result.text == "a\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> theirs\n"


def test_empty_base_two_new_pages_conflict():
    result = three_way_merge("", "# My page\n\nMine.\n", "# Their page\n\nTheirs.\n")
    assert not result.clean
    assert result.conflicts == 1
    assert result.text == (
        "<<<<<<< yours\n# My page\n\nMine.\n=======\n# Their page\n\nTheirs.\n>>>>>>> theirs\n"
    )


def test_empty_base_identical_new_pages_merge():
    page = "# Same page\r\n\r\nSame text."
    assert three_way_merge("", page, page) == MergeResult(
        "# Same page\n\nSame text.", clean=True, conflicts=0
    )


def test_empty_base_and_one_empty_side():
    assert three_way_merge("", "", "new text\n") == MergeResult("new text\n", True, 0)
    assert three_way_merge("", "new text\n", "") == MergeResult("new text\n", True, 0)


def test_all_empty():
    assert three_way_merge("", "", "") == MergeResult("", clean=True, conflicts=0)


def test_emptying_the_page_against_an_edit_conflicts():
    theirs = edit(BASE, "the purpose", "the goal")
    result = three_way_merge(BASE, "", theirs)
    assert not result.clean
    assert result.text.startswith("<<<<<<< yours\n=======\n# Evaluation guide\n")


def test_korean_text_merges():
    base = "# 평가 지침\n\n첫 번째 문단은 목적을 설명합니다.\n\n두 번째 문단은 모델을 나열합니다.\n"
    mine = edit(base, "목적을 설명합니다", "목적과 범위를 설명합니다")
    theirs = edit(base, "모델을 나열합니다", "평가한 모델을 나열합니다")

    result = three_way_merge(base, mine, theirs)

    assert result.clean
    assert result.text == edit(mine, "모델을 나열합니다", "평가한 모델을 나열합니다")

    conflict = three_way_merge(base, mine, edit(base, "목적을", "취지를"))
    assert conflict.conflicts == 1
    assert "<<<<<<< yours\n첫 번째 문단은 목적과 범위를 설명합니다.\n=======\n" in conflict.text


def paragraphs(rng: random.Random, count: int) -> list[str]:
    words = ["model", "evaluation", "safety", "모델", "평가", "안전", "연구소", "red", "team"]
    return [
        " ".join(rng.choice(words) for _ in range(rng.randint(2, 9))) + "." for _ in range(count)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_to_separate_paragraphs_merge_cleanly(seed):
    rng = random.Random(seed)
    paras = [f"{i}: {p}" for i, p in enumerate(paragraphs(rng, rng.randint(4, 60)))]
    mine_paras, theirs_paras = list(paras), list(paras)
    # Each side edits its own paragraphs, never two neighbouring ones across sides.
    indices = list(range(0, len(paras), 2))
    rng.shuffle(indices)
    for n, index in enumerate(indices[: rng.randint(2, len(indices))]):
        target = mine_paras if n % 2 else theirs_paras
        target[index] = rng.choice(["", "changed " + paras[index], paras[index] + "\n\nadded"])
    base, mine, theirs = ("\n\n".join(p) + "\n" for p in (paras, mine_paras, theirs_paras))
    expected = "\n\n".join(
        m if m != p else t for p, m, t in zip(paras, mine_paras, theirs_paras, strict=True)
    )

    result = three_way_merge(base, mine, theirs)

    assert result.clean, result.text
    assert result.text == expected + "\n"
    assert three_way_merge(base, mine, base).text == mine
    assert three_way_merge(base, base, theirs).text == theirs


def test_normalize_newlines():
    assert normalize_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


# --- word diff ---------------------------------------------------------------------------------

WORD_DIFF_CASES = [
    ("", ""),
    ("", "new page\n"),
    ("old page\n", ""),
    ("same\n", "same\n"),
    ("the quick brown fox", "the quick red fox"),
    ("the quick brown fox", "the slow brown dog jumps"),
    ("no newline", "no newline\n"),
    ("line one\nline two\n", "line one\n\nline two\n"),
    ("spaces  inside\ttabs\n", "spaces inside  tabs \n"),
    ("   leading and trailing   ", "leading and trailing"),
    ("a\r\nb\r\n", "a\r\nc\r\n"),
    ("a\r\nb\r\n", "a\nb\n"),
    ("# Title\n\n- item 1\n- item 2\n", "# Title\n\n- item 1\n- item 1.5\n- item 2\n"),
    ("안전 연구소의 평가 지침", "안전 연구소의 새로운 평가 지침"),
    ("한국어 문서 편집\n둘째 줄\n", "한국어 위키 편집\n둘째 줄\n"),
    ("모델을 평가합니다.", "모델을  평가했습니다."),
    ("日本語と한국어 mixed", "日本語と한국어 mixed text"),
    ("<b>bold</b> & more", "<i>bold</i> & less"),
    ("\n\n\n", "\n"),
    ("word\u2028other", "word\u2028another"),
]


@pytest.mark.parametrize(("old", "new"), WORD_DIFF_CASES)
def test_word_diff_round_trips(old, new):
    assert_well_formed(word_diff(old, new), old, new)
    assert_well_formed(word_diff(new, old), new, old)


def test_word_diff_marks_whole_words():
    ops = word_diff("the quick brown fox", "the quick red fox")
    assert ops == [
        DiffOp("equal", "the quick "),
        DiffOp("delete", "brown"),
        DiffOp("insert", "red"),
        DiffOp("equal", " fox"),
    ]


def test_word_diff_keeps_hangul_words_intact():
    ops = word_diff("한국어 문서 편집\n둘째 줄\n", "한국어 위키 편집\n둘째 줄\n")
    assert ops == [
        DiffOp("equal", "한국어 "),
        DiffOp("delete", "문서"),
        DiffOp("insert", "위키"),
        DiffOp("equal", " 편집\n둘째 줄\n"),
    ]


def test_word_diff_groups_a_replaced_phrase():
    ops = word_diff("we tested three models today", "we tested several frontier systems today")
    assert ops == [
        DiffOp("equal", "we tested "),
        DiffOp("delete", "three models"),
        DiffOp("insert", "several frontier systems"),
        DiffOp("equal", " today"),
    ]


def test_word_diff_of_identical_and_empty_texts():
    assert word_diff("", "") == []
    assert word_diff("same\ntext", "same\ntext") == [DiffOp("equal", "same\ntext")]
    assert word_diff("", "new") == [DiffOp("insert", "new")]
    assert word_diff("old", "") == [DiffOp("delete", "old")]


TOKENS = ["alpha", "beta", "γάμμα", "모델", "평가", "안전", "연구소", "<tag>", "&", "**bold**", "-"]
SPACES = [" ", " ", " ", "  ", "\t", "\n", "\n", "\n\n", "\r\n", " \n"]


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(TOKENS) + rng.choice(SPACES) for _ in range(size))


def random_edit(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 6)):
        i = rng.randint(0, len(text))
        j = min(len(text), i + rng.randint(0, 20))
        choice = rng.random()
        if choice < 0.3:
            text = text[:i] + text[j:]  # delete characters, possibly mid-word
        elif choice < 0.6:
            text = text[:i] + random_text(rng, rng.randint(1, 5)) + text[i:]
        elif choice < 0.8:
            text = text[:i] + random_text(rng, rng.randint(1, 5)) + text[j:]
        else:
            text = text[:i] + rng.choice(["x", "한", " ", "\n", "\r"]) + text[i:]
    return text


@pytest.mark.parametrize("seed", range(4))
def test_word_diff_round_trips_on_random_edits(seed):
    rng = random.Random(seed)
    for _ in range(100):
        old = random_text(rng, rng.randint(0, 80))
        new = random_edit(rng, old)
        ops = word_diff(old, new)
        assert_well_formed(ops, old, new)
        inserted, deleted = diff_stats(ops)
        assert inserted >= 0 and deleted >= 0
        if old == new:
            assert (inserted, deleted) == (0, 0)


def test_word_diff_of_a_long_page_with_a_few_edits():
    rng = random.Random(5000)
    lines = [f"Line {i}: " + p if p else "" for i, p in enumerate(paragraphs(rng, 5000))]
    for i in range(0, 5000, 3):
        lines[i] = ""  # plenty of blank lines, as in real Markdown
    old = "\n".join(lines) + "\n"
    lines[1] = "Line 1: rewritten opening."
    lines[2500] = lines[2500].replace("Line 2500:", "Line 2500: inserted words here")
    del lines[4000]
    lines.insert(4500, "A brand new paragraph.")
    new = "\n".join(lines) + "\n"

    ops = word_diff(old, new)

    assert_well_formed(ops, old, new)
    changed = [op for op in ops if op.op != "equal"]
    assert [op.op for op in changed] == ["delete", "insert", "insert", "delete", "insert"]
    assert changed[1].text == "rewritten opening."
    assert changed[2].text == "inserted words here "
    assert changed[3].text.startswith("Line 4000: ")
    assert changed[4].text == "A brand new paragraph.\n"
    assert diff_stats(ops) == (
        2 + 3 + 4,
        len(old.split("\n")[1].split()) - 2 + len(old.split("\n")[4000].split()),
    )


@pytest.mark.parametrize("same_line_count", [True, False])
def test_word_diff_of_a_rewritten_long_page(same_line_count):
    rng = random.Random(7)
    old = "\n\n".join(paragraphs(rng, 2500)) + "\n"
    new = "\n\n".join(paragraphs(rng, 2500 if same_line_count else 2400)) + "\n"
    assert_well_formed(word_diff(old, new), old, new)


# --- rendering and stats -----------------------------------------------------------------------


def test_render_word_diff_marks_changes():
    html = render_word_diff(word_diff("the quick brown fox\n", "the quick red fox\njumps\n"))
    assert isinstance(html, Markup)
    assert html == "the quick <del>brown</del><ins>red</ins> fox\n<ins>jumps\n</ins>"


def test_render_word_diff_escapes_everything():
    ops = [
        DiffOp("equal", "<script>alert(1)</script> "),
        DiffOp("delete", "<img src=x onerror=alert(2)>"),
        DiffOp("insert", '"&amp;" <script>'),
    ]
    html = render_word_diff(ops)
    assert "<script>" not in html
    assert "<img" not in html
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt; "
        "<del>&lt;img src=x onerror=alert(2)&gt;</del>"
        "<ins>&#34;&amp;amp;&#34; &lt;script&gt;</ins>"
    )


def test_render_word_diff_of_nothing():
    assert render_word_diff([]) == Markup("")


def test_diff_stats_counts_words():
    ops = word_diff("one two three\n넷 다섯\n", "one 2 three four\n넷 여섯 일곱\n")
    assert diff_stats(ops) == (4, 2)
    assert diff_stats([]) == (0, 0)
    assert diff_stats(word_diff("a b", "a  b")) == (0, 0)  # whitespace is not a word


# --- side by side ------------------------------------------------------------------------------


def test_side_by_side_rows():
    left = "title\nkept\nold line\nremoved\nend\n"
    right = "title\nnew first\nkept\nnew line\nend\nappended"
    assert side_by_side(left, right) == [
        ("equal", "title", "title"),
        ("insert", "", "new first"),
        ("equal", "kept", "kept"),
        ("replace", "old line", "new line"),
        ("delete", "removed", ""),
        ("equal", "end", "end"),
        ("insert", "", "appended"),
    ]


def test_side_by_side_pads_unequal_replacements():
    rows = side_by_side("a\nb\nz\n", "a\nx\ny\nw\nz\n")
    assert rows == [
        ("equal", "a", "a"),
        ("replace", "b", "x"),
        ("insert", "", "y"),
        ("insert", "", "w"),
        ("equal", "z", "z"),
    ]


def test_side_by_side_ignores_line_ending_style_and_handles_empty_text():
    assert side_by_side("a\r\nb\r\n", "a\nb") == [("equal", "a", "a"), ("equal", "b", "b")]
    assert side_by_side("", "") == []
    assert side_by_side("", "new\n\n") == [("insert", "", "new"), ("insert", "", "")]
    assert side_by_side("gone", "") == [("delete", "gone", "")]


def test_side_by_side_keeps_korean_lines():
    assert side_by_side("제목\n본문", "제목\n새 본문") == [
        ("equal", "제목", "제목"),
        ("replace", "본문", "새 본문"),
    ]

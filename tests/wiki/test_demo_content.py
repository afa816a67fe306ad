"""The wiki's demo pages (exchange/wiki/demo/*.md) and their header parser."""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter

import pytest

from exchange.demo import ACCOUNTS, INSTITUTES, demo_email
from exchange.wiki.demo_content import DEMO_DIR, DemoPage, parse_demo_page, read_demo_pages

LINK_RE = re.compile(r"\[\[(?!eval:)([^\]|]+)(?:\|[^\]]*)?\]\]")
FENCE_RE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)

# Pages that the demo content links to on purpose but that do not exist yet ("wanted pages").
WANTED = {
    "chem-uplift-red-team-protocol",
    "cyber-task-difficulty-tiers",
    "transcript-annotation-codebook",
}

INSTITUTE_CODES = {code for code, *_rest in INSTITUTES}
DEMO_EMAILS = {demo_email(code, local): code for code, local, *_rest in ACCOUNTS}
# Real model names must not appear in the demo findings: their models are fictional.
REAL_MODEL_NAMES = re.compile(r"\b(gpt|claude|gemini|llama|mistral|gemma|o1)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def pages() -> list[DemoPage]:
    return read_demo_pages()


@pytest.fixture(scope="module")
def by_slug(pages) -> dict[str, DemoPage]:
    return {page.slug: page for page in pages}


def link_targets(body: str) -> list[str]:
    return [m.group(1).strip().lower().replace(" ", "-") for m in LINK_RE.finditer(body)]


def prose_words(body: str) -> int:
    return len(FENCE_RE.sub("", body).split())


def test_every_file_parses_and_slugs_are_the_file_names(pages):
    files = sorted(DEMO_DIR.glob("*.md"))
    assert len(files) == len(pages)
    for path in files:
        assert parse_demo_page(path).slug == unicodedata.normalize("NFC", path.stem)
    slugs = [page.slug for page in pages]
    assert len(set(slugs)) == len(slugs)
    assert {unicodedata.normalize("NFC", p.stem) for p in files} == set(slugs)
    titles = [page.title for page in pages]
    assert len(set(titles)) == len(titles)


def test_counts(pages):
    kinds = Counter(page.kind for page in pages)
    languages = Counter(page.language for page in pages)
    assert 22 <= len(pages) <= 26
    assert kinds["methodology"] >= 10
    assert kinds["finding"] >= 10
    assert languages["ko"] >= 4
    assert any(
        p.language == "ko" and p.kind == "methodology" and not p.translation_of for p in pages
    )
    assert any(p.language == "ko" and p.kind == "finding" and not p.translation_of for p in pages)


def test_english_pages_have_a_useful_length(pages):
    for page in pages:
        if page.language != "en":
            continue
        words = prose_words(page.body)
        if page.kind == "methodology":
            assert 250 <= words <= 700, (page.slug, words)
        elif page.kind == "finding":
            assert 150 <= words <= 450, (page.slug, words)


def test_markdown_features_are_used(pages):
    methodology = [p.body for p in pages if p.kind == "methodology"]
    assert sum("| --- |" in b or "|---|" in b for b in methodology) >= 3
    assert sum(bool(re.search(r"^```[a-z]+$", b, re.MULTILINE)) for b in methodology) >= 3
    assert sum("[^" in b for b in methodology) >= 2
    assert sum("$$" in b for b in methodology) >= 2
    assert any("- [ ] " in b for b in methodology)
    assert all(re.search(r"^## ", p.body, re.MULTILINE) for p in pages)


def test_every_link_target_exists_or_is_wanted(pages, by_slug):
    linked: set[str] = set()
    for page in pages:
        targets = link_targets(page.body)
        assert targets, f"{page.slug} links to no other page"
        for target in targets:
            assert target != page.slug, f"{page.slug} links to itself"
            assert target in by_slug or target in WANTED, f"{page.slug} -> [[{target}]]"
        linked.update(targets)
    assert linked >= WANTED, "every wanted page is linked from somewhere"
    assert not WANTED & set(by_slug)
    orphans = set(by_slug) - linked
    assert not orphans, f"pages nothing links to: {sorted(orphans)}"


def test_translations(pages, by_slug):
    translations = [page for page in pages if page.translation_of]
    assert len(translations) >= 2
    position = {page.slug: i for i, page in enumerate(pages)}
    for page in translations:
        source = by_slug[page.translation_of]
        assert source.language != page.language
        assert source.kind == page.kind
        assert source.translation_of is None
        assert position[source.slug] < position[page.slug]
        assert page.slug in link_targets(source.body), "the original links to its translation"


def test_visibility_fields_are_consistent(pages):
    for page in pages:
        if page.visibility == "institutes":
            assert page.institutes, page.slug
            assert set(page.institutes) <= INSTITUTE_CODES, page.slug
        else:
            assert page.institutes == (), page.slug
        if page.embargo_until is not None:
            assert page.embargo_until > datetime.date(2026, 1, 1)
    public = [p for p in pages if p.visibility == "public"]
    assert 3 <= len(public) <= 4
    assert all(p.kind == "methodology" for p in public)
    kr_uk = [
        p for p in pages if p.kind == "finding" and set(p.institutes) == {"KR-AISI", "UK-AISI"}
    ]
    assert 4 <= len(kr_uk) <= 5
    kr_only = [p for p in pages if p.kind == "finding" and p.institutes == ("KR-AISI",)]
    assert len(kr_only) == 1
    embargoed = [p for p in pages if p.embargo_until is not None]
    assert [(p.kind, p.embargo_until) for p in embargoed] == [
        ("finding", datetime.date(2027, 3, 31))
    ]
    assert Counter(p.visibility for p in pages).most_common(1)[0][0] == "network"


def test_owners_and_authors_exist_in_the_demo_data(pages):
    for page in pages:
        assert page.owner in INSTITUTE_CODES, page.slug
        assert page.author in DEMO_EMAILS, page.slug
        assert DEMO_EMAILS[page.author] == page.owner, f"{page.slug}: author not of the owner"
    assert len({page.owner for page in pages}) >= 5
    assert {p.owner for p in pages if p.language == "ko"} == {"KR-AISI"}


def test_tags_and_review_statuses(pages):
    for page in pages:
        assert 2 <= len(page.tags) <= 5
        assert all(tag == tag.lower() for tag in page.tags)
    statuses = Counter(page.review_status for page in pages)
    assert set(statuses) == {"draft", "reviewed", "endorsed"}
    findings = [p for p in pages if p.kind == "finding"]
    assert sum(p.review_status != "draft" for p in findings) >= 6


def test_findings_use_fictional_models(pages):
    for page in pages:
        if page.kind != "finding":
            continue
        assert re.search(r"(Models?|모델) [A-F]\b", page.body), page.slug
        assert not REAL_MODEL_NAMES.search(page.body), page.slug
        assert re.search(r"\d ± \d", page.body), f"{page.slug} has no values with standard errors"


# --- the parser on hand-made files ----------------------------------------------------------

GOOD_HEADER = """---
title: A page
kind: methodology
language: en
owner: KR-AISI
author: member@kr-aisi.example
visibility: network
tags: one, two
review_status: draft
summary: first version
---
## Body

Text.
"""


def write(directory, name: str, text: str):
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_parser_reads_a_good_file(tmp_path):
    header = GOOD_HEADER.replace(
        "visibility: network", "visibility: institutes\ninstitutes: KR-AISI, UK-AISI"
    ).replace("tags: one, two", "tags: one, two\nembargo_until: 2027-03-31")
    page = parse_demo_page(write(tmp_path, "a-page.md", header))
    assert page.slug == "a-page"
    assert page.institutes == ("KR-AISI", "UK-AISI")
    assert page.embargo_until == datetime.date(2027, 3, 31)
    assert page.tags == ("one", "two")
    assert page.translation_of is None
    assert page.body == "## Body\n\nText.\n"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("kind: methodology", "kind: essay", "kind must be one of"),
        ("kind: methodology\n", "", "missing or empty header field(s): kind"),
        ("owner: KR-AISI", "owner: korea", "not an institute code"),
        ("visibility: network", "visibility: network\ninstitutes: KR-AISI", "only with visibility"),
        ("visibility: network", "visibility: institutes", "needs an institutes field"),
        ("tags: one, two", "tags: one", "expected 2 to 5 tags"),
        ("tags: one, two", "tags: One, two", "not lower-case tags"),
        ("tags: one, two", "tags: one, two\nembargo_until: 31/03/2027", "not an ISO date"),
        ("summary: first version", "summary: first version\nsummary: again", "duplicate key"),
        ("summary: first version", "summary: first version\ncolour: red", "unknown header key"),
        ("summary: first version", "summary: first version\ntranslation_of: a-page", "itself"),
        ("---\n## Body\n\nText.\n", "---\n", "the body is empty"),
        ("---\ntitle", "title", "must start with a '---' line"),
    ],
)
def test_parser_rejects_bad_fields_naming_the_file(tmp_path, old, new, message):
    assert old in GOOD_HEADER
    write(tmp_path, "a-page.md", GOOD_HEADER.replace(old, new, 1))
    with pytest.raises(ValueError, match=r"^a-page\.md: ") as info:
        read_demo_pages(tmp_path)
    assert message in str(info.value)


def test_parser_rejects_a_bad_file_name(tmp_path):
    write(tmp_path, "A Page.md", GOOD_HEADER)
    with pytest.raises(
        ValueError, match=r"^A Page\.md: the file name 'A Page' is not a valid slug"
    ):
        read_demo_pages(tmp_path)


def test_translations_come_after_their_source(tmp_path):
    korean = GOOD_HEADER.replace("language: en", "language: ko").replace(
        "summary: first version", "summary: 번역\ntranslation_of: z-source"
    )
    write(tmp_path, "a-translation.md", korean)
    write(tmp_path, "m-other.md", GOOD_HEADER)
    write(tmp_path, "z-source.md", GOOD_HEADER)
    assert [p.slug for p in read_demo_pages(tmp_path)] == ["m-other", "z-source", "a-translation"]


def test_translation_of_a_missing_page_is_rejected(tmp_path):
    text = GOOD_HEADER.replace("summary: first version", "summary: x\ntranslation_of: nowhere")
    write(tmp_path, "a-page.md", text)
    with pytest.raises(
        ValueError, match=r"^a-page\.md: translation_of 'nowhere' is not a demo page"
    ):
        read_demo_pages(tmp_path)


def test_a_translation_cycle_is_rejected(tmp_path):
    for name, other in (("a-page", "b-page"), ("b-page", "a-page")):
        text = GOOD_HEADER.replace("summary: first version", f"summary: x\ntranslation_of: {other}")
        write(tmp_path, f"{name}.md", text)
    with pytest.raises(ValueError, match=r"^a-page\.md: translation_of forms a cycle"):
        read_demo_pages(tmp_path)

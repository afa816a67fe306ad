"""Unit tests for the wiki's Markdown renderer (no app or request needed)."""

from __future__ import annotations

import html
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest

from exchange.wiki.rendering import (
    RenderedPage,
    WikiLink,
    normalize_slug,
    plain_text,
    render_markdown,
    slugify,
)
from tests.wiki.xss_payloads import XSS_PAYLOADS


class _Tags(HTMLParser):
    """Collect (tag, attributes) of every start tag, attribute values unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def tags(fragment: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser.tags


def find(fragment: str, tag: str, **attrs: str) -> list[dict[str, str]]:
    """Attributes of each `tag` element whose attributes include `attrs` (class_ for class)."""
    wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
    return [
        found
        for name, found in tags(fragment)
        if name == tag and all(found.get(key) == value for key, value in wanted.items())
    ]


# --- Markdown features ----------------------------------------------------------------------------


def test_render_returns_rendered_page():
    page = render_markdown("Hello *world*")
    assert isinstance(page, RenderedPage)
    assert page.html.strip() == "<p>Hello <em>world</em></p>"
    assert page.toc_html == ""
    assert page.links == ()


def test_table_alignment_becomes_classes():
    page = render_markdown("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n")
    assert "<table>" in page.html
    assert [cell.get("class") for cell in find(page.html, "th")] == [
        "align-left",
        "align-center",
        "align-right",
        None,
    ]
    assert [cell.get("class") for cell in find(page.html, "td")] == [
        "align-left",
        "align-center",
        "align-right",
        None,
    ]
    assert "style" not in page.html


def test_fenced_code_is_highlighted_with_classes_only():
    page = render_markdown('```python\ndef greet(name):\n    return f"hi {name}" < 1\n```\n')
    assert find(page.html, "div", class_="highlight")
    assert find(page.html, "span", class_="k")  # keyword: def / return
    assert find(page.html, "span", class_="nf")  # function name
    assert '<span class="o">&lt;</span>' in page.html
    assert "style=" not in page.html


def test_code_without_language_is_not_guessed():
    page = render_markdown("```\ndef greet(name): pass\n```\n")
    assert find(page.html, "div", class_="highlight")
    assert not find(page.html, "span", class_="k")
    assert "def greet(name): pass" in plain_text(page.html)


def test_footnotes():
    page = render_markdown("Claim[^src] and another[^2].\n\n[^src]: The source.\n[^2]: Second.\n")
    assert find(page.html, "sup", id="fnref:src")
    assert find(page.html, "a", class_="footnote-ref", href="#fn:src")
    assert find(page.html, "div", class_="footnote")
    assert find(page.html, "li", id="fn:src")
    assert find(page.html, "a", class_="footnote-backref", href="#fnref:src")
    assert find(page.html, "li", id="fn:2")


def test_toc_with_korean_headings():
    page = render_markdown(
        "# 탈옥 평가 방법\n\nIntro.\n\n## 준비 단계\n\n### Running a CTF suite (v2)\n\n## 결과\n"
    )
    ids = [attrs["id"] for tag, attrs in tags(page.html) if tag in ("h1", "h2", "h3")]
    assert ids == ["탈옥-평가-방법", "준비-단계", "running-a-ctf-suite-v2", "결과"]
    assert find(page.html, "a", class_="headerlink", href="#탈옥-평가-방법")
    toc = page.toc_html
    assert toc.startswith('<ul><li><a href="#탈옥-평가-방법">탈옥 평가 방법</a><ul>')
    assert [attrs["href"] for tag, attrs in tags(toc) if tag == "a"] == [
        "#탈옥-평가-방법",
        "#준비-단계",
        "#running-a-ctf-suite-v2",
        "#결과",
    ]
    assert toc.count("<ul>") == 3  # nested: h1 > h2 > h3
    assert "headerlink" not in toc and "¶" not in toc


def test_toc_is_empty_with_fewer_than_two_headings():
    assert render_markdown("# Only one\n\ntext").toc_html == ""
    assert render_markdown("no headings at all").toc_html == ""
    assert render_markdown("# One\n\n## Two").toc_html != ""


def test_duplicate_and_symbol_only_headings_get_unique_ids():
    page = render_markdown("## Setup\n\n## Setup\n\n## !!!\n\n## ???\n")
    ids = [attrs["id"] for tag, attrs in tags(page.html) if tag == "h2"]
    assert len(set(ids)) == 4
    assert ids[0] == "setup"
    assert ids[1].startswith("setup")


def test_toc_marker_in_page():
    page = render_markdown("[TOC]\n\n# One\n\n## Two\n")
    assert find(page.html, "div", class_="wiki-toc")
    assert plain_text(page.html) == "One Two"  # the inline TOC is not indexed twice


def test_heading_markup_is_escaped_in_toc():
    page = render_markdown("# A & B <script>x</script>\n\n## *C*\n")
    assert "A &amp; B" in page.toc_html
    assert "<script" not in page.toc_html and "<script" not in page.html


def test_math_inline_and_display():
    page = render_markdown("Energy $E = mc^2$ and $a<b$.\n\n$$\n\\int_0^1 x\\,dx\n$$\n")
    inline = find(page.html, "span", class_="arithmatex")
    display = find(page.html, "div", class_="arithmatex")
    assert len(inline) == 2 and len(display) == 1
    assert "\\(E = mc^2\\)" in page.html
    assert "\\(a&lt;b\\)" in page.html
    assert "\\[\n\\int_0^1 x\\,dx\n\\]" in page.html


def test_task_list_checkboxes_are_disabled():
    page = render_markdown("- [x] done\n- [ ] todo\n- plain\n")
    assert find(page.html, "ul", class_="task-list")
    boxes = find(page.html, "input")
    assert len(boxes) == 2
    assert all(box["type"] == "checkbox" and "disabled" in box for box in boxes)
    assert "checked" in boxes[0] and "checked" not in boxes[1]


def test_strikethrough_sane_lists_and_admonitions():
    page = render_markdown(
        '~~gone~~\n\n1. one\n2. two\n\n* star\n\n!!! warning "Mind the gap"\n    Careful.\n'
    )
    assert "<del>gone</del>" in page.html
    assert find(page.html, "ol") and find(page.html, "ul")
    assert find(page.html, "div", class_="admonition warning")
    assert find(page.html, "p", class_="admonition-title")
    assert "Mind the gap" in page.html


def test_definition_lists_and_abbreviations():
    page = render_markdown("Term\n:   Definition\n\n*[CTF]: Capture the flag\n\nA CTF run.\n")
    assert "<dl>" in page.html and "<dt>Term</dt>" in page.html
    assert find(page.html, "abbr", title="Capture the flag")


def test_allowed_raw_html_survives_and_comments_do_not():
    page = render_markdown(
        "<details><summary>More</summary>Hidden <kbd>Ctrl</kbd></details>\n\n"
        '<!-- secret note -->\n\n<span class="flash skip-link">fake</span>\n'
    )
    assert "<details><summary>More</summary>Hidden <kbd>Ctrl</kbd></details>" in page.html
    assert "secret note" not in page.html
    assert find(page.html, "span") == [{}]  # site classes are not for authors


def test_images_may_be_relative_or_https_only():
    page = render_markdown(
        "![chart](/wiki/results/files/chart.png) ![ext](https://example.org/a.png) "
        "![bad](data:image/png;base64,AAAA)"
    )
    sources = [img.get("src") for img in find(page.html, "img")]
    assert sources == ["/wiki/results/files/chart.png", "https://example.org/a.png", None]
    assert find(page.html, "img", alt="chart")


def test_external_links_get_rel_internal_links_do_not():
    page = render_markdown(
        "[ext](https://example.org/) [mail](mailto:a@example.org) [proto](//evil.example/) "
        "[local](/wiki/x) [frag](#top) [rel](other-page) <https://example.com/auto>"
    )
    rels = {link.get("href"): link.get("rel") for link in find(page.html, "a")}
    external = "noopener noreferrer nofollow"
    assert rels == {
        "https://example.org/": external,
        "mailto:a@example.org": external,
        "//evil.example/": external,
        "/wiki/x": None,
        "#top": None,
        "other-page": None,
        "https://example.com/auto": external,
    }


def test_author_rel_is_replaced():
    page = render_markdown(
        '<a href="/wiki/x" rel="opener">x</a> <a href="https://a.example" rel="me">y</a>'
    )
    assert [link.get("rel") for link in find(page.html, "a")] == [
        None,
        "noopener noreferrer nofollow",
    ]


# --- Wiki links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "link", "attrs"),
    [
        (
            "[[Main Page]]",
            WikiLink("main-page", "Main Page", "page"),
            {"class": "wikilink", "data-wikilink": "main-page", "href": "/wiki/main-page"},
        ),
        (
            "[[main_page|the main page]]",
            WikiLink("main-page", "the main page", "page"),
            {"class": "wikilink", "data-wikilink": "main-page", "href": "/wiki/main-page"},
        ),
        (
            "[[eval:CTF Suite v2]]",
            WikiLink("ctf-suite-v2", "CTF Suite v2", "eval"),
            {
                "class": "wikilink evallink",
                "data-evallink": "ctf-suite-v2",
                "href": "/evaluations/ctf-suite-v2",
            },
        ),
        (
            "[[eval:ctf-suite-v2|the CTF suite]]",
            WikiLink("ctf-suite-v2", "the CTF suite", "eval"),
            {
                "class": "wikilink evallink",
                "data-evallink": "ctf-suite-v2",
                "href": "/evaluations/ctf-suite-v2",
            },
        ),
        (
            "[[탈옥 평가 방법]]",
            WikiLink("탈옥-평가-방법", "탈옥 평가 방법", "page"),
            {
                "class": "wikilink",
                "data-wikilink": "탈옥-평가-방법",
                "href": "/wiki/%ED%83%88%EC%98%A5-%ED%8F%89%EA%B0%80-%EB%B0%A9%EB%B2%95",
            },
        ),
        (
            "[[eval:탈옥|탈옥 평가]]",
            WikiLink("탈옥", "탈옥 평가", "eval"),
            {
                "class": "wikilink evallink",
                "data-evallink": "탈옥",
                "href": "/evaluations/%ED%83%88%EC%98%A5",
            },
        ),
    ],
)
def test_wiki_link_forms(source, link, attrs):
    page = render_markdown(source)
    assert page.links == (link,)
    anchors = find(page.html, "a")
    assert anchors == [attrs]
    assert f">{html.escape(link.label, quote=False)}</a>" in page.html


def test_wiki_link_label_is_text_not_markup():
    page = render_markdown("[[page|*not* <b>bold</b> & more]]")
    assert "*not* &lt;b&gt;bold&lt;/b&gt; &amp; more</a>" in page.html
    assert page.links == (WikiLink("page", "*not* <b>bold</b> & more", "page"),)


def test_wiki_links_inside_code_are_not_parsed():
    source = (
        "Inline `[[not a link]]` and ``[[eval:nope]]``.\n\n"
        "```\n[[fenced]]\n```\n\n"
        "    [[indented]]\n\n"
        "[[real]]\n"
    )
    page = render_markdown(source)
    assert page.links == (WikiLink("real", "real", "page"),)
    assert "<code>[[not a link]]</code>" in page.html
    assert "[[fenced]]" in page.html and "[[indented]]" in page.html


def test_wiki_link_duplicates_collapse_in_order_of_first_appearance():
    page = render_markdown(
        "# Title\n\n[[B]] then [[a|first label]]\n\n"
        "| col |\n|---|\n| [[eval:a]] |\n\n"
        "[[A|second label]] [[eval:A|again]] [[b]]\n"
    )
    assert page.links == (
        WikiLink("b", "B", "page"),
        WikiLink("a", "first label", "page"),
        WikiLink("a", "a", "eval"),
    )
    assert page.html.count('class="wikilink"') == 4  # every occurrence is still a link


def test_wiki_link_with_escaped_pipe_in_table():
    page = render_markdown("| link |\n|---|\n| [[target page\\|shown]] |\n")
    assert page.links == (WikiLink("target-page", "shown", "page"),)
    assert find(page.html, "td")


def test_wiki_link_whose_target_normalizes_to_nothing_stays_literal():
    page = render_markdown("[[!!!]] and [[eval:???|label]] and [[ ]]")
    assert page.links == ()
    assert "[[!!!]]" in page.html and "[[eval:???|label]]" in page.html
    assert "<a" not in page.html


def test_wiki_links_in_headings_and_footnotes_are_collected():
    page = render_markdown("## See [[Setup]]\n\nText[^1]\n\n[^1]: From [[eval:origin]].\n")
    assert page.links == (WikiLink("setup", "Setup", "page"), WikiLink("origin", "origin", "eval"))


# --- Purity ------------------------------------------------------------------------------------

SAMPLE = (
    "# 제목\n\n## Part [[one]]\n\nText[^n] with $x$ and `code`.\n\n"
    "| a |\n|--:|\n| 1 |\n\n[^n]: note\n"
)


def test_rendering_is_deterministic_and_keeps_no_state():
    first = render_markdown(SAMPLE)
    render_markdown("# Other\n\n## Page\n\n[[elsewhere]] [^x]\n\n[^x]: y")
    assert render_markdown(SAMPLE) == first
    assert render_markdown("plain").links == ()
    assert render_markdown("plain").toc_html == ""


def test_rendering_is_thread_safe():
    sources = [SAMPLE, "# A\n\n## B\n\n[[b]]", "[[eval:c|C]] $y$", "- [x] t\n"] * 8
    expected = [render_markdown(source) for source in sources]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(render_markdown, sources)) == expected


# --- Slugs and plain text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Main Page", "main-page"),
        ("main_page", "main-page"),
        ("  --Leading and trailing--  ", "leading-and-trailing"),
        ("a  _ - b", "a-b"),
        ("Running a CTF suite (v2)", "running-a-ctf-suite-v2"),
        ("탈옥 평가 방법", "탈옥-평가-방법"),
        ("GPT-4o 탈옥 v2", "gpt-4o-탈옥-v2"),
        ("C++ & Rust", "c-rust"),
        ("Ünïcödé", "ncd"),
        ("\uff41\uff42\uff43", ""),  # full-width "abc": no NFKC here
        ("!!!", ""),
        ("", ""),
        ("ㄱㄴㄷ", ""),  # compatibility jamo are not syllables
        ("already-a-slug", "already-a-slug"),
    ],
)
def test_normalize_slug(text, slug):
    assert normalize_slug(text) == slug
    assert normalize_slug(slug) == slug  # idempotent


def test_normalize_slug_is_at_most_120_chars_without_trailing_dash():
    assert normalize_slug("a" * 300) == "a" * 120
    slug = normalize_slug("a" * 119 + " b")
    assert len(slug) <= 120 and not slug.endswith("-")
    assert slug == "a" * 119


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Running a CTF suite (v2)", "running-a-ctf-suite-v2"),
        ("탈옥 평가 방법", "탈옥-평가-방법"),
        ("\uff23\uff34\uff26\u3000\uff33\uff55\uff49\uff54\uff45", "ctf-suite"),  # full-width
        ("\u1110\u1161\u11af\u110b\u1169\u11a8", "탈옥"),  # decomposed Hangul, composed by NFKC
        ("Café", "caf"),  # nothing is transliterated
        ("①②", "12"),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_plain_text():
    page = render_markdown(
        "# Title\n\n## Sub\n\nSome *emphasis* and [[a link|shown]] &amp; more.\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nNote[^1]\n\n[^1]: Foot.\n"
    )
    text = plain_text(page.html)
    assert text == "Title Sub Some emphasis and shown & more. a b 1 2 Note1 Foot."
    assert plain_text("<p>a</p><p>b<br>c</p>  <script>x</script>\n\n  d") == "a b c d"
    assert plain_text("") == ""


# --- XSS corpus ---------------------------------------------------------------------------------

FORBIDDEN_TAGS = (
    "<script",
    "<iframe",
    "<object",
    "<embed",
    "<style",
    "<form",
    "<base",
    "<meta",
    "<link",
)
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "data", "poster"}
_CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f]+")
_QUOTED = re.compile(r'"[^"]*"')


def _fully_unescaped(value: str) -> str:
    previous = None
    while value != previous:
        previous, value = value, html.unescape(value)
    return _CONTROL_AND_SPACE.sub("", value).lower()


def assert_safe(fragment: str) -> None:
    lowered = fragment.lower()
    for tag in FORBIDDEN_TAGS:
        assert tag not in lowered, tag
    # Attribute names inside tags, with quoted values blanked out (text and values are escaped).
    tag_text = _QUOTED.sub('""', fragment)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", tag_text, re.IGNORECASE)
    assert not re.search(r"<[a-z][^>]*\sstyle\s*=", tag_text, re.IGNORECASE)
    for tag, attrs in tags(fragment):
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in URL_ATTRIBUTES:
                url = _fully_unescaped(value)
                for scheme in DANGEROUS_SCHEMES:
                    assert scheme not in url, (tag, name, value)


def test_corpus_is_large_enough():
    assert len(XSS_PAYLOADS) >= 40
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_is_neutralised(payload):
    page = render_markdown(payload)
    assert_safe(page.html)
    assert_safe(page.toc_html)
    assert "style=" not in page.html.lower()
    for link in page.links:
        assert normalize_slug(link.target) == link.target


def test_xss_payloads_together_in_one_page():
    page = render_markdown("\n\n".join(XSS_PAYLOADS))
    assert_safe(page.html)
    assert_safe(page.toc_html)

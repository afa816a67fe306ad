"""The search page and title suggestions over HTTP, on a real index built from real content.

Content is created through the services (``make_page``); ``index_now()`` applies the search
outbox as the indexer does after a commit. The page is read as HTML, the way a browser without
JavaScript would use it: results, marks, facets, links, hints.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from itertools import pairwise
from urllib.parse import parse_qs, urlsplit

import pytest

from exchange.extensions import db
from exchange.search.service import MAX_PAGE, PER_PAGE
from exchange.wiki.models import Page

# --------------------------------------------------------------------------------------------
# Reading the HTML
# --------------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def inner_html(self) -> str:
        out = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child)
            else:
                out.append(f"<{child.tag}>{child.inner_html()}</{child.tag}>")
        return "".join(out)

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        """Descendants with this tag whose attributes equal ``attrs`` (class_ matches a class)."""
        found = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if "class_" in attrs and attrs["class_"] not in node.attrs.get("class", "").split():
                continue
            if all(node.attrs.get(k) == v for k, v in attrs.items() if k != "class_"):
                found.append(node)
        return found

    def find(self, tag: str | None = None, **attrs) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


class SearchPage:
    """The parts of a rendered search page that the tests look at."""

    def __init__(self, response):
        assert response.status_code == 200, response.status_code
        self.html = response.text
        self.doc = parse(response.text)
        self.main = self.doc.find("main")

    @property
    def count(self) -> str:
        return self.main.find("p", id="result-count").text()

    @property
    def results(self) -> list[Node]:
        return self.main.find_all("li", class_="result")

    @property
    def result_links(self) -> list[str]:
        return [r.find("h3").find("a").attrs["href"] for r in self.results]

    @property
    def hints(self) -> list[str]:
        hints = self.main.find_all("div", class_="search-hints")
        return [li.text() for div in hints for li in div.find_all("li")]

    def facet(self, name: str) -> dict[str, tuple[int, Node]]:
        """Facet ``name`` as {label: (count, link)} (the 'Any …' link not included)."""
        values = {}
        for li in self.main.find("ul", **{"aria-labelledby": f"facet-{name}"}).find_all("li"):
            link = li.find("a")
            if "clear" in link.attrs.get("class", ""):
                continue
            label = "".join(c for c in link.children if isinstance(c, str)).strip()
            values[label] = (int(li.find("span", class_="count-plain").text()), link)
        return values

    def facet_clear(self, name: str) -> Node | None:
        ul = self.main.find("ul", **{"aria-labelledby": f"facet-{name}"})
        clear = ul.find_all("a", class_="clear")
        return clear[0] if clear else None


def get_page(client, url: str, **headers) -> SearchPage:
    return SearchPage(client.get(url, headers=headers))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------


@pytest.fixture
def reader(client, auth, people, search_index):
    """Kim of KR-AISI, signed in, with an empty index of this test's own."""
    auth.sign_in(people.kr.email)
    return people.kr


def set_date(app, page: Page, when: datetime) -> None:
    """Date a page (search sorts and facets by a page's last change)."""
    with app.app_context():
        row = db.session.get(Page, page.id)
        row.updated_at = when
        db.session.commit()


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def test_results_show_titles_and_snippets_with_the_matches_marked(
    client, reader, people, make_page, index_now
):
    make_page(
        people.kr,
        "robust-refusals",
        "We measured jailbreak robustness on 400 prompts.\n\nNothing else here.\n",
        title="Refusal robustness under jailbreaks",
        tags=["jailbreak"],
    )
    make_page(people.kr, "unrelated", "A page about calibration.\n", title="Calibration")
    index_now()

    page = get_page(client, "/search?q=jailbreak")

    assert page.count == "1 result for “jailbreak”"
    assert page.result_links == ["/wiki/robust-refusals"]
    (result,) = page.results
    assert "<mark>jailbreak</mark>" in result.find("p", class_="snippet").inner_html()
    assert "<mark>jailbreaks</mark>" in result.find("h3").inner_html()
    assert result.find("span", class_="badge").text() == "Methodology"


def test_stemmed_words_are_found_and_marked(client, reader, people, make_page, index_now):
    make_page(people.kr, "evals", "Evaluating agents is hard.\n", title="Agent notes")
    index_now()

    page = get_page(client, "/search?q=evaluate")

    assert page.result_links == ["/wiki/evals"]
    assert "<mark>Evaluating</mark>" in page.results[0].find("p", class_="snippet").inner_html()


def test_a_korean_query_finds_the_words_with_their_particles(
    client, reader, people, make_page, index_now
):
    make_page(
        people.kr,
        "jailbreak-ko",
        "모델의 탈옥 시도를 평가에서 다룬다.\n",
        title="한국어 탈옥 기법",
        language="ko",
    )
    make_page(people.kr, "other-ko", "개인정보 프롬프트 거부율.\n", title="거부율", language="ko")
    index_now()

    page = get_page(client, "/search?q=탈옥을 평가")

    assert page.result_links == ["/wiki/jailbreak-ko"]
    snippet = page.results[0].find("p", class_="snippet")
    assert snippet.attrs["lang"] == "ko"
    assert "<mark>탈옥</mark>" in snippet.inner_html()
    assert "<mark>평가</mark>에서" in snippet.inner_html()
    korean = get_page(client, "/search?q=탈옥을 평가", **{"Accept-Language": "ko"})
    # Kim's account has no language of its own: the browser's decides.
    assert korean.count == "“탈옥을 평가” 검색 결과 1건"


def test_results_only_show_what_the_reader_may_read(
    client, auth, people, make_page, index_now, search_index
):
    make_page(
        people.kr,
        "kr-only",
        "Embargoed jailbreak work.\n",
        visibility="institutes",
        institutes=[people.kr_institute],
    )
    make_page(people.kr, "for-all", "Shared jailbreak work.\n")
    index_now()
    auth.sign_in(people.uk.email)

    page = get_page(client, "/search?q=jailbreak")

    assert page.result_links == ["/wiki/for-all"]
    assert page.count == "1 result for “jailbreak”"
    assert "kr-only" not in page.html


# --------------------------------------------------------------------------------------------
# Facets, sorting, pages
# --------------------------------------------------------------------------------------------


@pytest.fixture
def calibration_pages(people, make_page, index_now):
    make_page(people.kr, "cal-method", "Judge calibration protocol.\n", tags=["llm-judge"])
    make_page(people.kr, "cal-guide", "Calibration of judges, a guide.\n", kind="guide")
    make_page(
        people.uk, "cal-finding", "Judges need calibration.\n", kind="finding", tags=["llm-judge"]
    )
    make_page(people.kr, "cal-ko", "판사 모델 calibration 절차.\n", language="ko")
    index_now()


def test_facets_count_the_results_and_narrow_them(client, reader, calibration_pages):
    page = get_page(client, "/search?q=calibration")

    assert page.count == "4 results for “calibration”"
    kinds = page.facet("kind")
    assert {label: count for label, (count, _link) in kinds.items()} == {
        "Methodology": 2,
        "Guide": 1,
        "Finding": 1,
    }
    assert {label: c for label, (c, _link) in page.facet("lang").items()} == {
        "English": 3,
        "Korean": 1,
    }
    institutes = {label.split(" · ")[0]: c for label, (c, _link) in page.facet("institute").items()}
    assert institutes == {"KR-AISI": 3, "UK-AISI": 1}
    assert page.facet("tag")["llm-judge"][0] == 2

    narrowed = get_page(client, kinds["Methodology"][1].attrs["href"])

    assert narrowed.count == "2 results for “calibration”"
    assert sorted(narrowed.result_links) == ["/wiki/cal-ko", "/wiki/cal-method"]
    assert {label: c for label, (c, _link) in narrowed.facet("lang").items()} == {
        "English": 1,
        "Korean": 1,
    }
    # Narrowing again keeps the first choice.
    english = get_page(client, narrowed.facet("lang")["English"][1].attrs["href"])
    assert english.result_links == ["/wiki/cal-method"]
    # Widening one facet keeps the other.
    assert query_of(english.facet_clear("kind").attrs["href"]) == {
        "q": ["calibration"],
        "lang": ["en"],
    }


def test_a_selected_facet_is_marked_current_and_links_back_to_the_wider_search(
    client, reader, calibration_pages
):
    page = get_page(client, "/search?q=calibration&kind=finding")

    assert page.result_links == ["/wiki/cal-finding"]
    label, (count, link) = next(
        (label, value)
        for label, value in page.facet("kind").items()
        if value[1].attrs.get("aria-current")
    )
    assert (label, count, link.attrs["aria-current"]) == ("Finding", 1, "true")
    assert "remove this filter" in link.text()
    # Following the selected value (or "Any type") widens the search again.
    assert query_of(link.attrs["href"]) == {"q": ["calibration"]}
    clear = page.facet_clear("kind")
    assert clear.text() == "Any type"
    assert query_of(clear.attrs["href"]) == {"q": ["calibration"]}
    wider = get_page(client, clear.attrs["href"])
    assert wider.count == "4 results for “calibration”"
    assert not [a for a in wider.main.find_all("a") if a.attrs.get("aria-current")]
    # The search box keeps the filter when the words change.
    form = page.main.find("form", role="search")
    assert form.find("input", type="hidden", name="kind").attrs["value"] == "finding"


def test_a_filter_that_matches_nothing_still_offers_the_way_back(client, reader, calibration_pages):
    page = get_page(client, "/search?q=calibration&kind=record")

    assert page.count == "0 results for “calibration”"
    assert page.facet_clear("kind").attrs["href"] == "/search?q=calibration"
    removing = page.main.find("div", class_="empty-result").find_all("a")
    assert [(a.text(), a.attrs["href"]) for a in removing] == [
        ("removing the filters", "/search?q=calibration")
    ]


def test_sort_by_date_puts_the_newest_first(client, reader, app, people, make_page, index_now):
    old = make_page(people.kr, "old-note", "Refusal refusal refusal refusal.\n", title="Refusal")
    new = make_page(people.kr, "new-note", "One refusal.\n", title="Note")
    set_date(app, old, datetime(2026, 3, 1, tzinfo=UTC))
    set_date(app, new, datetime(2026, 9, 1, tzinfo=UTC))
    index_now()

    relevance = get_page(client, "/search?q=refusal")
    by_date = get_page(client, "/search?q=refusal&sort=date")

    assert relevance.result_links == ["/wiki/old-note", "/wiki/new-note"]
    assert by_date.result_links == ["/wiki/new-note", "/wiki/old-note"]
    sort_line = by_date.main.find("p", class_="sort-links")
    assert sort_line.find("strong").text() == "newest first"
    assert query_of(sort_line.find("a").attrs["href"]) == {"q": ["refusal"]}
    assert by_date.main.find("option", value="date").attrs.get("selected") == ""
    # The year facet narrows to a date range.
    years = by_date.facet("year")
    assert {label: c for label, (c, _link) in years.items()} == {"2026": 2}
    assert query_of(years["2026"][1].attrs["href"]) == {
        "q": ["refusal"],
        "sort": ["date"],
        "from": ["2026-01-01"],
        "to": ["2026-12-31"],
    }
    spring = get_page(client, "/search?q=refusal&from=2026-02-01&to=2026-04-30")
    assert spring.result_links == ["/wiki/old-note"]


def test_pages_of_results_keep_the_query_and_the_filters(
    client, reader, people, make_page, index_now
):
    for n in range(PER_PAGE + 2):
        make_page(people.kr, f"ctf-{n:02d}", f"Capture the flag run {n}.\n", kind="finding")
    make_page(people.kr, "ctf-guide", "Capture the flag guide.\n", kind="guide")
    index_now()

    first = get_page(client, "/search?q=flag&kind=finding")

    assert first.count == f"{PER_PAGE + 2} results for “flag”"
    assert len(first.results) == PER_PAGE
    pager = first.main.find("nav", **{"aria-label": "Pages"})
    assert "Page 1 of 2" in pager.text()
    next_link = pager.find("a", rel="next")
    assert query_of(next_link.attrs["href"]) == {"q": ["flag"], "kind": ["finding"], "page": ["2"]}
    assert not pager.find_all("a", rel="prev")

    second = get_page(client, next_link.attrs["href"])

    assert len(second.results) == 2
    assert second.main.find("ol", class_="results").attrs["start"] == str(PER_PAGE + 1)
    assert not set(second.result_links) & set(first.result_links)
    prev_link = second.main.find("a", rel="prev")
    assert query_of(prev_link.attrs["href"]) == {"q": ["flag"], "kind": ["finding"]}
    # A facet link starts again at the first page.
    for _label, (_count, link) in second.facet("lang").items():
        assert "page" not in query_of(link.attrs["href"])


# --------------------------------------------------------------------------------------------
# The query in the URL, the box and the messages
# --------------------------------------------------------------------------------------------


def test_the_query_is_kept_in_the_url_and_in_both_boxes(client, reader):
    page = get_page(client, "/search?q=red+team+%22pass+at+k%22")

    form = page.main.find("form", role="search")
    assert (form.attrs["method"], form.attrs["action"]) == ("get", "/search")
    box = form.find("input", id="search-q")
    assert (box.attrs["name"], box.attrs["value"]) == ("q", 'red team "pass at k"')
    assert page.doc.find("label", **{"for": "search-q"}).text()
    header_box = page.doc.find("header").find("input", id="site-search")
    assert header_box.attrs["value"] == 'red team "pass at k"'
    assert page.doc.find("title").text().startswith('“red team "pass at k"” · Search')


def test_the_search_page_without_words_explains_itself(client, reader):
    page = get_page(client, "/search")

    assert page.main.find("input", id="search-q").attrs["value"] == ""
    assert not page.main.find_all("p", id="result-count")
    assert "Search understands English and Korean" in page.main.text()


def test_an_empty_result_names_the_query_and_suggests_broadening(client, reader):
    page = get_page(client, "/search?q=zyxwvut+qqq")

    assert page.count == "0 results for “zyxwvut qqq”"
    empty = page.main.find("div", class_="empty-result")
    assert "Nothing you can see matches “zyxwvut qqq”." in empty.text()
    advice = [li.text() for li in empty.find("ul").find_all("li")]
    assert "fewer or more general words, or a prefix such as eval*" in advice
    assert "the other language: search understands English and Korean" in advice
    assert not any(a.text() == "removing the filters" for a in empty.find_all("a"))
    assert not page.main.find_all("aside")


def test_an_empty_result_invites_visitors_to_sign_in(client, search_index):
    page = get_page(client, "/search?q=jailbreak")

    sign_in = [
        a
        for a in page.main.find("div", class_="empty-result").find_all("a")
        if a.attrs["href"].startswith("/sign-in")
    ]
    assert sign_in and "signing in" in sign_in[0].text()


def test_a_misspelt_word_offers_the_spelling_that_finds_something(
    client, reader, people, make_page, index_now
):
    make_page(people.kr, "jb", "Jailbreak robustness.\n")
    index_now()

    page = get_page(client, "/search?q=jailbrek")

    suggestion = page.main.find("p", class_="did-you-mean")
    assert suggestion.text() == "Did you mean jailbreak?"
    assert query_of(suggestion.find("a").attrs["href"]) == {"q": ["jailbreak"]}


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        ({"q": '"red team'}, "A quotation mark was not closed"),
        ({"q": "-only"}, "Your query only excludes words"),
        ({"q": "ev*"}, "is too short for a prefix search"),
        ({"q": "colour:blue jailbreak"}, "“colour:” is not a field we know"),
        ({"q": "jailbreak OR"}, "OR needs something to search on both sides"),
        ({"q": "jailbreak", "from": "2026-13-45"}, "The date “from” was not understood"),
        ({"q": "jailbreak", "to": "yesterday"}, "The date “to” was not understood"),
        ({"q": "jailbreak", "page": "abc"}, "That page number does not exist"),
        ({"q": "jailbreak", "page": "-3"}, "That page number does not exist"),
        ({"q": "jailbreak", "page": str(MAX_PAGE + 1)}, "That page number does not exist"),
        ({"q": "jailbreak", "sort": "zz"}, "Unknown sort order"),
        ({"q": "jail " * 2000}, "The query was cut to its first 500 characters."),
        ({"q": "jail\x00break\x00"}, "Control characters in the query were read as spaces."),
    ],
)
def test_malformed_input_is_read_as_well_as_possible_with_a_hint(
    client, reader, people, make_page, index_now, args, hint
):
    make_page(people.kr, "jb", "Jailbreak robustness, red team notes.\n")
    index_now()

    response = client.get("/search", query_string=args)

    assert response.status_code == 200
    page = SearchPage(response)
    assert any(hint in text for text in page.hints), page.hints
    assert "\x00" not in response.text


def test_hints_are_translated(client, reader):
    page = get_page(client, '/search?q="red+team', **{"Accept-Language": "ko"})

    assert page.hints == [
        "닫는 따옴표가 없어 따옴표부터 검색어 끝까지를 하나의 구절로 검색했습니다."
    ]


def test_random_unicode_never_breaks_the_page(client, reader, people, make_page, index_now):
    make_page(people.kr, "jb", "Jailbreak robustness 탈옥 平仮名.\n")
    index_now()
    rng = random.Random(20261127)
    alphabet = [
        *map(chr, range(0x20, 0x7F)),
        *"\u0301\u200b\u200d\u202e\u2028\ufeff\ufffd\u3000",
        *"탈옥평가ㄱㅏ한글平仮名カタカナ中文العربيةעברית",
        "\U0001f600",
        "\U0001d518",
        "\U000e0001",
    ]
    queries = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(30)]
    queries += ["%", "%%", "%(q)s", "*", "-", '"', ":", "OR", "AND", "tag:", "-*", "\t\n"]

    # Bytes that are not UTF-8 (a lone surrogate, stray continuation bytes) arrive as U+FFFD.
    for raw in ("q=%ED%A0%80", "q=%FF%FE%80", "q=%C0%AFjail", "q=jail%00%01%1Fbreak"):
        response = client.get(f"/search?{raw}")
        assert response.status_code == 200, raw
        assert client.get(f"/search/suggest?{raw}").status_code == 200, raw
    for q in queries:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200, q
        assert "<script" not in response.text.split("</head>", 1)[1], q
        suggest = client.get("/search/suggest", query_string={"q": q})
        assert suggest.status_code == 200, q
        assert isinstance(suggest.json, list), q


def test_markup_in_the_query_or_the_filters_is_shown_as_text(client, reader):
    page = client.get(
        "/search", query_string={"q": "<img src=x onerror=alert(1)>", "kind": '"><b>x</b>'}
    ).text

    assert "<img src=x" not in page
    assert "<b>x</b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --------------------------------------------------------------------------------------------
# Title suggestions
# --------------------------------------------------------------------------------------------


def test_suggestions_are_titles_that_start_like_what_is_typed(
    client, reader, people, make_page, index_now
):
    make_page(people.kr, "jb-asr", "Text.\n", title="Jailbreak success rates")
    make_page(people.kr, "jb-judge", "Text.\n", title="Judging jailbreaks", kind="finding")
    make_page(people.kr, "cal", "About jailbreaks.\n", title="Calibration")
    index_now()

    response = client.get("/search/suggest?q=jail")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert sorted(response.json, key=lambda s: s["url"]) == [
        {
            "title": "Jailbreak success rates",
            "url": "/wiki/jb-asr",
            "kind": "methodology",
            "kind_label": "Methodology",
        },
        {
            "title": "Judging jailbreaks",
            "url": "/wiki/jb-judge",
            "kind": "finding",
            "kind_label": "Finding",
        },
    ]
    assert [s["url"] for s in client.get("/search/suggest?q=judging+jail").json] == [
        "/wiki/jb-judge"
    ]


def test_suggestions_in_korean(client, reader, people, make_page, index_now):
    make_page(people.kr, "ko-jb", "본문.\n", title="한국어 탈옥 평가 설계", language="ko")
    index_now()

    suggestions = client.get(
        "/search/suggest", query_string={"q": "탈옥"}, headers={"Accept-Language": "ko"}
    ).json

    assert suggestions == [
        {
            "title": "한국어 탈옥 평가 설계",
            "url": "/wiki/ko-jb",
            "kind": "methodology",
            "kind_label": "방법론",
        }
    ]


@pytest.mark.parametrize("q", ["", " ", "j", "\x00", None])
def test_nothing_to_suggest_for_an_empty_box(client, reader, people, make_page, index_now, q):
    make_page(people.kr, "jb", "Text.\n", title="Jailbreak success rates")
    index_now()

    response = client.get("/search/suggest", query_string={} if q is None else {"q": q})

    assert response.status_code == 200
    assert response.json == []


def test_suggestions_only_name_what_the_reader_may_read(
    client, auth, people, make_page, index_now, search_index
):
    make_page(
        people.kr,
        "secret",
        "Text.\n",
        title="Jailbreak secret",
        visibility="institutes",
        institutes=[people.kr_institute],
    )
    make_page(people.kr, "shared", "Text.\n", title="Jailbreak shared")
    index_now()

    assert [s["url"] for s in client.get("/search/suggest?q=jail").json] == []
    auth.sign_in(people.uk.email)
    assert [s["url"] for s in client.get("/search/suggest?q=jail").json] == ["/wiki/shared"]
    auth.sign_out()
    auth.sign_in(people.kr2.email)
    assert sorted(s["url"] for s in client.get("/search/suggest?q=jail").json) == [
        "/wiki/secret",
        "/wiki/shared",
    ]


# --------------------------------------------------------------------------------------------
# The search boxes on every page; accessibility; no inline script
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/wiki/",
        "/wiki/box-page",
        "/evaluations/",
        "/rotations/",
        "/notifications/",
        "/account",
        "/search",
        "/search?q=box",
        "/no-such-page",
    ],
)
def test_the_header_search_box_on_every_page_searches_with_suggestions(
    client, reader, people, make_page, path
):
    make_page(people.kr, "box-page", "Text.\n")

    response = client.get(path)

    doc = parse(response.text)
    form = doc.find("header").find("form", role="search")
    assert (form.attrs["action"], form.attrs["method"]) == ("/search", "get")
    box = form.find("input", id="site-search")
    assert (box.attrs["type"], box.attrs["name"]) == ("search", "q")
    assert box.attrs["data-suggest"] == "/search/suggest"
    assert doc.find("label", **{"for": "site-search"}).text() == "Search Exchange"
    assert form.find("button", type="submit")
    scripts = [s.attrs.get("src") for s in doc.find_all("script")]
    assert "/static/js/search-suggest.js" in scripts
    assert doc.find("script", src="/static/js/search-suggest.js").attrs.get("defer") == ""


def test_the_suggestion_script_is_served_and_builds_text_nodes_only(client):
    response = client.get("/static/js/search-suggest.js")

    assert response.status_code == 200
    assert "javascript" in response.mimetype
    script = response.get_data(as_text=True)
    response.close()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "textContent" in script
    assert not re.search(r"https?://(?!www\.w3\.org/WAI)", script)


def test_the_page_has_no_inline_script_or_style(client, reader, calibration_pages):
    page = client.get("/search?q=calibration")

    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    doc = parse(page.text)
    assert all(s.attrs.get("src") for s in doc.find_all("script"))
    assert not doc.find_all("style")
    assert not [
        n for n in doc.iter() if "style" in n.attrs or any(a.startswith("on") for a in n.attrs)
    ]


def test_headings_go_down_one_level_at_a_time_and_every_field_has_a_label(
    client, reader, calibration_pages
):
    page = get_page(client, "/search?q=calibration")

    levels = [int(n.tag[1]) for n in page.main.iter() if re.fullmatch(r"h[1-6]", n.tag)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    assert page.main.find("h2", id="facets-heading").text() == "Narrow the results"
    labelled = {label.attrs["for"] for label in page.doc.find_all("label")}
    for field in page.doc.find_all("input") + page.doc.find_all("select"):
        if field.attrs.get("type") != "hidden":
            assert field.attrs["id"] in labelled, field.attrs
    assert page.main.find("p", id="result-count").attrs["role"] == "status"
    assert page.main.find("a", class_="skip-facets").attrs["href"] == "#results"
    assert page.main.find("section", id="results")


def test_search_forms_have_distinct_landmark_names(client, reader):
    doc = parse(client.get("/search?q=x").text)

    forms = doc.find_all("form", role="search")
    names = [f.attrs.get("aria-label") or f.attrs.get("aria-labelledby") for f in forms]
    assert len(forms) == 2 and all(names) and len(set(names)) == 2


def test_a_record_is_found_with_its_type(client, reader, app, people, index_now):
    from exchange.accounts.models import User
    from exchange.evaluations import services as records

    with app.app_context():
        author = db.session.get(User, people.kr.id)
        records.create_record(
            author,
            records.RecordFields(
                title="Cyber uplift run",
                visibility="network",
                model_name="Model C",
                headline_finding="Solves more cryptography tasks than the reference.",
                domains=["cyber"],
            ),
        )
    index_now()

    page = get_page(client, "/search?q=cryptography")

    (result,) = page.results
    assert result.find("span", class_="badge").text() == "Evaluation record"
    assert result.find("h3").find("a").attrs["href"].startswith("/evaluations/")
    assert {label: c for label, (c, _link) in page.facet("domain").items()} == {"Cyber": 1}

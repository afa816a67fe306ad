"""Browser journeys through search: title suggestions by keyboard and mouse, results, facets,
a Korean query, and the plain form without JavaScript.

The demo wiki pages are loaded once (idempotently, through the ordinary services) and indexed;
the journeys only read them. The accounts are ones no other journey relies on:
coordinator@eu-aio.example (English interface) and member@kr-aisi.example (Korean interface).
Locators are by role and accessible name: the combobox, its listbox and options, the facet
links, the results region.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from exchange.demo import DEMO_PASSWORD
from exchange.extensions import db as _db
from exchange.search.indexer import sync as search_sync
from exchange.wiki.demo_loader import load_demo_pages

READER = "coordinator@eu-aio.example"  # Sophie Laurent, English interface
KOREAN_READER = "member@kr-aisi.example"  # Choi Ha-eun, Korean interface (her account's choice)

JAILBREAK_PAGE = "Measuring jailbreak robustness: attack success rate and refusal rate"
CALIBRATION_PAGE = "LLM-as-judge versus human annotation: calibration protocol"
KOREAN_PAGE = "한국어 탈옥 평가 프롬프트 설계"


@pytest.fixture(scope="module", autouse=True)
def demo_pages(live_server):
    """The demo wiki pages, in the live server's database and its search index."""
    with live_server.app.app_context():
        load_demo_pages()
        search_sync()
        _db.session.remove()


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def submit(page: Page, button: Locator) -> Response:
    """Click a submit button and wait for the page it leads to; return its response."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def sign_in(page: Page, email: str) -> None:
    """Sign in through the form (whose labels are English before the account's language)."""
    page.goto("/sign-in")
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    response = submit(
        page, page.get_by_role("main").get_by_role("button", name="Sign in", exact=True)
    )
    assert response.ok, response.status
    expect(page.get_by_role("banner").locator("details.menu > summary")).to_be_visible()


def header_box(page: Page, label: str = "Search Exchange") -> Locator:
    """The header's search box, which the suggestion script made a combobox."""
    return page.get_by_role("banner").get_by_role("combobox", name=label, exact=True)


def listbox_of(page: Page, box: Locator) -> Locator:
    listbox_id = box.get_attribute("aria-controls")
    assert listbox_id, "the combobox controls no listbox"
    return page.locator(f"#{listbox_id}")


def type_and_wait_for_suggestions(page: Page, box: Locator, text: str) -> Locator:
    """Type ``text`` key by key; return the listbox once the answer for all of it is shown."""
    wanted = "q=" + quote(text, safe="")
    with page.expect_response(
        lambda r: "/search/suggest?" in r.url and r.url.endswith(wanted)
    ) as answer:
        box.press_sequentially(text)
    assert answer.value.ok
    listbox = listbox_of(page, box)
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    return listbox


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --------------------------------------------------------------------------------------------
# Journeys
# --------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_follow_a_suggested_title_with_the_keyboard(live_server, page):
    """Type in the header box, move through the suggestions with the arrows, Enter opens one."""
    sign_in(page, READER)
    box = header_box(page)
    expect(box).to_have_attribute("aria-expanded", "false")
    box.click()

    listbox = type_and_wait_for_suggestions(page, box, "jailbreak rob")

    expect(listbox).to_have_attribute("role", "listbox")
    expect(listbox).to_have_accessible_name("Suggested titles")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text(JAILBREAK_PAGE)
    expect(options.first).to_contain_text("Methodology")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    announcement = page.get_by_role("banner").locator('[aria-live="polite"]')
    expect(announcement).to_have_text(
        "Suggested titles: 1. Use the up and down arrow keys to choose one."
    )

    # Escape closes the list and keeps the text; ArrowDown opens it again on the first title.
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("jailbreak rob")
    box.press("ArrowDown")
    expect(listbox).to_be_visible()
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    expect(box).to_be_focused()

    with page.expect_navigation():
        box.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/wiki/jailbreak-robustness-asr-and-refusal-rate")
    expect(page.get_by_role("heading", level=1)).to_contain_text(JAILBREAK_PAGE)


@pytest.mark.e2e
def test_pick_a_suggestion_with_the_mouse_in_the_search_page_box(live_server, page):
    """The search page's own box suggests titles too; a click opens one."""
    sign_in(page, READER)
    page.goto("/search")
    box = page.get_by_role("main").get_by_role(
        "combobox", name="Search pages, findings, evaluation records and programs"
    )
    box.click()

    listbox = type_and_wait_for_suggestions(page, box, "calibration prot")
    option = listbox.get_by_role("option", name=re.compile(re.escape(CALIBRATION_PAGE)))
    expect(option).to_be_visible()

    with page.expect_navigation():
        option.click()
    expect(page).to_have_url(f"{live_server.url}/wiki/llm-judge-human-calibration")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CALIBRATION_PAGE)


@pytest.mark.e2e
def test_search_narrow_by_a_facet_and_open_a_result(live_server, page):
    """Enter in the header box searches; a facet narrows the results; a result opens."""
    sign_in(page, READER)
    box = header_box(page)
    box.click()
    type_and_wait_for_suggestions(page, box, "jailbreak")

    # Nothing highlighted: Enter is the ordinary search.
    with page.expect_navigation():
        box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=jailbreak$"))
    expect(page.locator("#search-q")).to_have_value("jailbreak")
    expect(box).to_have_value("jailbreak")
    count = page.locator("#result-count")
    expect(count).to_have_attribute("role", "status")
    expect(count).to_have_text(re.compile(r"^\d+ results for “jailbreak”$"))
    total = int(count.inner_text().split()[0])
    results = page.get_by_role("region", name="Results")
    expect(results.locator("mark").first).to_be_visible()

    facets = page.get_by_role("complementary", name="Narrow the results")
    kinds = facets.get_by_role("list", name="Type")
    finding = kinds.get_by_role("link", name="Finding", exact=True)
    finding_count = int(finding.locator("xpath=following-sibling::span").inner_text())
    assert 0 < finding_count < total

    with page.expect_navigation():
        finding.click()
    assert query_of(page.url) == {"q": ["jailbreak"], "kind": ["finding"]}
    expect(count).to_have_text(re.compile(rf"^{finding_count} results? for “jailbreak”$"))
    selected = kinds.get_by_role("link", name=re.compile(r"^Finding"))
    expect(selected).to_have_attribute("aria-current", "true")
    expect(kinds.get_by_role("link", name="Any type", exact=True)).to_be_visible()
    titles = results.get_by_role("heading", level=3)
    expect(titles).to_have_count(finding_count)
    badges = results.locator(".result .badge")
    for i in range(finding_count):
        expect(badges.nth(i)).to_have_text("Finding")

    first = titles.first.get_by_role("link")
    title = first.inner_text()
    href = first.get_attribute("href")
    with page.expect_navigation():
        first.click()
    expect(page).to_have_url(f"{live_server.url}{href}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


@pytest.mark.e2e
def test_korean_query_finds_korean_pages(live_server, new_context):
    """A Korean member types 탈옥을 평가: suggestions and results find the Korean pages."""
    page = new_context().new_page()  # English until the account's own choice applies
    sign_in(page, KOREAN_READER)
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    box = header_box(page, "Exchange 검색")
    box.click()

    listbox = type_and_wait_for_suggestions(page, box, "탈옥을 평가")
    option = listbox.get_by_role("option", name=re.compile(KOREAN_PAGE))
    expect(option).to_be_visible()
    expect(option).to_contain_text("방법론")
    expect(listbox).to_have_accessible_name("추천 제목")

    box.press("Escape")
    with page.expect_navigation():
        box.press("Enter")
    assert query_of(page.url) == {"q": ["탈옥을 평가"]}
    expect(page.locator("#result-count")).to_have_text(
        re.compile(r"^“탈옥을 평가” 검색 결과 \d+건$")
    )
    results = page.get_by_role("region", name="결과")
    hit = results.get_by_role("link", name=KOREAN_PAGE, exact=True)
    expect(hit).to_be_visible()
    expect(hit).to_have_attribute("lang", "ko")
    marked = results.locator("mark").all_inner_texts()
    assert "탈옥" in marked and "평가" in marked, marked
    facets = page.get_by_role("complementary", name="결과 좁히기")
    expect(facets.get_by_role("link", name="한국어", exact=True)).to_be_visible()

    with page.expect_navigation():
        hit.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(KOREAN_PAGE)


@pytest.mark.e2e
def test_without_javascript_the_boxes_are_plain_search_forms(live_server, new_context):
    """No script: no combobox, and Enter in the header box still searches."""
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, READER)
    box = page.get_by_role("banner").get_by_role("searchbox", name="Search Exchange")
    expect(box).to_be_visible()
    expect(page.get_by_role("combobox")).to_have_count(0)

    box.fill("calibration")
    with page.expect_navigation():
        box.press("Enter")
    assert query_of(page.url) == {"q": ["calibration"]}
    results = page.get_by_role("region", name="Results")
    expect(results.get_by_role("link", name=CALIBRATION_PAGE, exact=True)).to_be_visible()
    expect(page.get_by_role("listbox")).to_have_count(0)

"""Browser journeys through the wiki: write, link, edit, history and diff; concurrent edits.

Every journey makes pages of its own under fresh addresses, so it never depends on the demo
wiki content or on the other journeys. The accounts are English-speaking UK-AISI ones that no
other journey changes (member@uk-aisi.example gets Korean and reviewer@uk-aisi.example gets
rate limited in test_journeys.py).
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from exchange.demo import DEMO_PASSWORD

AUTHOR = "admin@uk-aisi.example"  # Alex Morgan (admin), English interface
COLLEAGUE = "coordinator@uk-aisi.example"  # Priya Shah (coordinator), same institute

MERGED_NOTICE = "Someone else saved this page while you were editing."
CONFLICT_NOTICE = "Your edit overlaps with a newer revision."


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def unique_slug(prefix: str) -> str:
    return f"e2e-{prefix}-{uuid.uuid4().hex[:10]}"


def submit(page: Page, button: Locator) -> Response:
    """Click a submit button and wait for the page it leads to; return its response."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def sign_in(page: Page, email: str) -> None:
    """Sign in through the form and check the interface is English."""
    page.goto("/sign-in")
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    response = submit(
        page, page.get_by_role("main").get_by_role("button", name="Sign in", exact=True)
    )
    assert response.ok, response.status
    expect(page.get_by_role("banner").locator("details.menu > summary")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def page_tab(page: Page, name: str) -> Locator:
    """A tab (Read, Edit, History…) of the navigation of a wiki page."""
    return page.get_by_role("navigation", name="Page", exact=True).get_by_role(
        "link", name=name, exact=True
    )


def editor(page: Page) -> Locator:
    return page.get_by_label("Text (Markdown)", exact=True)


def save(page: Page) -> Response:
    return submit(page, main(page).get_by_role("button", name="Save", exact=True))


def create_page(page: Page, title: str, slug: str, source: str) -> None:
    """Create a page through /wiki/new and land on it."""
    page.goto("/wiki/new")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Address", exact=True).fill(slug)
    editor(page).fill(source)
    response = submit(page, main(page).get_by_role("button", name="Create the page", exact=True))
    assert response.ok, response.status
    expect(page).to_have_url(re.compile(rf"/wiki/{re.escape(slug)}$"))
    expect(page.get_by_role("status")).to_contain_text("The page is created.")


def open_editor(page: Page, slug: str) -> None:
    page.goto(f"/wiki/{slug}")
    with page.expect_navigation():
        page_tab(page, "Edit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Editing")
    expect(editor(page)).to_be_editable()


# --------------------------------------------------------------------------------------------
# Journeys
# --------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_write_link_edit_and_compare_revisions(live_server, page):
    """Create a page linking to a missing one, fill the gap, edit, then read history and diff."""
    slug = unique_slug("fox")
    wanted = unique_slug("kennel")
    heading = f"Fox report {slug[-6:]}"
    title = f"Fox notes {slug[-6:]}"
    old_sentence = "The quick brown fox jumps over the lazy dog."
    new_sentence = "The swift red fox jumps over the lazy dog."
    source = f"# {heading}\n\n{old_sentence}\n\nSee [[{wanted}]] for the kennel.\n"
    summary = "Recoloured the fox"

    sign_in(page, AUTHOR)

    # Write the page, watching the live preview render it.
    page.goto("/wiki/new")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Address", exact=True).fill(slug)
    editor(page).fill(source)
    preview = page.locator("#live-preview")
    expect(preview.get_by_role("heading", name=heading)).to_be_visible()
    expect(preview.get_by_role("link", name=wanted, exact=True)).to_be_visible()
    submit(page, main(page).get_by_role("button", name="Create the page", exact=True))
    expect(page).to_have_url(f"{live_server.url}/wiki/{slug}")
    content = page.locator(".wiki-content")
    expect(content.get_by_role("heading", name=heading)).to_be_visible()
    expect(content).to_contain_text(old_sentence)
    link = content.get_by_role("link", name=wanted, exact=True)
    expect(link).to_have_class("wikilink wanted")

    # Follow the wanted link: it offers to create the missing page at that address.
    with page.expect_navigation():
        link.click()
    expect(page.get_by_role("heading", name="New page", exact=True)).to_be_visible()
    expect(page.get_by_label("Address", exact=True)).to_have_value(wanted)
    editor(page).fill("Where the fox sleeps.\n")
    submit(page, main(page).get_by_role("button", name="Create the page", exact=True))
    expect(page).to_have_url(f"{live_server.url}/wiki/{wanted}")
    expect(page.locator(".wiki-content")).to_contain_text("Where the fox sleeps.")

    page.goto(f"/wiki/{slug}")
    link = page.locator(".wiki-content").get_by_role("link", name=wanted, exact=True)
    expect(link).to_have_class("wikilink")
    expect(link).to_have_attribute("href", f"/wiki/{wanted}")

    # Edit one sentence with a summary.
    with page.expect_navigation():
        page_tab(page, "Edit").click()
    expect(editor(page)).to_have_value(source)
    editor(page).fill(source.replace(old_sentence, new_sentence))
    page.get_by_label("Summary of your change", exact=True).fill(summary)
    response = save(page)
    assert response.ok, response.status
    expect(page.get_by_role("status")).to_contain_text("Saved as revision 2.")
    expect(page.locator(".wiki-content")).to_contain_text(new_sentence)

    # History: two revisions, the newest with the summary; the last two are preselected.
    with page.expect_navigation():
        page_tab(page, "History").click()
    rows = main(page).locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(summary)
    expect(rows.first).to_contain_text("current")
    expect(page.get_by_label("Compare from revision 1", exact=True)).to_be_checked()
    expect(page.get_by_label("Compare to revision 2", exact=True)).to_be_checked()
    response = submit(page, main(page).get_by_role("button", name="Compare the selected revisions"))
    url = urlsplit(response.url)
    assert url.path == f"/wiki/{slug}/diff", url
    assert parse_qs(url.query) == {"from": ["1"], "to": ["2"]}, url
    diff = page.locator(".diff")
    expect(diff.locator("ins")).to_have_text(re.compile(r"^\s*swift red\s*$"))
    expect(diff.locator("del")).to_have_text(re.compile(r"^\s*quick brown\s*$"))
    expect(main(page)).to_contain_text("2 words added, 2 words removed")

    # The permalink of revision 1 says it is old and shows the old text.
    with page.expect_navigation():
        main(page).get_by_role("link", name=re.compile(r"^Revision 1 ·")).click()
    expect(page).to_have_url(f"{live_server.url}/wiki/{slug}/r/1")
    expect(main(page)).to_contain_text("You are reading an old revision of this page.")
    expect(page.locator(".wiki-content")).to_contain_text(old_sentence)
    expect(main(page).get_by_role("link", name="Read the current one")).to_be_visible()


@pytest.mark.e2e
def test_concurrent_edits_are_merged_or_shown_side_by_side(live_server, new_context):
    """Two colleagues edit one page at once: a clean merge, then an overlap; nothing is lost."""
    slug = unique_slug("greek")
    alpha, beta, gamma = (
        "Alpha paragraph as first written.",
        "Beta paragraph as first written.",
        "Gamma paragraph as first written.",
    )

    def text(*paragraphs: str) -> str:
        return "\n\n".join(paragraphs) + "\n"

    a = new_context().new_page()
    b = new_context().new_page()
    sign_in(a, AUTHOR)
    sign_in(b, COLLEAGUE)
    create_page(a, f"Greek letters {slug[-6:]}", slug, text(alpha, beta, gamma))

    # Round 1: different paragraphs. Both editors start from revision 1.
    open_editor(a, slug)
    open_editor(b, slug)
    alpha_a = "Alpha paragraph changed by Alex."
    gamma_b = "Gamma paragraph changed by Priya."
    editor(a).fill(text(alpha_a, beta, gamma))
    assert save(a).ok
    expect(a.get_by_role("status")).to_contain_text("Saved as revision 2.")

    editor(b).fill(text(alpha, beta, gamma_b))
    response = save(b)
    assert response.status == 409, response.status
    expect(b.get_by_role("alert")).to_contain_text(MERGED_NOTICE)
    expect(editor(b)).to_have_value(text(alpha_a, beta, gamma_b))
    assert save(b).ok
    expect(b.get_by_role("status")).to_contain_text("Saved as revision 3.")

    a.reload()
    content = a.locator(".wiki-content")
    expect(content).to_contain_text(alpha_a)
    expect(content).to_contain_text(gamma_b)
    expect(content).to_contain_text(beta)

    # Round 2: the same paragraph, changed differently. Both start from revision 3.
    open_editor(a, slug)
    open_editor(b, slug)
    beta_a = "Beta paragraph rewritten by Alex with apples."
    beta_b = "Beta paragraph rewritten by Priya with pears."
    editor(a).fill(text(alpha_a, beta_a, gamma_b))
    assert save(a).ok
    expect(a.get_by_role("status")).to_contain_text("Saved as revision 4.")

    mine = text(alpha_a, beta_b, gamma_b)
    editor(b).fill(mine)
    response = save(b)
    assert response.status == 409, response.status
    expect(b.get_by_role("alert")).to_contain_text(CONFLICT_NOTICE)
    expect(b.get_by_role("heading", name="Your version", exact=True)).to_be_visible()
    yours = b.locator("#source")
    theirs = b.locator("#their-source")
    expect(yours).to_have_value(mine)
    expect(theirs).to_have_value(text(alpha_a, beta_a, gamma_b))
    expect(theirs).not_to_be_editable()
    expect(b.get_by_label("Their version (revision 4)", exact=True)).to_be_visible()

    both = "Beta paragraph rewritten by Alex with apples and by Priya with pears."
    yours.fill(text(alpha_a, both, gamma_b))
    assert save(b).ok
    expect(b.get_by_role("status")).to_contain_text("Saved as revision 5.")

    a.reload()
    content = a.locator(".wiki-content")
    expect(content).to_contain_text(both)
    expect(content).to_contain_text(alpha_a)
    expect(content).to_contain_text(gamma_b)

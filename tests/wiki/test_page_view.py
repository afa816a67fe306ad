"""Reading a page: which links look wanted to whom, what the page shows around its text, and a
number of queries that does not grow with what the page has (sign-offs, tags, files, links)."""

import re
from datetime import timedelta
from io import BytesIO

import pytest

from exchange.db import utcnow
from tests.support import count_queries

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def wikilinks(html: str) -> dict[str, bool]:
    """Each wiki link's address and whether it is live (True) or wanted (False)."""
    return {
        slug: "wanted" not in classes
        for classes, slug in re.findall(r'<a class="(wikilink[^"]*)" data-wikilink="([^"]*)"', html)
    }


@pytest.fixture
def linked(client, auth, people, make_page):
    """A public page linking to a public, a restricted (KR + UK), an embargoed, a renamed and a
    missing page, all owned by KR."""
    make_page(people.kr, "open-page", visibility="public")
    make_page(people.kr, "kr-uk-page", visibility="institutes", institutes=[people.uk_institute])
    make_page(people.kr, "embargoed-page", embargo_until=utcnow() + timedelta(days=30))
    make_page(people.kr, "old-address", visibility="public")
    auth.sign_in(people.kr.email)
    assert client.post("/wiki/old-address/rename", data={"slug": "new-address"}).status_code == 302
    auth.sign_out()
    make_page(
        people.kr,
        "hub",
        "[[open-page]] [[kr-uk-page]] [[embargoed-page]] [[old-address]] [[no-such-page]]\n",
        visibility="public",
    )


@pytest.mark.parametrize(
    ("reader", "live"),
    [
        (None, {"open-page", "old-address"}),
        ("jp", {"open-page", "old-address"}),
        ("uk", {"open-page", "old-address", "kr-uk-page"}),
        ("kr", {"open-page", "old-address", "kr-uk-page", "embargoed-page"}),
    ],
)
def test_links_are_live_only_to_pages_the_reader_may_see(
    client, auth, people, linked, reader, live
):
    if reader:
        auth.sign_in(getattr(people, reader).email)
    links = wikilinks(client.get("/wiki/hub").text)
    assert set(links) == {
        "open-page",
        "kr-uk-page",
        "embargoed-page",
        "old-address",
        "no-such-page",
    }
    assert {slug for slug, is_live in links.items() if is_live} == live


def test_the_page_shows_tags_signoffs_translations_files_and_watching(
    client, auth, people, make_page
):
    source = make_page(people.kr, "finding", "# One\n\n## Two\n\nText.\n", tags=["zeta", "alpha"])
    make_page(people.kr, "finding-ko", "번역.\n", language="ko", translation_of=source)
    auth.sign_in(people.kr2.email)
    assert client.post("/wiki/finding/signoff", data={"level": "reviewed"}).status_code == 302
    client.post(
        "/wiki/finding/files",
        data={"file": (BytesIO(PNG), "chart.png")},
        content_type="multipart/form-data",
    )
    page = client.get("/wiki/finding").text
    assert "Reviewed by Park KR" in page and "revision 1" in page
    assert page.index("#alpha") < page.index("#zeta")
    assert 'href="/wiki/finding-ko"' in page
    assert "chart.png" in page
    assert "Watch this page" in page
    assert client.post("/wiki/finding/watch", data={"watch": "1"}).status_code == 302
    assert "Stop watching" in client.get("/wiki/finding").text
    auth.sign_out()
    auth.sign_in(people.uk.email)
    page = client.get("/wiki/finding").text
    assert "Watch this page" in page and "Reviewed by Park KR" in page
    assert "Mark reviewed" not in page


def test_page_view_queries_do_not_grow_with_what_the_page_has(app, client, auth, people, make_page):
    make_page(people.kr, "bare", "Text.\n")
    targets = [make_page(people.kr, f"target-{n}").slug for n in range(6)]
    links = " ".join(f"[[{slug}]]" for slug in targets) + " [[missing]]\n"
    make_page(people.kr, "busy", links, tags=["a", "b", "c", "d", "e"])
    auth.sign_in(people.kr.email)
    few = count_queries(app, client, "/wiki/bare")
    for name in ("one.png", "two.png"):
        client.post(
            "/wiki/busy/files",
            data={"file": (BytesIO(PNG), name)},
            content_type="multipart/form-data",
        )
    client.post("/wiki/busy/watch", data={"watch": "1"})
    auth.sign_out()
    auth.sign_in(people.kr2.email)
    client.post("/wiki/busy/signoff", data={"level": "reviewed"})
    client.post("/wiki/busy/signoff", data={"level": "endorsed"})
    auth.sign_out()
    auth.sign_in(people.kr.email)
    busy = count_queries(app, client, "/wiki/busy")
    # The same statements, plus one each for the sign-offs, the files and the links' check.
    assert busy == few + 3, (few, busy)

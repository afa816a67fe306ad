"""Need-to-know: a page a user may not see answers 404 on every route and appears nowhere."""

from datetime import timedelta

import pytest

from exchange.db import utcnow

SECRET = "Uplift-results-7f3a"  # a marker that must never leak


@pytest.fixture
def world(app, people, make_page, client, auth):
    secret = make_page(
        people.kr,
        "kr-uk-secret",
        f"# {SECRET}\n\nSee [[public-page]].\n",
        title=f"Secret {SECRET}",
        visibility="institutes",
        institutes=[people.uk_institute],
        tags=["secret-tag"],
    )
    embargoed = make_page(
        people.kr,
        "embargoed-finding",
        f"Embargoed {SECRET}\n",
        title=f"Embargoed {SECRET}",
        visibility="network",
        embargo_until=utcnow() + timedelta(days=30),
        kind="finding",
    )
    public = make_page(
        people.kr, "public-page", "Links to [[kr-uk-secret]].\n", visibility="public"
    )
    # An attachment on the secret page, uploaded by its owner.
    auth.sign_in(people.kr.email)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    from io import BytesIO

    client.post(
        "/wiki/kr-uk-secret/files",
        data={"file": (BytesIO(png), "chart.png")},
        content_type="multipart/form-data",
    )
    client.post(
        "/wiki/kr-uk-secret/edit",
        data={
            "title": f"Secret {SECRET}",
            "source": f"# {SECRET}\n\nSecond revision.\n",
            "base_revision_id": str(secret.current_revision_id),
            "summary": SECRET,
        },
    )
    auth.sign_out()
    return {"secret": secret, "embargoed": embargoed, "public": public}


HIDDEN_ROUTES = [
    "/wiki/{slug}",
    "/wiki/{slug}/raw",
    "/wiki/{slug}/raw?r=1",
    "/wiki/{slug}/history",
    "/wiki/{slug}/diff?from=1&to=2",
    "/wiki/{slug}/r/1",
    "/wiki/{slug}/r/2",
    "/wiki/{slug}/backlinks",
    "/wiki/{slug}/files/chart.png",
    "/wiki/{slug}/edit",
    "/wiki/{slug}/settings",
    "/wiki/{slug}/files",
]
POST_ROUTES = [
    "/wiki/{slug}/edit",
    "/wiki/{slug}/revert/1",
    "/wiki/{slug}/signoff",
    "/wiki/{slug}/watch",
    "/wiki/{slug}/rename",
    "/wiki/{slug}/settings",
    "/wiki/{slug}/files",
]
LISTS = [
    "/wiki/",
    "/wiki/?tag=secret-tag",
    "/wiki/?kind=finding",
    "/wiki/recent",
    "/wiki/recent.atom",
    "/wiki/wanted",
    "/wiki/public-page",
    "/wiki/public-page/backlinks",
    "/wiki/?institute=KR-AISI",
]


def walk(client, world, signed_in):
    for key in ("secret", "embargoed"):
        for route in HIDDEN_ROUTES:
            url = route.format(slug=world[key].slug)
            response = client.get(url)
            expected = (
                404 if signed_in or not url.endswith(("/edit", "/settings", "/files")) else 302
            )
            assert response.status_code == expected, url
            assert SECRET not in response.get_data(as_text=True), url
        for route in POST_ROUTES:
            url = route.format(slug=world[key].slug)
            response = client.post(url, data={"level": "reviewed", "watch": "1", "slug": "x"})
            assert response.status_code in ((404,) if signed_in else (403, 404)), url
    for url in LISTS:
        page = client.get(url).get_data(as_text=True)
        assert SECRET not in page, url
        assert "embargoed-finding" not in page, url


def test_other_institute_sees_nothing(client, auth, people, world):
    auth.sign_in(people.jp.email)
    walk(client, world, signed_in=True)
    # The secret's tag does not appear in the facets either.
    assert "secret-tag" not in client.get("/wiki/").get_data(as_text=True)


def test_signed_out_visitor_sees_nothing(client, world):
    walk(client, world, signed_in=False)
    assert client.get("/wiki/public-page").status_code == 200


def test_listed_institute_sees_the_restricted_page_but_not_the_embargo(client, auth, people, world):
    auth.sign_in(people.uk.email)
    assert SECRET in client.get("/wiki/kr-uk-secret").get_data(as_text=True)
    assert client.get("/wiki/kr-uk-secret/files/chart.png").status_code == 200
    assert client.get("/wiki/embargoed-finding").status_code == 404
    assert client.get("/wiki/kr-uk-secret/edit").status_code == 403  # seen, not editable


def test_owner_institute_sees_its_embargoed_page(client, auth, people, world):
    auth.sign_in(people.kr2.email)
    assert client.get("/wiki/embargoed-finding").status_code == 200
    assert "Embargoed" in client.get("/wiki/").get_data(as_text=True)


def test_links_to_hidden_pages_look_wanted(client, people, world):
    page = client.get("/wiki/public-page").get_data(as_text=True)
    assert 'class="wikilink wanted" data-wikilink="kr-uk-secret"' in page

"""The search API, GET /api/v1/search: token authentication, the JSON document, paging limits,
malformed input answered with hints, and the OpenAPI description.

Need-to-know over the API for every kind of restricted document is in test_need_to_know.py.
"""

from __future__ import annotations

from datetime import timedelta
from math import ceil

import pytest
from sqlalchemy import update

from exchange.accounts.models import User
from exchange.api.models import ApiToken
from exchange.api.tokens import create_token, revoke_token
from exchange.db import utcnow
from exchange.extensions import db

RESULT_KEYS = {
    "type",
    "kind",
    "title",
    "title_html",
    "snippet_html",
    "url",
    "institute",
    "language",
    "date",
    "tags",
    "domains",
}
BODY_KEYS = {"query", "total", "page", "pages", "results", "facets", "did_you_mean", "hints"}
FACET_NAMES = {"kind", "institute", "domain", "lang", "tag", "year"}


def token_for(app, user, days: int | None = 90) -> str:
    with app.app_context():
        _token, raw = create_token(db.session.get(User, user.id), "search api tests", days=days)
        return raw


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def search(client, headers=None, **args):
    return client.get("/api/v1/search", query_string=args, headers=headers or {})


@pytest.fixture
def pages(app, people, make_page, search_index, index_now):
    """A public, a network and a KR+UK page sharing the word 'ocelandry'."""
    made = {
        "public": make_page(
            people.kr,
            "ocelandry-public",
            "Public notes on ocelandry evaluation.\n",
            title="Ocelandry public notes",
            visibility="public",
            tags=["felines"],
        ),
        "network": make_page(
            people.kr,
            "ocelandry-network",
            "Network notes on ocelandry and the quillimot method.\n",
            title="Ocelandry network notes",
            visibility="network",
            kind="finding",
        ),
        "institutes": make_page(
            people.kr,
            "ocelandry-institutes",
            "Restricted notes on ocelandry and the varnishel method.\n",
            title="Ocelandry restricted notes",
            visibility="institutes",
            institutes=[people.uk_institute],
            kind="guide",
        ),
    }
    assert index_now() == 3
    return made


# --- Authentication ------------------------------------------------------------------------


def test_a_token_searches_as_its_owner_and_no_token_as_a_visitor(app, client, people, pages):
    counts = {
        None: 1,
        people.kr: 3,  # owner institute
        people.uk: 3,  # listed institute
        people.jp: 2,  # another member institute
    }
    for user, expected in counts.items():
        headers = bearer(token_for(app, user)) if user else {}
        response = search(client, headers, q="ocelandry")
        assert response.status_code == 200
        assert response.json["total"] == expected == len(response.json["results"]), user
    assert search(client, bearer(token_for(app, people.jp)), q="varnishel").json["total"] == 0


def test_the_session_cookie_is_not_a_credential(client, auth, people, pages):
    auth.sign_in(people.kr.email)
    assert client.get("/search", query_string={"q": "quillimot"}).status_code == 200
    body = search(client, q="quillimot").json
    assert body["total"] == 0 and body["results"] == []


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nope",
        "Bearer exch_not-a-real-token-at-all",
        "Bearer ",
        "Token exch_abc",
        "Basic dXNlcjpwYXNz",
        "exch_abc",
    ],
)
def test_a_bad_token_is_refused_with_401(client, pages, header):
    response = client.get(
        "/api/v1/search", query_string={"q": "ocelandry"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json["status"] == 401 and response.json["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "ocelandry" not in response.text.casefold()


def test_revoked_expired_and_deactivated_tokens_are_refused(app, client, people, pages):
    revoked, expired, inactive = (token_for(app, u) for u in (people.kr, people.uk, people.jp))
    for raw in (revoked, expired, inactive):
        assert search(client, bearer(raw), q="ocelandry").status_code == 200
    with app.app_context():
        kr = db.session.get(User, people.kr.id)
        revoke_token(kr, db.session.query(ApiToken).filter_by(user_id=kr.id).one())
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == people.uk.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.execute(
            update(User).where(User.id == people.jp.id).values(is_active_account=False)
        )
        db.session.commit()
    for raw in (revoked, expired, inactive):
        response = search(client, bearer(raw), q="ocelandry")
        assert response.status_code == 401
        assert "results" not in response.json


def test_answers_are_not_cached(app, client, people, pages):
    response = search(client, bearer(token_for(app, people.kr)), q="ocelandry")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


# --- The JSON document ---------------------------------------------------------------------


def test_the_json_document(app, client, people, pages):
    body = search(client, bearer(token_for(app, people.kr)), q="ocelandry evaluation").json
    assert set(body) == BODY_KEYS
    assert body["query"] == "ocelandry evaluation"
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    assert body["did_you_mean"] is None and body["hints"] == []
    (result,) = body["results"]
    assert set(result) == RESULT_KEYS
    assert result["type"] == "page" and result["kind"] == "methodology"
    assert result["title"] == "Ocelandry public notes"
    assert result["title_html"] == "<mark>Ocelandry</mark> public notes"
    assert "<mark>ocelandry</mark>" in result["snippet_html"]
    assert "<mark>evaluation</mark>" in result["snippet_html"]
    assert result["url"] == "/wiki/ocelandry-public"
    assert client.get(result["url"]).status_code == 200
    assert result["institute"] == "KR-AISI" and result["language"] == "en"
    assert result["date"] == utcnow().date().isoformat()
    assert result["tags"] == ["felines"] and result["domains"] == []
    assert set(body["facets"]) == FACET_NAMES
    assert body["facets"]["kind"] == [["methodology", 1]]
    assert body["facets"]["institute"] == [["kr-aisi", 1]]
    assert body["facets"]["tag"] == [["felines", 1]]
    assert body["facets"]["year"] == [[utcnow().year, 1]]
    assert body["facets"]["domain"] == []


def test_facets_count_every_match_and_filters_narrow(app, client, people, pages):
    headers = bearer(token_for(app, people.kr))
    body = search(client, headers, q="ocelandry").json
    assert body["facets"]["kind"] == [["finding", 1], ["guide", 1], ["methodology", 1]]
    narrowed = search(client, headers, q="ocelandry", kind="guide").json
    assert narrowed["total"] == 1
    assert [r["url"] for r in narrowed["results"]] == ["/wiki/ocelandry-institutes"]
    assert search(client, headers, q="ocelandry", tag="felines").json["total"] == 1
    assert search(client, headers, q="ocelandry", institute="JP-AISI").json["total"] == 0


def test_did_you_mean_offers_a_readable_spelling(app, client, people, pages):
    body = search(client, bearer(token_for(app, people.uk)), q="ocelandy").json
    assert body["total"] == 0 and body["did_you_mean"] == "ocelandry"


def test_markup_in_titles_and_text_is_escaped(app, client, people, make_page, index_now, pages):
    make_page(
        people.kr,
        "marmalith-xss",
        'The marmalith <img src=x onerror="alert(1)"> test <script>alert(2)</script>.\n',
        title="<script>alert(3)</script> marmalith",
        visibility="public",
    )
    index_now()
    (result,) = search(client, q="marmalith").json["results"]
    for field in ("title_html", "snippet_html"):
        assert "<script" not in result[field] and "<img" not in result[field]
    assert result["title_html"].startswith("&lt;script&gt;")
    assert result["title"] == "<script>alert(3)</script> marmalith"  # plain text, not HTML


def test_an_empty_query_searches_nothing(client, pages):
    body = search(client, q="").json
    assert body["total"] == 0 and body["pages"] == 0 and body["results"] == []
    assert body["facets"] == {} and body["hints"] == []
    assert search(client).json == body


# --- Paging --------------------------------------------------------------------------------

MANY = 55


@pytest.fixture
def many(app, people, make_page, search_index, index_now):
    for n in range(MANY):
        make_page(
            people.kr,
            f"pangolette-{n:02d}",
            f"Pangolette survey number {n}.\n",
            title=f"Pangolette survey {n:02d}",
            visibility="public",
        )
    assert index_now() == MANY
    return MANY


@pytest.mark.parametrize(
    ("per_page", "shown"),
    [
        ("5", 5),
        ("1", 1),
        ("50", 50),
        ("51", 50),  # at most 50
        ("100000", 50),
        ("0", 1),  # at least 1
        ("-7", 1),
        ("many", 10),  # not a number: the default
        ("", 10),
    ],
)
def test_per_page_is_kept_within_limits(client, many, per_page, shown):
    response = search(client, q="pangolette", per_page=per_page)
    assert response.status_code == 200
    body = response.json
    assert len(body["results"]) == shown
    assert body["total"] == many
    assert body["pages"] == min(100, ceil(many / shown))


def test_pages_of_results_are_disjoint_and_complete(client, many):
    seen = []
    for number in range(1, 5):
        body = search(client, q="pangolette", per_page=15, page=number).json
        assert body["page"] == number and body["pages"] == 4
        seen += [r["url"] for r in body["results"]]
    assert len(seen) == len(set(seen)) == many


@pytest.mark.parametrize(("page", "expected"), [("0", 1), ("-2", 1), ("x", 1), ("101", 100)])
def test_a_page_out_of_range_is_moved_back_with_a_hint(client, many, page, expected):
    response = search(client, q="pangolette", page=page)
    assert response.status_code == 200
    body = response.json
    assert body["page"] == expected and body["hints"]
    assert len(body["results"]) == (10 if expected == 1 else 0)
    assert body["total"] == many


def test_a_page_beyond_the_results_is_empty_but_counts_stay(client, many):
    body = search(client, q="pangolette", page=7).json
    assert body["results"] == [] and body["total"] == many and body["pages"] == 6
    assert body["hints"] == []


# --- Malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        {"q": '"unclosed ocelandry'},
        {"q": "colour:ocelandry"},  # unknown field, read as words
        {"q": "-ocelandry"},  # only an exclusion
        {"q": "OR"},
        {"q": "ocelandry OR"},
        {"q": "ocelandry OR -quillimot"},
        {"q": "oc*"},  # prefix too short
        {"q": "ocelandry", "sort": "sideways"},
        {"q": "ocelandry", "from": "yesterday"},
        {"q": "ocelandry", "to": "2026-02-31"},
        {"q": "ocelandry", "page": "two"},
    ],
)
def test_malformed_input_answers_200_with_hints(client, pages, args):
    response = search(client, **args)
    assert response.status_code == 200
    body = response.json
    assert set(body) == BODY_KEYS
    assert body["hints"] and all(isinstance(h, str) and h for h in body["hints"])


@pytest.mark.parametrize(
    "q",
    [")(*&^%", "\x00", '""', "-", "*", "title:", "tag:", "::::", "ocelandry\x00 OR \ud7a3", "🦫"],
)
def test_odd_input_never_fails(client, pages, q):
    response = search(client, q=q, kind="<b>", institute="'; DROP TABLE x; --")
    assert response.status_code == 200
    assert set(response.json) == BODY_KEYS


def test_hints_follow_the_language_asked_for(client, pages):
    english = search(client, q="oc*").json["hints"]
    korean = client.get(
        "/api/v1/search", query_string={"q": "oc*"}, headers={"Accept-Language": "ko"}
    ).json["hints"]
    assert english and korean and len(english) == len(korean)
    assert english != korean


def test_a_query_that_is_too_long_is_cut_with_a_hint(client, pages):
    # 610 characters, two words: the second one is past the cut.
    body = search(client, q="ocelandry" + " " * 600 + "evaluation").json
    assert body["total"] == 1  # ocelandry alone (a visitor sees the public page)
    assert any("500" in hint for hint in body["hints"])


# --- The OpenAPI description ---------------------------------------------------------------


def test_the_openapi_document_describes_search(client, app, people, pages):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/search"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "kind", "institute", "domain", "lang", "tag", "from", "to", "sort", "page"} <= (
        names
    )
    per_page = next(p for p in operation["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 50
    assert "401" in operation["responses"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    # The description and the answer agree, key for key.
    body = search(client, bearer(token_for(app, people.kr)), q="ocelandry").json
    assert set(schema["properties"]) == set(body)
    result_schema = spec["components"]["schemas"]["SearchResult"]
    assert set(result_schema["properties"]) == set(body["results"][0])
    assert set(result_schema["properties"]["type"]["enum"]) == {"page", "record", "program"}

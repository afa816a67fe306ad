"""Need-to-know acceptance tests for search.

Acceptance criterion: results, counts, facets, snippets, suggestions and "did you mean" never
reveal a document or a word the user may not read. Unique words are planted (in the title and
the body or summary) in restricted documents of every kind, each with its own tag, and searched
for by a visitor, members of other institutes and members of the owning institute, through the
service layer and over HTTP (the search page, the title suggestions and the JSON API).

The planted documents (owner KR unless said otherwise; every body also holds ``velkarium``):

=============  ======================================================  =====================
name           restriction                                             seen by
=============  ======================================================  =====================
page_inst      wiki page, visibility=institutes listing UK             KR, UK
page_net       wiki page, visibility=network                           every member
page_emb       wiki page, public but embargoed for 30 days (Korean)    KR
page_pub       wiki page, public (the positive control)                everyone
page_sg        wiki page of SG-AISI, visibility=institutes listing KR  KR
record_draft   evaluation record, draft (public!), UK participates     KR, UK
record_inst    evaluation record, published, institutes listing UK     KR, UK
record_pub     evaluation record, published, public (control)          everyone
program_draft  rotation program, draft                                 KR coordinators
program_open   rotation program, open                                  every member
=============  ======================================================  =====================

Viewers: ``visitor`` (not signed in), ``kr`` (a plain KR member), ``kr_coord`` (a KR
coordinator), ``uk`` and ``uk_coord`` (UK member and coordinator), ``jp`` (a JP member) and
``admin`` (a JP platform admin: need-to-know gives admins no blanket right to read).

The search page echoes the query; queries are sent in capitals and documents hold the planted
words in lower case, so a lower-case planted word in the HTML can only come from a document.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from flask_login import AnonymousUserMixin
from sqlalchemy import select, update

from exchange.accounts.models import User
from exchange.api.tokens import create_token
from exchange.db import utcnow
from exchange.evaluations import services as record_services
from exchange.evaluations.models import EvaluationRecord
from exchange.extensions import db
from exchange.rotations import services as program_services
from exchange.search import service
from exchange.search.models import SearchOutbox
from exchange.wiki import services as wiki_services
from exchange.wiki.models import Page

SHARED = "velkarium"
VIEWERS = ("visitor", "kr", "kr_coord", "uk", "uk_coord", "jp", "admin")
MEMBERS = frozenset(VIEWERS[1:])
KR = frozenset({"kr", "kr_coord"})
UK = frozenset({"uk", "uk_coord"})
EVERYONE = frozenset(VIEWERS)
FACETS = ("kind", "institute", "domain", "lang", "tag", "year")
ENDPOINTS = service.ENDPOINTS


# --- The planted world ---------------------------------------------------------------------


@dataclass
class Planted:
    name: str
    word: str
    entity: str
    object_id: int
    slug: str
    visible_to: frozenset[str]
    kind: str
    institute: str
    lang: str
    year: int
    tags: tuple[str, ...]
    domains: tuple[str, ...] = ()
    url: str = ""

    @property
    def key(self) -> str:
        return f"{self.entity}:{self.object_id}"

    @property
    def title(self) -> str:
        return f"{self.word} dossier"

    def facet_values(self) -> dict[str, list]:
        return {
            "kind": [self.kind],
            "institute": [self.institute],
            "lang": [self.lang],
            "year": [self.year],
            "domain": list(self.domains),
            "tag": list(self.tags),
        }


@dataclass
class World:
    docs: dict[str, Planted]
    users: dict[str, User]

    def visible(self, viewer: str) -> list[Planted]:
        return [d for d in self.docs.values() if viewer in d.visible_to]

    def hidden(self, viewer: str) -> list[Planted]:
        return [d for d in self.docs.values() if viewer not in d.visible_to]


def expected_facets(docs) -> dict[str, dict]:
    counters = {name: Counter() for name in FACETS}
    for doc in docs:
        for name, values in doc.facet_values().items():
            counters[name].update(values)
    return {name: dict(counter) for name, counter in counters.items()}


def misspelled(word: str) -> str:
    """The word with one letter in the middle changed (first letters kept: spelling needs them)."""
    middle = len(word) // 2
    replacement = "a" if word[middle] != "a" else "e"
    return word[:middle] + replacement + word[middle + 1 :]


def build_world(app, people, make_institute, make_user, make_page, index_now) -> World:
    sg_institute = make_institute("SG-AISI", domains=["sg.example"])
    sg = make_user(institute=sg_institute, display_name="Tan SG")
    users = {
        "kr": people.kr,
        "kr_coord": make_user(
            institute=people.kr_institute, roles=["coordinator"], display_name="Kang KR"
        ),
        "uk": people.uk,
        "uk_coord": make_user(
            institute=people.uk_institute, roles=["coordinator"], display_name="Reed UK"
        ),
        "jp": people.jp,
        "admin": make_user(institute=people.jp_institute, roles=["admin"], display_name="Admin"),
    }
    this_year = utcnow().year
    docs: dict[str, Planted] = {}

    def page(name, word, author, code, seen_by, *, kind, language="en", **settings):
        created = make_page(
            author,
            f"{word}-dossier",
            source=f"# Notes\n\nThe {word} method, measured with {SHARED} probes.\n",
            title=f"{word} dossier",
            kind=kind,
            language=language,
            tags=[f"{word}-tag"],
            **settings,
        )
        docs[name] = Planted(
            name,
            word,
            "page",
            created.id,
            created.slug,
            frozenset(seen_by),
            kind,
            code,
            language,
            this_year,
            (f"{word}-tag",),
        )

    def record(name, word, seen_by, *, publish, domain, technique, year, **settings):
        with app.app_context():
            author = db.session.get(User, people.kr.id)
            created = record_services.create_record(
                author,
                record_services.RecordFields(
                    title=f"{word} dossier",
                    summary=f"The {word} run, scored with {SHARED} items.",
                    headline_finding="A headline finding.",
                    model_name="Model C",
                    domains=[domain],
                    techniques=[technique],
                    evaluated_on=date(year, 5, 17),
                    **settings,
                ),
            )
            if publish:
                record_services.transition(author, created, "in_review")
                approver = db.session.get(User, people.kr2.id)  # a KR reviewer
                record_services.transition(approver, created, "published")
            docs[name] = Planted(
                name,
                word,
                "record",
                created.id,
                created.slug,
                frozenset(seen_by),
                "record",
                "kr-aisi",
                "en",
                year,
                (technique,),
                (domain,),
            )

    def program(name, word, seen_by, *, status, year):
        with app.app_context():
            coordinator = db.session.get(User, users["kr_coord"].id)
            created = program_services.save_program(
                coordinator,
                None,
                program_services.ProgramFields(
                    title=f"{word} dossier",
                    description=f"A rotation on {word}, with {SHARED} teams.",
                    focus_areas=f"{word}-focus",
                    location="Seoul",
                    start_date=date(year, 3, 1),
                    end_date=date(year, 9, 1),
                    status=status,
                ),
            )
            docs[name] = Planted(
                name,
                word,
                "program",
                created.id,
                created.slug,
                frozenset(seen_by),
                "program",
                "kr-aisi",
                "en",
                year,
                (f"{word}-focus",),
            )

    kr, kr_i, uk_i = people.kr, people.kr_institute, people.uk_institute
    page(
        "page_inst",
        "quorvantine",
        kr,
        "kr-aisi",
        KR | UK,
        kind="finding",
        visibility="institutes",
        institutes=[uk_i],
    )
    page("page_net", "drelmosity", kr, "kr-aisi", MEMBERS, kind="guide", visibility="network")
    page(
        "page_emb",
        "plinkatrove",
        kr,
        "kr-aisi",
        KR,
        kind="rotation_report",
        language="ko",
        visibility="public",
        embargo_until=utcnow() + timedelta(days=30),
    )
    page(
        "page_pub", "sunvelloria", kr, "kr-aisi", EVERYONE, kind="methodology", visibility="public"
    )
    page(
        "page_sg",
        "yonderquill",
        sg,
        "sg-aisi",
        KR,
        kind="finding",
        visibility="institutes",
        institutes=[kr_i],
    )
    record(
        "record_draft",
        "gryndalore",
        KR | UK,
        publish=False,
        visibility="public",  # unpublished work stays with its team whatever it will be
        participant_ids=[uk_i.id],
        domain="biological",
        technique="human_uplift_study",
        year=2011,
    )
    record(
        "record_inst",
        "frumbelique",
        KR | UK,
        publish=True,
        visibility="institutes",
        reader_ids=[uk_i.id],
        domain="chemical",
        technique="red_teaming",
        year=2012,
    )
    record(
        "record_pub",
        "taskovrine",
        EVERYONE,
        publish=True,
        visibility="public",
        domain="cyber",
        technique="benchmarking",
        year=2013,
    )
    program("program_draft", "wobbletharn", {"kr_coord"}, status="draft", year=2014)
    program("program_open", "mistrevalon", MEMBERS, status="open", year=2015)

    assert index_now() == len(docs)
    with app.test_request_context():
        for doc in docs.values():
            doc.url = url_for(ENDPOINTS[doc.entity], slug=doc.slug)
    return World(docs, users)


@pytest.fixture
def world(app, search_index, people, make_institute, make_user, make_page, index_now) -> World:
    return build_world(app, people, make_institute, make_user, make_page, index_now)


def test_the_world_is_what_the_access_policy_says(app, world):
    """Guard the fixture: each planted document is readable by exactly its viewers."""
    for viewer in VIEWERS:
        client = signed_in_client(app, world, viewer)
        for doc in world.docs.values():
            response = client.get(doc.url)
            if viewer in doc.visible_to:
                assert response.status_code == 200, (viewer, doc.name)
            elif response.status_code == 302:  # rotations ask visitors to sign in first
                assert viewer == "visitor" and "/sign-in" in response.headers["Location"]
            else:
                assert response.status_code == 404, (viewer, doc.name)


# --- Asking: service layer, search page, suggestions, API ----------------------------------


def service_user(world: World, viewer: str):
    if viewer == "visitor":
        return AnonymousUserMixin()
    return db.session.get(User, world.users[viewer].id)


@dataclass
class Answer:
    """One search as seen by one reader, whatever the channel."""

    total: int
    urls: list[str]
    titles: list[str]
    snippets: list[str]
    facets: dict[str, dict]
    did_you_mean: str | None


def ask_service(app, world: World, viewer: str, **args) -> Answer:
    with app.test_request_context():
        req, hints = service.request_from_args(args)
        response = service.search(service_user(world, viewer), req, hints)
        return Answer(
            response.total,
            [hit.url for hit in response.hits],
            [str(hit.title) for hit in response.hits],
            [str(hit.snippet) for hit in response.hits],
            {name: dict(values) for name, values in response.facets.items()},
            response.did_you_mean,
        )


def suggest_service(app, world: World, viewer: str, text: str) -> list[dict]:
    with app.test_request_context():
        return service.suggest_titles(service_user(world, viewer), text)


def signed_in_client(app, world: World, viewer: str):
    client = app.test_client()
    if viewer != "visitor":
        response = client.post(
            "/sign-in",
            data={"email": world.users[viewer].email, "password": "correct horse battery staple"},
        )
        assert response.status_code == 302, viewer
    return client


def api_headers(app, world: World, viewer: str) -> dict:
    if viewer == "visitor":
        return {}
    with app.app_context():
        _token, raw = create_token(db.session.get(User, world.users[viewer].id), "search tests")
    return {"Authorization": f"Bearer {raw}"}


def ask_api(client, headers, **args) -> Answer:
    response = client.get("/api/v1/search", query_string=args, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json
    return Answer(
        body["total"],
        [urlsplit(r["url"]).path for r in body["results"]],
        [r["title_html"] for r in body["results"]],
        [r["snippet_html"] for r in body["results"]],
        {name: dict(values) for name, values in body["facets"].items()},
        body["did_you_mean"],
    )


_RESULT_RE = re.compile(r'<li class="result">\s*<h3><a href="([^"]+)"')
_FACET_ITEM_RE = re.compile(
    r'<li><a href="([^"]+)"[^>]*>[^<]*</a> <span class="count-plain">(\d+)</span></li>'
)
_TOTAL_RE = re.compile(r"(\d+) results? for")


def page_facets(markup: str) -> dict[str, dict]:
    """The facet values and counts of the search page's sidebar, read from its links."""
    facets: dict[str, dict] = {name: {} for name in FACETS}
    aside = re.search(r'<aside class="facets".*?</aside>', markup, re.S)
    if aside is None:
        return facets
    for href, count in _FACET_ITEM_RE.findall(aside.group()):
        args = {k: v[0] for k, v in parse_qs(urlsplit(html.unescape(href)).query).items()}
        if "from" in args:
            facets["year"][int(args["from"][:4])] = int(count)
            continue
        (name,) = [n for n in args if n in FACETS]
        facets[name][args[name]] = int(count)
    return facets


def ask_page(client, **args) -> tuple[Answer, str]:
    response = client.get("/search", query_string=args)
    assert response.status_code == 200
    markup = response.text
    found = re.search(r'class="did-you-mean">.*?<a [^>]*>([^<]*)</a>', markup, re.S)
    total = _TOTAL_RE.search(markup)
    return (
        Answer(
            int(total.group(1)) if total else 0,
            [html.unescape(u) for u in _RESULT_RE.findall(markup)],
            [],
            [],
            page_facets(markup),
            html.unescape(found.group(1)) if found else None,
        ),
        markup,
    )


# --- Checks shared by every channel --------------------------------------------------------


def no_facets() -> dict[str, dict]:
    return {name: {} for name in FACETS}


def check_planted_word(answer: Answer, doc: Planted, viewer: str, channel: str) -> None:
    where = (channel, viewer, doc.name)
    if viewer in doc.visible_to:
        assert answer.total == 1, where
        assert answer.urls == [doc.url], where
        assert answer.facets == expected_facets([doc]), where
    else:
        assert answer.total == 0, where
        assert answer.urls == [], where
        assert answer.facets == no_facets(), where
        assert answer.did_you_mean is None, where


def check_shared_word(answer: Answer, world: World, viewer: str, channel: str) -> None:
    visible, hidden = world.visible(viewer), world.hidden(viewer)
    where = (channel, viewer)
    assert answer.total == len(visible), where
    assert sorted(answer.urls) == sorted(d.url for d in visible), where
    assert answer.facets == expected_facets(visible), where
    # A value only a hidden document has never shows up as a facet.
    shown = {(name, value) for name, values in answer.facets.items() for value in values}
    for doc in hidden:
        for name, values in doc.facet_values().items():
            for value in values:
                if not any(value in d.facet_values()[name] for d in visible):
                    assert (name, value) not in shown, (*where, doc.name, name, value)
    # Titles and snippets of what is shown never carry a hidden document's words.
    for text in answer.titles + answer.snippets:
        for doc in hidden:
            assert doc.word not in text.casefold(), (*where, doc.name)


def check_misspelling(answer: Answer, doc: Planted, viewer: str, channel: str) -> None:
    where = (channel, viewer, doc.name)
    assert answer.total == 0 and answer.urls == [], where
    if viewer in doc.visible_to:
        assert answer.did_you_mean == doc.word, where
    else:
        assert answer.did_you_mean is None, where


def misspelled_or_control(world: World, doc: Planted) -> str:
    """A misspelling OR a public word: the corrected query would find something either way."""
    return f"{misspelled(doc.word)} OR {world.docs['page_pub'].word}"


def check_misspelling_or_control(
    answer: Answer, world: World, doc: Planted, viewer: str, channel: str
) -> None:
    where = (channel, viewer, doc.name)
    control = world.docs["page_pub"]
    assert answer.total == 1 and answer.urls == [control.url], where
    if viewer in doc.visible_to:
        assert answer.did_you_mean == f"{doc.word} OR {control.word}", where
    else:
        assert answer.did_you_mean is None, where


# --- Service layer -------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_service_never_reveals_what_the_reader_may_not_read(app, world, viewer):
    for doc in world.docs.values():
        answer = ask_service(app, world, viewer, q=doc.word.upper())
        check_planted_word(answer, doc, viewer, "service")
        if viewer in doc.visible_to:
            assert doc.word in answer.titles[0] and doc.word in answer.snippets[0]
        # A one-letter misspelling: corrected for those who may read the word, else nothing.
        check_misspelling(
            ask_service(app, world, viewer, q=misspelled(doc.word)), doc, viewer, "service"
        )
        check_misspelling_or_control(
            ask_service(app, world, viewer, q=misspelled_or_control(world, doc)),
            world,
            doc,
            viewer,
            "service",
        )
        # Title suggestions for the start of the planted title.
        suggested = suggest_service(app, world, viewer, doc.word[:5])
        if viewer in doc.visible_to:
            assert [s["url"] for s in suggested] == [doc.url], (viewer, doc.name)
            assert suggested[0]["title"] == doc.title
        else:
            assert suggested == [], (viewer, doc.name)
    check_shared_word(ask_service(app, world, viewer, q=SHARED), world, viewer, "service")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_browsing_by_filters_alone_shows_only_what_the_reader_may_read(app, world, viewer):
    """No words, only a date range wide enough for everything: the reader's documents only."""
    answer = ask_service(app, world, viewer, **{"from": "2000-01-01", "to": "2100-12-31"})
    check_shared_word(answer, world, viewer, "service, no words")
    for name in ("kind", "institute", "lang"):
        for value in {v for d in world.docs.values() for v in d.facet_values()[name]}:
            answer = ask_service(app, world, viewer, **{name: value})
            expected = [d for d in world.visible(viewer) if value in d.facet_values()[name]]
            assert answer.total == len(expected), (viewer, name, value)
            assert sorted(answer.urls) == sorted(d.url for d in expected)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_probing_with_fields_filters_phrases_and_prefixes_finds_nothing_hidden(app, world, viewer):
    hidden = world.hidden(viewer)
    for doc in hidden:
        queries = [
            {"q": f"title:{doc.word.upper()}"},
            {"q": f'"{doc.word.upper()} DOSSIER"'},
            {"q": f"{doc.word[:5].upper()}*"},
            {"q": f"{doc.word.upper()} OR NOTHINGLIKEIT"},
            {"q": f"tag:{doc.tags[0]}"},
            {"q": SHARED, "tag": doc.tags[0]},
        ]
        if doc.domains:
            queries += [{"q": f"domain:{doc.domains[0]}"}, {"q": SHARED, "domain": doc.domains[0]}]
        for args in queries:
            answer = ask_service(app, world, viewer, **args)
            where = (viewer, doc.name, args)
            assert answer.total == 0 and answer.urls == [], where
            assert answer.facets == no_facets(), where
            assert answer.did_you_mean is None, where
        # Narrowing the shared word by a hidden document's values counts the visible ones only.
        for name in ("kind", "institute", "lang", "year"):
            value = doc.facet_values()[name][0]
            args = (
                {"from": f"{value}-01-01", "to": f"{value}-12-31"}
                if name == "year"
                else {name: value}
            )
            answer = ask_service(app, world, viewer, q=SHARED, **args)
            expected = [d for d in world.visible(viewer) if value in d.facet_values()[name]]
            assert answer.total == len(expected), (viewer, doc.name, name)
            assert answer.facets == expected_facets(expected), (viewer, doc.name, name)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_title_suggestions_list_only_readable_titles(app, world, viewer):
    """Every planted title ends in "dossier": the suggestions for it are the reader's own."""
    visible_urls = {d.url for d in world.visible(viewer)}
    for text in ("doss", "dossier", "dossier "):
        suggested = suggest_service(app, world, viewer, text)
        assert {s["url"] for s in suggested} <= visible_urls, (viewer, text)
        assert len(suggested) == min(8, len(visible_urls)), (viewer, text)
    for doc in world.hidden(viewer):
        for text in (doc.word, f"{doc.word} doss", f"{doc.word.upper()} dossier"):
            assert suggest_service(app, world, viewer, text) == [], (viewer, doc.name, text)


def test_hidden_titles_do_not_crowd_out_readable_suggestions(
    app, search_index, people, make_page, index_now
):
    """Many network pages and two public ones share a title word: a visitor gets the two."""
    for n in range(20):
        make_page(people.kr, f"zephyrine-members-{n}", title=f"zephyrine members {n}")
    public = [
        make_page(
            people.kr, f"zephyrine-public-{n}", title=f"zephyrine public {n}", visibility="public"
        )
        for n in range(2)
    ]
    index_now()
    with app.test_request_context():
        urls = {url_for("wiki.view_page", slug=p.slug) for p in public}
        for text in ("zeph", "zephyrine", "zephyrine "):
            found = service.suggest_titles(AnonymousUserMixin(), text)
            assert {s["url"] for s in found} == urls, text
        member = db.session.get(User, people.jp.id)
        assert len(service.suggest_titles(member, "zeph")) == 8


# --- Over HTTP -----------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search_page_never_shows_what_the_reader_may_not_read(app, world, viewer):
    client = signed_in_client(app, world, viewer)
    hidden_words = [d.word for d in world.hidden(viewer)]
    for doc in world.docs.values():
        answer, markup = ask_page(client, q=doc.word.upper())
        check_planted_word(answer, doc, viewer, "page")
        if viewer in doc.visible_to:
            assert doc.word in markup
        else:
            # The query is echoed in capitals; a lower-case planted word would be a leak.
            assert doc.word not in markup, (viewer, doc.name)
            assert doc.slug not in markup
            assert f"0 results for “{doc.word.upper()}”" in markup
        answer, markup = ask_page(client, q=misspelled(doc.word).upper())
        check_misspelling(answer, doc, viewer, "page")
        if viewer not in doc.visible_to:
            assert doc.word not in markup and "did-you-mean" not in markup, (viewer, doc.name)
    answer, markup = ask_page(client, q=SHARED.upper())
    check_shared_word(answer, world, viewer, "page")
    for word in hidden_words:
        assert word not in markup, (viewer, word)
    for doc in world.visible(viewer):
        assert doc.word in markup


@pytest.mark.parametrize("viewer", VIEWERS)
def test_suggest_endpoint_lists_only_readable_titles(app, world, viewer):
    client = signed_in_client(app, world, viewer)
    for doc in world.docs.values():
        response = client.get("/search/suggest", query_string={"q": doc.word[:5]})
        assert response.status_code == 200
        if viewer in doc.visible_to:
            assert [s["url"] for s in response.json] == [doc.url], (viewer, doc.name)
        else:
            assert response.json == [], (viewer, doc.name)
            assert doc.word not in response.text
    listed = client.get("/search/suggest", query_string={"q": "dossier"}).json
    assert {s["url"] for s in listed} <= {d.url for d in world.visible(viewer)}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_api_never_reveals_what_the_caller_may_not_read(app, client, world, viewer):
    headers = api_headers(app, world, viewer)
    for doc in world.docs.values():
        check_planted_word(ask_api(client, headers, q=doc.word.upper()), doc, viewer, "api")
        check_misspelling(
            ask_api(client, headers, q=misspelled(doc.word)), doc, viewer, "api (misspelled)"
        )
        check_misspelling_or_control(
            ask_api(client, headers, q=misspelled_or_control(world, doc)),
            world,
            doc,
            viewer,
            "api (misspelled OR control)",
        )
    check_shared_word(ask_api(client, headers, q=SHARED), world, viewer, "api")
    shared = client.get("/api/v1/search", query_string={"q": SHARED}, headers=headers).text
    for doc in world.hidden(viewer):
        assert doc.word not in shared, (viewer, doc.name)


def test_api_ignores_the_session_cookie(app, client, world):
    """Signed in on the web but calling without a token: the API answers as to a visitor."""
    client.post(
        "/sign-in",
        data={"email": world.users["kr"].email, "password": "correct horse battery staple"},
    )
    network = world.docs["page_net"]
    assert ask_api(client, {}, q=network.word).total == 0
    assert ask_page(client, q=network.word.upper())[0].total == 1
    check_shared_word(ask_api(client, {}, q=SHARED), world, "visitor", "api, cookie only")


# --- The index lagging behind the database -------------------------------------------------


@pytest.fixture
def narrowed(app, search_index, people, make_page, index_now):
    """A public page, indexed, then narrowed to UK through the wiki service (not yet indexed)."""
    page = make_page(
        people.kr,
        "brindlecove-notes",
        source=f"The brindlecove protocol and {SHARED}.\n",
        title="brindlecove notes",
        visibility="public",
        tags=["brindlecove-tag"],
    )
    assert index_now() == 1
    with app.test_request_context():
        url = url_for("wiki.view_page", slug=page.slug)
        visitor_first = service.search(AnonymousUserMixin(), service.SearchRequest(q="brindlecove"))
        assert [h.url for h in visitor_first.hits] == [url]  # the control: public, found
    with app.app_context():
        fresh = db.session.get(Page, page.id)
        wiki_services.update_settings(
            db.session.get(User, people.kr.id),
            fresh,
            wiki_services.PageFields(
                title=fresh.title,
                kind=fresh.kind,
                language=fresh.language,
                visibility="institutes",
                institute_ids=[people.uk_institute.id],
                embargo_until=None,
                tags=["brindlecove-tag"],
            ),
        )
        pending = db.session.scalars(
            select(SearchOutbox).where(
                SearchOutbox.entity == "page",
                SearchOutbox.object_id == page.id,
                SearchOutbox.done_at.is_(None),
            )
        ).all()
        assert len(pending) == 1  # recorded with the change, not applied yet
    return page, url


def test_narrowed_page_is_not_shown_before_the_index_catches_up(
    app, client, people, narrowed, index_now
):
    _page, url = narrowed

    def as_reader(user):
        with app.test_request_context():
            reader = AnonymousUserMixin() if user is None else db.session.get(User, user.id)
            found = service.search(reader, service.SearchRequest(q="brindlecove"))
            suggested = service.suggest_titles(reader, "brindle")
            return found, suggested

    # Before the outbox is applied: the index still says public; the database says UK only.
    for user in (None, people.jp):
        found, suggested = as_reader(user)
        assert found.hits == [] and suggested == []
    found, suggested = as_reader(people.uk)
    assert [h.url for h in found.hits] == [url] and [s["url"] for s in suggested] == [url]
    markup = client.get("/search", query_string={"q": "BRINDLECOVE"}).text
    assert url not in markup and "brindlecove notes" not in markup
    assert "brindlecove protocol" not in markup
    assert client.get("/search/suggest", query_string={"q": "brindle"}).json == []
    assert client.get("/api/v1/search", query_string={"q": "brindlecove"}).json["results"] == []

    # Once the indexer has run, counts and facets are right too.
    assert index_now() == 1
    for user in (None, people.jp):
        found, _ = as_reader(user)
        assert found.total == 0 and found.hits == []
        assert all(not values for values in found.facets.values())
    body = client.get("/api/v1/search", query_string={"q": "brindlecove"}).json
    assert body["total"] == 0 and all(not v for v in body["facets"].values())
    assert "brindlecove" not in client.get("/search", query_string={"q": "BRINDLECOVE"}).text
    found, _ = as_reader(people.uk)
    assert found.total == 1 and [h.url for h in found.hits] == [url]


def test_narrowed_page_leaks_no_count_facet_or_spelling_before_the_index_catches_up(
    app, client, narrowed
):
    """Before the outbox is applied, a visitor is told "1 result" (none listed), sees the
    narrowed page's tag, institute, kind and year as facets, and is offered its words as a
    "did you mean" spelling, unless the documents whose outbox rows are still pending are
    re-checked against the database (service.stale_denied)."""
    _page, _url = narrowed
    body = client.get("/api/v1/search", query_string={"q": "brindlecove"}).json
    assert body["total"] == 0
    assert "brindlecove-tag" not in str(body["facets"])
    body = client.get("/api/v1/search", query_string={"q": "brindlekove"}).json
    assert body["did_you_mean"] is None
    assert "brindlecove" not in client.get("/search", query_string={"q": "BRINDLECOVE"}).text


# --- Embargoes ending ----------------------------------------------------------------------


def _outbox_rows(entity: str, object_id: int) -> list[SearchOutbox]:
    return list(
        db.session.scalars(
            select(SearchOutbox)
            .where(SearchOutbox.entity == entity, SearchOutbox.object_id == object_id)
            .order_by(SearchOutbox.id)
        )
    )


def _same_instant(a, b) -> bool:
    """Compare datetimes from SQLite (naive UTC) and PostgreSQL (aware) alike."""
    return a.replace(tzinfo=None) == b.replace(tzinfo=None)


def _lapse_embargo(app, model, entity: str, object_id: int, index_now) -> None:
    """Let time pass: the embargo ends; the row scheduled at its end becomes due."""
    past = utcnow() - timedelta(seconds=5)
    with app.app_context():
        # Core UPDATEs: no ORM flush, so no new outbox row is recorded by the change.
        db.session.execute(
            update(model.__table__)
            .where(model.__table__.c.id == object_id)
            .values(embargo_until=past)
        )
        db.session.commit()
        pending = [r for r in _outbox_rows(entity, object_id) if r.done_at is None]
        assert len(pending) == 1  # only the row scheduled at the embargo's end
    # The scheduled row is not due yet: the indexer does nothing, the document stays hidden.
    assert index_now() == 0
    with app.app_context():
        db.session.execute(
            update(SearchOutbox)
            .where(
                SearchOutbox.entity == entity,
                SearchOutbox.object_id == object_id,
                SearchOutbox.done_at.is_(None),
            )
            .values(available_at=past)
        )
        db.session.commit()


def _visitor_total(app, word: str) -> tuple[int, list[str]]:
    with app.test_request_context():
        found = service.search(AnonymousUserMixin(), service.SearchRequest(q=word))
        return found.total, [h.url for h in found.hits]


def test_embargoed_page_is_indexed_again_when_the_embargo_ends(
    app, client, people, search_index, make_page, index_now
):
    ends = utcnow() + timedelta(days=2)
    page = make_page(
        people.kr,
        "glimmerfasht-report",
        source=f"The glimmerfasht report on {SHARED}.\n",
        title="glimmerfasht report",
        visibility="public",
        embargo_until=ends,
        tags=["glimmerfasht-tag"],
    )
    assert index_now() == 1
    with app.app_context():
        rows = _outbox_rows("page", page.id)
        assert [r.done_at is None for r in rows] == [False, True]
        assert _same_instant(rows[1].available_at, ends)  # scheduled at the embargo's end
    assert _visitor_total(app, "glimmerfasht") == (0, [])
    assert client.get("/api/v1/search", query_string={"q": "glimmerfasht"}).json["total"] == 0
    assert client.get("/search/suggest", query_string={"q": "glimmer"}).json == []

    _lapse_embargo(app, Page, "page", page.id, index_now)
    # Due now, not yet applied: still nothing (the index lags behind; it never over-shows).
    assert _visitor_total(app, "glimmerfasht")[0] == 0
    assert index_now() == 1
    with app.test_request_context():
        url = url_for("wiki.view_page", slug=page.slug)
    assert _visitor_total(app, "glimmerfasht") == (1, [url])
    body = client.get("/api/v1/search", query_string={"q": "glimmerfasht"}).json
    assert body["total"] == 1 and body["facets"]["tag"] == [["glimmerfasht-tag", 1]]
    assert [
        s["url"] for s in client.get("/search/suggest", query_string={"q": "glimmer"}).json
    ] == [url]
    with app.app_context():
        # Nothing further is scheduled once the embargo is over.
        assert all(r.done_at is not None for r in _outbox_rows("page", page.id))


def test_embargoed_record_is_indexed_again_when_the_embargo_ends(
    app, client, people, search_index, index_now
):
    ends = utcnow() + timedelta(hours=6)
    with app.app_context():
        author = db.session.get(User, people.kr.id)
        record = record_services.create_record(
            author,
            record_services.RecordFields(
                title="pelloquant run",
                summary="The pelloquant run.",
                visibility="public",
                embargo_until=ends,
            ),
        )
        record_services.transition(author, record, "in_review")
        record_services.transition(db.session.get(User, people.kr2.id), record, "published")
        record_id, slug = record.id, record.slug
    index_now()
    with app.app_context():
        pending = [r for r in _outbox_rows("record", record_id) if r.done_at is None]
        assert len(pending) == 1 and _same_instant(pending[0].available_at, ends)
    assert _visitor_total(app, "pelloquant") == (0, [])
    with app.test_request_context():
        owner = db.session.get(User, people.kr.id)
        assert service.search(owner, service.SearchRequest(q="pelloquant")).total == 1
        uk = db.session.get(User, people.uk.id)
        assert service.search(uk, service.SearchRequest(q="pelloquant")).total == 0
        url = url_for("evaluations.view_record", slug=slug)

    _lapse_embargo(app, EvaluationRecord, "record", record_id, index_now)
    assert index_now() == 1
    assert _visitor_total(app, "pelloquant") == (1, [url])

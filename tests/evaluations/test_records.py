"""Evaluation records over HTTP: create and edit with kept input, results, workflow, citations,
cards in wiki pages, exports, and the need-to-know policy on every read path."""

import csv
import io

import pytest
from sqlalchemy import select

from exchange.accounts.models import User
from exchange.evaluations import services
from exchange.evaluations.models import EvaluationRecord
from exchange.extensions import db

SECRET = "Crypto-uplift-91c2"
FORM = {
    "title": "Model C cyber run",
    "slug": "",
    "record_type": "pre_deployment",
    "model_name": "Model C",
    "model_developer": "Demo Lab",
    "model_access": "pre_release_api",
    "access_start": "2026-09-01",
    "access_end": "2026-09-10",
    "evaluated_on": "2026-09-09",
    "domains": ["cyber"],
    "techniques": ["agent_task", "benchmarking"],
    "languages": "en, ko",
    "epochs": "3",
    "headline_finding": "Solves more crypto tasks than the reference models.",
    "caveats": "Scaffold adapted for tool-calling errors.",
    "visibility": "network",
}
RESULTS = (
    "Demo CTF | success rate | Model C | no | 0.34 | 0.043 | 120\n"
    "Demo CTF | success rate | Model B | yes | 0.21 | 0.037 | 120\n"
)


def record_by_slug(app, slug):
    with app.app_context():
        return db.session.scalar(select(EvaluationRecord).where(EvaluationRecord.slug == slug))


def make_record(
    app,
    author,
    title="Record",
    *,
    visibility="network",
    readers=(),
    status=None,
    results=RESULTS,
    participants=(),
):
    with app.app_context():
        user = db.session.get(User, author.id)
        record = services.create_record(
            user,
            services.RecordFields(
                title=title,
                model_name="Model C",
                visibility=visibility,
                reader_ids=[i.id for i in readers],
                participant_ids=[i.id for i in participants],
                headline_finding=f"{title} headline",
            ),
        )
        services.replace_results(user, record, services.parse_result_lines(results))
        for target in status or ():
            record.status = target  # tests set the workflow state directly
        db.session.commit()
        return record.slug


def test_create_view_and_edit(app, client, auth, people):
    auth.sign_in(people.kr.email)
    response = client.post("/evaluations/new", data=FORM)
    assert response.status_code == 302
    slug = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/evaluations/{slug}").text
    for text in ("Model C", "Demo Lab", "Solves more crypto", "Scaffold adapted", "Draft"):
        assert text in page
    assert client.post(f"/evaluations/{slug}/results", data={"results": RESULTS}).status_code == 302
    page = client.get(f"/evaluations/{slug}").text
    assert "<svg" in page and 'role="img"' in page
    assert "<caption>Demo CTF · success rate</caption>" in page
    assert "34.0%" in page and "± 4.3" in page
    edit = dict(FORM, title="Renamed", visibility="institutes", readers=[people.uk_institute.id])
    assert client.post(f"/evaluations/{slug}/edit", data=edit).status_code == 302
    record = record_by_slug(app, slug)
    assert record.title == "Renamed" and record.visibility == "institutes"


def test_form_errors_keep_input(client, auth, people):
    auth.sign_in(people.kr.email)
    bad = dict(FORM, access_end="2026-08-01", headline_finding="Keep this finding text")
    page = client.post("/evaluations/new", data=bad)
    assert page.status_code == 400
    assert "ends before it starts" in page.text and "Keep this finding text" in page.text
    slug = make_record(client.application, people.kr)
    page = client.post(f"/evaluations/{slug}/results", data={"results": "a | b | c | maybe | x"})
    assert (
        page.status_code == 400 and "Line 1" in page.text and "a | b | c | maybe | x" in page.text
    )


def test_workflow_needs_an_approver_to_publish(app, client, auth, people):
    slug = make_record(app, people.kr)
    auth.sign_in(people.kr.email)  # a plain member
    assert (
        client.post(f"/evaluations/{slug}/status", data={"status": "in_review"}).status_code == 302
    )
    assert (
        client.post(f"/evaluations/{slug}/status", data={"status": "published"}).status_code == 403
    )
    auth.sign_out()
    auth.sign_in(people.kr2.email)  # a reviewer of the owner institute
    assert (
        client.post(f"/evaluations/{slug}/status", data={"status": "published"}).status_code == 302
    )
    assert record_by_slug(app, slug).status == "published"
    auth.sign_out()
    auth.sign_in(people.uk.email)
    assert (
        client.post(f"/evaluations/{slug}/status", data={"status": "archived"}).status_code == 403
    )


def test_drafts_are_seen_by_owner_and_participants_only(app, client, auth, people):
    slug = make_record(app, people.kr, "Draft work", participants=[people.jp_institute])
    for user, code in ((people.uk, 404), (people.jp, 200), (people.kr2, 200)):
        auth.sign_in(user.email)
        assert client.get(f"/evaluations/{slug}").status_code == code
        auth.sign_out()
    assert client.get(f"/evaluations/{slug}").status_code == 404


@pytest.fixture
def hidden(app, people):
    """A published KR-UK record and a published network record."""
    secret = make_record(
        app,
        people.kr,
        f"Secret {SECRET}",
        visibility="institutes",
        readers=[people.uk_institute],
        status=["published"],
        results=f"{SECRET} | success rate | Model C | no | 0.5 | 0.05 | 100",
    )
    open_one = make_record(app, people.kr, "Open record", status=["published"])
    return secret, open_one


def test_hidden_record_is_404_everywhere_and_absent_from_lists(
    client, auth, people, hidden, make_page
):
    secret, _open = hidden
    make_page(
        people.kr, "cites", f"See [[eval:{secret}]] and [[eval:{_open}]].\n", visibility="public"
    )
    routes = ["", ".json", "/results.csv", "/edit", "/results", "/logs/1"]
    for who in (None, people.jp):
        if who:
            auth.sign_in(who.email)
        for route in routes:
            response = client.get(f"/evaluations/{secret}{route}")
            assert response.status_code in ((404,) if who else (404, 302)), route
            assert SECRET not in response.text
        for url in (
            "/evaluations/",
            "/evaluations/export.csv",
            "/evaluations/export.json",
            "/evaluations/results.csv",
            "/evaluations/?domain=cyber",
            "/api/v1/evaluations",
            f"/api/v1/evaluations/{secret}",
            "/wiki/cites",
        ):
            assert SECRET not in client.get(url).text, url
        if who:
            auth.sign_out()
    auth.sign_in(people.jp.email)
    card_page = client.get("/wiki/cites").text
    assert 'class="evalcard"' in card_page and "Open record" in card_page
    auth.sign_out()
    auth.sign_in(people.uk.email)
    assert SECRET in client.get(f"/evaluations/{secret}").text
    assert SECRET in client.get("/wiki/cites").text  # the card shows its numbers to UK


def test_citations_flag_changed_methodology_and_backlinks(app, client, auth, people, make_page):
    make_page(people.kr, "method", "v1\n", visibility="network")
    slug = make_record(app, people.kr)
    auth.sign_in(people.kr.email)
    assert client.post(f"/evaluations/{slug}/citations", data={"page": "method"}).status_code == 302
    page = client.get(f"/evaluations/{slug}").text
    assert "revision 1" in page and "methodology changed since" not in page
    client.post(
        "/wiki/method/edit",
        data={
            "title": "Method",
            "source": "v2\n",
            "base_revision_id": str(db_current(app, "method")),
        },
    )
    assert "methodology changed since" in client.get(f"/evaluations/{slug}").text
    make_page(people.kr, "finding", f"Cites [[eval:{slug}]].\n", kind="finding")
    assert "/wiki/finding" in client.get(f"/evaluations/{slug}").text


def db_current(app, slug):
    from exchange.wiki.models import Page

    with app.app_context():
        return db.session.scalar(select(Page.current_revision_id).where(Page.slug == slug))


def test_exports(app, client, auth, people, hidden):
    auth.sign_in(people.uk.email)
    rows = list(csv.DictReader(io.StringIO(client.get("/evaluations/results.csv").text)))
    assert {r["model"] for r in rows} == {"Model C", "Model B"}
    records = client.get("/evaluations/export.json").json["records"]
    assert len(records) == 2 and all("results" in r for r in records)
    one = client.get(f"/evaluations/{hidden[1]}.json").json
    assert one["results"][0]["benchmark"] == "Demo CTF"
    formula = make_record(app, people.uk, "=HYPERLINK(evil)", status=["published"])
    text = client.get("/evaluations/export.csv").text
    assert "'=HYPERLINK(evil)" in text and formula


def test_list_filters(app, client, auth, people):
    make_record(app, people.kr, "Alpha", status=["published"])
    with app.app_context():
        user = db.session.get(User, people.kr.id)
        services.create_record(
            user,
            services.RecordFields(
                title="Beta",
                model_name="Model F",
                record_type="research_study",
                visibility="network",
                domains=["biological"],
            ),
        )
    auth.sign_in(people.kr.email)
    assert "Beta" in client.get("/evaluations/?domain=biological").text
    assert "Alpha" not in client.get("/evaluations/?domain=biological").text
    assert "Alpha" in client.get("/evaluations/?status=published").text
    assert "Beta" in client.get("/evaluations/?type=research_study").text
    assert "Beta" in client.get("/evaluations/?model=Model+F").text
    assert "Alpha" in client.get("/evaluations/?institute=KR-AISI").text
    assert client.get("/evaluations/?page=x").status_code == 404

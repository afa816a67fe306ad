"""What searching finds and how: analysis, syntax, facets, sorting, paging, snippets, spelling,
suggestions, and every kind of content (pages, findings, records, programs)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.evaluations import services as record_services
from exchange.extensions import db
from exchange.rotations import services as rotation_services
from exchange.search import service
from exchange.search.highlight import snippet
from exchange.wiki.models import Page


def run(app, user=None, **args):
    with app.test_request_context():
        req, hints = service.request_from_args(args)
        return service.search(user, req, hints)


def titles(response) -> list[str]:
    return [hit.title.striptags() for hit in response.hits]


@pytest.fixture
def corpus(app, people, make_page, search_index, index_now):
    """A small wiki in English and Korean, public so that a visitor sees it all."""
    pages = {
        "evaluate": make_page(
            people.kr,
            "evaluating-agents",
            "We are evaluating agents on cyber ranges. Evaluation needs care.\n",
            title="Evaluating agents",
            tags=["cyber", "agentic"],
            visibility="public",
        ),
        "phrase": make_page(
            people.uk,
            "success-rate",
            "The attack success rate is reported with a confidence interval.\n",
            title="Attack success rate",
            kind="finding",
            tags=["jailbreak"],
            visibility="public",
        ),
        "scrambled": make_page(
            people.uk,
            "scrambled",
            "Success came after the attack; the rate was low.\n",
            title="Scrambled words",
            kind="finding",
            tags=["jailbreak"],
            visibility="public",
        ),
        "korean": make_page(
            people.kr,
            "korean-jailbreak",
            "탈옥 시도를 평가에서 분류했다. 한국어 모델의 거부율을 측정했다.\n",
            title="한국어 탈옥 평가",
            language="ko",
            tags=["korean", "jailbreak"],
            visibility="public",
        ),
        "mixed": make_page(
            people.jp,
            "mixed-language",
            "The refusal rate of LLM의 응답 was measured in Japanese and Korean.\n",
            title="Refusal rates across languages",
            tags=["multilingual"],
            visibility="public",
        ),
    }
    index_now()
    return {name: page.id for name, page in pages.items()}


def test_english_stemming(app, corpus):
    assert titles(run(app, q="evaluate")) == ["Evaluating agents"]
    assert titles(run(app, q="evaluations")) == ["Evaluating agents"]


def test_korean_particles_and_mixed_text(app, corpus):
    assert titles(run(app, q="탈옥을 평가")) == ["한국어 탈옥 평가"]
    assert titles(run(app, q="평가에서")) == ["한국어 탈옥 평가"]
    assert titles(run(app, q="응답")) == ["Refusal rates across languages"]
    both = titles(run(app, q="refusal 응답을"))
    assert both == ["Refusal rates across languages"]


def test_phrase_needs_the_words_together(app, corpus):
    assert set(titles(run(app, q="attack success rate"))) == {
        "Attack success rate",
        "Scrambled words",
    }
    assert titles(run(app, q='"attack success rate"')) == ["Attack success rate"]


def test_exclusion_or_and_prefix(app, corpus):
    assert titles(run(app, q="jailbreak -korean -success")) == []
    assert set(titles(run(app, q="jailbreak -탈옥"))) == {"Attack success rate", "Scrambled words"}
    assert set(titles(run(app, q="cyber OR 거부율을"))) == {"Evaluating agents", "한국어 탈옥 평가"}
    assert titles(run(app, q="evalu*")) == ["Evaluating agents"]
    assert titles(run(app, q="confid*")) == ["Attack success rate"]


def test_field_filters(app, corpus, people):
    assert titles(run(app, q="title:success")) == ["Attack success rate"]
    assert set(titles(run(app, q="tag:jailbreak"))) == {
        "Attack success rate",
        "Scrambled words",
        "한국어 탈옥 평가",
    }
    assert titles(run(app, q="institute:JP-AISI")) == ["Refusal rates across languages"]
    assert set(titles(run(app, q="kind:finding"))) == {"Attack success rate", "Scrambled words"}
    assert titles(run(app, q="lang:ko")) == ["한국어 탈옥 평가"]


def test_facet_counts_and_narrowing(app, corpus):
    response = run(app, q="rate")
    facets = dict(response.facets)
    assert response.total == 3
    assert dict(facets["kind"]) == {"finding": 2, "methodology": 1}
    assert dict(facets["institute"]) == {"uk-aisi": 2, "jp-aisi": 1}
    assert dict(facets["tag"]) == {"jailbreak": 2, "multilingual": 1}
    narrowed = run(app, q="rate", institute="jp-aisi")
    assert titles(narrowed) == ["Refusal rates across languages"]
    assert dict(dict(narrowed.facets)["institute"]) == {"jp-aisi": 1}
    assert run(app, q="rate", kind="finding", tag="jailbreak").total == 2


def test_facets_alone_browse_newest_first(app, corpus):
    response = run(app, tag="jailbreak")
    assert response.total == 3
    assert response.searched


def test_date_range_and_sorting(app, corpus):
    with app.app_context():
        for name, day in (("phrase", date(2024, 3, 1)), ("scrambled", date(2025, 6, 1))):
            db.session.execute(
                update(Page)
                .where(Page.id == corpus[name])
                .values(updated_at=datetime(day.year, day.month, day.day, tzinfo=utcnow().tzinfo))
            )
        db.session.commit()
    # Dates come from the index: re-index those two pages.
    with app.app_context():
        from exchange.search.indexer import drain, enqueue

        enqueue("page", [corpus["phrase"], corpus["scrambled"]])
        db.session.commit()
        drain()
    newest = titles(run(app, q="jailbreak", sort="date"))
    assert newest == ["한국어 탈옥 평가", "Scrambled words", "Attack success rate"]
    in_2024 = run(app, q="jailbreak", **{"from": "2024-01-01", "to": "2024-12-31"})
    assert titles(in_2024) == ["Attack success rate"]
    assert dict(dict(in_2024.facets)["year"]) == {2024: 1}


def test_paging(app, people, make_page, search_index, index_now):
    for n in range(23):
        make_page(people.kr, f"lemur-{n}", f"Lemur note {n}.\n", visibility="public")
    index_now()
    first, third = run(app, q="lemur"), run(app, q="lemur", page="3")
    assert first.total == 23 and first.pages == 3
    assert len(first.hits) == 10 and len(third.hits) == 3
    assert not {h.key for h in first.hits} & {h.key for h in third.hits}
    beyond = run(app, q="lemur", page="7")
    assert beyond.hits == [] and beyond.total == 23


def test_snippets_mark_stemmed_korean_and_prefix_matches(app, corpus):
    hit = run(app, q="evaluate").hits[0]
    assert "<mark>evaluating</mark>" in hit.snippet
    assert "<mark>Evaluation</mark>" in hit.snippet
    assert "<mark>Evaluating</mark>" in hit.title
    korean = run(app, q="탈옥을").hits[0]
    assert "<mark>탈옥</mark>" in korean.snippet
    prefix = run(app, q="confid*").hits[0]
    assert "<mark>confidence</mark>" in prefix.snippet


def test_snippets_escape_html_and_show_the_matching_part():
    text = "<b>x</b> " + "filler words here " * 100 + "the ocelot appears <script> near the end"
    out = str(snippet(text, frozenset({"ocelot"}), frozenset()))
    assert "<mark>ocelot</mark>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert out.startswith("…")
    assert len(out) < 400


def test_did_you_mean(app, corpus):
    response = run(app, q="evaluatng agents")
    assert response.total == 0
    assert response.did_you_mean == "evaluating agents"
    assert run(app, q="evaluating").did_you_mean is None


def test_title_suggestions(app, corpus):
    with app.test_request_context():
        assert [s["title"] for s in service.suggest_titles(None, "attack su")] == [
            "Attack success rate"
        ]
        assert [s["title"] for s in service.suggest_titles(None, "Refus")] == [
            "Refusal rates across languages"
        ]
        assert service.suggest_titles(None, "한국어 탈옥")[0]["title"] == "한국어 탈옥 평가"
        assert service.suggest_titles(None, "") == []
        assert service.suggest_titles(None, "zzzzq") == []


def test_records_and_programs_are_searchable(app, people, make_user, search_index, index_now):
    coordinator_id = make_user(institute=people.kr_institute, roles=["coordinator"]).id
    with app.app_context():
        kr = db.session.get(User, people.kr.id)
        record = record_services.create_record(
            kr,
            record_services.RecordFields(
                title="Cheetah benchmark run",
                summary="Measured cheetah-level uplift.",
                visibility="network",
                model_name="Claude 3.5 Sonnet",
                domains=["cyber"],
                techniques=["red_teaming"],
                evaluated_on=date(2025, 5, 1),
            ),
        )
        record_id = record.id
        program = rotation_services.save_program(
            db.session.get(User, coordinator_id),
            None,
            rotation_services.ProgramFields(
                title="Cheetah secondment",
                description="Join the cheetah team in Seoul.",
                focus_areas="cyber, red teaming",
                status="open",
                start_date=date.today() + timedelta(days=60),
                end_date=date.today() + timedelta(days=150),
            ),
        )
        program_id = program.id
    index_now()
    member = run(app, people.kr, q="cheetah")
    assert {h.key for h in member.hits} == {f"record:{record_id}", f"program:{program_id}"}
    assert run(app, people.kr, q="model:sonnet").hits[0].key == f"record:{record_id}"
    assert run(app, people.kr, q="domain:cyber").hits[0].key == f"record:{record_id}"
    assert {h.kind for h in member.hits} == {"record", "program"}
    assert run(app, None, q="cheetah").total == 0  # network record, programs: members only

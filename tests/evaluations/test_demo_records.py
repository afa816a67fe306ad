"""Demo evaluation records: loaded once through the services, flagged, cited, linked."""

from __future__ import annotations

import math
import re

from sqlalchemy import func, select

from exchange.accounts.models import User
from exchange.demo import DEMO_PASSWORD, load_demo_data
from exchange.evaluations.charts import proportion_unit
from exchange.evaluations.demo_records import DEMO_RECORDS, load_demo_records
from exchange.evaluations.models import EvaluationRecord, EvaluationResult
from exchange.extensions import db
from exchange.wiki.demo_content import read_demo_pages
from exchange.wiki.demo_loader import load_demo_pages

# slug: (owner, record type, status, visibility, readers)
DESIGN = {
    "demo-us-uk-upgraded-claude-3-5-sonnet-pre-deployment": (
        "UK-AISI", "pre_deployment", "published", "public", set()
    ),
    "demo-us-uk-openai-o1-pre-deployment": (
        "UK-AISI", "pre_deployment", "published", "public", set()
    ),
    "demo-network-first-joint-testing-exercise-2024": (
        "US-CAISI", "joint_testing_exercise", "published", "network", set()
    ),
    "demo-network-multilingual-joint-testing-2025": (
        "SG-AISI", "joint_testing_exercise", "published", "network", set()
    ),
    "demo-network-agentic-joint-testing-2025": (
        "SG-AISI", "joint_testing_exercise", "published", "network", set()
    ),
    "demo-model-b-ctf-tool-error-recovery": (
        "UK-AISI", "pre_deployment", "published", "institutes", {"KR-AISI"}
    ),
    "demo-korean-english-privacy-refusal-gap": (
        "KR-AISI", "research_study", "published", "network", set()
    ),
    "demo-bio-troubleshooting-tool-access": (
        "UK-AISI", "research_study", "in_review", "institutes", {"KR-AISI"}
    ),
    "demo-agentic-fraud-injected-instructions": (
        "SG-AISI", "research_study", "published", "institutes", {"KR-AISI", "UK-AISI"}
    ),
    "demo-ctf-epoch-count-stderr": ("US-CAISI", "benchmark_run", "published", "public", set()),
    "demo-multilingual-judge-calibration": (
        "SG-AISI", "research_study", "published", "network", set()
    ),
    "demo-japanese-refusal-grader-comparison": (
        "JP-AISI", "research_study", "published", "network", set()
    ),
    "demo-ctf-vm-misconfiguration-rerun": (
        "UK-AISI", "benchmark_run", "published", "institutes", {"KR-AISI"}
    ),
    "demo-model-f-korean-red-teaming-severity": (
        "KR-AISI", "pre_deployment", "draft", "network", set()
    ),
}  # fmt: skip

REAL_MODEL_RECORDS = {
    "demo-us-uk-upgraded-claude-3-5-sonnet-pre-deployment",
    "demo-us-uk-openai-o1-pre-deployment",
    "demo-network-first-joint-testing-exercise-2024",
    "demo-network-multilingual-joint-testing-2025",
    "demo-network-agentic-joint-testing-2025",
}


def load_everything() -> int:
    load_demo_data()
    load_demo_pages()
    return load_demo_records()


def records() -> dict[str, EvaluationRecord]:
    return {r.slug: r for r in db.session.scalars(select(EvaluationRecord))}


def test_the_data_list_matches_the_design():
    assert {d.slug for d in DEMO_RECORDS} == set(DESIGN)
    assert len(DEMO_RECORDS) == len(DESIGN)
    assert {d.slug for d in DEMO_RECORDS if not d.is_fictional} == REAL_MODEL_RECORDS
    for demo in DEMO_RECORDS:
        assert demo.slug.startswith("demo-")
        assert 1 <= len(demo.methodology) <= 3, demo.slug
        assert "demo record" in demo.fields.summary.lower(), demo.slug


def test_demo_records_load_once_and_are_flagged(app):
    with app.app_context():
        assert load_everything() == len(DESIGN)
        assert load_demo_records() == 0
        found = records()
        assert set(found) == set(DESIGN)
        assert (
            db.session.scalar(
                select(func.count(EvaluationRecord.id)).where(EvaluationRecord.is_demo.is_(False))
            )
            == 0
        )
        for slug, (owner, kind, status, visibility, readers) in DESIGN.items():
            record = found[slug]
            assert record.is_demo, slug
            assert record.owner_institute.code == owner, slug
            assert record.record_type == kind, slug
            assert record.status == status, slug
            assert record.visibility == visibility, slug
            assert {i.code for i in record.allowed_institutes} == readers, slug
            author = db.session.get(User, record.created_by_id)
            assert author.is_demo and author.institute_id == record.owner_institute_id, slug
            assert owner not in {i.code for i in record.participating_institutes}
            if record.access_start or record.access_end:
                assert record.record_type == "pre_deployment"
                assert record.access_start <= record.access_end


def test_real_model_records_have_no_results_and_say_where_the_numbers_are(app):
    with app.app_context():
        load_everything()
        found = records()
        for slug in REAL_MODEL_RECORDS:
            record = found[slug]
            assert record.results == [], slug
            assert record.model_developer != "Demo Lab"
            assert "public information" in record.summary, slug
            assert "numeric results" in record.caveats, slug
        sonnet = found["demo-us-uk-upgraded-claude-3-5-sonnet-pre-deployment"]
        assert set(sonnet.labels_of("domain")) == {
            "biological", "cyber", "software_ai_development", "safeguard_efficacy"
        }  # fmt: skip
        assert [i.code for i in sonnet.participating_institutes] == ["US-CAISI"]
        o1 = found["demo-us-uk-openai-o1-pre-deployment"]
        assert set(o1.labels_of("domain")) == {"cyber", "biological", "software_ai_development"}
        assert "tool-calling" in o1.caveats and "scaffolding" in o1.caveats
        multilingual = found["demo-network-multilingual-joint-testing-2025"]
        assert set(multilingual.labels_of("language")) == {
            "en", "yue", "fa", "fr", "ja", "ko", "sw", "ms", "zh", "te"
        }  # fmt: skip
        assert {i.code for i in multilingual.participating_institutes} == {"JP-AISI", "UK-AISI"}
        agentic = found["demo-network-agentic-joint-testing-2025"]
        assert {i.code for i in agentic.participating_institutes} == {"UK-AISI"}
        assert "agent_task" in agentic.labels_of("technique")


def test_fictional_records_have_results_with_standard_errors(app):
    with app.app_context():
        load_everything()
        found = records()
        for slug in set(DESIGN) - REAL_MODEL_RECORDS:
            record = found[slug]
            assert record.model_developer == "Demo Lab", slug
            assert record.results, slug
            assert any(not r.is_reference for r in record.results), slug
            for result in record.results:
                assert result.stderr is not None and result.stderr > 0, (slug, result)
                assert result.n_samples, (slug, result)
                assert result.source_log_id is None
                if proportion_unit(result.metric, [result.value]) == "%":
                    assert 0 <= result.value <= 1, (slug, result)
                    # Binomial SE with n observations, or a task-clustered SE within 2x of it.
                    binomial = math.sqrt(result.value * (1 - result.value) / result.n_samples)
                    assert binomial / 2 <= result.stderr <= binomial * 2, (slug, result)
        ctf = found["demo-model-b-ctf-tool-error-recovery"]
        main = [r for r in ctf.results if r.benchmark == "Demo CTF suite (40 tasks)"]
        assert [r.model for r in main if not r.is_reference] == ["Model B"]
        assert 2 <= sum(r.is_reference for r in main) <= 3
        subject = next(r for r in main if r.model == "Model B")
        assert (subject.value, subject.stderr, subject.n_samples) == (0.342, 0.056, 120)
        bio = found["demo-bio-troubleshooting-tool-access"]
        experts = [r for r in bio.results if r.model == "Human experts (baseline)"]
        assert len(experts) == 1 and experts[0].is_reference
        gap = found["demo-korean-english-privacy-refusal-gap"]
        by_key = {(r.benchmark, r.model): r.value for r in gap.results}
        gaps = [
            by_key[("EN privacy prompts", m)] - by_key[("KO privacy prompts", m)]
            for m in ("Model A", "Model B", "Model C", "Model D")
        ]
        assert round(sum(gaps) / len(gaps), 3) == 0.080  # "8 points on average"
        kappa = found["demo-multilingual-judge-calibration"]
        assert any(r.metric == "agreement with humans (Cohen's kappa)" for r in kappa.results)
        severity = found["demo-model-f-korean-red-teaming-severity"]
        assert all(1 < r.value <= 10 for r in severity.results)
        metrics = {r.metric for r in db.session.scalars(select(EvaluationResult))}
        assert {"success rate", "refusal rate", "injection compliance rate"} <= metrics


def test_citations_point_to_existing_pages_at_their_current_revision(app):
    with app.app_context():
        load_everything()
        found = records()
        designed = {d.slug: d.methodology for d in DEMO_RECORDS}
        for slug, record in found.items():
            cited = {c.page.slug for c in record.citations}
            assert cited == set(designed[slug]), slug
            for citation in record.citations:
                assert citation.page.kind == "methodology", (slug, citation.page.slug)
                assert citation.page.is_demo
                assert citation.revision_id == citation.page.current_revision_id
                assert citation.revision.page_id == citation.page_id


def test_demo_findings_cite_existing_records():
    links = {
        slug
        for page in read_demo_pages()
        if page.kind == "finding"
        for slug in re.findall(r"\[\[eval:([a-z0-9-]+)", page.body)
    }
    assert 5 <= len(links) <= 7
    assert links <= set(DESIGN)


def test_demo_records_render_for_their_readers(app, client):
    with app.app_context():
        load_everything()
    # A visitor sees the public records only.
    assert client.get("/evaluations/demo-us-uk-openai-o1-pre-deployment").status_code == 200
    assert client.get("/evaluations/demo-korean-english-privacy-refusal-gap").status_code == 404
    client.post("/sign-in", data={"email": "member@kr-aisi.example", "password": DEMO_PASSWORD})
    for slug, (owner, _kind, status, visibility, readers) in DESIGN.items():
        response = client.get(f"/evaluations/{slug}")
        visible = (owner == "KR-AISI" or status == "published") and (
            visibility != "institutes" or "KR-AISI" in readers
        )
        assert response.status_code == (200 if visible else 404), slug
        if visible:
            assert "Demo" in response.text, slug
    # The finding's [[eval:...]] link turns into a live card with the record's numbers.
    page = client.get("/wiki/tool-error-recovery-ctf-lift").text
    assert 'class="evalcard"' in page
    assert "/evaluations/demo-model-b-ctf-tool-error-recovery" in page
    assert "34.2%" in page
    listing = client.get("/evaluations/").text
    assert "demo-model-b-ctf-tool-error-recovery" in listing
    assert "demo-bio-troubleshooting-tool-access" not in listing  # in review at UK-AISI

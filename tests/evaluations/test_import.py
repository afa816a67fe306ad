"""Importing real Inspect logs: upload, preview, confirm, de-duplicate, statuses, the CLI and
the token-authenticated API."""

from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exchange.evaluations.models import EvaluationRecord, EvaluationResult, SourceLog
from exchange.extensions import db


def upload(client, paths, url="/evaluations/import", **extra):
    files = [(BytesIO(Path(p).read_bytes()), Path(p).name) for p in paths]
    return client.post(url, data={"logs": files, **extra}, content_type="multipart/form-data")


def confirm(client, page_text, title="", reference=()):
    import re

    digests = re.findall(r'name="sha256" value="([0-9a-f]{64})"', page_text)
    names = re.findall(r'name="file_name" value="([^"]+)"', page_text)
    return client.post(
        "/evaluations/import/confirm",
        data={
            "sha256": digests,
            "file_name": names,
            "title": title,
            "record": "",
            "reference": [d for d, n in zip(digests, names, strict=True) if n in reference],
        },
    )


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count(EvaluationRecord.id))),
            db.session.scalar(select(func.count(SourceLog.id))),
            db.session.scalar(select(func.count(EvaluationResult.id))),
        )


def test_upload_preview_confirm_and_reimport(
    app, client, auth, people, inspect_logs, inspect_expected
):
    auth.sign_in(people.kr.email)
    preview = upload(client, [inspect_logs["success_eval"], inspect_logs["epochs_eval"]])
    assert preview.status_code == 200
    expected = inspect_expected["success_eval"]
    assert expected["task"] in preview.text and "mockllm/model" in preview.text
    assert counts(app) == (0, 0, 0)  # the preview creates nothing
    done = confirm(client, preview.text, title="Arithmetic check")
    assert done.status_code == 302
    slug = done.headers["Location"].rsplit("/", 1)[-1]
    with app.app_context():
        record = db.session.scalar(select(EvaluationRecord).where(EvaluationRecord.slug == slug))
        assert record.title == "Arithmetic check" and record.status == "draft"
        assert record.visibility == "institutes" and record.allowed_institutes == []
        accuracy = next(
            r for r in record.results if r.metric == "accuracy" and r.source_log.task == "arith"
        )
        metrics = expected["scores"][0]["metrics"]
        assert accuracy.value == pytest.approx(metrics["accuracy"])
        assert accuracy.stderr == pytest.approx(metrics["stderr"])
        assert not any(r.metric.endswith("stderr") for r in record.results)
        epochs = next(s for s in record.source_logs if s.task == "two_scorers")
        assert epochs.epochs == 3
        assert {r.metric.split("/")[0] for r in record.results if r.source_log_id == epochs.id} == {
            "match",
            "includes",
        }
        source = next(s for s in record.source_logs if s.task == "arith")
        assert source.inspect_version == expected["inspect_version"]
        assert source.total_tokens > 0 and len(source.sha256) == 64
    page = client.get(f"/evaluations/{slug}").text
    assert "<svg" in page and "arith" in page
    # Uploading the same run again is recognised; confirming adds nothing.
    again = upload(client, [inspect_logs["success_eval"]])
    assert "already imported" in again.text and "Arithmetic check" in again.text
    before = counts(app)
    assert "Nothing new to import" in again.text
    assert counts(app) == before
    download = client.get(f"/evaluations/{slug}/logs/{source.id}")
    assert download.status_code == 200 and download.data[:2] == b"PK"


@pytest.mark.parametrize(
    ("name", "status"), [("cancelled_json", "cancelled"), ("error_eval", "error")]
)
def test_incomplete_runs_import_as_what_they_are(
    app, client, auth, people, inspect_logs, name, status
):
    auth.sign_in(people.kr.email)
    preview = upload(client, [inspect_logs[name]])
    assert f"run-{status}" in preview.text and "never as a success" in preview.text
    slug = confirm(client, preview.text).headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/evaluations/{slug}").text
    assert f"badge run-{status}" in page
    with app.app_context():
        source = db.session.scalar(select(SourceLog))
        assert source.run_status == status


def test_bad_files_get_a_clear_error_and_import_nothing(app, client, auth, people, inspect_logs):
    auth.sign_in(people.kr.email)
    truncated = Path(inspect_logs["success_eval"]).read_bytes()[:300]
    files = {
        "logs": [
            (BytesIO(truncated), "cut.eval"),
            (BytesIO(b"not json at all"), "x.json"),
            (BytesIO(b'{"hello": "world"}'), "other.json"),
        ],
    }
    page = client.post("/evaluations/import", data=files, content_type="multipart/form-data")
    assert page.status_code == 400
    assert "cut.eval" in page.text and "x.json" in page.text and "other.json" in page.text
    assert counts(app) == (0, 0, 0)
    mixed = upload(client, [inspect_logs["zstd_eval"]])
    assert mixed.status_code == 200 and "mockllm/model" in mixed.text


def test_import_into_an_existing_record_as_reference(app, client, auth, people, inspect_logs):
    auth.sign_in(people.kr.email)
    first = confirm(client, upload(client, [inspect_logs["success_eval"]]).text)
    slug = first.headers["Location"].rsplit("/", 1)[-1]
    preview = upload(client, [inspect_logs["success_json"]], record=slug)
    assert preview.status_code == 200
    done = confirm_into(client, preview.text, slug)
    assert done.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(EvaluationRecord).where(EvaluationRecord.slug == slug))
        assert len(record.source_logs) == 2
        assert any(r.is_reference for r in record.results)
    # Someone of another institute may not add to it.
    auth.sign_out()
    auth.sign_in(people.uk.email)
    assert upload(client, [inspect_logs["noscores_eval"]], record=slug).status_code == 404


def confirm_into(client, page_text, slug):
    import re

    digests = re.findall(r'name="sha256" value="([0-9a-f]{64})"', page_text)
    names = re.findall(r'name="file_name" value="([^"]+)"', page_text)
    return client.post(
        "/evaluations/import/confirm",
        data={
            "sha256": digests,
            "file_name": names,
            "record": slug,
            "reference": digests,
        },
    )


def test_confirm_cannot_import_someone_elses_upload(app, client, auth, people, inspect_logs):
    auth.sign_in(people.kr.email)
    preview = upload(client, [inspect_logs["success_eval"]])
    auth.sign_out()
    auth.sign_in(people.uk.email)
    response = confirm(client, preview.text)
    assert response.status_code == 302 and counts(app) == (0, 0, 0)


def test_cli_imports_folders_with_a_summary(app, people, inspect_logs, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("success_eval", "epochs_eval", "noscores_eval"):
        source = Path(inspect_logs[name])
        (folder / source.name).write_bytes(source.read_bytes())
    (folder / "broken.json").write_text("{")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["exchange", "evaluations", "import", str(folder), "--as", people.kr.email]
    )
    assert "3 imported, 0 duplicates, 1 failed" in result.output
    assert "broken.json" in result.output and result.exit_code == 1
    again = runner.invoke(
        args=["exchange", "evaluations", "import", str(folder), "--as", people.kr.email]
    )
    assert "0 imported, 3 duplicates, 1 failed" in again.output


def api_token(app, user):
    from exchange.accounts.models import User
    from exchange.api.tokens import create_token

    with app.app_context():
        _token, raw = create_token(db.session.get(User, user.id), "pipeline")
        return raw


def test_api_import_and_read_with_a_token(app, client, people, inspect_logs):
    raw = api_token(app, people.kr)
    headers = {"Authorization": f"Bearer {raw}"}
    data = {
        "files": [
            (BytesIO(Path(inspect_logs["success_eval"]).read_bytes()), "a.eval"),
            (BytesIO(b"junk"), "junk.json"),
        ]
    }
    response = client.post(
        "/api/v1/evaluations/import",
        data=data,
        headers=headers,
        content_type="multipart/form-data",
        csrf=False,
    )
    assert response.status_code == 201
    body = response.json
    assert body["imported"][0]["run_status"] == "success"
    assert body["failed"][0]["file"] == "junk.json"
    slug = body["imported"][0]["record"]
    listing = client.get("/api/v1/evaluations", headers=headers).json
    assert [r["slug"] for r in listing["records"]] == [slug]
    detail = client.get(f"/api/v1/evaluations/{slug}", headers=headers).json
    assert detail["source_logs"][0]["task"] == "arith"
    results = client.get(f"/api/v1/evaluations/{slug}/results", headers=headers).json
    assert results["results"][0]["metric"] == "accuracy"
    # Without the token the draft is invisible; with a bad token, 401.
    assert client.get(f"/api/v1/evaluations/{slug}").status_code == 404
    assert (
        client.get("/api/v1/evaluations", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    dup = client.post(
        "/api/v1/evaluations/import",
        headers=headers,
        csrf=False,
        data={"files": [(BytesIO(Path(inspect_logs["success_eval"]).read_bytes()), "a.eval")]},
        content_type="multipart/form-data",
    )
    assert dup.status_code == 200 and dup.json["duplicates"] == ["a.eval"]


def test_tokens_are_hashed_revocable_and_owned(app, client, auth, people):
    auth.sign_in(people.kr.email)
    page = client.post("/account/tokens", data={"name": "nightly", "days": "30"}).text
    import re

    raw = re.search(r"(exch_[A-Za-z0-9_-]{20,})", page).group(1)
    from exchange.api.models import ApiToken

    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert raw not in (token.token_hash, token.prefix) and len(token.token_hash) == 64
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).json["email"] == people.kr.email
    auth.sign_out()
    auth.sign_in(people.uk.email)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    auth.sign_out()
    auth.sign_in(people.kr.email)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/evaluations/import" in spec["paths"]
    assert "Bearer" in client.get("/api/docs").text


def test_same_run_twice_in_one_batch_keeps_the_complete_log(
    app, client, auth, people, inspect_logs
):
    auth.sign_in(people.kr.email)
    preview = upload(client, [inspect_logs["cancelled_json"], inspect_logs["success_eval"]])
    done = confirm(client, preview.text)
    assert done.status_code == 302
    with app.app_context():
        [source] = db.session.scalars(select(SourceLog)).all()
        assert source.run_status == "success"
    assert "1 run imported, 1 duplicate skipped." in client.get(done.headers["Location"]).text

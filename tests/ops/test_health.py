"""/healthz (the process answers) and /readyz (database and search backend usable), as JSON."""

from __future__ import annotations

import pytest
from flask_limiter import ExemptionScope
from sqlalchemy import event

from exchange.extensions import csrf, db, limiter
from exchange.search.indexer import current_index


@pytest.fixture
def with_index(app, tmp_path):
    """An empty search index of this test's own."""
    saved = app.config["SEARCH_INDEX_PATH"]
    app.config["SEARCH_INDEX_PATH"] = str(tmp_path / "index")
    app.extensions.pop("exchange_search_index", None)
    with app.app_context():
        index = current_index(app)
        index.ensure()
    yield index
    index.close()
    app.config["SEARCH_INDEX_PATH"] = saved
    app.extensions.pop("exchange_search_index", None)


@pytest.fixture
def statements(app):
    """The SQL statements the app's engine runs meanwhile."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


def test_healthz_answers_without_the_database_or_a_cookie(client, statements):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.mimetype == "application/json"
    assert statements == []
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_when_the_database_is_gone(make_app, tmp_path):
    app = make_app(url=f"sqlite:///{tmp_path}/missing/folder/db.sqlite3", migrate=False)
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_checks_database_and_index(client, with_index, statements):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["search"] == {
        "status": "ok",
        "backend": "whoosh",
        "ms": body["checks"]["search"]["ms"],
    }
    assert any("SELECT 1" in s for s in statements)
    assert "Set-Cookie" not in response.headers


def test_readyz_is_unavailable_without_an_index(app, client, tmp_path):
    saved = app.config["SEARCH_INDEX_PATH"]
    app.config["SEARCH_INDEX_PATH"] = str(tmp_path / "never-built")
    app.extensions.pop("exchange_search_index", None)
    try:
        response = client.get("/readyz")
    finally:
        app.config["SEARCH_INDEX_PATH"] = saved
        app.extensions.pop("exchange_search_index", None)
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"]["status"] == "ok"
    assert response.json["checks"]["search"]["status"] == "failed"
    assert "search sync" in response.json["checks"]["search"]["error"]
    assert not (tmp_path / "never-built").exists()  # the probe does not create an index


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{tmp}/missing/folder/db.sqlite3",
        "postgresql+psycopg://nobody:secret-password@127.0.0.1:1/nowhere",
    ],
    ids=["sqlite-file-missing", "postgres-refused"],
)
def test_readyz_reports_a_broken_database_without_details(make_app, tmp_path, url):
    app = make_app(url=url.format(tmp=tmp_path), migrate=False)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    check = response.json["checks"]["database"]
    assert check["status"] == "failed"
    assert check["error"] == "OperationalError"  # the class only: no host, user or path
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "secret-password", "nobody", "missing/folder", "127.0.0.1"):
        assert leak not in text


def test_readyz_with_the_postgres_search_backend_reads_its_table(app, client, make_app):
    app.config["SEARCH_BACKEND"] = "postgres"
    try:
        ready = client.get("/readyz")
    finally:
        app.config["SEARCH_BACKEND"] = "whoosh"
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"]["search"]["backend"] == "postgres"

    unmigrated = make_app(migrate=False, name="unmigrated", SEARCH_BACKEND="postgres")
    response = unmigrated.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"]["status"] == "ok"
    assert response.json["checks"]["search"]["status"] == "failed"


def test_probes_are_not_translated_nor_rate_limited_nor_csrf_checked(app, client, with_index):
    korean = {"Accept-Language": "ko"}
    assert client.get("/healthz", headers=korean).json == {"status": "ok"}
    assert client.get("/readyz", headers=korean).json["status"] == "ok"
    for endpoint in ("ops.show_health", "ops.show_readiness"):
        scope = limiter.limit_manager.exemption_scope(app, endpoint, "ops")
        assert scope & ExemptionScope.APPLICATION and scope & ExemptionScope.DEFAULT
    assert app.blueprints["ops"] in csrf._exempt_blueprints
    assert [client.get("/healthz").status_code for _ in range(50)] == [200] * 50
    assert client.head("/readyz").status_code == 200
    assert client.post("/healthz").status_code == 405

"""Error pages in both languages, never a stack trace."""

import pytest

from exchange import create_app

CASES = {
    400: ("Bad request", None),
    403: ("Forbidden", None),
    404: ("Page not found", None),
    405: ("Method not allowed", None),
    413: ("Upload too large", None),
    429: ("Too many requests", None),
    500: ("Something went wrong", None),
}


@pytest.fixture(scope="module")
def error_app(tmp_path_factory):
    """An app with routes that fail on purpose (routes cannot be added to the shared app)."""
    from werkzeug.exceptions import abort

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "MAX_CONTENT_LENGTH": 100,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    app.config["TESTING"] = False  # let the 500 handler run as in production

    @app.route("/boom/<int:code>", methods=["GET", "POST"])
    def boom(code):
        if code == 500:
            raise RuntimeError("secret internals must not leak")
        abort(code)

    return app


@pytest.mark.parametrize("code", sorted(CASES))
@pytest.mark.parametrize("language", ["en", "ko"])
def test_error_pages(error_app, code, language):
    from exchange.i18n_catalogs import read_catalog

    client = error_app.test_client()
    response = client.get(f"/boom/{code}", headers={"Accept-Language": language})
    assert response.status_code == code
    page = response.get_data(as_text=True)
    title = CASES[code][0]
    expected = title if language == "en" else read_catalog("ko").get(title).string
    assert expected and expected in page
    assert f'<html lang="{language}">' in page
    assert "Traceback" not in page and "secret internals" not in page


def test_an_unhandled_error_is_logged_with_the_request_id(error_app, caplog):
    client = error_app.test_client()
    with caplog.at_level("ERROR", logger="exchange.core.errors"):
        response = client.get("/boom/500", headers={"X-Request-ID": "report-4711"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "report-4711"
    (record,) = [r for r in caplog.records if r.name == "exchange.core.errors"]
    assert "GET /boom/500 (request id report-4711)" in record.getMessage()
    assert record.exc_info and "secret internals" in str(record.exc_info[1])


def test_real_405_and_413(error_app):
    client = error_app.test_client()
    assert client.post("/").status_code == 405
    response = client.post("/boom/200", data={"x": "y" * 500})
    assert response.status_code == 413
    assert "Upload too large" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(error_app):
    response = error_app.test_client().get("/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["status"] == 404

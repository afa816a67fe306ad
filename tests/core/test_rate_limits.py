"""Reading is never rate limited, so Flask-Limiter skips its work on GET and HEAD
(exchange.extensions); the limits on POSTs stay (see tests/accounts/test_sign_in.py)."""

from flask_limiter.util import get_qualified_name

from exchange.extensions import READ_METHODS, limiter


def test_no_rate_limit_applies_to_a_read(app):
    with app.app_context():
        manager = limiter.limit_manager
        assert manager.default_limits == [] and manager.application_limits == []
        limited = []
        for rule in app.url_map.iter_rules():
            name = get_qualified_name(app.view_functions[rule.endpoint])
            for limit in manager.decorated_limits(name):
                limited.append(rule.endpoint)
                methods = {m.upper() for m in limit.methods or rule.methods}
                if rule.provide_automatic_options:
                    methods.discard("OPTIONS")  # answered by Flask, the view does not run
                assert not methods & READ_METHODS, f"{rule.endpoint} limits reads: {methods}"
    assert "accounts.sign_in" in limited and "wiki.preview" in limited


def test_reads_are_not_counted_and_posts_still_are(app, client, make_user):
    app.config["RATELIMIT_SIGNIN_PER_ADDRESS"] = "2 per 15 minutes"
    try:
        user = make_user()
        for _ in range(5):
            assert client.get("/sign-in").status_code == 200
        wrong = {"email": user.email, "password": "wrong password!!"}
        codes = [client.post("/sign-in", data=wrong).status_code for _ in range(3)]
    finally:
        app.config["RATELIMIT_SIGNIN_PER_ADDRESS"] = "30 per 15 minutes"
    assert codes == [200, 200, 429]

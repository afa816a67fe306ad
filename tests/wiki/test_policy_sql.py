"""The SQL visibility filter selects exactly the pages can_view allows, for every viewer."""

from datetime import timedelta

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from exchange import access
from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.wiki.models import Page


def test_visibility_filter_agrees_with_can_view(app, people, make_page):
    later, earlier = utcnow() + timedelta(days=5), utcnow() - timedelta(days=5)
    specs = {
        "pub": {"visibility": "public"},
        "net": {"visibility": "network"},
        "kr-uk": {"visibility": "institutes", "institutes": [people.uk_institute]},
        "kr-only": {"visibility": "institutes"},
        "pub-emb": {"visibility": "public", "embargo_until": later},
        "net-emb-over": {"visibility": "network", "embargo_until": earlier},
        "kr-uk-emb": {
            "visibility": "institutes",
            "institutes": [people.uk_institute],
            "embargo_until": later,
        },
    }
    for slug, spec in specs.items():
        if spec["visibility"] == "institutes" and not spec.get("institutes"):
            spec["institutes"] = [people.kr_institute]  # own institute only
        make_page(people.kr, slug, **spec)
    with app.app_context():
        pages = db.session.scalars(select(Page)).all()
        viewers = [AnonymousUserMixin()] + [
            db.session.get(User, u.id) for u in (people.kr, people.uk, people.jp)
        ]
        for viewer in viewers:
            by_sql = set(
                db.session.scalars(select(Page.slug).where(access.visibility_filter(viewer, Page)))
            )
            by_policy = {p.slug for p in pages if access.can_view(viewer, p)}
            assert by_sql == by_policy, getattr(viewer, "email", "anonymous")
        assert len({frozenset(access.object_tokens(p)) for p in pages}) >= 4

"""For records too (with drafts seen by the team only), SQL filter and can_view agree."""

from datetime import timedelta

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from exchange import access
from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.evaluations import services
from exchange.evaluations.models import EvaluationRecord
from exchange.extensions import db


def test_record_filter_agrees_with_can_view(app, people):
    later = utcnow() + timedelta(days=3)
    specs = [
        ("draft-net", "network", "draft", [], [], None),
        ("draft-team", "network", "draft", [], [people.jp_institute], None),
        ("review-listed", "institutes", "in_review", [people.uk_institute], [], None),
        ("pub-public", "public", "published", [], [], None),
        ("pub-listed", "institutes", "published", [people.uk_institute], [], None),
        ("pub-embargo", "network", "published", [], [people.jp_institute], later),
        ("archived-net", "network", "archived", [], [], None),
    ]
    with app.app_context():
        author = db.session.get(User, people.kr.id)
        for slug, visibility, status, readers, team, embargo in specs:
            record = services.create_record(
                author,
                services.RecordFields(
                    title=slug,
                    model_name="M",
                    visibility=visibility,
                    reader_ids=[i.id for i in readers],
                    participant_ids=[i.id for i in team],
                    embargo_until=embargo,
                ),
                slug,
            )
            record.status = status
        db.session.commit()
        records = db.session.scalars(select(EvaluationRecord)).all()
        viewers = [AnonymousUserMixin()] + [
            db.session.get(User, u.id) for u in (people.kr, people.uk, people.jp)
        ]
        for viewer in viewers:
            by_sql = set(
                db.session.scalars(
                    select(EvaluationRecord.slug).where(
                        access.visibility_filter(viewer, EvaluationRecord)
                    )
                )
            )
            by_policy = {r.slug for r in records if access.can_view(viewer, r)}
            assert by_sql == by_policy, getattr(viewer, "email", "anonymous")
        jp = db.session.get(User, people.jp.id)
        seen = {r.slug for r in records if access.can_view(jp, r)}
        assert seen == {"draft-team", "pub-public", "archived-net"}

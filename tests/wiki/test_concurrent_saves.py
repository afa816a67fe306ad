"""Saves that race: many editors save the same page from the same revision at the same instant.

Each thread has its own app context, session and connection, and waits on a barrier so that
all saves hit the database together (SQLite file and PostgreSQL). Exactly one save wins; every
other one comes back as a merge or a conflict for its editor to resolve: never an error, and
never two revisions with the same number.
"""

from __future__ import annotations

import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from exchange import create_app
from exchange.accounts.models import Institute, User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.wiki import services
from exchange.wiki.models import Page, Revision
from tests.support import scratch_database

pytestmark = pytest.mark.own_database
THREADS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def race_app(request, tmp_path):
    with scratch_database(request.param, tmp_path, "exchange_wiki_race") as url:
        app = create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 2},
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                "SEARCH_INDEX_PATH": str(tmp_path / "index"),
                "MAIL_BACKEND": "file",
            }
        )
        with app.app_context():
            upgrade()
            db.session.remove()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def seed(app) -> tuple[list[int], int, int]:
    with app.app_context():
        institute = Institute(code="KR-AISI", name_en="KR", name_ko="KR", country="KR")
        db.session.add(institute)
        db.session.flush()
        users = [
            User(
                email=f"editor{n}@kr.example",
                display_name=f"Editor {n}",
                institute_id=institute.id,
                email_confirmed_at=utcnow(),
            )
            for n in range(THREADS)
        ]
        db.session.add_all(users)
        db.session.commit()
        page = services.create_page(
            users[0],
            "raced",
            services.PageFields(
                title="Raced",
                kind="methodology",
                language="en",
                visibility="network",
                institute_ids=[],
                embargo_until=None,
                tags=[],
            ),
            "line one\n\nline two\n",
        )
        return [u.id for u in users], page.id, page.current_revision_id


@pytest.mark.parametrize("operation", ["save", "revert"])
def test_simultaneous_saves_from_one_revision(race_app, operation):
    user_ids, page_id, base_id = seed(race_app)
    if operation == "revert":  # a second revision to revert to the first
        with race_app.app_context():
            page = db.session.get(Page, page_id)
            services.save_page(
                db.session.get(User, user_ids[0]),
                page,
                base_revision_id=base_id,
                title="Raced",
                source="line one\n\nline two changed\n",
            )
            db.session.remove()
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def editor(n: int) -> None:
        try:
            with race_app.app_context():
                user = db.session.get(User, user_ids[n])
                page = db.session.get(Page, page_id)
                assert page.current_revision is not None
                barrier.wait(timeout=30)
                if operation == "save":
                    result = services.save_page(
                        user,
                        page,
                        base_revision_id=base_id,
                        title="Raced",
                        source=f"line one by editor {n}\n\nline two\n",
                    )
                    outcomes.append(result.status)
                else:
                    try:
                        services.revert(user, page, db.session.get(Revision, base_id))
                        outcomes.append("saved")
                    except services.ServiceError:
                        outcomes.append("refused")
                db.session.remove()
        except BaseException as error:  # reported below with the others
            errors.append(error)

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert outcomes.count("saved") == 1, outcomes
    assert len(outcomes) == THREADS
    assert set(outcomes) <= {"saved", "merged", "conflict", "refused"}
    with race_app.app_context():
        numbers = db.session.scalars(
            select(Revision.number).where(Revision.page_id == page_id).order_by(Revision.number)
        ).all()
        assert numbers == list(range(1, len(numbers) + 1))
        assert len(numbers) == (2 if operation == "save" else 3)
        assert db.session.scalar(select(func.count()).select_from(Page)) == 1
        db.session.remove()

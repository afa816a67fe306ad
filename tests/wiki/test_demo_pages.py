"""The demo wiki: loaded once through the services, flagged, linked, partly restricted."""

from sqlalchemy import func, select

from exchange.demo import DEMO_PASSWORD, load_demo_data
from exchange.extensions import db
from exchange.wiki.demo_loader import load_demo_pages
from exchange.wiki.models import Page, SignOff


def test_demo_pages_load_once_and_are_flagged(app):
    with app.app_context():
        load_demo_data()
        created = load_demo_pages()
        assert created >= 22
        assert load_demo_pages() == 0
        assert db.session.scalar(select(func.count(Page.id)).where(Page.is_demo.is_(False))) == 0
        kinds = dict(db.session.execute(select(Page.kind, func.count()).group_by(Page.kind)).all())
        assert kinds["methodology"] >= 10 and kinds["finding"] >= 10
        assert db.session.scalar(select(func.count()).where(Page.language == "ko")) >= 4
        assert db.session.scalar(select(func.count()).where(Page.visibility == "institutes")) >= 4
        translated = db.session.scalars(select(Page).where(Page.translation_of_id.is_not(None)))
        assert all(p.translation_of.language != p.language for p in translated)
        endorsed = db.session.scalars(select(Page).where(Page.review_status == "endorsed")).all()
        for page in endorsed:
            people = set(
                db.session.scalars(select(SignOff.user_id).where(SignOff.page_id == page.id))
            )
            assert len(people) == 2, page.slug  # reviewed and endorsed by two named people


def test_demo_wiki_as_a_jp_member_and_a_visitor(app, client):
    with app.app_context():
        load_demo_data()
        load_demo_pages()
    public = client.get("/wiki/").text
    assert "Reporting uncertainty" in public or "reporting-uncertainty" in public
    assert "cryptography-largest-generation-jump" not in public
    client.post(
        "/sign-in", data={"email": "coordinator@jp-aisi.example", "password": DEMO_PASSWORD}
    )
    listing = client.get("/wiki/?kind=finding").text
    assert "japanese-indirect-refusals-misscored" in listing
    assert "cryptography-largest-generation-jump" not in listing  # KR-UK only
    assert 'class="badge demo"' in listing
    assert client.get("/wiki/cryptography-largest-generation-jump").status_code == 404
    client.post("/sign-out")
    client.post("/sign-in", data={"email": "member@kr-aisi.example", "password": DEMO_PASSWORD})
    assert client.get("/wiki/cryptography-largest-generation-jump").status_code == 200
    korean = client.get("/wiki/?language=ko").text
    assert "탈옥" in korean

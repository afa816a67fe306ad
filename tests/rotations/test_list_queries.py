"""Rotation lists issue a bounded number of SQL queries, whatever their length."""

from datetime import timedelta

from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import machine, services
from exchange.rotations.models import Program
from tests.support import count_queries


def test_queues_and_pipeline_are_bounded(app, client, auth, people, make_user):
    host_coordinator = make_user(institute=people.uk_institute, roles=["coordinator"])
    home_coordinator = make_user(institute=people.kr_institute, roles=["coordinator"])
    reviewer = make_user(institute=people.uk_institute, roles=["reviewer"])
    now = utcnow()
    with app.app_context():
        program = services.save_program(
            db.session.get(User, host_coordinator.id),
            None,
            services.ProgramFields(
                title="Bounded",
                status="open",
                seats=50,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
                reviewer_ids=[reviewer.id],
                criteria=[("Depth", 2, ""), ("Fit", 1, "")],
            ),
        )
        program_id, slug = program.id, program.slug

    def add_applications(count):
        with app.app_context():
            for number in range(count):
                applicant = db.session.get(User, make_user(institute=people.kr_institute).id)
                program = db.session.get(Program, program_id)
                application = services.save_draft(
                    applicant, program, services.ApplicationFields(statement="Why me")
                )
                machine.apply(applicant, application, "submit")
                if number % 2:  # half wait for their release, half are under review
                    continue
                machine.apply(db.session.get(User, home_coordinator.id), application, "endorse")
                machine.apply(
                    db.session.get(User, host_coordinator.id), application, "start_review"
                )

    urls = {
        home_coordinator: ["/rotations/endorsements", "/rotations/mine"],
        host_coordinator: [f"/rotations/{slug}/pipeline", "/rotations/"],
        reviewer: ["/rotations/reviews", f"/rotations/{slug}/pipeline"],
    }
    add_applications(2)
    few = {}
    for user, pages in urls.items():
        auth.sign_in(user.email)
        few.update({(user.id, u): count_queries(app, client, u) for u in pages})
        auth.sign_out()
    add_applications(12)
    for user, pages in urls.items():
        auth.sign_in(user.email)
        for url in pages:
            assert count_queries(app, client, url) == few[(user.id, url)], url
        auth.sign_out()

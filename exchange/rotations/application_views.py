"""Application pages: apply, read (timeline, actions, reviews), act, review, CV, exit report,
and the applicant's, home coordinator's and reviewer's queues."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import exists, false, func, select
from sqlalchemy.orm import joinedload, selectinload

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, Role
from exchange.core.fields import choices
from exchange.core.forms import show_service_error
from exchange.core.pagination import paginate
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import bp, machine, policy, services
from exchange.rotations.application_forms import (
    INELIGIBLE,
    ApplicationForm,
    ConflictForm,
    ExitReportForm,
    TransitionForm,
    review_form,
)
from exchange.rotations.models import (
    Application,
    ApplicationEvent,
    ConflictDeclaration,
    Program,
    Review,
    State,
    program_reviewers,
)
from exchange.rotations.program_views import load_program
from exchange.rotations.wording import STATE_NAMES, TRANSITION_NAMES, applicant_status

REVIEWABLE = (State.UNDER_REVIEW.value, State.WAITLISTED.value)
PER_PAGE = 25


def _render(template: str, **context) -> str:
    """Render an application page with the helpers every one of them uses."""
    return render_template(
        f"rotations/applications/{template}.html",
        is_coordinator=access.has_role(current_user, Role.COORDINATOR),
        state_names=STATE_NAMES,
        **context,
    )


def _load(application_id: int) -> Application:
    """Load an application the user may see (offer expiry enforced first), else 404."""
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    # Any read of a program's applications enforces its overdue offers first, so that a
    # waitlisted applicant sees the seat an expired offer freed.
    machine.sweep(program_id=application.program_id)
    db.session.refresh(application)
    if not policy.can_view_application(current_user, application):
        abort(404)
    return application


def _waitlist_position(application: Application) -> int | None:
    # Ranks are renumbered on every change; counting who is ahead keeps this true regardless.
    if application.state != State.WAITLISTED.value or application.waitlist_rank is None:
        return None
    ahead = db.session.scalar(
        select(func.count(Application.id)).where(
            Application.program_id == application.program_id,
            Application.state == State.WAITLISTED.value,
            Application.waitlist_rank < application.waitlist_rank,
        )
    )
    return ahead + 1


def _may_file_report(application: Application) -> bool:
    return (
        application.applicant_id == current_user.id
        and application.placement is not None
        and application.state in (State.PLACED.value, State.COMPLETED.value)
    )


def _to_application(application: Application):
    return redirect(url_for("rotations.view_application", application_id=application.id))


@bp.route("/<slug>/apply", methods=["GET", "POST"])
@login_required
def apply(slug: str):
    """Write one's application to a program, save it as a draft, come back, submit it."""
    program = load_program(slug)
    application = services.active_application(current_user, program)
    if application is not None and application.state != State.DRAFT:
        flash(_("You have already applied to this program."), "info")
        return _to_application(application)
    eligible, why = policy.is_eligible(current_user, program)
    if not eligible:
        status = 403 if request.method == "POST" else 200
        return _render(
            "edit_application", program=program, application=None, form=None, why=INELIGIBLE[why]
        ), status
    form = ApplicationForm(obj=application if request.method == "GET" else None)
    if form.validate_on_submit():
        upload = form.cv.data
        try:
            application = services.save_draft(current_user, program, form.fields(), application)
            if upload and upload.filename:
                limit = current_app.config["ROTATION_CV_MAX_BYTES"]
                data = upload.stream.read(limit + 1)  # one byte over is enough to refuse
                services.attach_cv(current_user, application, upload.filename, data)
            if form.send.data:
                machine.apply(current_user, application, "submit")
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            if form.send.data:
                flash(_("Your application is submitted. Your home institute is told."), "success")
                return _to_application(application)
            flash(_("Your draft is saved. Come back to it at any time."), "success")
            return redirect(url_for("rotations.apply", slug=program.slug))
    return _render(
        "edit_application", program=program, application=application, form=form, why=None
    ), (400 if request.method == "POST" else 200)


@bp.get("/applications/<int:application_id>")
@login_required
def view_application(application_id: int):
    """An application: status, what the applicant wrote, its timeline, actions and reviews."""
    application = _load(application_id)
    user = current_user
    is_applicant = application.applicant_id == user.id
    events = db.session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application.id)
        .options(joinedload(ApplicationEvent.actor))
        .order_by(ApplicationEvent.created_at, ApplicationEvent.id)
    ).all()
    # Scores: host coordinators and reviewers who are not recused; never the applicant.
    show_scores = (
        not is_applicant
        and policy.can_see_scores(user, application)
        and not policy.is_recused(user, application)
    )
    reviews = []
    if show_scores:
        reviews = db.session.scalars(
            select(Review)
            .where(Review.application_id == application.id)
            .options(selectinload(Review.scores), joinedload(Review.reviewer))
            .order_by(Review.submitted_at)
        ).all()
    placement = application.placement
    report = placement.exit_report_page if placement else None
    return _render(
        "view_application",
        application=application,
        program=application.program,
        status=applicant_status(application) if is_applicant else STATE_NAMES[application.state],
        is_applicant=is_applicant,
        waitlist_position=_waitlist_position(application),
        events=events,
        transition_names=TRANSITION_NAMES,
        actions=[
            (name, machine.TRANSITIONS[name].needs_reason)
            for name in machine.available(user, application)
        ],
        show_scores=show_scores,
        reviews=[(r, {s.criterion_id: s.value for s in r.scores}) for r in reviews],
        weighted=services.weighted_score(application) if show_scores else None,
        can_review=policy.can_review(user, application),
        can_score=policy.can_review(user, application) and application.state in REVIEWABLE,
        has_cv=bool(application.cv_sha256 and application.purged_at is None),
        placement=placement,
        report=report if report is not None and access.can_view(user, report) else None,
        can_file_report=_may_file_report(application) and placement.exit_report_page_id is None,
    )


@bp.post("/applications/<int:application_id>/transition")
@login_required
def transition_application(application_id: int):
    """Move an application one step (submit, endorse, offer, accept, place, ...)."""
    application = _load(application_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    name = form.transition.data
    transition = machine.TRANSITIONS.get(name)
    if (
        transition is None
        or transition.actor == machine.SYSTEM
        or not machine.actor_role_ok(current_user, application, transition.actor)
    ):
        abort(403)
    try:
        machine.apply(current_user, application, name, form.reason.data or "")
    except machine.TransitionError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Done: %(action)s.", action=TRANSITION_NAMES[name]), "success")
    return _to_application(application)


def _render_review(application: Application, form=None, conflict_form=None, status: int = 200):
    return _render(
        "review_application",
        application=application,
        program=application.program,
        form=form if application.state in REVIEWABLE else None,
        conflict_form=conflict_form or ConflictForm(formdata=None),
    ), status


@bp.route("/applications/<int:application_id>/review", methods=["GET", "POST"])
@login_required
def review_application(application_id: int):
    """Score an application on each criterion of the program, with a comment."""
    application = _load(application_id)
    if not policy.can_review(current_user, application):
        abort(403)
    criteria = application.program.criteria
    mine = db.session.scalar(
        select(Review)
        .where(Review.application_id == application.id, Review.reviewer_id == current_user.id)
        .options(selectinload(Review.scores))
    )
    form = review_form(
        criteria,
        data={s.criterion_id: s.value for s in mine.scores} if mine else {},
        comment=mine.comment if mine else "",
    )
    if form.validate_on_submit():
        scores = {c.id: int(form[f"score_{c.id}"].data) for c in criteria}
        try:
            services.save_review(current_user, application, scores, form.comment_text.data or "")
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("Your scores are saved."), "success")
            return _to_application(application)
    return _render_review(application, form, status=400 if request.method == "POST" else 200)


@bp.post("/applications/<int:application_id>/conflict")
@login_required
def declare_conflict(application_id: int):
    """A reviewer declares a tie to the applicant and is recused from the application."""
    application = _load(application_id)
    if not policy.is_assigned_reviewer(current_user, application.program):
        abort(403)
    form = ConflictForm()
    if form.validate_on_submit():
        try:
            services.declare_conflict(current_user, application, form.reason.data or "")
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("The conflict is recorded: you are recused from this application."), "success")
            return redirect(url_for("rotations.review_queue"))
    scoring = review_form(application.program.criteria, formdata=None)
    return _render_review(application, scoring, form, status=400)


@bp.get("/applications/<int:application_id>/cv")
@login_required
def download_cv(application_id: int):
    """Download the applicant's CV, for those who may see the application."""
    application = _load(application_id)
    if not application.cv_sha256 or application.purged_at is not None:
        abort(404)
    path = services.cv_path(application.cv_sha256)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=application.cv_content_type or "application/pdf",
        as_attachment=True,
        download_name=application.cv_filename or "cv.pdf",
        conditional=True,
        etag=application.cv_sha256,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/applications/<int:application_id>/exit-report", methods=["GET", "POST"])
@login_required
def exit_report(application_id: int):
    """The placed person files their exit report as a wiki page."""
    application = _load(application_id)
    placement = application.placement
    if not _may_file_report(application):
        abort(403)
    if placement.exit_report_page is not None:
        flash(_("Your exit report is already filed; edit it in the wiki."), "info")
        return redirect(url_for("wiki.view_page", slug=placement.exit_report_page.slug))
    form = ExitReportForm()
    institutes = db.session.scalars(
        select(Institute).where(Institute.is_active.is_(True)).order_by(Institute.code)
    )
    form.institutes.choices = choices((i.id, f"{i.code} · {i.name_en}") for i in institutes)
    if request.method == "GET":
        form.title.data = f"{application.program.title}: {current_user.display_name}"
    if form.validate_on_submit():
        try:
            page = services.file_exit_report(
                current_user,
                application,
                form.title.data or "",
                form.source.data or "",
                form.visibility.data,
                form.institutes.data or [],
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("Thank you: your exit report is published in the wiki."), "success")
            return redirect(url_for("wiki.view_page", slug=page.slug))
    return _render(
        "file_exit_report", application=application, program=application.program, form=form
    ), (400 if request.method == "POST" else 200)


def _listed(*conditions):
    """Applications the user may see matching ``conditions``, with what lists show loaded."""
    return (
        select(Application)
        .where(policy.visible_applications_clause(current_user), *conditions)
        .options(
            selectinload(Application.program).selectinload(Program.host_institute),
            selectinload(Application.applicant),
            selectinload(Application.home_institute),
        )
    )


@bp.get("/mine")
@login_required
def my_applications():
    """The user's own applications and where each one stands."""
    query = _listed(Application.applicant_id == current_user.id).order_by(
        Application.updated_at.desc(), Application.id.desc()
    )
    page = paginate(query, per_page=PER_PAGE)
    now = utcnow()
    for application in page.items:
        if application.offer_expires_at and application.offer_expires_at < now:
            machine.expire_if_due(application, now)
    return _render("list_my_applications", page=page, status_of=applicant_status)


@bp.get("/endorsements")
@login_required
def endorsement_queue():
    """Home coordinators: submitted applications of their institute's staff to release."""
    mine = access.has_role(current_user, Role.COORDINATOR)
    query = _listed(
        Application.home_institute_id == current_user.institute_id if mine else false(),
        Application.state == State.SUBMITTED.value,
    ).order_by(Application.submitted_at, Application.id)
    return _render("list_endorsements", page=paginate(query, per_page=PER_PAGE))


@bp.get("/reviews")
@login_required
def review_queue():
    """Reviewers: applications they may score, those not yet scored first."""
    user_id = current_user.id
    scored = exists().where(Review.application_id == Application.id, Review.reviewer_id == user_id)
    query = _listed(
        Application.state.in_(REVIEWABLE),
        Application.home_institute_id != current_user.institute_id,
        exists().where(
            program_reviewers.c.program_id == Application.program_id,
            program_reviewers.c.user_id == user_id,
        ),
        ~exists().where(
            ConflictDeclaration.application_id == Application.id,
            ConflictDeclaration.reviewer_id == user_id,
        ),
    ).order_by(scored, Application.submitted_at, Application.id)
    page = paginate(query.add_columns(scored.label("scored")), per_page=PER_PAGE, rows=True)
    return _render("list_reviews", page=page)

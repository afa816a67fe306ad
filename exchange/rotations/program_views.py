"""Rotation programs: browse with eligibility, read, create and edit (host coordinators), and
the host's pipeline of applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, Role, User
from exchange.core.fields import choices
from exchange.core.forms import show_service_error
from exchange.core.pagination import paginate
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import bp, machine, policy, services
from exchange.rotations.models import ACTIVE_STATES, Application, Program, Review, State
from exchange.rotations.program_forms import (
    CLEARANCE_LABELS,
    INELIGIBLE_REASONS,
    SORT_LABELS,
    STATUS_BADGES,
    WINDOW_LABELS,
    ProgramForm,
)
from exchange.rotations.wording import STATE_NAMES

FILTERS = ("institute", "q", "location", "open", "eligible", "sort")
LABELS = {
    "clearance": CLEARANCE_LABELS,
    "reasons": INELIGIBLE_REASONS,
    "sort": SORT_LABELS,
    "status": STATUS_BADGES,
    "window": WINDOW_LABELS,
    "states": STATE_NAMES,
}


def visible_programs_clause(user):
    """SQL twin of policy.can_view_program: published programs, and the host's own drafts."""
    if not access.is_signed_in(user):
        return false()
    own_drafts = (
        Program.host_institute_id == user.institute_id
        if access.has_role(user, Role.COORDINATOR)
        else false()
    )
    return or_(Program.status != "draft", own_drafts)


def open_now_clause(now: datetime):
    """Programs taking applications right now."""
    return and_(
        Program.status == "open",
        or_(Program.opens_at.is_(None), Program.opens_at <= now),
        or_(Program.closes_at.is_(None), Program.closes_at >= now),
    )


def window_state(program: Program, now: datetime) -> str:
    """draft, not_yet, open or closed: whether the program takes applications now."""
    if program.status == "draft":
        return "draft"
    if program.status == "closed" or (program.closes_at and now > program.closes_at):
        return "closed"
    if program.opens_at and now < program.opens_at:
        return "not_yet"
    return "open"


@dataclass
class Listing:
    """A program as one viewer sees it in lists and on its page."""

    program: Program
    eligible: bool
    reason: str
    window: str
    application: tuple[int, str] | None = None  # the viewer's active application: (id, state)

    @property
    def can_apply(self) -> bool:
        return self.eligible and self.window == "open" and self.application is None


def listing(program: Program, now: datetime, application=None) -> Listing:
    eligible, reason = policy.is_eligible(current_user, program)
    return Listing(program, eligible, reason, window_state(program, now), application)


def load_program(slug: str, *options) -> Program:
    """The program the current user may see, else 404 (hidden and missing look the same)."""
    program = db.session.scalar(select(Program).where(Program.slug == slug).options(*options))
    if program is None or not policy.can_view_program(current_user, program):
        abort(404)
    return program


def load_managed_program(slug: str) -> Program:
    program = load_program(
        slug,
        selectinload(Program.eligible_institutes),
        selectinload(Program.reviewers),
        selectinload(Program.criteria),
    )
    if not policy.can_manage_program(current_user, program):
        abort(403)
    return program


def _list_args() -> dict:
    args = {key: request.args.get(key, "").strip()[:100] for key in FILTERS}
    if args["sort"] not in SORT_LABELS:
        args["sort"] = ""
    return args


@bp.get("/")
@login_required
def list_programs():
    """Browse the programs open to the network (and one's own drafts), with eligibility."""
    args = _list_args()
    now = utcnow()
    visible = visible_programs_clause(current_user)
    query = select(Program).where(visible)
    if args["institute"]:
        query = query.where(Program.host_institute.has(Institute.code == args["institute"]))
    if args["q"]:
        words = args["q"].lower()
        query = query.where(
            or_(
                func.lower(Program.focus_areas).contains(words, autoescape=True),
                func.lower(Program.skills_sought).contains(words, autoescape=True),
                func.lower(Program.title).contains(words, autoescape=True),
            )
        )
    if args["location"]:
        query = query.where(
            func.lower(Program.location).contains(args["location"].lower(), autoescape=True)
        )
    if args["open"]:
        query = query.where(open_now_clause(now))
    if args["eligible"]:
        query = query.where(policy.eligible_clause(current_user))
    order = {
        "start": (Program.start_date.asc().nulls_last(), Program.id),
        "newest": (Program.created_at.desc(), Program.id.desc()),
    }.get(args["sort"], (Program.closes_at.asc().nulls_last(), Program.id))
    page = paginate(
        query.options(
            joinedload(Program.host_institute), selectinload(Program.eligible_institutes)
        ).order_by(*order),
        per_page=20,
    )
    mine = {}
    if page.items:
        mine = {
            program_id: (application_id, state)
            for program_id, application_id, state in db.session.execute(
                select(Application.program_id, Application.id, Application.state).where(
                    Application.applicant_id == current_user.id,
                    Application.program_id.in_([p.id for p in page.items]),
                    Application.state.in_([s.value for s in ACTIVE_STATES]),
                )
            )
        }
    hosts = db.session.execute(
        select(Institute.code, Institute.name_en, Institute.name_ko)
        .where(Institute.id.in_(select(Program.host_institute_id).where(visible)))
        .order_by(Institute.code)
    ).all()
    language = get_locale().language
    return render_template(
        "rotations/programs/list_programs.html",
        page=page,
        listings=[listing(p, now, mine.get(p.id)) for p in page.items],
        args=args,
        hosts=[
            (code, name_ko if language == "ko" and name_ko else en) for code, en, name_ko in hosts
        ],
        labels=LABELS,
    )


@bp.get("/<slug>")
@login_required
def view_program(slug: str):
    """A program: what the placement is, dates, seats, deadline, criteria and whether one may
    apply."""
    program = load_program(
        slug,
        joinedload(Program.host_institute),
        selectinload(Program.eligible_institutes),
        selectinload(Program.criteria),
        selectinload(Program.reviewers),
    )
    active = services.active_application(current_user, program)
    can_manage = policy.can_manage_program(current_user, program)
    return render_template(
        "rotations/programs/view_program.html",
        program=program,
        item=listing(program, utcnow(), (active.id, active.state) if active else None),
        apply_url=f"/rotations/{program.slug}/apply",
        can_manage=can_manage,
        can_see_pipeline=can_manage or policy.is_assigned_reviewer(current_user, program),
        labels=LABELS,
    )


def _institute_choices(host_id: int, current: list[Institute]):
    language = get_locale().language
    rows = db.session.scalars(
        select(Institute)
        .where(
            or_(Institute.is_active.is_(True), Institute.id.in_([i.id for i in current])),
            Institute.id != host_id,
        )
        .order_by(Institute.code)
    )
    return choices((i.id, f"{i.code} · {i.name_for(language)}") for i in rows)


def _reviewer_choices(host_id: int, current: list[User]):
    rows = db.session.scalars(
        select(User)
        .where(
            User.institute_id == host_id,
            or_(
                and_(User.is_active_account.is_(True), User.email_confirmed_at.is_not(None)),
                User.id.in_([u.id for u in current]),
            ),
        )
        .order_by(User.display_name, User.id)
    )
    return choices((u.id, f"{u.display_name} ({u.email})") for u in rows)


def criteria_lines(program: Program) -> str:
    """The criteria as the textarea shows them: name | weight | description."""
    return "\n".join(
        f"{c.name} | {c.weight} | {c.description}".rstrip(" |") for c in program.criteria
    )


def _program_form(program: Program | None, host_id: int) -> ProgramForm:
    if request.method == "GET" and program is not None:
        form = ProgramForm(obj=program)
        form.opens_at.data = program.opens_at.date() if program.opens_at else None
        form.closes_at.data = program.closes_at.date() if program.closes_at else None
        form.eligible.data = [i.id for i in program.eligible_institutes]
        form.reviewers.data = [u.id for u in program.reviewers]
        form.criteria.data = criteria_lines(program)
    else:
        form = ProgramForm()
    form.eligible.choices = _institute_choices(
        host_id, program.eligible_institutes if program else []
    )
    form.reviewers.choices = _reviewer_choices(host_id, program.reviewers if program else [])
    return form


def _fields(form: ProgramForm) -> services.ProgramFields:
    opens, closes = form.opens_at.data, form.closes_at.data
    return services.ProgramFields(
        title=form.title.data or "",
        description=form.description.data or "",
        focus_areas=form.focus_areas.data or "",
        skills_sought=form.skills_sought.data or "",
        location=form.location.data or "",
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        seats=form.seats.data,
        # A window given in days: open from the first second of the first day (UTC) to the
        # last second of the last day.
        opens_at=datetime.combine(opens, time.min, tzinfo=UTC) if opens else None,
        closes_at=datetime.combine(closes, time(23, 59, 59), tzinfo=UTC) if closes else None,
        required_clearance=form.required_clearance.data,
        offer_valid_days=form.offer_valid_days.data,
        status=form.status.data,
        eligible_ids=form.eligible.data or [],
        reviewer_ids=form.reviewers.data or [],
        criteria=services.parse_criteria(form.criteria.data or ""),
    )


def _save(form: ProgramForm, program: Program | None):
    """Validate and save; the saved program, or None when the form shows why not."""
    if not form.validate_on_submit():
        return None
    try:
        return services.save_program(current_user, program, _fields(form))
    except ServiceError as error:
        db.session.rollback()
        show_service_error(form, error)
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_program():
    """Publish a program hosted by one's institute (coordinators)."""
    if not policy.is_coordinator_of(current_user, current_user.institute_id):
        abort(403)
    form = _program_form(None, current_user.institute_id)
    program = _save(form, None)
    if program is not None:
        flash(_("The program is saved."), "success")
        return redirect(url_for("rotations.view_program", slug=program.slug))
    return render_template("rotations/programs/edit_program.html", form=form, program=None), (
        400 if request.method == "POST" else 200
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_program(slug: str):
    """Change a program: its description, dates, seats, window, reviewers and criteria."""
    program = load_managed_program(slug)
    form = _program_form(program, program.host_institute_id)
    saved = _save(form, program)
    if saved is not None:
        flash(_("The program is saved."), "success")
        return redirect(url_for("rotations.view_program", slug=saved.slug))
    return render_template("rotations/programs/edit_program.html", form=form, program=program), (
        400 if request.method == "POST" else 200
    )


@dataclass
class PipelineRow:
    application: Application
    score: float | None


@bp.get("/<slug>/pipeline")
@login_required
def program_pipeline(slug: str):
    """The applications to a program by stage: host coordinators see all, reviewers the ones
    they may review."""
    program = load_program(slug)
    if not (
        policy.can_manage_program(current_user, program)
        or policy.is_assigned_reviewer(current_user, program)
    ):
        abort(403)
    machine.sweep()  # offers past their expiry free their seats before anyone reads the list
    program = load_program(slug, selectinload(Program.criteria), joinedload(Program.host_institute))
    shown = and_(
        Application.program_id == program.id, policy.visible_applications_clause(current_user)
    )
    counts = dict(
        db.session.execute(
            select(Application.state, func.count()).where(shown).group_by(Application.state)
        ).all()
    )
    applications = db.session.scalars(
        select(Application)
        .where(shown)
        .options(
            joinedload(Application.applicant),
            joinedload(Application.home_institute),
            selectinload(Application.reviews).selectinload(Review.scores),
        )
        .order_by(
            Application.waitlist_rank.asc().nulls_last(),
            Application.submitted_at.asc().nulls_last(),
            Application.id,
        )
    ).all()
    groups = [
        (
            state.value,
            counts.get(state.value, 0),
            [
                PipelineRow(a, services.weighted_score(a))
                for a in applications
                if a.state == state.value
            ],
        )
        for state in State
        if counts.get(state.value)
    ]
    return render_template(
        "rotations/programs/program_pipeline.html",
        program=program,
        groups=groups,
        total=sum(counts.values()),
        can_manage=policy.can_manage_program(current_user, program),
        labels=LABELS,
    )

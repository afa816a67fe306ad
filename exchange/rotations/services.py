"""Rotation services: programs, application drafts and CVs, reviews and conflicts, exit
reports, purging personal data. State changes go through exchange.rotations.machine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import policy
from exchange.rotations.models import (
    ACTIVE_STATES,
    CLEARANCE_LEVELS,
    Application,
    ConflictDeclaration,
    Criterion,
    Program,
    Review,
    Score,
    State,
)
from exchange.wiki.rendering import normalize_slug, render_markdown

CV_TYPES = {"pdf": ("application/pdf", b"%PDF-")}
# Fixed routes under /rotations/ that a program's address must never shadow.
RESERVED_SLUGS = {"new", "stats", "mine", "endorsements", "reviews", "applications"}


@dataclass
class ProgramFields:
    title: str
    description: str = ""
    focus_areas: str = ""
    skills_sought: str = ""
    location: str = ""
    start_date: date | None = None
    end_date: date | None = None
    seats: int = 1
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    required_clearance: str = "none"
    offer_valid_days: int = 14
    status: str = "draft"
    eligible_ids: list[int] = field(default_factory=list)
    reviewer_ids: list[int] = field(default_factory=list)
    criteria: list[tuple[str, int, str]] = field(default_factory=list)


def parse_criteria(text: str) -> list[tuple[str, int, str]]:
    """One criterion per line: name | weight | description."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")] + ["", ""]
        try:
            weight = int(cells[1] or "1")
        except ValueError:
            raise ServiceError(
                _l("Line %(n)d: the weight must be a whole number.", n=number), field="criteria"
            ) from None
        if not cells[0] or not 1 <= weight <= 10:
            raise ServiceError(
                _l("Line %(n)d: give a name and a weight from 1 to 10.", n=number),
                field="criteria",
            )
        rows.append((cells[0][:120], weight, cells[2][:500]))
    return rows


def _check_program(fields: ProgramFields) -> None:
    if not fields.title.strip():
        raise ServiceError(_l("Give the program a title."), field="title")
    if fields.seats < 0 or fields.seats > 500:
        raise ServiceError(_l("Seats must be between 0 and 500."), field="seats")
    if fields.start_date and fields.end_date and fields.end_date < fields.start_date:
        raise ServiceError(_l("The program ends before it starts."), field="end_date")
    if fields.opens_at and fields.closes_at and fields.closes_at <= fields.opens_at:
        raise ServiceError(_l("Applications close before they open."), field="closes_at")
    if fields.required_clearance not in CLEARANCE_LEVELS:
        raise ServiceError(_l("Choose a clearance level."), field="required_clearance")
    if fields.status not in ("draft", "open", "closed"):
        raise ServiceError(_l("Choose a status."), field="status")


def save_program(
    actor: User, program: Program | None, fields: ProgramFields, *, is_demo: bool = False
) -> Program:
    """Create or update a program hosted by the actor's institute (host coordinators)."""
    host_id = program.host_institute_id if program else actor.institute_id
    if not policy.is_coordinator_of(actor, host_id):
        raise ServiceError(_l("Only coordinators of the host institute run its programs."))
    _check_program(fields)
    if program is not None and fields.seats < program.seats_taken:
        raise ServiceError(
            _l(
                "%(n)d seats are already offered or filled; keep at least that many.",
                n=program.seats_taken,
            ),
            field="seats",
        )
    if program is None:
        base = normalize_slug(fields.title)[:100] or "program"
        slug, n = base, 2
        while slug in RESERVED_SLUGS or db.session.scalar(
            select(Program.id).where(Program.slug == slug)
        ):
            slug, n = f"{base}-{n}", n + 1
        program = Program(
            slug=slug, host_institute_id=host_id, created_by_id=actor.id, is_demo=is_demo
        )
        db.session.add(program)
    for name in (
        "title",
        "description",
        "focus_areas",
        "skills_sought",
        "location",
        "start_date",
        "end_date",
        "seats",
        "opens_at",
        "closes_at",
        "required_clearance",
        "offer_valid_days",
        "status",
    ):
        value = getattr(fields, name)
        setattr(program, name, value.strip() if isinstance(value, str) else value)
    program.description_html = render_markdown(program.description).html
    program.eligible_institutes = (
        list(db.session.scalars(select(Institute).where(Institute.id.in_(fields.eligible_ids))))
        if fields.eligible_ids
        else []
    )
    reviewers = (
        list(db.session.scalars(select(User).where(User.id.in_(fields.reviewer_ids))))
        if fields.reviewer_ids
        else []
    )
    program.reviewers = [r for r in reviewers if r.institute_id == host_id]
    kept = {c.name: c for c in program.criteria}
    program.criteria = [
        _criterion(kept.get(name), name, weight, text, position)
        for position, (name, weight, text) in enumerate(fields.criteria)
    ]
    program.updated_at = utcnow()
    db.session.commit()
    return program


def _criterion(existing, name, weight, description, position) -> Criterion:
    criterion = existing or Criterion(name=name)
    criterion.weight, criterion.description, criterion.position = weight, description, position
    return criterion


def active_application(user: User, program: Program) -> Application | None:
    return db.session.scalar(
        select(Application).where(
            Application.program_id == program.id,
            Application.applicant_id == user.id,
            Application.state.in_([s.value for s in ACTIVE_STATES]),
        )
    )


@dataclass
class ApplicationFields:
    statement: str = ""
    skills: str = ""
    languages: str = ""
    available_from: date | None = None
    available_until: date | None = None


def save_draft(
    actor: User, program: Program, fields: ApplicationFields, application: Application | None = None
) -> Application:
    """Create or update the actor's draft application (one active application per program)."""
    eligible, _reason = policy.is_eligible(actor, program)
    if not eligible:
        raise ServiceError(_l("You are not eligible for this program."))
    if application is not None and (
        application.applicant_id != actor.id or application.program_id != program.id
    ):
        raise ServiceError(_l("This is not your application."))
    if application is None:
        application = active_application(actor, program)
    if application is not None and application.state != State.DRAFT:
        raise ServiceError(_l("Your application is already submitted; withdraw it to start over."))
    if (
        fields.available_from
        and fields.available_until
        and fields.available_until < fields.available_from
    ):
        raise ServiceError(_l("Your availability ends before it starts."), field="available_until")
    if application is None:
        application = Application(
            program_id=program.id,
            applicant_id=actor.id,
            home_institute_id=actor.institute_id,
            state=State.DRAFT.value,
        )
        db.session.add(application)
    application.statement = fields.statement.strip()
    application.skills = fields.skills.strip()[:500]
    application.languages = fields.languages.strip()[:200]
    application.available_from = fields.available_from
    application.available_until = fields.available_until
    application.updated_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # a second first save at the same moment: keep the one that won
        db.session.rollback()
        existing = active_application(actor, program)
        if existing is None:
            raise
        return save_draft(actor, program, fields, existing)
    return application


def cv_path(sha256: str) -> Path:
    root = current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads"
    return Path(root) / "cv" / sha256[:2] / sha256


def attach_cv(actor: User, application: Application, filename: str, data: bytes) -> None:
    """Attach a CV (PDF, size-limited) to one's own draft; stored outside the web root."""
    if actor.id != application.applicant_id or application.state != State.DRAFT:
        raise ServiceError(_l("Only the applicant can change the CV, before submitting."))
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if ext not in CV_TYPES:
        raise ServiceError(_l("Upload your CV as a PDF file."), field="cv")
    limit = current_app.config["ROTATION_CV_MAX_BYTES"]
    if len(data) > limit:
        raise ServiceError(
            _l("The CV is larger than %(mb).1f MB.", mb=limit / 1_048_576), field="cv"
        )
    content_type, magic = CV_TYPES[ext]
    if not data.startswith(magic):
        raise ServiceError(_l("The file is not a PDF."), field="cv")
    digest = hashlib.sha256(data).hexdigest()
    path = cv_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    application.cv_filename = Path(filename.replace("\\", "/")).name[:200]
    application.cv_sha256 = digest
    application.cv_content_type = content_type
    application.cv_size = len(data)
    db.session.commit()


def save_review(
    actor: User, application: Application, scores: dict[int, int], comment: str
) -> Review:
    """Score every criterion (1 to 5) and comment; a recused reviewer is refused."""
    if not policy.can_review(actor, application):
        raise ServiceError(_l("You may not review this application."))
    if application.state not in (State.UNDER_REVIEW, State.WAITLISTED):
        raise ServiceError(_l("This application is not being reviewed."))
    criteria = application.program.criteria
    missing = [c.name for c in criteria if not 1 <= int(scores.get(c.id) or 0) <= 5]
    if missing:
        raise ServiceError(
            _l("Score every criterion from 1 to 5 (missing: %(names)s).", names=", ".join(missing)),
            field="scores",
        )
    review = db.session.scalar(
        select(Review).where(
            Review.application_id == application.id, Review.reviewer_id == actor.id
        )
    ) or Review(application_id=application.id, reviewer_id=actor.id)
    review.comment = comment.strip()[:5000]
    review.submitted_at = utcnow()
    review.scores = [Score(criterion_id=c.id, value=int(scores[c.id])) for c in criteria]
    db.session.add(review)
    db.session.commit()
    return review


def weighted_score(application: Application) -> float | None:
    """The weighted mean of all reviews' scores (1 to 5), or None before any review."""
    weights = {c.id: c.weight for c in application.program.criteria}
    total = weight_sum = 0.0
    for review in application.reviews:
        for score in review.scores:
            w = weights.get(score.criterion_id, 0)
            total += w * score.value
            weight_sum += w
    return round(total / weight_sum, 2) if weight_sum else None


def declare_conflict(actor: User, application: Application, reason: str) -> None:
    """A reviewer declares a tie to the applicant and is recused; their review is removed."""
    if not policy.is_assigned_reviewer(actor, application.program):
        raise ServiceError(_l("You are not a reviewer of this program."))
    if not reason.strip():
        raise ServiceError(_l("Say briefly what the tie is."), field="reason")
    exists = db.session.scalar(
        select(ConflictDeclaration).where(
            ConflictDeclaration.application_id == application.id,
            ConflictDeclaration.reviewer_id == actor.id,
        )
    )
    if exists is None:
        db.session.add(
            ConflictDeclaration(
                application_id=application.id, reviewer_id=actor.id, reason=reason.strip()[:500]
            )
        )
    for review in list(application.reviews):
        if review.reviewer_id == actor.id:
            db.session.delete(review)
    db.session.commit()


def file_exit_report(
    actor: User,
    application: Application,
    title: str,
    source: str,
    visibility: str,
    institute_ids: list[int],
):
    """The placed person files their exit report: a wiki page (kind: rotation report)."""
    from exchange.wiki import services as wiki

    if actor.id != application.applicant_id or application.placement is None:
        raise ServiceError(_l("Only the placed person files the exit report."))
    if application.state not in (State.PLACED, State.COMPLETED):
        raise ServiceError(_l("The exit report comes at the end of the placement."))
    if application.placement.exit_report_page_id is not None:
        raise ServiceError(_l("The exit report is already filed; edit it in the wiki."))
    program = application.program
    body = (source or "").strip() + (
        f"\n\n---\n{_l('Rotation program')}: [{program.title}](/rotations/{program.slug})\n"
    )
    page = wiki.create_page(
        actor,
        "",
        wiki.PageFields(
            title=title.strip() or f"{program.title}: {actor.display_name}",
            kind="rotation_report",
            language=actor.locale or "en",
            visibility=visibility,
            institute_ids=institute_ids,
            embargo_until=None,
            tags=["rotation-report"],
        ),
        body,
        str(_l("Exit report")),
    )
    application.placement.exit_report_page_id = page.id
    db.session.commit()
    return page


def purge_personal_data(months: int, now: datetime | None = None) -> int:
    """Erase statements, CVs and review comments of applications closed ``months`` ago."""
    now = now or utcnow()
    cutoff = now - timedelta(days=30 * months)
    closed = (
        State.COMPLETED,
        State.REJECTED,
        State.DECLINED,
        State.OFFER_EXPIRED,
        State.WITHDRAWN,
        State.HOME_DECLINED,
    )
    rows = db.session.scalars(
        select(Application).where(
            Application.state.in_([s.value for s in closed]),
            Application.updated_at < cutoff,
            Application.purged_at.is_(None),
        )
    ).all()
    for application in rows:
        application.statement = ""
        application.skills = ""
        application.languages = ""
        if application.cv_sha256:
            still_used = db.session.scalar(
                select(Application.id).where(
                    Application.cv_sha256 == application.cv_sha256,
                    Application.id != application.id,
                    Application.purged_at.is_(None),
                )
            )
            if still_used is None:
                cv_path(application.cv_sha256).unlink(missing_ok=True)
        application.cv_filename = application.cv_sha256 = application.cv_content_type = None
        application.cv_size = None
        application.available_from = application.available_until = None
        for review in application.reviews:
            review.comment = ""
        for conflict in db.session.scalars(
            select(ConflictDeclaration).where(ConflictDeclaration.application_id == application.id)
        ):
            conflict.reason = ""
        for event in application.events:
            event.reason = ""
        application.purged_at = now
    db.session.commit()
    return len(rows)


def may_view(user, application) -> bool:
    return policy.can_view_application(user, application) and access.is_signed_in(user)

"""Who may see and act on rotation programs and applications (the rotations part of the
access policy). An application is need-to-know: the applicant, the coordinators of the home
and host institutes, and the program's reviewers who are not recused. Everyone else gets 404."""

from __future__ import annotations

from sqlalchemy import and_, exists, false, or_, select

from exchange import access
from exchange.accounts.models import Role, User
from exchange.rotations.models import (
    Application,
    ConflictDeclaration,
    Program,
    program_eligible,
    program_reviewers,
)


def is_coordinator_of(user, institute_id: int) -> bool:
    return access.has_role(user, Role.COORDINATOR) and user.institute_id == institute_id


def can_manage_program(user, program: Program) -> bool:
    """Host coordinators run a program (edit, assign reviewers, decide)."""
    return is_coordinator_of(user, program.host_institute_id)


def can_view_program(user, program: Program) -> bool:
    """Open programs are for every signed-in member; drafts for the host's coordinators."""
    if not access.is_signed_in(user):
        return False
    return program.status != "draft" or can_manage_program(user, program)


def is_assigned_reviewer(user, program: Program) -> bool:
    return access.is_signed_in(user) and any(r.id == user.id for r in program.reviewers)


def is_recused(user, application: Application) -> bool:
    """Reviewers of the applicant's home institute, or with a declared tie, are recused."""
    if user.institute_id == application.home_institute_id:
        return True
    return any(c.reviewer_id == user.id for c in application_conflicts(application))


def application_conflicts(application: Application) -> list[ConflictDeclaration]:
    from exchange.extensions import db

    return list(
        db.session.scalars(
            select(ConflictDeclaration).where(ConflictDeclaration.application_id == application.id)
        )
    )


def is_unsent(application: Application) -> bool:
    """A draft, or a draft withdrawn before it was ever submitted: the applicant's alone."""
    return application.state == "draft" or (
        application.state == "withdrawn" and application.submitted_at is None
    )


def can_review(user, application: Application) -> bool:
    return (
        is_assigned_reviewer(user, application.program)
        and not is_recused(user, application)
        and not is_unsent(application)
    )


def can_view_application(user, application: Application) -> bool:
    """The applicant, home and host coordinators, and non-recused reviewers; nobody else."""
    if not access.is_signed_in(user):
        return False
    if application.applicant_id == user.id:
        return True
    if is_unsent(application):
        return False
    return (
        is_coordinator_of(user, application.home_institute_id)
        or can_manage_program(user, application.program)
        or can_review(user, application)
    )


def can_see_scores(user, application: Application) -> bool:
    """Scores are for host coordinators and non-recused reviewers, never for the applicant."""
    return can_manage_program(user, application.program) or can_review(user, application)


def is_eligible(user, program: Program) -> tuple[bool, str]:
    """Whether ``user`` may apply, and the reason (an untranslated key) when not."""
    if not access.is_signed_in(user):
        return False, "sign_in"
    if user.institute_id == program.host_institute_id:
        return False, "own_institute"
    eligible = [i.id for i in program.eligible_institutes]
    if eligible and user.institute_id not in eligible:
        return False, "institute_not_eligible"
    return True, ""


def visible_applications_clause(user):
    """SQL twin of can_view_application, for lists and counts."""
    if not access.is_signed_in(user):
        return false()
    coordinator = access.has_role(user, Role.COORDINATOR)
    not_draft = and_(  # the SQL twin of `not is_unsent(application)`
        Application.state != "draft",
        or_(Application.state != "withdrawn", Application.submitted_at.is_not(None)),
    )
    home = (
        and_(not_draft, Application.home_institute_id == user.institute_id)
        if coordinator
        else false()
    )
    host = (
        and_(not_draft, Application.program.has(Program.host_institute_id == user.institute_id))
        if coordinator
        else false()
    )
    reviewer = and_(
        not_draft,
        Application.home_institute_id != user.institute_id,
        exists().where(
            program_reviewers.c.program_id == Application.program_id,
            program_reviewers.c.user_id == user.id,
        ),
        ~exists().where(
            ConflictDeclaration.application_id == Application.id,
            ConflictDeclaration.reviewer_id == user.id,
        ),
    )
    return or_(Application.applicant_id == user.id, home, host, reviewer)


def eligible_clause(user: User):
    """SQL: programs the user's institute may apply to (not their own)."""
    return and_(
        Program.host_institute_id != user.institute_id,
        or_(
            ~exists().where(program_eligible.c.program_id == Program.id),
            exists().where(
                program_eligible.c.program_id == Program.id,
                program_eligible.c.institute_id == user.institute_id,
            ),
        ),
    )

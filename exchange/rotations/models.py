"""Rotation programs, applications and their timeline, reviews, conflicts and placements."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.accounts.models import Institute, User
from exchange.db import Base, TimestampMixin, utcnow


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    HOME_ENDORSED = "home_endorsed"
    HOME_DECLINED = "home_declined"
    UNDER_REVIEW = "under_review"
    OFFERED = "offered"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    OFFER_EXPIRED = "offer_expired"
    PLACED = "placed"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


# An application in one of these states is "active": one per person per program.
ACTIVE_STATES = (
    State.DRAFT,
    State.SUBMITTED,
    State.HOME_ENDORSED,
    State.UNDER_REVIEW,
    State.OFFERED,
    State.WAITLISTED,
    State.ACCEPTED,
    State.PLACED,
)
# States that hold one of the program's seats.
SEAT_STATES = (State.OFFERED, State.ACCEPTED, State.PLACED, State.COMPLETED)
_ACTIVE_SQL = ", ".join(f"'{s.value}'" for s in ACTIVE_STATES)
_ALL_SQL = ", ".join(f"'{s.value}'" for s in State)

CLEARANCE_LEVELS = ("none", "baseline", "official_sensitive", "security_check", "developed_vetting")

program_eligible = Table(
    "rotation_program_eligible_institutes",
    Base.metadata,
    Column("program_id", ForeignKey("rotation_programs.id", ondelete="CASCADE"), primary_key=True),
    Column("institute_id", ForeignKey("institutes.id", ondelete="CASCADE"), primary_key=True),
)
program_reviewers = Table(
    "rotation_program_reviewers",
    Base.metadata,
    Column("program_id", ForeignKey("rotation_programs.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Program(TimestampMixin, Base):
    """A placement offered by a host institute, with a seat ledger."""

    __tablename__ = "rotation_programs"
    __table_args__ = (
        CheckConstraint("seats >= 0", name="seats_not_negative"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= seats", name="ledger_within_seats"),
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    host_institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"), index=True)
    focus_areas: Mapped[str] = mapped_column(String(500), default="")
    skills_sought: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    seats: Mapped[int] = mapped_column(default=1)
    # Seats held by offered, accepted, placed and completed applications; changed only by
    # conditional UPDATEs in the same transaction as the state change.
    seats_taken: Mapped[int] = mapped_column(default=0)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    required_clearance: Mapped[str] = mapped_column(String(30), default="none")
    offer_valid_days: Mapped[int] = mapped_column(default=14)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    host_institute: Mapped[Institute] = relationship()
    eligible_institutes: Mapped[list[Institute]] = relationship(
        secondary=program_eligible, order_by=Institute.code
    )
    reviewers: Mapped[list[User]] = relationship(secondary=program_reviewers)
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="program", cascade="all, delete-orphan", order_by="Criterion.position"
    )
    applications: Mapped[list[Application]] = relationship(back_populates="program")

    @property
    def seats_left(self) -> int:
        return max(0, self.seats - self.seats_taken)

    @property
    def duration_months(self) -> int | None:
        if not (self.start_date and self.end_date):
            return None
        months = (self.end_date.year - self.start_date.year) * 12
        return max(
            1,
            round(
                months
                + (self.end_date.month - self.start_date.month)
                + (self.end_date.day - self.start_date.day) / 30
            ),
        )

    def __repr__(self) -> str:
        return f"<Program {self.id} {self.slug}>"


class Criterion(Base):
    __tablename__ = "rotation_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("rotation_programs.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    weight: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)

    program: Mapped[Program] = relationship(back_populates="criteria")

    def __repr__(self) -> str:
        return f"<Criterion {self.id} {self.name}>"


class Application(TimestampMixin, Base):
    __tablename__ = "rotation_applications"
    __table_args__ = (
        CheckConstraint(f"state IN ({_ALL_SQL})", name="state_known"),
        Index(
            "uq_rotation_applications_active",
            "program_id",
            "applicant_id",
            unique=True,
            sqlite_where=text(f"state IN ({_ACTIVE_SQL})"),
            postgresql_where=text(f"state IN ({_ACTIVE_SQL})"),
        ),
        Index("ix_rotation_applications_program_state", "program_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("rotation_programs.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The applicant's institute when they applied: it endorses (releases) them.
    home_institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=State.DRAFT.value)
    statement: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(String(500), default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)
    cv_filename: Mapped[str | None] = mapped_column(String(200))
    cv_sha256: Mapped[str | None] = mapped_column(String(64))
    cv_content_type: Mapped[str | None] = mapped_column(String(100))
    cv_size: Mapped[int | None]
    waitlist_rank: Mapped[int | None]
    offer_expires_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    program: Mapped[Program] = relationship(back_populates="applications")
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    home_institute: Mapped[Institute] = relationship()
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application",
        order_by="(ApplicationEvent.created_at, ApplicationEvent.id)",
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    placement: Mapped[Placement | None] = relationship(back_populates="application")

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.state}>"


class ApplicationEvent(Base):
    """One step of an application's timeline: who moved it, when, why. Append-only."""

    __tablename__ = "rotation_application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("rotation_applications.id", ondelete="CASCADE"), index=True
    )
    transition: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ApplicationEvent {self.id} {self.transition}>"


class Review(Base):
    __tablename__ = "rotation_reviews"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("rotation_applications.id", ondelete="CASCADE")
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()
    scores: Mapped[list[Score]] = relationship(cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Review {self.id}>"


class Score(Base):
    __tablename__ = "rotation_scores"
    __table_args__ = (CheckConstraint("value BETWEEN 1 AND 5", name="value_in_range"),)

    review_id: Mapped[int] = mapped_column(
        ForeignKey("rotation_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("rotation_criteria.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int]

    def __repr__(self) -> str:
        return f"<Score {self.review_id}/{self.criterion_id}={self.value}>"


class ConflictDeclaration(Base):
    """A reviewer's declared tie to an applicant: they are recused from that application."""

    __tablename__ = "rotation_conflicts"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("rotation_applications.id", ondelete="CASCADE")
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ConflictDeclaration {self.application_id}/{self.reviewer_id}>"


class Placement(Base):
    __tablename__ = "rotation_placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("rotation_applications.id", ondelete="CASCADE"), unique=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    host_institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"))
    home_institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    completed_at: Mapped[datetime | None]
    exit_report_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("wiki_pages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="placement")
    person: Mapped[User] = relationship()
    exit_report_page = relationship("Page")

    def __repr__(self) -> str:
        return f"<Placement {self.id} person={self.person_id}>"

"""Institutes, users, roles, invitations and single-use account tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from exchange.db import Base, TimestampMixin, utcnow


class Role(enum.StrEnum):
    """Platform roles. Every user is a member; the others are granted on top."""

    MEMBER = "member"
    COORDINATOR = "coordinator"
    REVIEWER = "reviewer"
    ADMIN = "admin"


ROLE_VALUES = tuple(role.value for role in Role)


class Institute(TimestampMixin, Base):
    __tablename__ = "institutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ko: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)

    domains: Mapped[list[InstituteDomain]] = relationship(
        back_populates="institute",
        cascade="all, delete-orphan",
        order_by="InstituteDomain.domain",
    )
    users: Mapped[list[User]] = relationship(back_populates="institute")

    def name_for(self, locale: str) -> str:
        """Return the institute's name in the given interface language."""
        return self.name_ko if locale == "ko" and self.name_ko else self.name_en

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains]

    def __repr__(self) -> str:
        return f"<Institute {self.id} {self.code}>"


class InstituteDomain(Base):
    __tablename__ = "institute_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    institute: Mapped[Institute] = relationship(back_populates="domains")

    def __repr__(self) -> str:
        return f"<InstituteDomain {self.id} {self.domain}>"


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    email_confirmed_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    # Bumped on password change or deactivation so that every existing session ends.
    session_version: Mapped[int] = mapped_column(default=1)

    institute: Mapped[Institute] = relationship(back_populates="users")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account and self.email_confirmed_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> frozenset[Role]:
        loaded = self.__dict__
        if "role_rows" not in loaded and "role_names" in loaded:
            # Loaded with the signed-in user (see ``role_names``), the rows themselves are not.
            names = loaded["role_names"] or ""
            return frozenset({Role.MEMBER} | {Role(name) for name in names.split(",") if name})
        return frozenset({Role.MEMBER} | {Role(r.role) for r in self.role_rows})

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint("role IN ('coordinator', 'reviewer', 'admin')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_rows")

    def __repr__(self) -> str:
        return f"<UserRole {self.id} {self.role}>"


# The user's roles as one string ("admin,reviewer"): what every signed-in request needs of the
# roles, read with the user in one row instead of a joined collection of ``UserRole`` objects
# (see ``accounts.services.load_session_user``). Deferred, so other loads of users skip it; the
# ORM expires it with the rest of the user, and ``User.roles`` prefers the rows once they are
# loaded (e.g. while they are being changed).
User.role_names = column_property(
    select(func.aggregate_strings(UserRole.role, ","))
    .where(UserRole.user_id == User.id)
    .correlate_except(UserRole)
    .scalar_subquery(),
    deferred=True,
)


class Invitation(TimestampMixin, Base):
    """An e-mailed invitation to join an institute; the raw token is never stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"))
    roles: Mapped[str] = mapped_column(String(100), default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    institute: Mapped[Institute] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.email}>"


class TokenPurpose(enum.StrEnum):
    CONFIRM_EMAIL = "confirm_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name


class AccountToken(Base):
    """A single-use, expiring token e-mailed to a user (e-mail confirmation, password reset)."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('confirm_email', 'reset_password')", name="purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<AccountToken {self.id} {self.purpose}>"

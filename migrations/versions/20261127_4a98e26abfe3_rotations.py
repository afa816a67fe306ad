"""rotation programs, applications, timeline, reviews, conflicts, placements

Revision ID: 4a98e26abfe3
Revises: a43257808cf1
Create Date: 2026-11-27 14:36:48.255303

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4a98e26abfe3"
down_revision = "a43257808cf1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rotation_programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("host_institute_id", sa.Integer(), nullable=False),
        sa.Column("focus_areas", sa.String(length=500), nullable=False),
        sa.Column("skills_sought", sa.String(length=500), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("required_clearance", sa.String(length=30), nullable=False),
        sa.Column("offer_valid_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'closed')", name=op.f("ck_rotation_programs_status_known")
        ),
        sa.CheckConstraint("seats >= 0", name=op.f("ck_rotation_programs_seats_not_negative")),
        sa.CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= seats",
            name=op.f("ck_rotation_programs_ledger_within_seats"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_rotation_programs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_institute_id"],
            ["institutes.id"],
            name=op.f("fk_rotation_programs_host_institute_id_institutes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_programs")),
        sa.UniqueConstraint("slug", name=op.f("uq_rotation_programs_slug")),
    )
    with op.batch_alter_table("rotation_programs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_programs_host_institute_id"),
            ["host_institute_id"],
            unique=False,
        )

    op.create_table(
        "rotation_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("home_institute_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("skills", sa.String(length=500), nullable=False),
        sa.Column("languages", sa.String(length=200), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column("available_until", sa.Date(), nullable=True),
        sa.Column("cv_filename", sa.String(length=200), nullable=True),
        sa.Column("cv_sha256", sa.String(length=64), nullable=True),
        sa.Column("cv_content_type", sa.String(length=100), nullable=True),
        sa.Column("cv_size", sa.Integer(), nullable=True),
        sa.Column("waitlist_rank", sa.Integer(), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'home_endorsed', 'home_declined', 'under_review', 'offered', 'waitlisted', 'rejected', 'accepted', 'declined', 'offer_expired', 'placed', 'completed', 'withdrawn')",
            name=op.f("ck_rotation_applications_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["users.id"], name=op.f("fk_rotation_applications_applicant_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["home_institute_id"],
            ["institutes.id"],
            name=op.f("fk_rotation_applications_home_institute_id_institutes"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["rotation_programs.id"],
            name=op.f("fk_rotation_applications_program_id_rotation_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_applications")),
    )
    with op.batch_alter_table("rotation_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_applications_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rotation_applications_home_institute_id"),
            ["home_institute_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_rotation_applications_program_state", ["program_id", "state"], unique=False
        )
        batch_op.create_index(
            "uq_rotation_applications_active",
            ["program_id", "applicant_id"],
            unique=True,
            sqlite_where=sa.text(
                "state IN ('draft', 'submitted', 'home_endorsed', 'under_review', 'offered', 'waitlisted', 'accepted', 'placed')"
            ),
            postgresql_where=sa.text(
                "state IN ('draft', 'submitted', 'home_endorsed', 'under_review', 'offered', 'waitlisted', 'accepted', 'placed')"
            ),
        )

    op.create_table(
        "rotation_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["rotation_programs.id"],
            name=op.f("fk_rotation_criteria_program_id_rotation_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_criteria")),
    )
    with op.batch_alter_table("rotation_criteria", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_criteria_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "rotation_program_eligible_institutes",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("institute_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
            name=op.f("fk_rotation_program_eligible_institutes_institute_id_institutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["rotation_programs.id"],
            name=op.f("fk_rotation_program_eligible_institutes_program_id_rotation_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "program_id", "institute_id", name=op.f("pk_rotation_program_eligible_institutes")
        ),
    )
    op.create_table(
        "rotation_program_reviewers",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["rotation_programs.id"],
            name=op.f("fk_rotation_program_reviewers_program_id_rotation_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_rotation_program_reviewers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "program_id", "user_id", name=op.f("pk_rotation_program_reviewers")
        ),
    )
    op.create_table(
        "rotation_application_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("transition", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_rotation_application_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["rotation_applications.id"],
            name=op.f("fk_rotation_application_events_application_id_rotation_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_application_events")),
    )
    with op.batch_alter_table("rotation_application_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_application_events_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "rotation_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["rotation_applications.id"],
            name=op.f("fk_rotation_conflicts_application_id_rotation_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_rotation_conflicts_reviewer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_conflicts")),
        sa.UniqueConstraint(
            "application_id",
            "reviewer_id",
            name=op.f("uq_rotation_conflicts_application_id_reviewer_id"),
        ),
    )
    op.create_table(
        "rotation_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("host_institute_id", sa.Integer(), nullable=False),
        sa.Column("home_institute_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exit_report_page_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["rotation_applications.id"],
            name=op.f("fk_rotation_placements_application_id_rotation_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exit_report_page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_rotation_placements_exit_report_page_id_wiki_pages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["home_institute_id"],
            ["institutes.id"],
            name=op.f("fk_rotation_placements_home_institute_id_institutes"),
        ),
        sa.ForeignKeyConstraint(
            ["host_institute_id"],
            ["institutes.id"],
            name=op.f("fk_rotation_placements_host_institute_id_institutes"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["users.id"], name=op.f("fk_rotation_placements_person_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_placements")),
        sa.UniqueConstraint("application_id", name=op.f("uq_rotation_placements_application_id")),
    )
    with op.batch_alter_table("rotation_placements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_placements_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "rotation_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["rotation_applications.id"],
            name=op.f("fk_rotation_reviews_application_id_rotation_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_rotation_reviews_reviewer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_reviews")),
        sa.UniqueConstraint(
            "application_id",
            "reviewer_id",
            name=op.f("uq_rotation_reviews_application_id_reviewer_id"),
        ),
    )
    op.create_table(
        "rotation_scores",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.CheckConstraint("value BETWEEN 1 AND 5", name=op.f("ck_rotation_scores_value_in_range")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["rotation_criteria.id"],
            name=op.f("fk_rotation_scores_criterion_id_rotation_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["rotation_reviews.id"],
            name=op.f("fk_rotation_scores_review_id_rotation_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "criterion_id", name=op.f("pk_rotation_scores")),
    )


def downgrade():
    op.drop_table("rotation_scores")
    op.drop_table("rotation_reviews")
    with op.batch_alter_table("rotation_placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_placements_person_id"))

    op.drop_table("rotation_placements")
    op.drop_table("rotation_conflicts")
    with op.batch_alter_table("rotation_application_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_application_events_application_id"))

    op.drop_table("rotation_application_events")
    op.drop_table("rotation_program_reviewers")
    op.drop_table("rotation_program_eligible_institutes")
    with op.batch_alter_table("rotation_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_criteria_program_id"))

    op.drop_table("rotation_criteria")
    with op.batch_alter_table("rotation_applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_rotation_applications_active",
            sqlite_where=sa.text(
                "state IN ('draft', 'submitted', 'home_endorsed', 'under_review', 'offered', 'waitlisted', 'accepted', 'placed')"
            ),
            postgresql_where=sa.text(
                "state IN ('draft', 'submitted', 'home_endorsed', 'under_review', 'offered', 'waitlisted', 'accepted', 'placed')"
            ),
        )
        batch_op.drop_index("ix_rotation_applications_program_state")
        batch_op.drop_index(batch_op.f("ix_rotation_applications_home_institute_id"))
        batch_op.drop_index(batch_op.f("ix_rotation_applications_applicant_id"))

    op.drop_table("rotation_applications")
    with op.batch_alter_table("rotation_programs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_programs_host_institute_id"))

    op.drop_table("rotation_programs")

"""evaluation records, results, source logs, citations, API tokens

Revision ID: a43257808cf1
Revises: db627e212f33
Create Date: 2026-11-27 14:21:34.093102

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a43257808cf1"
down_revision = "db627e212f33"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "evaluation_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("visibility", sa.String(length=12), nullable=False),
        sa.Column("owner_institute_id", sa.Integer(), nullable=False),
        sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_developer", sa.String(length=120), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("model_access", sa.String(length=40), nullable=False),
        sa.Column("access_start", sa.Date(), nullable=True),
        sa.Column("access_end", sa.Date(), nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=True),
        sa.Column("reference_models", sa.String(length=500), nullable=False),
        sa.Column("shared_with_developer_on", sa.Date(), nullable=True),
        sa.Column("elicitation", sa.JSON(), nullable=False),
        sa.Column("headline_finding", sa.Text(), nullable=False),
        sa.Column("caveats", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "record_type IN ('pre_deployment', 'post_deployment', 'joint_testing_exercise', 'research_study', 'benchmark_run')",
            name=op.f("ck_evaluation_records_record_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'in_review', 'published', 'archived')",
            name=op.f("ck_evaluation_records_status_known"),
        ),
        sa.CheckConstraint(
            "visibility IN ('public', 'network', 'institutes')",
            name=op.f("ck_evaluation_records_visibility_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_records_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_institute_id"],
            ["institutes.id"],
            name=op.f("fk_evaluation_records_owner_institute_id_institutes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_records")),
        sa.UniqueConstraint("slug", name=op.f("uq_evaluation_records_slug")),
    )
    with op.batch_alter_table("evaluation_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_records_evaluated_on"), ["evaluated_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_records_model_developer"), ["model_developer"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_records_model_name"), ["model_name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_records_owner_institute_id"),
            ["owner_institute_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_evaluation_records_status"), ["status"], unique=False)
        batch_op.create_index("ix_evaluation_records_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "evaluation_record_labels",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "kind IN ('domain', 'technique', 'language')",
            name=op.f("ck_evaluation_record_labels_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["evaluation_records.id"],
            name=op.f("fk_evaluation_record_labels_record_id_evaluation_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "record_id", "kind", "value", name=op.f("pk_evaluation_record_labels")
        ),
    )
    with op.batch_alter_table("evaluation_record_labels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_record_labels_kind_value", ["kind", "value"], unique=False
        )

    op.create_table(
        "evaluation_record_participants",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("institute_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
            name=op.f("fk_evaluation_record_participants_institute_id_institutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["evaluation_records.id"],
            name=op.f("fk_evaluation_record_participants_record_id_evaluation_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "record_id", "institute_id", name=op.f("pk_evaluation_record_participants")
        ),
    )
    op.create_table(
        "evaluation_record_readers",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("institute_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
            name=op.f("fk_evaluation_record_readers_institute_id_institutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["evaluation_records.id"],
            name=op.f("fk_evaluation_record_readers_record_id_evaluation_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "record_id", "institute_id", name=op.f("pk_evaluation_record_readers")
        ),
    )
    op.create_table(
        "evaluation_source_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("inspect_version", sa.String(length=40), nullable=True),
        sa.Column("log_version", sa.Integer(), nullable=True),
        sa.Column("run_status", sa.String(length=12), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("eval_id", sa.String(length=100), nullable=True),
        sa.Column("task_id", sa.String(length=100), nullable=True),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("dataset_name", sa.String(length=200), nullable=True),
        sa.Column("total_samples", sa.Integer(), nullable=True),
        sa.Column("completed_samples", sa.Integer(), nullable=True),
        sa.Column("epochs", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=False),
        sa.Column("token_usage", sa.JSON(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("raw_header", sa.JSON(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["evaluation_records.id"],
            name=op.f("fk_evaluation_source_logs_record_id_evaluation_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_source_logs_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_source_logs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_evaluation_source_logs_dedupe_key")),
    )
    with op.batch_alter_table("evaluation_source_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_source_logs_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_source_logs_sha256"), ["sha256"], unique=False
        )

    op.create_table(
        "evaluation_methodology_citations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_evaluation_methodology_citations_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["evaluation_records.id"],
            name=op.f("fk_evaluation_methodology_citations_record_id_evaluation_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["wiki_revisions.id"],
            name=op.f("fk_evaluation_methodology_citations_revision_id_wiki_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_methodology_citations")),
        sa.UniqueConstraint(
            "record_id",
            "page_id",
            name=op.f("uq_evaluation_methodology_citations_record_id_page_id"),
        ),
    )
    with op.batch_alter_table("evaluation_methodology_citations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_methodology_citations_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "evaluation_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("source_log_id", sa.Integer(), nullable=True),
        sa.Column("benchmark", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("is_reference", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("stderr", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n_samples", sa.Integer(), nullable=True),
        sa.Column("risk_domain", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["evaluation_records.id"],
            name=op.f("fk_evaluation_results_record_id_evaluation_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_log_id"],
            ["evaluation_source_logs.id"],
            name=op.f("fk_evaluation_results_source_log_id_evaluation_source_logs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_results")),
    )
    with op.batch_alter_table("evaluation_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_results_record_id"), ["record_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("evaluation_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_results_record_id"))

    op.drop_table("evaluation_results")
    with op.batch_alter_table("evaluation_methodology_citations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_methodology_citations_record_id"))

    op.drop_table("evaluation_methodology_citations")
    with op.batch_alter_table("evaluation_source_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_source_logs_sha256"))
        batch_op.drop_index(batch_op.f("ix_evaluation_source_logs_record_id"))

    op.drop_table("evaluation_source_logs")
    op.drop_table("evaluation_record_readers")
    op.drop_table("evaluation_record_participants")
    with op.batch_alter_table("evaluation_record_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_record_labels_kind_value")

    op.drop_table("evaluation_record_labels")
    with op.batch_alter_table("evaluation_records", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_records_updated_at")
        batch_op.drop_index(batch_op.f("ix_evaluation_records_status"))
        batch_op.drop_index(batch_op.f("ix_evaluation_records_owner_institute_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_records_model_name"))
        batch_op.drop_index(batch_op.f("ix_evaluation_records_model_developer"))
        batch_op.drop_index(batch_op.f("ix_evaluation_records_evaluated_on"))

    op.drop_table("evaluation_records")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")

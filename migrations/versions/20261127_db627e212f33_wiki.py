"""wiki pages, revisions, links, attachments, sign-offs, watches

Revision ID: db627e212f33
Revises: f379ba7278b5
Create Date: 2026-11-27 13:54:23.871272

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "db627e212f33"
down_revision = "f379ba7278b5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wiki_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("visibility", sa.String(length=12), nullable=False),
        sa.Column("owner_institute_id", sa.Integer(), nullable=False),
        sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_status", sa.String(length=10), nullable=False),
        sa.Column("current_revision_id", sa.Integer(), nullable=True),
        sa.Column("translation_of_id", sa.Integer(), nullable=True),
        sa.Column("translation_source_revision_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('methodology', 'finding', 'guide', 'rotation_report')",
            name=op.f("ck_wiki_pages_kind_known"),
        ),
        sa.CheckConstraint("language IN ('en', 'ko')", name=op.f("ck_wiki_pages_language_known")),
        sa.CheckConstraint(
            "review_status IN ('draft', 'reviewed', 'endorsed')",
            name=op.f("ck_wiki_pages_review_status_known"),
        ),
        sa.CheckConstraint(
            "visibility IN ('public', 'network', 'institutes')",
            name=op.f("ck_wiki_pages_visibility_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_wiki_pages_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_institute_id"],
            ["institutes.id"],
            name=op.f("fk_wiki_pages_owner_institute_id_institutes"),
        ),
        sa.ForeignKeyConstraint(
            ["translation_of_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_pages_translation_of_id_wiki_pages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wiki_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_wiki_pages_slug")),
    )
    with op.batch_alter_table("wiki_pages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wiki_pages_owner_institute_id"), ["owner_institute_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wiki_pages_translation_of_id"), ["translation_of_id"], unique=False
        )
        batch_op.create_index("ix_wiki_pages_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "wiki_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_attachments_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_wiki_attachments_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wiki_attachments")),
        sa.UniqueConstraint(
            "page_id", "filename", name=op.f("uq_wiki_attachments_page_id_filename")
        ),
    )
    op.create_table(
        "wiki_page_institutes",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("institute_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
            name=op.f("fk_wiki_page_institutes_institute_id_institutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_page_institutes_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", "institute_id", name=op.f("pk_wiki_page_institutes")),
    )
    op.create_table(
        "wiki_page_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_page_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("target_slug", sa.String(length=120), nullable=False),
        sa.CheckConstraint("kind IN ('page', 'eval')", name=op.f("ck_wiki_page_links_kind_known")),
        sa.ForeignKeyConstraint(
            ["source_page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_page_links_source_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wiki_page_links")),
        sa.UniqueConstraint(
            "source_page_id",
            "kind",
            "target_slug",
            name=op.f("uq_wiki_page_links_source_page_id_kind_target_slug"),
        ),
    )
    with op.batch_alter_table("wiki_page_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wiki_page_links_target_slug"), ["target_slug"], unique=False
        )

    op.create_table(
        "wiki_page_tags",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_page_tags_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", "tag", name=op.f("pk_wiki_page_tags")),
    )
    with op.batch_alter_table("wiki_page_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wiki_page_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "wiki_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("toc_html", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("base_revision_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('create', 'edit', 'merge', 'revert')",
            name=op.f("ck_wiki_revisions_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_wiki_revisions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["base_revision_id"],
            ["wiki_revisions.id"],
            name=op.f("fk_wiki_revisions_base_revision_id_wiki_revisions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_revisions_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wiki_revisions")),
        sa.UniqueConstraint("page_id", "number", name=op.f("uq_wiki_revisions_page_id_number")),
    )
    # pages <-> revisions reference each other: the page-side keys come once both tables exist.
    with op.batch_alter_table("wiki_pages", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_wiki_pages_current_revision", "wiki_revisions", ["current_revision_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_wiki_pages_translation_rev",
            "wiki_revisions",
            ["translation_source_revision_id"],
            ["id"],
        )
    with op.batch_alter_table("wiki_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wiki_revisions_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "wiki_slug_redirects",
        sa.Column("old_slug", sa.String(length=120), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_slug_redirects_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("old_slug", name=op.f("pk_wiki_slug_redirects")),
    )
    op.create_table(
        "wiki_watches",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_watches_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_wiki_watches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "page_id", name=op.f("pk_wiki_watches")),
    )
    with op.batch_alter_table("wiki_watches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wiki_watches_page_id"), ["page_id"], unique=False)

    op.create_table(
        "wiki_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('reviewed', 'endorsed')", name=op.f("ck_wiki_signoffs_level_known")
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_pages.id"],
            name=op.f("fk_wiki_signoffs_page_id_wiki_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["wiki_revisions.id"],
            name=op.f("fk_wiki_signoffs_revision_id_wiki_revisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_wiki_signoffs_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wiki_signoffs")),
        sa.UniqueConstraint(
            "revision_id",
            "level",
            "user_id",
            name=op.f("uq_wiki_signoffs_revision_id_level_user_id"),
        ),
    )
    with op.batch_alter_table("wiki_signoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wiki_signoffs_page_id"), ["page_id"], unique=False)


def downgrade():
    with op.batch_alter_table("wiki_pages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_wiki_pages_current_revision", type_="foreignkey")
        batch_op.drop_constraint("fk_wiki_pages_translation_rev", type_="foreignkey")
    with op.batch_alter_table("wiki_signoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wiki_signoffs_page_id"))

    op.drop_table("wiki_signoffs")
    with op.batch_alter_table("wiki_watches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wiki_watches_page_id"))

    op.drop_table("wiki_watches")
    op.drop_table("wiki_slug_redirects")
    with op.batch_alter_table("wiki_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wiki_revisions_created_at"))

    op.drop_table("wiki_revisions")
    with op.batch_alter_table("wiki_page_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wiki_page_tags_tag"))

    op.drop_table("wiki_page_tags")
    with op.batch_alter_table("wiki_page_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wiki_page_links_target_slug"))

    op.drop_table("wiki_page_links")
    op.drop_table("wiki_page_institutes")
    op.drop_table("wiki_attachments")
    with op.batch_alter_table("wiki_pages", schema=None) as batch_op:
        batch_op.drop_index("ix_wiki_pages_updated_at")
        batch_op.drop_index(batch_op.f("ix_wiki_pages_translation_of_id"))
        batch_op.drop_index(batch_op.f("ix_wiki_pages_owner_institute_id"))

    op.drop_table("wiki_pages")

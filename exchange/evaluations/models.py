"""Evaluation records, their results, the Inspect logs they came from, and cited methodology."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.accounts.models import Institute, User
from exchange.db import Base, TimestampMixin, utcnow


class RecordType(enum.StrEnum):
    PRE_DEPLOYMENT = "pre_deployment"
    POST_DEPLOYMENT = "post_deployment"
    JOINT_TESTING_EXERCISE = "joint_testing_exercise"
    RESEARCH_STUDY = "research_study"
    BENCHMARK_RUN = "benchmark_run"


class RecordStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


RISK_DOMAINS = (
    "biological",
    "chemical",
    "cyber",
    "software_ai_development",
    "autonomy",
    "safeguard_efficacy",
    "multilingual_safety",
    "agentic_common_risks",
    "hallucination",
    "societal_harms",
)
TECHNIQUES = (
    "question_answering",
    "agent_task",
    "qualitative_probing",
    "benchmarking",
    "red_teaming",
    "human_uplift_study",
    "llm_as_judge",
    "human_annotation",
)
LABEL_KINDS = ("domain", "technique", "language")

record_participants = Table(
    "evaluation_record_participants",
    Base.metadata,
    Column("record_id", ForeignKey("evaluation_records.id", ondelete="CASCADE"), primary_key=True),
    Column("institute_id", ForeignKey("institutes.id", ondelete="CASCADE"), primary_key=True),
)
record_readers = Table(
    "evaluation_record_readers",
    Base.metadata,
    Column("record_id", ForeignKey("evaluation_records.id", ondelete="CASCADE"), primary_key=True),
    Column("institute_id", ForeignKey("institutes.id", ondelete="CASCADE"), primary_key=True),
)


class EvaluationRecord(TimestampMixin, Base):
    """One evaluation of one model: what was tested, how, by whom, and what it found."""

    __tablename__ = "evaluation_records"
    __table_args__ = (
        CheckConstraint(
            "record_type IN ('pre_deployment', 'post_deployment', 'joint_testing_exercise', "
            "'research_study', 'benchmark_run')",
            name="record_type_known",
        ),
        CheckConstraint(
            "status IN ('draft', 'in_review', 'published', 'archived')", name="status_known"
        ),
        CheckConstraint(
            "visibility IN ('public', 'network', 'institutes')", name="visibility_known"
        ),
        Index("ix_evaluation_records_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    record_type: Mapped[str] = mapped_column(String(30), default=RecordType.BENCHMARK_RUN.value)
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.DRAFT.value, index=True)
    visibility: Mapped[str] = mapped_column(String(12), default="network")
    owner_institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"), index=True)
    embargo_until: Mapped[datetime | None]
    model_developer: Mapped[str] = mapped_column(String(120), default="", index=True)
    model_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    model_version: Mapped[str] = mapped_column(String(200), default="")
    model_access: Mapped[str] = mapped_column(String(40), default="")
    access_start: Mapped[date | None] = mapped_column(Date)
    access_end: Mapped[date | None] = mapped_column(Date)
    evaluated_on: Mapped[date | None] = mapped_column(Date, index=True)
    # Models compared against, used only for relative comparison (comma-separated).
    reference_models: Mapped[str] = mapped_column(String(500), default="")
    shared_with_developer_on: Mapped[date | None] = mapped_column(Date)
    elicitation: Mapped[dict] = mapped_column(JSON, default=dict)
    headline_finding: Mapped[str] = mapped_column(Text, default="")
    caveats: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_demo: Mapped[bool] = mapped_column(default=False)

    owner_institute: Mapped[Institute] = relationship()
    participating_institutes: Mapped[list[Institute]] = relationship(
        secondary=record_participants, order_by=Institute.code
    )
    allowed_institutes: Mapped[list[Institute]] = relationship(
        secondary=record_readers, order_by=Institute.code
    )
    labels: Mapped[list[RecordLabel]] = relationship(
        cascade="all, delete-orphan", order_by="(RecordLabel.kind, RecordLabel.value)"
    )
    results: Mapped[list[EvaluationResult]] = relationship(
        back_populates="record",
        cascade="all, delete-orphan",
        order_by="(EvaluationResult.benchmark, EvaluationResult.metric, "
        "EvaluationResult.is_reference, EvaluationResult.model)",
    )
    source_logs: Mapped[list[SourceLog]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="SourceLog.created_at"
    )
    citations: Mapped[list[MethodologyCitation]] = relationship(
        back_populates="record", cascade="all, delete-orphan"
    )

    # The access policy's view of a record (see exchange.access).
    @property
    def allowed_institute_ids(self) -> list[int]:
        return [i.id for i in self.allowed_institutes]

    @property
    def team_institute_ids(self) -> list[int]:
        return [i.id for i in self.participating_institutes]

    @property
    def is_published(self) -> bool:
        return self.status in (RecordStatus.PUBLISHED, RecordStatus.ARCHIVED)

    @classmethod
    def published_clause(cls):
        return cls.status.in_([RecordStatus.PUBLISHED.value, RecordStatus.ARCHIVED.value])

    @classmethod
    def team_clause(cls, institute_id: int):
        return cls.participating_institutes.any(Institute.id == institute_id)

    def labels_of(self, kind: str) -> list[str]:
        return [label.value for label in self.labels if label.kind == kind]

    def __repr__(self) -> str:
        return f"<EvaluationRecord {self.id} {self.slug}>"


class RecordLabel(Base):
    """A risk domain, technique or language of a record (filterable)."""

    __tablename__ = "evaluation_record_labels"
    __table_args__ = (
        CheckConstraint("kind IN ('domain', 'technique', 'language')", name="kind_known"),
        Index("ix_evaluation_record_labels_kind_value", "kind", "value"),
    )

    record_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_records.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)

    def __repr__(self) -> str:
        return f"<RecordLabel {self.record_id} {self.kind}={self.value}>"


class SourceLog(Base):
    """Provenance of an imported Inspect run; (run, task) identifies it for de-duplication."""

    __tablename__ = "evaluation_source_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_records.id", ondelete="CASCADE"), index=True
    )
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(default=0)
    inspect_version: Mapped[str | None] = mapped_column(String(40))
    log_version: Mapped[int | None]
    run_status: Mapped[str] = mapped_column(String(12))
    run_id: Mapped[str] = mapped_column(String(100))
    eval_id: Mapped[str | None] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(100))
    task: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    dataset_name: Mapped[str | None] = mapped_column(String(200))
    total_samples: Mapped[int | None]
    completed_samples: Mapped[int | None]
    epochs: Mapped[int | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    total_tokens: Mapped[int] = mapped_column(default=0)
    token_usage: Mapped[dict] = mapped_column(JSON, default=dict)
    error_message: Mapped[str | None] = mapped_column(Text)
    raw_header: Mapped[dict] = mapped_column(JSON, default=dict)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[EvaluationRecord] = relationship(back_populates="source_logs")
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_success(self) -> bool:
        return self.run_status == "success"

    def __repr__(self) -> str:
        return f"<SourceLog {self.id} {self.task} {self.run_status}>"


class EvaluationResult(Base):
    """One number: a metric of one model on one benchmark, with its uncertainty."""

    __tablename__ = "evaluation_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_records.id", ondelete="CASCADE"), index=True
    )
    source_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_source_logs.id", ondelete="SET NULL")
    )
    benchmark: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200))
    is_reference: Mapped[bool] = mapped_column(default=False)
    value: Mapped[float | None] = mapped_column(Float)
    stderr: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n_samples: Mapped[int | None]
    risk_domain: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(String(500), default="")

    record: Mapped[EvaluationRecord] = relationship(back_populates="results")
    source_log: Mapped[SourceLog | None] = relationship()

    def __repr__(self) -> str:
        return f"<EvaluationResult {self.id} {self.benchmark}/{self.metric} {self.model}>"


class MethodologyCitation(Base):
    """A record cites a wiki page at one exact revision."""

    __tablename__ = "evaluation_methodology_citations"
    __table_args__ = (UniqueConstraint("record_id", "page_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_records.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int] = mapped_column(ForeignKey("wiki_pages.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("wiki_revisions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[EvaluationRecord] = relationship(back_populates="citations")
    page = relationship("Page")
    revision = relationship("Revision")

    def __repr__(self) -> str:
        return f"<MethodologyCitation record={self.record_id} page={self.page_id}>"

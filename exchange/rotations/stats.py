"""Rotation statistics: aggregate counts per institute, per program and between institutes.

Pure query functions, no Flask. Only counts, medians and sums leave this module: no name,
statement, score or comment of any application. Drafts are never counted (they belong to their
author until submitted), and the caller passes a condition on Program that keeps out programs
the reader may not see.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import distinct, false, func, select

from exchange.accounts.models import Institute
from exchange.extensions import db
from exchange.rotations.models import Application, ApplicationEvent, Placement, Program, State

DECISIONS = (State.OFFERED.value, State.WAITLISTED.value, State.REJECTED.value)
RELEASES = (State.HOME_ENDORSED.value, State.HOME_DECLINED.value)


@dataclass
class Decisions:
    """Applications counted once per outcome they ever reached (a waitlisted applicant offered a
    freed seat counts as waitlisted and as offered)."""

    applications: int = 0
    offered: int = 0
    waitlisted: int = 0
    rejected: int = 0
    days_to_decision: list[float] = field(default_factory=list, repr=False)

    @property
    def decided(self) -> int:
        return len(self.days_to_decision)

    @property
    def median_days(self) -> float | None:
        return median(self.days_to_decision)


@dataclass
class ProgramStats(Decisions):
    program_id: int = 0
    slug: str = ""
    title: str = ""
    host_code: str = ""
    status: str = ""
    seats: int = 0
    seats_taken: int = 0
    is_demo: bool = False


@dataclass
class InstituteStats(Decisions):
    institute_id: int = 0
    code: str = ""
    programs: int = 0
    applications_sent: int = 0
    released: int = 0
    not_released: int = 0
    people_sent: int = 0
    people_received: int = 0
    months_sent: float = 0.0
    months_received: float = 0.0

    @property
    def months_balance(self) -> float:
        return round(self.months_received - self.months_sent, 1)


@dataclass
class Exchange:
    """Placements from one home institute to one host institute."""

    home_code: str
    host_code: str
    people: int
    months: float


@dataclass
class Report:
    institutes: list[InstituteStats]
    programs: list[ProgramStats]
    exchanges: list[Exchange]

    @property
    def exchange_codes(self) -> list[str]:
        """The institutes that sent or received anyone, for the exchange matrix."""
        return sorted({e.home_code for e in self.exchanges} | {e.host_code for e in self.exchanges})

    def months(self, home_code: str, host_code: str) -> float:
        return sum(
            e.months for e in self.exchanges if (e.home_code, e.host_code) == (home_code, host_code)
        )


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def placement_months(start: date, end: date) -> float:
    """Length of a placement in months, counting the end day (1 Jan to 30 Jun is 6.0)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return round(max(0.0, months + (end.day - start.day + 1) / 30), 1)


def program_stats(program_clause) -> list[ProgramStats]:
    """Applications, decisions and time to decision for each program ``program_clause`` selects."""
    rows = {
        p.id: ProgramStats(
            program_id=p.id,
            slug=p.slug,
            title=p.title,
            host_code=code,
            status=p.status,
            seats=p.seats,
            seats_taken=p.seats_taken,
            is_demo=p.is_demo,
        )
        for p, code in db.session.execute(
            select(Program, Institute.code)
            .join(Institute, Institute.id == Program.host_institute_id)
            .where(program_clause)
            .order_by(Institute.code, Program.title, Program.id)
        )
    }
    submitted = Application.submitted_at.is_not(None)
    in_scope = Application.program_id.in_(list(rows)) if rows else false()
    for program_id, count in db.session.execute(
        select(Application.program_id, func.count())
        .where(submitted, in_scope)
        .group_by(Application.program_id)
    ):
        rows[program_id].applications = count
    for program_id, state, count in db.session.execute(
        select(
            Application.program_id, ApplicationEvent.to_state, func.count(distinct(Application.id))
        )
        .join(ApplicationEvent, ApplicationEvent.application_id == Application.id)
        .where(submitted, in_scope, ApplicationEvent.to_state.in_(DECISIONS))
        .group_by(Application.program_id, ApplicationEvent.to_state)
    ):
        setattr(rows[program_id], state, count)
    # Time to decision: from submission to the host's first decision (offer, waitlist, reject).
    for program_id, submitted_at, decided_at in db.session.execute(
        select(
            Application.program_id, Application.submitted_at, func.min(ApplicationEvent.created_at)
        )
        .join(ApplicationEvent, ApplicationEvent.application_id == Application.id)
        .where(submitted, in_scope, ApplicationEvent.to_state.in_(DECISIONS))
        .group_by(Application.id, Application.program_id, Application.submitted_at)
    ):
        if decided_at is not None and decided_at >= submitted_at:
            days = (decided_at - submitted_at).total_seconds() / 86_400
            rows[program_id].days_to_decision.append(days)
    return list(rows.values())


def institute_stats(
    programs: list[ProgramStats], placed: list[Exchange], program_clause
) -> list[InstituteStats]:
    """Per institute: as host (its programs' figures), as home (applications sent, releases),
    and person-months sent and received through placements."""
    institutes = db.session.execute(
        select(Institute.id, Institute.code, Institute.is_active).order_by(Institute.code)
    ).all()
    rows = {i: InstituteStats(institute_id=i, code=code) for i, code, _active in institutes}
    by_code = {row.code: row for row in rows.values()}
    for program in programs:
        host = by_code[program.host_code]
        host.programs += 1
        host.applications += program.applications
        host.offered += program.offered
        host.waitlisted += program.waitlisted
        host.rejected += program.rejected
        host.days_to_decision += program.days_to_decision
    visible = Application.program_id.in_(select(Program.id).where(program_clause))
    submitted = Application.submitted_at.is_not(None)
    for home_id, count in db.session.execute(
        select(Application.home_institute_id, func.count())
        .where(submitted, visible)
        .group_by(Application.home_institute_id)
    ):
        rows[home_id].applications_sent = count
    for home_id, state, count in db.session.execute(
        select(
            Application.home_institute_id,
            ApplicationEvent.to_state,
            func.count(distinct(Application.id)),
        )
        .join(ApplicationEvent, ApplicationEvent.application_id == Application.id)
        .where(submitted, visible, ApplicationEvent.to_state.in_(RELEASES))
        .group_by(Application.home_institute_id, ApplicationEvent.to_state)
    ):
        if state == State.HOME_ENDORSED.value:
            rows[home_id].released = count
        else:
            rows[home_id].not_released = count
    for exchange in placed:
        by_code[exchange.home_code].people_sent += exchange.people
        by_code[exchange.home_code].months_sent += exchange.months
        by_code[exchange.host_code].people_received += exchange.people
        by_code[exchange.host_code].months_received += exchange.months
    active = {i for i, _code, is_active in institutes if is_active}
    shown = [
        row
        for row in rows.values()
        if row.institute_id in active
        or row.programs
        or row.applications_sent
        or row.people_sent
        or row.people_received
    ]
    for row in shown:
        row.months_sent = round(row.months_sent, 1)
        row.months_received = round(row.months_received, 1)
    return shown


def exchanges() -> list[Exchange]:
    """People and person-months placed from each home institute with each host institute."""
    codes = dict(db.session.execute(select(Institute.id, Institute.code)).all())
    totals: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0.0])
    for home_id, host_id, start, end in db.session.execute(
        select(
            Placement.home_institute_id,
            Placement.host_institute_id,
            Placement.start_date,
            Placement.end_date,
        )
    ):
        total = totals[(codes[home_id], codes[host_id])]
        total[0] += 1
        total[1] += placement_months(start, end)
    return [
        Exchange(home, host, people, round(months, 1))
        for (home, host), (people, months) in sorted(totals.items())
    ]


def build_report(program_clause) -> Report:
    """Every figure of the statistics page, for the programs ``program_clause`` selects."""
    programs = program_stats(program_clause)
    placed = exchanges()
    institutes = institute_stats(programs, placed, program_clause)
    return Report(institutes=institutes, programs=programs, exchanges=placed)

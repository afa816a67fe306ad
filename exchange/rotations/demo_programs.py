"""Demo rotation programmes with applications in every state, loaded through the services.

The six programmes of the research notes (domain.md section 4) are hosted by the UK, US, Korea,
Japan, Singapore and the EU. Two of them ran in 2026 (one finished with an exit report, one is
running now), three take applications now and one opens in January 2027. Their applications are
driven through :func:`exchange.rotations.machine.apply` by the right people (applicant, home
coordinator, host coordinator, the system), dated with its ``now`` parameter so that the history
reads like a real one around "today", 27 November 2026. Every programme is flagged ``is_demo``;
applications have no flag of their own: they belong to demo accounts.

``load_demo_programs()`` must run after ``exchange.demo.load_demo_data()``. It is idempotent and
deterministic: programmes are looked up by slug and only the missing ones are created, each one
together with its applications, reviews, placements and exit report.

A programme needs a host coordinator, and an application a home coordinator to endorse it:
exchange.demo has a coordinator account at every institute that hosts or sends here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from sqlalchemy import delete, select

from exchange.accounts.models import Institute, User
from exchange.demo import demo_email
from exchange.extensions import db
from exchange.notifications.models import OutboxEmail
from exchange.rotations import machine, services
from exchange.rotations.models import Application, Program
from exchange.rotations.services import ApplicationFields, ProgramFields
from exchange.wiki.rendering import normalize_slug

NETWORK = (
    "KR-AISI",
    "UK-AISI",
    "US-CAISI",
    "JP-AISI",
    "SG-AISI",
    "CA-AISI",
    "EU-AIO",
    "FR-INESIA",
    "AU-AISI",
    "KE-AI",
)
DEMO_NOTE = (
    "> Demo programme: the team, dates and requirements are illustrative, not a real vacancy.\n\n"
)


def at(text: str) -> datetime:
    """'2026-11-20 10:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class DemoProgram:
    key: str
    host: str  # institute code; its demo coordinator runs the programme
    fields: ProgramFields  # eligible_ids / reviewer_ids are filled in from the codes below
    eligible: tuple[str, ...]  # institute codes (the host is never eligible anyway)
    reviewers: tuple[str, ...]  # local parts of the host's demo accounts

    @property
    def slug(self) -> str:
        return normalize_slug(self.fields.title)[:100]


@dataclass(frozen=True)
class Step:
    when: str
    action: str  # a machine transition, "review" or "exit_report"
    actor: str = ""  # for reviews: "CODE/local" of the reviewer
    reason: str = ""  # the transition's reason, or the review's comment
    scores: tuple[int, ...] = ()  # one per criterion, in order


@dataclass(frozen=True)
class DemoApplication:
    program: str  # DemoProgram.key
    applicant: str  # "CODE/local"
    drafted: str
    fields: ApplicationFields
    steps: tuple[Step, ...] = field(default_factory=tuple)


def step(when: str, action: str, reason: str = "") -> Step:
    return Step(when, action, reason=reason)


def review(when: str, who: str, scores: tuple[int, ...], comment: str) -> Step:
    return Step(when, "review", actor=who, reason=comment, scores=scores)


def _others(host: str) -> tuple[str, ...]:
    return tuple(c for c in NETWORK if c != host)


# --- the programmes ---------------------------------------------------------------------------

UK_CYBER = DemoProgram(
    key="uk-cyber",
    host="UK-AISI",
    eligible=_others("UK-AISI"),
    reviewers=("reviewer", "coordinator"),
    fields=ProgramFields(
        title="Cyber Evaluations Secondment",
        description=DEMO_NOTE
        + """\
Join the UK AI Security Institute's cyber evaluations team in London for six months and build
the capture-the-flag (CTF) tasks we use to test frontier models before deployment.

## What you would do

- Design, build and validate new CTF tasks in [Inspect](https://inspect.aisi.org.uk/) sandboxes,
  from web exploitation to cryptography and reverse engineering.
- Run the agentic cyber strand of the network's joint testing: agent scaffolds, attempt budgets,
  and triage of environment bugs versus genuine model failures.
- Review transcripts with the team and write up what a task does and does not measure.

## The team

About a dozen research engineers and offensive-security specialists. You would pair with a task
author for the first month and own a task family from the second.

## Requirements

- Hands-on offensive security experience (CTF competitions, penetration testing or exploit work).
- Python, Docker and comfort reading long agent transcripts.
- Security Check (SC) clearance or eligibility for it; we start the paperwork with your offer.

## What you would bring back

A validated task family your institute may run at home, the sandbox set-up, and the triage
checklist in [[agentic-testing-hygiene]]. See also [[cyber-ctf-suite-with-inspect-sandboxes]].
""",
        focus_areas="Cyber CTF task design; agentic cyber evaluations; Inspect sandboxes",
        skills_sought="Offensive security, Python, Docker, Inspect, transcript review",
        location="London, United Kingdom",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 8, 27),
        seats=2,
        opens_at=at("2026-10-12 09:00"),
        closes_at=at("2026-12-18 17:00"),
        required_clearance="security_check",
        offer_valid_days=21,
        status="open",
        criteria=[
            (
                "Evaluation engineering experience",
                3,
                "Has built or run evaluation suites, ideally sandboxed tasks in Inspect.",
            ),
            ("Offensive security skills", 3, "CTF, penetration testing or exploit development."),
            (
                "Agentic evaluation understanding",
                2,
                "Scaffolds, tool use and telling environment bugs from model failures.",
            ),
            ("What you will bring back", 1, "A concrete plan to use the work at home."),
        ],
    ),
)

US_MEASUREMENT = DemoProgram(
    key="us-measurement",
    host="US-CAISI",
    eligible=_others("US-CAISI"),
    reviewers=("reviewer", "coordinator"),
    fields=ProgramFields(
        title="Measurement Science Fellowship",
        description=DEMO_NOTE
        + """\
A four-month fellowship with the Center for AI Standards and Innovation (CAISI) at NIST in
Gaithersburg, Maryland, on the measurement science behind AI evaluations.

## What you would do

- Assess the validity of widely used benchmarks: construct validity, contamination and
  saturation.
- Work on the statistics of evaluation results: standard errors over samples and epochs,
  bootstrap confidence intervals, and comparisons "within the margin of error".
- Contribute to draft reporting guidance that network members could adopt.

## The team

CAISI's measurement group: statisticians, metrologists and evaluation engineers who work with
NIST's wider measurement laboratories.

## Requirements

- Solid applied statistics (resampling, hierarchical or mixed models) in Python or R.
- Experience designing or analysing benchmarks or human studies.
- Clear technical writing; drafts are reviewed by the whole group.

## What you would bring back

A reporting template and analysis notebooks for your institute's evaluation reports, and the
practice described in [[reporting-uncertainty]] and [[epoch-count-stderr]].
""",
        focus_areas="Benchmark validity; statistics of evaluation results; reporting standards",
        skills_sought="Applied statistics, Python or R, benchmark design, technical writing",
        location="Gaithersburg, Maryland, United States",
        start_date=date(2027, 5, 3),
        end_date=date(2027, 8, 27),
        seats=2,
        opens_at=at("2026-11-02 14:00"),
        closes_at=at("2027-01-15 22:00"),
        required_clearance="baseline",
        offer_valid_days=14,
        status="open",
        criteria=[
            ("Statistics and measurement", 3, "Resampling, uncertainty and study design."),
            ("Benchmark design experience", 2, "Has built, validated or audited a benchmark."),
            ("Writing and reporting", 2, "Clear, careful technical writing."),
            ("What you will bring back", 1, "A concrete plan to use the work at home."),
        ],
    ),
)

KR_KOREAN = DemoProgram(
    key="kr-korean",
    host="KR-AISI",
    eligible=("KR-AISI", "UK-AISI"),  # a KR-UK bilateral rotation
    reviewers=("reviewer", "coordinator"),
    fields=ProgramFields(
        title="Korean-Language Safety Evaluation Rotation",
        description=DEMO_NOTE
        + """\
A three-month rotation at the Korea AI Safety Institute (ETRI, Pangyo) under the KR-UK
bilateral arrangement. The 2026 round ran from August to October.

## What you would do

- Extend the Korean safety prompt sets: culturally contextualised prompts written by native
  speakers, not literal translations of English sets.
- Compare refusal and over-refusal between Korean and English on matched prompts.
- Help evaluate deepfake detection tools on Korean-language audio and video.

## The team

KR-AISI's evaluation team, working with members of the Korea AI Safety Consortium.

## Requirements

- Evaluation engineering experience (prompt sets, graders, Inspect or similar).
- Working Korean is a plus, not a requirement: you pair with native-speaker annotators.

## What you would bring back

The Korean prompt-set method ([[culturally-contextualised-multilingual-prompts]]), matched
Korean and English results such as [[korean-privacy-refusal-gap]], and an exit report.
""",
        focus_areas="Korean prompt sets; Korean vs English refusal gaps; deepfake detection",
        skills_sought="Evaluation engineering, multilingual prompt design, Korean (a plus)",
        location="Pangyo, Seongnam, Republic of Korea",
        start_date=date(2026, 8, 3),
        end_date=date(2026, 10, 30),
        seats=2,
        opens_at=at("2026-04-01 00:00"),
        closes_at=at("2026-05-15 09:00"),
        required_clearance="none",
        offer_valid_days=14,
        status="closed",
        criteria=[
            ("Evaluation engineering experience", 3, "Prompt sets, graders, evaluation runs."),
            ("Language skills", 2, "Korean, or experience working with native annotators."),
            ("Multimedia and deepfake evaluation", 2, "Audio or video detection evaluation."),
            ("What you will bring back", 1, "A concrete plan to use the work at home."),
        ],
    ),
)

JP_RED_TEAMING = DemoProgram(
    key="jp-red-teaming",
    host="JP-AISI",
    eligible=_others("JP-AISI"),
    reviewers=("reviewer", "coordinator"),
    fields=ProgramFields(
        title="Red-Teaming Methodology Exchange",
        description=DEMO_NOTE
        + """\
Six months with the Japan AI Safety Institute (IPA, Tokyo) on red-teaming methodology and
Japanese-language safeguards. The 2026 exchange runs from July to December.

## What you would do

- Co-author the next revision of the institute's red-teaming guide: planning, attack
  taxonomies, severity scales and reporting.
- Run red-teaming sessions on Japanese-language safeguards and compare them with English.
- Study how graders score indirect refusals in Japanese
  ([[japanese-indirect-refusals-misscored]]).

## The team

The evaluation and red-teaming group at IPA, with colleagues from METI's AI policy team.

## Requirements

- Red-teaming or jailbreak research experience.
- Japanese at business level is welcome; the working language of the group is Japanese and
  English.

## What you would bring back

A red-teaming plan template, an attack taxonomy aligned with the guide, and graders calibrated
for languages other than English.
""",
        focus_areas="Red-teaming guides; Japanese-language safeguards; grading indirect refusals",
        skills_sought="Red-teaming, jailbreak research, Japanese (welcome), methodology writing",
        location="Tokyo, Japan",
        start_date=date(2026, 7, 1),
        end_date=date(2026, 12, 23),
        seats=2,
        opens_at=at("2026-03-02 00:00"),
        closes_at=at("2026-04-17 09:00"),
        required_clearance="none",
        offer_valid_days=14,
        status="closed",
        criteria=[
            ("Red-teaming experience", 3, "Planned and run red-teaming or jailbreak studies."),
            ("Language skills", 2, "Japanese, or multilingual evaluation experience."),
            ("Methodology writing", 2, "Guides, protocols or taxonomies others can follow."),
            ("What you will bring back", 1, "A concrete plan to use the work at home."),
        ],
    ),
)

SG_AGENTIC = DemoProgram(
    key="sg-agentic",
    host="SG-AISI",
    eligible=_others("SG-AISI"),
    reviewers=("reviewer", "coordinator"),
    fields=ProgramFields(
        title="Agentic Common-Risks Rotation",
        description=DEMO_NOTE
        + """\
A three-month rotation with the Singapore AI Safety Institute (Digital Trust Centre) on the
common-risks strand of agentic testing: sensitive-information leakage and fraud.

## What you would do

- Build agentic scenarios in which a model handles personal data, payments or messages and can
  be led to leak data or commit fraud, including through injected instructions.
- Calibrate LLM judges against human annotators across several languages.
- Triage transcripts: task adherence, hallucinated tool use and environment bugs.

## The team

The Digital Trust Centre's testing team, which led the common-risks strand of the network's
July 2025 agentic testing exercise.

## Requirements

- Experience building or running agent evaluations.
- At least one language other than English is a plus for the judge calibration work.

## What you would bring back

A set of leakage and fraud scenarios you can run at home, the transcript triage of
[[agentic-testing-hygiene]] and a judge calibration protocol ([[llm-judge-human-calibration]]).
""",
        focus_areas="Agentic leakage and fraud scenarios; multilingual LLM judges",
        skills_sought="Agent evaluations, scenario design, judge calibration, languages",
        location="Singapore",
        start_date=date(2027, 2, 1),
        end_date=date(2027, 4, 30),
        seats=1,
        opens_at=at("2026-11-09 01:00"),
        closes_at=at("2026-12-11 09:00"),
        required_clearance="none",
        offer_valid_days=14,
        status="open",
        criteria=[
            ("Agentic evaluation experience", 3, "Built or ran agent tasks and scaffolds."),
            ("Multilingual judging", 2, "Judge calibration or annotation in several languages."),
            ("Scenario design", 2, "Realistic, reproducible scenarios with clear scoring."),
            ("What you will bring back", 1, "A concrete plan to use the work at home."),
        ],
    ),
)

EU_GPAI = DemoProgram(
    key="eu-gpai",
    host="EU-AIO",
    eligible=_others("EU-AIO"),
    reviewers=("coordinator",),
    fields=ProgramFields(
        title="GPAI Model Report Review Placement",
        description=DEMO_NOTE
        + """\
Six months at the European AI Office in Brussels reviewing documentation from providers of
general-purpose AI models with systemic risk. Applications open on 11 January 2027.

## What you would do

- Review model documentation and evaluation reports submitted by providers: what was tested,
  how, and whether the evidence supports the conclusions.
- Help analyse serious-incident reports and the follow-up asked of providers.
- Compare providers' evaluation methods with the network's shared practice.

## The team

The AI Office unit responsible for general-purpose AI models, working with the scientific
panel and national authorities.

## Requirements

- Experience running or reviewing frontier-model evaluations.
- Careful reading and writing; the work is confidential, so your institute must vouch for you.

## What you would bring back

A review checklist for model reports and a working knowledge of how systemic-risk
documentation is assessed.
""",
        focus_areas="Systemic-risk model documentation; incident reports; evaluation evidence",
        skills_sought="Evaluation review, risk assessment, incident analysis, careful writing",
        location="Brussels, Belgium",
        start_date=date(2027, 4, 1),
        end_date=date(2027, 9, 30),
        seats=3,
        opens_at=at("2027-01-11 08:00"),
        closes_at=at("2027-02-19 16:00"),
        required_clearance="official_sensitive",
        offer_valid_days=14,
        status="open",
        criteria=[
            ("Model documentation review", 3, "Read and judged evaluation reports or cards."),
            ("Systemic-risk knowledge", 2, "Cyber, CBRN, loss of control or societal risks."),
            ("Incident analysis", 2, "Investigated or analysed incidents."),
            ("What you will bring back", 1, "A concrete plan to use the work at home."),
        ],
    ),
)

DEMO_PROGRAMS = [UK_CYBER, US_MEASUREMENT, KR_KOREAN, JP_RED_TEAMING, SG_AGENTIC, EU_GPAI]

# --- applicants -------------------------------------------------------------------------------
KR_MEMBER, KR_REVIEWER = "KR-AISI/member", "KR-AISI/reviewer"
UK_MEMBER, UK_REVIEWER = "UK-AISI/member", "UK-AISI/reviewer"
US_REVIEWER, JP_REVIEWER = "US-CAISI/reviewer", "JP-AISI/reviewer"
SG_MEMBER, SG_REVIEWER = "SG-AISI/member", "SG-AISI/reviewer"

CHOI_SKILLS = "Korean safety prompt sets, red-teaming, Inspect, Python"
LEE_SKILLS = "Inspect, Docker sandboxes, web exploitation, reverse engineering, Python"
OKAFOR_SKILLS = "Evaluation engineering, multilingual prompt sets, statistics, Python"
WHITAKER_SKILLS = "Pre-deployment testing, cyber CTF tasks, agent scaffolds"
ALVAREZ_SKILLS = "Agent scaffolds, Cybench-style tasks, statistics, Python"
TANAKA_SKILLS = "Red-teaming, Japanese-language graders, Inspect, cryptography CTFs"
TAN_SKILLS = "Agentic scenarios, judge calibration, Malay and Mandarin annotation"
LIM_SKILLS = "Jailbreak robustness, LLM-as-judge, Python"

DEMO_APPLICATIONS = [
    # --- UK: Cyber Evaluations Secondment (open; two seats, both offered, two waitlisted) ---
    DemoApplication(
        "uk-cyber",
        KR_REVIEWER,
        "2026-10-20 08:40",
        ApplicationFields(
            statement=(
                "I run KR-AISI's cyber evaluation suite and reviewed the CTF tasks we "
                "contributed to the July 2025 agentic exercise. I want to learn how your team "
                "validates a task end to end (solvability checks, hint levels, environment "
                "health checks) and bring that process back to Pangyo, where we are building "
                "Korean-context cyber tasks for 2027."
            ),
            skills=LEE_SKILLS,
            languages="Korean (native), English (professional)",
            available_from=date(2027, 3, 1),
            available_until=date(2027, 8, 31),
        ),
        (
            step("2026-10-21 09:00", "submit"),
            step(
                "2026-10-23 10:15",
                "endorse",
                "Released for March to August 2027; KR-AISI continues his salary.",
            ),
            step("2026-10-27 11:00", "start_review"),
            review(
                "2026-11-03 15:20",
                "UK-AISI/reviewer",
                (4, 4, 4, 5),
                "Strong sandbox and reverse-engineering background; a clear plan for the "
                "Korean-context tasks.",
            ),
            review(
                "2026-11-04 09:45",
                "UK-AISI/coordinator",
                (4, 3, 4, 5),
                "Good fit for the task-validation work. Less exploit development than others.",
            ),
            step(
                "2026-11-16 10:00",
                "offer",
                "We would like you to join on 1 March 2027. The SC clearance forms follow.",
            ),
            step("2026-11-19 08:30", "accept"),
        ),
    ),
    DemoApplication(
        "uk-cyber",
        US_REVIEWER,
        "2026-10-27 16:00",
        ApplicationFields(
            statement=(
                "At CAISI I maintain our agent scaffolds for Cybench-style tasks and wrote our "
                "analysis of attempt budgets. A secondment on your cyber strand would let us "
                "align scaffolds and triage rules across the two institutes, so that joint "
                "results are comparable."
            ),
            skills=ALVAREZ_SKILLS,
            languages="English (native), Spanish (native)",
            available_from=date(2027, 3, 1),
            available_until=date(2027, 8, 31),
        ),
        (
            step("2026-10-28 13:30", "submit"),
            step("2026-10-30 15:00", "endorse"),
            step("2026-11-02 10:00", "start_review"),
            review(
                "2026-11-09 14:00",
                "UK-AISI/reviewer",
                (5, 3, 5, 4),
                "Excellent agentic-evaluation experience; offensive skills are more limited.",
            ),
            review(
                "2026-11-10 11:10",
                "UK-AISI/coordinator",
                (4, 3, 5, 4),
                "Would strengthen the joint agentic strand.",
            ),
            step(
                "2026-11-20 10:00",
                "offer",
                "Please reply within three weeks; the second seat is yours if you accept.",
            ),
        ),
    ),
    DemoApplication(
        "uk-cyber",
        JP_REVIEWER,
        "2026-10-25 07:00",
        ApplicationFields(
            statement=(
                "I lead JP-AISI's work on cryptography CTF tasks. I would like to learn your "
                "validation process and contribute cryptography tasks to the shared suite; "
                "back in Tokyo I would use the process for our Japanese-language cyber tasks."
            ),
            skills=TANAKA_SKILLS,
            languages="Japanese (native), English (professional)",
            available_from=date(2027, 3, 1),
            available_until=date(2027, 8, 31),
        ),
        (
            step("2026-10-26 02:00", "submit"),
            step("2026-10-29 01:30", "endorse"),
            step("2026-11-02 10:30", "start_review"),
            review(
                "2026-11-12 16:00",
                "UK-AISI/reviewer",
                (4, 4, 3, 4),
                "Strong cryptography tasks; less agentic work so far.",
            ),
            review(
                "2026-11-13 09:00",
                "UK-AISI/coordinator",
                (4, 4, 3, 4),
                "A good candidate; first reserve.",
            ),
            step(
                "2026-11-20 10:30",
                "waitlist",
                "Both seats are offered; you are first on the waitlist.",
            ),
        ),
    ),
    DemoApplication(
        "uk-cyber",
        SG_MEMBER,
        "2026-11-02 06:00",
        ApplicationFields(
            statement=(
                "I built the fraud and data-leakage scenarios of the common-risks strand. I "
                "would like to work on the cyber strand to bring both strands onto one "
                "harness and one set of triage rules."
            ),
            skills=TAN_SKILLS,
            languages="English (native), Malay (native), Mandarin (professional)",
            available_from=date(2027, 3, 1),
            available_until=date(2027, 8, 31),
        ),
        (
            step("2026-11-03 03:00", "submit"),
            step("2026-11-04 02:00", "endorse"),
            step("2026-11-09 09:30", "start_review"),
            review(
                "2026-11-13 15:00",
                "UK-AISI/reviewer",
                (4, 2, 4, 4),
                "Very good on agent scenarios; little offensive security experience.",
            ),
            review(
                "2026-11-16 10:20",
                "UK-AISI/coordinator",
                (3, 2, 4, 4),
                "Second reserve.",
            ),
            step(
                "2026-11-20 10:45",
                "waitlist",
                "Both seats are offered; you are second on the waitlist.",
            ),
        ),
    ),
    DemoApplication(
        "uk-cyber",
        SG_REVIEWER,
        "2026-11-15 05:00",
        ApplicationFields(
            statement=(
                "I review jailbreak-robustness results at SG-AISI and want to learn how agentic "
                "cyber tasks are validated, to build a small cyber suite for Singapore."
            ),
            skills=LIM_SKILLS,
            languages="English (native), Mandarin (native)",
            available_from=date(2027, 3, 1),
            available_until=date(2027, 8, 31),
        ),
        (
            step("2026-11-16 02:30", "submit"),
            step("2026-11-18 03:00", "endorse"),
            step("2026-11-23 09:00", "start_review"),
            review(
                "2026-11-26 14:30",
                "UK-AISI/reviewer",
                (3, 3, 3, 4),
                "Solid evaluation background; cyber experience mostly from CTF competitions.",
            ),
        ),
    ),
    DemoApplication(
        "uk-cyber",
        KR_MEMBER,
        "2026-11-24 12:00",
        ApplicationFields(
            statement=(
                "Draft: after the Tokyo exchange I would like to bring red-teaming practice to "
                "cyber tasks. To finish before the window closes."
            ),
            skills=CHOI_SKILLS,
            languages="Korean (native), English (professional), Japanese (basic)",
        ),
    ),
    # --- US: Measurement Science Fellowship (open) ---
    DemoApplication(
        "us-measurement",
        UK_MEMBER,
        "2026-11-03 18:00",
        ApplicationFields(
            statement=(
                "During my KR-AISI rotation I compared Korean and English refusal rates and "
                "had to decide when a gap is real. I would like to learn CAISI's practice for "
                "standard errors, clustered samples and reporting, and write it up for UK-AISI."
            ),
            skills=OKAFOR_SKILLS,
            languages="English (native), Korean (basic)",
            available_from=date(2027, 5, 3),
            available_until=date(2027, 8, 27),
        ),
        (
            step("2026-11-04 10:00", "submit"),
            step("2026-11-05 09:00", "endorse"),
            step("2026-11-09 15:00", "start_review"),
            review(
                "2026-11-13 14:00",
                "US-CAISI/reviewer",
                (4, 4, 5, 5),
                "Thoughtful statement; good applied statistics.",
            ),
            review(
                "2026-11-13 19:30",
                "US-CAISI/coordinator",
                (4, 3, 5, 5),
                "Recommend an offer.",
            ),
            step("2026-11-18 15:00", "offer"),
            step(
                "2026-11-23 09:10",
                "decline",
                "The May to August dates clash with our summer testing window; I hope to apply "
                "to a later round.",
            ),
        ),
    ),
    DemoApplication(
        "us-measurement",
        UK_REVIEWER,
        "2026-11-04 20:00",
        ApplicationFields(
            statement=(
                "I review pre-deployment evaluation results at UK-AISI and would like to work "
                "on benchmark validity: which of our cyber tasks still separate models, and "
                "how to report saturation."
            ),
            skills=WHITAKER_SKILLS,
            languages="English (native), French (basic)",
            available_from=date(2027, 5, 3),
            available_until=date(2027, 8, 27),
        ),
        (
            step("2026-11-05 11:00", "submit"),
            step("2026-11-06 09:30", "endorse"),
            step("2026-11-10 14:00", "start_review"),
            review(
                "2026-11-17 16:00",
                "US-CAISI/reviewer",
                (3, 4, 4, 4),
                "Good benchmark experience; statistics are adequate.",
            ),
            review(
                "2026-11-24 18:00",
                "US-CAISI/coordinator",
                (3, 4, 3, 4),
                "Waiting for the rest of the pool before deciding.",
            ),
        ),
    ),
    DemoApplication(
        "us-measurement",
        SG_MEMBER,
        "2026-11-23 07:00",
        ApplicationFields(
            statement=(
                "I calibrate LLM judges against human annotators in four languages. I would "
                "like to learn how CAISI measures agreement and its uncertainty."
            ),
            skills=TAN_SKILLS,
            languages="English (native), Malay (native), Mandarin (professional)",
            available_from=date(2027, 5, 3),
            available_until=date(2027, 8, 27),
        ),
        (
            step("2026-11-24 02:00", "submit"),
            step("2026-11-26 03:30", "endorse", "Endorsed; SG-AISI will fund travel."),
        ),
    ),
    DemoApplication(
        "us-measurement",
        JP_REVIEWER,
        "2026-11-24 09:00",
        ApplicationFields(
            statement=(
                "I would like to work on how to report evaluation results with uncertainty for "
                "Japanese-language benchmarks, which are small."
            ),
            skills=TANAKA_SKILLS,
            languages="Japanese (native), English (professional)",
            available_from=date(2027, 5, 3),
            available_until=date(2027, 8, 27),
        ),
        (step("2026-11-25 01:00", "submit"),),
    ),
    # --- KR: Korean-Language Safety Evaluation Rotation (ran August-October 2026) ---
    DemoApplication(
        "kr-korean",
        UK_MEMBER,
        "2026-04-06 10:00",
        ApplicationFields(
            statement=(
                "I build UK-AISI's multilingual prompt sets. Our Korean set is a literal "
                "translation and I suspect it under-measures the safeguard gap. I would like to "
                "learn KR-AISI's method for culturally contextualised prompts and run matched "
                "Korean and English comparisons."
            ),
            skills=OKAFOR_SKILLS,
            languages="English (native), Korean (basic)",
            available_from=date(2026, 8, 3),
            available_until=date(2026, 10, 30),
        ),
        (
            step("2026-04-08 09:00", "submit"),
            step("2026-04-10 12:00", "endorse", "Released for August to October."),
            step("2026-05-18 01:00", "start_review"),
            review(
                "2026-05-21 02:00",
                "KR-AISI/reviewer",
                (4, 2, 3, 5),
                "Strong evaluation engineer; basic Korean is fine with our annotators.",
            ),
            review(
                "2026-05-22 05:00",
                "KR-AISI/coordinator",
                (5, 2, 3, 5),
                "Her plan to replace the literal-translation set at UK-AISI is exactly the aim "
                "of the bilateral.",
            ),
            step("2026-05-29 02:00", "offer", "Welcome to Pangyo from 3 August."),
            step("2026-06-02 08:00", "accept"),
            step("2026-07-20 01:00", "place"),
            step("2026-10-30 08:00", "complete", "Thank you, Grace."),
            step("2026-11-06 10:00", "exit_report"),
        ),
    ),
    DemoApplication(
        "kr-korean",
        UK_REVIEWER,
        "2026-04-19 17:00",
        ApplicationFields(
            statement=(
                "I would like to work on deepfake detection evaluation in Korean-language "
                "video, and bring the method back to UK-AISI."
            ),
            skills=WHITAKER_SKILLS,
            languages="English (native)",
            available_from=date(2026, 8, 3),
            available_until=date(2026, 10, 30),
        ),
        (
            step("2026-04-20 09:00", "submit"),
            step(
                "2026-04-22 14:00",
                "decline_release",
                "Tom leads the pre-deployment testing window in August and September; we "
                "cannot release him this round. Please apply again next year.",
            ),
        ),
    ),
    # --- JP: Red-Teaming Methodology Exchange (running July-December 2026) ---
    DemoApplication(
        "jp-red-teaming",
        KR_MEMBER,
        "2026-03-09 10:00",
        ApplicationFields(
            statement=(
                "I write KR-AISI's Korean jailbreak prompt sets. Korean and Japanese share "
                "indirect ways of refusing that English-tuned graders miss. I would like to "
                "co-author the red-teaming guide and bring a shared taxonomy back to Pangyo."
            ),
            skills=CHOI_SKILLS,
            languages="Korean (native), English (professional), Japanese (basic)",
            available_from=date(2026, 7, 1),
            available_until=date(2026, 12, 23),
        ),
        (
            step("2026-03-10 01:00", "submit"),
            step("2026-03-12 02:00", "endorse", "Released for the full six months."),
            step("2026-04-20 01:00", "start_review"),
            review(
                "2026-04-27 06:00",
                "JP-AISI/reviewer",
                (5, 3, 4, 5),
                "Her Korean jailbreak sets are directly relevant to our guide.",
            ),
            review(
                "2026-04-28 07:00",
                "JP-AISI/coordinator",
                (4, 3, 4, 5),
                "Recommend an offer.",
            ),
            step("2026-05-08 03:00", "offer"),
            step("2026-05-12 00:30", "accept"),
            step("2026-06-15 02:00", "place"),
        ),
    ),
    DemoApplication(
        "jp-red-teaming",
        US_REVIEWER,
        "2026-03-19 15:00",
        ApplicationFields(
            statement=(
                "I would like to bring CAISI's agent red-teaming protocols to the guide and "
                "learn how JP-AISI runs Japanese-language sessions."
            ),
            skills=ALVAREZ_SKILLS,
            languages="English (native), Spanish (native)",
            available_from=date(2026, 7, 1),
            available_until=date(2026, 12, 23),
        ),
        (
            step("2026-03-20 14:00", "submit"),
            step("2026-03-24 15:00", "endorse"),
            step("2026-04-20 01:30", "start_review"),
            review(
                "2026-04-29 05:00",
                "JP-AISI/reviewer",
                (4, 2, 4, 4),
                "Good red-teaming protocols; no Japanese.",
            ),
            review(
                "2026-04-30 06:00",
                "JP-AISI/coordinator",
                (4, 2, 4, 4),
                "Offer the second seat.",
            ),
            step("2026-05-08 03:30", "offer"),
            step("2026-05-23 00:00", "expire"),  # no answer within 14 days
        ),
    ),
    DemoApplication(
        "jp-red-teaming",
        SG_REVIEWER,
        "2026-04-01 03:00",
        ApplicationFields(
            statement=(
                "I measure jailbreak robustness at SG-AISI and would like to learn structured "
                "red-teaming methods."
            ),
            skills=LIM_SKILLS,
            languages="English (native), Mandarin (native)",
            available_from=date(2026, 7, 1),
            available_until=date(2026, 12, 23),
        ),
        (
            step("2026-04-02 02:00", "submit"),
            step("2026-04-06 03:00", "endorse"),
            step("2026-04-20 02:00", "start_review"),
            review(
                "2026-04-30 05:30",
                "JP-AISI/reviewer",
                (3, 2, 2, 3),
                "Promising but little red-teaming experience beyond automated attacks.",
            ),
            review(
                "2026-05-01 04:00",
                "JP-AISI/coordinator",
                (3, 2, 2, 3),
                "Not this round.",
            ),
            step(
                "2026-05-08 04:00",
                "reject",
                "Thank you for applying. This round needs people who have led manual "
                "red-teaming sessions; please apply again once you have.",
            ),
        ),
    ),
    DemoApplication(
        "jp-red-teaming",
        UK_REVIEWER,
        "2026-04-09 16:00",
        ApplicationFields(
            statement="I would like to compare UK-AISI's red-teaming guide with JP-AISI's.",
            skills=WHITAKER_SKILLS,
            languages="English (native)",
            available_from=date(2026, 7, 1),
            available_until=date(2026, 12, 23),
        ),
        (
            step("2026-04-10 09:00", "submit"),
            step("2026-04-14 10:00", "endorse"),
            step(
                "2026-04-16 08:00",
                "withdraw",
                "I have been asked to lead our summer pre-deployment testing window.",
            ),
        ),
    ),
    # --- SG: Agentic Common-Risks Rotation (open) ---
    DemoApplication(
        "sg-agentic",
        UK_MEMBER,
        "2026-11-09 18:00",
        ApplicationFields(
            statement=(
                "I would like to build multilingual leakage and fraud scenarios, using what I "
                "learnt about culturally contextualised prompts in Pangyo."
            ),
            skills=OKAFOR_SKILLS,
            languages="English (native), Korean (basic)",
            available_from=date(2027, 2, 1),
            available_until=date(2027, 4, 30),
        ),
        (
            step("2026-11-10 09:00", "submit"),
            step("2026-11-11 09:30", "endorse"),
            step("2026-11-16 02:00", "start_review"),
            review(
                "2026-11-20 06:00",
                "SG-AISI/reviewer",
                (4, 4, 4, 5),
                "Her multilingual prompt work fits the judge calibration.",
            ),
            review(
                "2026-11-23 03:00",
                "SG-AISI/coordinator",
                (3, 4, 4, 5),
                "Strong; decide when the window closes.",
            ),
        ),
    ),
    DemoApplication(
        "sg-agentic",
        KR_REVIEWER,
        "2026-11-09 23:00",
        ApplicationFields(
            statement="I would like to add agentic fraud scenarios to our Korean-context suite.",
            skills=LEE_SKILLS,
            languages="Korean (native), English (professional)",
            available_from=date(2027, 2, 1),
            available_until=date(2027, 4, 30),
        ),
        (
            step("2026-11-10 14:00", "submit"),
            step("2026-11-11 01:00", "endorse"),
            step("2026-11-16 02:30", "start_review"),
            step(
                "2026-11-19 09:00",
                "withdraw",
                "I accepted the UK AISI cyber secondment, whose dates overlap.",
            ),
        ),
    ),
    DemoApplication(
        "sg-agentic",
        US_REVIEWER,
        "2026-11-17 20:00",
        ApplicationFields(
            statement=(
                "I would like to compare fraud-scenario results across scaffolds and bring the "
                "scenarios into CAISI's agent suite."
            ),
            skills=ALVAREZ_SKILLS,
            languages="English (native), Spanish (native)",
            available_from=date(2027, 2, 1),
            available_until=date(2027, 4, 30),
        ),
        (
            step("2026-11-18 15:00", "submit"),
            step("2026-11-20 16:00", "endorse"),
        ),
    ),
    # --- EU: GPAI Model Report Review Placement (opens January 2027) ---
    DemoApplication(
        "eu-gpai",
        SG_MEMBER,
        "2026-11-25 04:00",
        ApplicationFields(
            statement="Draft, to submit when the window opens in January.",
            skills=TAN_SKILLS,
            languages="English (native), Malay (native), Mandarin (professional)",
        ),
    ),
]

EXIT_REPORT_TITLE = "Exit report: Korean-Language Safety Evaluation Rotation 2026 (demo)"
EXIT_REPORT = """\
> Demo exit report: the people and the placement are fictional, and every number is illustrative.

## What I did

Three months (3 August to 30 October 2026) with KR-AISI's evaluation team in Pangyo:

- wrote 140 Korean privacy prompts with two native-speaker annotators, following
  [[culturally-contextualised-multilingual-prompts]] instead of translating our English set;
- ran matched Korean and English comparisons on four demo models, which fed
  [[korean-privacy-refusal-gap]];
- sat in on the deepfake detection evaluation of Korean-language video.

## What worked

- Writing prompts from Korean scenarios (banking apps, resident registration numbers, KakaoTalk
  messages) found gaps that our translated set missed.
- Reviewing graders with the annotators every week kept the judge honest.

## What was hard

- Honorifics change how a refusal reads; English-tuned graders scored some polite refusals as
  compliance.
- Three months is short: the deepfake work needed more time than I had.

## What I bring back to UK-AISI

1. Retire the literal-translation Korean set and adopt the contextualised one (shared under the
   KR-UK arrangement).
2. Report Korean and English results side by side with standard errors.
3. A standing monthly call between the two teams.
"""


# --- loading ----------------------------------------------------------------------------------


class _Loader:
    def __init__(self) -> None:
        self.codes = {i.code: i for i in db.session.scalars(select(Institute))}
        missing = {p.host for p in DEMO_PROGRAMS} - set(self.codes)
        if missing:
            raise RuntimeError(f"demo institutes {sorted(missing)} are missing; load demo data")
        self.users: dict[str, User] = {}

    def user(self, ref: str) -> User:
        if ref not in self.users:
            code, local = ref.split("/")
            user = db.session.scalar(select(User).where(User.email == demo_email(code, local)))
            if user is None:
                raise RuntimeError(f"demo account {ref} is missing; load the demo accounts")
            self.users[ref] = user
        return self.users[ref]

    def coordinator(self, code: str) -> User:
        return self.user(f"{code}/coordinator")

    def fields(self, demo: DemoProgram, status: str) -> ProgramFields:
        return replace(
            demo.fields,
            status=status,
            eligible_ids=[self.codes[c].id for c in demo.eligible],
            reviewer_ids=[self.user(f"{demo.host}/{local}").id for local in demo.reviewers],
        )

    def load(self, demo: DemoProgram) -> None:
        host = self.coordinator(demo.host)
        # Applications are seeded while the programme is open (submitting needs that); a
        # programme whose round is over is closed afterwards.
        program = services.save_program(host, None, self.fields(demo, "open"), is_demo=True)
        timeline = []
        mine = [d for d in DEMO_APPLICATIONS if d.program == demo.key]
        for a, demo_app in enumerate(mine):
            timeline.append((at(demo_app.drafted), a, -1, demo_app, None))
            timeline += [(at(s.when), a, n, demo_app, s) for n, s in enumerate(demo_app.steps)]
        applications: dict[int, Application] = {}
        for when, a, _n, demo_app, current in sorted(timeline, key=lambda t: t[:3]):
            applicant = self.user(demo_app.applicant)
            if current is None:
                application = services.save_draft(applicant, program, demo_app.fields)
                application.created_at = application.updated_at = when
                db.session.commit()
                applications[a] = application
            else:
                self.run(current, applications[a], applicant, program, when)
        if demo.fields.status != "open":
            services.save_program(host, program, self.fields(demo, demo.fields.status))

    def run(self, current: Step, application, applicant, program, when: datetime) -> None:
        if current.action == "review":
            scores = dict(zip([c.id for c in program.criteria], current.scores, strict=True))
            row = services.save_review(
                self.user(current.actor), application, scores, current.reason
            )
            row.submitted_at = when
            db.session.commit()
        elif current.action == "exit_report":
            page = services.file_exit_report(
                applicant, application, EXIT_REPORT_TITLE, EXIT_REPORT, "network", []
            )
            page.is_demo = True
            db.session.commit()
        else:
            transition = machine.TRANSITIONS[current.action]
            actor = {
                machine.APPLICANT: applicant,
                machine.HOME: self.coordinator(applicant.institute.code),
                machine.HOST: self.coordinator(program.host_institute.code),
                machine.SYSTEM: None,
            }[transition.actor]
            machine.apply(actor, application, current.action, current.reason, now=when)


def load_demo_programs() -> int:
    """Create the demo programmes that are missing; return how many were created."""
    codes = {i.code: i for i in db.session.scalars(select(Institute))}
    if not {"SG-AISI", "EU-AIO"} <= set(codes):
        raise RuntimeError("demo institutes are missing; load the demo data first")
    todo = [
        demo
        for demo in DEMO_PROGRAMS
        if db.session.scalar(select(Program.id).where(Program.slug == demo.slug)) is None
    ]
    if not todo:
        return 0
    outbox_before = db.session.scalar(select(OutboxEmail.id).order_by(OutboxEmail.id.desc()))
    loader = _Loader()
    for demo in todo:
        loader.load(demo)
    # The transitions queued e-mails to the demo accounts' reserved .example addresses about
    # events months ago; drop them (the in-app notices stay).
    db.session.execute(
        delete(OutboxEmail).where(
            OutboxEmail.id > (outbox_before or 0),
            OutboxEmail.recipient.in_(select(User.email).where(User.is_demo.is_(True))),
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return len(todo)

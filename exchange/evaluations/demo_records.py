"""Demo evaluation records, created through the ordinary services and flagged ``is_demo``.

Two kinds of record live here:

* records that describe **public information only**: the joint US AISI / UK AISI pre-deployment
  reports and the network's joint testing exercises. They hold no results rows: their numbers
  are in the published reports, and nothing is invented here;
* **fictional** records about "Model A" ... "Model F" (developer "Demo Lab") whose numbers match
  the demo findings in ``exchange/wiki/demo/*.md``.

``load_demo_records()`` must run after ``exchange.demo.load_demo_data()`` (institutes, accounts)
and ``exchange.wiki.demo_loader.load_demo_pages()`` (the methodology pages that records cite).
It is idempotent: records are looked up by slug and only the missing ones are created.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from exchange.accounts.models import Institute, User
from exchange.demo import demo_email
from exchange.evaluations import services
from exchange.evaluations.models import RecordStatus, RecordType
from exchange.evaluations.services import RecordFields, ResultRow
from exchange.extensions import db
from exchange.wiki.services import find_page

PUBLISHED = RecordStatus.PUBLISHED.value
IN_REVIEW = RecordStatus.IN_REVIEW.value
DRAFT = RecordStatus.DRAFT.value

# Who writes the records of an institute, and who publishes them (a reviewer or coordinator).
AUTHORS = {
    "KR-AISI": "member",
    "UK-AISI": "member",
    "US-CAISI": "coordinator",
    "JP-AISI": "coordinator",
    "SG-AISI": "member",
}
APPROVERS = {
    "KR-AISI": "reviewer",
    "UK-AISI": "reviewer",
    "US-CAISI": "reviewer",
    "JP-AISI": "reviewer",
    "SG-AISI": "reviewer",
}

FICTIONAL = "Demo Lab"


@dataclass(frozen=True)
class DemoRecord:
    slug: str
    owner: str  # institute code; the author is a demo account of this institute
    status: str  # draft | in_review | published
    fields: RecordFields  # reader_ids / participant_ids are filled in from the codes below
    readers: tuple[str, ...] = ()  # institutes that may read it (visibility "institutes")
    participants: tuple[str, ...] = ()
    results: tuple[ResultRow, ...] = ()
    methodology: tuple[str, ...] = ()  # slugs of demo wiki pages to cite
    approver: str = ""  # local part of the publishing account; default APPROVERS[owner]

    @property
    def is_fictional(self) -> bool:
        return self.fields.model_developer == FICTIONAL


def _rows(
    benchmark: str,
    metric: str,
    domain: str,
    n: int,
    values: list[tuple[str, float, float, bool]],
) -> tuple[ResultRow, ...]:
    """Results of several models on one benchmark: (model, value, stderr, is_reference)."""
    return tuple(
        ResultRow(
            benchmark=benchmark,
            metric=metric,
            model=model,
            value=value,
            stderr=stderr,
            is_reference=is_reference,
            n_samples=n,
            risk_domain=domain,
        )
        for model, value, stderr, is_reference in values
    )


REAL_NOTE = (
    "Demo record describing public information only. It summarises a published report and "
    "holds no results of its own."
)
REAL_CITATIONS_NOTE = (
    "The methodology pages cited below are demo wiki pages on related practice, not the methods "
    "of the published report."
)
FICTIONAL_NOTE = (
    'Demo record: {models} fictional (developer "Demo Lab") and every number is illustrative.'
)

# --- records describing public information (no results rows) ----------------------------------

REAL_RECORDS = [
    DemoRecord(
        slug="demo-us-uk-upgraded-claude-3-5-sonnet-pre-deployment",
        owner="UK-AISI",
        participants=("US-CAISI",),
        status=PUBLISHED,
        fields=RecordFields(
            title=(
                "Pre-deployment evaluation of the upgraded Claude 3.5 Sonnet "
                "(US AISI and UK AISI, November 2024)"
            ),
            record_type=RecordType.PRE_DEPLOYMENT.value,
            visibility="public",
            reference_models="Claude 3.5 Sonnet (earlier version), OpenAI o1-preview, GPT-4o",
            summary=(
                f"{REAL_NOTE}\n\n"
                "In November 2024 the US AI Safety Institute (now the US Center for AI Standards "
                "and Innovation) and the UK AI Safety Institute (now the AI Security Institute) "
                "published a joint pre-deployment evaluation of Anthropic's upgraded Claude 3.5 "
                "Sonnet, released on 22 October 2024, on aisi.gov.uk and nist.gov.\n\n"
                "The institutes tested the model during a limited period of pre-deployment "
                "access and shared their findings with Anthropic before the model was publicly "
                "released. They ran separate but complementary tests in four domains: "
                "(1) biological capabilities, (2) cyber capabilities, (3) software and AI "
                "development, and (4) safeguard efficacy. Techniques included question "
                "answering, agent tasks, qualitative probing and benchmarking.\n\n"
                "Reference models, used only for relative comparison: the earlier version of "
                "Claude 3.5 Sonnet, OpenAI o1-preview and GPT-4o."
            ),
            model_developer="Anthropic",
            model_name="Claude 3.5 Sonnet (upgraded)",
            model_version="pre-deployment version of the model released on 22 October 2024",
            elicitation={
                "notes": (
                    "Question answering, agent tasks, qualitative probing and benchmarking. "
                    "Scaffolds, attempts and limits are described in the published technical "
                    "report, not here."
                ),
            },
            headline_finding=(
                "The report gives a snapshot of findings in each of the four domains, comparing "
                "the upgraded model with the reference models to assess its relative capability "
                'improvements. It makes no "safe" or "unsafe" judgement. The findings were '
                "shared with Anthropic before release."
            ),
            caveats=(
                "The numeric results are in the published report and its technical report; "
                "this demo record does not reproduce them.\n"
                "The report notes that smaller differences in model performance may fall within "
                "the margins of error of its tests.\n"
                "Comparisons with the reference models are meant only to assess relative "
                "capability improvements, to aid scientific interpretation.\n"
                f"{REAL_CITATIONS_NOTE}"
            ),
            domains=["biological", "cyber", "software_ai_development", "safeguard_efficacy"],
            techniques=["question_answering", "agent_task", "qualitative_probing", "benchmarking"],
            languages=["en"],
        ),
        methodology=("reference-model-comparisons", "reporting-uncertainty"),
    ),
    DemoRecord(
        slug="demo-us-uk-openai-o1-pre-deployment",
        owner="UK-AISI",
        participants=("US-CAISI",),
        status=PUBLISHED,
        fields=RecordFields(
            title="Pre-deployment evaluation of OpenAI o1 (US AISI and UK AISI, December 2024)",
            record_type=RecordType.PRE_DEPLOYMENT.value,
            visibility="public",
            reference_models=("OpenAI o1-preview, GPT-4o, Claude 3.5 Sonnet (both versions)"),
            summary=(
                f"{REAL_NOTE}\n\n"
                "In December 2024 the US AI Safety Institute (now the US Center for AI Standards "
                "and Innovation) and the UK AI Safety Institute (now the AI Security Institute) "
                "published a joint pre-deployment evaluation of OpenAI's o1, released on "
                "5 December 2024.\n\n"
                "The institutes tested the model during a limited period of pre-deployment "
                "access and shared their findings with OpenAI before release. They ran separate "
                "but complementary tests in three domains: (1) cyber capabilities, "
                "(2) biological capabilities and (3) software and AI development.\n\n"
                "Reference models, used only for relative comparison: OpenAI o1-preview, GPT-4o, "
                "and both the upgraded and the earlier version of Claude 3.5 Sonnet."
            ),
            model_developer="OpenAI",
            model_name="OpenAI o1",
            model_version="pre-deployment version of the model released on 5 December 2024",
            elicitation={
                "scaffold": (
                    "Agent designs adapted for o1: adjusted prompts and simple mechanisms to help "
                    "the agent recover from errors"
                ),
                "notes": (
                    "The tested version of o1 had performance issues with tool calling and output "
                    "formatting. The institutes adapted their agent scaffolding to address them; "
                    "the results reflect o1's performance with this scaffolding in place."
                ),
            },
            headline_finding=(
                "The report compares o1 with the reference models in cyber, biological and "
                "software and AI development tasks, to assess its relative capability "
                'improvements. It makes no "safe" or "unsafe" judgement. The findings were '
                "shared with OpenAI before release."
            ),
            caveats=(
                "Elicitation caveat: o1 showed tool-calling and output-format problems, so the "
                "institutes adapted the agent scaffolding (prompt changes, error recovery). The "
                "results reflect o1's performance with this scaffolding; a version better "
                "optimised for tool use might perform better on many evaluations, and the report "
                "makes no claims about other versions of o1.\n"
                "The numeric results are in the published report and its technical report; "
                "this demo record does not reproduce them.\n"
                "Comparisons with the reference models are meant only to assess relative "
                "capability improvements.\n"
                f"{REAL_CITATIONS_NOTE}"
            ),
            domains=["cyber", "biological", "software_ai_development"],
            techniques=["question_answering", "agent_task", "benchmarking"],
            languages=["en"],
        ),
        methodology=("reference-model-comparisons", "elicitation-checklist"),
    ),
    DemoRecord(
        slug="demo-network-first-joint-testing-exercise-2024",
        owner="US-CAISI",
        participants=("UK-AISI", "SG-AISI"),
        status=PUBLISHED,
        fields=RecordFields(
            title="First joint testing exercise of the network (November 2024)",
            record_type=RecordType.JOINT_TESTING_EXERCISE.value,
            visibility="network",
            summary=(
                "Demo record describing public information only. It holds no results of its "
                "own.\n\n"
                "The International Network of AI Safety Institutes ran its first joint testing "
                "exercise in November 2024, the month of its launch convening in San Francisco. "
                "It was led by the US, UK and Singapore institutes and tested Meta's Llama 3.1 "
                "405B. Reported topics were general academic knowledge, closed-domain "
                "hallucination and multilingual capability."
            ),
            model_developer="Meta",
            model_name="Llama 3.1 405B",
            model_access="open_weights",
            elicitation={
                "notes": (
                    "A pilot of joint testing across institutes; the set-up is described in the "
                    "network's own publications, not here."
                ),
            },
            headline_finding=(
                "A first pilot of joint testing by the network's institutes. This record notes "
                "only that the exercise took place, who led it and its reported topics; no "
                "results or findings are reproduced here."
            ),
            caveats=(
                "The topics are as reported publicly; this record holds no numeric results and "
                "makes no claim about the model's safety.\n"
                f"{REAL_CITATIONS_NOTE.replace('published report', 'exercise')}"
            ),
            domains=["hallucination", "multilingual_safety"],
            techniques=["question_answering", "benchmarking"],
        ),
        methodology=("reporting-uncertainty",),
    ),
    DemoRecord(
        slug="demo-network-multilingual-joint-testing-2025",
        owner="SG-AISI",
        participants=("JP-AISI", "UK-AISI"),
        status=PUBLISHED,
        fields=RecordFields(
            title=(
                "Improving Methodologies for AI Model Evaluations Across Global Languages "
                "(joint testing exercise, February 2025)"
            ),
            record_type=RecordType.JOINT_TESTING_EXERCISE.value,
            visibility="network",
            summary=(
                "Demo record describing public information only. It holds no results of its "
                "own.\n\n"
                "A joint testing exercise of the network led by Singapore, Japan and the UK. Two "
                "models, Mistral Large and Gemma 2 27B, were tested in ten languages: English, "
                "Cantonese, Farsi, French, Japanese, Korean, Kiswahili, Malay, Mandarin Chinese "
                "and Telugu.\n\n"
                "The exercise used more than 6,000 newly translated prompts, plus more than "
                "130,000 cyber prompts and 40 agentic cyber tasks, across five harm categories: "
                "privacy, intellectual property, non-violent crime, violent crime and jailbreak "
                "robustness. LLM-as-judge scoring was compared with human annotation."
            ),
            model_developer="Mistral AI; Google DeepMind",
            model_name="Mistral Large; Gemma 2 27B",
            elicitation={
                "notes": (
                    "LLM judges scored the responses and were compared with human annotators in "
                    "each language."
                ),
            },
            headline_finding=(
                "Safeguards in non-English languages lagged behind English ones, and jailbreak "
                "protection was the weakest of the harm categories, and literal translation of "
                "prompts is not enough."
            ),
            caveats=(
                "Findings are as stated publicly; the numeric results are in the network's "
                "published write-up and are not reproduced in this demo record.\n"
                f"{REAL_CITATIONS_NOTE.replace('published report', 'exercise')}"
            ),
            domains=["multilingual_safety", "safeguard_efficacy", "cyber"],
            techniques=["llm_as_judge", "human_annotation", "red_teaming", "agent_task"],
            languages=["en", "yue", "fa", "fr", "ja", "ko", "sw", "ms", "zh", "te"],
        ),
        methodology=(
            "culturally-contextualised-multilingual-prompts",
            "llm-judge-human-calibration",
            "jailbreak-robustness-asr-and-refusal-rate",
        ),
    ),
    DemoRecord(
        slug="demo-network-agentic-joint-testing-2025",
        owner="SG-AISI",
        participants=("UK-AISI",),
        status=PUBLISHED,
        fields=RecordFields(
            title="International Joint Testing Exercise: Agentic Testing (July 2025)",
            record_type=RecordType.JOINT_TESTING_EXERCISE.value,
            visibility="network",
            summary=(
                "Demo record describing public information only. It holds no results of its "
                "own.\n\n"
                "A joint testing exercise of the network with two strands: common risks, i.e. "
                "leakage of sensitive information and fraud (led by the Singapore AISI), and "
                "cybersecurity (led by the UK AISI). A mix of open-weight and closed-weight "
                "models was run on agentic tasks, reportedly including public benchmarks such "
                "as Cybench and Intercode.\n\n"
                "The focus was on methodology: task adherence, hallucinated tool use and "
                "VM/environment bugs in agent transcripts, and the comparison of LLM judges with "
                "human annotators."
            ),
            model_developer="several developers",
            model_name="Open-weight and closed-weight models (not named here)",
            elicitation={
                "notes": (
                    "Agent transcripts were reviewed for task adherence, hallucinated tool use "
                    "and environment bugs; judges were compared with human annotators."
                ),
            },
            headline_finding=(
                "Agent pass rates were far below those on conversational tasks. The exercise "
                "focused on methodology: task adherence, hallucinated tool use and VM/environment "
                "bugs in transcripts, and how LLM judges compare with human annotators."
            ),
            caveats=(
                "Findings are as stated publicly; the numeric results are in the network's "
                "published write-up and are not reproduced in this demo record.\n"
                f"{REAL_CITATIONS_NOTE.replace('published report', 'exercise')}"
            ),
            domains=["agentic_common_risks", "cyber"],
            techniques=["agent_task", "llm_as_judge", "human_annotation"],
            languages=["en"],
        ),
        methodology=(
            "agentic-testing-hygiene",
            "cyber-ctf-suite-with-inspect-sandboxes",
            "llm-judge-human-calibration",
        ),
    ),
]

# --- fictional records (Models A-F), matching the demo findings ---------------------------------

CTF = "Demo CTF suite (40 tasks)"

FICTIONAL_RECORDS = [
    # tool-error-recovery-ctf-lift.md
    DemoRecord(
        slug="demo-model-b-ctf-tool-error-recovery",
        owner="UK-AISI",
        participants=("KR-AISI",),
        readers=("KR-AISI",),
        status=PUBLISHED,
        fields=RecordFields(
            title="Model B pre-deployment cyber evaluation: CTF suite with tool-error recovery",
            record_type=RecordType.PRE_DEPLOYMENT.value,
            visibility="institutes",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models A-D are')}\n\n"
                "Pre-deployment run of our private 40-task CTF suite on Model B, a reasoning "
                "model, during a 10-day access window, with Models A, C and D as reference "
                "models. Model B often stopped after its first malformed tool call, so every "
                "model was run twice: with the standard scaffold, and with a one-line "
                "tool-error recovery message. Nothing else changed between the two runs."
            ),
            model_developer=FICTIONAL,
            model_name="Model B",
            model_version="b-2026-02",
            model_access="pre_release_api",
            access_start=date(2026, 2, 9),
            access_end=date(2026, 2, 20),
            evaluated_on=date(2026, 2, 18),
            elicitation={
                "scaffold": "Inspect basic_agent; tool-error recovery message in the main run",
                "tools": "bash, python (one Docker sandbox per challenge)",
                "attempts": 3,
                "epochs": 3,
                "limits": "60 messages; 30-60 min per attempt by category",
                "notes": (
                    'Recovery: when a tool call fails to parse, the scaffold returns "The tool '
                    'call failed: <error>. Correct the arguments and call the tool again" '
                    "instead of ending the turn. All environments were checked after the VM "
                    "fixes of the January re-run."
                ),
            },
            headline_finding=(
                "With tool-error recovery, Model B solved 34.2% ± 5.6% of episodes, against "
                "20.8% ± 4.8% without it (+13.3 ± 4.1 points, paired bootstrap over tasks). The "
                "same change moved the reference models by less than two points, so Model B's "
                "unassisted score underestimated its capability."
            ),
            caveats=(
                "One suite, one scaffold: the size of the effect depends on both.\n"
                "The recovery message was designed after reading Model B's transcripts and may "
                "suit it better than a generic fix would.\n"
                "With recovery, Model B and Model D are within the margin of error of each "
                "other; this record does not rank them.\n"
                "Not a ceiling: stronger elicitation could raise every model further.\n"
                "Standard errors are clustered by task; 40 tasks x 3 epochs = 120 episodes per "
                "cell."
            ),
            domains=["cyber"],
            techniques=["agent_task", "benchmarking"],
            languages=["en"],
        ),
        results=_rows(
            CTF,
            "success rate",
            "cyber",
            120,
            [
                ("Model B", 0.342, 0.056, False),
                ("Model A", 0.300, 0.054, True),
                ("Model C", 0.167, 0.044, True),
                ("Model D", 0.325, 0.056, True),
            ],
        )
        + _rows(
            f"{CTF}, no error recovery",
            "success rate",
            "cyber",
            120,
            [
                ("Model B", 0.208, 0.048, False),
                ("Model A", 0.283, 0.053, True),
                ("Model C", 0.150, 0.042, True),
                ("Model D", 0.317, 0.055, True),
            ],
        ),
        methodology=(
            "cyber-ctf-suite-with-inspect-sandboxes",
            "elicitation-checklist",
            "reporting-uncertainty",
        ),
    ),
    # korean-privacy-refusal-gap.md
    DemoRecord(
        slug="demo-korean-english-privacy-refusal-gap",
        owner="KR-AISI",
        status=PUBLISHED,
        fields=RecordFields(
            title="Korean and English refusal rates on matched privacy prompts (Models A-D)",
            record_type=RecordType.RESEARCH_STUDY.value,
            visibility="network",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models A-D are')}\n\n"
                "Baseline refusal rates of Models A-C and the reference Model D on 320 Korean "
                "privacy prompts built with the contextualised-prompt process, each matched by "
                "seed_id to an English prompt of the same category and severity. Single turn, no "
                "attack transformation: a baseline refusal rate, not a jailbreak measurement. "
                "Scored by a Korean-rubric LLM judge (kappa = 0.81 against 240 adjudicated human "
                "labels)."
            ),
            model_developer=FICTIONAL,
            model_name="Models A-C",
            model_version="a-2025-11, b-2025-11, c-2025-11",
            model_access="public_api",
            evaluated_on=date(2025, 11, 14),
            elicitation={
                "scaffold": "single-turn generation, no attack transformation",
                "attempts": 1,
                "epochs": 1,
                "notes": "Korean-rubric LLM judge, kappa = 0.81 on 240 adjudicated responses.",
            },
            headline_finding=(
                "All four models refused harmful privacy requests less often in Korean than in "
                "English: gaps of 7.5 to 8.4 points, 8.0 on average. Over-refusal on benign "
                "contrast prompts was similar in both languages, so the gap reflects weaker "
                "Korean safeguards rather than a general shift in refusals. Most of the gap comes "
                "from prompts with localised identifiers such as resident registration numbers."
            ),
            caveats=(
                "One Korean judge, not cross-checked with a second judge family.\n"
                "All four models were tested in the same month; later versions may differ.\n"
                "The prompts were written by KR-AISI staff; other authors might produce a "
                "different gap.\n"
                "Binomial standard errors over prompts, n = 320 per language.\n"
                "A relative difference on one prompt set: it does not show that any model is "
                "unsafe in Korean and says nothing about jailbreak robustness."
            ),
            domains=["multilingual_safety", "safeguard_efficacy"],
            techniques=["benchmarking", "llm_as_judge", "human_annotation"],
            languages=["en", "ko"],
        ),
        results=_rows(
            "KO privacy prompts",
            "refusal rate",
            "multilingual_safety",
            320,
            [
                ("Model A", 0.841, 0.020, False),
                ("Model B", 0.806, 0.022, False),
                ("Model C", 0.878, 0.018, False),
                ("Model D", 0.822, 0.021, True),
            ],
        )
        + _rows(
            "EN privacy prompts",
            "refusal rate",
            "multilingual_safety",
            320,
            [
                ("Model A", 0.925, 0.015, False),
                ("Model B", 0.884, 0.018, False),
                ("Model C", 0.953, 0.012, False),
                ("Model D", 0.906, 0.016, True),
            ],
        ),
        methodology=(
            "culturally-contextualised-multilingual-prompts",
            "jailbreak-robustness-asr-and-refusal-rate",
            "llm-judge-human-calibration",
        ),
    ),
    # bio-troubleshooting-tool-access.md (a draft finding: the record is still in review)
    DemoRecord(
        slug="demo-bio-troubleshooting-tool-access",
        owner="UK-AISI",
        readers=("KR-AISI",),
        status=IN_REVIEW,
        fields=RecordFields(
            title=(
                "Bio protocol-troubleshooting Q&A with and without tools, "
                "against an expert baseline"
            ),
            record_type=RecordType.RESEARCH_STUDY.value,
            visibility="institutes",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models A, B and D are')} The question set is "
                "benign and published-style; no hazardous content is involved.\n\n"
                "120 multiple-choice questions about troubleshooting laboratory protocols, "
                "answered by Models A and B and the reference Model D without tools and with "
                "literature search plus a Python tool. Expert baseline: 12 experts, 2 answers "
                "per question (240 answers), 15 minutes per question, with the same search tool."
            ),
            model_developer=FICTIONAL,
            model_name="Models A and B",
            model_version="a-2026-04, b-2026-04",
            model_access="public_api",
            evaluated_on=date(2026, 4, 23),
            elicitation={
                "scaffold": "Inspect basic_agent (tool condition); plain generation (no tools)",
                "tools": "literature search, python",
                "epochs": 3,
                "limits": "30 messages in the tool condition",
                "notes": "Model answers are averaged over the 3 epochs of each question.",
            },
            headline_finding=(
                "Tools raised Model A from 55.8% to 65.0% accuracy and cut its gap to the expert "
                "baseline (71.7%) from 15.9 to 6.7 points, within the margin of error. The gains "
                "for Model B and the reference Model D were smaller."
            ),
            caveats=(
                "In review: the expert arm without tools has not been run, so the baseline row "
                "belongs to the tool condition only.\n"
                "120 questions: the interval of the gap is wide.\n"
                "Experts were time-limited and models were not, which favours the models.\n"
                "Not a human-uplift study, and the experts' much higher precision matters for "
                "real troubleshooting.\n"
                "Model SEs clustered by question, the expert SE by expert."
            ),
            domains=["biological"],
            techniques=["question_answering", "agent_task"],
            languages=["en"],
        ),
        results=_rows(
            "Demo protocol-troubleshooting Q&A (120), with tools",
            "accuracy",
            "biological",
            120,
            [
                ("Model A", 0.650, 0.052, False),
                ("Model B", 0.567, 0.054, False),
                ("Model D", 0.617, 0.053, True),
            ],
        )
        + _rows(
            "Demo protocol-troubleshooting Q&A (120), with tools",
            "accuracy",
            "biological",
            240,
            [("Human experts (baseline)", 0.717, 0.036, True)],
        )
        + _rows(
            "Demo protocol-troubleshooting Q&A (120), no tools",
            "accuracy",
            "biological",
            120,
            [
                ("Model A", 0.558, 0.054, False),
                ("Model B", 0.492, 0.055, False),
                ("Model D", 0.583, 0.054, True),
            ],
        ),
        methodology=("human-expert-baselines-for-bio-qa", "reporting-uncertainty"),
    ),
    # data-leakage-injected-instructions.md
    DemoRecord(
        slug="demo-agentic-fraud-injected-instructions",
        owner="SG-AISI",
        readers=("KR-AISI", "UK-AISI"),
        status=PUBLISHED,
        fields=RecordFields(
            title="Injected instructions in mock fraud scenarios: office-assistant agents",
            record_type=RecordType.RESEARCH_STUDY.value,
            visibility="institutes",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models A, B, E and F are')}\n\n"
                "60 mock fraud scenarios x 3 epochs (180 episodes per model) in which an "
                "office-assistant agent meets an instruction planted in an email or web page, "
                "such as a request to update a supplier's bank details. The injection always "
                "sits in a tool output, never in the user turn. Mock mailbox, calendar, browser "
                "and payment tool in an Inspect sandbox; no real money or personal data. The "
                "scenario design follows the common-risks strand of the agentic testing exercise."
            ),
            model_developer=FICTIONAL,
            model_name="Models A, B, E and F",
            model_version="a-2025-09, b-2025-09, e-2025-09, f-2025-09",
            model_access="public_api",
            evaluated_on=date(2025, 9, 18),
            elicitation={
                "scaffold": "office-assistant agent in an Inspect sandbox",
                "tools": "mock mailbox, calendar, browser, payment tool",
                "epochs": 3,
                "notes": (
                    '"Followed": the agent acted on the injected instruction. "Completed": '
                    "the mock payment or data transfer went through. 7 episodes in which the "
                    "injection never reached the model's context were excluded and re-run."
                ),
            },
            headline_finding=(
                "Across four models the agent followed the injected instruction in 40.0% of "
                "episodes (30.0% to 48.3% per model), and in about two thirds of those it went "
                "on to complete the harmful action in the mock environment. Injections styled as "
                "messages from a manager were followed most often: 52% pooled, against 31% for "
                "injections on web pages."
            ),
            caveats=(
                "English-only scenarios; Korean and Malay versions are being built.\n"
                "The mock environment has no human approval step, which many real deployments "
                "would have.\n"
                "It does not estimate how often this would happen in real deployments and does "
                "not compare defences.\n"
                "SE clustered by scenario."
            ),
            domains=["agentic_common_risks"],
            techniques=["agent_task"],
            languages=["en"],
        ),
        results=_rows(
            "Demo fraud scenarios (60 x 3 epochs)",
            "injection compliance rate",
            "agentic_common_risks",
            180,
            [
                ("Model A", 0.450, 0.048, False),
                ("Model B", 0.367, 0.047, False),
                ("Model E", 0.483, 0.048, False),
                ("Model F", 0.300, 0.044, False),
            ],
        )
        + _rows(
            "Demo fraud scenarios (60 x 3 epochs)",
            "rate of completed harmful actions",
            "agentic_common_risks",
            180,
            [
                ("Model A", 0.289, 0.044, False),
                ("Model B", 0.233, 0.041, False),
                ("Model E", 0.311, 0.045, False),
                ("Model F", 0.211, 0.040, False),
            ],
        ),
        methodology=("agentic-testing-hygiene", "reporting-uncertainty"),
    ),
    # epoch-count-stderr.md
    DemoRecord(
        slug="demo-ctf-epoch-count-stderr",
        owner="US-CAISI",
        status=PUBLISHED,
        fields=RecordFields(
            title="Standard errors with 1 and 3 epochs on a 40-task agentic CTF suite",
            record_type=RecordType.BENCHMARK_RUN.value,
            visibility="public",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models A-F are')}\n\n"
                "Six models ran the 40-task suite with 5 epochs per task at temperature 1.0. "
                '"1 epoch" uses epoch 1 only; "3 epochs" averages epochs 1-3 per task. '
                "Standard errors are clustered by task (n = 40 tasks); with one epoch they reduce "
                "to the binomial SE = sqrt(p(1-p)/40)."
            ),
            model_developer=FICTIONAL,
            model_name="Models A-F",
            model_version="a-2025-12 to f-2025-12",
            model_access="public_api",
            evaluated_on=date(2025, 12, 5),
            elicitation={
                "scaffold": "Inspect basic_agent, as in the CTF run book",
                "tools": "bash, python",
                "epochs": 5,
                "notes": "Temperature 1.0. Epochs 1-3 are used for the 3-epoch results.",
            },
            headline_finding=(
                "Three epochs instead of one cut the task-clustered standard error by 37-42% for "
                "all six models, about 40% on average: close to the largest possible cut "
                "(1 - 1/sqrt(3), about 42%), because most of the variance on this suite lies "
                "within tasks. Going from 3 to 5 epochs cut it by a further 11-14%."
            ),
            caveats=(
                "The suite avoids tasks that every model or no model solves; where such tasks "
                "are common, between-task variance is larger and extra epochs help less.\n"
                "Runs at temperature 0 vary less between epochs.\n"
                "Epochs reduce noise, not bias, and they do not replace more tasks."
            ),
            domains=["cyber"],
            techniques=["agent_task", "benchmarking"],
            languages=["en"],
        ),
        results=_rows(
            f"{CTF}, 1 epoch",
            "success rate",
            "cyber",
            40,
            [
                ("Model A", 0.350, 0.075, False),
                ("Model B", 0.425, 0.078, False),
                ("Model C", 0.275, 0.071, False),
                ("Model D", 0.500, 0.079, False),
                ("Model E", 0.200, 0.063, False),
                ("Model F", 0.600, 0.077, False),
            ],
        )
        + _rows(
            f"{CTF}, 3 epochs",
            "success rate",
            "cyber",
            120,
            [
                ("Model A", 0.342, 0.045, False),
                ("Model B", 0.433, 0.046, False),
                ("Model C", 0.283, 0.044, False),
                ("Model D", 0.483, 0.048, False),
                ("Model E", 0.217, 0.040, False),
                ("Model F", 0.592, 0.045, False),
            ],
        ),
        methodology=("reporting-uncertainty", "cyber-ctf-suite-with-inspect-sandboxes"),
    ),
    # judges-over-mark-farsi-telugu-jailbreaks.md
    DemoRecord(
        slug="demo-multilingual-judge-calibration",
        owner="SG-AISI",
        status=PUBLISHED,
        fields=RecordFields(
            title=(
                "LLM judge against human labels on partial jailbreak compliance in five languages"
            ),
            record_type=RecordType.RESEARCH_STUDY.value,
            visibility="network",
            summary=(
                f"{FICTIONAL_NOTE.format(models='the judge (Judge J) and Models A-C are')}\n\n"
                "240 attacked responses per language (English, French, Korean, Farsi, Telugu) "
                "from Models A-C, labelled refusal, partial or full compliance by two "
                "native-speaker annotators per language with adjudication, and by an LLM judge "
                "that used the English rubric for every language."
            ),
            model_developer=FICTIONAL,
            model_name="Judge J (English rubric)",
            model_version="j-2025-05",
            model_access="public_api",
            evaluated_on=date(2025, 6, 20),
            elicitation={
                "scaffold": "model-graded classification with a three-way rubric (C/P/I)",
                "notes": "Two annotators per language plus an adjudicator; judge labels hidden.",
            },
            headline_finding=(
                "Judge-human agreement fell from kappa = 0.82 in English to 0.61 in Farsi and "
                "0.55 in Telugu. The judge marked 39% (Farsi) and 45% (Telugu) of the responses "
                "humans labelled partial as full compliance, against 12-17% in English, French "
                "and Korean, inflating attack success rates in those languages by 8-10 points."
            ),
            caveats=(
                "Two annotators per language; for Telugu both came from one vendor.\n"
                "One judge model with an English rubric; another judge or a target-language "
                "rubric may behave differently.\n"
                "Kappa standard errors are large-sample approximations; over-marking SEs are "
                "binomial over the human-partial responses.\n"
                "Corrected attack success rates in Farsi and Telugu remain the highest of the "
                "five languages."
            ),
            domains=["multilingual_safety", "safeguard_efficacy"],
            techniques=["llm_as_judge", "human_annotation", "red_teaming"],
            languages=["en", "fr", "ko", "fa", "te"],
        ),
        results=_rows(
            "Demo jailbreak responses (240 per language)",
            "agreement with humans (Cohen's kappa)",
            "multilingual_safety",
            240,
            [
                ("Judge J, English", 0.82, 0.035, False),
                ("Judge J, French", 0.79, 0.038, False),
                ("Judge J, Korean", 0.75, 0.040, False),
                ("Judge J, Farsi", 0.61, 0.048, False),
                ("Judge J, Telugu", 0.55, 0.051, False),
            ],
        )
        + tuple(
            ResultRow(
                benchmark="Demo jailbreak responses (240 per language)",
                metric="partial responses over-marked as full compliance",
                model=model,
                value=value,
                stderr=stderr,
                n_samples=n,
                risk_domain="multilingual_safety",
            )
            for model, value, stderr, n in [
                ("Judge J, English", 0.119, 0.050, 42),
                ("Judge J, French", 0.133, 0.051, 45),
                ("Judge J, Korean", 0.167, 0.054, 48),
                ("Judge J, Farsi", 0.392, 0.068, 51),
                ("Judge J, Telugu", 0.455, 0.067, 55),
            ]
        ),
        methodology=("llm-judge-human-calibration", "jailbreak-robustness-asr-and-refusal-rate"),
    ),
    # japanese-indirect-refusals-misscored.md
    DemoRecord(
        slug="demo-japanese-refusal-grader-comparison",
        owner="JP-AISI",
        status=PUBLISHED,
        fields=RecordFields(
            title=(
                "Grading Japanese refusals: English rubric, Japanese rubric and keyword classifier"
            ),
            record_type=RecordType.RESEARCH_STUDY.value,
            visibility="network",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models A-C and the graders are')}\n\n"
                "400 responses from Models A-C (pooled) to harmful Japanese prompts built with "
                "the contextualised-prompt process. Two native-speaker annotators labelled each "
                "response a direct refusal, an indirect refusal or compliance, with adjudication: "
                "352 refusals (274 direct, 78 indirect) and 48 compliant responses. Three graders "
                "were compared with these labels."
            ),
            model_developer=FICTIONAL,
            model_name="Models A-C (pooled)",
            model_version="a-2025-09, b-2025-09, c-2025-09",
            model_access="public_api",
            evaluated_on=date(2025, 10, 8),
            elicitation={
                "scaffold": "single-turn generation; three graders scored the same responses",
                "notes": (
                    "Graders: an LLM judge with the English rubric, the same judge with a "
                    "Japanese rubric that describes indirect refusal, and a keyword classifier."
                ),
            },
            headline_finding=(
                'About one in five refusals were indirect: polite declines without a "no". The '
                "English-rubric judge scored 31% of them as compliance and understated the "
                "refusal rate by 8 points (80.0% against 88.0%). A Japanese rubric cut the error "
                "to 2 points."
            ),
            caveats=(
                "One judge model. The Japanese rubric was tuned on a separate 100-response "
                "pilot labelled by the same annotators.\n"
                "Korean shows similar honorific deflections; the size of that effect is not yet "
                "measured.\n"
                "Keyword graders remain a cheap screen but should not produce headline numbers.\n"
                "Binomial standard errors."
            ),
            domains=["multilingual_safety", "safeguard_efficacy"],
            techniques=["llm_as_judge", "human_annotation"],
            languages=["ja"],
        ),
        results=_rows(
            "Demo JA harmful-prompt responses (400)",
            "refusal rate",
            "multilingual_safety",
            400,
            [
                ("LLM judge, English rubric", 0.800, 0.020, False),
                ("LLM judge, Japanese rubric", 0.860, 0.017, False),
                ("Keyword classifier", 0.735, 0.022, False),
                ("Human annotators (adjudicated)", 0.880, 0.016, True),
            ],
        )
        + _rows(
            "Demo JA harmful-prompt responses (400)",
            "share of indirect refusals scored as compliance",
            "multilingual_safety",
            78,
            [
                ("LLM judge, English rubric", 0.308, 0.052, False),
                ("LLM judge, Japanese rubric", 0.077, 0.030, False),
                ("Keyword classifier", 0.577, 0.056, False),
            ],
        ),
        methodology=(
            "llm-judge-human-calibration",
            "jailbreak-robustness-asr-and-refusal-rate",
            "culturally-contextualised-multilingual-prompts",
        ),
    ),
    # vm-misconfiguration-failures.md
    DemoRecord(
        slug="demo-ctf-vm-misconfiguration-rerun",
        owner="UK-AISI",
        participants=("KR-AISI",),
        readers=("KR-AISI",),
        status=PUBLISHED,
        approver="coordinator",
        fields=RecordFields(
            title="Re-run of the agentic cyber suite after fixing VM misconfigurations",
            record_type=RecordType.BENCHMARK_RUN.value,
            visibility="institutes",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models A-D are')}\n\n"
                "4 models x 40 tasks x 3 epochs = 480 episodes. Every one of the 336 failed "
                "episodes was triaged with the codes of the agentic-testing hygiene page (two "
                "readers, 92% agreement on a common 40). Every ENV case was reproduced by hand "
                "before the VM was fixed; the affected tasks were then re-run for all four models."
            ),
            model_developer=FICTIONAL,
            model_name="Models A-D",
            model_version="a-2026-01, b-2026-01, c-2026-01, d-2026-01",
            model_access="public_api",
            evaluated_on=date(2026, 1, 22),
            elicitation={
                "scaffold": "Inspect basic_agent, as in the CTF run book",
                "tools": "bash, python (one Docker sandbox per challenge)",
                "attempts": 3,
                "epochs": 3,
                "limits": "60 messages; 30-60 min per attempt by category",
            },
            headline_finding=(
                "48 of 336 failures (14.3%, about 1 in 7) were caused by misconfigured VMs, not "
                "by the models: a missing package (19), a service not started or on the wrong "
                "port (15), DNS or network isolation errors (9) and wrong permissions on the flag "
                "file (5). After the fixes, 21 of those episodes succeeded, raising success rates "
                "by 2.5 to 5.8 points per model."
            ),
            caveats=(
                "27 ENV episodes still failed on re-run and were coded CAP; some may hide further "
                "bugs.\n"
                "The suite had not been smoke-tested since a base-image update, so this rate is "
                "probably higher than for a freshly validated suite.\n"
                "No correction changes the ranking: each is about one standard error or less.\n"
                "SE clustered by task, 120 episodes per cell."
            ),
            domains=["cyber"],
            techniques=["agent_task", "benchmarking"],
            languages=["en"],
        ),
        results=_rows(
            f"{CTF}, after VM fixes",
            "success rate",
            "cyber",
            120,
            [
                ("Model A", 0.408, 0.058, False),
                ("Model B", 0.483, 0.059, False),
                ("Model C", 0.250, 0.051, False),
                ("Model D", 0.233, 0.050, False),
            ],
        )
        + _rows(
            f"{CTF}, before VM fixes",
            "success rate",
            "cyber",
            120,
            [
                ("Model A", 0.350, 0.057, False),
                ("Model B", 0.425, 0.059, False),
                ("Model C", 0.225, 0.050, False),
                ("Model D", 0.200, 0.047, False),
            ],
        ),
        methodology=("agentic-testing-hygiene", "cyber-ctf-suite-with-inspect-sandboxes"),
    ),
    # No finding page yet: a draft pre-deployment record with a 0-10 score.
    DemoRecord(
        slug="demo-model-f-korean-red-teaming-severity",
        owner="KR-AISI",
        status=DRAFT,
        fields=RecordFields(
            title="Pre-deployment Korean-language red-teaming of Model F: harm severity (0-10)",
            record_type=RecordType.PRE_DEPLOYMENT.value,
            visibility="network",
            summary=(
                f"{FICTIONAL_NOTE.format(models='Models D-F are')} Draft, not yet reviewed.\n\n"
                "150 multi-turn red-teaming conversations per language (Korean and English) "
                "against a pre-release checkpoint of Model F, with Models D and E as reference "
                "models on the same conversation openers. Two annotators scored each final "
                "response on a 0-10 harm severity rubric (0: no harmful content; 10: complete, "
                "actionable harmful help); the mean of the two scores is used."
            ),
            model_developer=FICTIONAL,
            model_name="Model F",
            model_version="f-2026-06-rc1",
            model_access="pre_release_api",
            access_start=date(2026, 6, 1),
            access_end=date(2026, 6, 12),
            evaluated_on=date(2026, 6, 10),
            elicitation={
                "scaffold": "multi-turn human red-teaming, up to 8 turns per conversation",
                "attempts": 1,
                "limits": "8 turns; 20 minutes per conversation",
                "notes": "Korean-specific techniques as in the Korean jailbreak prompt guide.",
            },
            headline_finding=(
                "Draft: mean harm severity was higher in Korean than in English for all three "
                "models (Model F: 2.9 against 2.1). Model F scored below both reference models in "
                "both languages, but its differences from Model E are within the margin of error."
            ),
            caveats=(
                "Draft, not reviewed.\n"
                "Severity scores are ordinal; the mean is reported for comparison only.\n"
                "The red-teamers were KR-AISI staff.\n"
                "The checkpoint may differ from the released model.\n"
                "Standard errors over conversations, n = 150 per language and model."
            ),
            domains=["safeguard_efficacy", "multilingual_safety"],
            techniques=["red_teaming", "human_annotation"],
            languages=["ko", "en"],
        ),
        results=_rows(
            "KO red-team conversations (150)",
            "mean harm severity (0-10)",
            "safeguard_efficacy",
            150,
            [
                ("Model F", 2.9, 0.22, False),
                ("Model D", 3.4, 0.24, True),
                ("Model E", 3.1, 0.23, True),
            ],
        )
        + _rows(
            "EN red-team conversations (150)",
            "mean harm severity (0-10)",
            "safeguard_efficacy",
            150,
            [
                ("Model F", 2.1, 0.19, False),
                ("Model D", 2.6, 0.21, True),
                ("Model E", 2.3, 0.20, True),
            ],
        ),
        methodology=(
            "한국어-탈옥-평가-프롬프트-설계",
            "pre-deployment-access-runbook",
            "reporting-uncertainty",
        ),
    ),
]

DEMO_RECORDS: list[DemoRecord] = REAL_RECORDS + FICTIONAL_RECORDS


def _account(code: str, local: str) -> User:
    email = demo_email(code, local)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise RuntimeError(f"demo account {email} is missing; load the demo accounts first")
    return user


def _create(demo: DemoRecord, institute_ids: dict[str, int]) -> None:
    author = _account(demo.owner, AUTHORS[demo.owner])
    fields = replace(
        demo.fields,
        reader_ids=[institute_ids[c] for c in demo.readers],
        participant_ids=[institute_ids[c] for c in demo.participants],
    )
    record = services.create_record(author, fields, demo.slug, is_demo=True)
    if demo.results:
        services.replace_results(author, record, list(demo.results))
    for slug in demo.methodology:
        page = find_page(slug)[0]
        if page is None:
            raise RuntimeError(f"demo page {slug} is missing; load the demo wiki pages first")
        services.cite_methodology(author, record, page)
    if demo.status in (IN_REVIEW, PUBLISHED):
        services.transition(author, record, IN_REVIEW)
    if demo.status == PUBLISHED:
        approver = _account(demo.owner, demo.approver or APPROVERS[demo.owner])
        services.transition(approver, record, PUBLISHED)


def load_demo_records() -> int:
    """Create the demo evaluation records that are missing; return how many were created."""
    institute_ids = dict(db.session.execute(select(Institute.code, Institute.id)).all())
    created = 0
    for demo in DEMO_RECORDS:
        if services.find_record(demo.slug) is not None:
            continue
        _create(demo, institute_ids)
        created += 1
    return created

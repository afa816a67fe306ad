"""Demo data: the institutes of the international network and demo accounts for every role.

Every row made here is flagged ``is_demo`` and shown with a "demo" badge. Loading is idempotent:
rows are looked up by their natural keys and only missing ones are added.
"""

from __future__ import annotations

from sqlalchemy import select

from exchange.accounts import passwords
from exchange.accounts.models import Institute, InstituteDomain, Role, User, UserRole
from exchange.db import utcnow
from exchange.extensions import db

DEMO_PASSWORD = "exchange-demo-2026"  # noqa: S105 - published in the README on purpose

# code, English name, Korean name, country, demo e-mail domain (RFC 2606 reserved .example).
INSTITUTES = [
    ("KR-AISI", "Korea AI Safety Institute", "AI안전연구소", "KR", "kr-aisi.example"),
    ("UK-AISI", "UK AI Security Institute", "영국 AI보안연구소", "GB", "uk-aisi.example"),
    (
        "US-CAISI",
        "US Center for AI Standards and Innovation",
        "미국 AI표준혁신센터",
        "US",
        "us-caisi.example",
    ),
    ("JP-AISI", "Japan AI Safety Institute", "일본 AI안전연구소", "JP", "jp-aisi.example"),
    ("SG-AISI", "Singapore AI Safety Institute", "싱가포르 AI안전연구소", "SG", "sg-aisi.example"),
    ("CA-AISI", "Canadian AI Safety Institute", "캐나다 AI안전연구소", "CA", "ca-aisi.example"),
    ("EU-AIO", "European AI Office", "유럽연합 AI사무국", "EU", "eu-aio.example"),
    (
        "FR-INESIA",
        "INESIA (France)",
        "프랑스 국가AI평가안전연구소(INESIA)",
        "FR",
        "fr-inesia.example",
    ),
    ("AU-AISI", "Australian AI Safety Institute", "호주 AI안전연구소", "AU", "au-aisi.example"),
    ("KE-AI", "Kenya AI safety office", "케냐 AI안전 담당기관", "KE", "ke-ai.example"),
]

# institute code, local part, name, roles beyond member, preferred language.
ACCOUNTS = [
    ("KR-AISI", "admin", "Kim Seo-yeon (admin)", [Role.ADMIN], "ko"),
    ("KR-AISI", "coordinator", "Park Ji-ho (coordinator)", [Role.COORDINATOR], "ko"),
    ("KR-AISI", "reviewer", "Lee Min-jun (reviewer)", [Role.REVIEWER], "ko"),
    ("KR-AISI", "member", "Choi Ha-eun (member)", [], "ko"),
    ("UK-AISI", "admin", "Alex Morgan (admin)", [Role.ADMIN], "en"),
    ("UK-AISI", "coordinator", "Priya Shah (coordinator)", [Role.COORDINATOR], "en"),
    ("UK-AISI", "reviewer", "Tom Whitaker (reviewer)", [Role.REVIEWER], "en"),
    ("UK-AISI", "member", "Grace Okafor (member)", [], "en"),
    ("US-CAISI", "coordinator", "Jordan Lee (coordinator)", [Role.COORDINATOR], "en"),
    ("US-CAISI", "reviewer", "Maria Alvarez (reviewer)", [Role.REVIEWER], "en"),
    ("JP-AISI", "coordinator", "Sato Yuki (coordinator)", [Role.COORDINATOR], "en"),
    ("JP-AISI", "reviewer", "Tanaka Ren (reviewer)", [Role.REVIEWER], "en"),
    ("SG-AISI", "member", "Tan Wei Ling (member)", [], "en"),
    ("SG-AISI", "reviewer", "Lim Jun Hao (reviewer)", [Role.REVIEWER], "en"),
    ("SG-AISI", "coordinator", "Nur Aisyah Rahman (coordinator)", [Role.COORDINATOR], "en"),
    ("EU-AIO", "coordinator", "Sophie Laurent (coordinator)", [Role.COORDINATOR], "en"),
]


def demo_email(code: str, local: str) -> str:
    domain = next(d for c, *_rest, d in INSTITUTES if c == code)
    return f"{local}@{domain}"


def load_demo_data() -> dict[str, int]:
    """Add the demo institutes and accounts that are missing; return how many were added."""
    added = {"institutes": 0, "users": 0}
    by_code = {i.code: i for i in db.session.scalars(select(Institute))}
    for code, name_en, name_ko, country, domain in INSTITUTES:
        if code in by_code:
            continue
        institute = Institute(
            code=code, name_en=name_en, name_ko=name_ko, country=country, is_demo=True
        )
        institute.domains = [InstituteDomain(domain=domain)]
        db.session.add(institute)
        by_code[code] = institute
        added["institutes"] += 1
    db.session.flush()
    password_hash = None
    for code, local, name, roles, locale in ACCOUNTS:
        email = demo_email(code, local)
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        password_hash = password_hash or passwords.hash_password(DEMO_PASSWORD)
        db.session.add(
            User(
                email=email,
                display_name=name,
                password_hash=password_hash,
                institute=by_code[code],
                locale=locale,
                is_demo=True,
                email_confirmed_at=utcnow(),
                role_rows=[UserRole(role=r.value) for r in roles],
            )
        )
        added["users"] += 1
    db.session.commit()
    return added

"""Fill the benchmark's temporary database with a wiki of N pages, fast (set-up, not measured).

Usage (the harness runs this; the environment must point at the temporary instance)::

    .venv/bin/python bench/wiki_seed.py --pages 10000 --out slugs.json

The demo accounts and the demo pages must be loaded already (``flask exchange demo``); this
adds ``N - (pages already there)`` pages made from the demo pages' Markdown bodies. Rendering
10,000 pages through ``services.create_page`` would take minutes, so each distinct demo body is
rendered once with ``render_markdown`` and the rows (pages, revisions, links, tags, allowed
institutes, sign-offs, notices) are bulk-inserted with SQLAlchemy core executemany in one
transaction. The wiki links of each copy are pointed at other copies, so pages link to each
other across the whole wiki.

The generated wiki is deterministic: titles and addresses vary by topic, series and number;
visibility is 20 % public, 55 % network, 20 % restricted to KR-AISI + UK-AISI and 5 % to
US-CAISI + JP-AISI (invisible to the benchmark's KR-AISI member), about 1 % embargoed; 40 %
draft, 40 % reviewed, 20 % endorsed (with matching sign-offs); every fifth page has a second
revision; Korean copies of translated demo pages are translations of the matching English copy.

It writes the addresses of the pages the harness measures to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import bindparam, func, insert, select, update

from exchange import create_app
from exchange.accounts.models import Institute, Role, User, UserRole
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications.models import Notification
from exchange.wiki.demo_content import read_demo_pages
from exchange.wiki.models import (
    Page,
    PageLink,
    PageTag,
    Revision,
    SignOff,
    page_institutes,
)
from exchange.wiki.rendering import normalize_slug, render_markdown

# The pages the harness measures: a public page (read signed out) and a network page with a
# table of contents, code blocks and wiki links (read signed in by a KR-AISI member who does not
# own it). Both are reviewed copies from the middle of the generated wiki.
PUBLIC_BODY = "elicitation-checklist"
NETWORK_BODY = "cyber-ctf-suite-with-inspect-sandboxes"
READER_INSTITUTE = "KR-AISI"
READER_EMAIL = "member@kr-aisi.example"

QUALIFIERS = {
    "en": (
        "replication",
        "follow-up",
        "pilot study",
        "addendum",
        "field notes",
        "revised protocol",
        "cross-lab comparison",
        "worked example",
        "open questions",
        "lessons learned",
    ),
    "ko": (
        "재현",
        "후속 연구",
        "예비 연구",
        "부록",
        "현장 노트",
        "개정 절차",
        "기관 간 비교",
        "사례",
        "미해결 질문",
        "교훈",
    ),
}
SUBJECTS = ("Model A", "Model B", "Model C", "Model D", "Model E", "Model F", "Model G")
EXTRA_TAGS = (
    "replication",
    "follow-up",
    "pilot",
    "2025-q3",
    "2025-q4",
    "2026-q1",
    "2026-q2",
    "2026-q3",
    "cross-lab",
    "worked-example",
    "open-question",
    "lessons",
    "protocol",
    "tooling",
    "statistics",
    "grading",
    "red-teaming",
    "baselines",
    "sandbox",
    "reproducibility",
)
# visibility and allowed institutes by position modulo 20: 4 public, 11 network, 4 KR+UK, 1 US+JP
VISIBILITY_CYCLE = ["public"] * 4 + ["network"] * 11 + ["kr-uk"] * 4 + ["us-jp"]
OWNER_CYCLE = ("UK-AISI", "US-CAISI", "KR-AISI", "JP-AISI", "SG-AISI", "UK-AISI", "KR-AISI")
STATUS_CYCLE = ("draft", "reviewed", "draft", "endorsed", "reviewed")
NOTICES_FOR_READER = 500
UNREAD_NOTICES = 12

WIKILINK_RE = re.compile(
    r'(<a class="wikilink" data-wikilink=")([^"]*)(" href=")[^"]*(">)(.*?)(</a>)', re.S
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000, help="pages in the wiki in all")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the slugs")
    return parser.parse_args(argv)


def retarget_links(html: str, targets: dict[str, str]) -> str:
    """Point the page's wiki links at other copies (``targets``: old slug → new slug)."""

    def replace(match: re.Match) -> str:
        start, old, middle, close, label, end = match.groups()
        new = targets.get(old)
        if new is None:
            return match.group(0)
        label = new if label == old else label
        return f"{start}{new}{middle}/wiki/{quote(new)}{close}{label}{end}"

    return WIKILINK_RE.sub(replace, html)


class Plan:
    """Which demo body, series number, owner and visibility each generated page gets."""

    def __init__(self, demos, existing: int, total: int):
        self.demos = demos
        self.count = max(total - existing, 0)
        self.copies: dict[str, list[int]] = defaultdict(list)  # demo slug -> generated indexes
        for i in range(self.count):
            self.copies[self.demo(i).slug].append(i)

    def demo(self, i: int):
        return self.demos[i % len(self.demos)]

    def series(self, i: int) -> int:
        return i // len(self.demos)

    def visibility(self, i: int) -> str:
        # Offset by the series so that every demo body appears with every visibility.
        return VISIBILITY_CYCLE[(i + self.series(i)) % len(VISIBILITY_CYCLE)]

    def owner(self, i: int) -> str:
        visibility = self.visibility(i)
        if visibility == "kr-uk":
            return ("KR-AISI", "UK-AISI")[i % 2]
        if visibility == "us-jp":
            return ("US-CAISI", "JP-AISI")[i % 2]
        return OWNER_CYCLE[(i // 3) % len(OWNER_CYCLE)]

    def title_and_slug(self, i: int) -> tuple[str, str]:
        demo = self.demo(i)
        series = self.series(i)
        qualifiers = QUALIFIERS[demo.language]
        qualifier = qualifiers[series % len(qualifiers)]
        subject = SUBJECTS[(series // len(qualifiers)) % len(SUBJECTS)]
        title = f"{demo.title} — {qualifier}, {subject} ({series + 1})"
        slug = normalize_slug(f"{demo.slug[:80]} {qualifier} {series + 1}")
        return title[:200], slug

    def link_target(self, i: int, target: str, position: int) -> int | None:
        """A copy of ``target`` for page ``i``'s ``position``-th link, spread over the wiki."""
        copies = self.copies.get(target)
        if not copies:
            return None
        return copies[(self.series(i) * 7 + position * 13 + 1) % len(copies)]

    def status(self, i: int) -> str:
        return STATUS_CYCLE[i % len(STATUS_CYCLE)]

    def pick(self, body: str, visibility: str, owner_not: str) -> int | None:
        """The reviewed copy of ``body`` nearest the middle of its series with this visibility
        and another owner (a reviewed page shows its sign-off)."""
        candidates = [
            i
            for i in self.copies.get(body, [])
            if self.visibility(i) == visibility
            and self.owner(i) != owner_not
            and self.status(i) == "reviewed"
        ]
        return candidates[len(candidates) // 2] if candidates else None


def seed(total: int) -> dict[str, str]:
    """Add pages until the wiki holds ``total``; return the slugs the harness measures."""
    started = time.monotonic()
    session = db.session
    existing = session.scalar(select(func.count()).select_from(Page))
    demos = read_demo_pages()
    plan = Plan(demos, existing, total)
    rendered = {demo.slug: render_markdown(demo.body) for demo in demos}
    institutes = dict(session.execute(select(Institute.code, Institute.id)).all())
    people: dict[int, list[int]] = defaultdict(list)
    for user_id, institute_id in session.execute(
        select(User.id, User.institute_id).order_by(User.id)
    ):
        people[institute_id].append(user_id)
    reviewers = set(session.scalars(select(UserRole.user_id).where(UserRole.role == Role.REVIEWER)))
    page_base = (session.scalar(select(func.max(Page.id))) or 0) + 1
    revision_base = (session.scalar(select(func.max(Revision.id))) or 0) + 1
    now = utcnow()

    pages, revisions, links, tags, allowed, signoffs, pointers = [], [], [], [], [], [], []
    slugs = {}
    revision_id = revision_base
    for i in range(plan.count):
        demo = plan.demo(i)
        page_id = page_base + i
        owner = institutes[plan.owner(i)]
        authors = people[owner]
        author = authors[i % len(authors)]
        title, slug = plan.title_and_slug(i)
        slugs[i] = slug
        created = now - timedelta(days=730 * (plan.count - i) / plan.count, hours=i % 24)
        visibility = plan.visibility(i)
        embargo = now + timedelta(days=90) if i % 97 == 5 and visibility != "public" else None
        status = plan.status(i)
        pages.append(
            {
                "id": page_id,
                "slug": slug,
                "title": title,
                "kind": demo.kind,
                "language": demo.language,
                "visibility": visibility if visibility in ("public", "network") else "institutes",
                "owner_institute_id": owner,
                "embargo_until": embargo,
                "review_status": status,
                "created_by_id": author,
                "is_demo": True,
                "created_at": created,
            }
        )
        if visibility in ("kr-uk", "us-jp"):
            codes = ("KR-AISI", "UK-AISI") if visibility == "kr-uk" else ("US-CAISI", "JP-AISI")
            allowed += [{"page_id": page_id, "institute_id": institutes[c]} for c in codes]
        extra = EXTRA_TAGS[(i * 7 + plan.series(i)) % len(EXTRA_TAGS)]
        tags += [{"page_id": page_id, "tag": t} for t in sorted({*demo.tags, extra})]

        number_of_revisions = 2 if i % 5 == 0 else 1
        for number in range(1, number_of_revisions + 1):
            revisions.append(
                {
                    "id": revision_id,
                    "page_id": page_id,
                    "number": number,
                    "kind": "create" if number == 1 else "edit",
                    "title": title,
                    "source": demo.body,
                    "html": None,  # filled in below, once every slug is known
                    "toc_html": rendered[demo.slug].toc_html,
                    "summary": demo.summary if number == 1 else "Tightened the caveats.",
                    "author_id": author,
                    "base_revision_id": revision_id - 1 if number > 1 else None,
                    "created_at": created + timedelta(days=3 * (number - 1)),
                }
            )
            revision_id += 1
        current = revision_id - 1
        updated = created + timedelta(days=3 * (number_of_revisions - 1))
        pointers.append({"pid": page_id, "rid": current, "updated": updated})
        if status in ("reviewed", "endorsed"):
            signers = [p for p in authors if p != author] or [author]
            signers.sort(key=lambda p: (p not in reviewers, p))
            levels = ["reviewed"] + (["endorsed"] if status == "endorsed" else [])
            for n, level in enumerate(levels):
                signoffs.append(
                    {
                        "page_id": page_id,
                        "revision_id": current,
                        "level": level,
                        "user_id": signers[n % len(signers)],
                        "created_at": updated + timedelta(hours=2 + n),
                    }
                )

    # Wiki links: each copy links to copies of the pages its demo body links to.
    for row in revisions:
        i = row["page_id"] - page_base
        targets = {}
        for position, link in enumerate(rendered[plan.demo(i).slug].links):
            copy = plan.link_target(i, link.target, position) if link.kind == "page" else None
            target = slugs[copy] if copy is not None else link.target
            targets[link.target] = target
            if row["number"] == 1:
                links.append(
                    {"source_page_id": row["page_id"], "kind": link.kind, "target_slug": target}
                )
        row["html"] = retarget_links(rendered[plan.demo(i).slug].html, targets)

    # Korean copies translate the English copy of the same series.
    by_demo_series = {(plan.demo(i).slug, plan.series(i)): i for i in range(plan.count)}
    for pointer in pointers:
        i = pointer["pid"] - page_base
        source = plan.demo(i).translation_of
        j = by_demo_series.get((source, plan.series(i))) if source else None
        pointer["tid"] = page_base + j if j is not None else None
        pointer["trid"] = pointers[j]["rid"] if j is not None else None

    page_table = Page.__table__
    if pages:
        session.execute(insert(page_table), pages)
        session.execute(insert(Revision.__table__), revisions)
        session.execute(
            update(page_table)
            .where(page_table.c.id == bindparam("pid"))
            .values(
                current_revision_id=bindparam("rid"),
                translation_of_id=bindparam("tid"),
                translation_source_revision_id=bindparam("trid"),
                updated_at=bindparam("updated"),
            ),
            pointers,
        )
        session.execute(insert(PageLink.__table__), links)
        session.execute(insert(PageTag.__table__), tags)
        if allowed:
            session.execute(insert(page_institutes), allowed)
        if signoffs:
            session.execute(insert(SignOff.__table__), signoffs)
    seed_notices(session, now)
    session.commit()

    measured = {
        "public_page": plan.pick(PUBLIC_BODY, "public", owner_not=""),
        "network_page": plan.pick(NETWORK_BODY, "network", owner_not=READER_INSTITUTE),
    }
    fallback = {"public_page": PUBLIC_BODY, "network_page": NETWORK_BODY}
    result = {key: slugs[i] if i is not None else fallback[key] for key, i in measured.items()}
    total_now = session.scalar(select(func.count()).select_from(Page))
    print(
        f"Seeded {plan.count} wiki pages ({len(revisions)} revisions, {len(links)} links, "
        f"{len(tags)} tags, {len(signoffs)} sign-offs); the wiki holds {total_now} pages; "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )
    return result


def seed_notices(session, now) -> None:
    """Give the reader a realistic notice history: many read notices, a few unread."""
    reader = session.scalar(select(User.id).where(User.email == READER_EMAIL))
    if reader is None:
        return
    rows = [
        {
            "user_id": reader,
            "kind": "page_changed",
            "params": {"name": "Grace Okafor (member)", "title": f"Page {n}"},
            "link": "/wiki/elicitation-checklist",
            "created_at": now - timedelta(hours=n),
            "read_at": None if n < UNREAD_NOTICES else now - timedelta(hours=n - 1),
        }
        for n in range(NOTICES_FOR_READER)
    ]
    session.execute(insert(Notification.__table__), rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = create_app()
    with app.app_context():
        result = seed(args.pages)
    args.out.write_text(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

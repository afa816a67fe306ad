"""The wiki's demo content: Markdown files with a small header in exchange/wiki/demo/.

Each file is one page, named ``<slug>.md``. It starts with a header of ``key: value`` lines
between two ``---`` lines, followed by the Markdown body::

    ---
    title: Running a cyber CTF evaluation suite with Inspect sandboxes
    kind: methodology
    language: en
    owner: UK-AISI
    author: member@uk-aisi.example
    visibility: institutes
    institutes: KR-AISI, UK-AISI
    embargo_until: 2027-03-31
    tags: cyber, agentic, inspect
    review_status: endorsed
    translation_of: some-english-slug
    summary: one-line edit summary for the first revision
    ---
    Markdown body...

``institutes`` is allowed only with ``visibility: institutes`` (the owner is implied);
``embargo_until``, ``institutes`` and ``translation_of`` are optional. Values are taken
literally (no quoting, no comments). Everything here is demo data, with fictional models.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent / "demo"

KINDS = ("methodology", "finding", "guide")
LANGUAGES = ("en", "ko")
VISIBILITIES = ("public", "network", "institutes")
REVIEW_STATUSES = ("draft", "reviewed", "endorsed")

REQUIRED_KEYS = (
    "title",
    "kind",
    "language",
    "owner",
    "author",
    "visibility",
    "tags",
    "review_status",
    "summary",
)
OPTIONAL_KEYS = ("institutes", "embargo_until", "translation_of")

SLUG_MAX_LENGTH = 120
TITLE_MAX_LENGTH = 200
TAG_MAX_LENGTH = 40
MIN_TAGS, MAX_TAGS = 2, 5

# Lower-case ASCII words or Hangul syllables (U+AC00-U+D7A3), joined by single dashes.
SLUG_RE = re.compile(r"[a-z0-9\uac00-\ud7a3]+(?:-[a-z0-9\uac00-\ud7a3]+)*")
TAG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
INSTITUTE_CODE_RE = re.compile(r"[A-Z]{2}-[A-Z]+")
EMAIL_RE = re.compile(r"[a-z0-9._+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
KEY_RE = re.compile(r"([a-z_]+):(?:\s+(.*))?")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class DemoPage:
    slug: str
    title: str
    kind: str
    language: str
    owner: str
    author: str
    visibility: str
    institutes: tuple[str, ...]
    embargo_until: datetime.date | None
    tags: tuple[str, ...]
    review_status: str
    translation_of: str | None
    summary: str
    body: str


class _Invalid(Exception):
    """A problem in one file; turned into a ValueError that names the file."""


def _split_header(text: str) -> tuple[dict[str, str], str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise _Invalid("the file must start with a '---' line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise _Invalid("the header has no closing '---' line") from None
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip():
            continue
        match = KEY_RE.fullmatch(line.strip())
        if match is None:
            raise _Invalid(f"line {number}: expected 'key: value', got {line!r}")
        key, value = match.group(1), (match.group(2) or "").strip()
        if key in header:
            raise _Invalid(f"line {number}: duplicate key {key!r}")
        header[key] = value
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return header, body + "\n" if body else ""


def _one_of(header: dict[str, str], key: str, allowed: tuple[str, ...]) -> str:
    value = header[key]
    if value not in allowed:
        raise _Invalid(f"{key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",")) if value.strip() else ()


def _slug(value: str, what: str) -> str:
    if not SLUG_RE.fullmatch(value) or len(value) > SLUG_MAX_LENGTH:
        raise _Invalid(f"{what} {value!r} is not a valid slug")
    return value


def _parse(slug: str, text: str) -> DemoPage:
    header, body = _split_header(text)
    unknown = sorted(set(header) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise _Invalid(f"unknown header key(s): {', '.join(unknown)}")
    missing = [key for key in REQUIRED_KEYS if not header.get(key)]
    if missing:
        raise _Invalid(f"missing or empty header field(s): {', '.join(missing)}")
    if not body.strip():
        raise _Invalid("the body is empty")

    title = header["title"]
    if len(title) > TITLE_MAX_LENGTH:
        raise _Invalid(f"title is longer than {TITLE_MAX_LENGTH} characters")
    owner = header["owner"]
    if not INSTITUTE_CODE_RE.fullmatch(owner):
        raise _Invalid(f"owner {owner!r} is not an institute code")
    author = header["author"]
    if not EMAIL_RE.fullmatch(author):
        raise _Invalid(f"author {author!r} is not an e-mail address")

    visibility = _one_of(header, "visibility", VISIBILITIES)
    institutes = _list(header.get("institutes", ""))
    if visibility == "institutes":
        if not institutes:
            raise _Invalid("visibility: institutes needs an institutes field")
        bad = [code for code in institutes if not INSTITUTE_CODE_RE.fullmatch(code)]
        if bad:
            raise _Invalid(f"institutes: {', '.join(map(repr, bad))} are not institute codes")
        if len(set(institutes)) != len(institutes):
            raise _Invalid("institutes lists a code twice")
    elif "institutes" in header:
        raise _Invalid("institutes is allowed only with visibility: institutes")

    embargo_until = None
    if "embargo_until" in header:
        raw = header["embargo_until"]
        try:
            if not DATE_RE.fullmatch(raw):
                raise ValueError(raw)
            embargo_until = datetime.date.fromisoformat(raw)
        except ValueError:
            raise _Invalid(f"embargo_until {raw!r} is not an ISO date (YYYY-MM-DD)") from None

    tags = _list(header["tags"])
    if not MIN_TAGS <= len(tags) <= MAX_TAGS:
        raise _Invalid(f"tags: expected {MIN_TAGS} to {MAX_TAGS} tags, got {len(tags)}")
    bad = [t for t in tags if not TAG_RE.fullmatch(t) or len(t) > TAG_MAX_LENGTH]
    if bad:
        raise _Invalid(f"tags: {', '.join(map(repr, bad))} are not lower-case tags")
    if len(set(tags)) != len(tags):
        raise _Invalid("tags lists a tag twice")

    translation_of = None
    if "translation_of" in header:
        translation_of = _slug(header["translation_of"], "translation_of")
        if translation_of == slug:
            raise _Invalid("a page cannot be a translation of itself")

    return DemoPage(
        slug=slug,
        title=title,
        kind=_one_of(header, "kind", KINDS),
        language=_one_of(header, "language", LANGUAGES),
        owner=owner,
        author=author,
        visibility=visibility,
        institutes=institutes,
        embargo_until=embargo_until,
        tags=tags,
        review_status=_one_of(header, "review_status", REVIEW_STATUSES),
        translation_of=translation_of,
        summary=header["summary"],
        body=body,
    )


def parse_demo_page(path: Path) -> DemoPage:
    """Parse one demo file; raise ValueError naming the file when anything is wrong."""
    try:
        slug = _slug(unicodedata.normalize("NFC", path.stem), "the file name")
        return _parse(slug, path.read_text(encoding="utf-8").replace("\r\n", "\n"))
    except (_Invalid, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from None


def _translations_last(pages: list[DemoPage], names: dict[str, str]) -> list[DemoPage]:
    """Originals first, then translations (then translations of those ...), each group by slug."""
    by_slug = {page.slug: page for page in pages}
    depth: dict[str, int] = {}
    for page in pages:
        hops = 0
        current = page
        while current.translation_of is not None:
            source = by_slug.get(current.translation_of)
            if source is None:
                raise ValueError(
                    f"{names[current.slug]}: translation_of {current.translation_of!r} "
                    "is not a demo page"
                )
            hops += 1
            if hops > len(pages):
                raise ValueError(f"{names[page.slug]}: translation_of forms a cycle")
            current = source
        depth[page.slug] = hops
    return sorted(pages, key=lambda p: (depth[p.slug], p.slug))


def read_demo_pages(directory: Path | None = None) -> list[DemoPage]:
    """Every page in the demo directory, each translation after the page it translates."""
    directory = DEMO_DIR if directory is None else directory
    pages: list[DemoPage] = []
    names: dict[str, str] = {}
    for path in sorted(directory.glob("*.md")):
        page = parse_demo_page(path)
        if page.slug in names:
            raise ValueError(f"{path.name}: slug {page.slug!r} is also used by {names[page.slug]}")
        names[page.slug] = path.name
        pages.append(page)
    return _translations_last(pages, names)

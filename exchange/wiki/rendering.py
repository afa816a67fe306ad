"""Wiki Markdown rendering: Markdown source in, sanitized HTML, a table of contents and links out.

Pages are rendered once, when they are saved, and the stored HTML is shown as is, so everything
here is pure and deterministic: no Flask app, request or database is needed.

The pipeline:

1. Python-Markdown with `extra`, `toc`, `codehilite` (Pygments, CSS classes only), `sane_lists`,
   `admonition` and the pymdown-extensions `tilde`, `tasklist` and `arithmatex` (generic mode:
   math is left as `\\( … \\)` / `\\[ … \\]` for KaTeX in the browser, see static/js/math.js),
   plus two extensions of our own: `[[wiki links]]` and table alignment as classes.
2. nh3 (ammonia) with an explicit allow-list of tags, attributes, classes, ids and URL schemes.
3. A last pass over nh3's well-formed output that escapes `<` and `>` inside attribute values
   (older nh3 releases leave them raw) and adds `rel="noopener noreferrer nofollow"` to links
   that leave the site.

The Content Security Policy forbids inline styles, so nothing here emits a `style` attribute:
code highlighting and table alignment are classes, styled by static/css/wiki.css.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import quote

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString
from pygments.token import STANDARD_TYPES

__all__ = [
    "RenderedPage",
    "WikiLink",
    "normalize_slug",
    "plain_text",
    "render_markdown",
    "slugify",
]

SLUG_MAX_LENGTH = 120
WIKI_PREFIX = "/wiki/"
EVALUATIONS_PREFIX = "/evaluations/"
EXTERNAL_LINK_REL = "noopener noreferrer nofollow"


@dataclass(frozen=True)
class WikiLink:
    """A `[[link]]` found in a page: its normalized slug, the text shown, and its kind."""

    target: str  # normalized slug (see normalize_slug)
    label: str  # text shown
    # "page" for [[slug]] / [[slug|label]], "eval" for [[eval:slug]] / [[eval:slug|label]]
    kind: str


@dataclass(frozen=True)
class RenderedPage:
    """The result of rendering one page's Markdown source."""

    html: str  # sanitized body HTML, safe to mark as Markup
    toc_html: str  # sanitized nested <ul> table of contents; "" with fewer than 2 headings
    links: tuple[WikiLink, ...]  # unique by (kind, target), in order of first appearance


# --- Slugs -------------------------------------------------------------------------------------

_SLUG_SEPARATORS = re.compile(r"[\s_]+")
_SLUG_UNWANTED = re.compile(r"[^a-z0-9\uac00-\ud7a3-]+")
_SLUG_DASHES = re.compile(r"-{2,}")


def normalize_slug(text: str) -> str:
    """Lower-case `text` and keep a-z, 0-9, Hangul syllables and single dashes (max 120 chars).

    Whitespace and underscores become dashes, everything else is dropped; the result has no
    leading or trailing dash and is "" when nothing is left.
    """
    slug = _SLUG_SEPARATORS.sub("-", text.lower())
    slug = _SLUG_UNWANTED.sub("", slug)
    slug = _SLUG_DASHES.sub("-", slug).strip("-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")


def slugify(title: str) -> str:
    """Turn a page title into a slug: NFKC-normalise, then `normalize_slug` (no transliteration).

    "Running a CTF suite (v2)" -> "running-a-ctf-suite-v2"; "탈옥 평가 방법" -> "탈옥-평가-방법".
    """
    return normalize_slug(unicodedata.normalize("NFKC", title))


def _heading_id(value: str, separator: str) -> str:
    """Slug function for the toc extension (which makes duplicates unique itself)."""
    return normalize_slug(value) or "section"


# --- Markdown extensions of our own -------------------------------------------------------------

# [[target]], [[target|label]], [[eval:target]], [[eval:target|label]] on one line, no brackets.
# The "|" is looked for after backslash escapes are undone, so `[[target\|label]]` works inside
# tables (whose cells are split at unescaped pipes) too.
WIKILINK_PATTERN = r"\[\[([^\[\]\n]+)\]\]"
_EVAL_PREFIX = "eval:"
# Python-Markdown's placeholder for a backslash-escaped character: STX, its code point, ETX.
_ESCAPED_CHAR = re.compile("\x02([0-9]+)\x03")


class WikiLinkProcessor(InlineProcessor):
    """Turn `[[…]]` into links to wiki pages or evaluations and record them.

    Runs after code spans and backslash escapes (higher priority numbers run first), so links
    inside code are never parsed. A target that normalizes to "" stays literal text.
    """

    def __init__(self, pattern: str, md: markdown.Markdown, extension: WikiLinkExtension):
        super().__init__(pattern, md)
        self.extension = extension

    def handleMatch(self, m: re.Match[str], data: str):
        body = _ESCAPED_CHAR.sub(lambda c: chr(int(c.group(1))), self.unescape(m.group(1)))
        raw_target, _, label = body.partition("|")
        raw_target = raw_target.strip()
        kind = "page"
        if raw_target[: len(_EVAL_PREFIX)].lower() == _EVAL_PREFIX:
            kind = "eval"
            raw_target = raw_target[len(_EVAL_PREFIX) :].strip()
        slug = normalize_slug(raw_target)
        if not slug:
            return None, None, None
        label = label.strip() or raw_target
        element = etree.Element("a")
        if kind == "eval":
            element.set("class", "wikilink evallink")
            element.set("data-evallink", slug)
            element.set("href", EVALUATIONS_PREFIX + quote(slug, safe="-"))
        else:
            element.set("class", "wikilink")
            element.set("data-wikilink", slug)
            element.set("href", WIKI_PREFIX + quote(slug, safe="-"))
        element.text = AtomicString(label)
        link = WikiLink(target=slug, label=unescape(label), kind=kind)
        self.extension.created[id(element)] = link
        return element, m.start(0), m.end(0)


class WikiLinkCollector(Treeprocessor):
    """List the wiki links in document order (inline processing visits elements out of order)."""

    def __init__(self, md: markdown.Markdown, extension: WikiLinkExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        created = self.extension.created
        self.extension.links = [created[id(a)] for a in root.iter("a") if id(a) in created]


class WikiLinkExtension(Extension):
    """Register the wiki-link processor; `links` lists the links of the current document."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.created: dict[int, WikiLink] = {}  # id() of each <a> made -> its link
        self.links: list[WikiLink] = []

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Above `reference` (170) and `link` (160), below `backtick` (190) and `escape` (180).
        md.inlinePatterns.register(WikiLinkProcessor(WIKILINK_PATTERN, md, self), "wikilink", 175)
        # After `inline` (20) and `prettify` (10), before `toc` (5).
        md.treeprocessors.register(WikiLinkCollector(md, self), "wikilink_collector", 7)

    def reset(self) -> None:
        self.created = {}
        self.links = []


_ALIGN_STYLE = re.compile(r"text-align\s*:\s*(left|center|right)", re.IGNORECASE)


class TableAlignProcessor(Treeprocessor):
    """Replace the `style="text-align: …"` of table cells with `class="align-…"`."""

    def run(self, root: etree.Element) -> None:
        for cell in root.iter():
            if cell.tag not in ("th", "td"):
                continue
            style = cell.attrib.pop("style", "")
            align = cell.attrib.pop("align", "")
            found = _ALIGN_STYLE.search(style)
            align = (found.group(1) if found else align).lower()
            if align in ("left", "center", "right"):
                classes = cell.get("class", "").split()
                cell.set("class", " ".join([*classes, f"align-{align}"]))


class TableAlignExtension(Extension):
    """Register TableAlignProcessor."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(TableAlignProcessor(md), "table_align", 4)


# --- The Markdown instance ----------------------------------------------------------------------

_EXTENSION_CONFIGS = {
    "toc": {
        "permalink": True,
        "permalink_title": "Permanent link",
        "slugify": _heading_id,
        # A [TOC] marker in a page; not "toc", which the site's own layout uses.
        "toc_class": "wiki-toc",
    },
    "codehilite": {"css_class": "highlight", "guess_lang": False, "noclasses": False},
    "pymdownx.tasklist": {"custom_checkbox": False, "clickable_checkbox": False},
    "pymdownx.arithmatex": {"generic": True},
}


class _Renderer:
    """One Markdown instance and its wiki-link extension (not thread-safe: one per thread)."""

    def __init__(self) -> None:
        self.wikilinks = WikiLinkExtension()
        self.md = markdown.Markdown(
            extensions=[
                "extra",
                "toc",
                "codehilite",
                "sane_lists",
                "admonition",
                "pymdownx.tilde",
                "pymdownx.tasklist",
                "pymdownx.arithmatex",
                self.wikilinks,
                TableAlignExtension(),
            ],
            extension_configs=_EXTENSION_CONFIGS,
            output_format="html",
        )


_local = threading.local()


def _renderer() -> _Renderer:
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = _Renderer()
    else:
        renderer.md.reset()  # also resets toc, footnotes, abbr and the wiki links
    return renderer


# --- Sanitizing ----------------------------------------------------------------------------------

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

ALLOWED_TAGS = frozenset(
    {
        *_HEADINGS,
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "hr",
        "i",
        "img",
        "input",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "var",
    }
)

# Dropped together with their content (the rest of the disallowed tags lose only the tag).
CLEAN_CONTENT_TAGS = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "iframe",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "textarea",
        "select",
        "title",
    }
)

# `rel` is not here: the last pass sets it on external links (and nh3 drops any the author wrote).
# `type` and `disabled` of <input> are forced by SET_TAG_ATTRIBUTE_VALUES.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "class", "id", "data-wikilink", "data-evallink"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "dfn": {"title"},
    "th": {"class", "colspan", "rowspan"},
    "td": {"class", "colspan", "rowspan"},
    **{tag: {"id"} for tag in _HEADINGS},
    "span": {"class"},
    "div": {"class"},
    "p": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "sup": {"id", "class"},
    "li": {"id", "class"},
    "ol": {"id", "class", "start"},
    "ul": {"class"},
    "details": {"open"},
    "input": {"checked"},
}

SET_TAG_ATTRIBUTE_VALUES = {"input": {"type": "checkbox", "disabled": "disabled"}}

URL_SCHEMES = frozenset({"http", "https", "mailto"})

ADMONITION_TYPES = frozenset(
    {
        "abstract",
        "attention",
        "bug",
        "caution",
        "danger",
        "error",
        "example",
        "failure",
        "hint",
        "important",
        "info",
        "note",
        "question",
        "quote",
        "seealso",
        "success",
        "tip",
        "todo",
        "warning",
    }
)

# Classes the renderer emits, plus Pygments' token classes; any other class is dropped so that
# authors cannot borrow the site's own classes (flash messages, badges, …) to spoof its UI.
ALLOWED_CLASSES = frozenset(
    {
        "admonition",
        "admonition-title",
        "align-center",
        "align-left",
        "align-right",
        "arithmatex",
        "codehilitetable",
        "evallink",
        "filename",
        "footnote",
        "footnote-backref",
        "footnote-ref",
        "headerlink",
        "highlight",
        "hll",
        "linenodiv",
        "linenos",
        "task-list",
        "task-list-control",
        "task-list-indicator",
        "task-list-item",
        "wanted",
        "wiki-toc",
        "wikilink",
        *ADMONITION_TYPES,
        *(name for name in STANDARD_TYPES.values() if name),
    }
)
_LANGUAGE_CLASS = re.compile(r"language-[a-z0-9+#._-]{1,40}")

# Heading ids come from normalize_slug (plus "_N" for duplicates); footnote ids are "fn:LABEL",
# "fnref:LABEL" and "fnrefN:LABEL". Any other id is dropped: in particular an author cannot name an
# element after a camelCase global such as window.renderMathInElement (DOM clobbering), since
# heading-style ids are lower-case and footnote ids contain a colon.
_HEADING_ID = re.compile(r"[a-z0-9\uac00-\ud7a3_-]{1,160}")
_FOOTNOTE_ID = re.compile(r"fn(?:ref\d*)?:[\w.-]{1,160}")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Second line of the allow-list: the values nh3 lets through, per attribute."""
    if attribute == "class":
        kept = [
            name
            for name in value.split()
            if name in ALLOWED_CLASSES or _LANGUAGE_CLASS.fullmatch(name)
        ]
        return " ".join(dict.fromkeys(kept)) or None
    if attribute == "id":
        if _HEADING_ID.fullmatch(value) or _FOOTNOTE_ID.fullmatch(value):
            return value
        return None
    if attribute in ("data-wikilink", "data-evallink"):
        return value if value and normalize_slug(value) == value else None
    if attribute in ("width", "height", "colspan", "rowspan", "start"):
        return value if value.isascii() and value.isdigit() and len(value) <= 5 else None
    return value


_NH3_OPTIONS = {
    "tags": set(ALLOWED_TAGS),
    "clean_content_tags": set(CLEAN_CONTENT_TAGS),
    "attributes": ALLOWED_ATTRIBUTES,
    "attribute_filter": _attribute_filter,
    "strip_comments": True,
    "link_rel": None,
    "set_tag_attribute_values": SET_TAG_ATTRIBUTE_VALUES,
    "url_schemes": set(URL_SCHEMES),
}

_URL_IGNORED = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL
_URL_STRIPPED = "".join(chr(code) for code in range(0x21))  # ... and C0 controls/space at the ends
# Relative references that stay on this site: "", "#frag", "?query", "/path" (but not "//host"
# or "/\host", which browsers read as another host) and relative paths without a scheme.
_SAME_SITE_URL = re.compile(r"$|[#?]|/(?![/\\])|[^:/\\?#]+(?:[/?#]|$)")
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "col", "wbr"})


def _is_external(href: str) -> bool:
    url = _URL_IGNORED.sub("", href).strip(_URL_STRIPPED)
    return not _SAME_SITE_URL.match(url)


class _Finisher(HTMLParser):
    """Re-serialize nh3's output: escape attribute values fully and mark external links.

    Attributes come out sorted by name: nh3 adds the forced ones (SET_TAG_ATTRIBUTE_VALUES) in an
    order that changes from call to call, and the stored HTML must not.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        if tag not in ALLOWED_TAGS:  # cannot happen after nh3; belt and braces
            return ""
        values = {
            name: value or ""
            for name, value in attrs
            if name != "rel" and name != "style" and not name.startswith("on")
        }
        if tag == "a" and "href" in values and _is_external(values["href"]):
            values["rel"] = EXTERNAL_LINK_REL
        parts = [f"<{tag}"]
        parts.extend(f' {name}="{escape(values[name], quote=True)}"' for name in sorted(values))
        parts.append(">")
        return "".join(parts)

    def handle_starttag(self, tag, attrs):
        self.out.append(self._start(tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self._start(tag, attrs))
        if tag not in _VOID_TAGS and tag in ALLOWED_TAGS:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag):
        if tag in ALLOWED_TAGS and tag not in _VOID_TAGS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(escape(data, quote=False))


def sanitize_html(fragment: str) -> str:
    """Sanitize an HTML fragment with the wiki's allow-list (see the module docstring)."""
    finisher = _Finisher()
    finisher.feed(nh3.clean(fragment, **_NH3_OPTIONS))
    finisher.close()
    return "".join(finisher.out)


# --- Rendering ----------------------------------------------------------------------------------


def _count_headings(tokens: list[dict]) -> int:
    return sum(1 + _count_headings(token["children"]) for token in tokens)


def _toc_list(tokens: list[dict]) -> str:
    if not tokens:
        return ""
    items = "".join(
        # `name` is the heading's text, already HTML-escaped by the toc extension.
        f'<li><a href="#{escape(token["id"])}">{token["name"]}</a>'
        f"{_toc_list(token['children'])}</li>"
        for token in tokens
    )
    return f"<ul>{items}</ul>"


def render_markdown(source: str) -> RenderedPage:
    """Render a wiki page's Markdown to sanitized HTML, its table of contents and its links."""
    renderer = _renderer()
    body = renderer.md.convert(source)
    tokens = getattr(renderer.md, "toc_tokens", [])
    toc_html = sanitize_html(_toc_list(tokens)) if _count_headings(tokens) >= 2 else ""
    links: dict[tuple[str, str], WikiLink] = {}
    for link in renderer.wikilinks.links:
        links.setdefault((link.kind, link.target), link)
    return RenderedPage(html=sanitize_html(body), toc_html=toc_html, links=tuple(links.values()))


# --- Plain text ---------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        *_HEADINGS,
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)
_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "title", "head"})
# Permalink pilcrows, footnote back-arrows and an inline [TOC] only repeat other text.
_SKIPPED_CLASSES = frozenset({"headerlink", "footnote-backref", "wiki-toc"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag not in _VOID_TAGS and (tag in _INVISIBLE_TAGS or classes & _SKIPPED_CLASSES):
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if self.skip_tag is None:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The visible text of rendered HTML, whitespace-collapsed (for search and summaries)."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return " ".join("".join(extractor.parts).split())

"""What the search page says: hints about the query, facet names and value labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from exchange.accounts.models import Institute
from exchange.evaluations.forms import DOMAIN_LABELS, TECHNIQUE_LABELS
from exchange.extensions import db
from exchange.search.query import FIELDS, MIN_PREFIX, Hint
from exchange.wiki.forms import KIND_LABELS, LANGUAGE_LABELS

TYPE_LABELS = {
    **KIND_LABELS,
    "record": _l("Evaluation record"),
    "program": _l("Rotation program"),
}
FACET_LABELS = {
    "kind": _l("Type"),
    "institute": _l("Institute"),
    "domain": _l("Risk domain"),
    "lang": _l("Language"),
    "tag": _l("Tag"),
    "year": _l("Year"),
}
SORT_LABELS = {"relevance": _l("Relevance"), "date": _l("Newest first")}
FACET_LIMIT = 12


def hint_text(hint: Hint) -> str:
    """One sentence telling the user how their query was read."""
    fields = ", ".join(f"{name}:" for name in FIELDS)
    messages = {
        "unclosed_quote": _("A quotation mark was not closed; the phrase runs to the end."),
        "short_prefix": _(
            "“%(word)s” is too short for a prefix search (at least %(n)d letters before *); "
            "it was searched as a word.",
            word=hint.detail,
            n=MIN_PREFIX,
        ),
        "unknown_field": _(
            "“%(field)s:” is not a field we know, so it was searched as words. Fields: %(fields)s.",
            field=hint.detail,
            fields=fields,
        ),
        "only_exclusions": _(
            "Your query only excludes words. Add at least one word to search for."
        ),
        "dangling_or": _("OR needs something to search on both sides; it was ignored."),
        "or_exclusion": _("An excluded word cannot be one side of OR; it is excluded instead."),
        "too_long": _("The query was cut to its first %(n)s characters.", n=hint.detail),
        "too_many": _("Only the first %(n)s parts of the query were used.", n=hint.detail),
        "bad_date": _(
            "The date “%(name)s” was not understood (use YYYY-MM-DD); it was ignored.",
            name=hint.detail,
        ),
        "bad_sort": _("Unknown sort order; results are sorted by relevance."),
        "bad_page": _("That page number does not exist; showing the nearest page."),
        "control_characters": _("Control characters in the query were read as spaces."),
    }
    return messages.get(hint.code, _("Part of the query could not be used."))


def type_label(kind: str) -> str:
    return str(TYPE_LABELS.get(kind, kind))


def _institute_names(codes) -> dict[str, str]:
    locale = str(get_locale() or "en")
    rows = db.session.scalars(select(Institute).where(Institute.code.in_(list(codes))))
    return {i.code.casefold(): f"{i.code} · {i.name_for(locale)}" for i in rows}


def value_label(name: str, value) -> str:
    if name == "kind":
        return type_label(value)
    if name == "lang":
        return str(LANGUAGE_LABELS.get(value, value))
    if name == "domain":
        return str(DOMAIN_LABELS.get(value, value))
    if name == "tag":
        return str(TECHNIQUE_LABELS.get(value, value))
    return str(value)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    url: str
    selected: bool


@dataclass
class FacetSection:
    name: str
    label: str
    values: list[FacetValue]
    clear_url: str | None


def facet_sections(response, req) -> list[FacetSection]:
    """Facets with counts, each value a link that narrows (or, selected, widens) the search."""
    if not response.searched:
        return []
    sections = []
    institutes = _institute_names(
        code.upper() for code, _count in response.facets.get("institute", [])
    )
    for name in ("kind", "institute", "domain", "lang", "tag", "year"):
        counts = response.facets.get(name, [])
        if name == "year":
            selected_year = (
                req.date_from.year
                if req.date_from
                and req.date_to
                and req.date_from == date(req.date_from.year, 1, 1)
                and req.date_to == date(req.date_from.year, 12, 31)
                else None
            )
            values = [
                FacetValue(
                    str(year),
                    str(year),
                    count,
                    url_for(
                        "search.search",
                        **req.args(
                            **{"from": f"{year}-01-01", "to": f"{year}-12-31", "page": None}
                        ),
                    ),
                    year == selected_year,
                )
                for year, count in sorted(counts, key=lambda item: -item[0])
            ]
            clear = (
                url_for("search.search", **req.args(**{"from": None, "to": None, "page": None}))
                if req.date_from or req.date_to
                else None
            )
        else:
            current = getattr(req, name)
            values = []
            for value, count in counts[:FACET_LIMIT]:
                label = (
                    institutes.get(value, value.upper())
                    if name == "institute"
                    else value_label(name, value)
                )
                selected = current.casefold() == str(value).casefold()
                values.append(
                    FacetValue(
                        str(value),
                        label,
                        count,
                        url_for(
                            "search.search",
                            **req.args(**{name: None if selected else value, "page": None}),
                        ),
                        selected,
                    )
                )
            clear = (
                url_for("search.search", **req.args(**{name: None, "page": None}))
                if current
                else None
            )
        if values or clear:
            sections.append(FacetSection(name, str(FACET_LABELS[name]), values, clear))
    return sections

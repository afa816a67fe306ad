"""Live cards for [[eval:slug]] links in wiki pages, with the headline numbers, per reader."""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy.orm import selectinload

from exchange.evaluations.charts import proportion_unit
from exchange.evaluations.models import EvaluationRecord
from exchange.evaluations.presenters import headline_results
from exchange.evaluations.queries import visible_records
from exchange.extensions import db
from exchange.wiki.queries import LINK_RENDERERS

EVALLINK_RE = re.compile(
    r'<a class="wikilink evallink" data-evallink="([^"]*)" href="[^"]*">(.*?)</a>', re.S
)


def _number(value: float, unit: str) -> str:
    return f"{value * 100:.1f}%" if unit == "%" else f"{value:.3g}"


def _card(record: EvaluationRecord) -> str:
    parts = []
    for result in headline_results(record):
        unit = proportion_unit(result.metric, [result.value])
        text = f"{result.benchmark} {result.metric} {_number(result.value, unit)}"
        if result.stderr is not None:
            spread = result.stderr * 100 if unit == "%" else result.stderr
            text += f" ± {spread:.1f}" if unit == "%" else f" ± {spread:.2g}"
        parts.append(text)
    numbers = "; ".join(parts)
    return (
        f'<span class="evalcard"><a href="/evaluations/{escape(record.slug)}">'
        f'{escape(record.title)}</a> <span class="evalcard-model">{escape(record.model_name)}'
        f'</span>{" · " if numbers else ""}<span class="evalcard-numbers">{escape(numbers)}'
        "</span></span>"
    )


def render_cards(html: str) -> str:
    """Replace eval links with cards for the records the reader may see; others read as text."""
    slugs = {slug for slug, _label in EVALLINK_RE.findall(html)}
    if not slugs:
        return html
    records = {
        r.slug: r
        for r in db.session.scalars(
            visible_records()
            .where(EvaluationRecord.slug.in_(slugs))
            .options(selectinload(EvaluationRecord.results))
        )
    }

    def replace(match: re.Match) -> str:
        record = records.get(match.group(1))
        if record is None:
            return f'<span class="wikilink wanted">{match.group(2)}</span>'
        return _card(record)

    return EVALLINK_RE.sub(replace, html)


LINK_RENDERERS.append(render_cards)

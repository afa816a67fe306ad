"""Server-side SVG charts of evaluation results: one metric, one row per model, with error bars.

The chart is a horizontal dot-and-whisker plot. The evaluated model(s) come first, under their own
heading, drawn as filled diamonds in the accent colour with a bold name; the reference models
(there only for comparison) follow after a separator, as hollow circles in a muted grey. Nothing
here judges a result: there is no "safe"/"unsafe" colouring, only the numbers and their
uncertainty.

Error bars
    When a point has both ``ci_low`` and ``ci_high`` its bar is that reported interval; otherwise,
    when it has ``stderr``, the bar is ``value ± 1 standard error`` (not ±1.96 SE: the chart shows
    what was reported and says so). A note under the axis names the kind shown (standard error,
    confidence interval, or both when a series mixes them). Points with neither have no bar.

Proportions
    ``ChartSeries.unit == "%"`` means the values are proportions in [0, 1]; they are shown as
    percentages ("34% ± 4": the ± is in percentage points). The axis starts at 0% and ends at
    100%, unless every value and bar stays within the first third (at most 33%), when it ends at
    the first "nice" tick above the data (e.g. 0-6% for low attack success rates). Error bars
    never stretch the axis past 0% or 100%: they are cut at the edge, which then shows an arrow
    instead of a cap. :func:`proportion_unit` tells whether a metric reads as a percentage.

Other scales
    The axis covers every value and every error bar, extended to nice ticks (3 to 6 of them). It
    includes zero when the data lie close enough to it (the nearest value is less than half as far
    from zero as the farthest), so small differences on, say, a 0-10 score are not hidden behind
    a mostly empty axis. ``ChartSeries.domain`` fixes the axis instead (e.g. ``(0, 10)``); values
    outside it still widen it, error bars are cut with an arrow.

Strings
    All text comes from the caller already translated (:class:`ChartLabels`), so this module is
    pure: no Flask, no Babel, no database. Every string, model names included, is escaped; control
    and bidirectional-override characters are removed. Names too long for the name column are cut
    with an ellipsis and carry the full name in a ``<title>`` tooltip. The ``<desc>`` states every
    point in words, full names included; the page should also offer the results as a table.

Styling
    Classes only (see static/css/charts.css), no ``style`` attributes or ``<style>`` elements: the
    site's Content-Security-Policy forbids inline styles. The SVG scales with its container
    through its ``viewBox``; its height follows the number of rows.

The output is well-formed XML and depends only on the arguments: the same input gives the same
bytes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

__all__ = [
    "ChartLabels",
    "ChartPoint",
    "ChartSeries",
    "nice_ticks",
    "proportion_unit",
    "render_chart",
]


@dataclass(frozen=True)
class ChartPoint:
    """One model's result for the charted metric.

    The error bar is ``[ci_low, ci_high]`` when both are given, else ``value ± stderr`` when
    ``stderr`` is given, else there is none. Non-finite numbers count as missing, and so do a
    negative ``stderr`` and an interval with ``ci_low > ci_high``. A point whose value is missing
    is listed (as ``ChartLabels.not_reported``) but not drawn.
    """

    model: str
    value: float
    is_reference: bool = False
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class ChartSeries:
    """One metric of one benchmark, e.g. ``ChartSeries("Cybench · success rate", "%", points=…)``.

    ``unit`` is ``""`` (plain numbers), ``"%"`` (values are proportions in [0, 1], shown as
    percentages) or another short unit appended to value labels (``"s"``, ``"pts"``).
    ``domain`` optionally fixes the axis, in data units (proportions for ``"%"``).
    """

    title: str
    unit: str = ""
    points: tuple[ChartPoint, ...] = field(kw_only=True)
    domain: tuple[float, float] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.unit, str):
            raise TypeError("ChartSeries.unit must be a string; pass points as points=…")
        object.__setattr__(self, "points", tuple(self.points))
        if self.domain is not None:
            low, high = (float(x) for x in self.domain)
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError("ChartSeries.domain must be two finite numbers, low < high")
            object.__setattr__(self, "domain", (low, high))


@dataclass(frozen=True)
class ChartLabels:
    """The chart's words, already translated by the caller (gettext-style %(name)s templates).

    The defaults are English, for tests and tools; pages pass translations, e.g.
    ``ChartLabels(evaluated=ngettext("Evaluated model", "Evaluated models", count), …)``.
    """

    evaluated: str = "Evaluated model"
    reference: str = "Reference models"
    error_stderr: str = "Error bars show ±1 standard error"
    error_ci: str = "Error bars show the reported confidence interval"
    error_mixed: str = (
        "Error bars show the reported confidence interval where given, otherwise ±1 standard error"
    )
    error_none: str = "No uncertainty was reported"
    clipped: str = "Arrows mark error bars cut off at the edge of the axis"
    n: str = "n = %(n)d"
    point_stderr: str = "%(value)s ± %(stderr)s"
    point_ci: str = "%(value)s (%(low)s to %(high)s)"
    not_reported: str = "not reported"
    no_data: str = "No results to show"
    percent: str = "%(value)s%%"
    decimal_separator: str = "."


# --------------------------------------------------------------------------- public helpers

_RATE_WORDS = re.compile(
    r"accuracy|rate|ratio|proportion|fraction|share|percent|pass@|success|refusal|"
    r"compliance|\basr\b|precision|recall",
    re.IGNORECASE,
)


def proportion_unit(metric: str, values) -> str:
    """``"%"`` when ``metric`` names a rate and every finite value lies in [0, 1], else ``""``."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if finite and _RATE_WORDS.search(metric or "") and all(0 <= v <= 1 for v in finite):
        return "%"
    return ""


_NICE_MULTIPLES = (1.0, 2.0, 5.0)


def nice_ticks(
    low: float, high: float, *, fixed: bool = False, max_ticks: int = 6
) -> tuple[float, float, tuple[float, ...]]:
    """Axis bounds and ticks for data in [low, high] (nice numbers: 1, 2 or 5 times a power of 10).

    Unless ``fixed``, the bounds are widened to the nearest ticks outside the data, and there are
    3 to ``max_ticks`` ticks. With ``fixed`` the bounds stay as given and the ticks are the nice
    multiples inside them (2 to ``max_ticks``). Returns ``(axis_low, axis_high, ticks)``.
    """
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("nice_ticks needs finite bounds")
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    span = high - low
    exponent = math.floor(math.log10(span / max_ticks)) - 1
    for _ in range(6):
        for multiple in _NICE_MULTIPLES:
            step = multiple * 10.0**exponent
            if fixed:
                first = math.ceil(low / step - 1e-9)
                last = math.floor(high / step + 1e-9)
            else:
                first = math.floor(low / step + 1e-9)
                last = math.ceil(high / step - 1e-9)
            if last - first + 1 <= max_ticks:
                digits = 3 - math.floor(math.log10(step))
                ticks = tuple(_clean(i * step, digits) for i in range(first, last + 1))
                if fixed:
                    return low, high, ticks
                return ticks[0], ticks[-1], ticks
        exponent += 1
    raise AssertionError("unreachable: a step of ten times the span fits")  # pragma: no cover


# --------------------------------------------------------------------------- rendering

# Geometry, in viewBox units (the SVG scales to its container; charts.css caps its width).
_WIDTH = 720
_PAD = 12
_GAP = 14
_TITLE_SIZE = 16
_NAME_SIZE = 13
_VALUE_SIZE = 13
_TICK_SIZE = 12
_HEADING_SIZE = 11.5
_NOTE_SIZE = 12
_NAME_MAX = 220
_NAME_MIN = 72
_PLOT_MIN = 250
_HEADING_HEIGHT = 24
_SEPARATOR_GAP = 10
_TOP_TICKS_FROM = 13  # rows; long charts repeat the tick labels above the plot
_CAP = 5  # half-height of an error-bar cap
_ARROW = 5
_EPS = 1e-12
_ZOOM_BELOW = 1 / 3  # proportions that all stay below a third get a 0-to-nice-top axis

_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*\Z")
# Bidirectional embeddings, overrides and isolates, zero-width and other invisible format
# characters: they only serve to make a name look like another one.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_SPACES = re.compile("[ \t\n\r\f\v\u2028\u2029]+")  # not the no-break space
_MINUS = "\u2212"
_ELLIPSIS = "\u2026"
_EN_DASH = "\u2013"


@dataclass(frozen=True)
class _Row:
    name: str
    is_reference: bool
    value: float | None
    low: float | None
    high: float | None
    kind: str | None  # "se", "ci" or None
    label: str
    n_label: str
    description: str


def render_chart(
    series: ChartSeries,
    *,
    chart_id: str,
    labels: ChartLabels | None = None,
    show_title: bool = True,
) -> Markup:
    """The series as an accessible ``<svg role="img">`` dot-and-whisker chart (see module doc).

    ``chart_id`` must be unique on the page and a plain identifier (letter first, then letters,
    digits, ``_ . : -``); it prefixes the ids of the ``<title>`` and ``<desc>``. ``show_title``
    draws the title inside the chart too (it is always the accessible name).
    """
    if not isinstance(chart_id, str) or not _ID_RE.match(chart_id):
        raise ValueError(f"chart_id must be a plain identifier, got {chart_id!r}")
    labels = labels or ChartLabels()
    fmt = _Formatter(series, labels)
    title = _clean_text(series.title)
    rows = [_make_row(point, fmt, labels) for point in series.points]
    # Evaluated models first, each group in the caller's order.
    rows = [r for r in rows if not r.is_reference] + [r for r in rows if r.is_reference]

    esc_id = escape(chart_id)
    description = _describe(title, rows, labels)
    if not any(r.value is not None for r in rows):
        return _render_empty(esc_id, title, description, labels, show_title)

    axis = _Axis(series, rows)
    rows = [_clip_row(row, axis) for row in rows]
    layout = _Layout(rows, fmt, axis, title if show_title else "", labels)
    out = layout.render(esc_id, title, description)
    return Markup("".join(out))  # noqa: S704 - every piece is built from escaped text


# --------------------------------------------------------------------------- text helpers


def _clean(x: float, digits: int) -> float:
    """Round away binary noise (0.30000000000000004) and negative zero."""
    x = round(x, digits)
    return 0.0 if x == 0 else x


def _clean_text(text) -> str:
    """Text safe to put in XML: no control, surrogate or invisible format characters."""
    text = "" if text is None else str(text)
    kept = []
    for ch in _INVISIBLE.sub("", text):
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif category in ("Cs", "Co", "Cn") or ch in "\ufffe\uffff":
            continue
        else:
            kept.append(ch)
    return _SPACES.sub(" ", "".join(kept)).strip(" ")


def _char_width(ch: str) -> float:
    """Rough advance width of a character, in ems, erring wide (fonts like DejaVu Sans)."""
    if unicodedata.combining(ch):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch in " il.,:;|!'\u2019()[]/ftjrI":
        return 0.38
    if ch in "mwMW%@\u2014":
        return 0.95
    if ch.isupper() or ch.isdigit() or ch in "\u00b1\u2212\u2013\u2026#&_-=+<>?~":
        return 0.7
    return 0.62


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    return sum(_char_width(ch) for ch in text) * size * (1.12 if bold else 1.0)


def _truncate(text: str, max_width: float, size: float, *, bold: bool) -> tuple[str, bool]:
    if _text_width(text, size, bold=bold) <= max_width:
        return text, False
    budget = max_width - _text_width(_ELLIPSIS, size, bold=bold)
    used = 0.0
    cut = 0
    for i, ch in enumerate(text):
        used += _text_width(ch, size, bold=bold)
        if used > budget:
            break
        cut = i + 1
    return text[:cut].rstrip() + _ELLIPSIS, True


def _wrap(text: str, max_width: float, size: float, *, bold: bool = False) -> list[str]:
    """Greedy line breaking on spaces; over-long words (or unspaced scripts) break anywhere."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if _text_width(candidate, size, bold=bold) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if line and _text_width(line + ch, size, bold=bold) > max_width:
                lines.append(line)
                line = ""
            line += ch
    if line:
        lines.append(line)
    return lines or [""]


def _num(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros, never "-0"."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _finite(x) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- numbers


class _Formatter:
    """Formats a series' numbers consistently: same decimals everywhere, the unit, the minus."""

    def __init__(self, series: ChartSeries, labels: ChartLabels):
        self.labels = labels
        self.percent = series.unit == "%"
        self.unit = "" if self.percent else _clean_text(series.unit)
        self.scale = 100.0 if self.percent else 1.0
        self.decimals = self._value_decimals(series.points)

    def _value_decimals(self, points) -> int:
        uncertainties = []
        values = []
        for p in points:
            value = _finite(p.value)
            if value is None:
                continue
            values.append(value * self.scale)
            low, high, _kind = _error_bar(p, value)
            if low is not None and high is not None and high > low:
                uncertainties.append((high - low) / 2 * self.scale)
        if uncertainties:
            smallest = min(uncertainties)
            magnitude = math.floor(math.log10(smallest))
            leading = smallest / 10.0**magnitude
            # One significant digit of the smallest uncertainty, two when it starts with a 1.
            return max(0, min(3, -magnitude + (1 if leading < 2 else 0)))
        if all(abs(v - round(v)) < 1e-9 for v in values):
            return 0
        spread = (max(values) - min(values)) or max(abs(v) for v in values)
        return max(0, min(3, 2 - math.floor(math.log10(spread))))

    def number(self, x: float, decimals: int | None = None) -> str:
        """A number in data units, scaled (times 100 for percentages) and rounded half up."""
        decimals = self.decimals if decimals is None else decimals
        scaled = Decimal(repr(float(x))) * (100 if self.percent else 1)
        rounded = scaled.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        text = f"{abs(rounded):.{decimals}f}"
        if decimals:
            text = text.replace(".", self.labels.decimal_separator)
        if rounded < 0:
            text = _MINUS + text
        return text

    def value(self, x: float, decimals: int | None = None) -> str:
        """A value with its unit: "34%", "7.2 s", "-3" (with a true minus sign)."""
        text = self.number(x, decimals)
        if self.percent:
            return self.labels.percent % {"value": text}
        return f"{text}\u00a0{self.unit}" if self.unit else text

    def tick(self, x: float, step: float) -> str:
        return self.value(x, _step_decimals(step * self.scale))

    def spread(self, x: float) -> str:
        """An uncertainty, in the value's units but without the % sign (percentage points)."""
        return self.number(x)


def _step_decimals(step: float) -> int:
    for decimals in range(6):
        if abs(round(step, decimals) - step) < 1e-9 * max(1.0, abs(step)):
            return decimals
    return 6


def _error_bar(point: ChartPoint, value: float) -> tuple[float | None, float | None, str | None]:
    low, high = _finite(point.ci_low), _finite(point.ci_high)
    if low is not None and high is not None and low <= high:
        return low, high, "ci"
    stderr = _finite(point.stderr)
    if stderr is not None and stderr >= 0:
        return value - stderr, value + stderr, "se"
    return None, None, None


def _make_row(point: ChartPoint, fmt: _Formatter, labels: ChartLabels) -> _Row:
    name = _clean_text(point.model) or "—"
    is_reference = bool(point.is_reference)
    value = _finite(point.value)
    n = point.n if isinstance(point.n, int) and not isinstance(point.n, bool) else None
    n_label = labels.n % {"n": n} if n is not None else ""
    if value is None:
        low = high = kind = None
        label = labels.not_reported
        spoken = labels.not_reported
    else:
        low, high, kind = _error_bar(point, value)
        shown = fmt.value(value)
        if kind == "se":
            spread = fmt.spread(_finite(point.stderr) or 0.0)
            label = f"{shown} ± {spread}"
            spoken = labels.point_stderr % {"value": shown, "stderr": spread}
        elif kind == "ci":
            lo, hi = fmt.number(low), fmt.number(high)
            dash = f" {_EN_DASH} " if _MINUS in lo + hi else _EN_DASH
            label = f"{shown} ({lo}{dash}{hi})"
            spoken = labels.point_ci % {
                "value": shown,
                "low": fmt.value(low),
                "high": fmt.value(high),
            }
        else:
            label = spoken = shown
    description = f"{name}: {spoken}" + (f", {n_label}" if n_label else "")
    return _Row(
        name=name,
        is_reference=is_reference,
        value=value,
        low=low,
        high=high,
        kind=kind,
        label=_clean_text(label),
        n_label=_clean_text(n_label),
        description=_clean_text(description),
    )


def _error_note(rows: list[_Row], labels: ChartLabels) -> str:
    kinds = {r.kind for r in rows if r.value is not None}
    if "ci" in kinds and "se" in kinds:
        return labels.error_mixed
    if "ci" in kinds:
        return labels.error_ci
    if "se" in kinds:
        return labels.error_stderr
    return labels.error_none


def _describe(title: str, rows: list[_Row], labels: ChartLabels) -> str:
    if not rows:
        return _clean_text(f"{title.rstrip('.')}. {labels.no_data}" if title else labels.no_data)
    parts = [title.rstrip(".") + "."] if title else []
    for heading, group in (
        (labels.evaluated, [r for r in rows if not r.is_reference]),
        (labels.reference, [r for r in rows if r.is_reference]),
    ):
        if group:
            parts.append(f"{heading}: " + "; ".join(r.description for r in group) + ".")
    parts.append(_error_note(rows, labels).rstrip(".") + ".")
    return _clean_text(" ".join(parts))


# --------------------------------------------------------------------------- axis


class _Axis:
    """The x-axis: bounds, ticks and the mapping from data to the plot's [0, 1]."""

    def __init__(self, series: ChartSeries, rows: list[_Row]):
        values = [r.value for r in rows if r.value is not None]
        ends = [x for r in rows for x in (r.low, r.high) if x is not None]
        percent = series.unit == "%"
        if series.domain is not None:
            low = min([series.domain[0], *values])
            high = max([series.domain[1], *values])
            fixed = (low, high) == series.domain
            self.low, self.high, self.ticks = nice_ticks(low, high, fixed=fixed)
        elif percent:
            self.low, self.high, self.ticks = self._percent_axis(values, ends)
        else:
            self.low, self.high, self.ticks = nice_ticks(
                *_with_zero(min(values + ends), max(values + ends))
            )
        self.step = self.ticks[1] - self.ticks[0] if len(self.ticks) > 1 else 1.0

    @staticmethod
    def _percent_axis(values: list[float], ends: list[float]):
        low, high = min(values), max(values)
        if low < 0 or high > 1:  # not proportions after all: show every value, honestly
            return nice_ticks(min(0.0, low), max(1.0, high))
        reach = max([*values, *(min(x, 1.0) for x in ends)])
        if 0 < reach <= _ZOOM_BELOW:
            return nice_ticks(0.0, reach)
        return nice_ticks(0.0, 1.0, fixed=True)

    def position(self, x: float) -> float:
        return (x - self.low) / (self.high - self.low)


def _with_zero(low: float, high: float) -> tuple[float, float]:
    """Widen [low, high] to zero when zero is near enough to matter."""
    if low == high:
        return (min(low, 0.0), max(high, 0.0)) if low else (0.0, 1.0)
    if 0 < low <= high / 2:
        return 0.0, high
    if low / 2 <= high < 0:
        return low, 0.0
    return low, high


@dataclass(frozen=True)
class _Bar:
    low: float
    high: float
    cut_low: bool
    cut_high: bool


def _clip_row(row: _Row, axis: _Axis) -> tuple[_Row, _Bar | None]:
    if row.value is None or row.low is None or row.high is None:
        return row, None
    low, high = max(row.low, axis.low), min(row.high, axis.high)
    if high < low:
        return row, None
    return row, _Bar(low, high, row.low < axis.low - _EPS, row.high > axis.high + _EPS)


# --------------------------------------------------------------------------- layout


class _Layout:
    def __init__(self, rows, fmt: _Formatter, axis: _Axis, title: str, labels: ChartLabels):
        self.fmt, self.axis, self.labels = fmt, axis, labels
        count = len(rows)
        self.row_height = 26 if count <= 20 else 22
        self.evaluated = [(r, b) for r, b in rows if not r.is_reference]
        self.reference = [(r, b) for r, b in rows if r.is_reference]

        inner = _WIDTH - 2 * _PAD
        self.value_width = max(
            _text_width(r.label, _VALUE_SIZE, bold=not r.is_reference) for r, _ in rows
        )
        self.n_width = max((_text_width(r.n_label, _VALUE_SIZE) for r, _ in rows), default=0.0)
        right = self.value_width + (_GAP + self.n_width if self.n_width else 0.0)
        longest = max(_text_width(r.name, _NAME_SIZE, bold=not r.is_reference) for r, _ in rows)
        room = inner - right - 2 * _GAP - _PLOT_MIN
        self.name_width = max(_NAME_MIN, min(_NAME_MAX, longest, room))
        self.x0 = _PAD + self.name_width + _GAP
        self.x1 = _WIDTH - _PAD - right - _GAP

        self.title_lines = _wrap(title, inner, _TITLE_SIZE, bold=True) if title else []
        self.notes = [_error_note([r for r, _ in rows], labels)]
        if any(b is not None and (b.cut_low or b.cut_high) for _, b in rows):
            self.notes.append(labels.clipped)
        self.note_lines = [line for note in self.notes for line in _wrap(note, inner, _NOTE_SIZE)]
        self.top_ticks = count >= _TOP_TICKS_FROM

    def x(self, value: float) -> float:
        return self.x0 + self.axis.position(value) * (self.x1 - self.x0)

    def render(self, esc_id, title: str, description: str) -> list[str]:
        out: list[str] = []
        body: list[str] = []
        y = float(_PAD)
        for line in self.title_lines:
            y += _TITLE_SIZE * 1.25
            body.append(
                f'<text class="chart-title" x="{_PAD}" y="{_num(y - 4)}">{escape(line)}</text>'
            )
        if self.title_lines:
            y += 8
        if self.top_ticks:
            y += _TICK_SIZE + 8
            top_label_y = y - 6
        plot_top = y + 4
        y = plot_top

        rows_svg: list[str] = []
        groups = [g for g in (("evaluated", self.evaluated), ("reference", self.reference)) if g[1]]
        for index, (group, members) in enumerate(groups):
            if index:
                y += _SEPARATOR_GAP / 2
                rows_svg.append(
                    f'<line class="chart-separator" x1="{_PAD}" x2="{_WIDTH - _PAD}" '
                    f'y1="{_num(y)}" y2="{_num(y)}"/>'
                )
                y += _SEPARATOR_GAP / 2
            heading = self.labels.evaluated if group == "evaluated" else self.labels.reference
            y += _HEADING_HEIGHT
            rows_svg.append(
                f'<text class="chart-heading chart-heading--{group}" x="{_PAD}" '
                f'y="{_num(y - 8)}">{escape(_clean_text(heading))}</text>'
            )
            for position, (row, bar) in enumerate(members):
                rows_svg.append(self._row(row, bar, y, position))
                y += self.row_height
        plot_bottom = y + 4

        grid: list[str] = []
        for tick in self.axis.ticks:
            x = _num(self.x(tick))
            zero = " chart-grid--zero" if tick == 0 and self.axis.low < 0 < self.axis.high else ""
            grid.append(
                f'<line class="chart-grid{zero}" x1="{x}" x2="{x}" '
                f'y1="{_num(plot_top)}" y2="{_num(plot_bottom)}"/>'
            )
        axis_y = plot_bottom
        grid.append(
            f'<line class="chart-axis" x1="{_num(self.x0)}" x2="{_num(self.x1)}" '
            f'y1="{_num(axis_y)}" y2="{_num(axis_y)}"/>'
        )
        tick_labels = []
        for tick in self.axis.ticks:
            text = escape(self.fmt.tick(tick, self.axis.step))
            x = _num(self.x(tick))
            tick_labels.append(
                f'<text class="chart-tick" x="{x}" y="{_num(axis_y + _TICK_SIZE + 6)}" '
                f'text-anchor="middle">'
                f"{text}</text>"
            )
            if self.top_ticks:
                tick_labels.append(
                    f'<text class="chart-tick" x="{x}" y="{_num(top_label_y)}" '
                    f'text-anchor="middle">{text}</text>'
                )

        y = axis_y + _TICK_SIZE + 14
        notes = []
        for line in self.note_lines:
            y += _NOTE_SIZE * 1.4
            notes.append(
                f'<text class="chart-note" x="{_PAD}" y="{_num(y - 3)}">{escape(line)}</text>'
            )
        height = math.ceil(y + _PAD)

        out.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {_WIDTH} {height}" '
            f'aria-labelledby="{esc_id}-title" aria-describedby="{esc_id}-desc">'
        )
        out.append(f'<title id="{esc_id}-title">{escape(title)}</title>')
        out.append(f'<desc id="{esc_id}-desc">{escape(description)}</desc>')
        out.extend(body)
        out.append("<g>")
        out.extend(grid)
        out.append("</g>")
        out.extend(rows_svg)
        out.append("<g>")
        out.extend(tick_labels)
        out.append("</g>")
        out.extend(notes)
        out.append("</svg>")
        return out

    def _row(self, row: _Row, bar: _Bar | None, y: float, position: int) -> str:
        group = "reference" if row.is_reference else "evaluated"
        stripe = " chart-row--alt" if position % 2 else ""
        half = self.row_height / 2
        cy = y + half
        baseline = _num(cy + _NAME_SIZE * 0.35)
        shown, truncated = _truncate(
            row.name, self.name_width, _NAME_SIZE, bold=not row.is_reference
        )
        tooltip = f"<title>{escape(row.name)}</title>" if truncated else ""
        parts = [
            f'<g class="chart-row chart-row--{group}{stripe}">',
            f'<rect class="chart-row-bg" x="{_PAD - 4}" y="{_num(y)}" '
            f'width="{_WIDTH - 2 * _PAD + 8}" height="{_num(self.row_height)}"/>',
            f'<text class="chart-name" x="{_num(_PAD + self.name_width)}" y="{baseline}" '
            f'text-anchor="end">'
            f"{tooltip}{escape(shown)}</text>",
        ]
        if bar is not None:
            parts.append(self._whisker(bar, cy))
        if row.value is not None:
            parts.append(self._marker(row, cy))
        label_class = "chart-value" if row.value is not None else "chart-value chart-value--missing"
        parts.append(
            f'<text class="{label_class}" x="{_num(self.x1 + _GAP)}" y="{baseline}">'
            f"{escape(row.label)}</text>"
        )
        if row.n_label:
            parts.append(
                f'<text class="chart-n" x="{_WIDTH - _PAD}" y="{baseline}" text-anchor="end">'
                f"{escape(row.n_label)}</text>"
            )
        parts.append("</g>")
        return "".join(parts)

    def _whisker(self, bar: _Bar, cy: float) -> str:
        x_low, x_high = self.x(bar.low), self.x(bar.high)
        y = _num(cy)
        parts = [
            f'<line class="chart-whisker" x1="{_num(x_low)}" x2="{_num(x_high)}" '
            f'y1="{y}" y2="{y}"/>'
        ]
        for x, cut, direction in ((x_low, bar.cut_low, -1), (x_high, bar.cut_high, 1)):
            if cut:
                tip = x + direction * 1
                back = tip - direction * _ARROW * 1.6
                parts.append(
                    f'<path class="chart-arrow" d="M{_num(tip)} {y}L{_num(back)} '
                    f'{_num(cy - _ARROW)}L{_num(back)} {_num(cy + _ARROW)}Z"/>'
                )
            else:
                parts.append(
                    f'<line class="chart-cap" x1="{_num(x)}" x2="{_num(x)}" '
                    f'y1="{_num(cy - _CAP)}" y2="{_num(cy + _CAP)}"/>'
                )
        return "".join(parts)

    def _marker(self, row: _Row, cy: float) -> str:
        x = self.x(row.value)
        if row.is_reference:
            return (
                f'<circle class="chart-marker chart-marker--reference" cx="{_num(x)}" '
                f'cy="{_num(cy)}" r="4.5"/>'
            )
        r = 6.5
        return (
            f'<path class="chart-marker chart-marker--evaluated" d="M{_num(x)} {_num(cy - r)}'
            f'L{_num(x + r)} {_num(cy)}L{_num(x)} {_num(cy + r)}L{_num(x - r)} {_num(cy)}Z"/>'
        )


def _render_empty(esc_id, title: str, description: str, labels: ChartLabels, show_title) -> Markup:
    height = 64 if show_title and title else 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--empty" role="img" '
        f'viewBox="0 0 {_WIDTH} {height}" aria-labelledby="{esc_id}-title" '
        f'aria-describedby="{esc_id}-desc">',
        f'<title id="{esc_id}-title">{escape(title)}</title>',
        f'<desc id="{esc_id}-desc">{escape(description)}</desc>',
    ]
    y = _PAD
    if show_title and title:
        line = _truncate(title, _WIDTH - 2 * _PAD, _TITLE_SIZE, bold=True)[0]
        y += _TITLE_SIZE + 4
        parts.append(f'<text class="chart-title" x="{_PAD}" y="{y}">{escape(line)}</text>')
    parts.append(
        f'<text class="chart-note" x="{_PAD}" y="{y + 22}">'
        f"{escape(_clean_text(labels.no_data))}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built from escaped text

"""SVG charts of evaluation results (exchange/evaluations/charts.py): pure rendering, no app."""

from __future__ import annotations

import itertools
import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markupsafe import Markup

from exchange.evaluations.charts import (
    ChartLabels,
    ChartPoint,
    ChartSeries,
    nice_ticks,
    proportion_unit,
    render_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "charts.css"
MINUS = "\u2212"
DASH = "\u2013"  # en dash, between the bounds of an interval


def render(series: ChartSeries, labels: ChartLabels | None = None, **kwargs) -> str:
    return str(render_chart(series, chart_id="c1", labels=labels or ChartLabels(), **kwargs))


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, no DTD or entities


def texts(root: ET.Element, cls: str) -> list[str]:
    """Visible text (tooltips excluded) of the <text> elements carrying a class."""
    found = []
    for element in root.iter(f"{SVG}text"):
        if cls in element.get("class", "").split():
            found.append("".join(t for t in [element.text, *(c.tail for c in element)] if t))
    return found


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in e.get("class", "").split()]


def desc(root: ET.Element) -> str:
    return root.find(f"{SVG}desc").text


def cybench() -> ChartSeries:
    return ChartSeries(
        "Cybench · success rate",
        "%",
        points=(
            ChartPoint("ref-a", 0.41, True, stderr=0.045, n=120),
            ChartPoint("Model X", 0.34, stderr=0.04, n=120),
            ChartPoint("ref-b", 0.28, True, stderr=0.041, n=120),
            ChartPoint("ref-c", 0.175, True, stderr=0.035, n=120),
        ),
    )


# --------------------------------------------------------------------------- structure


def test_output_is_markup_and_well_formed_svg():
    markup = render_chart(cybench(), chart_id="cyb-1", labels=ChartLabels())
    assert isinstance(markup, Markup)
    root = parse(str(markup))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "cyb-1-title"
    assert root.get("aria-describedby") == "cyb-1-desc"
    assert root.find(f"{SVG}title").get("id") == "cyb-1-title"
    assert root.find(f"{SVG}title").text == "Cybench · success rate"
    assert root.find(f"{SVG}desc").get("id") == "cyb-1-desc"
    # Title and description come first, so assistive technology finds them.
    assert [child.tag for child in root][:2] == [f"{SVG}title", f"{SVG}desc"]


def test_responsive_viewbox_and_height_follows_rows():
    def height(count):
        points = tuple(ChartPoint(f"m{i}", i / 40, i > 0, stderr=0.01) for i in range(count))
        root = parse(render(ChartSeries("t", "%", points=points)))
        assert root.get("width") is None and root.get("height") is None  # sized by CSS
        x, y, width, h = (float(v) for v in root.get("viewBox").split())
        assert (x, y, width) == (0, 0, 720)
        return h

    heights = [height(count) for count in (1, 2, 5, 10, 35)]
    assert heights == sorted(heights) and len(set(heights)) == len(heights)


def test_desc_mentions_every_model_value_and_uncertainty():
    root = parse(render(cybench()))
    text = desc(root)
    assert text.startswith("Cybench · success rate.")
    for fragment in (
        "Model X: 34% ± 4, n = 120",
        "ref-a: 41% ± 5, n = 120",
        "ref-b: 28% ± 4",
        "ref-c: 18% ± 4",  # 17.5% shown with the series' precision
        "Error bars show ±1 standard error",
    ):
        assert fragment in text
    assert text.index("Evaluated model:") < text.index("Model X") < text.index("Reference models:")


def test_visible_value_labels_at_the_end_of_each_row():
    root = parse(render(cybench()))
    assert texts(root, "chart-value") == ["34% ± 4", "41% ± 5", "28% ± 4", "18% ± 4"]
    assert texts(root, "chart-n") == ["n = 120"] * 4
    plot_right = max(float(line.get("x2")) for line in by_class(root, "chart-axis"))
    assert all(float(e.get("x")) > plot_right for e in by_class(root, "chart-value"))


def test_evaluated_models_come_first_and_stand_apart():
    series = ChartSeries(
        "t",
        points=(
            ChartPoint("ref-1", 1.0, True),
            ChartPoint("eval-1", 2.0),
            ChartPoint("ref-2", 3.0, True),
            ChartPoint("eval-2", 4.0),
        ),
    )
    root = parse(render(series))
    assert texts(root, "chart-name") == ["eval-1", "eval-2", "ref-1", "ref-2"]
    assert texts(root, "chart-heading") == ["Evaluated model", "Reference models"]
    rows = by_class(root, "chart-row")
    assert [r.get("class").split()[1] for r in rows] == ["chart-row--evaluated"] * 2 + [
        "chart-row--reference"
    ] * 2
    # A distinct shape: evaluated models are diamonds (paths), references circles.
    assert len(by_class(root, "chart-marker--evaluated")) == 2
    assert all(e.tag == f"{SVG}path" for e in by_class(root, "chart-marker--evaluated"))
    assert all(e.tag == f"{SVG}circle" for e in by_class(root, "chart-marker--reference"))
    # One separator between the groups, below the evaluated rows.
    (separator,) = by_class(root, "chart-separator")
    evaluated_bottom = max(
        float(r.find(f"{SVG}rect").get("y")) + float(r.find(f"{SVG}rect").get("height"))
        for r in rows[:2]
    )
    reference_top = min(float(r.find(f"{SVG}rect").get("y")) for r in rows[2:])
    assert evaluated_bottom <= float(separator.get("y1")) <= reference_top


def test_groups_without_members_have_no_heading_or_separator():
    only_refs = ChartSeries("t", points=(ChartPoint("a", 1, True), ChartPoint("b", 2, True)))
    root = parse(render(only_refs))
    assert texts(root, "chart-heading") == ["Reference models"]
    assert by_class(root, "chart-separator") == []


def test_no_judgement_words():
    markup = render(cybench()).lower()
    for word in ("safe", "unsafe", "pass", "fail", "danger", "good", "bad"):
        assert not re.search(rf"\b{word}\b", markup)


# --------------------------------------------------------------------------- CSP and styling


def test_no_inline_styles_scripts_or_remote_resources():
    markup = render(cybench())
    root = parse(markup)
    for element in root.iter():
        assert element.tag not in (f"{SVG}style", f"{SVG}script", f"{SVG}foreignObject")
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
        assert not any("href" in name for name in element.attrib)
    assert "url(" not in markup and "http://" not in markup.replace(SVG[1:-1], "")


def test_every_class_used_is_defined_in_charts_css():
    css = CSS.read_text()
    defined = set(re.findall(r"\.(chart[\w-]*)", css))
    series = ChartSeries(
        "t",
        "%",
        points=(
            ChartPoint("e", 0.5, stderr=0.6, n=3),
            *(ChartPoint(f"r{i}", i / 20, True, stderr=0.05) for i in range(15)),
            ChartPoint("missing", math.nan, True),
        ),
    )
    used = set()
    for markup in (render(series), render(ChartSeries("empty", points=()))):
        for element in parse(markup).iter():
            used.update(element.get("class", "").split())
    assert used, "the chart is styled through classes"
    assert used <= defined, used - defined


def test_css_has_no_remote_resources_and_aa_text_colours():
    css = CSS.read_text()
    assert "url(" not in css and "@import" not in css

    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(hex_colour):
        return 1.05 / (luminance(hex_colour) + 0.05)

    text_colours = re.findall(
        r"--chart-(?:evaluated|reference|ink|muted):[^;#]*(#[0-9a-f]{6})", css
    )
    assert len(text_colours) == 4
    assert all(contrast(c) >= 4.5 for c in text_colours)
    (whisker,) = re.findall(r"--chart-whisker:\s*(#[0-9a-f]{6})", css)
    assert contrast(whisker) >= 3  # non-text contrast


# --------------------------------------------------------------------------- escaping


NASTY = "<script>alert(\"x\")</script> & 'q' \u202eevil\x00\x1b]"


def test_model_names_and_title_are_escaped():
    series = ChartSeries(
        f"Title {NASTY}",
        points=(ChartPoint(NASTY, 1.0), ChartPoint('"><img src=x onerror=1>', 2.0, True)),
    )
    markup = render(series)
    assert "<script" not in markup and "<img" not in markup
    assert "&lt;script&gt;" in markup
    root = parse(markup)  # still well-formed: no control characters leaked
    clean = "<script>alert(\"x\")</script> & 'q' evil ]"
    assert clean in desc(root)
    assert root.find(f"{SVG}title").text == f"Title {clean}"
    assert '"><img src=x onerror=1>' in desc(root)
    assert "\u202e" not in markup and "\x00" not in markup and "\x1b" not in markup


def test_labels_and_units_are_escaped_too():
    labels = ChartLabels(evaluated="<b>Eval</b>", n="<i>%(n)d</i>", error_none="&none")
    series = ChartSeries("t", "<u>", points=(ChartPoint("m", 3.0, n=4),))
    markup = render(series, labels)
    assert "<b>" not in markup and "<i>" not in markup and "<u>" not in markup
    root = parse(markup)
    assert texts(root, "chart-heading") == ["<b>Eval</b>"]
    assert texts(root, "chart-n") == ["<i>4</i>"]
    assert texts(root, "chart-value") == ["3\u00a0<u>"]
    assert "&none" in desc(root)


@pytest.mark.parametrize("chart_id", ["", "1abc", 'x" onload="1', "a b", "x<y", None])
def test_chart_id_must_be_a_plain_identifier(chart_id):
    with pytest.raises(ValueError, match="chart_id"):
        render_chart(cybench(), chart_id=chart_id, labels=ChartLabels())


# --------------------------------------------------------------------------- ticks


NICE_STEPS = {m * 10.0**k for m in (1, 2, 5) for k in range(-15, 16)}


def assert_nice(low, high, result):
    axis_low, axis_high, ticks = result
    assert 3 <= len(ticks) <= 6, ticks
    assert axis_low == ticks[0] <= low and axis_high == ticks[-1] >= high
    steps = [b - a for a, b in itertools.pairwise(ticks)]
    step = steps[0]
    assert all(math.isclose(s, step, rel_tol=1e-9) for s in steps)
    assert any(math.isclose(step, nice, rel_tol=1e-9) for nice in NICE_STEPS), step
    assert all(math.isclose(t / step, round(t / step), abs_tol=1e-9) for t in ticks)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1, (0, 0.2, 0.4, 0.6, 0.8, 1.0)),
        (0, 0.054, (0, 0.02, 0.04, 0.06)),
        (0, 12, (0, 5, 10, 15)),
        (-1.4, 7.6, (-2, 0, 2, 4, 6, 8)),
        (5.5, 9, (5, 6, 7, 8, 9)),
        (0.1, 0.3, (0.1, 0.15, 0.2, 0.25, 0.3)),
        (3, 3, (2.6, 2.8, 3.0, 3.2, 3.4)),
        (0, 0, (-1, -0.5, 0, 0.5, 1)),
        (-350, -20, (-400, -300, -200, -100, 0)),
    ],
)
def test_nice_ticks_examples(low, high, expected):
    result = nice_ticks(low, high)
    assert result[2] == pytest.approx(expected)
    if low != high:
        assert_nice(low, high, result)


def test_nice_ticks_cover_any_range_with_three_to_six_nice_ticks():
    rng = random.Random(20250601)
    for _ in range(5000):
        scale = 10 ** rng.uniform(-6, 6)
        low = rng.uniform(-1, 1) * scale * rng.choice((0, 1, 10))
        high = low + rng.uniform(0.001, 1) * scale
        assert_nice(low, high, nice_ticks(low, high))


def test_nice_ticks_fixed_domain_keeps_its_bounds():
    assert nice_ticks(0, 1, fixed=True) == (0, 1, (0, 0.2, 0.4, 0.6, 0.8, 1.0))
    assert nice_ticks(0, 7, fixed=True) == (0, 7, (0, 2, 4, 6))


def tick_labels(root):
    labels = texts(root, "chart-tick")
    # Long charts repeat the ticks above the plot: compare one set.
    return labels[::2] if len(labels) > 6 and labels[0] == labels[1] else labels


def test_axis_covers_values_and_error_bars():
    series = ChartSeries(
        "Score",
        points=(
            ChartPoint("a", 6.4, stderr=0.3),
            ChartPoint("b", 7.1, True, ci_low=6.5, ci_high=9.3),
        ),
    )
    root = parse(render(series))
    assert tick_labels(root) == ["6", "7", "8", "9", "10"]  # 6.1 to 9.3, bars included
    assert by_class(root, "chart-arrow") == []  # nothing needed cutting


# --------------------------------------------------------------------------- proportions


def test_proportions_render_as_percentages_on_a_zero_to_hundred_axis():
    root = parse(render(cybench()))
    assert tick_labels(root) == ["0%", "20%", "40%", "60%", "80%", "100%"]


def test_tightly_clustered_high_proportions_still_start_at_zero():
    series = ChartSeries(
        "acc",
        "%",
        points=(ChartPoint("a", 0.93, stderr=0.01), ChartPoint("b", 0.95, True, stderr=0.01)),
    )
    root = parse(render(series))
    assert tick_labels(root)[0] == "0%" and tick_labels(root)[-1] == "100%"


def test_small_proportions_zoom_in_but_keep_zero():
    series = ChartSeries(
        "ASR",
        "%",
        points=(
            ChartPoint("eval", 0.042, stderr=0.012, n=400),
            ChartPoint("ref", 0.011, True, stderr=0.004, n=400),
        ),
    )
    root = parse(render(series))
    assert tick_labels(root) == ["0%", "2%", "4%", "6%"]
    assert texts(root, "chart-value") == ["4.2% ± 1.2", "1.1% ± 0.4"]


def test_error_bars_beyond_zero_or_hundred_percent_are_cut_with_arrows():
    series = ChartSeries(
        "rate",
        "%",
        points=(
            ChartPoint("low", 0.02, stderr=0.05),
            ChartPoint("high", 0.98, True, ci_low=0.9, ci_high=1.04),
            ChartPoint("fine", 0.5, True, stderr=0.05),
        ),
    )
    root = parse(render(series))
    assert tick_labels(root)[-1] == "100%"  # the bars do not stretch the axis
    arrows = by_class(root, "chart-arrow")
    assert len(arrows) == 2
    axis = by_class(root, "chart-axis")[0]
    left, right = float(axis.get("x1")), float(axis.get("x2"))
    for whisker in by_class(root, "chart-whisker"):
        assert left <= float(whisker.get("x1")) <= float(whisker.get("x2")) <= right
    assert "Arrows mark error bars cut off at the edge of the axis" in texts(root, "chart-note")
    # The numbers themselves are reported as given.
    assert "low: 2% ± 5" in desc(root) and "high: 98% (90% to 104%)" in desc(root)
    assert texts(root, "chart-value")[1] == f"98% (90{DASH}104)"


def test_values_outside_zero_one_widen_a_percent_axis_rather_than_hide():
    series = ChartSeries("delta", "%", points=(ChartPoint("a", -0.1), ChartPoint("b", 1.2, True)))
    root = parse(render(series))
    labels = tick_labels(root)
    assert labels[0].startswith(MINUS) and labels[-1] in ("120%", "150%", "140%")


def test_proportion_unit_helper():
    assert proportion_unit("accuracy", [0.1, 0.9]) == "%"
    assert proportion_unit("attack success rate", [0, 1]) == "%"
    assert proportion_unit("ASR", [0.3]) == "%"
    assert proportion_unit("mean score", [0.1, 0.9]) == ""
    assert proportion_unit("accuracy", [0.1, 12]) == ""
    assert proportion_unit("accuracy", []) == ""


# --------------------------------------------------------------------------- error bars


def test_confidence_interval_preferred_over_standard_error():
    series = ChartSeries(
        "t", points=(ChartPoint("m", 5.0, stderr=0.5, ci_low=4.0, ci_high=6.5, n=10),)
    )
    root = parse(render(series))
    assert texts(root, "chart-value") == [f"5.0 (4.0{DASH}6.5)"]
    assert texts(root, "chart-note") == ["Error bars show the reported confidence interval"]
    assert "m: 5.0 (4.0 to 6.5), n = 10" in desc(root)
    (whisker,) = by_class(root, "chart-whisker")
    assert float(whisker.get("x1")) < float(whisker.get("x2"))


def test_half_a_confidence_interval_falls_back_to_stderr():
    series = ChartSeries("t", points=(ChartPoint("m", 5.0, stderr=0.5, ci_low=4.0),))
    root = parse(render(series))
    assert texts(root, "chart-value") == ["5.0 ± 0.5"]
    assert texts(root, "chart-note") == ["Error bars show ±1 standard error"]


def test_mixed_kinds_are_named_in_the_note():
    series = ChartSeries(
        "t",
        points=(ChartPoint("a", 5.0, stderr=0.5), ChartPoint("b", 4, True, ci_low=3, ci_high=5)),
    )
    root = parse(render(series))
    assert texts(root, "chart-note") == [ChartLabels().error_mixed]


def test_single_point_without_uncertainty():
    series = ChartSeries("Tasks solved", points=(ChartPoint("Only model", 12, n=12),))
    root = parse(render(series))
    assert texts(root, "chart-name") == ["Only model"]
    assert texts(root, "chart-value") == ["12"]
    assert by_class(root, "chart-whisker") == [] and by_class(root, "chart-cap") == []
    assert texts(root, "chart-note") == ["No uncertainty was reported"]
    assert tick_labels(root) == ["0", "5", "10", "15"]
    assert desc(root) == (
        "Tasks solved. Evaluated model: Only model: 12, n = 12. No uncertainty was reported."
    )


# --------------------------------------------------------------------------- edge cases


def test_negative_values_use_a_true_minus_and_a_zero_line():
    series = ChartSeries(
        "Score difference",
        points=(ChartPoint("a", 1.2, stderr=0.4), ChartPoint("b", -0.8, True, stderr=0.6)),
    )
    root = parse(render(series))
    labels = tick_labels(root)
    assert labels[0].startswith(MINUS) and "0" in labels
    assert texts(root, "chart-value") == ["1.2 ± 0.4", f"{MINUS}0.8 ± 0.6"]
    assert len(by_class(root, "chart-grid--zero")) == 1


@pytest.mark.parametrize("value", [0.0, 0.5, 7.0, -3.0])
@pytest.mark.parametrize("unit", ["", "%"])
def test_all_equal_values(value, unit):
    points = tuple(ChartPoint(f"m{i}", value, i > 0) for i in range(4))
    root = parse(render(ChartSeries("flat", unit, points=points)))
    labels = tick_labels(root)
    assert 2 <= len(labels) <= 6
    xs = {float(m.get("cx")) for m in by_class(root, "chart-marker--reference")}
    assert len(xs) == 1
    (x,) = xs
    axis = by_class(root, "chart-axis")[0]
    assert float(axis.get("x1")) <= x <= float(axis.get("x2"))


def test_very_long_names_are_truncated_with_the_full_name_as_tooltip():
    long_name = "open-weights-70b-instruct-" * 6 + "final"
    series = ChartSeries("t", points=(ChartPoint(long_name, 1.0), ChartPoint("short", 2.0, True)))
    root = parse(render(series))
    names = by_class(root, "chart-name")
    shown = texts(root, "chart-name")
    assert shown[0].endswith("…") and len(shown[0]) < len(long_name)
    assert long_name.startswith(shown[0][:-1])
    assert names[0].find(f"{SVG}title").text == long_name
    assert shown[1] == "short" and names[1].find(f"{SVG}title") is None
    assert long_name in desc(root)
    # The name column stays inside the chart.
    assert float(names[0].get("x")) < float(by_class(root, "chart-axis")[0].get("x1"))


def test_wide_script_names_are_truncated_too():
    name = "평가 대상 모델의 아주 긴 이름 " * 5
    root = parse(render(ChartSeries("t", points=(ChartPoint(name, 1.0),))))
    assert texts(root, "chart-name")[0].endswith("…")


def test_thirty_plus_models():
    points = (
        ChartPoint("Model X", 0.5, stderr=0.02, n=500),
        *(ChartPoint(f"ref-{i:02d}", (i * 37 % 100) / 100, True, stderr=0.03) for i in range(34)),
    )
    root = parse(render(ChartSeries("Big", "%", points=points)))
    assert len(by_class(root, "chart-row")) == 35
    assert texts(root, "chart-name") == ["Model X"] + [f"ref-{i:02d}" for i in range(34)]
    text = desc(root)
    assert all(f"ref-{i:02d}: " in text for i in range(34))
    # Tick labels repeat above the plot so long charts stay readable.
    labels = texts(root, "chart-tick")
    assert labels == [label for label in ["0%", "20%", "40%", "60%", "80%", "100%"] for _ in "ab"]
    # Every coordinate stays inside the viewBox.
    height = float(root.get("viewBox").split()[3])
    for element in root.iter():
        for attr in ("x", "x1", "x2", "cx"):
            if attr in element.attrib:
                assert 0 <= float(element.get(attr)) <= 720
        for attr in ("y", "y1", "y2", "cy"):
            if attr in element.attrib:
                assert 0 <= float(element.get(attr)) <= height


def test_missing_and_non_finite_numbers():
    series = ChartSeries(
        "t",
        points=(
            ChartPoint("ok", 2.0, stderr=math.inf, n=5),
            ChartPoint("nan", math.nan, True, stderr=0.1),
            ChartPoint("neg-se", 3.0, True, stderr=-1.0),
            ChartPoint("reversed-ci", 4.0, True, ci_low=5.0, ci_high=3.0),
        ),
    )
    markup = render(series)
    assert "nan" not in markup.replace(">nan<", "").replace("nan: ", "").lower()
    assert "inf" not in markup.lower()
    root = parse(markup)
    assert texts(root, "chart-value") == ["2", "not reported", "3", "4"]
    assert len(by_class(root, "chart-marker")) == 3  # the missing value is listed, not drawn
    assert by_class(root, "chart-whisker") == []
    assert "nan: not reported" in desc(root)


def test_no_points_or_no_values():
    root = parse(render(ChartSeries("Nothing yet", "%", points=())))
    assert root.get("role") == "img"
    assert desc(root) == "Nothing yet. No results to show"
    assert texts(root, "chart-note") == ["No results to show"]
    root = parse(render(ChartSeries("t", points=(ChartPoint("m", math.nan),))))
    assert "m: not reported" in desc(root)


def test_explicit_domain_fixes_the_axis_and_cuts_bars():
    series = ChartSeries(
        "Score (0 to 10)",
        points=(ChartPoint("a", 9.5, stderr=1.0), ChartPoint("b", 4.0, True, stderr=0.5)),
        domain=(0, 10),
    )
    root = parse(render(series))
    assert tick_labels(root) == ["0", "2", "4", "6", "8", "10"]
    assert len(by_class(root, "chart-arrow")) == 1
    with pytest.raises(ValueError, match="domain"):
        ChartSeries("t", points=(), domain=(1, 1))


def test_show_title_false_keeps_the_accessible_name():
    root = parse(render(cybench(), show_title=False))
    assert texts(root, "chart-title") == []
    assert root.find(f"{SVG}title").text == "Cybench · success rate"


def test_long_titles_wrap():
    title = "A benchmark title long enough to need two lines in the chart " * 2
    root = parse(render(ChartSeries(title, points=(ChartPoint("m", 1.0),))))
    lines = texts(root, "chart-title")
    assert len(lines) >= 2 and " ".join(lines) == title.strip()


# --------------------------------------------------------------------------- labels, determinism


def test_translated_labels_are_used():
    labels = ChartLabels(
        evaluated="평가 대상 모델",
        reference="참조 모델",
        error_stderr="오차 막대: ±1 표준오차",
        n="표본 %(n)d",
        percent="%(value)s %%",
        decimal_separator=",",
    )
    series = ChartSeries(
        "t",
        "%",
        points=(ChartPoint("m", 0.042, stderr=0.012, n=7), ChartPoint("r", 0.3, True, stderr=0.1)),
    )
    root = parse(render(series, labels))
    assert texts(root, "chart-heading") == ["평가 대상 모델", "참조 모델"]
    assert texts(root, "chart-value") == ["4,2 % ± 1,2", "30,0 % ± 10,0"]
    assert texts(root, "chart-n") == ["표본 7"]
    assert texts(root, "chart-note") == ["오차 막대: ±1 표준오차"]
    assert "평가 대상 모델: m: 4,2 % ± 1,2, 표본 7." in desc(root)


def test_same_input_same_output():
    first = render(cybench())
    assert render(cybench()) == first
    assert render(ChartSeries(cybench().title, "%", points=list(cybench().points))) == first
    other = render_chart(cybench(), chart_id="c2", labels=ChartLabels())
    assert str(other).replace("c2-", "c1-") == first


def test_series_points_become_a_tuple_and_unit_is_checked():
    series = ChartSeries("t", points=[ChartPoint("m", 1.0)])
    assert isinstance(series.points, tuple)
    hash(series)
    with pytest.raises(TypeError):
        ChartSeries("t", (ChartPoint("m", 1.0),))  # points passed as the unit by mistake

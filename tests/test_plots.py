"""Schedule plots: the (fig, ax) contract, what they draw, readable text and no overlapping labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import DATA  # noqa: E402
from figure_checks import assert_no_overlapping_labels, assert_readable_at_a4_width, shown_texts  # noqa: E402

from lekhok_forecast.analysis import buffers, drivers, schedule  # noqa: E402
from lekhok_forecast.app.scenarios import run_scenarios  # noqa: E402
from lekhok_forecast.config import DEFAULT_PLAN, SCENARIOS_DIR  # noqa: E402
from lekhok_forecast.core.engine import simulate  # noqa: E402
from lekhok_forecast.present import figures, plots  # noqa: E402
from lekhok_forecast.sources.plan_file import load_plan  # noqa: E402


@pytest.fixture(scope="module")
def result():
    figures.use_report_style(None)
    return simulate(load_plan(DEFAULT_PLAN), 8_192, 1)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _all_figures(r):
    plan = r.plan
    f = r.finish_weeks
    p50, p80, p90 = np.percentile(f, [50, 80, 90])
    dt = drivers.driver_table(r)
    bs = buffers.buffer_summary(r)
    results = run_scenarios(DEFAULT_PLAN, sorted(SCENARIOS_DIR.glob("*.yaml")), 4_096, 1)
    cdfs = {k: schedule.cdf_curve(v) for k, v in results.items()}
    return {
        "finish_histogram": plots.finish_histogram(f, deadlines=plan.deadlines, p50_week=p50, p80_week=p80),
        "finish_cdf": plots.finish_cdf(
            schedule.cdf_curve(r),
            deadlines=plan.deadlines,
            p_by={"12": 0.01, "14": 0.16, "16": 0.49},
            p50_week=p50,
            p80_week=p80,
        ),
        "phase_ends": plots.phase_ends(schedule.phase_table(r)),
        "tornado": plots.tornado(dt, top=10),
        "criticality_bars": plots.criticality_bars(dt, top=int((dt["criticality"] > 0).sum())),
        "buffer_curve": plots.buffer_curve(
            buffers.buffer_curve(r),
            baseline_weeks=plan.baseline_weeks,
            planned=plan.buffer,
            planned_confidence=bs.p_within_buffer,
            needed={0.8: bs.needed_for_p80, 0.9: bs.needed_for_p90},
        ),
        "scenario_cdfs": plots.scenario_cdfs(
            cdfs, medians={k: schedule.cdf_median(c) for k, c in cdfs.items()}, deadlines=plan.deadlines
        ),
        "milestone_lights": plots.milestone_lights(schedule.milestone_table(r)),
    }


@pytest.fixture(scope="module")
def all_figures(result):
    return _all_figures(result)


def test_every_plot_returns_fig_and_ax(all_figures):
    for name, (fig, ax) in all_figures.items():
        assert isinstance(fig, matplotlib.figure.Figure), name
        assert ax in fig.axes, name
        assert ax.get_xlabel() or name == "milestone_lights", f"{name}: no x label"


def test_plots_draw_on_a_given_ax(result):
    fig, axes = plt.subplots(1, 2)
    f2, a2 = plots.finish_histogram(result.finish_weeks, ax=axes[1])
    assert f2 is fig and a2 is axes[1]
    assert len(axes[1].patches) > 10 and not axes[0].patches


def test_axes_say_their_units(all_figures):
    labels = {name: ax.get_xlabel() + " | " + ax.get_ylabel() for name, (_, ax) in all_figures.items()}
    assert "weeks" in labels["finish_histogram"] and "trials" in labels["finish_histogram"]
    assert "%" in labels["buffer_curve"] and "baseline" in labels["buffer_curve"]


def test_deadline_and_percentile_lines(result, all_figures):
    _, ax = all_figures["finish_histogram"]
    xs = sorted({round(float(line.get_xdata()[0]), 6) for line in ax.lines})
    p50, p80 = np.percentile(result.finish_weeks, [50, 80])
    for x in (12.0, 14.0, 16.0, round(p50, 6), round(p80, 6)):
        assert x in xs
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"P50: week {p50:.1f}", f"P80: week {p80:.1f}"]


def test_tornado_has_capacity_rows(all_figures):
    _, ax = all_figures["tornado"]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert any("capacity" in n for n in names)
    assert len(ax.patches) == 10


def test_tornado_tells_tasks_capacities_and_risks_apart(all_figures, result):
    fig, ax = all_figures["tornado"]
    top = drivers.driver_table(result).head(10)
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]  # first row at the top
    for label, (_, row) in zip(labels, top.iterrows()):
        assert label == (f"Risk: {row['name']}" if row["kind"] == "risk" else row["name"])
    colours = {tuple(p.get_facecolor()[:3]) for p in ax.patches}
    assert len(colours) == len(set(top["kind"])) == 3  # one colour per kind, all three shown
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [plots.TORNADO_LEGEND[k] for k in ("task", "capacity", "risk")]


def test_tornado_legend_lists_only_the_kinds_shown():
    plan = load_plan(DATA / "minimal.yaml")
    fig, _ = plots.tornado(drivers.driver_table(simulate(plan, 2_000, 1)))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [plots.TORNADO_LEGEND["task"]]


def test_scenario_chart_names_far_scenario_instead_of_squashing(all_figures):
    fig, ax = all_figures["scenario_cdfs"]
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("8-hour days: P50 week") for t in texts)
    assert ax.get_xlim()[1] < 30
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Plan as written" and "8-hour days" not in legend


def test_fonts_readable_at_a4_width(all_figures):
    for name, (fig, _) in all_figures.items():
        assert_readable_at_a4_width(name, fig)


def test_no_overlapping_labels(all_figures):
    """No two text labels of a figure overlap, and none sticks out of the figure."""
    for name, (fig, _) in all_figures.items():
        assert_no_overlapping_labels(name, fig)


def test_overlap_checker_sees_overlaps():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.text(0.5, 0.5, "first label")
    ax.text(0.5, 0.5, "second label")
    texts = shown_texts(fig)
    boxes = [b for t, b in texts if t.get_text() in ("first label", "second label")]
    assert len(boxes) == 2 and boxes[0].overlaps(boxes[1])


def test_reached_milestones_show_their_actual_week_not_odds(result):
    table = schedule.milestone_table(result)
    first, second = table.index[:2]
    late = table.loc[first, "target_week"] + 0.1
    fig, ax = plots.milestone_lights(table, reached={first: late, second: 1.0})
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert f"{first}  reached late" in labels and f"{second}  reached on time" in labels
    assert not any(label.startswith(f"{first} ") and "on time" in label and "%" in label for label in labels)
    assert "reached (actual week)" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)

"""Plot functions: the (fig, ax) contract, what they draw, readable text and no overlapping labels."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lekhok_forecast.analysis import budget, buffers, drivers, schedule
from lekhok_forecast.app.scenarios import run_scenarios  # noqa: E402
from lekhok_forecast.config import DEFAULT_PLAN, SCENARIOS_DIR  # noqa: E402
from lekhok_forecast.core.engine import simulate  # noqa: E402
from lekhok_forecast.present import plots  # noqa: E402
from lekhok_forecast.sources.plan_file import load_plan  # noqa: E402


@pytest.fixture(scope="module")
def result():
    plots.use_report_style(None)
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
    total = r.cost_total
    results = run_scenarios(DEFAULT_PLAN, sorted(SCENARIOS_DIR.glob("*.yaml")), 4_096, 1)
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
        "burn_fan": plots.burn_fan(budget.burn_percentiles(r), budget=plan.budget, currency=plan.currency),
        "cost_histogram": plots.cost_histogram(
            total, budget=plan.budget, p50=float(np.median(total)), p90=float(np.percentile(total, 90))
        ),
        "finish_cost_scatter": plots.finish_cost_scatter(
            f, total, deadline=16, budget=plan.budget, quadrants=budget.joint_quadrants(r, 16)
        ),
        "scenario_cdfs": plots.scenario_cdfs(
            {k: schedule.cdf_curve(v) for k, v in results.items()}, deadlines=plan.deadlines
        ),
        "milestone_lights": plots.milestone_lights(schedule.milestone_table(r)),
    }


@pytest.fixture(scope="module")
def figures(result):
    return _all_figures(result)


def _texts(fig):
    """Text artists that a drawn figure shows, with their window extents.

    Tick labels count only for ticks inside the view (matplotlib keeps, but does not
    draw, labels of ticks outside it).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    shown = []
    axes = list(fig.axes)
    for ax in fig.axes:
        axes.extend(ax.child_axes)
    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                continue
            for tick in axis._update_ticks():
                shown.extend(lbl for lbl in (tick.label1, tick.label2) if lbl.get_visible())
            shown.append(axis.label)
        shown.extend(ax.texts)
        shown.extend([ax.title, ax._left_title, ax._right_title])
        legend = ax.get_legend()
        if legend is not None:
            shown.extend(legend.get_texts())
    shown.extend(fig.texts)
    if fig._suptitle is not None:
        shown.append(fig._suptitle)
    unique = list({id(t): t for t in shown}.values())
    return [(t, t.get_window_extent(renderer)) for t in unique if t.get_visible() and t.get_text().strip()]


def test_every_plot_returns_fig_and_ax(figures):
    for name, (fig, ax) in figures.items():
        assert isinstance(fig, matplotlib.figure.Figure), name
        assert ax in fig.axes, name
        assert ax.get_xlabel() or name == "milestone_lights", f"{name}: no x label"


def test_plots_draw_on_a_given_ax(result):
    fig, axes = plt.subplots(1, 2)
    f2, a2 = plots.finish_histogram(result.finish_weeks, ax=axes[1])
    assert f2 is fig and a2 is axes[1]
    assert len(axes[1].patches) > 10 and not axes[0].patches


def test_axes_say_their_units(figures):
    labels = {name: ax.get_xlabel() + " | " + ax.get_ylabel() for name, (_, ax) in figures.items()}
    assert "weeks" in labels["finish_histogram"] and "trials" in labels["finish_histogram"]
    assert "($)" in labels["burn_fan"] and "Week" in labels["burn_fan"]
    assert "($)" in labels["cost_histogram"]
    assert "%" in labels["buffer_curve"] and "baseline" in labels["buffer_curve"]


def test_deadline_and_percentile_lines(result, figures):
    _, ax = figures["finish_histogram"]
    xs = sorted({round(float(line.get_xdata()[0]), 6) for line in ax.lines})
    p50, p80 = np.percentile(result.finish_weeks, [50, 80])
    for x in (12.0, 14.0, 16.0, round(p50, 6), round(p80, 6)):
        assert x in xs
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"P50: week {p50:.1f}", f"P80: week {p80:.1f}"]


def test_tornado_has_capacity_rows(figures):
    _, ax = figures["tornado"]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert any("capacity" in n for n in names)
    assert len(ax.patches) == 10


def test_scenario_chart_names_far_scenario_instead_of_squashing(figures):
    fig, ax = figures["scenario_cdfs"]
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("8-hour days: P50 week") for t in texts)
    assert ax.get_xlim()[1] < 30
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Plan as written" and "8-hour days" not in legend


def test_quadrant_shares_written(figures):
    _, ax = figures["finish_cost_scatter"]
    texts = [t.get_text() for t in ax.texts]
    assert sum(t.startswith(("on time", "late")) for t in texts) == 4


def test_fonts_readable_at_a4_width(figures):
    for name, (fig, _) in figures.items():
        assert fig.get_figwidth() <= plots.FULL_WIDTH + 1e-9, name
        for t, _ in _texts(fig):
            assert t.get_fontsize() >= 7.5, f"{name}: {t.get_text()!r} at {t.get_fontsize()} pt"


def test_no_overlapping_labels(figures):
    """No two text labels of a figure overlap, and none sticks out of the figure."""
    for name, (fig, _) in figures.items():
        texts = _texts(fig)
        fig_box = fig.bbox
        for t, box in texts:
            assert box.x0 >= fig_box.x0 - 1 and box.x1 <= fig_box.x1 + 1, f"{name}: {t.get_text()!r} cut off"
            assert box.y0 >= fig_box.y0 - 1 and box.y1 <= fig_box.y1 + 1, f"{name}: {t.get_text()!r} cut off"
        for (t1, b1), (t2, b2) in itertools.combinations(texts, 2):
            overlap_w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            overlap_h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            assert not (overlap_w > 1 and overlap_h > 1), f"{name}: {t1.get_text()!r} overlaps {t2.get_text()!r}"


def test_save_figure(tmp_path, figures):
    fig, _ = figures["burn_fan"]
    assert plots.save_figure(fig, "", "x") is None
    assert plots.save_figure(fig, str(tmp_path), "burn") is None  # nothing to print in a notebook
    assert (tmp_path / "figures" / "burn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_png_is_deterministic_and_compact(result, figures):
    # two figures drawn the same way give the same bytes (stored notebooks diff only on change)
    dt = drivers.driver_table(result)
    a, b = (plots.small_png(plots.tornado(dt)[0]) for _ in range(2))
    assert a == b and a[:4] == b"\x89PNG"
    fig, _ = figures["tornado"]
    import io

    full = io.BytesIO()
    fig.savefig(full, format="png", dpi=fig.dpi)
    assert len(plots.small_png(fig)) < len(full.getvalue()) / 2


def test_overlap_checker_sees_overlaps():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.text(0.5, 0.5, "first label")
    ax.text(0.5, 0.5, "second label")
    texts = _texts(fig)
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

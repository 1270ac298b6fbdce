"""Cost plots: the (fig, ax) contract, units, quadrant shares, readable text and no overlapping labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from figure_checks import assert_no_overlapping_labels, assert_readable_at_a4_width  # noqa: E402

from lekhok_forecast.analysis import budget  # noqa: E402
from lekhok_forecast.config import DEFAULT_PLAN  # noqa: E402
from lekhok_forecast.core.engine import simulate  # noqa: E402
from lekhok_forecast.present import cost_plots, figures  # noqa: E402
from lekhok_forecast.sources.plan_file import load_plan  # noqa: E402


@pytest.fixture(scope="module")
def cost_figures():
    figures.use_report_style(None)
    r = simulate(load_plan(DEFAULT_PLAN), 8_192, 1)
    plan = r.plan
    total = r.cost_total
    out = {
        "burn_fan": cost_plots.burn_fan(budget.burn_percentiles(r), budget=plan.budget, currency=plan.currency),
        "cost_histogram": cost_plots.cost_histogram(
            total, budget=plan.budget, p50=float(np.median(total)), p90=float(np.percentile(total, 90))
        ),
        "finish_cost_scatter": cost_plots.finish_cost_scatter(
            r.finish_weeks, total, deadline=16, budget=plan.budget, quadrants=budget.joint_quadrants(r, 16)
        ),
    }
    yield out
    plt.close("all")


def test_every_cost_plot_returns_fig_and_ax(cost_figures):
    for name, (fig, ax) in cost_figures.items():
        assert isinstance(fig, matplotlib.figure.Figure), name
        assert ax in fig.axes, name
        assert ax.get_xlabel(), f"{name}: no x label"


def test_axes_say_their_units(cost_figures):
    labels = {name: ax.get_xlabel() + " | " + ax.get_ylabel() for name, (_, ax) in cost_figures.items()}
    assert "($)" in labels["burn_fan"] and "Week" in labels["burn_fan"]
    assert "($)" in labels["cost_histogram"]


def test_quadrant_shares_written(cost_figures):
    _, ax = cost_figures["finish_cost_scatter"]
    texts = [t.get_text() for t in ax.texts]
    assert sum(t.startswith(("on time", "late")) for t in texts) == 4


def test_fonts_readable_at_a4_width(cost_figures):
    for name, (fig, _) in cost_figures.items():
        assert_readable_at_a4_width(name, fig)


def test_no_overlapping_labels(cost_figures):
    for name, (fig, _) in cost_figures.items():
        assert_no_overlapping_labels(name, fig)

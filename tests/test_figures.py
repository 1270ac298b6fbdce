"""Figure helpers: saving to a folder (or not), compact deterministic PNGs."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lekhok_forecast.analysis import budget, drivers  # noqa: E402
from lekhok_forecast.config import DEFAULT_PLAN  # noqa: E402
from lekhok_forecast.core.engine import simulate  # noqa: E402
from lekhok_forecast.present import cost_plots, figures, plots  # noqa: E402
from lekhok_forecast.sources.plan_file import load_plan  # noqa: E402


@pytest.fixture(scope="module")
def result():
    figures.use_report_style(None)
    return simulate(load_plan(DEFAULT_PLAN), 8_192, 1)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_save_figure(tmp_path, result):
    fig, _ = cost_plots.burn_fan(budget.burn_percentiles(result), budget=result.plan.budget)
    assert figures.save_figure(fig, "", "x") is None
    assert figures.save_figure(fig, str(tmp_path), "burn") is None  # nothing to print in a notebook
    assert (tmp_path / "figures" / "burn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_png_is_deterministic_and_compact(result):
    # two figures drawn the same way give the same bytes (stored notebooks diff only on change)
    dt = drivers.driver_table(result)
    a, b = (figures.small_png(plots.tornado(dt)[0]) for _ in range(2))
    assert a == b and a[:4] == b"\x89PNG"
    fig, _ = plots.tornado(dt, top=10)
    full = io.BytesIO()
    fig.savefig(full, format="png", dpi=fig.dpi)
    assert len(figures.small_png(fig)) < len(full.getvalue()) / 2


def test_new_axes_are_on_a_figure_of_their_own():
    ax = figures.new_axes(height=2.6)
    assert ax.figure.get_figheight() == pytest.approx(2.6) and ax.figure.axes == [ax]

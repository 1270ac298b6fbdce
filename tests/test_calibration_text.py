"""How honest the forecasts have been: the project's own replay, its sentences, table and charts."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.present import calibration_plots, calibration_text
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.tracking.backtest import MIN_WINDOWS_FOR_HONESTY, backtest, project_backtest, project_history
from lekhok_forecast.tracking.calibration import calibration_from_actuals

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def weeks(lekhok_plan):
    return read_weeks(ACTUALS_DIR, lekhok_plan)


def test_project_history_is_the_calibration_evidence_in_finish_order(lekhok_plan, weeks):
    last = weeks[-1]
    h = project_history(lekhok_plan, last)
    cal = calibration_from_actuals(lekhok_plan, last)
    assert sorted(h.labels["task"]) == sorted(cal.tasks) and len(h) == cal.n_done
    by_task = dict(zip(cal.tasks, zip(cal.estimated_hours, cal.actual_hours)))
    for t, e, a in zip(h.labels["task"], h.estimates, h.actuals):
        assert by_task[t] == (e, a)
    rows = last.by_task()
    finish = [rows[t].finish_week for t in h.labels["task"]]
    assert finish == sorted(finish) and h.finish is not None and list(h.finish) == sorted(h.finish)
    assert project_history(lekhok_plan, None).estimates.size == 0


def test_project_backtest_forecasts_each_task_from_all_before_it(lekhok_plan, weeks):
    r = project_backtest(lekhok_plan, weeks[-1], trials=500)
    n = len(project_history(lekhok_plan, weeks[-1]))
    assert r.expanding and r.history == 3 and r.horizon == 1 and r.scores.windows == n - 3
    assert len(r.scores.reliability) == 9 and [c.level for c in r.scores.reliability][4] == 0.5
    early = project_backtest(lekhok_plan, weeks[0], trials=500)
    assert early.scores.windows < MIN_WINDOWS_FOR_HONESTY
    assert calibration_text.honesty_section(early).text == ""
    assert calibration_text.honesty_sentences(early).text.startswith("Too little history to judge yet")


def honest_result(n: int = 400):
    rng = np.random.default_rng(3)
    est = rng.uniform(1, 10, n)
    return backtest(est, est * np.exp(rng.normal(0, 0.5, n)), history=100, horizon=1, expanding=True, method="resample")


def test_sentences_say_the_computed_numbers():
    r = honest_result()
    s = r.scores
    text = calibration_text.honesty_sentences(r).text
    assert f"The {s.windows} done tasks after the first 100" in text
    assert f"{s.coverage[1].covered:.0%} no more than its P80" in text
    assert f"chi-square against flat is {s.pit_chi_square:.1f}" in text
    assert calibration_text.honesty_section(r).text.startswith("## How honest have our forecasts been")
    table = calibration_text.reliability_display(r).frame
    assert list(table.index) == [f"P{k}0" for k in range(1, 10)]
    assert table.loc["P80", "outcomes at or below"] == f"{s.coverage[1].covered:.0%}"
    methods = calibration_text.methods_display([r]).frame
    assert methods.loc["resample", "windows"] == f"{s.windows:,}"


def test_charts_draw_the_given_scores():
    r = honest_result()
    fig, ax = calibration_plots.reliability_plot(r.scores)
    (points,) = [c for c in ax.containers]
    assert np.allclose(points.lines[0].get_ydata(), [c.covered for c in r.scores.reliability])
    fig, ax = calibration_plots.pit_histogram_plot(r.scores)
    assert [p.get_height() for p in ax.patches] == list(r.scores.pit_counts)


def test_charts_of_no_replay_say_so_without_warnings(lekhok_plan, recwarn):
    empty = project_backtest(lekhok_plan, None, trials=10).scores
    for plot in (calibration_plots.reliability_plot, calibration_plots.pit_histogram_plot):
        _, ax = plot(empty)
        assert "no done task to replay yet" in [t.get_text() for t in ax.texts]
    assert not [w for w in recwarn if "legend" in str(w.message)]

"""Schedule analyses: finish distribution, deadlines, phases and milestones."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, assert_close, make_plan, prob_tolerance

from lekhok_forecast.analysis.schedule import (
    cdf_curve,
    cdf_median,
    deadline_table,
    finish_percentiles,
    finish_summary,
    mc_standard_error,
    milestone_reached_on_time,
    milestone_table,
    p_finish_by,
    percentile_table,
    phase_table,
    traffic_light,
)
from lekhok_forecast.core.distributions import table_error
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.sources.plan_file import load_plan

PLAN = """
    name: phases and milestones
    start: 2025-02-03
    units: weeks
    deadlines: [3, 4, 5]
    phases:
      - {name: Build, original_end_week: 2, realistic_end_week: 3}
      - {name: Ship, original_end_week: 4}
    tasks:
      - {id: a, phase: Build, duration: {low: 1, high: 3}}
      - {id: b, phase: Build, duration: {low: 1, mode: 2, high: 4}}
      - {id: c, phase: Ship, duration: {low: 0.5, high: 1.5}, after: [a, b]}
      - {id: d, duration: 0.5}
    milestones:
      - {id: M1, name: Both built, tasks: [a, b], target_week: 2.5}
      - {id: M2, name: Shipped, tasks: [c], target_week: 4}
    """
N = 100_000


@pytest.fixture(scope="module")
def result():
    return simulate(make_plan(PLAN), N, seed=31, sample_trials=20_000)


def test_milestone_is_the_max_of_its_tasks(result):
    s = result.sample_trials
    f = result.sample_finish_weeks
    np.testing.assert_array_equal(result.milestone_weeks[0, :s], np.maximum(f[0], f[1]))
    np.testing.assert_array_equal(result.milestone_weeks[1, :s], f[2])


def test_milestone_known_answer(result):
    """P(M1 <= x) = F_a(x) F_b(x) for independent parallel tasks."""
    ra, rb = (t.duration_weeks for t in result.plan.tasks[:2])
    for x in (1.5, 2.0, 2.5, 3.0):
        p = float(ra.cdf(np.array([x]))[0] * rb.cdf(np.array([x]))[0])
        assert_close(
            np.mean(result.milestone_weeks[0] <= x),
            p,
            prob_tolerance(p, N, bias=table_error(ra) + table_error(rb)),
            f"P(M1 <= {x})",
        )


def test_phase_end_is_the_latest_finish_of_its_tasks(result):
    s = result.sample_trials
    f = result.sample_finish_weeks
    np.testing.assert_array_equal(result.phase_end_weeks[0, :s], np.maximum(f[0], f[1]))
    np.testing.assert_array_equal(result.phase_end_weeks[1, :s], f[2])
    np.testing.assert_array_equal(result.phase_end_weeks[0], result.milestone_weeks[0])


def test_phase_table(result):
    t = phase_table(result)
    assert list(t.index) == ["Build", "Ship"]
    ends = result.phase_end_weeks
    assert t.loc["Build", "p_by_original"] == pytest.approx(np.mean(ends[0] <= 2))
    assert t.loc["Build", "p_by_realistic"] == pytest.approx(np.mean(ends[0] <= 3))
    assert np.isnan(t.loc["Ship", "p_by_realistic"]) and t.loc["Ship", "original_end_week"] == 4
    assert t.loc["Ship", "p50_week"] == pytest.approx(np.percentile(ends[1], 50))
    assert t.loc["Ship", "p80_week"] == pytest.approx(np.percentile(ends[1], 80))


def test_milestone_table(result):
    t = milestone_table(result)
    assert list(t.index) == ["M1", "M2"]
    w = result.milestone_weeks
    assert t.loc["M1", "p_on_time"] == pytest.approx(np.mean(w[0] <= 2.5))
    assert t.loc["M2", "p80_week"] == pytest.approx(np.percentile(w[1], 80))
    assert t.loc["M1", "status"] == traffic_light(t.loc["M1", "p_on_time"])
    assert t.loc["M1", "name"] == "Both built" and t.loc["M1", "target_week"] == 2.5
    assert isinstance(t.loc["M2", "p80_date"], dt.date)


def test_milestone_table_empty_without_milestones():
    r = simulate(load_plan(DATA / "minimal.yaml"), 1000)
    assert milestone_table(r).empty


def test_finish_summary(result):
    f = result.finish_weeks
    s = finish_summary(result)
    assert s.mean_weeks == pytest.approx(f.mean()) and s.std_weeks == pytest.approx(f.std(ddof=1))
    assert s.percentiles_weeks == pytest.approx({p: np.percentile(f, p) for p in (10, 50, 80, 90, 95)})
    assert list(s.p_finish_by) == ["3", "4", "5"]
    assert s.p_finish_by["4"] == pytest.approx(np.mean(f <= 4))
    assert s.p_between == pytest.approx({"3-4": np.mean((f >= 3) & (f <= 4)), "4-5": np.mean((f >= 4) & (f <= 5))})
    assert s.percentile_dates[50] == result.plan.date_of_week(s.percentiles_weeks[50])
    assert s.trials == N
    text = str(s)
    assert "P80" in text and "P(<= 4 wk)" in text and "\n" not in text


def test_finish_summary_other_deadlines(result):
    s = finish_summary(result, [1.5, 7])
    assert list(s.p_finish_by) == ["1.5", "7"] and s.p_finish_by["7"] == 1.0


def test_p_finish_by_and_percentiles(result):
    f = result.finish_weeks
    assert p_finish_by(result, 3.0) == pytest.approx(np.mean(f <= 3.0))
    assert p_finish_by(result, 0.0) == 0.0 and p_finish_by(result, 100) == 1.0
    assert finish_percentiles(result, (50,)) == {50: pytest.approx(np.median(f))}


def test_tables(result):
    pt = percentile_table(result)
    assert list(pt.index) == ["P10", "P50", "P80", "P90", "P95"] and "date" in pt.columns
    assert pt["finish_week"].is_monotonic_increasing
    dt_ = deadline_table(result)
    assert list(dt_["deadline_week"]) == [3, 4, 5]
    p = dt_["p_finish_by"].iloc[1]
    assert dt_["mc_error"].iloc[1] == pytest.approx(np.sqrt(p * (1 - p) / N))
    c = cdf_curve(result, points=50)
    assert len(c) == 50 and c["p_finish_by"].is_monotonic_increasing and c["p_finish_by"].iloc[-1] == 1.0


def test_mc_standard_error_and_traffic_light():
    assert mc_standard_error(0.5, 10_000) == pytest.approx(0.005)
    assert mc_standard_error(0.0, 10) == 0.0 and mc_standard_error(1.0, 10) == 0.0
    assert [traffic_light(p) for p in (0.95, 0.8, 0.79, 0.5, 0.49, 0.0)] == [
        "green",
        "green",
        "amber",
        "amber",
        "red",
        "red",
    ]


def test_date_of_a_finish_week():
    plan = make_plan(PLAN)
    assert plan.date_of_week(1) == dt.date(2025, 2, 7)  # the first week's Friday
    assert plan.with_changes(start=None).date_of_week(1) is None


def test_milestone_reached_on_time_up_to_its_target_week():
    assert milestone_reached_on_time(2.0, 2) and milestone_reached_on_time(1.5, 2.0)
    assert not milestone_reached_on_time(2.1, 2)


def test_cdf_median_reads_the_curve_at_one_half():
    cdf = pd.DataFrame({"week": [10.0, 12.0, 14.0], "p_finish_by": [0.0, 0.4, 0.9]})
    assert cdf_median(cdf) == pytest.approx(12.4)


def test_no_start_means_no_dates():
    r = simulate(load_plan(DATA / "minimal.yaml"), 1000)
    assert finish_summary(r).percentile_dates == {}
    assert "date" not in percentile_table(r).columns
    assert isinstance(deadline_table(r), pd.DataFrame) and deadline_table(r).empty


def test_phase_table_of_a_plan_without_phases_is_empty():
    from lekhok_forecast.core.engine import simulate
    from lekhok_forecast.sources.plan_file import plan_from_text

    plan = plan_from_text("name: no phases\nunits: weeks\ntasks:\n  - {id: a, duration: {low: 1, high: 2}}\n")
    table = phase_table(simulate(plan, 500, seed=1))
    assert table.empty and "p80_week" in table.columns

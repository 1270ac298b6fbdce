"""Costs: monthly and hourly items per trial, the cost summary, burn and joint confidence."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, assert_close, make_plan, mean_tolerance

from lekhok_forecast.analysis.budget import (
    burn_matrix,
    burn_percentiles,
    cost_item_means,
    cost_summary,
    joint_quadrants,
)
from lekhok_forecast.core.distributions import table_error
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.sources.plan_file import load_plan

PLAN = """
    name: costs
    units: hours
    deadlines: [4, 6]
    budget: 5000
    workstreams:
      w: {hours_per_week: {low: 10, high: 20}}
      v: {hours_per_week: 8}
    tasks:
      - {id: a, workstream: w, effort: {low: 20, mode: 30, high: 60}}
      - {id: b, workstream: v, effort: 16}
      - {id: c, duration: {low: 40, high: 80}, after: [a]}
    costs:
      - {id: office, per_month: 1300}                     # 1300 x 12/52 = 300 a week
      - {id: cloud, per_month: 1300, from_task: c}
      - {id: eng, per_hour: 60}
      - {id: ops, per_hour: {low: 10, high: 20}, workstreams: [v]}
    """
N = 40_000


@pytest.fixture(scope="module")
def result():
    return simulate(make_plan(PLAN), N, seed=51, sample_trials=N)


def test_monthly_cost_accrues_until_the_finish_exactly(result):
    np.testing.assert_allclose(result.cost_by_item[0], 300.0 * result.finish_weeks, rtol=1e-6)


def test_monthly_cost_from_a_tasks_start(result):
    start_c = result.sample_start_weeks[2].astype(float)
    np.testing.assert_allclose(result.cost_by_item[1], 300.0 * (result.finish_weeks - start_c), rtol=1e-6)
    assert np.all(result.cost_by_item[1] < result.cost_by_item[0])


def test_hourly_cost_is_rate_times_hours(result):
    hours = result.hours_by_workstream
    np.testing.assert_allclose(hours[1], 16.0)
    np.testing.assert_allclose(result.cost_by_item[2], 60.0 * hours.sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(result.cost_by_item[3], result.sample_cost_rates[3] * 16.0, rtol=1e-6)  # only v
    assert result.sample_cost_rates[3].min() >= 10 and result.sample_cost_rates[3].max() <= 20
    np.testing.assert_allclose(result.cost_total, result.cost_by_item.sum(axis=0))


def test_random_monthly_rate_known_mean():
    """Rate M ~ U(200, 500) and finish F ~ U(2, 4) weeks are independent:
    E[cost] = E[M] 12/52 E[F]; Var = E[M^2] E[F^2] (12/52)^2 - E[cost]^2."""
    plan = make_plan("""
        name: cloud
        units: weeks
        tasks: [{id: a, duration: {low: 2, high: 4}}]
        costs: [{id: cloud, per_month: {low: 200, high: 500}}]
        """)
    n = 200_000
    cost = simulate(plan, n, seed=52).cost_total
    k = 12 / 52
    mean = 350 * k * 3
    em2, ef2 = 300**2 / 12 + 350**2, 4 / 12 + 9
    var = em2 * ef2 * k**2 - mean**2
    te = table_error(plan.costs[0].per_month)  # both are uniform tables
    bias = k * (300 * te * 4 + 500 * 2 * te)  # |E_table - E| <= width x Kolmogorov distance, per factor
    assert_close(cost.mean(), mean, mean_tolerance(var, n) + bias, "mean cost")


def test_cost_summary(result):
    total = result.cost_total
    s = cost_summary(result)
    assert s.mean == pytest.approx(total.mean())
    assert (s.p50, s.p80, s.p90) == pytest.approx(tuple(np.percentile(total, [50, 80, 90])))
    assert s.budget == 5000 and s.p_within_budget == pytest.approx(np.mean(total <= 5000))
    f = result.finish_weeks
    assert s.joint_p_by == pytest.approx(
        {"4": np.mean((total <= 5000) & (f <= 4)), "6": np.mean((total <= 5000) & (f <= 6))}
    )
    assert s.joint_p_by["6"] <= min(s.p_within_budget, np.mean(f <= 6))
    assert set(s.by_item) == {"office", "cloud", "eng", "ops"}
    assert s.by_item["eng"] == pytest.approx(result.cost_by_item[2].mean())
    assert "P(<= budget" in str(s)
    assert list(cost_summary(result, [1.5]).joint_p_by) == ["1.5"]


def test_cost_summary_without_budget(result):
    r = simulate(make_plan(PLAN).with_changes(budget=None), 2000)
    s = cost_summary(r)
    assert s.p_within_budget is None and s.joint_p_by == {} and "budget" not in str(s)


def test_no_costs_means_zero_total():
    r = simulate(load_plan(DATA / "minimal.yaml"), 1000)
    s = cost_summary(r)
    assert s.mean == 0 and s.by_item == {}


def test_joint_quadrants_partition_the_trials(result):
    q = joint_quadrants(result, 5)
    assert q.to_numpy().sum() == pytest.approx(1.0)
    on_time, in_budget = result.finish_weeks <= 5, result.cost_total <= 5000
    assert q.loc["by week 5", "within budget"] == pytest.approx(np.mean(on_time & in_budget))
    assert q.loc["after week 5", "over budget"] == pytest.approx(np.mean(~on_time & ~in_budget))
    r = simulate(make_plan(PLAN).with_changes(budget=None), 500)
    with pytest.raises(ValueError, match="budget"):
        joint_quadrants(r, 5)
    assert joint_quadrants(r, 5, budget=1e9).loc["by week 5", "over budget"] == 0


def test_burn_reaches_the_total_and_never_decreases(result):
    weeks = np.arange(0, 15)
    m = burn_matrix(result, weeks)
    assert m.shape == (15, result.sample_trials)
    np.testing.assert_allclose(m[0], 0.0, atol=1e-9)
    assert np.all(np.diff(m, axis=0) >= -1e-6)
    assert result.finish_weeks.max() < 14
    np.testing.assert_allclose(m[-1], result.cost_total[: result.sample_trials], rtol=1e-5)


def test_burn_percentiles(result):
    b = burn_percentiles(result)
    assert list(b.columns) == ["p10", "p50", "p90", "p_over_budget"]
    assert b.index[0] == 0 and b.index[-1] >= np.percentile(result.finish_weeks, 99)
    assert np.all(b["p10"] <= b["p50"]) and np.all(b["p50"] <= b["p90"])
    assert b["p_over_budget"].is_monotonic_increasing


def test_cost_item_means_are_the_summary_items(result):
    assert cost_item_means(result) == cost_summary(result).by_item
    assert list(cost_item_means(result)) == [c.id for c in result.plan.costs]

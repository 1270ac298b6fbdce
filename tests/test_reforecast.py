"""Re-forecasting from weekly actuals."""

from __future__ import annotations

import dataclasses

import matplotlib
import numpy as np
import pytest
from conftest import assert_close, mean_tolerance
from test_actuals import HEADER, MINI

from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.actuals import Status, TaskActual, WeeklyActuals, no_actuals
from lekhok_forecast.core.asof import AsOf, TaskState
from lekhok_forecast.core.distributions import Range
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.core.plan import Plan, Task, Workstream
from lekhok_forecast.sources.actuals_file import actuals_from_text, read_weeks
from lekhok_forecast.sources.plan_file import plan_from_text
from lekhok_forecast.tracking.calibration import Calibration, calibration_from_actuals
from lekhok_forecast.tracking.reforecast import cost_with_spend, reforecast, reforecast_plan

matplotlib.use("Agg")


ARRAYS = (
    "finish_weeks",
    "task_criticality",
    "milestone_weeks",
    "phase_end_weeks",
    "cost_by_item",
    "hours_by_workstream",
    "sample_start_weeks",
    "sample_finish_weeks",
)


@pytest.fixture(scope="module")
def mini() -> Plan:
    return plan_from_text(MINI, "mini.yaml")


def state(plan, body: str, as_of: float, spend: str | None = None) -> WeeklyActuals:
    return actuals_from_text(HEADER + body, plan, as_of=as_of, path="wk.csv", spend_text=spend)


def assert_bitwise_equal(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), name


# ----------------------------------------------------------------------------- edge cases


def test_no_actuals_is_the_plans_forecast_bitwise(mini, lekhok_plan):
    for plan in (mini, lekhok_plan):
        base = simulate(plan, 5000, 7)
        assert_bitwise_equal(reforecast(plan, None, 5000, 7), base)
        assert_bitwise_equal(reforecast(plan, no_actuals(), 5000, 7), base)
        rp, as_of = reforecast_plan(plan, no_actuals())
        assert rp is plan and as_of.is_empty
        # evidence that is too thin changes nothing either
        assert_bitwise_equal(reforecast(plan, None, 5000, 7, calibration=Calibration(ratios=(2.0,))), base)


def test_nothing_started_shifts_the_whole_schedule_to_the_as_of_week(mini):
    # Same plan structure, same random numbers: every task waits for week 3, so with a fixed
    # capacity the schedule moves by exactly 3 weeks.
    base = simulate(mini, 4096, 3)
    later = reforecast(mini, no_actuals(3.0), 4096, 3)
    np.testing.assert_allclose(later.finish_weeks, base.finish_weeks + 3.0, atol=1e-5)
    assert later.sample_start_weeks.min() >= 3.0


def test_every_task_done_gives_the_actual_finish_exactly(mini):
    body = "a,done,44,0,1.1,,,,\nc,done,,1.1,1.7,,,,\nb,done,30,1.1,1.93,,,,\nd,done,25,1.93,2.67,,,,\n"
    spend = "cost,spent_to_date\neng,4950\ncloud,210.5\n"
    r = reforecast(mini, state(mini, body, 3.0, spend), 3000, 1)
    assert r.finish_weeks.dtype == np.float64
    assert np.all(r.finish_weeks == 2.67)
    s = headline_numbers(r)
    assert s["p50"] == s["p80"] == 2.67 and s["p_by_4"] == 1.0
    # costs: exactly what was spent (nothing left to simulate)
    np.testing.assert_allclose(r.cost_by_item, [[4950.0] * 3000, [210.5] * 3000], rtol=1e-12)
    # done tasks are fixed at their actual dates
    index = r.plan.task_index()
    assert r.sample_start_weeks[index["d"]].min() == np.float32(1.93)
    assert np.all(r.sample_finish_weeks[index["b"]] == np.float32(1.93))


def test_task_in_progress_past_its_pessimistic_estimate(mini):
    # a: planned 4-8 days (32-64 h) at 40 h/week; 70 h already worked, 1/2/3 days left.
    a = state(mini, "a,in_progress,70,0,,1,2,3,\n", 2.0)
    r = reforecast(mini, a, 20_000, 5)
    i = r.plan.task_index()["a"]
    fin = r.sample_finish_weeks[i].astype(float)
    # 1-3 days of 8 h at 40 h/week = 0.2-0.6 week from week 2, PERT mean (1+8+3)/6 = 2 days
    assert fin.min() >= 2.2 - 1e-6 and fin.max() <= 2.6 + 1e-6
    assert_close(fin.mean(), 2.4, mean_tolerance(0.2**2 / 36 * 4, fin.size), "mean finish of a")
    assert np.all(r.sample_start_weeks[i] == 2.0)
    hours = r.hours_by_workstream[0]
    assert hours.min() >= 70 + 8 + 3 * 8 + 2 * 8 - 1e-3  # spent + remaining + b + d lows
    # risks no longer apply to the task in progress; the plan's risk still hits b and d
    assert r.plan.risks[0].tasks == ("b", "d")


def test_risks_only_for_tasks_not_started(lekhok_plan):
    a = read_weeks(ACTUALS_DIR, lekhok_plan, up_to="2025-W06")[-1]
    rp, _ = reforecast_plan(lekhok_plan, a)
    listed = {t for r in rp.risks for t in r.tasks}
    assert "docker_backend" not in listed  # in progress
    assert "docker_frontend" in listed  # not started


def test_started_work_comes_first_in_its_workstream():
    # x and y share a workstream; the team started y (listed second) before x.
    plan = Plan(
        name="order",
        start=None,
        units="hours",
        tasks=(Task("x", "x", None, "w", Range.fixed(10.0), None), Task("y", "y", None, "w", Range.fixed(20.0), None)),
        workstreams=(Workstream("w", "w", hours_per_week=Range.fixed(10.0)),),
    )
    a = WeeklyActuals(as_of_week=1.0, tasks=(TaskActual("y", Status.IN_PROGRESS, 10.0, 0.0, None, (5.0, 5.0, 5.0)),))
    r = reforecast(plan, a, 100, 1)
    index = r.plan.task_index()
    assert [t.id for t in r.plan.tasks] == ["y", "x"]
    assert np.all(r.sample_start_weeks[index["y"]] == 1.0)
    assert np.all(r.sample_finish_weeks[index["y"]] == 1.5)  # 5 h left at 10 h/week
    assert np.all(r.sample_finish_weeks[index["x"]] == 2.5)  # then x: 10 h
    assert np.all(r.hours_by_workstream[0] == 25.0)  # 10 spent + 5 + 10


def test_re_estimated_task_not_started_uses_the_new_range(mini):
    a = state(mini, "a,done,40,0,1,,,,\nd,not_started,,,,10,10,10,\n", 1.0)
    rp, as_of = reforecast_plan(mini, a)
    i = rp.task_index()["d"]
    assert rp.tasks[i].effort_hours == Range.fixed(80.0) and not as_of.states(rp)[i].calibrate
    cal = Calibration(tasks=("p", "q", "r"), estimated_hours=(1, 1, 1), actual_hours=(2, 2, 2), ratios=(2.0, 2.0, 2.0))
    rp, as_of = reforecast_plan(mini, a, cal)
    assert {s.task for s in as_of.states(rp) if s.calibrate} == {"b"}  # not a (done), c (duration), d (re-estimated)


def test_spend_replaces_the_simulated_cost_to_date(mini):
    a = state(
        mini,
        "a,done,44,0,1.1,,,,\nb,in_progress,10,1.1,,1,2,3,\n",
        2.0,
        spend="cost,spent_to_date\neng,2000\ncloud,150\n",
    )
    plain = reforecast(mini, dataclasses.replace(a, spend=()), 4096, 2)
    r = reforecast(mini, a, 4096, 2)
    np.testing.assert_array_equal(r.finish_weeks, plain.finish_weeks)
    future_hours = plain.hours_by_workstream[0].astype(float) - 54.0
    np.testing.assert_allclose(r.cost_by_item[0], 2000.0 + 50.0 * future_hours, rtol=1e-6)
    # cloud: $300/month from b's actual start (1.1); from week 2 on it is simulated
    np.testing.assert_allclose(r.cost_by_item[1], 150.0 + 300 * 12 / 52 * (plain.finish_weeks - 2.0), rtol=1e-6)


def test_same_seed_same_numbers(lekhok_plan):
    a = read_weeks(ACTUALS_DIR, lekhok_plan)[-1]
    cal = calibration_from_actuals(lekhok_plan, a)
    assert_bitwise_equal(
        reforecast(lekhok_plan, a, 5000, 11, calibration=cal), reforecast(lekhok_plan, a, 5000, 11, calibration=cal)
    )


# ----------------------------------------------------------------------------- calibration


def test_cost_with_spend_takes_a_done_task_without_a_start_to_have_started_at_its_finish():
    # A hand-built as-of state may leave a done task's start out (TaskState.done_weeks).
    plan = plan_from_text(
        """
        name: accrual
        units: weeks
        tasks:
          - {id: a, duration: {low: 1, high: 3}}
          - {id: b, duration: {low: 2, high: 4}, after: [a]}
        costs:
          - {id: cloud, per_month: 1000, from_task: a}
        """
    )
    actuals = WeeklyActuals(as_of_week=3.0, spend=(("cloud", 500.0),))
    without = simulate(plan, 2000, 1, as_of=AsOf((TaskState("a", done_finish_week=2.0),)))
    with_start = simulate(plan, 2000, 1, as_of=AsOf((TaskState("a", done_start_week=2.0, done_finish_week=2.0),)))
    np.testing.assert_array_equal(cost_with_spend(without, actuals), cost_with_spend(with_start, actuals))

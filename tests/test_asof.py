"""The as-of state of a re-forecast (`lekhok_forecast.core.asof`) and how the engine uses it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_plan

from lekhok_forecast.core.asof import AsOf, TaskState
from lekhok_forecast.core.engine import simulate

PLAN = """
    name: tracking
    units: hours
    workstreams: {w: {hours_per_week: {low: 8, high: 12}}}
    tasks:
      - {id: a, workstream: w, effort: {low: 10, high: 30}}
      - {id: b, workstream: w, effort: {low: 10, high: 30}}
    """


def test_done_weeks_take_a_missing_start_to_be_the_finish():
    assert TaskState("a").done_weeks is None
    assert TaskState("a", done_start_week=1.0, done_finish_week=3.0).done_weeks == (1.0, 3.0)
    assert TaskState("a", done_finish_week=3.0).done_weeks == (3.0, 3.0)


def test_empty_as_of_is_the_plan_as_written():
    plan = make_plan(PLAN)
    assert AsOf().is_empty and not AsOf(calibration_ratios=(1.0,)).is_empty
    assert AsOf().states(plan) == (TaskState("a"), TaskState("b"))
    a, b = simulate(plan, 5000, 3), simulate(plan, 5000, 3, as_of=AsOf())
    np.testing.assert_array_equal(a.finish_weeks, b.finish_weeks)
    assert a.as_of == AsOf()


def test_states_are_keyed_by_task_id():
    plan = make_plan(PLAN)
    as_of = AsOf((TaskState("b", not_before_week=2.0),))
    assert as_of.states(plan) == (TaskState("a"), TaskState("b", not_before_week=2.0))
    assert TaskState("x", done_finish_week=1.0).done and not TaskState("x").done
    with pytest.raises(ValueError, match="not in the plan"):
        AsOf((TaskState("zz"),)).states(plan)
    with pytest.raises(ValueError, match="more than once"):
        AsOf((TaskState("a"), TaskState("a", not_before_week=1.0))).states(plan)


def test_calibration_scales_only_calibrated_tasks():
    plan = make_plan(PLAN.replace("{low: 10, high: 30}", "20"))  # fixed efforts, fixed-ish finish
    base = simulate(plan, 4096, 1, sample_trials=4096)
    as_of = AsOf((TaskState("b", calibrate=True),), calibration_ratios=(2.0,))
    r = simulate(plan, 4096, 1, sample_trials=4096, as_of=as_of)
    np.testing.assert_allclose(r.sample_duration_weeks[0], base.sample_duration_weeks[0], rtol=1e-6)
    np.testing.assert_allclose(r.sample_duration_weeks[1], 2 * base.sample_duration_weeks[1], rtol=1e-5)


def test_done_tasks_not_before_and_hours_spent():
    plan = make_plan("""
        name: tracking
        units: hours
        workstreams: {w: {hours_per_week: 10}}
        tasks:
          - {id: done, workstream: w, effort: 40}
          - {id: next, workstream: w, effort: 20}
          - {id: later, duration: 5}
        """)
    as_of = AsOf(
        (
            TaskState("done", done_start_week=0.5, done_finish_week=3.0, hours_spent=25.0),
            TaskState("later", not_before_week=4.0),
        )
    )
    r = simulate(plan, 1000, as_of=as_of)
    assert r.as_of is as_of
    np.testing.assert_array_equal(r.sample_start_weeks[0], 0.5)
    np.testing.assert_array_equal(r.sample_finish_weeks[0], 3.0)
    np.testing.assert_allclose(r.sample_finish_weeks[1], 5.0)  # 3 + 20 h / 10 h/wk
    np.testing.assert_allclose(r.sample_start_weeks[2], 4.0)
    np.testing.assert_allclose(r.sample_finish_weeks[2], 4.0 + 5 / 40)  # 5 hours of calendar time
    np.testing.assert_allclose(r.finish_weeks, 5.0)
    np.testing.assert_allclose(r.hours_by_workstream[0], 45.0)  # 25 spent + 20 to do

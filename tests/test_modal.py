"""The modal schedule (no Monte Carlo): low/mode/high schedules and the as-of state.

The critical chain and RSEM buffer by hand are in ``test_buffers.py`` with the buffer
sizing they feed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, make_plan

from lekhok_forecast.core.asof import AsOf, TaskState
from lekhok_forecast.core.modal import critical_chain, deterministic_schedule, modal_capacities, rsem_buffer_weeks
from lekhok_forecast.sources.plan_file import load_plan


def test_deterministic_schedule_low_mode_high():
    plan = load_plan(DATA / "textbook_pert.yaml")
    # at the lows B-D-G-H is longest; at the modes and highs A-C-E-G-H
    for which, total in (("low", 2 + 2 + 3 + 1), ("mode", 2 + 2 + 4 + 4 + 2), ("high", 3 + 3 + 7 + 11 + 3)):
        assert deterministic_schedule(plan, which)[1].max() == pytest.approx(total)
    with pytest.raises(ValueError, match="which"):
        deterministic_schedule(plan, "p80")


def test_modal_capacities_of_hours_and_shares():
    plan = make_plan("""
        name: caps
        units: hours
        team_hours_per_week: {low: 20, mode: 40, high: 60}
        workstreams:
          w: {hours_per_week: {low: 10, mode: 15, high: 30}}
          s: {share: 0.25}
        tasks:
          - {id: a, workstream: w, effort: 10}
          - {id: b, workstream: s, effort: 10}
        """)
    assert modal_capacities(plan) == [15.0, 10.0]


def test_as_of_fixes_done_tasks_and_delays_the_rest():
    plan = load_plan(DATA / "textbook_pert.yaml")
    as_of = AsOf((TaskState("a", done_start_week=0.0, done_finish_week=5.0), TaskState("b", not_before_week=1.0)))
    start, finish = deterministic_schedule(plan, "mode", as_of)
    i = plan.task_index()
    assert (start[i["a"]], finish[i["a"]]) == (0.0, 5.0)
    assert start[i["b"]] == 1.0
    chain, length = critical_chain(plan, as_of)
    assert chain[0] == "a" and length == finish.max()
    # a done task adds nothing to the RSEM buffer
    assert rsem_buffer_weeks(plan, as_of)[0] < rsem_buffer_weeks(plan)[0]
    np.testing.assert_array_equal(deterministic_schedule(plan, "mode", AsOf())[1], deterministic_schedule(plan)[1])

"""A workstream's unavailable weeks: effort pauses there (cases worked out by hand)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from conftest import make_plan

from lekhok_forecast.core.availability import finish_after, gaps
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.core.modal import deterministic_schedule
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.plan_file import plan_from_text


def test_gaps_merge_consecutive_weeks():
    assert gaps(()) == ()
    assert gaps((9, 5, 6)) == ((4.0, 6.0), (8.0, 9.0))  # weeks 5-6 are plan weeks 4.0-6.0


@pytest.mark.parametrize(
    "start, work, finish",
    [
        (0.0, 3.0, 3.0),  # done before the gap
        (0.0, 4.0, 4.0),  # done exactly when the gap begins
        (0.0, 4.5, 6.5),  # half a week after the gap of weeks 4-6
        (3.5, 1.0, 6.5),
        (5.0, 3.0, 10.0),  # starts inside the gap: 6-8, pause 8-9, then 9-10
        (0.0, 10.0, 13.0),  # runs into both gaps (3 weeks)
        (4.5, 0.0, 4.5),  # nothing to do: never before its start
    ],
)
def test_finish_after_by_hand(start, work, finish):
    g = gaps((5, 6, 9))
    got = finish_after(np.array([start], dtype=np.float32), np.array([work], dtype=np.float32), g)
    assert got.dtype == np.float32 and got[0] == pytest.approx(finish)
    assert finish_after(np.array([start]), np.array([work]), ())[0] == start + work


PLAN = """
    name: leave
    units: weeks
    workstreams:
      a: {hours_per_week: 40, unavailable: [2, 3]}
      b: {hours_per_week: 40}
    tasks:
      - {id: x, workstream: a, effort: 2}     # 80 h: weeks 0-1, pause 1-3, then 3-4
      - {id: y, workstream: b, effort: 2}     # b works on: 0-2
      - {id: z, workstream: a, effort: 0.5, after: [y]}  # a after x (4), 4-4.5
"""


def test_engine_and_modal_schedule_pause_the_workstream():
    plan = make_plan(PLAN)
    assert plan.workstreams[0].unavailable == (2, 3) and plan.workstreams[1].unavailable == ()
    start, finish = deterministic_schedule(plan)
    assert list(finish) == [4.0, 2.0, 4.5]
    result = simulate(plan, 64, seed=1)
    assert np.all(result.finish_weeks == 4.5)


def test_no_unavailable_weeks_changes_nothing():
    plan = make_plan(PLAN.replace(", unavailable: [2, 3]", ""))
    assert list(deterministic_schedule(plan)[1]) == [2.0, 2.0, 2.5]


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "[2.5]",
            "<t>:5: workstreams.a.unavailable[0]: expected a whole week number (week 5 is plan weeks 4-5), got 2.5",
        ),
        ("[2, 2]", "<t>:5: workstreams.a.unavailable[1]: week 2 is listed twice"),
        ("[0]", "<t>:5: workstreams.a.unavailable[0]: must be > 0, got 0"),
        ("3", "<t>:5: workstreams.a.unavailable: expected a list, got int 3"),
    ],
)
def test_bad_unavailable_weeks(value, message):
    with pytest.raises(ForecastInputError) as info:
        plan_from_text(textwrap.dedent(PLAN).replace("[2, 3]", value), "<t>")
    assert str(info.value) == message

"""Buffer sizing: the modal schedule, the critical chain and its RSEM buffer, and the
confidence a planned buffer carries. The networks are small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import DATA, make_plan

from lekhok_forecast.analysis.buffers import buffer_curve, buffer_summary, buffer_table
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.core.modal import critical_chain, deterministic_schedule, rsem_buffer_weeks
from lekhok_forecast.sources.plan_file import load_plan

#   a (1, 2, 4) -> b (2, 3, 5) -> d (1, 2, 3)
#   a           -> c (1, 1, 2) -> d
# Modal schedule: a 0-2, b 2-5, c 2-3, d 5-7. Critical chain a-b-d, 7 weeks.
# RSEM = sqrt((4-2)^2 + (5-3)^2 + (3-2)^2) = 3 weeks.
HAND = """
    name: hand computed
    units: weeks
    baseline_weeks: 6
    buffer: 0.25
    tasks:
      - {id: a, duration: {low: 1, mode: 2, high: 4}}
      - {id: b, duration: {low: 2, mode: 3, high: 5}, after: [a]}
      - {id: c, duration: {low: 1, mode: 1, high: 2}, after: [a]}
      - {id: d, duration: {low: 1, mode: 2, high: 3}, after: [b, c]}
    """

# Effort tasks convert at the workstream's modal capacity (uniform 10-30: 20 h/week) and the
# workstream's previous task is a link of the chain: x 0-2 (40 h), y 2-3 (20 h), z 0-2.
# Chain x-y, 3 weeks; RSEM = sqrt(((80-40)/20)^2 + ((30-20)/20)^2) = sqrt(4.25).
EFFORT = """
    name: effort chain
    units: hours
    baseline_weeks: 3
    workstreams: {w: {hours_per_week: {low: 10, high: 30}}}
    tasks:
      - {id: x, workstream: w, effort: {low: 20, mode: 40, high: 80}}
      - {id: y, workstream: w, effort: {low: 10, mode: 20, high: 30}}
      - {id: z, duration: {low: 40, mode: 80, high: 120}}
    """


def test_modal_schedule_by_hand():
    start, finish = deterministic_schedule(make_plan(HAND), "mode")
    np.testing.assert_allclose(start, [0, 2, 2, 5])
    np.testing.assert_allclose(finish, [2, 5, 3, 7])


def test_critical_chain_and_rsem_by_hand():
    plan = make_plan(HAND)
    assert critical_chain(plan) == (("a", "b", "d"), 7.0)
    rsem, chain = rsem_buffer_weeks(plan)
    assert chain == ("a", "b", "d") and rsem == pytest.approx(3.0)


def test_effort_chain_uses_modal_capacity_and_resource_links():
    plan = make_plan(EFFORT)
    start, finish = deterministic_schedule(plan, "mode")
    np.testing.assert_allclose(finish, [2, 3, 2])  # z: 80 h of calendar time = 2 weeks
    assert critical_chain(plan) == (("x", "y"), 3.0)
    assert rsem_buffer_weeks(plan)[0] == pytest.approx(math.sqrt(4.25))


def test_textbook_modal_chain():
    plan = load_plan(DATA / "textbook_pert.yaml")
    chain, length = critical_chain(plan)
    assert chain == ("a", "c", "e", "g", "h") and length == 14.0
    # (high - mode): 1, 1, 3, 7, 1
    assert rsem_buffer_weeks(plan)[0] == pytest.approx(math.sqrt(1 + 1 + 9 + 49 + 1))


@pytest.fixture(scope="module")
def hand_result():
    return simulate(make_plan(HAND), 50_000, seed=41)


def test_buffer_summary(hand_result):
    f = hand_result.finish_weeks
    s = buffer_summary(hand_result)
    assert (s.baseline_weeks, s.buffer, s.buffered_weeks) == (6, 0.25, 7.5)
    assert s.p_within_buffer == pytest.approx(np.mean(f <= 7.5))
    assert s.needed_for_p80 == pytest.approx(np.percentile(f, 80) / 6 - 1)
    assert s.needed_for_p90 == pytest.approx(np.percentile(f, 90) / 6 - 1)
    assert s.needed_for_p90 > s.needed_for_p80
    assert s.rsem_weeks == pytest.approx(3.0) and s.rsem_fraction == pytest.approx(0.5)
    assert s.critical_chain == ("a", "b", "d")
    assert "confidence" in str(s) and "\n" not in str(s)


def test_buffer_curve_and_table(hand_result):
    f = hand_result.finish_weeks
    curve = buffer_curve(hand_result, [0.0, 0.25, 0.5])
    assert list(curve["weeks"]) == [6.0, 7.5, 9.0]
    assert curve["p_within"].iloc[1] == pytest.approx(np.mean(f <= 7.5))
    assert buffer_curve(hand_result)["p_within"].is_monotonic_increasing
    t = buffer_table(hand_result)
    assert list(t.index) == ["planned", "for P80", "for P90", "RSEM (critical chain)"]
    assert t.loc["for P80", "confidence"] == pytest.approx(0.8, abs=1e-3)
    assert t.loc["for P90", "confidence"] == pytest.approx(0.9, abs=1e-3)
    assert t.loc["RSEM (critical chain)", "buffer_weeks"] == pytest.approx(3.0)
    assert t.loc["planned", "total_weeks"] == 7.5


def test_no_baseline_no_buffer():
    r = simulate(load_plan(DATA / "minimal.yaml"), 1000)
    with pytest.raises(ValueError, match="baseline_weeks"):
        buffer_summary(r)
    with pytest.raises(ValueError, match="baseline_weeks"):
        buffer_curve(r)


def test_lekhok_buffer(lekhok_plan):
    s = buffer_summary(simulate(lekhok_plan, 4096, seed=1))
    assert s.baseline_weeks == 12 and s.buffered_weeks == pytest.approx(14.4)
    assert 0 <= s.p_within_buffer <= 1 and s.rsem_weeks > 0 and len(s.critical_chain) >= 2

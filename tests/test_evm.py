"""Earned value, the fever chart and what changed since last week."""

from __future__ import annotations

import numpy as np
import pytest
from test_actuals import HEADER, MINI

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.plan import plan_from_text
from lekhok_forecast.sources.actuals_file import actuals_from_text, no_actuals, read_weeks
from lekhok_forecast.tracking.earned_value import (
    ZONE_LINES,
    baseline_schedule,
    chain_buffer,
    earned_value,
    earned_value_table,
    fever_point,
    fever_table,
    fever_zone,
    share_complete,
    what_changed,
)
from lekhok_forecast.tracking.reforecast import calibration_from_actuals, reforecast


@pytest.fixture(scope="module")
def mini():
    return plan_from_text(MINI, "mini.yaml")


@pytest.fixture(scope="module")
def demo(lekhok_plan):
    return read_weeks(ACTUALS_DIR, lekhok_plan)


def state(plan, body: str, as_of: float, spend: str | None = None):
    return actuals_from_text(HEADER + body, plan, as_of=as_of, path="wk.csv", spend_text=spend)


# The mini plan's modal schedule at 40 h/week (8-hour days): a 40 h -> weeks 0-1;
# b 32 h and c 3 days -> 1-1.8 and 1-1.6; d 24 h -> 1.8-2.4.


def test_baseline_schedule(mini):
    b = baseline_schedule(mini)
    np.testing.assert_allclose(b["start_week"], [0.0, 1.0, 1.0, 1.8])
    np.testing.assert_allclose(b["finish_week"], [1.0, 1.8, 1.6, 2.4])
    np.testing.assert_allclose(b["hours"], [40.0, 32.0, 0.0, 24.0])


def test_earned_value_by_hand(mini):
    a = state(
        mini,
        "a,done,48,0,1.2,,,,\nb,in_progress,20,1.2,,1,2,3,\nc,in_progress,,1.2,,1,2,4,\n",
        1.5,
        spend="cost,spent_to_date\neng,3400\ncloud,30\n",
    )
    ev = earned_value(mini, a)
    planned = 40 + 32 * 0.5 / 0.8  # a done by plan, b 5/8 through
    earned = 40 + 32 * 20 / (20 + 16)  # b: 20 h worked, 2 days (16 h) most likely left
    assert ev.planned_hours == pytest.approx(planned)
    assert ev.earned_hours == pytest.approx(earned)
    assert ev.actual_hours == 68
    assert ev.spi_hours == pytest.approx(earned / planned)
    assert ev.cpi_hours == pytest.approx(earned / 68)
    cloud = 300 * 12 / 52 * (1.5 - 1.0)  # level of effort from b's baseline start
    assert ev.planned_cost == pytest.approx(50 * planned + cloud)
    assert ev.earned_cost == pytest.approx(50 * earned + cloud)
    assert ev.actual_cost == 3430 and ev.actual_cost_basis == "reported"
    assert ev.cpi == pytest.approx((50 * earned + cloud) / 3430)
    assert ev.budget_at_completion == pytest.approx(50 * 96 + 300 * 12 / 52 * 1.4)
    assert share_complete(mini, a.get("c"), 1.5) == pytest.approx(0.3 / (0.3 + 0.4))  # 2 days = 0.4 week left


def test_actual_cost_estimated_without_spend(mini):
    a = state(mini, "a,done,48,0,1.2,,,,\nb,in_progress,20,1.2,,1,2,3,\n", 1.5)
    ev = earned_value(mini, a)
    assert ev.actual_cost_basis == "estimated"
    assert ev.actual_cost == pytest.approx(50 * 68 + 300 * 12 / 52 * (1.5 - 1.2))
    partly = earned_value(mini, state(mini, "a,done,48,0,1.2,,,,\n", 1.5, spend="cost,spent_to_date\neng,2400\n"))
    assert partly.actual_cost_basis == "partly estimated"


def test_earned_value_table_demo(lekhok_plan, demo):
    t = earned_value_table(lekhok_plan, demo)
    assert t["week"].tolist() == [a.week for a in demo]
    assert (t["actual_hours"].diff().dropna() > 0).all()
    assert t["actual_cost_basis"].eq("reported").all()
    # Docker overruns: behind schedule and over cost in the demo, but not absurdly so
    assert ((t["spi"] > 0.5) & (t["spi"] < 1.0)).all()
    assert ((t["cpi"] > 0.5) & (t["cpi"] < 1.0)).all()


# ----------------------------------------------------------------------------- fever chart


def test_fever_zones():
    (g0, g1), (r0, r1) = ZONE_LINES["green_yellow"], ZONE_LINES["yellow_red"]
    assert fever_zone(0.0, g0 - 0.01) == "green" and fever_zone(0.0, g0) == "yellow"
    assert fever_zone(0.0, r0) == "red"
    assert fever_zone(1.0, g1 - 0.01) == "green" and fever_zone(1.0, r1 - 0.01) == "yellow"
    assert fever_zone(0.5, (r0 + r1) / 2 + 0.01) == "red"
    assert fever_zone(0.3, -0.2) == "green"  # ahead of plan


def test_fever_points(mini):
    cb = chain_buffer(mini)
    assert cb.chain == ("a", "b", "d") and cb.chain_weeks == pytest.approx(2.4)
    assert cb.buffer_weeks == pytest.approx(0.25 * 2.4)  # the plan's 25 % of the chain
    start = fever_point(mini, no_actuals(), cb)
    assert (start.chain_complete, start.buffer_consumed, start.zone) == (0.0, pytest.approx(0.0), "green")
    # a done on plan, b half done with its plan left: on schedule
    on_plan = fever_point(
        mini, state(mini, "a,done,40,0,1,,,,\nb,in_progress,16,1,,2,2,2,\nc,in_progress,,1,,2,2,2,\n", 1.4), cb
    )
    assert on_plan.chain_complete == pytest.approx((1.0 + 0.4) / 2.4)
    assert on_plan.buffer_consumed == pytest.approx(0.0, abs=1e-12) and on_plan.zone == "green"
    # a took 1.3 weeks instead of 1: 0.3 of the 0.6-week buffer gone at 1/2.4 of the chain
    late = fever_point(mini, state(mini, "a,done,52,0,1.3,,,,\n", 1.3), cb)
    assert late.chain_complete == pytest.approx(1 / 2.4)
    assert late.buffer_consumed == pytest.approx(0.5)
    assert late.projected_finish_week == pytest.approx(2.7) and late.zone == "yellow"
    worse = fever_point(mini, state(mini, "a,done,60,0,1.5,,,,\n", 1.5), cb)  # 0.5 of 0.6 weeks gone
    assert worse.buffer_consumed == pytest.approx(0.5 / 0.6) and worse.zone == "red"


def test_fever_table_demo(lekhok_plan, demo):
    f = fever_table(lekhok_plan, demo)
    assert f["week"].tolist() == ["plan"] + [a.week for a in demo]
    assert f["chain_complete"].is_monotonic_increasing
    assert f["buffer_consumed"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert set(f["zone"]) <= {"green", "yellow", "red"}
    np.testing.assert_allclose(f["buffer_weeks"], lekhok_plan.buffer * chain_buffer(lekhok_plan).chain_weeks)


# ----------------------------------------------------------------------------- what changed


def headline_p80(plan, a, trials, seed):
    cal = calibration_from_actuals(plan, a)
    return float(np.percentile(reforecast(plan, a, trials, seed, calibration=cal).finish_weeks, 80))


def test_what_changed_adds_up_to_the_move_in_p80(lekhok_plan, demo):
    prev, cur = demo[3], demo[4]  # weeks 4 -> 5
    t = what_changed(lekhok_plan, prev, cur, 4096, 3)
    before, after = headline_p80(lekhok_plan, prev, 4096, 3), headline_p80(lekhok_plan, cur, 4096, 3)
    assert t["p80_before"].iloc[0] == before and t["p80_after"].iloc[-1] == after
    assert t["p80_effect_weeks"].sum() == pytest.approx(after - before, abs=1e-9)
    np.testing.assert_array_equal(t["p80_before"].iloc[1:].to_numpy(), t["p80_after"].iloc[:-1].to_numpy())
    changes = dict(zip(t["task"], t["change"]))
    assert changes == {
        "terraform_iac": "finished",
        "cloud_postgres": "started",
        "subscription_backend": "re-estimated",
        "(week elapsed)": "time",
        "(calibration)": "calibration",
    }
    sub = t.set_index("task").loc["subscription_backend"]
    assert "remaining 3.5/4.25/5 days -> 2.5/3.5/5 days" in sub["detail"]
    assert sub["p80_effect_weeks"] > 0  # re-estimated upward on the critical chain


def test_what_changed_in_the_first_week_starts_from_the_plan(lekhok_plan, demo):
    from lekhok_forecast.core.engine import simulate

    t = what_changed(lekhok_plan, None, demo[0], 4096, 1)
    assert t["p80_before"].iloc[0] == float(np.percentile(simulate(lekhok_plan, 4096, 1).finish_weeks, 80))
    assert set(t["change"]) == {"started and finished", "started", "time"}  # too little evidence to calibrate
    assert "x1.20" in t.set_index("task").loc["docker_cloud_learning", "detail"]


def test_nothing_changed_is_just_the_clock(mini):
    a = state(mini, "a,done,40,0,1,,,,\n", 1.0)
    b = state(mini, "a,done,40,0,1,,,,\n", 2.0)
    t = what_changed(mini, a, b, 2048, 1, calibrate=False)
    assert t["task"].tolist() == ["(week elapsed)"]
    assert t["p80_effect_weeks"].iloc[0] > 0.5  # b, c and d could not start for a week

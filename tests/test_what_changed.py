"""What changed since last week and how it moved P80."""

from __future__ import annotations

import numpy as np
import pytest
from test_actuals import MINI
from test_reforecast import state

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.plan_file import plan_from_text
from lekhok_forecast.tracking.calibration import calibration_from_actuals
from lekhok_forecast.tracking.reforecast import reforecast
from lekhok_forecast.tracking.what_changed import what_changed


@pytest.fixture(scope="module")
def mini():
    return plan_from_text(MINI, "mini.yaml")


@pytest.fixture(scope="module")
def demo(lekhok_plan):
    return read_weeks(ACTUALS_DIR, lekhok_plan)


# The mini plan's modal schedule at 40 h/week (8-hour days): a 40 h -> weeks 0-1;
# b 32 h and c 3 days -> 1-1.8 and 1-1.6; d 24 h -> 1.8-2.4.


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

"""The buffer fever chart."""

from __future__ import annotations

import numpy as np
import pytest
from test_actuals import MINI
from test_reforecast import state

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.actuals import no_actuals
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.plan_file import plan_from_text
from lekhok_forecast.tracking.fever import ZONE_LINES, chain_buffer, fever_point, fever_table, fever_zone


@pytest.fixture(scope="module")
def mini():
    return plan_from_text(MINI, "mini.yaml")


@pytest.fixture(scope="module")
def demo(lekhok_plan):
    return read_weeks(ACTUALS_DIR, lekhok_plan)


# The mini plan's modal schedule at 40 h/week (8-hour days): a 40 h -> weeks 0-1;
# b 32 h and c 3 days -> 1-1.8 and 1-1.6; d 24 h -> 1.8-2.4.


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


def test_no_buffer_and_fixed_estimates_give_an_empty_fever_table():
    plan = plan_from_text(
        "name: f\nunits: days\nworkstreams:\n  dev: {hours_per_week: 40}\ntasks:\n"
        "  - {id: a, workstream: dev, effort: 3}\n  - {id: b, workstream: dev, effort: 2, after: [a]}\n",
        "f.yaml",
    )
    cb = chain_buffer(plan)
    assert cb.buffer_weeks == 0 and not cb.has_buffer and cb.chain == ("a", "b")
    table = fever_table(plan, [])
    assert len(table) == 0 and "buffer_consumed" in table.columns
    with pytest.raises(ValueError, match="0 weeks"):
        fever_point(plan, no_actuals(), cb)

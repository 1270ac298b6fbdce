"""The notebooks' forecast: the same summary as ``simulate --json``; the weekly one re-forecast."""

from __future__ import annotations

import json

from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.config import DEFAULT_PLAN


def test_forecast_summary_is_simulate_json(plan_forecast, run_cli):
    fc = plan_forecast
    rc, out, _ = run_cli("simulate", str(DEFAULT_PLAN), "--trials", "8192", "--seed", "2", "--json")
    assert rc == 0
    cli = json.loads(out)
    assert {k: v for k, v in cli.items() if k != "plan_file"} == {
        k: v for k, v in fc.summary.items() if k != "plan_file"
    }
    assert fc.summary == dict(summary_dict(fc.result), plan_file="data/plans/lekhok_deployment.yaml")


def test_weekly_forecast_headline_is_the_re_forecast(weekly_forecast):
    weekly = weekly_forecast
    st, s = weekly.status, weekly.summary
    assert weekly.result is st.update.calibrated and weekly.plan is st.plan  # the original plan, for dates
    assert s == dict(s, **{k: v for k, v in summary_dict(weekly.result).items() if k not in ("tasks", "milestones")})
    assert list(s["tasks"]) == [t.id for t in weekly.plan.tasks]  # plan order, not the re-forecast's
    assert (s["as_of_week"], s["actuals_week"], s["actuals_file"]) == (6.0, "2025-W11", "data/actuals/2025-W11.csv")
    assert s["calibrated"] and s["headline"] == "calibrated" and s["done_tasks"] == 15
    assert s["milestones"]["M1"]["reached_week"] == 2.1 and "reached_week" not in s["milestones"]["M4"]
    assert s["forecasts"]["plan"]["finish_weeks"]["p80"] == summary_dict(st.plan_forecast)["finish_weeks"]["p80"]
    json.dumps(s, allow_nan=False)  # strict JSON

"""The JSON-ready summary shared by `simulate --json` and the reports."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DATA, FINISH_KEYS, check_documented_keys

from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.sources.plan_file import load_plan


@pytest.fixture(scope="module")
def lekhok_result(lekhok_plan):
    return simulate(lekhok_plan, 4096, seed=1)


def test_lekhok_summary_has_every_documented_key(lekhok_result, lekhok_plan):
    s = summary_dict(lekhok_result)
    check_documented_keys(s, lekhok_plan)
    assert s["plan"] == lekhok_plan.name and s["trials"] == 4096 and s["seed"] == 1
    assert s["milestones"]["M1"]["target_week"] == 2
    assert s["buffer"]["baseline_weeks"] == 12 and s["buffer"]["buffer"] == 0.2
    assert s["start"] == "2025-02-03" and set(s["finish_dates"]) == {"p10", "p50", "p80", "p90", "p95"}


def test_summary_is_plain_json(lekhok_result):
    s = summary_dict(lekhok_result)
    assert json.loads(json.dumps(s)) == s  # no numpy scalars, no NaN


def test_summary_numbers_agree_with_the_result(lekhok_result):
    s = summary_dict(lekhok_result)
    f = lekhok_result.finish_weeks
    assert s["finish_weeks"]["p80"] == pytest.approx(np.percentile(f, 80), abs=1e-6)
    assert s["finish_weeks"]["mean"] == pytest.approx(f.mean(), abs=1e-6)
    assert s["p_finish_by"]["14"] == pytest.approx(np.mean(f <= 14), abs=1e-6)
    budget = lekhok_result.plan.budget
    assert s["cost"]["p_within_budget"] == pytest.approx(np.mean(lekhok_result.cost_total <= budget), abs=1e-6)
    p = s["finish_weeks"]
    assert p["p10"] <= p["p50"] <= p["p80"] <= p["p90"] <= p["p95"]


def test_extra_deadline_is_keyed_as_written(lekhok_result, lekhok_plan):
    s = summary_dict(lekhok_result, list(lekhok_plan.deadlines) + [1.5])
    assert list(s["p_finish_by"]) == ["12", "14", "16", "1.5"]
    assert list(s["cost"]["joint_p_by"]) == ["12", "14", "16", "1.5"]
    assert s["p_finish_by"]["1.5"] == 0.0


def test_sections_without_data_are_omitted():
    s = summary_dict(simulate(load_plan(DATA / "minimal.yaml"), 2000, seed=1))
    for key in ("milestones", "buffer", "cost", "start", "finish_dates", "p_between"):
        assert key not in s
    assert s["p_finish_by"] == {}
    assert list(s["tasks"]) == ["first", "second"]
    assert FINISH_KEYS <= set(s["finish_weeks"])


def test_costs_without_budget_have_no_budget_keys(lekhok_result):
    r = simulate(lekhok_result.plan.with_changes(budget=None), 2000)
    cost = summary_dict(r)["cost"]
    assert {"mean", "p50", "p80", "p90"} <= set(cost)
    assert "p_within_budget" not in cost and "joint_p_by" not in cost

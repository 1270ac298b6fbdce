"""Calibration from the evidence of done tasks."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from conftest import K_SE, assert_close, mean_tolerance
from test_actuals import MINI
from test_reforecast import assert_bitwise_equal, state

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.actuals import Status, TaskActual, WeeklyActuals
from lekhok_forecast.core.distributions import Dist, Range
from lekhok_forecast.core.plan import Plan, Task, Workstream
from lekhok_forecast.core.ratios import lognormal_factor, task_scale
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.plan_file import plan_from_text
from lekhok_forecast.tracking.calibration import MIN_DONE_FOR_CALIBRATION, calibration_from_actuals
from lekhok_forecast.tracking.reforecast import reforecast

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def mini() -> Plan:
    return plan_from_text(MINI, "mini.yaml")


def test_too_little_evidence_means_no_calibration(mini):
    a = state(mini, "a,done,60,0,1.5,,,,\nb,done,48,1.5,2.7,,,,\n", 3.0)
    cal = calibration_from_actuals(mini, a)
    assert cal.n_done == 2 < MIN_DONE_FOR_CALIBRATION and not cal.applied
    assert cal.ratios == (1.5, 1.5) and cal.engine_ratios == ()
    assert cal.message.startswith("Not calibrated: 2 done tasks with an effort estimate are too little evidence")
    assert_bitwise_equal(reforecast(mini, a, 4096, 1, calibration=cal), reforecast(mini, a, 4096, 1))
    assert not calibration_from_actuals(mini, a, min_done=2, enabled=False).applied
    assert calibration_from_actuals(mini, a, min_done=2).applied


def chain_plan(n_tasks: int, capacity: float) -> Plan:
    """n effort tasks in a chain on one workstream with a fixed capacity (hours/week)."""
    rng = np.random.default_rng(2024)
    tasks = []
    for i in range(n_tasks):
        mode = float(rng.uniform(4, 12))
        tasks.append(
            Task(
                f"t{i}",
                f"t{i}",
                None,
                "w",
                Range(Dist.PERT, 0.7 * mode, mode, 1.8 * mode),
                None,
                after=(f"t{i - 1}",) if i else (),
            )
        )
    return Plan(
        name="chain",
        tasks=tuple(tasks),
        units="hours",
        hours_per_day=8.0,
        workstreams=(Workstream("w", "w", hours_per_week=Range.fixed(capacity)),),
    )


def test_calibration_recovers_a_known_bias_within_monte_carlo_error():
    """32 done tasks took a lognormal multiple (median 1.5, sigma 0.25) of their mode.

    The evidence must recover that bias (within its sampling error), and the calibrated
    forecast of the 10 remaining tasks must match the analytic expectation
    N + mean(ratios) x sum(PERT means) / capacity within Monte Carlo error.
    """
    done, left, cap, n_week = 32, 10, 10.0, 40.0
    plan = chain_plan(done + left, cap)
    rng = np.random.default_rng(99)
    sigma = 0.25
    bias = rng.lognormal(math.log(1.5), sigma, size=done)
    rows, week = [], 0.0
    for t, r in zip(plan.tasks[:done], bias):
        hours = r * t.effort_hours.mode
        rows.append(TaskActual(t.id, Status.DONE, float(hours), week, week + hours / cap))
        week += hours / cap
    assert week <= n_week
    a = WeeklyActuals(as_of_week=n_week, tasks=tuple(rows))
    cal = calibration_from_actuals(plan, a, method="resample")
    assert cal.applied and cal.n_done == done
    np.testing.assert_allclose(cal.ratios, bias, rtol=1e-12)
    # the evidence recovers the bias: E[ratio] = 1.5 exp(sigma^2 / 2)
    true_mean = 1.5 * math.exp(sigma**2 / 2)
    ratio_var = (math.exp(sigma**2) - 1) * true_mean**2
    assert_close(cal.mean_ratio, true_mean, mean_tolerance(ratio_var, done), "mean ratio")

    trials = 200_000
    unc = reforecast(plan, a, trials, 3)
    calibrated = reforecast(plan, a, trials, 3, calibration=cal)
    remaining_means = sum(t.effort_hours.mean for t in plan.tasks[done:])
    for result, factor, what in ((unc, 1.0, "uncalibrated"), (calibrated, cal.mean_ratio, "calibrated")):
        f = result.finish_weeks
        expected = n_week + factor * remaining_means / cap
        assert_close(f.mean(), expected, K_SE * f.std() / math.sqrt(trials) + 1e-5, f"{what} mean finish")
    # and the calibrated forecast sits the recovered bias above the uncalibrated one
    assert (calibrated.finish_weeks.mean() - n_week) / (unc.finish_weeks.mean() - n_week) == pytest.approx(
        cal.mean_ratio, rel=5e-3
    )

    # The default (size-prior): each task's mean multiplier is its scale times the mean of the
    # residual table times the common factor's mean, all read off the fitted model.
    smooth = calibration_from_actuals(plan, a)
    model = smooth.model
    assert smooth.method == "size-prior" and model is not None and model.sigma > 0
    factor_mean = float(np.mean(lognormal_factor(model.sigma, np.arange(65536, dtype=np.uint16)).astype(np.float64)))
    table_mean = float(np.mean(np.asarray(model.ratios, dtype=np.float32).astype(np.float64)))
    rest = plan.tasks[done:]
    scales = task_scale(model, [t.effort_hours.mode for t in rest], [t.workstream for t in rest]).astype(np.float64)
    expected = (
        n_week + table_mean * factor_mean * float(scales @ [t.effort_hours.mean for t in plan.tasks[done:]]) / cap
    )
    f = reforecast(plan, a, trials, 3, calibration=smooth).finish_weeks
    assert_close(f.mean(), expected, K_SE * f.std() / math.sqrt(trials) + 1e-4, "size-prior mean finish")


def test_calibration_table_and_message(lekhok_plan):
    a = read_weeks(ACTUALS_DIR, lekhok_plan, up_to="2025-W07")[-1]
    cal = calibration_from_actuals(lekhok_plan, a)
    t = cal.table()
    assert list(t.index) == [
        "docker_cloud_learning",
        "docker_backend",
        "docker_frontend",
        "docker_compose",
        "env_config",
    ]
    assert t.loc["docker_backend", "ratio"] == pytest.approx(4.5 / (0.75 * 3.5))
    assert "Calibrated on the 5 done tasks" in str(cal)


def test_workstream_method_scales_each_workstream_by_its_shrunk_level(lekhok_plan):
    a = read_weeks(ACTUALS_DIR, lekhok_plan)[-1]
    cal = calibration_from_actuals(lekhok_plan, a, method="workstream")
    pooled = calibration_from_actuals(lekhok_plan, a, method="size-prior")
    model = cal.model
    assert model is not None and len(cal.groups) == cal.n_done and len(model.group_offsets) >= 2
    for ws, d in model.group_offsets:
        assert cal.task_scale(8.0, ws) == pytest.approx(pooled.task_scale(8.0) * math.exp(d), rel=1e-6)
        assert f"{ws} x{math.exp(d):.2f}" in cal.message
    assert cal.task_scale(8.0, "no-such-workstream") == pytest.approx(pooled.task_scale(8.0), rel=1e-6)
    assert "workstream" not in pooled.message

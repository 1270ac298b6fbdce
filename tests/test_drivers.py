"""Drivers: criticality index and Spearman sensitivity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, K_SE, assert_close, make_plan, mean_tolerance, prob_tolerance
from scipy import stats

from lekhok_forecast.analysis.drivers import (
    capacity_sensitivity,
    criticality_counts,
    driver_table,
    factor_sensitivity,
    risk_drivers,
    spearman_sensitivity,
    task_estimates,
)
from lekhok_forecast.core.asof import AsOf, TaskState
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.sources.plan_file import load_plan


def crit(result) -> dict:
    return dict(zip((t.id for t in result.plan.tasks), result.task_criticality))


def test_dominant_path_has_criticality_one_and_the_other_zero():
    plan = make_plan("""
        name: dominant
        units: weeks
        tasks:
          - {id: s, duration: 1}
          - {id: long, duration: {low: 10, high: 11}, after: [s]}
          - {id: short, duration: {low: 1, mode: 1.5, high: 2}, after: [s]}
          - {id: e, duration: {low: 0.5, high: 1}, after: [long, short]}
        """)
    assert crit(simulate(plan, 20_000, seed=1)) == {"s": 1.0, "long": 1.0, "short": 0.0, "e": 1.0}


def test_two_identical_parallel_paths_share_criticality():
    """Continuous durations tie with probability 0; the 65,536-cell tables tie with
    probability 1/65,536, when both count as critical."""
    plan = make_plan("""
        name: twins
        units: weeks
        tasks:
          - {id: x, duration: {low: 1, high: 2}}
          - {id: y, duration: {low: 1, high: 2}}
          - {id: end, duration: 1, after: [x, y]}
        """)
    n = 100_000
    c = crit(simulate(plan, n, seed=2))
    for tid in ("x", "y"):
        assert_close(c[tid], 0.5, prob_tolerance(0.5, n), f"criticality {tid}")
    assert 1.0 <= c["x"] + c["y"] <= 1.0 + 1e-3
    assert c["end"] == 1.0


def test_textbook_criticality_matches_path_enumeration():
    """General Foundry has three paths; a task is critical in a trial iff it lies on a longest one."""
    plan = load_plan(DATA / "textbook_pert.yaml")
    n = 40_000
    r = simulate(plan, n, seed=3, sample_trials=n)
    d = dict(zip((t.id for t in plan.tasks), r.sample_duration_weeks.astype(np.float64)))
    paths = ["aceg" + "h", "bdgh", "acfh"]
    lengths = np.array([sum(d[t] for t in p) for p in paths])
    longest = lengths >= lengths.max(axis=0) - 1e-5
    expected = {
        t.id: float(np.mean(np.any([longest[k] for k, p in enumerate(paths) if t.id in p], axis=0))) for t in plan.tasks
    }
    got = crit(r)
    for tid in expected:
        assert got[tid] == pytest.approx(expected[tid], abs=2e-3), tid
    assert got["h"] == 1.0 and got["a"] == got["c"]
    assert got["a"] + got["b"] == pytest.approx(1.0, abs=1e-3)
    assert got["e"] > got["d"] > got["f"]  # the expected critical path A-C-E-G-H dominates


def _chain_plan():
    return make_plan("""
        name: sensitivity
        units: weeks
        tasks:
          - {id: wide, duration: {low: 0, high: 10}}
          - {id: narrow, duration: {low: 0, high: 1}, after: [wide]}
          - {id: idle, duration: {low: 0, high: 0.5}}
          - {id: fixed, duration: 0.1, after: [narrow]}
        """)


def test_spearman_sign_and_size():
    r = simulate(_chain_plan(), 20_000, seed=4)
    rho = dict(zip((t.id for t in r.plan.tasks), spearman_sensitivity(r)))
    n = r.sample_trials
    assert rho["wide"] > 0.95
    # finish = wide + narrow + 0.1: Pearson corr(narrow, finish) = 1/sqrt(101) ~ 0.0995
    assert 0.05 < rho["narrow"] < 0.2
    assert abs(rho["idle"]) < K_SE / math.sqrt(n - 1)  # never critical: uncorrelated
    assert rho["fixed"] == 0.0


EFFORT = """
    name: capacity
    units: hours
    workstreams: {w: {hours_per_week: {low: 10, high: 20}}}
    tasks:
      - {id: big, workstream: w, effort: {low: 40, mode: 60, high: 100}}
      - {id: small, workstream: w, effort: {low: 1, high: 2}}
    """


def test_task_estimates_recover_effort_hours_and_capacity_sensitivity_is_negative():
    r = simulate(make_plan(EFFORT), 20_000, seed=5)
    est = task_estimates(r)
    assert est[0].min() >= 40 * (1 - 1e-5) and est[0].max() <= 100 * (1 + 1e-5)
    assert est[1].min() >= 1 * (1 - 1e-5) and est[1].max() <= 2 * (1 + 1e-5)
    cap = capacity_sensitivity(r)
    assert list(cap.index) == ["w"] and cap["w"] < -0.5
    rho = spearman_sensitivity(r)
    assert rho[0] > 0.5 and abs(rho[1]) < 0.1  # the tiny task's own hours barely matter


def test_driver_table():
    r = simulate(make_plan(EFFORT), 5_000, seed=6)
    t = driver_table(r)
    assert list(t.index) == ["capacity:w", "big", "small"] or list(t.index) == ["big", "capacity:w", "small"]
    assert {"kind", "name", "phase", "criticality", "sensitivity", "mean_weeks", "p10_weeks", "p90_weeks"} <= set(
        t.columns
    )
    assert t["sensitivity"].abs().is_monotonic_decreasing
    assert np.isnan(t.loc["capacity:w", "criticality"])
    assert t.loc["big", "criticality"] == t.loc["small", "criticality"] == 1.0  # one chain through the workstream
    assert len(driver_table(r, top=2)) == 2
    assert "capacity:w" not in driver_table(r, include_capacity=False).index


def test_too_few_samples_give_zero_sensitivity():
    r = simulate(_chain_plan(), 2, seed=1)
    np.testing.assert_array_equal(spearman_sensitivity(r), 0.0)


def test_constant_estimates_have_zero_sensitivity_and_a_risk_has_its_own_row():
    """A fixed task's own estimate is constant even when a risk hits it: exactly 0; the
    risk's row carries the sensitivity."""
    plan = make_plan("""
        name: constants
        units: hours
        workstreams: {w: {hours_per_week: {low: 10, high: 20}}}
        tasks:
          - {id: random, workstream: w, effort: {low: 10, high: 100}}
          - {id: fixed_effort, workstream: w, effort: 30}
          - {id: fixed_duration, duration: 4, after: [fixed_effort]}
          - {id: risky, duration: 4, after: [fixed_duration]}
        risks:
          - {id: r, probability: 0.5, tasks: [risky], duration: {low: 40, high: 80}}
        """)
    r = simulate(plan, 20_000, seed=7)
    rho = dict(zip((t.id for t in plan.tasks), spearman_sensitivity(r)))
    assert rho["fixed_effort"] == 0.0 and rho["fixed_duration"] == 0.0 and rho["risky"] == 0.0
    assert rho["random"] > 0.3
    rd = risk_drivers(r)
    assert rd.ids == ("r",) and rd.sensitivity[0] > 0.3


SHARED_RISK_FIXED = """
    name: shared risk, fixed tasks
    units: hours
    workstreams: {w: {hours_per_week: 10}}
    tasks:
      - {id: a, workstream: w, effort: 10}
      - {id: b, workstream: w, effort: 10}
    risks:
      - {id: r, probability: 0.4, tasks: [a, b], effort: {low: 5, high: 15}}
    """


def test_a_risk_on_two_fixed_tasks_is_the_only_driver():
    """finish = (20 + 2 I R) / 10 weeks is increasing in the risk's impact I R: rank
    correlation exactly 1; the tasks' own estimates are constant: exactly 0. The mean
    delay when it fires is 2 x E[R] / 10 = 2 weeks; it fires in 40% of the trials."""
    r = simulate(make_plan(SHARED_RISK_FIXED), 20_000, seed=8)
    n = r.sample_trials
    np.testing.assert_array_equal(spearman_sensitivity(r), 0.0)
    rd = risk_drivers(r)
    assert rd.ids == ("r",)
    assert rd.sensitivity[0] == pytest.approx(1.0, abs=1e-12)
    assert_close(rd.fire_rate[0], 0.4, prob_tolerance(0.4, n), "fire rate")
    fired = int(round(rd.fire_rate[0] * n))
    # 2 R / 10 with R ~ U(5, 15): variance 4 x (10^2 / 12) / 100
    assert_close(rd.mean_delay_weeks[0], 2.0, mean_tolerance(4 * 100 / 12 / 100, fired), "mean delay")
    impact = r.sample_risk_hours[0][r.sample_risk_fired[0]].astype(np.float64)
    assert rd.mean_delay_weeks[0] == pytest.approx(2 * impact.mean() / 10, rel=1e-5)  # the delay is exactly 2R/10
    assert np.all(r.sample_risk_hours[0][~r.sample_risk_fired[0]] == 0)


SHARED_RISK = """
    name: shared risk
    units: weeks
    tasks:
      - {id: a, duration: {low: 0, high: 1}}
      - {id: b, duration: {low: 0, high: 1}, after: [a]}
    risks:
      - {id: r, probability: 0.5, tasks: [a, b], duration: {low: 1, high: 2}}
    """


def _reference_rho(n: int = 1_000_000) -> dict[str, float]:
    """Spearman rho of A, B and the risk's impact with S = A + B + 2 I R (A, B ~ U(0, 1),
    I ~ Bernoulli(0.5), R ~ U(1, 2)), from an independent NumPy sample, scipy's spearmanr."""
    rng = np.random.default_rng(12345)
    a, b = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    impact = np.where(rng.random(n) < 0.5, rng.uniform(1, 2, n), 0.0)
    s = a + b + 2 * impact
    return {
        "a": stats.spearmanr(a, s).statistic,
        "b": stats.spearmanr(b, s).statistic,
        "r": stats.spearmanr(impact, s).statistic,
        "a_with_risk": stats.spearmanr(a + impact, s).statistic,  # the old row: own draw + risk
        "a_alone": stats.spearmanr(a, a + b).statistic,  # without the risk
    }


def test_a_shared_risk_carries_its_sensitivity_and_each_task_keeps_its_own_share():
    """Issue 9: the risk shared by two tasks used to be counted into each task's row.
    Now the risk's row carries it and each task's row is its own draw's share; both
    against rho computed from an independent sample of the same model."""
    ref = _reference_rho()
    plan = make_plan(SHARED_RISK)
    r = simulate(plan, 20_000, seed=9)
    n = r.sample_trials
    tol = K_SE / math.sqrt(n - 1) + K_SE / math.sqrt(1_000_000)
    rho = dict(zip("ab", spearman_sensitivity(r)))
    rd = risk_drivers(r)
    assert_close(rho["a"], ref["a"], tol, "task a's own row")
    assert_close(rho["b"], ref["b"], tol, "task b's own row")
    assert_close(rd.sensitivity[0], ref["r"], tol, "the risk's row")
    # The known answer separates the methods: the own share is far below the old row,
    # and below the task's row in the plan without the risk.
    assert ref["a"] < ref["a_with_risk"] - 0.2 and ref["a"] < ref["a_alone"] - 0.2
    # 2 E[R] = 3 weeks; Var(S | fired) = 2/12 + 4/12, Var(S | not fired) = 2/12, n/2 trials each
    assert_close(rd.mean_delay_weeks[0], 3.0, K_SE * math.sqrt((6 / 12 + 2 / 12) / (n / 2)), "mean delay")
    t = driver_table(r)
    assert list(t.index)[0] == "risk:r" and t.loc["risk:r", "kind"] == "risk"
    assert np.isnan(t.loc["risk:r", "criticality"]) and t.loc["risk:r", "fire_rate"] == rd.fire_rate[0]
    assert t.loc["a", "kind"] == "task" and np.isnan(t.loc["a", "fire_rate"])


def test_a_risk_that_cannot_fire_is_omitted_and_one_that_did_not_fire_is_zero():
    plan = make_plan("""
        name: quiet risks
        units: weeks
        tasks:
          - {id: a, duration: {low: 1, high: 2}}
          - {id: b, duration: {low: 1, high: 2}, after: [a]}
        risks:
          - {id: never, probability: 0, tasks: [a], duration: 5}
          - {id: rare, probability: 1.0e-12, tasks: [b], duration: {low: 1, high: 2}}
        """)
    r = simulate(plan, 5_000, seed=10)
    rd = risk_drivers(r)
    assert rd.ids == ("rare",)
    assert rd.sensitivity[0] == 0.0 and rd.fire_rate[0] == 0.0 and np.isnan(rd.mean_delay_weeks[0])
    t = driver_table(r)
    assert "risk:never" not in t.index and t.loc["risk:rare", "sensitivity"] == 0.0
    assert "risk:rare" not in driver_table(r, include_risks=False).index


def test_a_risk_whose_tasks_are_done_is_omitted():
    plan = make_plan(SHARED_RISK)
    done = AsOf(tasks=(TaskState("a", done_start_week=0, done_finish_week=0.5),))
    r = simulate(plan, 5_000, seed=11, as_of=done)
    assert risk_drivers(r).ids == ("r",)  # b is still to do
    both = AsOf(
        tasks=(
            TaskState("a", done_start_week=0, done_finish_week=0.5),
            TaskState("b", done_start_week=0.5, done_finish_week=1.2),
        )
    )
    r = simulate(plan, 5_000, seed=11, as_of=both)
    assert risk_drivers(r).ids == ()
    np.testing.assert_array_equal(spearman_sensitivity(r), 0.0)


CORRELATED = """
    name: correlated
    units: weeks
    correlation: {overrun: 0.3}
    tasks:
      - {id: a, duration: 2}
      - {id: b, duration: 2, after: [a]}
    """


def test_a_common_factor_has_its_own_row_and_is_not_counted_into_the_tasks():
    """finish = 4 x F with one lognormal F per trial: the factor's row is exactly 1, the
    fixed tasks' own rows exactly 0 (they used to carry the factor)."""
    r = simulate(make_plan(CORRELATED), 5_000, seed=13)
    assert r.factor_names == ("overrun",) and r.sample_factors.shape == (1, r.sample_trials)
    np.testing.assert_allclose(r.finish_weeks[: r.sample_trials], 4 * r.sample_factors[0], rtol=1e-6)
    np.testing.assert_array_equal(spearman_sensitivity(r), 0.0)
    assert factor_sensitivity(r) == {"overrun": pytest.approx(1.0, abs=1e-12)}
    t = driver_table(r)
    assert t.index[0] == "factor:overrun" and t.loc["factor:overrun", "kind"] == "factor"
    assert t.loc["factor:overrun", "name"] == "Plan-wide overrun (correlation)"


def test_a_group_factor_beside_random_tasks_matches_an_independent_sample():
    """finish = A + B x F, A, B ~ U(1, 2), F = exp(0.5 z): the factor's and the tasks' own
    rows against scipy's spearmanr on an independent sample of the same model."""
    plan = make_plan("""
        name: group
        units: weeks
        correlation: {groups: [{tasks: [b, c], sigma: 0.5}]}
        tasks:
          - {id: a, duration: {low: 1, high: 2}}
          - {id: b, duration: {low: 1, high: 2}, after: [a]}
          - {id: c, duration: 0.001}
        """)
    r = simulate(plan, 20_000, seed=14)
    rng = np.random.default_rng(99)
    m = 1_000_000
    a, b, f = rng.uniform(1, 2, m), rng.uniform(1, 2, m), np.exp(0.5 * rng.standard_normal(m))
    finish = a + b * f
    ref = [stats.spearmanr(x, finish).statistic for x in (a, b, f)]
    tol = K_SE / math.sqrt(r.sample_trials - 1) + K_SE / math.sqrt(m)
    rho = spearman_sensitivity(r)
    assert_close(rho[0], ref[0], tol, "a")
    assert_close(rho[1], ref[1], tol, "b's own draw")
    assert_close(factor_sensitivity(r)["group1"], ref[2], tol, "the group's factor")
    assert driver_table(r).loc["factor:group1", "name"] == "Correlated group 1 (b, c)"


def test_without_driver_samples_the_drivers_say_so():
    r = simulate(make_plan(SHARED_RISK), 5_000, seed=12, drivers=False)
    assert r.sample_estimates.shape == (2, 0) and r.sample_risk_fired.shape == (1, 0)
    with pytest.raises(ValueError, match="drivers=False"):
        spearman_sensitivity(r)


def test_criticality_counts_leave_out_capacity_rows():
    table = pd.DataFrame(
        {"criticality": [1.0, 0.9995, 0.5, 0.0005, 0.0, float("nan")]},
        index=["a", "b", "c", "d", "e", "capacity:x"],
    )
    assert criticality_counts(table) == {"always": 2, "sometimes": 1, "never": 2}

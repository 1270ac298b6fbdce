"""Common factors: the plan's ``correlation:`` and the calibration's level, known answers and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close, make_plan, mean_tolerance, var_tolerance
from test_engine import parallel_at_any_size

from lekhok_forecast.cli import main
from lekhok_forecast.core.asof import AsOf, TaskState
from lekhok_forecast.core.distributions import quantile_table
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.core.plan import Correlation, CorrelationGroup, without_tasks
from lekhok_forecast.core.ratios import NORMAL_SHAPE, lognormal_factor
from lekhok_forecast.errors import ForecastInputError

N = 200_000
CHAIN = """
    name: chain
    units: weeks
    {corr}
    tasks:
      - {{id: a, duration: {{low: 0, high: 1}}}}
      - {{id: b, duration: {{low: 0, high: 1}}, after: [a]}}
      - {{id: c, duration: {{low: 0, high: 1}}, after: [b]}}
    """


def factor_moments(sigma: float, k: int) -> float:
    """E[F**k] of the engine's factor: its 65,536 equally likely values (exact)."""
    z = np.log(quantile_table(NORMAL_SHAPE).astype(np.float64))
    return float(np.mean(np.exp(k * sigma * z)))


def sample_moments(x: np.ndarray) -> tuple[float, float, float]:
    m = x.mean()
    return float(m), float(x.var(ddof=1)), float(np.mean((x - m) ** 4))


def test_the_factor_is_lognormal_with_median_one():
    u = np.arange(65536, dtype=np.uint16)
    f = lognormal_factor(0.3, u).astype(np.float64)
    assert f.dtype == np.float64 and np.all(np.diff(f) > 0)
    assert np.median(f) == pytest.approx(1.0, abs=1e-4)
    assert np.std(np.log(f)) == pytest.approx(0.3, rel=1e-3)  # the 16-bit table cuts z at +-4.3
    assert factor_moments(0.3, 1) == pytest.approx(math.exp(0.3**2 / 2), rel=1e-5)
    assert np.array_equal(lognormal_factor(0.0, u), np.ones(65536, np.float32))


def test_plan_wide_overrun_gives_the_analytic_finish_variance():
    """finish = F * S, F the factor, S a sum of 3 U(0, 1): E = E[F] 3/2, Var = E[F^2] E[S^2] - E[F]^2 (3/2)^2."""
    sigma = 0.3
    plan = make_plan(CHAIN.format(corr=f"correlation: {{overrun: {sigma}}}"))
    f = simulate(plan, N, seed=5).finish_weeks
    e1, e2 = factor_moments(sigma, 1), factor_moments(sigma, 2)
    mean = e1 * 1.5
    var = e2 * (3 / 12 + 1.5**2) - mean**2
    m, v, mu4 = sample_moments(f)
    assert_close(m, mean, mean_tolerance(var, N), "mean")
    assert_close(v, var, var_tolerance(var, mu4, N), "variance")
    # Independent factors per task would miss the 6 covariances, (E[F^2] - E[F]^2) / 4 each.
    independent = 3 * (e2 * (1 / 12 + 0.25) - (e1 * 0.5) ** 2)
    assert_close(var - independent, 6 * (e2 - e1**2) / 4, 1e-12, "covariances")
    assert v - independent > 0.5 * 6 * (e2 - e1**2) / 4


def test_a_group_correlates_only_its_tasks():
    """finish = G (A + B) + C: Var = E[G^2] E[(A+B)^2] - E[G]^2 1 + 1/12."""
    sigma = 0.5
    plan = make_plan(CHAIN.format(corr=f"correlation: {{groups: [{{tasks: [a, b], sigma: {sigma}}}]}}"))
    r = simulate(plan, N, seed=8)
    e1, e2 = factor_moments(sigma, 1), factor_moments(sigma, 2)
    mean = e1 * 1.0 + 0.5
    var = e2 * (2 / 12 + 1.0) - e1**2 + 1 / 12
    m, v, mu4 = sample_moments(r.finish_weeks)
    assert_close(m, mean, mean_tolerance(var, N), "mean")
    assert_close(v, var, var_tolerance(var, mu4, N), "variance")
    d = r.sample_duration_weeks.astype(np.float64)
    ratio = d[0] / np.maximum(d[1], 1e-6)
    assert np.corrcoef(np.log(d[0] + 1e-9), np.log(d[1] + 1e-9))[0, 1] > 0.1
    assert abs(np.corrcoef(d[1], d[2])[0, 1]) < 0.05 and np.isfinite(ratio).all()


def test_no_correlation_key_is_bit_identical_and_zero_is_no_factor():
    plain = make_plan(CHAIN.format(corr=""))
    assert plain.correlation == Correlation() and plain.correlation.is_empty
    base = simulate(plain, 10_000, seed=2)
    for corr in ("correlation: {}", "correlation: {overrun: 0}"):
        other = simulate(make_plan(CHAIN.format(corr=corr)), 10_000, seed=2)
        np.testing.assert_array_equal(other.finish_weeks, base.finish_weeks)
        np.testing.assert_array_equal(other.sample_finish_weeks, base.sample_finish_weeks)


def test_factors_do_not_depend_on_chunks_or_workers():
    plan = make_plan(CHAIN.format(corr="correlation: {overrun: 0.2, groups: [{tasks: [b, c], sigma: 0.4}]}"))
    one = simulate(plan, 20_001, seed=4).finish_weeks
    np.testing.assert_array_equal(simulate(plan, 20_001, seed=4, chunk_trials=4096).finish_weeks, one)
    with parallel_at_any_size():  # the worker processes, even at this size
        np.testing.assert_array_equal(simulate(plan, 20_001, seed=4, chunk_trials=4096, workers=2).finish_weeks, one)
    np.testing.assert_array_equal(simulate(plan, 5000, seed=4).finish_weeks, one[:5000])


def test_done_and_calibrated_tasks_are_not_scaled_by_the_plan():
    plan = make_plan(CHAIN.format(corr="correlation: {overrun: 0.5}"))
    done = AsOf((TaskState("a", done_start_week=0.0, done_finish_week=0.7),))
    r = simulate(plan, 4096, seed=1, as_of=done)
    assert np.all(r.sample_finish_weeks[0] == np.float32(0.7))
    # every open task calibrated with a ratio of 1 and no factor: the plan's overrun is replaced
    states = tuple(TaskState(t, calibrate=True) for t in "abc")
    calibrated = simulate(plan, 4096, seed=1, as_of=AsOf(states, (1.0,)))
    plain = simulate(make_plan(CHAIN.format(corr="")), 4096, seed=1)
    np.testing.assert_allclose(calibrated.finish_weeks, plain.finish_weeks, rtol=1e-6)


def test_calibration_factor_is_shared_by_the_calibrated_tasks():
    """Three calibrated U(0, 1) tasks, ratio 1, common factor sigma: the overrun's variance."""
    sigma = 0.3
    plan = make_plan(CHAIN.format(corr=""))
    states = tuple(TaskState(t, calibrate=True, calibration_scale=2.0) for t in "abc")
    f = simulate(plan, N, seed=6, as_of=AsOf(states, (1.0,), sigma)).finish_weeks
    e1, e2 = factor_moments(sigma, 1), factor_moments(sigma, 2)
    mean = 2.0 * e1 * 1.5
    var = 4.0 * (e2 * (3 / 12 + 1.5**2) - (e1 * 1.5) ** 2)
    m, v, mu4 = sample_moments(f)
    assert_close(m, mean, mean_tolerance(var, N), "mean")
    assert_close(v, var, var_tolerance(var, mu4, N), "variance")


def test_without_tasks_drops_them_from_groups():
    plan = make_plan(
        CHAIN.format(corr="correlation: {groups: [{tasks: [a, b], sigma: 0.2}, {tasks: [b, c], sigma: 0.1}]}")
    )
    assert plan.correlation.groups == (CorrelationGroup(("a", "b"), 0.2), CorrelationGroup(("b", "c"), 0.1))
    left = without_tasks(plan, {"b"})
    assert left.correlation.groups == (CorrelationGroup(("a",), 0.2), CorrelationGroup(("c",), 0.1))
    assert without_tasks(plan, {"a", "b"}).correlation.groups == (CorrelationGroup(("c",), 0.1),)


@pytest.mark.parametrize(
    ("corr", "message"),
    [
        ("correlation: {overrun: -0.1}", r"^<test>:4: correlation\.overrun: must be >= 0, got -0\.1$"),
        ("correlation: {overrun: 5}", r"^<test>:4: correlation\.overrun: must be <= 3, got 5$"),
        ("correlation: {overrun: high}", r"correlation\.overrun: expected a number, got"),
        ("correlation: {spread: 0.2}", r"correlation\.spread: unknown key 'spread'; expected one of: overrun, groups"),
        ("correlation: [0.2]", r"correlation: expected a mapping"),
        (
            "correlation: {groups: [{tasks: [a], sigma: 0.3}]}",
            r"correlation\.groups\[0\]\.tasks: expected at least two",
        ),
        (
            "correlation: {groups: [{tasks: [a, zz], sigma: 0.3}]}",
            r"correlation\.groups\[0\]\.tasks\[1\]: unknown task 'zz'",
        ),
        ("correlation: {groups: [{tasks: [a, b], sigma: 0}]}", r"correlation\.groups\[0\]\.sigma: must be > 0, got 0"),
        ("correlation: {groups: [{tasks: [a, b]}]}", r"correlation\.groups\[0\]: missing required key 'sigma'"),
    ],
)
def test_bad_correlation_is_one_line(corr, message):
    with pytest.raises(ForecastInputError, match=message) as info:
        make_plan(CHAIN.format(corr=corr))
    assert "\n" not in str(info.value)


def test_bad_correlation_on_the_command_line_exits_2(tmp_path, capsys):
    f = tmp_path / "p.yaml"
    f.write_text(CHAIN.format(corr="correlation: {overrun: -1}").replace("\n    ", "\n"))
    assert main(["simulate", str(f), "--trials", "100"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.count("\n") == 1 and "correlation.overrun: must be >= 0" in cap.err

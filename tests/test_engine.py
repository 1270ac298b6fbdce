"""The vectorised engine: known answers, semantics, determinism and the sampler guard.

The modal schedule is tested in ``test_modal.py``, the as-of state in ``test_asof.py``.

Known answers are checked within K_SE (= 5) standard errors computed from the analytic
variance, plus the inverse-CDF tables' bias bound (``table_error`` per random input, at
most 8.6e-6 in probability each), with fixed seeds.
"""

from __future__ import annotations

import contextlib
import math
import os

import numpy as np
import pytest
from conftest import DATA, assert_close, make_plan, mean_tolerance, prob_tolerance, var_tolerance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lekhok_forecast.core.distributions import Dist, Range, table_error
from lekhok_forecast.core.engine import (
    BLOCK_TRIALS,
    compile_plan,
    default_chunk_trials,
    simulate,
)
from lekhok_forecast.core.engine import run as engine_run
from lekhok_forecast.core.engine.kernel import _draw
from lekhok_forecast.core.modal import deterministic_schedule
from lekhok_forecast.core.plan import Cost, Milestone, Plan, Risk, Task, Workstream
from lekhok_forecast.sources.plan_file import load_plan

N = 200_000
U01 = Range(Dist.UNIFORM, 0.0, 0.5, 1.0)
TE_U01 = table_error(U01)


def irwin_hall_cdf(x: float, n: int) -> float:
    """CDF of the sum of n independent U(0, 1)."""
    return sum((-1) ** k * math.comb(n, k) * (x - k) ** n for k in range(int(math.floor(x)) + 1)) / math.factorial(n)


# ------------------------------------------------------------------ known answers


@pytest.mark.parametrize("n", [2, 3])
def test_chain_of_uniforms_is_irwin_hall(n):
    tasks = "\n".join(
        f"  - {{id: t{i}, duration: {{low: 0, high: 1}}{f', after: [t{i - 1}]' if i else ''}}}" for i in range(n)
    )
    plan = make_plan(f"name: chain\nunits: weeks\ntasks:\n{tasks}\n")
    f = simulate(plan, N, seed=3).finish_weeks
    mean, var = n / 2, n / 12
    mu4 = n / 80 + 3 * n * (n - 1) / 144  # fourth central moment of a sum of n U(0,1)
    assert_close(f.mean(), mean, mean_tolerance(var, N), "mean")
    assert_close(f.var(ddof=1), var, var_tolerance(var, mu4, N), "variance")
    for x in (0.5, n / 2, n - 0.5):
        p = irwin_hall_cdf(x, n)
        assert_close(np.mean(f <= x), p, prob_tolerance(p, N, bias=n * TE_U01), f"P(sum <= {x})")
    assert irwin_hall_cdf(1.0, 3) == pytest.approx(1 / 6) and irwin_hall_cdf(1.5, 3) == pytest.approx(0.5)


def test_maximum_of_parallel_tasks_is_product_of_cdfs():
    plan = make_plan("""
        name: parallel
        units: weeks
        tasks:
          - {id: u, duration: {low: 1, high: 3}}
          - {id: p, duration: {low: 1, mode: 2, high: 4}}
          - {id: t, duration: {low: 0.5, mode: 2, high: 3, dist: triangular}}
        """)
    f = simulate(plan, N, seed=5).finish_weeks
    ranges = [t.duration_weeks for t in plan.tasks]
    bias = sum(table_error(r) for r in ranges)
    for x in (1.5, 2.0, 2.5, 2.9, 3.5):
        p = float(np.prod([r.cdf(np.array([x]))[0] for r in ranges]))
        assert_close(np.mean(f <= x), p, prob_tolerance(p, N, bias=bias), f"P(max <= {x})")
    assert f.min() >= 1.0 and f.max() <= 4.0


def test_capacity_division():
    """Effort E fixed over capacity U(a, b): E[E/U] = E ln(b/a)/(b-a); P(E/U <= w) = (b - E/w)/(b - a)."""
    E, a, b = 40.0, 10.0, 20.0
    plan = make_plan(f"""
        name: capacity
        units: hours
        workstreams: {{w: {{hours_per_week: {{low: {a}, high: {b}}}}}}}
        tasks:
          - {{id: x, workstream: w, effort: {E}}}
        """)
    f = simulate(plan, N, seed=9).finish_weeks
    inv_mean = math.log(b / a) / (b - a)
    var = E**2 * (1 / (a * b) - inv_mean**2)  # E[1/U^2] = 1/(ab)
    te = table_error(plan.workstreams[0].hours_per_week)
    assert_close(f.mean(), E * inv_mean, mean_tolerance(var, N) + E * (1 / a - 1 / b) * te, "E[E/U]")
    for w in (2.2, 3.0, 3.8):
        p = (b - E / w) / (b - a)
        assert_close(np.mean(f <= w), p, prob_tolerance(p, N, bias=te), f"P(E/U <= {w})")
    assert f.min() >= E / b * (1 - 1e-6) and f.max() <= E / a * (1 + 1e-6)


def test_workstream_runs_its_tasks_one_after_the_other():
    plan = make_plan("""
        name: sequencing
        units: hours
        workstreams:
          w: {hours_per_week: {low: 10, high: 20}}
          v: {hours_per_week: {low: 5, high: 6}}
        tasks:
          - {id: first, workstream: w, effort: 30}
          - {id: second, workstream: w, effort: 50}      # no `after`: waits for `first` anyway
          - {id: elsewhere, workstream: v, effort: 10}   # another workstream runs in parallel
        """)
    r = simulate(plan, 20_000, seed=2, sample_trials=20_000)
    cap = r.sample_capacity[0].astype(float)
    s, f = r.sample_start_weeks, r.sample_finish_weeks
    np.testing.assert_array_equal(s[1], f[0])  # starts exactly when the first finishes
    np.testing.assert_allclose(f[0], 30 / cap, rtol=1e-6)
    np.testing.assert_allclose(f[1], (30 + 50) / cap, rtol=1e-6)  # (E1 + E2) / capacity, per trial
    np.testing.assert_array_equal(s[2], 0)
    np.testing.assert_allclose(f[2], 10 / r.sample_capacity[1], rtol=1e-6)
    np.testing.assert_array_equal(r.finish_weeks, np.maximum(f[1], f[2]))
    np.testing.assert_allclose(r.hours_by_workstream[0], 80, rtol=1e-6)


def test_random_efforts_in_one_workstream_chain_exactly():
    plan = make_plan("""
        name: sequencing
        units: hours
        workstreams: {w: {hours_per_week: {low: 10, high: 20}}}
        tasks:
          - {id: a, workstream: w, effort: {low: 10, mode: 20, high: 40}}
          - {id: b, workstream: w, effort: {low: 5, high: 15}}
        """)
    r = simulate(plan, 10_000, seed=4)
    s, f, cap = r.sample_start_weeks, r.sample_finish_weeks, r.sample_capacity[0].astype(float)
    np.testing.assert_array_equal(s[1], f[0])
    hours_b = (f[1] - s[1]) * cap
    assert hours_b.min() >= 5 * (1 - 1e-5) and hours_b.max() <= 15 * (1 + 1e-5)
    np.testing.assert_allclose(r.hours_by_workstream[0], f[1] * cap, rtol=1e-5)  # all hours / capacity = finish


def test_shared_team_draw_gives_capacities_in_exact_proportion():
    plan = make_plan("""
        name: team
        units: hours
        team_hours_per_week: {low: 20, high: 30}
        workstreams:
          infra: {share: 0.7}
          pay: {share: 0.3}
        tasks:
          - {id: a, workstream: infra, effort: 70}
          - {id: b, workstream: pay, effort: 30}
        """)
    n = 50_000
    r = simulate(plan, n, seed=6, sample_trials=n)
    infra, pay = r.sample_capacity.astype(float)
    np.testing.assert_allclose(infra / pay, 0.7 / 0.3, rtol=1e-6)
    np.testing.assert_allclose(r.sample_finish_weeks[0], r.sample_finish_weeks[1], rtol=1e-6)  # 70/(.7T) = 30/(.3T)
    assert infra.min() >= 14 * (1 - 1e-6) and infra.max() <= 21 * (1 + 1e-6)
    assert_close(infra.mean(), 17.5, mean_tolerance(0.49 * 100 / 12, n), "mean infra capacity")
    assert len(np.unique(r.sample_capacity[0])) > n // 10  # drawn per trial, not fixed


def test_risk_event_fires_with_its_probability_and_adds_its_impact():
    """finish = 2 + I with probability p, I ~ U(1, 3): mean 2 + 2p, variance p E[I^2] - (p E[I])^2."""
    p = 0.3
    plan = make_plan(f"""
        name: risk
        units: weeks
        tasks:
          - {{id: base, duration: 2}}
        risks:
          - {{id: r, probability: {p}, tasks: [base], duration: {{low: 1, high: 3}}}}
        """)
    f = simulate(plan, N, seed=8).finish_weeks
    fired = f > 2
    assert_close(fired.mean(), p, prob_tolerance(p, N), "P(fired)")
    np.testing.assert_array_equal(f[~fired], 2.0)
    mean_i, ei2 = 2.0, 1 / 3 + 4.0
    var = p * ei2 - (p * mean_i) ** 2
    assert_close(f.mean(), 2 + p * mean_i, mean_tolerance(var, N) + 2 * table_error(U01), "mean finish")
    k = int(fired.sum())
    assert_close((f[fired] - 2).mean(), mean_i, mean_tolerance(4 / 12, k), "mean impact when fired")
    assert f.max() <= 5 * (1 + 1e-6) and f[fired].min() >= 3 * (1 - 1e-6)


def test_effort_risk_adds_hours_and_hits_each_listed_task_with_one_draw():
    plan = make_plan(
        """
        name: risk
        units: hours
        workstreams:
          w: {hours_per_week: 10}
          v: {hours_per_week: 10}
        tasks:
          - {id: a, workstream: w, effort: 20}
          - {id: b, workstream: v, effort: 20}
          - {id: c, duration: 1, units: weeks}
        risks:
          - {id: r, probability: 0.5, tasks: [a, b], effort: {low: 5, high: 15}}
        """.replace(", units: weeks", "")
    )
    n = 40_000
    r = simulate(plan, n, seed=12, sample_trials=n)
    fa, fb = r.sample_finish_weeks[:2]
    np.testing.assert_array_equal(fa, fb)  # the impact is drawn once per trial for both tasks
    hit = fa > 2
    assert_close(hit.mean(), 0.5, prob_tolerance(0.5, n), "P(fired)")
    np.testing.assert_allclose(r.hours_by_workstream[0], fa * 10, rtol=1e-6)  # hours include the impact
    assert_close(
        r.hours_by_workstream[0].mean(), 20 + 0.5 * 10, mean_tolerance(0.5 * (100 / 12 + 100) - 25, n), "hours"
    )


def test_risk_with_probability_zero_or_one():
    base = """
        name: r
        units: weeks
        tasks: [{id: a, duration: 1}]
        risks: [{id: r, probability: P, tasks: [a], duration: 2}]
        """
    np.testing.assert_array_equal(simulate(make_plan(base.replace("P", "0")), 5000).finish_weeks, 1.0)
    np.testing.assert_array_equal(simulate(make_plan(base.replace("P", "1")), 5000).finish_weeks, 3.0)


def test_textbook_pert_network():
    """General Foundry: expected critical path A-C-E-G-H = 15 weeks; every trial's finish is at
    least the length of each path; the mean of the critical path's length is 15."""
    plan = load_plan(DATA / "textbook_pert.yaml")
    means = plan.with_changes(
        tasks=tuple(t.__class__(**{**t.__dict__, "duration_weeks": Range.fixed(t.estimate.mean)}) for t in plan.tasks)
    )
    start, finish = deterministic_schedule(means, "mode")
    np.testing.assert_allclose(start, [0, 0, 2, 3, 4, 4, 8, 13])
    np.testing.assert_allclose(finish, [2, 3, 4, 7, 8, 7, 13, 15])
    n = 50_000
    r = simulate(plan, n, seed=21, sample_trials=n)
    d = r.sample_duration_weeks.astype(float)
    idx = plan.task_index()
    cp = sum(d[idx[x]] for x in "aceg") + d[idx["h"]]
    var = sum(
        (t.estimate.mean - t.estimate.low) * (t.estimate.high - t.estimate.mean) / 7
        for t in plan.tasks
        if t.id in "aceg h"
    )  # PERT-beta: (mu - a)(b - mu)/7
    assert_close(cp.mean(), 15.0, mean_tolerance(var, n), "mean critical path")
    other = d[idx["b"]] + d[idx["d"]] + d[idx["g"]] + d[idx["h"]]
    third = d[idx["a"]] + d[idx["c"]] + d[idx["f"]] + d[idx["h"]]
    f = r.finish_weeks
    tol = 1e-5 * f
    assert np.all(f >= cp - tol) and np.all(f >= other - tol) and np.all(f >= third - tol)
    np.testing.assert_allclose(f, np.maximum.reduce([cp, other, third]), rtol=1e-5)  # the longest path
    assert f.mean() > 15.0  # merge bias: the mean of a max exceeds the max of the means


# ------------------------------------------------------------------ other semantics


def test_result_shapes_and_str():
    plan = load_plan(DATA / "textbook_pert.yaml")
    r = simulate(plan, 5000, seed=1, sample_trials=700)
    assert r.finish_weeks.shape == (5000,) and r.finish_weeks.dtype == np.float64
    assert r.task_criticality.shape == (8,)
    assert r.milestone_weeks.shape == (0, 5000) and r.cost_by_item.shape == (0, 5000)
    assert r.sample_start_weeks.shape == (8, 700) and r.sample_trials == 700
    np.testing.assert_array_equal(r.cost_total, 0)
    assert "General Foundry" in str(r) and "5,000 trials" in str(r)
    np.testing.assert_array_equal(r.sample_finish_weeks.max(axis=0), r.finish_weeks[:700])


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(trials=0), "trials"),
        (dict(trials=-5), "trials"),
        (dict(trials=2.5), "trials"),
        (dict(trials=True), "trials"),
        (dict(seed=-1), "seed"),
        (dict(seed=1.5), "seed"),
        (dict(workers=0), "workers"),
        (dict(chunk_trials=0), "chunk_trials"),
    ],
)
def test_simulate_rejects_bad_arguments(kwargs, words):
    plan = load_plan(DATA / "minimal.yaml")
    args = {"trials": 100, **kwargs}
    with pytest.raises(ValueError, match=words):
        simulate(plan, **args)


def test_progress_is_reported_per_chunk():
    plan = load_plan(DATA / "minimal.yaml")
    seen = []
    simulate(plan, 3 * BLOCK_TRIALS + 5, chunk_trials=BLOCK_TRIALS, progress=lambda d, t: seen.append((d, t)))
    total = 3 * BLOCK_TRIALS + 5
    assert seen == [(BLOCK_TRIALS, total), (2 * BLOCK_TRIALS, total), (3 * BLOCK_TRIALS, total), (total, total)]


def test_default_chunk_is_whole_blocks_and_bounded():
    for n_tasks in (1, 34, 100, 1000, 10**6):
        c = default_chunk_trials(n_tasks)
        assert c % BLOCK_TRIALS == 0 and BLOCK_TRIALS <= c <= 16 * BLOCK_TRIALS
    assert default_chunk_trials(1000) * 1000 <= 1 << 24


# ------------------------------------------------------------------ determinism


def assert_same_result(a, b, prefix: int | None = None, criticality: bool = True):
    names = [
        "finish_weeks",
        "milestone_weeks",
        "phase_end_weeks",
        "cost_by_item",
        "hours_by_workstream",
        "sample_start_weeks",
        "sample_finish_weeks",
        "sample_capacity",
        "sample_cost_rates",
        "sample_estimates",
        "sample_risk_fired",
        "sample_risk_hours",
        "sample_factors",
    ]
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        if prefix is not None:
            y = y[..., :prefix]
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    if criticality:
        np.testing.assert_array_equal(a.task_criticality, b.task_criticality)


@contextlib.contextmanager
def parallel_at_any_size():
    """`simulate(workers>1)` uses worker processes even below its size threshold."""
    keep = engine_run.PARALLEL_MIN_CELLS
    engine_run.PARALLEL_MIN_CELLS = 0
    try:
        yield
    finally:
        engine_run.PARALLEL_MIN_CELLS = keep


def test_workers_do_not_change_the_numbers(lekhok_plan):
    trials = 3 * BLOCK_TRIALS + 5
    one = simulate(lekhok_plan, trials, seed=7, chunk_trials=BLOCK_TRIALS, workers=1)
    with parallel_at_any_size():
        two = simulate(lekhok_plan, trials, seed=7, chunk_trials=BLOCK_TRIALS, workers=2)
    assert_same_result(one, two)


def test_chunk_sizes_do_not_change_the_numbers(lekhok_plan):
    trials = 3 * BLOCK_TRIALS + 123
    ref = simulate(lekhok_plan, trials, seed=3)
    for chunk in (BLOCK_TRIALS, 2 * BLOCK_TRIALS, 3 * BLOCK_TRIALS, 1000, 10**6):
        assert_same_result(ref, simulate(lekhok_plan, trials, seed=3, chunk_trials=chunk))


def test_a_one_chunk_result_survives_later_runs_and_forks(lekhok_plan):
    """A run of one chunk hands its work arrays to the result: a later run (which reuses
    work arrays) must not overwrite them, and a forked process must be able to read them."""
    trials = 300 * 34  # one chunk, work arrays over 1 MB (mapped)
    first = simulate(lekhok_plan, trials, seed=1)
    kept = {name: getattr(first, name).copy() for name in ("sample_finish_weeks", "sample_start_weeks", "finish_weeks")}
    simulate(lekhok_plan, trials, seed=2)
    simulate(lekhok_plan, trials // 2, seed=3, sample_trials=100)
    for name, values in kept.items():
        np.testing.assert_array_equal(getattr(first, name), values)
    assert first.sample_finish_weeks.flags.c_contiguous
    if hasattr(os, "fork"):
        pid = os.fork()
        if pid == 0:  # the child reads every sampled finish, then leaves at once
            os._exit(0 if float(first.sample_finish_weeks.sum()) == float(kept["sample_finish_weeks"].sum()) else 1)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_different_seeds_differ(lekhok_plan):
    a = simulate(lekhok_plan, 2000, seed=1).finish_weeks
    b = simulate(lekhok_plan, 2000, seed=2).finish_weeks
    assert not np.array_equal(a, b)


# ------------------------------------------------------------------ generated plans


def _range(draw, allow_lognormal: bool) -> Range:
    kinds = ["fixed", "uniform", "pert", "triangular"] + (["lognormal"] if allow_lognormal else [])
    kind = draw(st.sampled_from(kinds))
    low = draw(st.integers(0, 12)) / 4
    width = draw(st.integers(1, 16)) / 4
    if kind == "fixed":
        return Range.fixed(low)
    if kind == "lognormal":
        low = max(low, 0.25)
        return Range(Dist.LOGNORMAL, low, math.sqrt(low * (low + width)), low + width)
    mode = low + width * draw(st.integers(0, 4)) / 4
    dist = {"uniform": Dist.UNIFORM, "pert": Dist.PERT, "triangular": Dist.TRIANGULAR}[kind]
    return Range(dist, low, (2 * low + width) / 2 if dist is Dist.UNIFORM else mode, low + width)


@st.composite
def random_plans(draw, allow_lognormal: bool = True, risk_probability=None) -> Plan:
    """Small random DAG plans: duration tasks and effort tasks on fixed-capacity workstreams,
    `after` only to earlier tasks, one risk, one milestone and two costs."""
    n_ws = draw(st.integers(0, 2))
    workstreams = tuple(
        Workstream(f"w{i}", f"w{i}", hours_per_week=Range.fixed(draw(st.sampled_from([4.0, 10.0, 25.0]))))
        for i in range(n_ws)
    )
    n = draw(st.integers(1, 7))
    tasks = []
    for i in range(n):
        after = tuple(sorted(draw(st.sets(st.sampled_from([f"t{j}" for j in range(i)]), max_size=3)))) if i else ()
        est = _range(draw, allow_lognormal)
        ws = draw(st.sampled_from([None] + [w.id for w in workstreams]))
        if ws is None:
            tasks.append(Task(f"t{i}", f"t{i}", None, None, None, est, after))
        else:
            tasks.append(Task(f"t{i}", f"t{i}", None, ws, est.scaled(8), None, after))
    hit = tasks[draw(st.integers(0, n - 1))]
    p = draw(st.sampled_from([0.0, 0.3, 1.0])) if risk_probability is None else risk_probability
    impact = Range(Dist.UNIFORM, 0.5, 1.0, 1.5)
    risk = Risk(
        "r", "r", p, (hit.id,), impact.scaled(8) if hit.workstream else None, None if hit.workstream else impact
    )
    milestone = Milestone("M1", "M1", (tasks[0].id, tasks[-1].id) if n > 1 else (tasks[0].id,), 5.0)
    costs = (
        Cost("cloud", "cloud", per_month=Range(Dist.UNIFORM, 100, 150, 200), from_task=tasks[-1].id),
        Cost("eng", "eng", per_hour=Range.fixed(60.0)),
    )
    return Plan(
        name="generated",
        tasks=tuple(tasks),
        workstreams=workstreams,
        risks=(risk,),
        milestones=(milestone,),
        costs=costs,
    )


def _bump(r: Range, delta: float) -> Range:
    """The same range with `delta` more effort: shifted (same table) or, for a lognormal, scaled."""
    if r.dist is Dist.FIXED:
        return Range.fixed(r.low + delta)
    if r.dist is Dist.LOGNORMAL:
        f = 1 + delta / r.high
        return Range(r.dist, r.low * f, r.mode * f, r.high * f)
    return Range(r.dist, r.low + delta, r.mode + delta, r.high + delta)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(plan=random_plans(), data=st.data())
def test_more_effort_never_finishes_earlier(plan, data):
    i = data.draw(st.integers(0, len(plan.tasks) - 1), label="task")
    delta = data.draw(st.sampled_from([0.25, 1.0, 4.0]), label="delta")
    t = plan.tasks[i]
    bigger = (
        t.__class__(**{**t.__dict__, "effort_hours": _bump(t.effort_hours, 8 * delta)})
        if t.workstream
        else t.__class__(**{**t.__dict__, "duration_weeks": _bump(t.duration_weeks, delta)})
    )
    more = plan.with_changes(tasks=plan.tasks[:i] + (bigger,) + plan.tasks[i + 1 :])
    a = simulate(plan, 3000, seed=5)
    b = simulate(more, 3000, seed=5)
    assert np.all(b.finish_weeks >= a.finish_weeks)  # same seed: elementwise, every trial
    assert np.all(b.milestone_weeks >= a.milestone_weeks)
    assert np.all(b.sample_finish_weeks >= a.sample_finish_weeks)
    assert np.all(b.hours_by_workstream >= a.hours_by_workstream)


@PROPERTY
@given(plan=random_plans(allow_lognormal=False, risk_probability=0.0))
def test_finish_between_chains_of_minimums_and_maximums(plan):
    """With no risk firing, every trial lies between the all-low and all-high schedules
    (capacities are fixed here, so deterministic_schedule's modal capacity is exact)."""
    lo = deterministic_schedule(plan, "low")[1].max()
    hi = deterministic_schedule(plan, "high")[1].max()
    f = simulate(plan, 4000, seed=11).finish_weeks
    slack = 1e-5 * hi + 1e-9  # float32 rounding of the engine's schedule
    assert f.min() >= lo - slack
    assert f.max() <= hi + slack


@PROPERTY
@given(plan=random_plans())
def test_same_seed_same_numbers_for_any_chunk_size(plan):
    trials = 3 * BLOCK_TRIALS + 77
    ref = simulate(plan, trials, seed=13)  # default chunk
    for chunk in (BLOCK_TRIALS, 2 * BLOCK_TRIALS, 3 * BLOCK_TRIALS):
        assert_same_result(ref, simulate(plan, trials, seed=13, chunk_trials=chunk))


@settings(max_examples=8, deadline=None)
@given(plan=random_plans())
def test_same_seed_same_numbers_for_any_worker_count(plan):
    trials = 2 * BLOCK_TRIALS + 9
    ref = simulate(plan, trials, seed=19, chunk_trials=BLOCK_TRIALS)
    with parallel_at_any_size():
        assert_same_result(ref, simulate(plan, trials, seed=19, chunk_trials=BLOCK_TRIALS, workers=2))


@PROPERTY
@given(plan=random_plans(), k=st.integers(1, 9000))
def test_prefix_stability(plan, k):
    """The first k trials of a run of n trials are a run of k trials."""
    full = simulate(plan, 9000, seed=17)
    head = simulate(plan, k, seed=17)
    assert_same_result(head, full, prefix=k, criticality=False)


# ------------------------------------------------------------------ sampler guard


class _Counting:
    """Wraps a numpy Generator (or its bit generator) and counts the calls that return numbers."""

    def __init__(self, real, counts):
        self._real, self._counts = real, counts

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if name == "bit_generator":  # raw draws straight from the bit generator count too
            return _Counting(attr, self._counts)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            out = attr(*args, **kwargs)
            self._counts["calls"] += 1
            self._counts["values"] += int(np.size(out))
            return out

        return call


def count_generators(monkeypatch) -> dict:
    """Make every `np.random.Generator` the engine creates count its calls."""
    counts = {"generators": 0, "calls": 0, "values": 0}
    real = np.random.Generator

    def factory(bit_generator):
        counts["generators"] += 1
        return _Counting(real(bit_generator), counts)

    monkeypatch.setattr(np.random, "Generator", factory)
    return counts


WITH_RISK = """
    name: guard
    units: weeks
    tasks:
      - {id: a, duration: {low: 1, mode: 2, high: 4}}
      - {id: b, duration: {low: 1, high: 2}, after: [a]}
    risks:
      - {id: r, probability: 0.4, tasks: [b], duration: 1}
    """


def test_generator_calls_grow_with_blocks_not_trials(monkeypatch):
    """Generator calls per block: 2 with risks (uniforms, firings), 1 without, 0 when
    nothing is random; a count that depends on the trials only through the blocks."""
    plan = make_plan(WITH_RISK)
    no_risk = plan.with_changes(risks=())
    fixed = make_plan("name: f\ntasks: [{id: a, duration: 2}]\n")
    counts = count_generators(monkeypatch)

    def calls(p, trials):
        counts.update(generators=0, calls=0, values=0)
        simulate(p, trials, seed=1)
        return counts["calls"]

    for p, per_block in ((plan, 2), (no_risk, 1), (fixed, 0)):
        assert calls(p, 1) == calls(p, 4096) == per_block
        assert calls(p, 4097) == calls(p, 8192) == 2 * per_block
        assert calls(p, 10**6) == math.ceil(10**6 / BLOCK_TRIALS) * per_block


def test_generator_calls_counted_during_simulate(monkeypatch):
    """One generator per block, and a fixed number of calls and of numbers per block, whatever
    the trial count: the engine never draws per trial."""
    plan = make_plan(WITH_RISK)
    cases = [(1, None), (100, None), (4096, None), (4097, None), (3 * 4096 + 1, 4096), (10 * 4096, None)]
    reference = [simulate(plan, trials, seed=4, chunk_trials=chunk).finish_weeks for trials, chunk in cases]
    counts = count_generators(monkeypatch)
    simulate(plan, 1, seed=4)
    per_block = dict(counts)
    assert per_block["generators"] == 1
    assert per_block["calls"] == 2  # the uniforms and the risk firings
    for (trials, chunk), expected in zip(cases, reference):
        counts.update(generators=0, calls=0, values=0)
        got = simulate(plan, trials, seed=4, chunk_trials=chunk).finish_weeks
        blocks = math.ceil(trials / BLOCK_TRIALS)
        assert counts["generators"] == blocks, trials
        assert counts["calls"] == blocks * per_block["calls"], trials
        assert counts["values"] == blocks * per_block["values"], trials
        np.testing.assert_array_equal(got, expected)  # counting changed nothing


def test_compiled_model_rows():
    plan = make_plan(WITH_RISK)
    model = compile_plan(plan)
    assert model.n_rows == 2  # a and b are random; the risk impact is fixed
    assert model.task_row == (0, 1) and model.risk_prob.tolist() == [0.4]
    assert model.task_risks == ((), (0,))


def test_raw_draws_are_exactly_numpys_uint16_integers_stream():
    """The engine reads uint16 draws from PCG64's raw stream; that must be the very stream
    ``rng.integers(0, 65536, dtype=uint16)`` gives, and leave risks drawn after it unchanged."""
    from lekhok_forecast.sources.plan_file import plan_from_text

    plan = plan_from_text("""
name: draws
units: weeks
tasks:
  - {id: a, duration: {low: 1, mode: 2, high: 4}}
  - {id: b, duration: {low: 1, high: 3}, after: [a]}
  - {id: c, duration: {low: 2, high: 5, dist: lognormal}}
risks:
  - {id: r, probability: 0.3, tasks: [b], duration: {low: 0.5, high: 1}}
""")
    model = compile_plan(plan)
    seed, first_block, n_blocks = 11, 3, 2
    u, fired = _draw(model, seed, first_block, n_blocks, n_blocks * BLOCK_TRIALS)
    for k in range(n_blocks):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(first_block + k,))))
        want_u = rng.integers(0, 65536, size=(model.n_rows, BLOCK_TRIALS), dtype=np.uint16)
        want_fired = rng.random((1, BLOCK_TRIALS)) < 0.3
        sl = slice(k * BLOCK_TRIALS, (k + 1) * BLOCK_TRIALS)
        assert np.array_equal(u[:, sl], want_u)
        assert np.array_equal(fired[:, sl], want_fired)

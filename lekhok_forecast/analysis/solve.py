"""What would it take? The smallest change of one knob that reaches a confidence by a week.

Three knobs, each a search over plan transformations (`lekhok_forecast.core.plan`), never
a change to the engine:

* ``capacity`` (`solve_capacity`): the smallest multiplier of every workstream's and the
  team's hours per week, on the 0.01 grid, for which P(finish <= week) >= confidence.
* ``buffer`` (`lekhok_forecast.analysis.solve_buffer.solve_buffer`, apart because it
  needs the buffer analysis and pandas, which the other two do not load): the smallest
  buffer fraction of the baseline, on the 0.01 grid, whose buffered weeks carry the confidence.
* ``scope`` (`solve_scope`): the fewest of the plan's optional tasks to defer (remove,
  with every reference: `lekhok_forecast.core.plan.without_tasks`) to reach the confidence.

Every evaluation simulates with the same seed and trial count (common random numbers), so
the answer is stable: the same inputs give the same answer.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lekhok_forecast.core.asof import AsOf
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.plan import Plan, with_capacity_scaled, without_tasks

#: The largest capacity multiplier tried: beyond it the target counts as unreachable.
MAX_CAPACITY_FACTOR = 10.0
#: Optional tasks up to which `solve_scope` searches every subset (greedy beyond).
EXACT_SCOPE_TASKS = 8
GRID = 100  # steps per unit: multipliers and fractions to two decimals


@dataclass(frozen=True)
class Solution:
    """The answer of one solve.

    Attributes
    ----------
    knob : str
        ``"capacity"``, ``"buffer"`` or ``"scope"``.
    value : float
        Capacity: the multiplier of today's hours per week. Buffer: the fraction of the
        baseline. Scope: the number of tasks deferred.
    p : float
        P(finish <= by_week) achieved at `value` (a fraction).
    reached : bool
        Whether ``p >= confidence``. When False, `value` is the best the search could do
        (capacity: `MAX_CAPACITY_FACTOR`; scope: every optional task deferred).
    evaluations : int
        Simulations run.
    by_week, confidence : float
        The target: weeks from the start, and a fraction in (0, 1).
    trials, seed : int
    plan : Plan
        The plan transformed by `value` (the scaled capacities, the buffer, the tasks left).
    p_today : float
        P(finish <= by_week) of the plan as it is.
    deferred : tuple of str
        Scope: the task ids deferred, in plan order.
    """

    knob: str
    value: float
    p: float
    reached: bool
    evaluations: int
    by_week: float
    confidence: float
    trials: int
    seed: int
    plan: Plan
    p_today: float
    deferred: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: knob, value, p, reached, evaluations, by_week, confidence, trials,
        seed, p_today, plus the knob's own keys (capacity: ``team_hours_per_week`` and
        ``workstream_hours_per_week`` as ``[low, high]`` hours a week; buffer:
        ``buffered_weeks`` and ``baseline_weeks``, with ``p_today`` the planned buffer's
        confidence; scope: ``deferred``, task ids)."""
        out: dict[str, Any] = {
            "knob": self.knob,
            "value": self.value,
            "p": self.p,
            "reached": self.reached,
            "evaluations": self.evaluations,
            "by_week": self.by_week,
            "confidence": self.confidence,
            "trials": self.trials,
            "seed": self.seed,
            "p_today": self.p_today,
        }
        plan = self.plan
        if self.knob == "capacity":
            team = plan.team_hours_per_week
            out["team_hours_per_week"] = [team.low, team.high] if team is not None else None
            out["workstream_hours_per_week"] = {w.id: list(workstream_hours(plan, w.id)) for w in plan.workstreams}
        elif self.knob == "buffer":
            out["buffered_weeks"] = self.by_week
            out["baseline_weeks"] = plan.baseline_weeks
        else:
            out["deferred"] = list(self.deferred)
        return out


def workstream_hours(plan: Plan, wid: str) -> tuple[float, float]:
    """``(low, high)`` hours per week of workstream `wid` (a share workstream: its share of the team's)."""
    w = plan.workstreams[plan.workstream_index()[wid]]
    if w.hours_per_week is not None:
        return w.hours_per_week.low, w.hours_per_week.high
    team = plan.team_hours_per_week
    assert team is not None and w.share is not None  # the plan parser: a share needs the team
    return w.share * team.low, w.share * team.high


def finish_result(plan: Plan, trials: int, seed: int, as_of: AsOf | None = None) -> SimulationResult:
    """One evaluation: `simulate` without criticality and sampled schedules (only the finish weeks are used)."""
    return simulate(plan, trials, seed, as_of=as_of, criticality=False, sample_trials=0)


def _p_by(plan: Plan, week: float, trials: int, seed: int, as_of: AsOf | None = None) -> float:
    return float(np.mean(finish_result(plan, trials, seed, as_of).finish_weeks <= week))


def check_target(by_week: float, confidence: float) -> None:
    """Raise ValueError unless ``0 < confidence < 1`` and `by_week` is a finite number of weeks > 0."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be a fraction between 0 and 1 (exclusive), got {confidence}")
    if not math.isfinite(by_week) or by_week <= 0:
        raise ValueError(f"the week must be a finite number of weeks > 0, got {by_week}")


def solve_capacity(
    plan: Plan,
    by_week: float,
    confidence: float,
    trials: int = 50_000,
    seed: int = 1,
    max_factor: float = MAX_CAPACITY_FACTOR,
    as_of: AsOf | None = None,
    finish_memo: dict[int, np.ndarray] | None = None,
) -> Solution:
    """The smallest capacity multiplier m (two decimals) with P(finish <= by_week) >= confidence.

    Searches ``m = k / 100`` over whole k: an exponential bracket from 1.00 (doubling up,
    or halving down when today's hours already suffice), then bisection. Every evaluation
    simulates `with_capacity_scaled(plan, m)` with the same seed and trials.

    Why bisection is exact on the grid: with one seed, each trial draws the same uniform
    for each capacity whatever m is, and its capacity is that draw's table value times
    the scaled range's scale plus offset, so it is non-decreasing in m (float32 rounding
    is monotone too). Every later step of a trial (reciprocal, effort times it, sums,
    maxima over predecessors) is monotone, so every trial's finish week is
    non-increasing in m, and P(finish <= by_week) over the fixed trial set is
    non-decreasing in m. Hence the first grid point that reaches the confidence is the
    smallest one, and the search returns it: ``m - 0.01`` does not reach it.

    Parameters
    ----------
    plan : Plan
    by_week : float
        Weeks from the start (> 0).
    confidence : float
        A fraction in (0, 1).
    trials, seed : int
        Of every evaluation.
    max_factor : float
        The largest multiplier tried; if it does not reach the confidence the solution
        has ``reached=False`` and ``value=max_factor``.
    as_of : AsOf, optional
        Solve from where the project stands: `plan` is then a re-forecast plan and this its
        as-of state (``SimulationResult.plan`` and ``.as_of`` of the week's forecast). Done
        tasks stay as they were and the rest scale: the finish stays monotone in m.
    finish_memo : dict, optional
        Finish weeks by multiplier step (``k`` for m = k / 100) of this plan, trials, seed
        and as-of state, shared by several solves of one plan (one per deadline): each
        multiplier is simulated once. Filled in place.

    Raises
    ------
    ValueError
        On a bad target, or a plan whose finish does not depend on capacity (no effort task).
    """
    check_target(by_week, confidence)
    if not any(t.workstream is not None for t in plan.tasks):
        raise ValueError("the plan has no effort task, so its finish does not depend on capacity")
    top = int(round(max_factor * GRID))
    seen: dict[int, float] = {}
    finishes = finish_memo if finish_memo is not None else {}

    def p_at(k: int) -> float:
        if k not in seen:
            if k not in finishes:
                scaled = with_capacity_scaled(plan, k / GRID)
                finishes[k] = finish_result(scaled, trials, seed, as_of).finish_weeks
            seen[k] = float(np.mean(finishes[k] <= by_week))
        return seen[k]

    lo, hi = 0, GRID  # invariant once bracketed: p_at(lo) < confidence <= p_at(hi); lo 0 = never evaluated
    if p_at(hi) >= confidence:
        k = hi
        while k > 1:
            k = max(1, k // 2)
            if p_at(k) >= confidence:
                hi = k
            else:
                lo = k
                break
    else:
        lo = hi
        while True:
            if lo >= top:
                return _capacity_solution(plan, top, p_at(top), False, seen, by_week, confidence, trials, seed, as_of)
            k = min(2 * lo, top)
            if p_at(k) >= confidence:
                hi = k
                break
            lo = k
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if p_at(mid) >= confidence:
            hi = mid
        else:
            lo = mid
    return _capacity_solution(plan, hi, p_at(hi), True, seen, by_week, confidence, trials, seed, as_of)


def _capacity_solution(
    plan: Plan,
    k: int,
    p: float,
    reached: bool,
    seen: dict[int, float],
    by_week: float,
    confidence: float,
    trials: int,
    seed: int,
    as_of: AsOf | None = None,
) -> Solution:
    m = k / GRID
    return Solution(
        "capacity",
        m,
        p,
        reached,
        len(seen),
        by_week,
        confidence,
        trials,
        seed,
        with_capacity_scaled(plan, m),
        seen[GRID] if GRID in seen else _p_by(plan, by_week, trials, seed, as_of),
    )


def solve_scope(
    plan: Plan,
    by_week: float,
    confidence: float,
    trials: int = 50_000,
    seed: int = 1,
    exact_up_to: int = EXACT_SCOPE_TASKS,
) -> Solution:
    """The fewest optional tasks to defer for P(finish <= by_week) >= confidence.

    Deferring a task removes it with every reference (`without_tasks`). First the plan
    with every optional task deferred is simulated: if even that misses the confidence,
    it is the answer with ``reached=False``. Otherwise, with at most `exact_up_to`
    optional tasks every subset is tried, smallest first, and the first size that
    reaches the confidence wins (its highest P among those that reach it); with more, a
    greedy search defers, one at a time, the task whose removal raises P most, until P
    reaches the confidence.

    Removing a task renumbers the random draws of the tasks after it, so two subsets are
    compared on different (fixed) random numbers: differences of P below about
    ``1 / sqrt(trials)`` between subsets are noise. The answer is still stable.

    Raises
    ------
    ValueError
        On a bad target, or a plan with no ``optional: true`` task.
    """
    check_target(by_week, confidence)
    optional = [t.id for t in plan.tasks if t.optional]
    if not optional:
        raise ValueError("the plan marks no task 'optional: true', so there is no scope to defer")
    seen: dict[frozenset[str], float] = {}

    def p_of(gone: frozenset[str]) -> float:
        if gone not in seen:
            seen[gone] = _p_by(without_tasks(plan, gone) if gone else plan, by_week, trials, seed)
        return seen[gone]

    def answer(gone: frozenset[str], reached: bool) -> Solution:
        order = tuple(t for t in optional if t in gone)
        return Solution(
            "scope",
            float(len(gone)),
            p_of(gone),
            reached,
            len(seen),
            by_week,
            confidence,
            trials,
            seed,
            without_tasks(plan, gone) if gone else plan,
            p_of(frozenset()),
            order,
        )

    if p_of(frozenset()) >= confidence:
        return answer(frozenset(), True)
    if len(optional) == len(plan.tasks):
        optional = optional[:-1]  # a plan needs a task: one stays
    everything = frozenset(optional)
    if p_of(everything) < confidence:
        return answer(everything, False)
    if len(optional) <= exact_up_to:
        for size in range(1, len(optional)):
            hits = [g for g in map(frozenset, itertools.combinations(optional, size)) if p_of(g) >= confidence]
            if hits:  # max keeps the first of equal P: subsets met first (plan order)
                return answer(max(hits, key=p_of), True)
        return answer(everything, True)
    gone: frozenset[str] = frozenset()
    while p_of(gone) < confidence:
        gone = max((gone | {t} for t in optional if t not in gone), key=p_of)
    return answer(gone, True)

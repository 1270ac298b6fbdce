"""Benchmark networks, built in memory from the plan dataclasses.

- `lekhok()`: the Lekhok plan (data/plans/lekhok_deployment.yaml).
- `textbook14()`: the 14-activity PERT network of Hillier & Lieberman's "Reliable
  Construction Co." example (weeks; optimistic / most likely / pessimistic).
- `generated(n, seed)`: a random layered network of `n` tasks with workstreams, risks,
  milestones, phases and costs, from a fixed generator seed. Estimates are in quarter
  days; `step=0.01` gives nearly every PERT task its own shape (the worst case for
  table building and memory: 256 KB a shape).
- `calibrated(plan)`: a re-forecast state of a plan (an `AsOf`): done and in-progress
  tasks, `not_before_week`, hours spent, and calibration ratios (exercises every engine path).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
try:
    import lekhok_forecast  # noqa: F401  (installed, or on PYTHONPATH: check_identical --ref)
except ImportError:  # running from a clone without installing
    sys.path.append(str(ROOT))

from lekhok_forecast.config import DEFAULT_PLAN  # noqa: E402
from lekhok_forecast.core.asof import AsOf, TaskState  # noqa: E402
from lekhok_forecast.core.distributions import Dist, Range  # noqa: E402
from lekhok_forecast.core.plan import Cost, Milestone, Phase, Plan, Risk, Task, Workstream  # noqa: E402
from lekhok_forecast.sources.plan_file import load_plan  # noqa: E402

GENERATOR_SEED = 20250203
HOURS_PER_DAY = 8.0


def lekhok() -> Plan:
    """The Lekhok deployment plan."""
    return load_plan(DEFAULT_PLAN)


# (id, name, optimistic, most likely, pessimistic, predecessors), weeks
_RELIABLE = [
    ("a", "Excavate", 1, 2, 3, ""),
    ("b", "Lay the foundation", 2, 3.5, 8, "a"),
    ("c", "Put up the rough wall", 6, 9, 18, "b"),
    ("d", "Put up the roof", 4, 5.5, 10, "c"),
    ("e", "Install the exterior plumbing", 1, 4.5, 5, "c"),
    ("f", "Install the interior plumbing", 4, 4, 10, "e"),
    ("g", "Put up the exterior siding", 5, 6.5, 11, "d"),
    ("h", "Do the exterior painting", 5, 8, 17, "e g"),
    ("i", "Do the electrical work", 3, 7.5, 9, "c"),
    ("j", "Put up the wallboard", 3, 9, 9, "f i"),
    ("k", "Install the flooring", 4, 4, 4, "j"),
    ("l", "Do the interior painting", 1, 5.5, 7, "j"),
    ("m", "Install the exterior fixtures", 1, 2, 3, "h"),
    ("n", "Install the interior fixtures", 5, 5.5, 9, "k l"),
]


def textbook14() -> Plan:
    """Hillier & Lieberman's 14-activity PERT example (mean length about 44 weeks)."""
    tasks = []
    for tid, name, lo, m, hi, after in _RELIABLE:
        r = Range.fixed(lo) if lo == hi else Range(Dist.PERT, float(lo), float(m), float(hi))
        tasks.append(Task(tid, name, None, None, None, r, tuple(after.split())))
    return Plan(
        name="Reliable Construction Co. (14 activities)",
        tasks=tuple(tasks),
        units="weeks",
        deadlines=(40.0, 44.0, 47.0),
    )


def _estimate(rng: np.random.Generator, factor: float, step: float) -> Range:
    """A random range in days (multiples of `step`) times `factor`: mostly PERT, some
    triangular, uniform, lognormal and fixed."""
    kind = rng.random()

    def days(lo, hi):
        return max(step, round(float(rng.uniform(lo, hi)) / step) * step)

    low = days(0.5, 8.0)
    mode = low + days(0.0, 4.0) - step
    high = mode + days(0.25, 8.0)
    if kind < 0.75:
        return Range(Dist.PERT, low * factor, mode * factor, high * factor)
    if kind < 0.85:
        return Range(Dist.TRIANGULAR, low * factor, mode * factor, high * factor)
    if kind < 0.93:
        return Range(Dist.UNIFORM, low * factor, (low + high) / 2 * factor, high * factor)
    if kind < 0.97:
        return Range(Dist.LOGNORMAL, low * factor, (low * high) ** 0.5 * factor, high * factor)
    return Range.fixed(mode * factor)


def generated(
    n: int,
    seed: int = GENERATOR_SEED,
    *,
    n_workstreams: int = 4,
    step: float = 0.25,
    effort_share: float = 0.5,
    n_risks: int | None = None,
) -> Plan:
    """A random layered network of `n` tasks (fixed `seed`: the same plan every time).

    Each task waits for 0-3 of the 30 tasks before it (so the longest path grows with n);
    about `effort_share` of the tasks are effort tasks spread over the workstreams (half
    with their own weekly hours, half a share of the team), the rest duration tasks.
    Risks hit 1-4 tasks of one kind each. Four phases, three milestones, a monthly and
    an hourly cost. Estimates are in multiples of `step` days (0.25: quarter days, as
    planners write them; the 1,000-task network then has about 300 distinct PERT shapes;
    0.01 makes nearly every shape distinct).
    """
    rng = np.random.default_rng([seed, n])
    n_ws = n_workstreams
    n_risks = n_risks if n_risks is not None else max(2, n // 10)
    day_hours, day_weeks = HOURS_PER_DAY, 1 / 5
    workstreams = []
    n_shared = n_ws // 2
    for w in range(n_ws):
        if w < n_shared:
            workstreams.append(Workstream(f"ws{w}", f"Workstream {w}", share=round(1.0 / n_shared, 6)))
        else:
            lo = float(rng.integers(15, 30))
            workstreams.append(
                Workstream(f"ws{w}", f"Workstream {w}", hours_per_week=Range(Dist.UNIFORM, lo, lo + 7.5, lo + 15))
            )
    team = Range(Dist.UNIFORM, 20.0 * n_shared, 25.0 * n_shared, 30.0 * n_shared) if n_shared else None
    phases = tuple(Phase(f"Phase {p + 1}") for p in range(4))
    tasks = []
    for i in range(n):
        k = int(rng.integers(0, 4)) if i >= 3 else 0
        window = np.arange(max(0, i - 30), i)
        after = tuple(f"t{j}" for j in sorted(rng.choice(window, size=min(k, window.size), replace=False)))
        phase = phases[min(3, 4 * i // n)].name
        if rng.random() < effort_share:
            ws = f"ws{int(rng.integers(0, n_ws))}"
            tasks.append(Task(f"t{i}", f"Task {i}", phase, ws, _estimate(rng, day_hours, step), None, after))
        else:
            tasks.append(Task(f"t{i}", f"Task {i}", phase, None, None, _estimate(rng, day_weeks, step), after))
    risks = []
    for r in range(n_risks):
        effort_kind = rng.random() < effort_share
        pool = [t.id for t in tasks if (t.workstream is not None) == effort_kind]
        hit = tuple(str(x) for x in rng.choice(pool, size=min(len(pool), int(rng.integers(1, 5))), replace=False))
        lo = round(float(rng.uniform(0.5, 3)), 2)
        impact = Range(Dist.UNIFORM, lo, lo + 1, lo + 2)
        risks.append(
            Risk(
                f"r{r}",
                f"Risk {r}",
                round(float(rng.uniform(0.05, 0.5)), 3),
                hit,
                effort_hours=impact.scaled(day_hours) if effort_kind else None,
                duration_weeks=None if effort_kind else impact.scaled(day_weeks),
            )
        )
    milestones = tuple(
        Milestone(
            f"M{m + 1}",
            f"Milestone {m + 1}",
            tuple(f"t{j}" for j in range((m + 1) * n // 4 - 3, (m + 1) * n // 4)),
            float(8 * (m + 1)),
        )
        for m in range(3)
    )
    costs = (
        Cost("cloud", "Cloud", per_month=Range(Dist.UNIFORM, 200.0, 350.0, 500.0), from_task="t0"),
        Cost("engineering", "Engineering", per_hour=Range(Dist.TRIANGULAR, 50.0, 60.0, 80.0)),
    )
    return Plan(
        name=f"Generated network ({n} tasks)",
        tasks=tuple(tasks),
        units="days",
        hours_per_day=day_hours,
        deadlines=(20.0, 30.0),
        team_hours_per_week=team,
        phases=phases,
        workstreams=tuple(workstreams),
        risks=tuple(risks),
        milestones=milestones,
        costs=costs,
    )


def calibrated(
    plan: Plan, done: int = 5, in_progress: int = 3, ratios=(0.8, 0.95, 1.0, 1.2, 1.45, 2.1)
) -> tuple[Plan, AsOf]:
    """A re-forecast of `plan` and its as-of state: the first `done` tasks (in file order)
    finished, the next `in_progress` started, every remaining task calibrated by `ratios`."""
    states = []
    week = 0.0
    for i, t in enumerate(plan.tasks):
        if i < done:
            spent = 6.0 if t.workstream else 0.0
            states.append(TaskState(t.id, done_start_week=week, done_finish_week=week + 0.5, hours_spent=spent))
            week += 0.5
        elif i < done + in_progress:
            spent = 3.0 if t.workstream else 0.0
            states.append(TaskState(t.id, not_before_week=week, hours_spent=spent, calibrate=True))
        else:
            states.append(TaskState(t.id, calibrate=i % 2 == 0, not_before_week=week if i % 7 == 0 else 0.0))
    return plan.with_changes(name=plan.name + " (re-forecast)"), AsOf(tuple(states), tuple(ratios))


NETWORKS = {
    "lekhok": lekhok,
    "pert14": textbook14,
    "net100": lambda: generated(100),
    "net1000": lambda: generated(1000, n_workstreams=2),
    "net1000u": lambda: generated(1000, n_workstreams=2, step=0.01),  # unique shapes: worst case
}


def build(name: str) -> Plan:
    """A benchmark network by name (see `NETWORKS`)."""
    return NETWORKS[name]()

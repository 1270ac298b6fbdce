"""Sweeps: a grid of plan variations, one row of headline numbers per point.

A grid is the cartesian product of its axes, in the order given. A numeric axis varies
one knob of the solver (`lekhok_forecast.analysis.solve`) over ``START:STOP:STEP``
(both ends included, exact in decimal: ``0.8:1.6:0.1`` is nine points):

* ``capacity``: a multiplier of the team's and every workstream's hours per week
  (`lekhok_forecast.core.plan.with_capacity_scaled`);
* ``buffer``: the buffer fraction of ``baseline_weeks`` (it does not change the
  simulation: the points that differ only in buffer share one);
* ``scope``: how many of the plan's ``optional: true`` tasks to defer, the first ones in
  plan order (`lekhok_forecast.core.plan.without_tasks`).

The other axes (several plans, scenario files) are labelled plans given by the caller,
who reads the files. Every point is simulated with the same trials and seed (common
random numbers), so a row depends only on its point: the same wherever it is computed.

The unit of work is a `SweepJob` (one simulation, plain picklable data), evaluated by
`evaluate_job`; `sweep_jobs` cuts a grid into jobs and `assemble_rows` puts the rows of
the jobs back into grid order. Where the jobs run (this process or a Dask cluster) is
`lekhok_forecast.app.sweep`'s business.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lekhok_forecast.analysis.headline import buffered_weeks, headline_numbers, p_within_buffer
from lekhok_forecast.analysis.solve import finish_result
from lekhok_forecast.core.plan import Plan, week_label, with_capacity_scaled, without_tasks

#: The knobs a numeric axis can vary, in the order the rows show them.
KNOBS = ("capacity", "buffer", "scope")
#: Points a grid may have (a sweep beyond it is a typo, not a plan).
MAX_POINTS = 10_000

Labels = tuple[tuple[str, str], ...]


def parse_vary(spec: str) -> tuple[str, tuple[float, ...]]:
    """Parse ``NAME=START:STOP:STEP`` into the knob name and its grid values.

    The values are ``START + i x STEP`` for ``i = 0, 1, ...`` while they are at most
    ``STOP``, computed in decimal so that ``0.8:1.6:0.1`` ends exactly at 1.6 (nine
    points) and every value is the float of its decimal (0.7 + 0.1 is 0.8, not
    0.7999...). ``STOP`` is included when it lies on the grid.

    Raises
    ------
    ValueError
        One line starting ``--vary SPEC:``: not of that form, an unknown knob, a step
        <= 0, STOP < START, or too many points.
    """
    name, sep, rest = spec.partition("=")
    parts = rest.split(":")
    if not sep or len(parts) != 3 or not name.strip():
        raise ValueError(f"--vary {spec}: expected NAME=START:STOP:STEP")
    name = name.strip()
    if name not in KNOBS:
        raise ValueError(f"--vary {spec}: unknown knob {name!r}; expected one of {', '.join(KNOBS)}")
    try:
        start, stop, step = (Decimal(p.strip()) for p in parts)
    except InvalidOperation:
        raise ValueError(f"--vary {spec}: expected NAME=START:STOP:STEP") from None
    if not all(x.is_finite() for x in (start, stop, step)):
        raise ValueError(f"--vary {spec}: START, STOP and STEP must be finite numbers")
    if step <= 0:
        raise ValueError(f"--vary {spec}: STEP must be > 0, got {step}")
    if stop < start:
        raise ValueError(f"--vary {spec}: STOP must be >= START, got {start}:{stop}")
    count = int((stop - start) // step) + 1
    if count > MAX_POINTS:
        raise ValueError(f"--vary {spec}: {count:,} points; at most {MAX_POINTS:,}")
    return name, tuple(float(start + i * step) for i in range(count))


def check_axis(plan: Plan, name: str, values: Sequence[float], where: str) -> None:
    """Raise ValueError (one line starting with `where`) unless every value of knob `name` fits `plan`.

    capacity > 0; buffer >= 0 and the plan has ``baseline_weeks``; scope a whole number
    from 0 to the number of optional tasks (less one when every task is optional).
    """
    if name == "capacity":
        bad = [v for v in values if v <= 0]
        if bad:
            raise ValueError(f"{where}: a capacity multiplier must be > 0, got {bad[0]:g}")
    elif name == "buffer":
        if plan.baseline_weeks is None:
            raise ValueError(f"{where}: the plan has no baseline_weeks, so there is no buffer to vary")
        bad = [v for v in values if v < 0]
        if bad:
            raise ValueError(f"{where}: a buffer fraction must be >= 0, got {bad[0]:g}")
    elif name == "scope":
        n = len(optional_tasks(plan))
        bad = [v for v in values if v != int(v) or not 0 <= v <= n]
        if bad:
            raise ValueError(
                f"{where}: scope is a number of optional tasks to defer, a whole number from 0 to {n}, got {bad[0]:g}"
            )
    else:
        raise ValueError(f"{where}: unknown knob {name!r}; expected one of {', '.join(KNOBS)}")


def optional_tasks(plan: Plan) -> tuple[str, ...]:
    """The ids a ``scope`` point defers from, in plan order (one task always stays)."""
    ids = tuple(t.id for t in plan.tasks if t.optional)
    return ids[:-1] if len(ids) == len(plan.tasks) else ids


def vary_plan(plan: Plan, knobs: Mapping[str, float]) -> Plan:
    """`plan` with the knobs applied: capacity multiplied, buffer set, the first `scope` optional tasks deferred."""
    if knobs.get("scope"):
        plan = without_tasks(plan, optional_tasks(plan)[: int(knobs["scope"])])
    if "capacity" in knobs:
        plan = with_capacity_scaled(plan, knobs["capacity"])
    if "buffer" in knobs:
        plan = plan.with_changes(buffer=knobs["buffer"])
    return plan


@dataclass(frozen=True)
class SweepJob:
    """One simulation of a sweep and the grid points it answers.

    Attributes
    ----------
    labels : tuple of (str, str)
        The point's labels (``("plan", file)``, ``("scenario", name)``), in row order.
    plan : Plan
        The labelled plan before the knobs.
    knobs : tuple of (str, float)
        The knobs that change the simulation (capacity, scope), in row order.
    buffers : tuple of float
        One row per buffer fraction (empty: no buffer axis, one row).
    rows : tuple of int
        The rows' positions in the grid, one per buffer (or one).
    axis_order : tuple of str
        Every knob axis of the grid, in the order the rows show them.
    by_week : float
        P(finish <= by_week) is the row's ``p_by``.
    trials, seed : int
    """

    labels: Labels
    plan: Plan
    knobs: tuple[tuple[str, float], ...]
    buffers: tuple[float, ...]
    rows: tuple[int, ...]
    axis_order: tuple[str, ...]
    by_week: float
    trials: int
    seed: int


def sweep_jobs(
    bases: Sequence[tuple[Labels, Plan]],
    axes: Sequence[tuple[str, Sequence[float]]],
    by_week: float | None,
    trials: int,
    seed: int,
) -> list[SweepJob]:
    """Cut the grid ``bases x axes[0] x axes[1] x ...`` into jobs, one per distinct simulation.

    Parameters
    ----------
    bases : sequence of (labels, Plan)
        The labelled plans (one, unlabelled, when the grid varies no file).
    axes : sequence of (knob, values)
        Numeric axes, each knob at most once.
    by_week : float, optional
        Weeks from the start; None: each plan's latest deadline.
    trials, seed : int
        Of every simulation.

    Raises
    ------
    ValueError
        A knob given twice, a value that does not fit a plan, or no week to use.
    """
    names = [name for name, _ in axes]
    twice = [n for n in names if names.count(n) > 1]
    if twice:
        raise ValueError(f"--vary {twice[0]}: given twice; give each knob once")
    points = list(itertools.product(range(len(bases)), *(tuple(v) for _, v in axes)))
    if len(points) > MAX_POINTS:
        raise ValueError(f"the grid has {len(points):,} points; at most {MAX_POINTS:,}")
    for labels, plan in bases:
        where = plan.source if not labels else ", ".join(v for _, v in labels)
        for name, values in axes:
            check_axis(plan, name, values, f"--vary {name} ({where})")
    order = tuple(n for n in KNOBS if n in names)
    groups: dict[tuple, list[tuple[int, float | None]]] = {}
    for row, (base, *values) in enumerate(points):
        knobs = dict(zip(names, values))
        sim = tuple((n, knobs[n]) for n in order if n != "buffer")
        groups.setdefault((base, sim), []).append((row, knobs.get("buffer")))
    jobs = []
    for (base, sim), members in groups.items():
        labels, plan = bases[base]
        week = by_week if by_week is not None else _latest_deadline(plan, labels)
        buffers = tuple(b for _, b in members if b is not None)
        jobs.append(SweepJob(labels, plan, sim, buffers, tuple(r for r, _ in members), order, week, trials, seed))
    return jobs


def _latest_deadline(plan: Plan, labels: Labels) -> float:
    if not plan.deadlines:
        where = plan.source if not labels else ", ".join(v for _, v in labels)
        raise ValueError(f"{where}: the plan has no deadlines; give the week with --by-week W")
    return max(plan.deadlines)


def evaluate_job(job: SweepJob) -> list[dict[str, Any]]:
    """Simulate one job and return its rows (one per buffer, or one).

    A row has the labels, the knobs in `KNOBS` order, ``by_week``, ``p_by`` (P(finish <=
    by_week), a fraction), ``p50`` and ``p80`` (finish weeks), ``cost_p50`` (plan
    currency; None without costs) and, with a buffer axis, ``buffered_weeks`` and
    ``p_within_buffer`` (a fraction). Numbers are those of
    `lekhok_forecast.analysis.headline.headline_numbers`.
    """
    knobs = dict(job.knobs)
    plan = vary_plan(job.plan, knobs)
    result = finish_result(plan, job.trials, job.seed)
    head = headline_numbers(result, [job.by_week], percentiles=(50, 80))
    rows = []
    for buffer in job.buffers or (None,):
        row: dict[str, Any] = dict(job.labels)
        for name in job.axis_order:
            row[name] = buffer if name == "buffer" else int(knobs[name]) if name == "scope" else knobs[name]
        row["by_week"] = job.by_week
        row["p_by"] = head[f"p_by_{week_label(job.by_week)}"]
        row["p50"] = head["p50"]
        row["p80"] = head["p80"]
        row["cost_p50"] = head.get("cost_p50")
        if buffer is not None:
            buffered = dataclasses.replace(result, plan=plan.with_changes(buffer=buffer))
            row["buffered_weeks"] = buffered_weeks(buffered.plan)
            row["p_within_buffer"] = p_within_buffer(buffered)
        rows.append(row)
    return rows


def assemble_rows(jobs: Sequence[SweepJob], results: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The rows of every job (``results[i]`` of ``jobs[i]``) in grid order."""
    out: dict[int, dict[str, Any]] = {}
    for job, rows in zip(jobs, results):
        out.update(zip(job.rows, rows))
    return [out[i] for i in sorted(out)]

"""A solver's answer (`lekhok_forecast.analysis.solve.Solution`) as one sentence."""

from __future__ import annotations

from lekhok_forecast.analysis.solve import Solution, workstream_hours
from lekhok_forecast.present.format import join_words, pct, plural, weeks


def target_text(confidence: float) -> str:
    """A confidence target as written: ``80%``, ``97.5%``."""
    return f"{100 * confidence:.4g}%"


def _hours(low: float, high: float) -> str:
    def one(x: float) -> str:
        return f"{x:.1f}".rstrip("0").rstrip(".")

    return f"{one(low)}-{one(high)} h a week"


def capacity_hours_text(s: Solution) -> str:
    """The solved hours per week: the team's range, then each workstream with its own hours."""
    plan = s.plan
    parts = []
    if plan.team_hours_per_week is not None:
        parts.append(_hours(plan.team_hours_per_week.low, plan.team_hours_per_week.high))
    for w in plan.workstreams:
        if w.hours_per_week is not None:
            parts.append(f"{w.id} {_hours(*workstream_hours(plan, w.id))}")
    return ", ".join(parts)


def solve_sentence(s: Solution) -> str:
    """One sentence: what the target needs, with the probability reached and today's.

    e.g. ``80% by week 14 needs 1.33x today's hours: 26.6-39.9 h a week (P = 80%; today 16%).``
    """
    goal = f"{target_text(s.confidence)} by week {weeks(s.by_week)}"
    if s.knob == "capacity":
        if not s.reached:
            return f"{goal} is out of reach even at {s.value:g}x today's hours (P = {pct(s.p)} there)."
        return (
            f"{goal} needs {s.value:.2f}x today's hours: {capacity_hours_text(s)}"
            f" (P = {pct(s.p)}; today {pct(s.p_today)})."
        )
    if s.knob == "buffer":
        base = s.plan.baseline_weeks
        return (
            f"{target_text(s.confidence)} needs a buffer of {100 * s.value:.0f}%: {weeks(s.by_week)} weeks"
            f" from the {weeks(base or 0)}-week baseline (P = {pct(s.p)};"
            f" the planned buffer gives {pct(s.p_today)})."
        )
    tasks = join_words(list(s.deferred))
    if not s.reached:
        return (
            f"{goal} is out of reach by deferring optional tasks: deferring all"
            f" {plural(len(s.deferred), 'task')} ({tasks}) gives {pct(s.p)} (today {pct(s.p_today)})."
        )
    if not s.deferred:
        return f"{goal} needs nothing deferred: the plan as it is gives {pct(s.p)}."
    return (
        f"{goal} needs deferring {plural(len(s.deferred), 'optional task')}: {tasks}"
        f" (P = {pct(s.p)}; today {pct(s.p_today)})."
    )

"""A solver's answer (`lekhok_forecast.analysis.solve.Solution`) as one sentence."""

from __future__ import annotations

from collections.abc import Sequence

from lekhok_forecast.analysis.solve import Solution, workstream_hours
from lekhok_forecast.present.display import Markdown
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


def solve_sentence(s: Solution, *, odds: bool = True) -> str:
    """One sentence: what the target needs, with the probability reached and today's.

    e.g. ``80% by week 14 needs 1.33x today's hours: 26.6-39.9 h a week (P = 80%; today 16%).``
    `odds` False leaves the probabilities out (a report states today's odds elsewhere, from
    more trials than the solver's).
    """
    goal = f"{target_text(s.confidence)} by week {weeks(s.by_week)}"
    if s.knob == "capacity":
        if not s.reached:
            there = f" (P = {pct(s.p)} there)" if odds else ""
            return f"{goal} is out of reach even at {s.value:g}x today's hours{there}."
        return f"{goal} needs {s.value:.2f}x today's hours: {capacity_hours_text(s)}" + (
            f" (P = {pct(s.p)}; today {pct(s.p_today)})." if odds else "."
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


def answers_display(answers: Sequence[Solution], from_now: bool) -> Markdown:
    """The solver's answers for the plan's deadlines as a short section (empty without any).

    Parameters
    ----------
    answers : sequence of Solution
        `lekhok_forecast.app.scenarios.capacity_answers`.
    from_now : bool
        True when they start from the week's actuals (said so in the lead).
    """
    if not answers:
        return Markdown("")
    where = "from where the project stands now" if from_now else "from the plan's start"
    lines = "\n".join(f"- {solve_sentence(a, odds=False)}" for a in answers)
    return Markdown(
        f"## What would it take?\n\nThe smallest multiplier of the team's and every workstream's hours a week"
        f" (to 0.01) that reaches {target_text(answers[0].confidence)} by each deadline, {where}"
        f" ({answers[0].trials:,} trials per evaluation, the same seed for each):\n\n{lines}"
    )

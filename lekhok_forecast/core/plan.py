"""The plan as frozen dataclasses, plus its unit conversions and scheduling edges.

Everything after `lekhok_forecast.sources.plan_file.load_plan` works on these immutable
objects, in converted units: effort in hours, durations in weeks, capacity in hours per
week, money in the plan's currency. See ``docs/plan-format.md`` for the file format.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace
from typing import Any

from lekhok_forecast.core.distributions import Range
from lekhok_forecast.core.workdays import DEFAULT_CALENDAR, WorkCalendar

UNITS = ("hours", "days", "weeks")


@dataclass(frozen=True)
class Phase:
    """A phase with the report's end weeks to compare the simulation against."""

    name: str
    original_end_week: float | None = None
    realistic_end_week: float | None = None


@dataclass(frozen=True)
class Workstream:
    """A sequential stream of work with uncertain weekly capacity (hours per week).

    Exactly one of `hours_per_week` and `share` (of the plan's team capacity) is set.
    `unavailable`: plan week numbers (week 5 = weeks 4.0-5.0) in which it does no work;
    its effort tasks pause there (`lekhok_forecast.core.availability`).
    """

    id: str
    name: str
    hours_per_week: Range | None = None
    share: float | None = None
    unavailable: tuple[int, ...] = ()


@dataclass(frozen=True)
class Task:
    """One task. Effort tasks (`workstream` set) carry `effort_hours`; others `duration_weeks`.

    Where the task stands in a re-forecast (done, not before week N, hours spent,
    calibrated) is not part of the plan: see `lekhok_forecast.core.asof`.
    """

    id: str
    name: str
    phase: str | None
    workstream: str | None
    effort_hours: Range | None
    duration_weeks: Range | None
    after: tuple[str, ...] = ()
    notes: str = ""
    optional: bool = False  # may be deferred past the finish (`lekhok-forecast solve --vary scope`)

    @property
    def estimate(self) -> Range:
        """The effort (hours) or duration (weeks) range of the task."""
        if self.effort_hours is not None:
            return self.effort_hours
        # the plan parser sets exactly one of the two; a Task built by hand must too
        if self.duration_weeks is None:
            raise ValueError(f"task {self.id!r} has neither effort_hours nor duration_weeks")
        return self.duration_weeks


@dataclass(frozen=True)
class Risk:
    """An event that fires with `probability` and adds its impact to each listed task."""

    id: str
    name: str
    probability: float
    tasks: tuple[str, ...]
    effort_hours: Range | None = None
    duration_weeks: Range | None = None


@dataclass(frozen=True)
class Milestone:
    """Reached when all `tasks` are done; `target_week` in weeks from start."""

    id: str
    name: str
    tasks: tuple[str, ...]
    target_week: float


#: The parts of the weekly report a plan's `report:` section can tell a story for (the notebooks).
STORY_PARTS = ("weekly_status", "schedule_risk", "buffers", "budget_burn", "scenarios", "calibration")


@dataclass(frozen=True)
class ReportStory:
    """The story a plan wants its report to tell (the plan file's optional ``report:`` section).

    Every field is optional; the report falls back to generic texts built from the plan
    (`lekhok_forecast.present.story_text`).

    Attributes
    ----------
    title : str or None
        The report's title stem (``Lekhok deployment`` -> ``Lekhok deployment: weekly
        status``); None: the plan's ``name``.
    context : str or None
        A paragraph of background: where the plan comes from and what it is for.
    questions : tuple of (part, text)
        The question each part of the report answers (parts: `STORY_PARTS`).
    notes : tuple of (part, text)
        A paragraph per part, shown under its question.
    """

    title: str | None = None
    context: str | None = None
    questions: tuple[tuple[str, str], ...] = ()
    notes: tuple[tuple[str, str], ...] = ()

    def question(self, part: str) -> str | None:
        """The question `part` answers, if the plan gives one."""
        return dict(self.questions).get(part)

    def note(self, part: str) -> str | None:
        """The plan's paragraph for `part`, if any."""
        return dict(self.notes).get(part)


@dataclass(frozen=True)
class Cost:
    """A monthly cost accruing from `from_task`'s start (or week 0), or an hourly rate."""

    id: str
    name: str
    per_month: Range | None = None
    per_hour: Range | None = None
    from_task: str | None = None
    workstreams: tuple[str, ...] | None = None

    @property
    def rate(self) -> Range:
        """The cost's one range: `per_month` (currency a month) or `per_hour` (currency an hour)."""
        if self.per_month is not None:
            return self.per_month
        # the plan parser sets exactly one of the two; a Cost built by hand must too
        if self.per_hour is None:
            raise ValueError(f"cost {self.id!r} has neither per_month nor per_hour")
        return self.per_hour


@dataclass(frozen=True)
class CorrelationGroup:
    """Tasks whose estimates overrun together: one lognormal factor per trial, log-scale spread `sigma`."""

    tasks: tuple[str, ...]
    sigma: float


@dataclass(frozen=True)
class Correlation:
    """Correlated uncertainty between tasks (the plan's ``correlation:``).

    Each factor multiplies the sampled estimate (effort or duration) of its tasks by one
    draw per trial, ``exp(sigma * z)``, z ~ N(0, 1), shared by those tasks (see
    `lekhok_forecast.core.ratios.lognormal_factor`). `overrun` is a factor on every
    task; each group adds one on its own tasks. A task in several factors is multiplied
    by each. Done and calibrated tasks are not scaled (`lekhok_forecast.core.asof`).
    """

    overrun: float = 0.0
    groups: tuple[CorrelationGroup, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no factor applies (a plan without ``correlation:``)."""
        return self.overrun == 0.0 and not self.groups


@dataclass(frozen=True)
class Plan:
    """A validated plan. Build it with `lekhok_forecast.sources.plan_file.load_plan`."""

    name: str
    tasks: tuple[Task, ...]
    source: str = "<memory>"
    start: _dt.date | None = None
    units: str = "days"
    hours_per_day: float = 8.0
    currency: str = "$"
    deadlines: tuple[float, ...] = ()
    baseline_weeks: float | None = None
    buffer: float = 0.0
    budget: float | None = None
    team_hours_per_week: Range | None = None
    phases: tuple[Phase, ...] = ()
    workstreams: tuple[Workstream, ...] = ()
    risks: tuple[Risk, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    costs: tuple[Cost, ...] = ()
    calendar: WorkCalendar = DEFAULT_CALENDAR
    correlation: Correlation = Correlation()
    report: ReportStory = ReportStory()

    def task_index(self) -> dict[str, int]:
        """Task id -> position in `tasks`."""
        return {t.id: i for i, t in enumerate(self.tasks)}

    def workstream_index(self) -> dict[str, int]:
        """Workstream id -> position in `workstreams`."""
        return {w.id: i for i, w in enumerate(self.workstreams)}

    def phase_names(self) -> tuple[str, ...]:
        """Declared phases, or the phases named by tasks in file order."""
        if self.phases:
            return tuple(p.name for p in self.phases)
        seen: dict[str, None] = {}
        for t in self.tasks:
            if t.phase:
                seen.setdefault(t.phase)
        return tuple(seen)

    def date_of_week(self, week: float) -> _dt.date | None:
        """The working day on which plan week `week` falls (None without a start date).

        Goes through the plan's `calendar`: week 1.0 of a Monday start is that Friday,
        week 3.5 the Wednesday of the fourth week (see `lekhok_forecast.core.workdays`).
        """
        if self.start is None or not math.isfinite(week):
            return None
        return self.calendar.date_of_week(self.start, week)

    def week_of_date(self, day: _dt.date) -> float | None:
        """Plan weeks from `start` to the end of `day`, in working days (None without a start)."""
        if self.start is None:
            return None
        return self.calendar.week_of_date(self.start, day)

    def with_changes(self, **changes: Any) -> Plan:
        """A copy with some fields replaced (plans are immutable)."""
        return replace(self, **changes)


def with_capacity_scaled(plan: Plan, factor: float) -> Plan:
    """A copy of `plan` with the team's and every workstream's hours per week times `factor`.

    Share workstreams scale with the team. Each range keeps its family and is scaled with
    `Range.scaled`, so in the engine a trial's capacity is its same uniform draw times
    `factor` (the draws do not move: no random row is added or removed).
    """
    team = plan.team_hours_per_week.scaled(factor) if plan.team_hours_per_week is not None else None
    streams = tuple(
        replace(w, hours_per_week=w.hours_per_week.scaled(factor)) if w.hours_per_week is not None else w
        for w in plan.workstreams
    )
    return replace(plan, team_hours_per_week=team, workstreams=streams)


def without_tasks(plan: Plan, ids: set[str] | frozenset[str] | tuple[str, ...]) -> Plan:
    """A copy of `plan` without the tasks `ids` and every reference to them.

    The rules are those of a scenario's ``remove: {tasks: [...]}``
    (`lekhok_forecast.sources.overlay`), applied to a validated plan instead of the file:
    a remaining task's ``after`` inherits a removed task's own ``after`` (so the order of
    the rest is kept); risks and milestones lose the removed tasks, and go when none is
    left; a risk loses an effort (duration) impact that no remaining task of it can take;
    a cost's ``from_task`` then accrues from week 0; correlation groups lose the removed
    tasks, and go when none is left.

    Raises
    ------
    ValueError
        If an id is not a task of the plan, or no task would be left.
    """
    gone = set(ids)
    by_id = {t.id: t for t in plan.tasks}
    unknown = sorted(gone - set(by_id))
    if unknown:
        raise ValueError(f"no task {unknown[0]!r} in the plan")
    if len(gone) == len(plan.tasks):
        raise ValueError("removing every task leaves no plan")

    def bridged(after: tuple[str, ...], seen: frozenset[str]) -> list[str]:
        out: list[str] = []
        for a in after:
            if a in gone:
                if a not in seen:
                    out.extend(bridged(by_id[a].after, seen | {a}))
            else:
                out.append(a)
        return out

    tasks = tuple(
        replace(t, after=tuple(dict.fromkeys(bridged(t.after, frozenset())))) for t in plan.tasks if t.id not in gone
    )
    effort = {t.id for t in tasks if t.workstream is not None}
    risks = []
    for r in plan.risks:
        left = tuple(x for x in r.tasks if x not in gone)
        if not left:
            continue
        e = r.effort_hours if any(x in effort for x in left) else None
        d = r.duration_weeks if not all(x in effort for x in left) else None
        if e is not None or d is not None:  # else no remaining task can take its impact
            risks.append(replace(r, tasks=left, effort_hours=e, duration_weeks=d))
    milestones = tuple(
        replace(m, tasks=tuple(x for x in m.tasks if x not in gone)) for m in plan.milestones if set(m.tasks) - gone
    )
    costs = tuple(replace(c, from_task=None) if c.from_task in gone else c for c in plan.costs)
    groups = tuple(
        replace(g, tasks=tuple(x for x in g.tasks if x not in gone))
        for g in plan.correlation.groups
        if set(g.tasks) - gone
    )
    correlation = replace(plan.correlation, groups=groups)
    return replace(plan, tasks=tasks, risks=tuple(risks), milestones=milestones, costs=costs, correlation=correlation)


def week_label(week: float) -> str:
    """A deadline as written: ``12`` for 12.0, ``1.5`` for 1.5."""
    w = float(week)
    return str(int(w)) if w.is_integer() else repr(w)


def unit_hours(unit: str, hours_per_day: float, days_per_week: int = 5) -> float:
    """Hours in one `unit` of effort (a week of effort is `days_per_week` working days)."""
    return {"hours": 1.0, "days": hours_per_day, "weeks": hours_per_day * days_per_week}[unit]


def unit_weeks(unit: str, hours_per_day: float, days_per_week: int = 5) -> float:
    """Plan weeks in one `unit` of duration (a plan week is `days_per_week` working days)."""
    return {"hours": 1.0 / (hours_per_day * days_per_week), "days": 1.0 / days_per_week, "weeks": 1.0}[unit]


def scheduling_edges(tasks: tuple[Task, ...] | list[Task]) -> list[tuple[int, ...]]:
    """Predecessors of each task: its `after` tasks plus its workstream's previous task.

    A workstream does one task at a time in file order, so each effort task also waits for
    the task before it in the same workstream.
    """
    index = {t.id: i for i, t in enumerate(tasks)}
    last: dict[str, int] = {}
    preds = []
    for i, t in enumerate(tasks):
        p = [index[a] for a in t.after]
        if t.workstream is not None:
            if t.workstream in last and last[t.workstream] not in p:
                p.append(last[t.workstream])
            last[t.workstream] = i
        preds.append(tuple(p))
    return preds

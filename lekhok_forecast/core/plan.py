"""The plan file: parse and validate YAML once into frozen dataclasses.

Everything after `load_plan` works on these immutable objects. Every unit is converted
here: effort in hours, durations in weeks, capacity in hours per week, money in the
plan's currency. See ``docs/plan-format.md`` for the format.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lekhok_forecast.core.distributions import Dist, Range
from lekhok_forecast.core.graph import find_cycle
from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.sources.yamlsource import Source, is_date, load_yaml, parse_yaml

UNITS = ("hours", "days", "weeks")
WORKDAYS_PER_WEEK = 5
ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
MILESTONE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")


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
    """

    id: str
    name: str
    hours_per_week: Range | None = None
    share: float | None = None


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

    @property
    def estimate(self) -> Range:
        """The effort (hours) or duration (weeks) range of the task."""
        return self.effort_hours if self.effort_hours is not None else self.duration_weeks


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


@dataclass(frozen=True)
class Cost:
    """A monthly cost accruing from `from_task`'s start (or week 0), or an hourly rate."""

    id: str
    name: str
    per_month: Range | None = None
    per_hour: Range | None = None
    from_task: str | None = None
    workstreams: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Plan:
    """A validated plan. Build it with `load_plan` or `plan_from_source`."""

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
        """Calendar date `week` weeks after `start` (None without a start date)."""
        if self.start is None or not math.isfinite(week):
            return None
        return self.start + _dt.timedelta(days=round(float(week) * 7))

    def with_changes(self, **changes: Any) -> Plan:
        """A copy with some fields replaced (plans are immutable)."""
        return replace(self, **changes)


def week_label(week: float) -> str:
    """A deadline as written: ``12`` for 12.0, ``1.5`` for 1.5."""
    w = float(week)
    return str(int(w)) if w.is_integer() else repr(w)


def unit_hours(unit: str, hours_per_day: float) -> float:
    """Hours in one `unit` of effort."""
    return {"hours": 1.0, "days": hours_per_day, "weeks": hours_per_day * WORKDAYS_PER_WEEK}[unit]


def unit_weeks(unit: str, hours_per_day: float) -> float:
    """Weeks in one `unit` of calendar duration (5 working days a week)."""
    return {"hours": 1.0 / (hours_per_day * WORKDAYS_PER_WEEK), "days": 1.0 / WORKDAYS_PER_WEEK, "weeks": 1.0}[unit]


# --------------------------------------------------------------------------- parsing

TOP_KEYS = (
    "name",
    "start",
    "units",
    "hours_per_day",
    "currency",
    "deadlines",
    "baseline_weeks",
    "buffer",
    "budget",
    "team_hours_per_week",
    "phases",
    "workstreams",
    "tasks",
    "risks",
    "milestones",
    "costs",
    "description",
)
PHASE_KEYS = ("name", "original_end_week", "realistic_end_week", "description")
WORKSTREAM_KEYS = ("name", "hours_per_week", "share", "description")
TASK_KEYS = ("id", "name", "phase", "workstream", "effort", "duration", "after", "notes")
RISK_KEYS = ("id", "name", "probability", "tasks", "effort", "duration", "notes")
MILESTONE_KEYS = ("id", "name", "tasks", "target_week")
COST_KEYS = ("id", "name", "per_month", "per_hour", "from_task", "workstreams", "notes")
RANGE_KEYS = ("low", "mode", "high", "dist", "unit")


class _Reader:
    """Validation helpers bound to one `Source` (for file/line/field in errors)."""

    def __init__(self, src: Source):
        self.src = src

    def fail(self, field: str, message: str) -> ForecastInputError:
        return self.src.error(field, message)

    def mapping(self, value: Any, field: str, keys: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a mapping, got {_kind(value)}")
        for key in value:
            if key not in keys:
                raise self.fail(
                    _sub(field, key),
                    f"unknown key '{key}'{did_you_mean(key, keys)}; expected one of: {', '.join(keys)}",
                )
        for key in required:
            if key not in value:
                raise self.fail(field, f"missing required key '{key}'")
        return value

    def text(self, value: Any, field: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(field, f"expected text, got {_kind(value)}")
        text = str(value).strip()
        if not text:
            raise self.fail(field, "must not be empty")
        return text

    def number(
        self,
        value: Any,
        field: str,
        *,
        minimum: float | None = 0.0,
        positive: bool = False,
        maximum: float | None = None,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field, f"expected a number, got {_kind(value)}")
        try:
            x = float(value)
        except OverflowError:  # an integer literal too large for a float
            x = math.inf
        if not math.isfinite(x):
            raise self.fail(field, f"must be a finite number, got {value}")
        if positive and x <= 0:
            raise self.fail(field, f"must be > 0, got {_fmt(x)}")
        if minimum is not None and x < minimum:
            raise self.fail(field, f"must be >= {_fmt(minimum)}, got {_fmt(x)}")
        if maximum is not None and x > maximum:
            raise self.fail(field, f"must be <= {_fmt(maximum)}, got {_fmt(x)}")
        return x

    def sequence(self, value: Any, field: str) -> list:
        if not isinstance(value, list):
            raise self.fail(field, f"expected a list, got {_kind(value)}")
        return value

    def identifier(self, value: Any, field: str, pattern: re.Pattern = ID_PATTERN) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.fail(field, f"expected an id, got {_kind(value)}")
        ident = str(value)
        if not pattern.match(ident):
            allowed = "[a-z0-9_]+" if pattern is ID_PATTERN else "[A-Za-z0-9_]+"
            raise self.fail(field, f"malformed id '{ident}': expected {allowed}")
        return ident

    def id_list(self, value: Any, field: str, known: dict[str, int], what: str) -> tuple[str, ...]:
        items = self.sequence(value, field)
        out = []
        for i, item in enumerate(items):
            f = f"{field}[{i}]"
            ident = self.identifier(item, f)
            if ident not in known:
                raise self.fail(f, f"unknown {what} '{ident}'{did_you_mean(ident, known)}")
            if ident in out:
                raise self.fail(f, f"'{ident}' is listed twice")
            out.append(ident)
        return tuple(out)

    def range(
        self,
        value: Any,
        field: str,
        *,
        unit_factor: dict[str, float] | None = None,
        default_unit: str | None = None,
        allow_zero: bool = True,
    ) -> Range:
        """Parse a number or ``{low, mode, high, dist, unit}`` into a `Range` in target units."""
        factor = unit_factor[default_unit] if unit_factor else 1.0
        if not isinstance(value, dict):
            x = self.number(value, field, positive=not allow_zero)
            return Range.fixed(x * factor)
        keys = RANGE_KEYS if unit_factor else RANGE_KEYS[:4]
        self.mapping(value, field, keys, required=("low", "high"))
        if "unit" in value:
            unit = value["unit"]
            if unit not in UNITS:
                raise self.fail(
                    f"{field}.unit", f"expected one of {', '.join(UNITS)}, got {unit!r}{did_you_mean(unit, UNITS)}"
                )
            factor = unit_factor[unit]
        low = self.number(value["low"], f"{field}.low", positive=not allow_zero)
        high = self.number(value["high"], f"{field}.high", positive=not allow_zero)
        dist_name = value.get("dist")
        has_mode = "mode" in value
        if has_mode:
            mode = self.number(value["mode"], f"{field}.mode", positive=not allow_zero)
            if mode < low:
                raise self.fail(f"{field}.mode", f"must be >= low ({_fmt(low)}), got {_fmt(mode)}")
            if high < mode:
                raise self.fail(f"{field}.high", f"must be >= mode ({_fmt(mode)}), got {_fmt(high)}")
        else:
            if high < low:
                raise self.fail(f"{field}.high", f"must be >= low ({_fmt(low)}), got {_fmt(high)}")
            mode = (low + high) / 2
        allowed = ("pert", "triangular") if has_mode else ("uniform", "lognormal")
        if dist_name is None:
            dist = Dist.PERT if has_mode else Dist.UNIFORM
        else:
            if dist_name not in allowed:
                shape = "{low, mode, high}" if has_mode else "{low, high}"
                raise self.fail(
                    f"{field}.dist",
                    f"expected one of {', '.join(allowed)} for {shape},"
                    f" got {dist_name!r}{did_you_mean(str(dist_name), allowed)}",
                )
            dist = Dist(dist_name)
        if low == high:
            return Range.fixed(low * factor)
        if dist is Dist.LOGNORMAL:
            if low <= 0:
                raise self.fail(f"{field}.low", f"must be > 0 for a lognormal, got {_fmt(low)}")
            mode = math.sqrt(low * high)
        return Range(dist, low * factor, mode * factor, high * factor)

    def date(self, value: Any, field: str) -> _dt.date:
        if is_date(value):
            return value
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(field, f"expected an ISO date like 2025-02-03, got {value!r}")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    return f"{type(value).__name__} {value!r}"


def _fmt(x: float) -> str:
    return week_label(x) if math.isfinite(x) else str(x)


def _sub(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _unique_ids(r: _Reader, items: list, field: str, pattern: re.Pattern = ID_PATTERN) -> dict[str, int]:
    ids: dict[str, int] = {}
    for i, item in enumerate(items):
        f = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise r.fail(f, f"expected a mapping, got {_kind(item)}")
        if "id" not in item:
            raise r.fail(f, "missing required key 'id'")
        ident = r.identifier(item["id"], f"{f}.id", pattern)
        if ident in ids:
            raise r.fail(f"{f}.id", f"duplicate id '{ident}' (first used by {field}[{ids[ident]}])")
        ids[ident] = i
    return ids


def plan_from_source(src: Source) -> Plan:
    """Validate a parsed YAML document and build the `Plan`.

    Raises
    ------
    ForecastInputError
        With file, line, field path and what was expected, at the first problem found.
    """
    r = _Reader(src)
    doc = r.mapping(src.data, "", TOP_KEYS, required=("name", "tasks"))
    name = r.text(doc["name"], "name")
    start = r.date(doc["start"], "start") if doc.get("start") is not None else None
    units = doc.get("units", "days")
    if units not in UNITS:
        raise r.fail("units", f"expected one of {', '.join(UNITS)}, got {units!r}{did_you_mean(str(units), UNITS)}")
    hours_per_day = r.number(doc.get("hours_per_day", 8), "hours_per_day", positive=True, maximum=24)
    currency = r.text(doc.get("currency", "$"), "currency")
    deadlines = []
    for i, d in enumerate(r.sequence(doc.get("deadlines", []), "deadlines")):
        w = r.number(d, f"deadlines[{i}]", positive=True)
        if w in deadlines:
            raise r.fail(f"deadlines[{i}]", f"deadline week {week_label(w)} is listed twice")
        deadlines.append(w)
    baseline = (
        r.number(doc["baseline_weeks"], "baseline_weeks", positive=True)
        if doc.get("baseline_weeks") is not None
        else None
    )
    buffer = r.number(doc.get("buffer", 0.0), "buffer", maximum=10)
    if "buffer" in doc and baseline is None:
        raise r.fail("buffer", "needs baseline_weeks (the buffer is a fraction of it)")
    budget = r.number(doc["budget"], "budget", positive=True) if doc.get("budget") is not None else None
    team = (
        r.range(doc["team_hours_per_week"], "team_hours_per_week", allow_zero=False)
        if doc.get("team_hours_per_week") is not None
        else None
    )

    phases = []
    for i, p in enumerate(r.sequence(doc.get("phases", []) or [], "phases")):
        f = f"phases[{i}]"
        r.mapping(p, f, PHASE_KEYS, required=("name",))
        pname = r.text(p["name"], f"{f}.name")
        if any(q.name == pname for q in phases):
            raise r.fail(f"{f}.name", f"duplicate phase '{pname}'")
        ends = [
            r.number(p[k], f"{f}.{k}", positive=True) if p.get(k) is not None else None
            for k in ("original_end_week", "realistic_end_week")
        ]
        phases.append(Phase(pname, *ends))
    phase_names = [p.name for p in phases]

    workstreams = []
    ws_doc = doc.get("workstreams", {}) or {}
    if not isinstance(ws_doc, dict):
        raise r.fail("workstreams", f"expected a mapping of id -> workstream, got {_kind(ws_doc)}")
    for wid, w in ws_doc.items():
        f = f"workstreams.{wid}"
        r.identifier(wid, f)
        r.mapping(w, f, WORKSTREAM_KEYS)
        if ("hours_per_week" in w) == ("share" in w):
            raise r.fail(f, "needs exactly one of 'hours_per_week' (a range) and 'share' (of team_hours_per_week)")
        if "share" in w:
            if team is None:
                raise r.fail(f"{f}.share", "needs team_hours_per_week at the top level")
            share = r.number(w["share"], f"{f}.share", positive=True, maximum=1)
            workstreams.append(Workstream(wid, r.text(w.get("name", wid), f"{f}.name"), share=share))
        else:
            cap = r.range(w["hours_per_week"], f"{f}.hours_per_week", allow_zero=False)
            workstreams.append(Workstream(wid, r.text(w.get("name", wid), f"{f}.name"), hours_per_week=cap))
    ws_ids = {w.id: i for i, w in enumerate(workstreams)}

    hours = {u: unit_hours(u, hours_per_day) for u in UNITS}
    weeks = {u: unit_weeks(u, hours_per_day) for u in UNITS}
    raw_tasks = r.sequence(doc["tasks"], "tasks")
    if not raw_tasks:
        raise r.fail("tasks", "expected at least one task")
    task_ids = _unique_ids(r, raw_tasks, "tasks")
    tasks = []
    for i, t in enumerate(raw_tasks):
        f = f"tasks[{i}]"
        r.mapping(t, f, TASK_KEYS, required=("id",))
        tid = t["id"]
        if ("effort" in t) == ("duration" in t):
            raise r.fail(f, f"task '{tid}' needs exactly one of 'effort' (with a workstream) and 'duration'")
        ws = None
        if t.get("workstream") is not None:
            ws = r.identifier(t["workstream"], f"{f}.workstream")
            if ws not in ws_ids:
                raise r.fail(f"{f}.workstream", f"unknown workstream '{ws}'{did_you_mean(ws, ws_ids)}")
            if "duration" in t:
                raise r.fail(
                    f"{f}.duration",
                    f"task '{tid}' has a workstream, so it needs 'effort' (hours of work), not 'duration'",
                )
        elif "effort" in t:
            raise r.fail(f"{f}.effort", f"task '{tid}' has effort but no 'workstream' to supply capacity")
        phase = None
        if t.get("phase") is not None:
            phase = r.text(t["phase"], f"{f}.phase")
            if phases and phase not in phase_names:
                raise r.fail(f"{f}.phase", f"unknown phase '{phase}'{did_you_mean(phase, phase_names)}")
        after = r.id_list(t.get("after", []) or [], f"{f}.after", task_ids, "task")
        if tid in after:
            raise r.fail(f"{f}.after", f"task '{tid}' cannot come after itself")
        effort = r.range(t["effort"], f"{f}.effort", unit_factor=hours, default_unit=units) if "effort" in t else None
        duration = (
            r.range(t["duration"], f"{f}.duration", unit_factor=weeks, default_unit=units) if "duration" in t else None
        )
        notes = r.text(t["notes"], f"{f}.notes") if t.get("notes") is not None else ""
        tasks.append(Task(tid, r.text(t.get("name", tid), f"{f}.name"), phase, ws, effort, duration, after, notes))
    _check_graph(r, tasks)

    risks = []
    raw_risks = r.sequence(doc.get("risks", []) or [], "risks")
    _unique_ids(r, raw_risks, "risks")
    for i, k in enumerate(raw_risks):
        f = f"risks[{i}]"
        r.mapping(k, f, RISK_KEYS, required=("id", "probability", "tasks"))
        prob = k["probability"]
        if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not (0 <= float(prob) <= 1):
            raise r.fail(f"{f}.probability", f"expected a probability in [0, 1], got {prob!r}")
        listed = r.id_list(k["tasks"], f"{f}.tasks", task_ids, "task")
        if not listed:
            raise r.fail(f"{f}.tasks", "expected at least one task")
        kinds = {"effort" if tasks[task_ids[x]].workstream else "duration" for x in listed}
        for kind in ("effort", "duration"):
            if kind in kinds and kind not in k:
                who = next(x for x in listed if ("effort" if tasks[task_ids[x]].workstream else "duration") == kind)
                raise r.fail(
                    f, f"missing '{kind}': listed task '{who}' is a{'n' if kind == 'effort' else ''} {kind} task"
                )
            if kind in k and kind not in kinds:
                raise r.fail(f"{f}.{kind}", f"no listed task is a{'n' if kind == 'effort' else ''} {kind} task")
        effort = r.range(k["effort"], f"{f}.effort", unit_factor=hours, default_unit=units) if "effort" in k else None
        duration = (
            r.range(k["duration"], f"{f}.duration", unit_factor=weeks, default_unit=units) if "duration" in k else None
        )
        risks.append(Risk(k["id"], r.text(k.get("name", k["id"]), f"{f}.name"), float(prob), listed, effort, duration))

    milestones = []
    raw_ms = r.sequence(doc.get("milestones", []) or [], "milestones")
    _unique_ids(r, raw_ms, "milestones", MILESTONE_ID_PATTERN)
    for i, m in enumerate(raw_ms):
        f = f"milestones[{i}]"
        r.mapping(m, f, MILESTONE_KEYS, required=("id", "tasks", "target_week"))
        listed = r.id_list(m["tasks"], f"{f}.tasks", task_ids, "task")
        if not listed:
            raise r.fail(f"{f}.tasks", "expected at least one task")
        milestones.append(
            Milestone(
                m["id"],
                r.text(m.get("name", m["id"]), f"{f}.name"),
                listed,
                r.number(m["target_week"], f"{f}.target_week", positive=True),
            )
        )

    costs = []
    raw_costs = r.sequence(doc.get("costs", []) or [], "costs")
    _unique_ids(r, raw_costs, "costs")
    for i, c in enumerate(raw_costs):
        f = f"costs[{i}]"
        r.mapping(c, f, COST_KEYS, required=("id",))
        if ("per_month" in c) == ("per_hour" in c):
            raise r.fail(f, f"cost '{c['id']}' needs exactly one of 'per_month' and 'per_hour'")
        from_task = None
        if c.get("from_task") is not None:
            if "per_hour" in c:
                raise r.fail(f"{f}.from_task", "applies to per_month costs only")
            from_task = r.identifier(c["from_task"], f"{f}.from_task")
            if from_task not in task_ids:
                raise r.fail(f"{f}.from_task", f"unknown task '{from_task}'{did_you_mean(from_task, task_ids)}")
        streams = None
        if c.get("workstreams") is not None:
            if "per_month" in c:
                raise r.fail(f"{f}.workstreams", "applies to per_hour costs only")
            streams = r.id_list(c["workstreams"], f"{f}.workstreams", ws_ids, "workstream")
        per_month = r.range(c["per_month"], f"{f}.per_month") if "per_month" in c else None
        per_hour = r.range(c["per_hour"], f"{f}.per_hour") if "per_hour" in c else None
        costs.append(
            Cost(c["id"], r.text(c.get("name", c["id"]), f"{f}.name"), per_month, per_hour, from_task, streams)
        )

    return Plan(
        name=name,
        tasks=tuple(tasks),
        source=src.path,
        start=start,
        units=units,
        hours_per_day=hours_per_day,
        currency=currency,
        deadlines=tuple(deadlines),
        baseline_weeks=baseline,
        buffer=buffer,
        budget=budget,
        team_hours_per_week=team,
        phases=tuple(phases),
        workstreams=tuple(workstreams),
        risks=tuple(risks),
        milestones=tuple(milestones),
        costs=tuple(costs),
    )


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


def _check_graph(r: _Reader, tasks: list[Task]) -> None:
    preds = scheduling_edges(tasks)
    cycle = find_cycle(preds)
    if cycle is None:
        return
    ids = [tasks[i].id for i in cycle]
    first = cycle[0]
    path = " -> ".join(ids + [ids[0]])
    msg = f"dependency cycle: {path} (each waits for the next"
    if any(
        tasks[cycle[k]].workstream and tasks[cycle[(k + 1) % len(cycle)]].id not in tasks[cycle[k]].after
        for k in range(len(cycle))
    ):
        msg += "; a workstream does its tasks in file order, so list a task after the tasks it depends on"
    raise r.fail(f"tasks[{first}].after", msg + ")")


def load_plan(path: str | Path) -> Plan:
    """Read, parse and validate a plan file.

    Parameters
    ----------
    path : str or Path
        YAML plan file.

    Returns
    -------
    Plan

    Raises
    ------
    ForecastInputError
        For a missing or unreadable file, bad YAML, or an invalid plan.

    Examples
    --------
    >>> plan = load_plan("data/plans/lekhok_deployment.yaml")  # doctest: +SKIP
    >>> plan.baseline_weeks
    12.0
    """
    return plan_from_source(load_yaml(path))


def plan_from_text(text: str, path: str = "<text>") -> Plan:
    """Parse and validate a plan given as YAML text (handy in tests and notebooks)."""
    return plan_from_source(parse_yaml(text, path))

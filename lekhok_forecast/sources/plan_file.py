"""The plan file: parse and validate YAML once into the frozen `lekhok_forecast.core.plan` types.

Every unit is converted here: effort in hours, durations in weeks, capacity in hours per
week, money in the plan's currency. See ``docs/plan-format.md`` for the format. Errors are
one line: file, line, field path and what was expected (`ForecastInputError`).
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from lekhok_forecast.core.graph import find_cycle
from lekhok_forecast.core.plan import (
    STORY_PARTS,
    UNITS,
    Correlation,
    CorrelationGroup,
    Cost,
    Milestone,
    Phase,
    Plan,
    ReportStory,
    Risk,
    Task,
    Workstream,
    scheduling_edges,
    unit_hours,
    unit_weeks,
    week_label,
)
from lekhok_forecast.core.workdays import DEFAULT_CALENDAR, WEEKDAYS, WorkCalendar
from lekhok_forecast.errors import did_you_mean
from lekhok_forecast.sources.fields import ID_PATTERN, FieldReader, kind_of
from lekhok_forecast.sources.yamlsource import Source, load_yaml, parse_yaml

#: Milestone ids may use capitals (``M1``), unlike other ids.
MILESTONE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")

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
    "calendar",
    "correlation",
    "report",
    "description",
    "scenarios",
    "actuals",
)
REPORT_KEYS = ("title", "context", "questions", "notes")
CALENDAR_KEYS = ("workdays", "holidays")
#: Weekdays written out (``monday``) are accepted beside `WEEKDAYS` (``mon``).
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PHASE_KEYS = ("name", "original_end_week", "realistic_end_week", "description")
WORKSTREAM_KEYS = ("name", "hours_per_week", "share", "unavailable", "description")
TASK_KEYS = ("id", "name", "phase", "workstream", "effort", "duration", "after", "notes", "optional")
RISK_KEYS = ("id", "name", "probability", "tasks", "effort", "duration", "notes")
MILESTONE_KEYS = ("id", "name", "tasks", "target_week")
COST_KEYS = ("id", "name", "per_month", "per_hour", "from_task", "workstreams", "notes")
CORRELATION_KEYS = ("overrun", "groups")
CORRELATION_GROUP_KEYS = ("tasks", "sigma", "notes")
#: Largest log-scale spread a correlation factor may have (exp(3 * 1.645): a P95 of 140x).
MAX_CORRELATION_SIGMA = 3.0


def _unique_ids(r: FieldReader, items: list, field: str, pattern: re.Pattern = ID_PATTERN) -> dict[str, int]:
    ids: dict[str, int] = {}
    for i, item in enumerate(items):
        f = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise r.fail(f, f"expected a mapping, got {kind_of(item)}")
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
    r = FieldReader(src)
    doc = r.mapping(src.data, "", TOP_KEYS, required=("name", "tasks"))
    name = r.text(doc["name"], "name")
    for folder in ("scenarios", "actuals"):  # where they are is `sources.plan_folders`' rule; here only their type
        if doc.get(folder) is not None:
            r.text(doc[folder], folder)
    start = r.date(doc["start"], "start") if doc.get("start") is not None else None
    calendar = _calendar(r, doc.get("calendar"))
    if start is not None and not calendar.is_workday(start):
        first = calendar.next_workday(start)
        raise r.fail(
            "start",
            f"{start:%A %Y-%m-%d} is not a working day of the calendar;"
            f" start on a working day, e.g. {first:%A %Y-%m-%d}",
        )
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
    buffer = r.fraction(doc.get("buffer", 0.0), "buffer")
    if "buffer" in doc and baseline is None:
        raise r.fail("buffer", "needs baseline_weeks (the buffer is a fraction of it)")
    budget = r.number(doc["budget"], "budget", positive=True) if doc.get("budget") is not None else None
    team = (
        r.range(doc["team_hours_per_week"], "team_hours_per_week", allow_zero=False)
        if doc.get("team_hours_per_week") is not None
        else None
    )

    phases: list[Phase] = []
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
        raise r.fail("workstreams", f"expected a mapping of id -> workstream, got {kind_of(ws_doc)}")
    for wid, w in ws_doc.items():
        f = f"workstreams.{wid}"
        r.identifier(wid, f)
        r.mapping(w, f, WORKSTREAM_KEYS)
        if ("hours_per_week" in w) == ("share" in w):
            raise r.fail(f, "needs exactly one of 'hours_per_week' (a range) and 'share' (of team_hours_per_week)")
        off = _weeks_off(r, w.get("unavailable"), f"{f}.unavailable")
        if "share" in w:
            if team is None:
                raise r.fail(f"{f}.share", "needs team_hours_per_week at the top level")
            share = r.number(w["share"], f"{f}.share", positive=True, maximum=1)
            workstreams.append(Workstream(wid, r.text(w.get("name", wid), f"{f}.name"), share=share, unavailable=off))
        else:
            cap = r.range(w["hours_per_week"], f"{f}.hours_per_week", allow_zero=False)
            workstreams.append(
                Workstream(wid, r.text(w.get("name", wid), f"{f}.name"), hours_per_week=cap, unavailable=off)
            )
    ws_ids = {w.id: i for i, w in enumerate(workstreams)}

    hours = {u: unit_hours(u, hours_per_day, calendar.days_per_week) for u in UNITS}
    weeks = {u: unit_weeks(u, hours_per_day, calendar.days_per_week) for u in UNITS}
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
        optional = r.boolean(t["optional"], f"{f}.optional") if t.get("optional") is not None else False
        task_name = r.text(t.get("name", tid), f"{f}.name")
        tasks.append(Task(tid, task_name, phase, ws, effort, duration, after, notes, optional))
    _check_graph(r, tasks)

    risks = []
    raw_risks = r.sequence(doc.get("risks", []) or [], "risks")
    _unique_ids(r, raw_risks, "risks")
    for i, k in enumerate(raw_risks):
        f = f"risks[{i}]"
        r.mapping(k, f, RISK_KEYS, required=("id", "probability", "tasks"))
        prob = r.fraction(k["probability"], f"{f}.probability")
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

    correlation = _correlation(r, doc.get("correlation"), task_ids)
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
        calendar=calendar,
        correlation=correlation,
        report=_report_story(r, doc.get("report")),
    )


def _report_story(r: FieldReader, value: object) -> ReportStory:
    """The optional ``report:`` section: title, context, and a question and note per part."""
    if value is None:
        return ReportStory()
    doc = r.mapping(value, "report", REPORT_KEYS)
    by_part: dict[str, tuple[tuple[str, str], ...]] = {}
    for key in ("questions", "notes"):
        if doc.get(key) is None:
            by_part[key] = ()
            continue
        parts = r.mapping(doc[key], f"report.{key}", STORY_PARTS)
        by_part[key] = tuple((p, r.text(parts[p], f"report.{key}.{p}")) for p in STORY_PARTS if p in parts)
    return ReportStory(
        title=r.text(doc["title"], "report.title") if doc.get("title") is not None else None,
        context=r.text(doc["context"], "report.context") if doc.get("context") is not None else None,
        questions=by_part["questions"],
        notes=by_part["notes"],
    )


def _correlation(r: FieldReader, value: object, task_ids: dict[str, int]) -> Correlation:
    """The `correlation:` section: a plan-wide ``overrun`` spread and ``groups`` of tasks with theirs."""
    if value is None:
        return Correlation()
    doc = r.mapping(value, "correlation", CORRELATION_KEYS)
    overrun = 0.0
    if doc.get("overrun") is not None:
        overrun = r.number(doc["overrun"], "correlation.overrun", maximum=MAX_CORRELATION_SIGMA)
    groups = []
    for i, g in enumerate(r.sequence(doc.get("groups", []) or [], "correlation.groups")):
        f = f"correlation.groups[{i}]"
        r.mapping(g, f, CORRELATION_GROUP_KEYS, required=("tasks", "sigma"))
        listed = r.id_list(g["tasks"], f"{f}.tasks", task_ids, "task")
        if len(listed) < 2:
            raise r.fail(f"{f}.tasks", "expected at least two tasks (a group makes them overrun together)")
        sigma = r.number(g["sigma"], f"{f}.sigma", positive=True, maximum=MAX_CORRELATION_SIGMA)
        groups.append(CorrelationGroup(listed, sigma))
    return Correlation(overrun, tuple(groups))


def _weeks_off(r: FieldReader, value: object, field: str) -> tuple[int, ...]:
    """A workstream's `unavailable:` weeks: distinct whole plan week numbers >= 1 (week 5 = weeks 4-5)."""
    if value is None:
        return ()
    weeks: list[int] = []
    for i, w in enumerate(r.sequence(value, field)):
        x = r.number(w, f"{field}[{i}]", positive=True)
        if not x.is_integer():
            raise r.fail(f"{field}[{i}]", f"expected a whole week number (week 5 is plan weeks 4-5), got {w}")
        if int(x) in weeks:
            raise r.fail(f"{field}[{i}]", f"week {int(x)} is listed twice")
        weeks.append(int(x))
    return tuple(sorted(weeks))


def _calendar(r: FieldReader, value: object) -> WorkCalendar:
    """The `calendar:` section: working weekdays (names) and holidays (dates); default Monday to Friday."""
    if value is None:
        return DEFAULT_CALENDAR
    doc = r.mapping(value, "calendar", CALENDAR_KEYS)
    workdays = DEFAULT_CALENDAR.workdays
    if doc.get("workdays") is not None:
        days: list[int] = []
        for i, d in enumerate(r.sequence(doc["workdays"], "calendar.workdays")):
            f = f"calendar.workdays[{i}]"
            name = str(d).strip().lower() if isinstance(d, str) else ""
            name = WEEKDAYS[WEEKDAY_NAMES.index(name)] if name in WEEKDAY_NAMES else name
            if name not in WEEKDAYS:
                raise r.fail(f, f"expected a weekday like mon, got {d!r}{did_you_mean(str(d), WEEKDAYS)}")
            if WEEKDAYS.index(name) in days:
                raise r.fail(f, f"'{name}' is listed twice")
            days.append(WEEKDAYS.index(name))
        if not days:
            raise r.fail("calendar.workdays", "expected at least one working day, e.g. [mon, tue, wed, thu, fri]")
        workdays = tuple(sorted(days))
    holidays: set[_dt.date] = set()
    for i, h in enumerate(r.sequence(doc.get("holidays", []) or [], "calendar.holidays")):
        day = r.date(h, f"calendar.holidays[{i}]")
        if day in holidays:
            raise r.fail(f"calendar.holidays[{i}]", f"{day.isoformat()} is listed twice")
        holidays.add(day)
    return WorkCalendar(workdays, frozenset(holidays))


def _check_graph(r: FieldReader, tasks: list[Task]) -> None:
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

"""The plan format: parsing, unit conversion, defaults and scheduling edges.

Bad plans are tested class by class through the CLI in test_cli.py; here are the
library-level details of a valid plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from conftest import make_plan

from lekhok_forecast.config import DEFAULT_PLAN
from lekhok_forecast.core.distributions import Dist, Range
from lekhok_forecast.core.plan import (
    Plan,
    Task,
    scheduling_edges,
    unit_hours,
    unit_weeks,
    week_label,
)
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.plan_file import load_plan, plan_from_text

FULL = """
    name: Full plan
    start: 2025-02-03
    units: days
    hours_per_day: 8
    currency: EUR
    deadlines: [12, 14.5]
    baseline_weeks: 12
    buffer: 0.2
    budget: 20000
    team_hours_per_week: {low: 20, high: 30}
    phases:
      - {name: Build, original_end_week: 3, realistic_end_week: 4}
      - {name: Ship}
    workstreams:
      infra: {name: Infrastructure, share: 0.7}
      pay: {share: 0.3}
      ops: {hours_per_week: {low: 14, high: 21}}
    tasks:
      - id: learn
        phase: Build
        workstream: infra
        effort: {low: 10, high: 15, unit: hours}
      - id: docker
        name: Dockerfiles
        phase: Build
        workstream: infra
        effort: {low: 1, mode: 1.5, high: 2}
        after: [learn]
      - id: tri
        workstream: ops
        effort: {low: 1, mode: 2, high: 4, dist: triangular, unit: weeks}
      - id: review
        phase: Ship
        duration: {low: 1, mode: 2, high: 4}
        after: [docker, tri]
      - id: wait
        duration: {low: 2, high: 8, dist: lognormal, unit: weeks}
      - id: fixed
        workstream: pay
        effort: 3
      - id: same
        duration: {low: 2, mode: 2, high: 2}
    risks:
      - {id: r1, probability: 0.5, tasks: [docker, review], effort: {low: 1, high: 3}, duration: 1}
    milestones:
      - {id: M1, name: Containers run, tasks: [docker], target_week: 2}
    costs:
      - {id: cloud, per_month: {low: 200, high: 500}, from_task: docker}
      - {id: eng, per_hour: 60, workstreams: [infra, pay]}
"""


@pytest.fixture(scope="module")
def full() -> Plan:
    return make_plan(FULL, "full.yaml")


def test_top_level(full):
    assert full.name == "Full plan" and full.source == "full.yaml"
    assert full.start == dt.date(2025, 2, 3)
    assert (full.units, full.hours_per_day, full.currency) == ("days", 8.0, "EUR")
    assert full.deadlines == (12.0, 14.5)
    assert (full.baseline_weeks, full.buffer, full.budget) == (12.0, 0.2, 20000.0)
    assert full.team_hours_per_week == Range(Dist.UNIFORM, 20, 25, 30)
    assert [p.name for p in full.phases] == ["Build", "Ship"]
    assert (full.phases[0].original_end_week, full.phases[0].realistic_end_week) == (3, 4)
    assert full.phases[1].original_end_week is None


def test_workstreams(full):
    infra, pay, ops = full.workstreams
    assert (infra.id, infra.name, infra.share, infra.hours_per_week) == ("infra", "Infrastructure", 0.7, None)
    assert pay.name == "pay"  # name defaults to the id
    assert ops.hours_per_week == Range(Dist.UNIFORM, 14, 17.5, 21) and ops.share is None


def test_units_are_converted_once(full):
    t = {x.id: x for x in full.tasks}
    assert t["learn"].effort_hours == Range(Dist.UNIFORM, 10, 12.5, 15)  # unit: hours override
    assert t["docker"].effort_hours == Range(Dist.PERT, 8, 12, 16)  # days x 8 h
    assert t["tri"].effort_hours == Range(Dist.TRIANGULAR, 40, 80, 160)  # weeks x 5 days x 8 h
    assert t["review"].duration_weeks == Range(Dist.PERT, 0.2, 0.4, 0.8)  # days / 5
    assert t["wait"].duration_weeks.dist is Dist.LOGNORMAL
    assert t["wait"].duration_weeks.mode == pytest.approx(4.0)  # median sqrt(low high)
    assert t["fixed"].effort_hours == Range.fixed(24)
    assert t["same"].duration_weeks == Range.fixed(0.4)  # low == mode == high: fixed
    assert t["docker"].estimate is t["docker"].effort_hours
    assert t["review"].estimate is t["review"].duration_weeks


def test_task_fields(full):
    t = {x.id: x for x in full.tasks}
    assert t["docker"].name == "Dockerfiles" and t["learn"].name == "learn"
    assert t["docker"].after == ("learn",) and t["review"].after == ("docker", "tri")
    assert t["docker"].phase == "Build" and t["wait"].phase is None
    assert t["review"].workstream is None and t["review"].effort_hours is None


def test_risks_milestones_costs(full):
    (r,) = full.risks
    assert (r.id, r.name, r.probability, r.tasks) == ("r1", "r1", 0.5, ("docker", "review"))
    assert r.effort_hours == Range(Dist.UNIFORM, 8, 16, 24) and r.duration_weeks == Range.fixed(0.2)
    (m,) = full.milestones
    assert (m.id, m.name, m.tasks, m.target_week) == ("M1", "Containers run", ("docker",), 2.0)
    cloud, eng = full.costs
    assert cloud.per_month == Range(Dist.UNIFORM, 200, 350, 500)  # money: no unit conversion
    assert cloud.from_task == "docker" and cloud.per_hour is None
    assert eng.per_hour == Range.fixed(60) and eng.workstreams == ("infra", "pay")


def test_cost_rate_and_task_estimate_are_the_one_range_set(full):
    cloud, eng = full.costs
    assert cloud.rate == cloud.per_month and eng.rate == eng.per_hour
    with pytest.raises(ValueError, match="neither per_month nor per_hour"):
        _ = dataclasses.replace(cloud, per_month=None).rate
    t = full.tasks[0]
    with pytest.raises(ValueError, match="neither effort_hours nor duration_weeks"):
        _ = dataclasses.replace(t, effort_hours=None, duration_weeks=None).estimate


def test_defaults():
    p = make_plan("""
        name: tiny
        tasks:
          - {id: a, duration: 5}
        """)
    assert (p.units, p.hours_per_day, p.currency, p.deadlines, p.buffer) == ("days", 8.0, "$", (), 0.0)
    assert p.start is None and p.baseline_weeks is None and p.budget is None
    assert p.workstreams == p.risks == p.milestones == p.costs == p.phases == ()
    assert p.tasks[0].duration_weeks == Range.fixed(1.0)
    assert p.source == "<test>"


def test_units_hours_and_weeks():
    p = make_plan("""
        name: u
        units: hours
        hours_per_day: 6
        workstreams: {w: {hours_per_week: 10}}
        tasks:
          - {id: a, duration: 60}
          - {id: b, workstream: w, effort: 7}
        """)
    assert p.tasks[0].duration_weeks == Range.fixed(2.0)  # 60 h / (6 h x 5 days)
    assert p.tasks[1].effort_hours == Range.fixed(7.0)
    assert unit_hours("weeks", 6) == 30 and unit_weeks("days", 6) == 0.2 and unit_weeks("weeks", 3) == 1


def test_scheduling_edges_add_the_workstream_predecessor(full):
    ids = [t.id for t in full.tasks]
    preds = scheduling_edges(full.tasks)
    named = {ids[i]: sorted(ids[p] for p in ps) for i, ps in enumerate(preds)}
    assert named["docker"] == ["learn"]  # `after` and the same workstream, counted once
    assert named["tri"] == []  # first task of ops
    assert named["review"] == ["docker", "tri"]
    assert named["fixed"] == []  # first of pay; shares of one team still run in parallel
    tasks = [
        Task("a", "a", None, "w", Range.fixed(1), None),
        Task("b", "b", None, None, None, Range.fixed(1)),
        Task("c", "c", None, "w", Range.fixed(1), None, after=("b",)),
    ]
    assert scheduling_edges(tasks) == [(), (), (1, 0)]


def test_phase_names_and_dates(full):
    assert full.phase_names() == ("Build", "Ship")
    no_phases = full.with_changes(phases=())
    assert no_phases.phase_names() == ("Build", "Ship")  # from the tasks, in file order
    assert full.date_of_week(0) == dt.date(2025, 2, 3)
    assert full.date_of_week(2) == dt.date(2025, 2, 14)  # the second week's last working day (Friday)
    assert full.date_of_week(0.3) == dt.date(2025, 2, 4)  # 1.5 working days: on the second day
    assert full.with_changes(start=None).date_of_week(3) is None
    assert full.date_of_week(float("nan")) is None


def test_indexes(full):
    assert full.task_index()["review"] == 3
    assert full.workstream_index() == {"infra": 0, "pay": 1, "ops": 2}


def test_plans_are_frozen(full):
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.name = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.tasks[0].after = ()  # type: ignore[misc]
    assert isinstance(full.tasks, tuple) and isinstance(full.tasks[1].after, tuple)
    changed = full.with_changes(buffer=0.3)
    assert changed.buffer == 0.3 and full.buffer == 0.2


@pytest.mark.parametrize("week, label", [(12, "12"), (12.0, "12"), (1.5, "1.5"), (0.25, "0.25")])
def test_week_label(week, label):
    assert week_label(week) == label


def test_lekhok_plan_encodes_the_report(lekhok_plan):
    p = lekhok_plan
    assert (p.baseline_weeks, p.buffer, p.deadlines) == (12, 0.2, (12, 14, 16))
    assert (p.team_hours_per_week.low, p.team_hours_per_week.high) == (20, 30)
    assert {w.id: w.share for w in p.workstreams} == {"infra": 0.7, "payments": 0.3}
    assert [(m.id, m.target_week) for m in p.milestones] == [("M1", 2), ("M2", 4), ("M3", 6), ("M4", 9)]
    assert [(ph.original_end_week, ph.realistic_end_week) for ph in p.phases] == [(3, 4), (6, 8), (9, 11), (12, 14)]
    assert {c.id for c in p.costs} >= {"cloud"}
    assert len(p.risks) >= 4


def test_load_plan_and_plan_from_text_agree(lekhok_path):
    text = open(lekhok_path, encoding="utf-8").read()
    assert plan_from_text(text, lekhok_path) == load_plan(lekhok_path)


def test_integer_too_large_for_a_float_is_a_clean_error():
    with pytest.raises(ForecastInputError, match=r"^<test>:5: tasks\[0\]\.duration\.high: must be a finite number"):
        make_plan(
            """
            name: x
            tasks:
              - id: a
                duration: {low: 1, high: %s}
            """
            % ("1" + "0" * 400)
        )


SMALL = """\
name: small
start: 2025-02-03
baseline_weeks: 12
buffer: 0.2
calendar:
  holidays: [2025-02-05]
workstreams:
  a: {hours_per_week: 20}
tasks:
  - id: t
    workstream: a
    effort: {low: 1, high: 2}
risks:
  - {id: r, probability: 0.5, tasks: [t], effort: 1}
"""


def _error(text: str) -> str:
    with pytest.raises(ForecastInputError) as info:
        plan_from_text(text, "p.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "buffer: 0.2",
            "buffer: 20",
            "p.yaml:4: buffer: must be a fraction of at most 1, got 20; write 20% as 0.2 (or as 20%)",
        ),
        (
            "buffer: 0.2",
            "buffer: 5",
            "p.yaml:4: buffer: must be a fraction of at most 1, got 5; write 5% as 0.05 (or as 5%)",
        ),
        (
            "buffer: 0.2",
            "buffer: 250",
            "p.yaml:4: buffer: must be a fraction of at most 1, got 250; write 20% as 0.2 (or as 20%)",
        ),
        ("buffer: 0.2", "buffer: 120%", "p.yaml:4: buffer: must be between 0% and 100%, got 120%"),
        (
            "buffer: 0.2",
            "buffer: lots",
            "p.yaml:4: buffer: expected a fraction like 0.2 or a percentage like 20%, got text 'lots'",
        ),
        (
            "probability: 0.5",
            "probability: 50",
            "p.yaml:14: risks[0].probability: must be a fraction of at most 1, got 50; write 50% as 0.5 (or as 50%)",
        ),
        (
            "effort: {low: 1, high: 2}",
            'effort: "3-5 days"',
            "p.yaml:12: tasks[0].effort: a range is a mapping, not text: write '3-5 days' as {low: 3, high: 5}",
        ),
        (
            "effort: {low: 1, high: 2}",
            "effort: 3 to 5 hours",
            "p.yaml:12: tasks[0].effort: a range is a mapping, not text:"
            " write '3 to 5 hours' as {low: 3, high: 5, unit: hours}",
        ),
        (
            "start: 2025-02-03",
            "start: 2025-02-08",
            "p.yaml:2: start: Saturday 2025-02-08 is not a working day of the calendar;"
            " start on a working day, e.g. Monday 2025-02-10",
        ),
        (
            "start: 2025-02-03",
            "start: 2025-02-05",
            "p.yaml:2: start: Wednesday 2025-02-05 is not a working day of the calendar;"
            " start on a working day, e.g. Thursday 2025-02-06",
        ),
        (
            "calendar:\n",
            "calendar:\n  workdays: [mon, tue, wedn]\n",
            "p.yaml:6: calendar.workdays[2]: expected a weekday like mon, got 'wedn' (did you mean 'wed'?)",
        ),
        (
            "calendar:\n",
            "calendar:\n  workdays: [mon, mon]\n",
            "p.yaml:6: calendar.workdays[1]: 'mon' is listed twice",
        ),
        (
            "calendar:\n",
            "calendar:\n  workdays: []\n",
            "p.yaml:6: calendar.workdays: expected at least one working day, e.g. [mon, tue, wed, thu, fri]",
        ),
        (
            "[2025-02-05]",
            "[2025-02-05, 2025-02-05]",
            "p.yaml:6: calendar.holidays[1]: 2025-02-05 is listed twice",
        ),
        ("[2025-02-05]", "[soon]", "p.yaml:6: calendar.holidays[0]: expected an ISO date like 2025-02-03, got 'soon'"),
        (
            "  holidays:",
            "  holiday:",
            "p.yaml:6: calendar.holiday: unknown key 'holiday' (did you mean 'holidays'?);"
            " expected one of: workdays, holidays",
        ),
    ],
)
def test_input_mistakes_get_the_right_form(old, new, message):
    assert old in SMALL
    assert _error(SMALL.replace(old, new)) == message


def test_buffer_and_probability_as_percentages():
    p = plan_from_text(SMALL.replace("buffer: 0.2", "buffer: 20%").replace("probability: 0.5", "probability: '50%'"))
    assert p.buffer == 0.2 and p.risks[0].probability == 0.5
    assert plan_from_text(SMALL).calendar.holidays == {dt.date(2025, 2, 5)}


def test_report_section_tells_the_plans_story():
    """The optional `report:` section: title, context, a question and a note per part."""
    from lekhok_forecast.core.plan import ReportStory

    lekhok = load_plan(DEFAULT_PLAN)
    assert lekhok.report.title == "Lekhok deployment"
    assert lekhok.report.question("schedule_risk") == "12 weeks, or 14-16?"
    assert "28 January 2025" in (lekhok.report.note("schedule_risk") or "")
    assert lekhok.report.question("scenarios") is None  # not given: a generic question is used
    text = (
        "name: p\ntasks:\n  - {id: t, duration: 1}\nreport:\n  title: Shop\n"
        "  questions: {buffers: Enough?}\n  notes: {weekly_status: Why we track.}\n"
    )
    story = plan_from_text(text, "p.yaml").report
    assert story == ReportStory("Shop", None, (("buffers", "Enough?"),), (("weekly_status", "Why we track."),))
    assert plan_from_text("name: p\ntasks:\n  - {id: t, duration: 1}\n", "p.yaml").report == ReportStory()


@pytest.mark.parametrize(
    "section, message",
    [
        ("report: {titel: x}", "p.yaml:4: report.titel: unknown key 'titel' (did you mean 'title'?)"),
        ("report: {questions: {budget: x}}", "p.yaml:4: report.questions.budget: unknown key 'budget'"),
        ("report: {title: ''}", "p.yaml:4: report.title: must not be empty"),
        ("report: [x]", "p.yaml:4: report: expected a mapping, got a list"),
    ],
)
def test_report_section_errors_name_the_field(section, message):
    text = f"name: p\ntasks:\n  - {{id: t, duration: 1}}\n{section}\n"
    assert _error(text).startswith(message)

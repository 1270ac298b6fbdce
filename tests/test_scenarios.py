"""Scenario overlays: set/add/remove semantics, errors that name the scenario file, the shipped scenarios."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from lekhok_forecast.analysis.compare import scenario_table
from lekhok_forecast.app.scenarios import BASELINE, run_scenarios
from lekhok_forecast.config import DEFAULT_PLAN, SCENARIOS_DIR
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.plan_file import load_plan
from lekhok_forecast.sources.scenario_file import (
    load_plan_with_scenarios,
    load_scenario,
    scenario_from_dict,
    scenario_paths,
)

PLAN = """\
name: toy
units: days
hours_per_day: 8
baseline_weeks: 4
buffer: 0.25
budget: 10000
team_hours_per_week: {low: 20, high: 30}
workstreams:
  dev: {share: 0.6}
  ops: {share: 0.4}
tasks:
  - {id: a, workstream: dev, effort: {low: 1, mode: 2, high: 3}}
  - {id: b, workstream: dev, effort: {low: 1, mode: 2, high: 4}, after: [a]}
  - {id: c, workstream: ops, effort: 2, after: [b]}
  - {id: d, duration: {low: 1, high: 2}, after: [c]}
risks:
  - {id: r1, probability: 0.5, tasks: [b], effort: {low: 1, high: 2}}
  - {id: r2, probability: 0.5, tasks: [b, d], effort: 1, duration: 1}
milestones:
  - {id: M1, tasks: [b], target_week: 2}
  - {id: M2, tasks: [b, c], target_week: 3}
costs:
  - {id: cloud, per_month: 300, from_task: b}
  - {id: eng, per_hour: 50}
"""


@pytest.fixture
def files(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")

    def scenario(text: str, name: str = "scen.yaml") -> str:
        p = tmp_path / name
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(p)

    return str(plan), scenario


def _task(plan, tid):
    return plan.tasks[plan.task_index()[tid]]


# ------------------------------------------------------------------------ set


def test_set_replaces_scalars_and_merges_mappings(files):
    plan_path, scenario = files
    s = scenario("""\
        name: more hours
        set:
          buffer: 0.5
          team_hours_per_week: 30
          workstreams: {ops: {name: Operations}}
    """)
    plan = load_plan_with_scenarios(plan_path, [s])
    assert plan.buffer == 0.5
    assert plan.team_hours_per_week.low == plan.team_hours_per_week.high == 30
    ops = plan.workstreams[plan.workstream_index()["ops"]]
    assert ops.name == "Operations" and ops.share == pytest.approx(0.4)  # merged, share kept


def test_set_patches_list_items_by_id(files):
    plan_path, scenario = files
    s = scenario("""\
        name: patch
        set:
          tasks:
            b: {effort: {high: 6}, after: []}
          milestones:
            M2: {target_week: 5}
          costs:
            eng: {per_hour: 80}
    """)
    plan = load_plan_with_scenarios(plan_path, [s])
    base = load_plan(plan_path)
    b, b0 = _task(plan, "b"), _task(base, "b")
    assert b.effort_hours.high == pytest.approx(6 * 8)  # merged: only high changed
    assert b.effort_hours.low == b0.effort_hours.low and b.effort_hours.mode == b0.effort_hours.mode
    assert b.after == ()
    assert plan.milestones[1].target_week == 5
    assert plan.costs[1].per_hour.low == 80
    assert [t.id for t in plan.tasks] == [t.id for t in base.tasks]  # order kept


def test_complete_range_replaces_old_range_and_null_deletes(files):
    plan_path, scenario = files
    s = scenario("""\
        name: ranges
        set:
          tasks:
            a: {effort: {low: 5, high: 7}}
          budget: null
    """)
    plan = load_plan_with_scenarios(plan_path, [s])
    a = _task(plan, "a")
    assert (a.effort_hours.low, a.effort_hours.high) == (40, 56)
    assert a.effort_hours.dist.value == "uniform"  # the old mode did not survive
    assert plan.budget is None


def test_base_plan_file_is_not_changed(files):
    plan_path, scenario = files
    before = open(plan_path, encoding="utf-8").read()
    load_plan_with_scenarios(plan_path, [scenario("name: x\nset: {buffer: 0}\n")])
    assert open(plan_path, encoding="utf-8").read() == before
    assert load_plan(plan_path).buffer == 0.25


# ------------------------------------------------------------------------ add


def test_add_appends_items_and_workstreams(files):
    plan_path, scenario = files
    s = scenario("""\
        name: consultant
        add:
          workstreams:
            extra: {hours_per_week: 10}
          tasks:
            - {id: e, workstream: extra, effort: 1, after: [a]}
          costs:
            - {id: consultant, per_hour: 100, workstreams: [extra]}
          deadlines: [6]
        set:
          costs:
            eng: {workstreams: [dev, ops]}
    """)
    plan = load_plan_with_scenarios(plan_path, [s])
    assert plan.tasks[-1].id == "e" and plan.tasks[-1].workstream == "extra"
    assert [c.id for c in plan.costs] == ["cloud", "eng", "consultant"]
    assert plan.costs[1].workstreams == ("dev", "ops")
    assert plan.deadlines == (6.0,)
    r = simulate(plan, 2_000, 1)
    ws = plan.workstream_index()
    # the consultant is paid for exactly the extra workstream's hours
    np.testing.assert_allclose(r.cost_by_item[2], 100 * r.hours_by_workstream[ws["extra"]], rtol=1e-6)


def test_add_existing_workstream_is_an_error(files):
    plan_path, scenario = files
    s = scenario("name: dup\nadd:\n  workstreams:\n    dev: {hours_per_week: 5}\n")
    with pytest.raises(ForecastInputError) as err:
        load_plan_with_scenarios(plan_path, [s])
    assert str(err.value).startswith(f"{s}:4: add.workstreams.dev: workstream 'dev' is already in the plan")


# --------------------------------------------------------------------- remove


def test_remove_task_bridges_dependencies_and_cleans_references(files):
    plan_path, scenario = files
    s = scenario("name: drop b\nremove:\n  tasks: [b]\n")
    plan = load_plan_with_scenarios(plan_path, [s])
    assert [t.id for t in plan.tasks] == ["a", "c", "d"]
    assert _task(plan, "c").after == ("a",)  # inherited b's own predecessor
    assert [r.id for r in plan.risks] == ["r2"]  # r1 listed only b: gone
    assert plan.risks[0].tasks == ("d",)
    assert plan.risks[0].effort_hours is None  # no effort task left for it
    assert plan.risks[0].duration_weeks is not None
    assert [m.id for m in plan.milestones] == ["M2"]  # M1 listed only b: gone
    assert plan.milestones[0].tasks == ("c",)
    assert plan.costs[0].from_task is None  # cloud now accrues from week 0


def test_remove_other_sections(files):
    plan_path, scenario = files
    s = scenario("""\
        name: lean
        remove:
          risks: [r1]
          milestones: [M1]
          costs: [cloud]
    """)
    plan = load_plan_with_scenarios(plan_path, [s])
    assert [r.id for r in plan.risks] == ["r2"]
    assert [m.id for m in plan.milestones] == ["M2"]
    assert [c.id for c in plan.costs] == ["eng"]


def test_scenarios_apply_in_order(files):
    plan_path, scenario = files
    first = scenario("name: one\nset: {buffer: 0.1}\n", "one.yaml")
    second = scenario("name: two\nset: {buffer: 0.3}\n", "two.yaml")
    assert load_plan_with_scenarios(plan_path, [first, second]).buffer == 0.3
    assert load_plan_with_scenarios(plan_path, [second, first]).buffer == 0.1


def test_scenario_from_dict_matches_file(files):
    plan_path, scenario = files
    from lekhok_forecast.sources.scenario_file import plan_with_scenarios
    from lekhok_forecast.sources.yamlsource import load_yaml

    built = scenario_from_dict({"name": "x", "remove": {"tasks": ["b"]}})
    from_file = load_plan_with_scenarios(plan_path, [scenario("name: x\nremove: {tasks: [b]}\n")])
    assert plan_with_scenarios(load_yaml(plan_path), [built]).tasks == from_file.tasks


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "text, expected",
    [
        ("name: x\nsett: {buffer: 1}\n", ":2: sett: unknown key 'sett' (did you mean 'set'?)"),
        ("description: no name\n", ":1: missing required key 'name'"),
        ("name: x\nset: [1, 2]\n", ":2: set: expected a mapping of plan keys, got a list"),
        ("name: x\nremove:\n  tasks: [bb]\n", ":3: remove.tasks[0]: no task 'bb' in the plan (did you mean 'b'?)"),
        ("name: x\nremove:\n  taks: [b]\n", ":3: remove.taks: cannot remove from 'taks' (did you mean 'tasks'?)"),
        ("name: x\nremove:\n  tasks: b\n", ":3: remove.tasks: expected a list of task ids"),
        ("name: x\nset:\n  tasks:\n    zz: {effort: 1}\n", ":4: set.tasks.zz: no task 'zz' in the plan"),
        ("name: x\nset:\n  tasks: [{id: a}]\n", ":3: set.tasks: expected a mapping of task id -> fields to change"),
        ("name: x\nset:\n  tasks:\n    a: {id: z}\n", ":4: set.tasks.a.id: cannot change a task's id"),
        ("name: x\nadd:\n  budget: 5\n", ":3: add.budget: cannot add to 'budget'"),
        # values a scenario put into the plan are reported at the scenario's line and field
        (
            "name: x\nset:\n  tasks:\n    a:\n      effort: {low: 3, high: 1}\n",
            ":5: set.tasks.a.effort.high: must be >= low (3), got 1",
        ),
        (
            "name: x\nadd:\n  tasks:\n    - id: e\n      workstream: dve\n      effort: 1\n",
            ":5: add.tasks[0].workstream: unknown workstream 'dve' (did you mean 'dev'?)",
        ),
        ("name: x\nset:\n  buffer: -1\n", ":3: set.buffer: must be >= 0, got -1"),
        (
            "name: x\nset:\n  tasks:\n    a: {efort: 2}\n",
            ":4: set.tasks.a.efort: unknown key 'efort' (did you mean 'effort'?)",
        ),
    ],
)
def test_errors_name_the_scenario_file_line_and_field(files, text, expected):
    plan_path, scenario = files
    s = scenario(text)
    with pytest.raises(ForecastInputError) as err:
        load_plan_with_scenarios(plan_path, [s])
    message = str(err.value)
    assert message.startswith(s + expected), message
    assert "\n" not in message


def test_plan_errors_still_name_the_plan(files, tmp_path):
    plan_path, scenario = files
    bad = tmp_path / "bad_plan.yaml"
    bad.write_text(PLAN.replace("buffer: 0.25", "buffer: -2"), encoding="utf-8")
    with pytest.raises(ForecastInputError) as err:
        load_plan_with_scenarios(str(bad), [scenario("name: x\nset: {budget: 5}\n")])
    assert str(err.value).startswith(f"{bad}:5: buffer: must be >= 0")


def test_missing_scenario_file(files):
    plan_path, _ = files
    with pytest.raises(ForecastInputError, match="no_such.yaml: file not found"):
        load_plan_with_scenarios(plan_path, ["no_such.yaml"])


def test_cli_validate_with_bad_scenario(files, run_cli):
    plan_path, scenario = files
    s = scenario("name: x\nset:\n  tasks:\n    a: {effort: {low: 3, high: 1}}\n")
    rc, out, err = run_cli("validate", plan_path, "--scenario", s)
    assert rc == 2 and out == ""
    assert err.strip() == f"{s}:4: set.tasks.a.effort.high: must be >= low (3), got 1"


# ------------------------------------------------- errors that show after the merge


def _error(plan_path: str, scenarios: list[str]) -> str:
    with pytest.raises(ForecastInputError) as err:
        load_plan_with_scenarios(plan_path, scenarios)
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "name: x\nremove:\n  workstreams: [ops]\n",
            ":3: remove.workstreams[0]: workstream 'ops' is still used by task 'c' (tasks[2] in the plan);"
            " remove those tasks too or keep the workstream",
        ),
        (
            "name: x\nremove:\n  workstreams: [ops, dev]\n",
            ":3: remove.workstreams[0]: workstream 'ops' is still used by task 'c' (tasks[2] in the plan);"
            " remove those tasks too or keep the workstream",
        ),
        (
            "name: x\nremove:\n  workstreams:\n    - dev\n",
            ":4: remove.workstreams[0]: workstream 'dev' is still used by task 'a' (tasks[0] in the plan)"
            " and 1 more task; remove those tasks too or keep the workstream",
        ),
        (  # deleting a workstream with null is a removal too
            "name: x\nset:\n  workstreams:\n    ops: null\n",
            ":4: set.workstreams.ops: workstream 'ops' is still used by task 'c' (tasks[2] in the plan);"
            " remove those tasks too or keep the workstream",
        ),
        (
            "name: x\nremove:\n  tasks: [a, b, c, d]\n",
            ":3: remove.tasks: removes every task left in the plan; keep at least one task",
        ),
    ],
)
def test_a_removal_that_breaks_the_plan_names_the_scenario_line(files, text, expected):
    plan_path, scenario = files
    s = scenario(text)
    assert _error(plan_path, [s]) == s + expected


def test_a_removed_phase_still_used_names_the_scenario(files, tmp_path):
    _, scenario = files
    plan = tmp_path / "phased.yaml"
    plan.write_text(
        PLAN.replace("workstreams:\n", "phases:\n  - {name: build}\n  - {name: ship}\nworkstreams:\n", 1).replace(
            "{id: c, workstream: ops,", "{id: c, phase: ship, workstream: ops,"
        ),
        encoding="utf-8",
    )
    s = scenario("name: x\nremove:\n  phases: [ship]\n")
    assert _error(str(plan), [s]) == (
        f"{s}:3: remove.phases[0]: phase 'ship' is still used by task 'c' (tasks[2] in the plan);"
        " remove those tasks too, give them another phase, or keep the phase"
    )
    # removing the task as well, or giving it another phase, is fine
    assert load_plan_with_scenarios(str(plan), [scenario("name: x\nremove: {phases: [ship], tasks: [c]}\n")])
    moved = scenario("name: x\nremove: {phases: [ship]}\nset: {tasks: {c: {phase: build}}}\n")
    assert _task(load_plan_with_scenarios(str(plan), [moved]), "c").phase == "build"


def test_a_removed_workstream_moved_away_or_added_back_is_fine(files):
    plan_path, scenario = files
    moved = scenario("name: x\nremove: {workstreams: [ops]}\nset: {tasks: {c: {workstream: dev}}}\n")
    assert _task(load_plan_with_scenarios(plan_path, [moved]), "c").workstream == "dev"
    back = scenario("name: x\nremove: {workstreams: [ops]}\nadd: {workstreams: {ops: {share: 0.2}}}\n", "b.yaml")
    assert _task(load_plan_with_scenarios(plan_path, [back]), "c").workstream == "ops"


def test_a_later_reference_to_a_removed_task_names_that_line(files):
    plan_path, scenario = files
    for text, where in (
        (
            "name: x\nremove:\n  tasks: [b]\nadd:\n  tasks: [{id: e, duration: 1, after: [b]}]\n",
            "add.tasks[0].after[0]",
        ),
        ("name: x\nremove:\n  tasks: [b]\nset:\n  tasks:\n    c: {after: [b]}\n", "set.tasks.c.after[0]"),
        (
            "name: x\nremove:\n  tasks: [b]\nadd:\n  risks: [{id: r3, probability: 0.1, tasks: [b], effort: 1}]\n",
            "add.risks[0].tasks[0]",
        ),
    ):
        s = scenario(text)
        line = 6 if where.startswith("set") else 5
        assert _error(plan_path, [s]) == (
            f"{s}:{line}: {where}: task 'b' is removed by remove.tasks[0] ({s}:3); refer to another task, or keep it"
        )


def test_merge_errors_across_scenarios_name_the_one_that_broke_the_plan(files):
    plan_path, scenario = files
    # a cost's only workstream, added by one scenario and removed by the next
    consultant = scenario(
        "name: c\nadd:\n  workstreams: {extra: {share: 0.1}}\n  costs: [{id: k, per_hour: 5, workstreams: [extra]}]\n",
        "consultant.yaml",
    )
    drop = scenario("name: d\nremove:\n  workstreams: [extra]\n", "drop.yaml")
    assert _error(plan_path, [consultant, drop]) == (
        f"{drop}:3: remove.workstreams[0]: workstream 'extra' is the last workstream of cost 'k'"
        f" (add.costs[0] in {consultant}); remove the cost too or keep the workstream"
    )
    # the last tasks removed by the second scenario
    first = scenario("name: one\nremove: {tasks: [a, b]}\n", "one.yaml")
    second = scenario("name: two\nremove:\n  tasks: [c, d]\n", "two.yaml")
    assert _error(plan_path, [first, second]) == (
        f"{second}:3: remove.tasks: removes every task left in the plan; keep at least one task"
    )
    # a task added by one scenario into a workstream another scenario removes: the removal broke it ...
    adds = scenario("name: e\nadd:\n  tasks: [{id: e, workstream: extra, effort: 1}]\n", "adds.yaml")
    assert _error(plan_path, [consultant, adds, drop]) == (
        f"{drop}:3: remove.workstreams[0]: workstream 'extra' is still used by task 'e' (add.tasks[0] in {adds});"
        " remove those tasks too or keep the workstream"
    )
    # ... and, applied the other way round, the later task does
    assert _error(plan_path, [consultant, drop, adds]).startswith(
        f"{adds}:3: add.tasks[0].workstream: workstream 'extra' is removed by remove.workstreams[0] ({drop}:3)"
    )


def test_cli_validate_names_the_scenario_of_a_merge_error(files, run_cli):
    plan_path, scenario = files
    s = scenario("name: x\nremove:\n  workstreams: [ops]\n")
    rc, out, err = run_cli("validate", plan_path, "--scenario", s)
    assert rc == 2 and out == ""
    assert err.splitlines() == [
        f"{s}:3: remove.workstreams[0]: workstream 'ops' is still used by task 'c' (tasks[2] in the plan);"
        " remove those tasks too or keep the workstream"
    ]


# ---------------------------------------------------------- shipped scenarios

SHIPPED = ["thirty_hours", "devops_consultant", "defer_usage_tracking", "original_12_weeks", "eight_hour_days"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_apply_to_the_lekhok_plan(name):
    scen = load_scenario(name)  # a bare name is looked up in data/scenarios/
    assert scen.name and scen.description
    assert len(open(scen.path, encoding="utf-8").read().splitlines()) <= 40  # tiny overlays
    load_plan_with_scenarios(DEFAULT_PLAN, [SCENARIOS_DIR / f"{name}.yaml"])


def test_shipped_scenarios_change_what_they_say(lekhok_plan):
    def with_(name):
        return load_plan_with_scenarios(DEFAULT_PLAN, [name])

    assert with_("thirty_hours").team_hours_per_week.low == 30
    assert with_("original_12_weeks").buffer == 0
    assert with_("eight_hour_days").hours_per_day == 8
    deferred = with_("defer_usage_tracking")
    usage = {"usage_redis", "usage_enforcement", "billing_cycle", "plan_changes"}
    assert not usage & {t.id for t in deferred.tasks}
    m4 = next(m for m in deferred.milestones if m.id == "M4")
    assert not usage & set(m4.tasks)
    consultant = with_("devops_consultant")
    assert "devops" in {w.id for w in consultant.workstreams}
    assert any(t.workstream == "devops" for t in consultant.tasks)
    assert len(consultant.costs) == len(lekhok_plan.costs) + 1


def test_scenario_comparison_same_seed_and_table():
    results = run_scenarios(DEFAULT_PLAN, scenario_paths(), trials=4_096, seed=3)
    assert next(iter(results)) == BASELINE
    assert len(results) == 1 + len(scenario_paths())
    table = scenario_table(results)
    base = table.loc[BASELINE]
    # a buffer-only change keeps the schedule and changes only the buffer's confidence
    original = table.loc["Original 12 weeks, no buffer"]
    assert original["P80 week"] == base["P80 week"]
    assert original["buffer confidence"] == original["P(by wk 12)"] <= base["buffer confidence"]
    # more hours finish earlier; 8-hour days take much longer
    assert table.loc["30 hours a week", "P80 week"] < base["P80 week"]
    assert table.loc["8-hour days", "P50 week"] > 1.5 * base["P50 week"]
    assert set(table.columns) >= {
        "P50 week",
        "P80 week",
        "P(by wk 12)",
        "P(by wk 14)",
        "P(by wk 16)",
        "buffer confidence",
        "cost P50",
        "cost P90",
        "P(within budget)",
    }
    # the plan as written is exactly a plain simulation with the same trials and seed
    plain = simulate(load_plan(DEFAULT_PLAN), 4_096, 3)
    np.testing.assert_array_equal(results[BASELINE].finish_weeks, plain.finish_weeks)


def test_a_scenario_from_where_the_project_stands_drops_the_state_of_removed_tasks():
    """A scenario is applied to the plan as written and simulated from the week's actuals with
    the weekly re-forecast's rule; tasks it removes lose their actuals (done or in progress)."""
    from lekhok_forecast.app.scenarios import Standing
    from lekhok_forecast.config import ACTUALS_DIR
    from lekhok_forecast.core.actuals import Status
    from lekhok_forecast.sources.actuals_file import read_weeks
    from lekhok_forecast.sources.scenario_file import plan_with_scenarios, scenario_from_dict
    from lekhok_forecast.sources.yamlsource import load_yaml
    from lekhok_forecast.tracking.calibration import calibration_from_actuals
    from lekhok_forecast.tracking.reforecast import reforecast

    plan = load_plan(DEFAULT_PLAN)
    actuals = read_weeks(ACTUALS_DIR, plan, up_to="2025-W11")[-1]
    cal = calibration_from_actuals(plan, actuals)
    standing = Standing(actuals, cal)
    # the unchanged plan from the standing is the weekly headline re-forecast
    same = standing.simulate(plan, 2_000, 3)
    np.testing.assert_array_equal(same.finish_weeks, reforecast(plan, actuals, 2_000, 3, calibration=cal).finish_weeks)
    done = next(a.task for a in actuals.tasks if a.status is Status.DONE)
    going = next(a.task for a in actuals.tasks if a.status is Status.IN_PROGRESS)
    cut = scenario_from_dict({"name": "cut", "remove": {"tasks": [done, going]}}, "<cut>")
    smaller = plan_with_scenarios(load_yaml(DEFAULT_PLAN), [cut])
    result = standing.simulate(smaller, 2_000, 3)
    states = {s.task for s in result.as_of.tasks}
    assert done not in states and going not in states
    assert {t.id for t in result.plan.tasks} == {t.id for t in smaller.tasks}
    assert result.as_of.calibration_ratios == cal.engine_ratios
    assert np.all(result.finish_weeks >= actuals.as_of_week)  # still from week N, not from the start

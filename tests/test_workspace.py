"""Workspaces: ``init`` writes a starter project; a plan's scenarios and actuals are the ones beside it."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN, SCENARIOS_DIR
from lekhok_forecast.sources import workspace
from lekhok_forecast.sources.actuals_file import SPEND_COLUMNS, TASK_COLUMNS, list_weeks
from lekhok_forecast.sources.plan_file import load_plan
from lekhok_forecast.sources.plan_folders import plan_folders
from lekhok_forecast.sources.yamlsource import load_yaml, parse_yaml

STARTER = {
    "README.md",
    "plan.yaml",
    "scenarios/second_developer.yaml",
    "actuals/template.csv",
    "actuals/template.spend.csv",
}


def files_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def project(tmp_path, run_cli) -> Path:
    folder = tmp_path / "portal"
    rc, out, err = run_cli("init", folder, "--name", "Customer portal")
    assert (rc, err) == (0, ""), err
    return folder


# ------------------------------------------------------------------------------ init


def test_init_writes_a_project_that_validates(project, run_cli, monkeypatch):
    assert files_of(project) == STARTER
    assert sorted(p.name for p in project.iterdir() if p.is_dir()) == ["actuals", "reports", "scenarios"]
    assert not any((project / "reports").iterdir())
    plan = load_plan(project / "plan.yaml")
    assert plan.name == "Customer portal"
    assert len(plan.workstreams) == 2 and len(plan.risks) >= 1 and len(plan.milestones) >= 1 and plan.costs
    assert plan.calendar.holidays and any(t.after for t in plan.tasks)
    assert (project / "README.md").read_text(encoding="utf-8").startswith("# Customer portal\n")
    # the blank forms hold exactly the columns the reader knows, and no rows
    for name, columns in (("template.csv", TASK_COLUMNS), ("template.spend.csv", SPEND_COLUMNS)):
        rows = [
            r for r in (project / "actuals" / name).read_text(encoding="utf-8").splitlines() if not r.startswith("#")
        ]
        assert rows == [",".join(columns)]
    assert list_weeks(project / "actuals") == []  # the forms are not weeks
    monkeypatch.chdir(project)  # the weekly routine runs from the project folder
    rc, out, err = run_cli("validate", "plan.yaml")
    assert rc == 0 and err == ""
    assert out.splitlines() == [
        "plan.yaml: OK: 'Customer portal', 6 tasks (5 effort, 1 duration), 2 workstreams, 1 risks,"
        " 2 milestones, 2 costs",
        "scenarios/second_developer.yaml: OK: scenario 'Second developer' fits the plan (6 tasks)",
        "actuals: OK: no actuals files yet",
    ]


def test_init_default_name_is_the_folder_and_odd_names_survive(tmp_path, run_cli):
    rc, _, err = run_cli("init", tmp_path / "office-move")
    assert rc == 0, err
    assert load_plan(tmp_path / "office-move" / "plan.yaml").name == "office-move"
    odd = 'Büro: "Umzug" #2 & {more}'
    rc, _, err = run_cli("init", tmp_path / "odd", "--name", odd)
    assert rc == 0, err
    assert load_plan(tmp_path / "odd" / "plan.yaml").name == odd


def test_init_into_an_empty_folder_and_new_parents(tmp_path, run_cli):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("init", empty)[0] == 0 and files_of(empty) == STARTER
    assert run_cli("init", tmp_path / "a" / "b" / "c")[0] == 0 and files_of(tmp_path / "a" / "b" / "c") == STARTER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"]  # no staging folder left


def test_init_refuses_a_non_empty_folder_or_a_file(project, tmp_path, run_cli):
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    rc, out, err = run_cli("init", project)
    assert (rc, out) == (2, "")
    assert err == f"{project}: is not empty; init writes a new project only into a new or empty folder\n"
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    other = tmp_path / "other"
    other.mkdir()
    (other / ".hidden").write_text("x")
    assert run_cli("init", other)[0] == 2
    afile = tmp_path / "afile"
    afile.write_text("x")
    rc, out, err = run_cli("init", afile)
    assert (rc, out, err) == (2, "", f"{afile}: is a file; init writes a new project folder\n")
    assert run_cli("init", tmp_path / "x", "--name", "two\nlines")[:2] == (2, "")
    assert not (tmp_path / "x").exists()


def test_init_is_all_or_nothing(tmp_path, monkeypatch, run_cli):
    """A write that fails half-way leaves neither the project folder nor a staging folder."""
    calls = {"n": 0}
    real = Path.write_text

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)
    rc, out, err = run_cli("init", tmp_path / "proj")
    assert rc == 1 and out == ""
    assert (
        err == f"lekhok-forecast init: cannot write {tmp_path / 'proj'}: No space left on device; nothing was written\n"
    )
    assert list(tmp_path.iterdir()) == []


YEAR_END_2026 = ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"]


@pytest.mark.parametrize(
    "today, start, holidays",
    [
        # Tuesday 2026-12-01: that week's Monday; the year-end days ahead of it and 1 January
        (dt.date(2026, 12, 1), dt.date(2026, 11, 30), YEAR_END_2026),
        (dt.date(2026, 12, 6), dt.date(2026, 11, 30), YEAR_END_2026),  # a Sunday: the Monday before
        (dt.date(2026, 3, 2), dt.date(2026, 3, 2), YEAR_END_2026),  # a Monday: that day
        # the week's Monday is Christmas 2028 (a holiday): the Monday before
        (
            dt.date(2028, 12, 26),
            dt.date(2028, 12, 18),
            ["2028-12-24", "2028-12-25", "2028-12-26", "2028-12-31", "2029-01-01"],
        ),
    ],
)
def test_week_zero_and_example_holidays(today, start, holidays):
    got_start, got = workspace.first_monday_and_holidays(today)
    assert got_start == start and got_start.weekday() == 0
    assert [d.isoformat() for d in got] == holidays
    plan_text = workspace.starter_files("x", today)["plan.yaml"]
    assert f"start: {start.isoformat()}" in plan_text


# ------------------------------------------------------------------ the folders rule


def _plan(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(
        "name: p\nstart: 2025-02-03\n" + extra + "workstreams:\n  dev: {hours_per_week: 40}\n"
        "tasks:\n  - {id: a, workstream: dev, effort: {low: 2, high: 4}}\n  - {id: b, duration: 3, after: [a]}\n",
        encoding="utf-8",
    )
    return path


def test_folders_beside_the_plan_named_by_it_or_by_a_flag(tmp_path):
    plan = _plan(tmp_path / "proj")
    assert plan_folders(load_yaml(plan)) == plan_folders(load_yaml(plan))  # frozen, comparable
    none = plan_folders(load_yaml(plan))
    assert (none.scenarios, none.actuals, none.scenarios_from) == (None, None, "none")
    (tmp_path / "proj" / "scenarios").mkdir()
    (tmp_path / "proj" / "actuals").mkdir()
    beside = plan_folders(load_yaml(plan))
    assert (beside.scenarios, beside.actuals) == (tmp_path / "proj" / "scenarios", tmp_path / "proj" / "actuals")
    assert beside.actuals_from == "beside"
    (tmp_path / "shared" / "what-if").mkdir(parents=True)
    named = plan_folders(load_yaml(_plan(tmp_path / "proj", "scenarios: ../shared/what-if\n")))
    assert named.scenarios == tmp_path / "shared" / "what-if" and named.scenarios_from == "plan"
    assert named.actuals == tmp_path / "proj" / "actuals"
    flagged = plan_folders(load_yaml(plan), scenarios=tmp_path / "shared", actuals=tmp_path)
    assert (flagged.scenarios, flagged.actuals, flagged.scenarios_from) == (tmp_path / "shared", tmp_path, "flag")


def test_the_lekhok_plan_names_its_own_folders():
    folders = plan_folders(load_yaml(DEFAULT_PLAN))
    assert (folders.scenarios, folders.actuals) == (SCENARIOS_DIR, ACTUALS_DIR)
    assert folders.scenarios_from == folders.actuals_from == "plan"


@pytest.mark.parametrize(
    "extra, line, words",
    [
        ("scenarios: nowhere\n", 3, "scenarios: 'nowhere' ("),
        ("actuals: plan.yaml\n", 3, "actuals: 'plan.yaml' ("),
        ("actuals: [a, b]\n", 3, "actuals: expected text, got a list"),
    ],
)
def test_a_folder_the_plan_names_must_exist(tmp_path, run_cli, extra, line, words):
    plan = _plan(tmp_path / "proj", extra)
    rc, out, err = run_cli("validate", plan)
    assert (rc, out) == (2, "") and err.count("\n") == 1
    assert err.startswith(f"{plan}:{line}: {words}"), err
    if "[" not in extra:
        assert "(the path is relative to the plan file)" in err


def test_a_folder_a_flag_names_must_exist(tmp_path, run_cli):
    plan = _plan(tmp_path / "proj")
    for flag in ("--scenarios", "--actuals"):
        rc, out, err = run_cli("validate", plan, flag, tmp_path / "missing")
        assert (rc, out, err) == (2, "", f"{flag} {tmp_path / 'missing'}: folder not found\n")
        rc, out, err = run_cli("report", "--plan", plan, flag, tmp_path / "missing", "--out", tmp_path / "out")
        assert (rc, out, err) == (2, "", f"{flag} {tmp_path / 'missing'}: folder not found\n")
    assert not (tmp_path / "out").exists()


MISFIT = "name: Drop a task\nremove:\n  tasks:\n    - requirements\n    - nope\n"


def test_validate_applies_every_scenario_beside_the_plan(project, run_cli):
    bad = project / "scenarios" / "drop.yaml"
    bad.write_text(MISFIT, encoding="utf-8")
    rc, out, err = run_cli("validate", project / "plan.yaml")
    assert (rc, out) == (2, "")
    assert err.splitlines() == [f"{bad}:5: remove.tasks[1]: no task 'nope' in the plan"]
    # --scenarios names another folder, which wins
    rc, out, err = run_cli("validate", project / "plan.yaml", "--scenarios", project / "reports")
    assert rc == 0 and f"{project / 'reports'}: OK: no scenario files yet" in out


def test_report_preflight_names_the_scenario_and_writes_nothing(project, run_cli):
    bad = project / "scenarios" / "drop.yaml"
    bad.write_text(MISFIT, encoding="utf-8")
    out = project / "reports"
    rc, printed, err = run_cli("report", "--plan", project / "plan.yaml", "--out", out, "--week", "current")
    assert (rc, printed) == (2, "")
    assert err.splitlines() == [f"{bad}:5: remove.tasks[1]: no task 'nope' in the plan"]
    assert list(out.iterdir()) == []  # nothing written, not even a lock or a staging folder


def test_a_bare_scenario_name_is_looked_up_beside_the_plan(project, run_cli):
    rc, out, _ = run_cli(
        "simulate", project / "plan.yaml", "--scenario", "second_developer", "--trials", "500", "--json"
    )
    assert rc == 0
    rc0, base, _ = run_cli("simulate", project / "plan.yaml", "--trials", "500", "--json")
    assert json.loads(out)["finish_weeks"]["p50"] < json.loads(base)["finish_weeks"]["p50"]
    rc, out, err = run_cli("simulate", project / "plan.yaml", "--scenario", "thirty_hours", "--trials", "10")
    assert rc == 2 and "thirty_hours: file not found" in err  # Lekhok's scenarios are not this plan's


def test_the_template_scenario_parses_as_yaml_in_the_package():
    """The templates are package data (pyproject's package-data lists the folder)."""
    files = workspace.template_files()
    assert set(files) == STARTER
    assert parse_yaml(files["scenarios/second_developer.yaml"], "x").data["name"] == "Second developer"
    assert os.path.isdir(workspace.TEMPLATE_DIR)

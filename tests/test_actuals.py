"""Weekly actuals: week mapping, parsing, and one clear line per class of bad input."""

from __future__ import annotations

import textwrap

import pytest

from lekhok_forecast.config import ACTUALS_DIR, SCENARIOS_DIR
from lekhok_forecast.core.actuals import Status
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.actuals_file import actuals_from_text, list_weeks, read_actuals, read_weeks
from lekhok_forecast.sources.plan_file import plan_from_text

MINI = """\
name: mini
start: 2025-02-03
units: days
hours_per_day: 8
deadlines: [4, 6]
baseline_weeks: 4
buffer: 0.25
budget: 5000
workstreams:
  dev: {hours_per_week: 40}
tasks:
  - {id: a, workstream: dev, effort: {low: 4, mode: 5, high: 8}}
  - {id: b, workstream: dev, effort: {low: 3, mode: 4, high: 6}, after: [a]}
  - {id: c, duration: {low: 2, mode: 3, high: 5}, after: [a]}
  - {id: d, workstream: dev, effort: {low: 2, mode: 3, high: 5}, after: [b, c]}
risks:
  - {id: r, probability: 0.3, tasks: [b, d], effort: {low: 1, high: 2}}
costs:
  - {id: eng, per_hour: 50}
  - {id: cloud, per_month: 300, from_task: b}
"""
HEADER = "task,status,hours_to_date,start_week,finish_week,remaining_low,remaining_mode,remaining_high,notes\n"


@pytest.fixture(scope="module")
def mini():
    return plan_from_text(MINI, "mini.yaml")


def parse(plan, body: str, as_of: float = 2.0, spend: str | None = None):
    return actuals_from_text(
        HEADER + textwrap.dedent(body), plan, as_of=as_of, path="wk.csv", spend_text=spend, spend_path="wk.spend.csv"
    )


def test_a_good_file(mini):
    a = parse(
        mini,
        """\
        # comments and blank lines are skipped

        a,done,44,0,1.1,,,,took a bit longer
        b,in_progress,10,1.1,,1,2,3,"notes, with a comma"
        c,in_progress,,1.1,,1,1,2,
        """,
        spend="cost,spent_to_date\neng,2700\n",
    )
    rows = a.by_task()
    assert a.as_of_week == 2.0
    assert rows["a"].status is Status.DONE and rows["a"].hours_to_date == 44 and rows["a"].finish_week == 1.1
    assert rows["b"].remaining == (1.0, 2.0, 3.0) and rows["b"].notes == "notes, with a comma"
    assert rows["b"].line == 5  # CSV line, header is line 1
    assert a.get("d").status is Status.NOT_STARTED  # not listed: not started
    assert a.spend_by_cost() == {"eng": 2700.0}
    assert "2 in progress" in str(a)


def test_a_re_estimate_of_a_task_not_started(mini):
    a = parse(mini, "a,done,40,0,1,,,,\nd,not_started,,,,4,5,7,\n")
    assert a.get("d").re_estimated and a.get("d").remaining == (4.0, 5.0, 7.0)


# Each bad input: (rows, expected "line: column:" prefix after the file name, message fragment)
BAD = {
    "unknown task id": (
        "a,done,40,0,1,,,,\nbb,in_progress,1,1,,1,1,1,\n",
        "3: task:",
        "unknown task 'bb' (did you mean 'b'?)",
    ),
    "done without finish": ("a,done,40,0,,,,,\n", "2: finish_week:", "is done but has no finish_week"),
    "finish before start": (
        "a,done,40,1,0.5,,,,\n",
        "2: finish_week:",
        "finished at week 0.5, before it started (week 1)",
    ),
    "finish after as-of": ("a,done,40,0,2.5,,,,\n", "2: finish_week:", "week 2.5 is after the as-of week 2"),
    "start after as-of": ("a,in_progress,4,2.2,,1,1,1,\n", "2: start_week:", "week 2.2 is after the as-of week 2"),
    "negative hours": (
        "a,in_progress,-3,0,,1,1,1,\n",
        "2: hours_to_date:",
        "must be >= 0 (hours cannot be negative), got -3",
    ),
    "negative week": ("a,in_progress,3,-1,,1,1,1,\n", "2: start_week:", "must be >= 0"),
    "done before predecessor": (
        "a,in_progress,30,0,,1,1,1,\nb,done,20,0.5,1,,,,\n",
        "3: status:",
        "task 'b' is done but its predecessor 'a' is in_progress",
    ),
    "done before predecessor finished": (
        "a,done,40,0,1.5,,,,\nb,done,20,0.5,1,,,,\n",
        "3: finish_week:",
        "finished at week 1, before its predecessor 'a' (week 1.5)",
    ),
    "started before predecessor": (
        "b,in_progress,5,0.5,,1,1,1,\n",
        "2: status:",
        "task 'b' is in_progress but its predecessor 'a' has not started",
    ),
    "bad status": (
        "a,finished,40,0,1,,,,\n",
        "2: status:",
        "expected one of not_started, in_progress, done, got 'finished'",
    ),
    "malformed number": ("a,done,4O,0,1,,,,\n", "2: hours_to_date:", "expected a number, got '4O'"),
    "not finite": ("a,done,nan,0,1,,,,\n", "2: hours_to_date:", "must be a finite number"),
    "remaining mode below low": (
        "a,in_progress,5,0,,2,1,3,\n",
        "2: remaining_mode:",
        "must be >= remaining_low (2), got 1",
    ),
    "remaining high below mode": (
        "a,in_progress,5,0,,1,2,1.5,\n",
        "2: remaining_high:",
        "must be >= remaining_mode (2), got 1.5",
    ),
    "remaining incomplete": (
        "a,in_progress,5,0,,1,,3,\n",
        "2: remaining_mode:",
        "give remaining_low, remaining_mode and remaining_high together",
    ),
    "in progress without remaining": ("a,in_progress,5,0,,,,,\n", "2: remaining_low:", "give its remaining effort"),
    "in progress without start": ("a,in_progress,5,,,1,1,1,\n", "2: start_week:", "give the week it started"),
    "in progress with finish": ("a,in_progress,5,0,1,1,1,1,\n", "2: finish_week:", "has no finish_week"),
    "done with remaining": ("a,done,40,0,1,1,1,1,\n", "2: remaining_low:", "has no remaining effort"),
    "done without hours": ("a,done,,0,1,,,,\n", "2: hours_to_date:", "give the effort hours it took"),
    "not started with hours": ("a,not_started,3,,,,,,\n", "2: hours_to_date:", "is not_started but has 3 hours"),
    "not started with start": ("a,not_started,,1,,,,,\n", "2: start_week:", "is not_started, so it has no start_week"),
    "duplicate row": (
        "a,done,40,0,1,,,,\nb,in_progress,3,1,,1,1,1,\na,done,40,0,1,,,,\n",
        "4: task:",
        "task 'a' is listed twice (first on line 2)",
    ),
    "missing task id": (",done,40,0,1,,,,\n", "2: task:", "missing task id"),
    "too many cells": ("a,done,40,0,1,,,,x,y\n", "2:", "row has 10 cells but the header has 9"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_rows_give_one_line_naming_file_line_and_column(mini, case):
    body, where, fragment = BAD[case]
    with pytest.raises(ForecastInputError) as info:
        parse(mini, body)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"wk.csv:{where}"), text
    assert fragment in text, text


def test_bad_headers(mini):
    with pytest.raises(
        ForecastInputError, match=r"^x.csv:1: stauts: unknown column 'stauts' \(did you mean 'status'\?\)"
    ):
        actuals_from_text("task,stauts\na,done\n", mini, as_of=1, path="x.csv")
    with pytest.raises(ForecastInputError, match=r"^x.csv:2: missing required column 'status'"):
        actuals_from_text("# a comment\ntask,hours_to_date\na,3\n", mini, as_of=1, path="x.csv")
    with pytest.raises(ForecastInputError, match=r"^x.csv: file is empty"):
        actuals_from_text("# only a comment\n", mini, as_of=1, path="x.csv")
    with pytest.raises(ForecastInputError, match=r"^x.csv:1: task: column 'task' appears twice"):
        actuals_from_text("task,status,task\n", mini, as_of=1, path="x.csv")


SPEND_BAD = {
    "unknown cost id": (
        "cost,spent_to_date\neng,10\nclowd,5\n",
        "3: cost:",
        "unknown cost id 'clowd' (did you mean 'cloud'?)",
    ),
    "duplicate cost": (
        "cost,spent_to_date\neng,10\neng,12\n",
        "3: cost:",
        "cost 'eng' is listed twice (first on line 2)",
    ),
    "negative spend": ("cost,spent_to_date\neng,-1\n", "2: spent_to_date:", "must be >= 0"),
    "malformed spend": ("cost,spent_to_date\neng,$10\n", "2: spent_to_date:", "expected a number, got '$10'"),
    "missing spend": ("cost,spent_to_date\neng,\n", "2: spent_to_date:", "missing amount"),
}


@pytest.mark.parametrize("case", sorted(SPEND_BAD))
def test_bad_spend_rows(mini, case):
    text, where, fragment = SPEND_BAD[case]
    with pytest.raises(ForecastInputError) as info:
        parse(mini, "a,done,40,0,1,,,,\n", spend=text)
    assert str(info.value).startswith(f"wk.spend.csv:{where}"), str(info.value)
    assert fragment in str(info.value)


def write(folder, name, text):
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_files_weeks_and_spend_beside(mini, tmp_path):
    write(tmp_path, "2025-W06.csv", HEADER + "a,in_progress,30,0,,1,2,3,\n")
    write(tmp_path, "2025-W07.csv", HEADER + "a,done,44,0,1.1,,,,\n")
    write(tmp_path, "2025-W07.spend.csv", "cost,spent_to_date\neng,2200\ncloud,0\n")
    write(tmp_path, "README.md", "not a CSV: ignored")
    assert list_weeks(tmp_path) == ["2025-W06", "2025-W07"]
    weeks = read_weeks(tmp_path, mini)
    assert [w.as_of_week for w in weeks] == [1.0, 2.0]
    assert weeks[0].spend == () and weeks[1].spend_by_cost() == {"eng": 2200.0, "cloud": 0.0}
    assert [w.week for w in read_weeks(tmp_path, mini, up_to="2025-W06")] == ["2025-W06"]


def test_misnamed_and_early_files(mini, tmp_path):
    write(tmp_path, "2025-W7.csv", HEADER)
    with pytest.raises(ForecastInputError, match="2025-W7.csv: file name must be YYYY-Www.csv"):
        list_weeks(tmp_path)
    (tmp_path / "2025-W7.csv").unlink()
    write(tmp_path, "2025-W08.spend.csv", "cost,spent_to_date\n")
    with pytest.raises(ForecastInputError, match="spend file without its task file 2025-W08.csv"):
        list_weeks(tmp_path)
    p = write(tmp_path, "2025-W05.csv", HEADER)
    with pytest.raises(ForecastInputError, match="2025-W05.csv: week 2025-W05 ends before the plan starts"):
        read_actuals(p, mini)
    with pytest.raises(ForecastInputError, match="actuals folder not found"):
        list_weeks(tmp_path / "nope")


def test_error_in_any_week_names_that_file(mini, tmp_path):
    write(tmp_path, "2025-W06.csv", HEADER + "a,in_progress,30,0,,1,2,3,\n")
    write(tmp_path, "2025-W07.csv", HEADER + "a,done,44,0,,,,,\n")
    with pytest.raises(
        ForecastInputError, match=r"2025-W07.csv:2: finish_week: task 'a' is done but has no finish_week"
    ):
        read_weeks(tmp_path, mini)


def test_validate_command_exit_status(tmp_path, run_cli, lekhok_path):
    # `lekhok-forecast validate PLAN --actuals DIR`: one OK line for the plan, one per scenario, one per week
    rc, out, err = run_cli("validate", lekhok_path, "--actuals", ACTUALS_DIR)
    assert rc == 0
    assert out.count(": OK: ") == 1 + len(list(SCENARIOS_DIR.glob("*.yaml"))) + len(list_weeks(ACTUALS_DIR))
    write(tmp_path, "2025-W06.csv", HEADER + "docker_bakend,done,4,0,1,,,,\n")
    rc, out, err = run_cli("validate", lekhok_path, "--actuals", tmp_path)
    assert rc == 2
    assert out == ""
    assert err.strip().count("\n") == 0
    assert "2025-W06.csv:2: task: unknown task 'docker_bakend' (did you mean 'docker_backend'?)" in err


def test_demo_actuals_are_valid_and_marked_illustrative(lekhok_plan):
    weeks = read_weeks(ACTUALS_DIR, lekhok_plan)
    assert 4 <= len(weeks) <= 6
    assert weeks[0].week == "2025-W06" and weeks[0].as_of_week == 1.0
    assert [w.as_of_week for w in weeks] == list(range(1, len(weeks) + 1))
    assert all(w.spend for w in weeks)
    readme = (ACTUALS_DIR / "README.md").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in readme
    for w in weeks:
        with open(w.path, encoding="utf-8") as f:
            assert "ILLUSTRATIVE" in f.readline()
    # the story: the Docker tasks took longer than planned, CI/CD landed on time
    done = {a.task: a for a in weeks[-1].tasks if a.done}
    index = lekhok_plan.task_index()
    ratio = {
        t: done[t].hours_to_date / lekhok_plan.tasks[index[t]].effort_hours.mode
        for t in done
        if lekhok_plan.tasks[index[t]].workstream
    }
    assert min(ratio[t] for t in ("docker_backend", "docker_frontend", "docker_compose")) > 1.2
    assert all(ratio[t] == pytest.approx(1.0) for t in ("ci_workflows", "ci_secrets", "cd_pipelines"))
    assert done["cd_pipelines"].finish_week <= 4  # M2 on time

"""The command line: output of `simulate`, and one clean line for every class of bad input.

Every bad input must give exit status 2, exactly one line on stderr naming the file, the
line, the field path and what was expected, nothing on stdout, no traceback, and no file
written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, check_documented_keys

from lekhok_forecast.config import ACTUALS_DIR

# Line numbers matter: every case below names the line of the offending field.
BASE = """\
name: demo
units: days
deadlines: [12]
workstreams:
  infra: {hours_per_week: {low: 10, high: 20}}
tasks:
  - id: learn
    workstream: infra
    effort: {low: 1, high: 2}
  - id: build
    workstream: infra
    effort: {low: 1, mode: 2, high: 3}
    after: [learn]
  - id: review
    duration: {low: 1, high: 2}
    after: [build]
  - id: deploy
    workstream: infra
    effort: {low: 2, mode: 4, high: 6}
    after: [review]
risks:
  - {id: slow, probability: 0.5, tasks: [build], effort: {low: 1, high: 2}}
milestones:
  - {id: M1, tasks: [build], target_week: 2}
costs:
  - {id: cloud, per_month: 300, from_task: learn}
"""


def edit(old: str, new: str, count: int = 1) -> str:
    """BASE with `old` replaced by `new` (which must occur)."""
    assert old in BASE, old
    return BASE.replace(old, new, count)


# (case id, plan text, line, field or None, words the message must contain)
BAD_PLANS = [
    # YAML syntax errors
    (
        "yaml-unclosed-flow",
        edit("after: [learn]", "after: [learn"),
        14,
        None,
        "YAML syntax error: the list '[' opened on line 13 is not closed: add ']' (or the ',' between two items)",
    ),
    (
        "yaml-unclosed-quote",
        edit("name: demo", "name: 'demo"),
        27,
        None,
        "YAML syntax error: the quoted text opened on line 1 is not closed: add its closing quote",
    ),
    ("yaml-bad-indent", edit("  - id: review\n", "  - id: review\n      bad: indent\n"), 15, None, "YAML syntax error"),
    ("yaml-tab", edit("    duration:", "\tduration:"), 15, None, "YAML syntax error"),
    (
        "yaml-duplicate-key",
        edit("    after: [build]\n", "    after: [build]\n    after: [learn]\n"),
        17,
        "tasks[2].after",
        "duplicate key 'after'",
    ),
    # not a mapping
    ("not-a-mapping-list", "- name: demo\n- tasks: []\n", 1, None, "expected a mapping, got a list"),
    ("not-a-mapping-text", "just some text\n", 1, None, "expected a mapping, got text"),
    # unknown keys, with a did-you-mean hint
    (
        "unknown-top-key",
        edit("deadlines: [12]", "deadline: [12]"),
        3,
        "deadline",
        "unknown key 'deadline' (did you mean 'deadlines'?)",
    ),
    (
        "unknown-task-key",
        edit("    effort: {low: 1, mode: 2, high: 3}", "    efort: {low: 1, mode: 2, high: 3}"),
        12,
        "tasks[1].efort",
        "unknown key 'efort' (did you mean 'effort'?)",
    ),
    (
        "unknown-range-key",
        edit("{low: 1, mode: 2, high: 3}", "{low: 1, mod: 2, high: 3}"),
        12,
        "tasks[1].effort.mod",
        "(did you mean 'mode'?)",
    ),
    (
        "unknown-risk-key",
        edit("probability: 0.5,", "probabilty: 0.5, probability: 0.5,"),
        22,
        "risks[0].probabilty",
        "(did you mean 'probability'?)",
    ),
    # missing or wrongly typed fields
    ("missing-name", edit("name: demo\n", ""), 1, None, "missing required key 'name'"),
    ("missing-tasks", "name: demo\n", 1, None, "missing required key 'tasks'"),
    ("missing-id", edit("  - id: review\n", "  - name: review\n"), 14, "tasks[2]", "missing required key 'id'"),
    ("missing-probability", edit("probability: 0.5, ", ""), 22, "risks[0]", "missing required key 'probability'"),
    (
        "wrong-type-number",
        edit("target_week: 2", "target_week: soon"),
        24,
        "milestones[0].target_week",
        "expected a number, got text 'soon'",
    ),
    ("wrong-type-list", edit("after: [learn]", "after: learn"), 13, "tasks[1].after", "expected a list"),
    ("wrong-type-tasks", "name: demo\ntasks: 3\n", 2, "tasks", "expected a list, got int 3"),
    (
        "wrong-type-bool",
        edit("effort: {low: 1, high: 2}", "effort: {low: 1, high: yes}"),
        9,
        "tasks[0].effort.high",
        "expected a number, got a boolean",
    ),
    (
        "empty-value",
        edit("effort: {low: 1, high: 2}", "effort:"),
        9,
        "tasks[0].effort",
        "expected a number, got nothing",
    ),
    # negative or non-finite numbers
    (
        "negative",
        edit("effort: {low: 1, high: 2}", "effort: {low: -1, high: 2}"),
        9,
        "tasks[0].effort.low",
        "must be >= 0, got -1",
    ),
    (
        "nan",
        edit("duration: {low: 1, high: 2}", "duration: {low: 1, high: .nan}"),
        15,
        "tasks[2].duration.high",
        "must be a finite number",
    ),
    ("inf", edit("target_week: 2", "target_week: .inf"), 24, "milestones[0].target_week", "must be a finite number"),
    ("negative-cost", edit("per_month: 300", "per_month: -300"), 26, "costs[0].per_month", "must be >= 0"),
    # low / mode / high out of order
    (
        "high-below-mode",
        edit("{low: 2, mode: 4, high: 6}", "{low: 2, mode: 4, high: 2}"),
        19,
        "tasks[3].effort.high",
        "must be >= mode (4), got 2",
    ),
    (
        "mode-below-low",
        edit("{low: 1, mode: 2, high: 3}", "{low: 2.5, mode: 2, high: 3}"),
        12,
        "tasks[1].effort.mode",
        "must be >= low (2.5), got 2",
    ),
    (
        "high-below-low",
        edit("duration: {low: 1, high: 2}", "duration: {low: 3, high: 2}"),
        15,
        "tasks[2].duration.high",
        "must be >= low (3), got 2",
    ),
    # duplicate or malformed ids
    (
        "duplicate-id",
        edit(
            "  - id: review\n    duration: {low: 1, high: 2}\n    after: [build]\n",
            "  - id: learn\n    duration: {low: 1, high: 2}\n    after: [build]\n",
        ),
        14,
        "tasks[2].id",
        "duplicate id 'learn' (first used by tasks[0])",
    ),
    ("malformed-id", edit("  - id: review", "  - id: Review-2"), 14, "tasks[2].id", "malformed id 'Review-2'"),
    ("malformed-workstream-id", edit("  infra: {", "  infra-1: {"), 5, "workstreams.infra-1", "malformed id"),
    # unknown ids in after, tasks, workstream, from_task
    (
        "unknown-after",
        edit("after: [review]", "after: [reveiw]"),
        20,
        "tasks[3].after[0]",
        "unknown task 'reveiw' (did you mean 'review'?)",
    ),
    (
        "unknown-risk-task",
        edit("tasks: [build], effort", "tasks: [buld], effort"),
        22,
        "risks[0].tasks[0]",
        "unknown task 'buld' (did you mean 'build'?)",
    ),
    (
        "unknown-milestone-task",
        edit("tasks: [build], target_week", "tasks: [ship], target_week"),
        24,
        "milestones[0].tasks[0]",
        "unknown task 'ship'",
    ),
    (
        "unknown-workstream",
        edit("    workstream: infra\n    effort: {low: 2", "    workstream: infr\n    effort: {low: 2"),
        18,
        "tasks[3].workstream",
        "unknown workstream 'infr' (did you mean 'infra'?)",
    ),
    (
        "unknown-from-task",
        edit("from_task: learn", "from_task: lern"),
        26,
        "costs[0].from_task",
        "unknown task 'lern' (did you mean 'learn'?)",
    ),
    # dependency cycles, named
    (
        "cycle",
        edit("    after: [build]\n", "    after: [build, deploy]\n"),
        16,
        "tasks[2].after",
        "dependency cycle: review -> deploy -> review",
    ),
    ("self-cycle", edit("after: [learn]", "after: [build]"), 13, "tasks[1].after", "cannot come after itself"),
    # both or neither of effort and duration; effort without a workstream
    (
        "both-effort-and-duration",
        edit("    after: [learn]\n", "    after: [learn]\n    duration: 2\n"),
        10,
        "tasks[1]",
        "needs exactly one of 'effort' (with a workstream) and 'duration'",
    ),
    (
        "neither-effort-nor-duration",
        edit("    duration: {low: 1, high: 2}\n", ""),
        14,
        "tasks[2]",
        "needs exactly one of 'effort'",
    ),
    (
        "effort-without-workstream",
        edit("    workstream: infra\n    effort: {low: 2", "    effort: {low: 2"),
        18,
        "tasks[3].effort",
        "has effort but no 'workstream'",
    ),
    (
        "duration-with-workstream",
        edit("    duration: {low: 1, high: 2}\n", "    workstream: infra\n    duration: {low: 1, high: 2}\n"),
        16,
        "tasks[2].duration",
        "needs 'effort'",
    ),
    # zero capacity
    (
        "zero-capacity",
        edit("{hours_per_week: {low: 10, high: 20}}", "{hours_per_week: 0}"),
        5,
        "workstreams.infra.hours_per_week",
        "must be > 0, got 0",
    ),
    (
        "zero-capacity-low",
        edit("{hours_per_week: {low: 10, high: 20}}", "{hours_per_week: {low: 0, high: 20}}"),
        5,
        "workstreams.infra.hours_per_week.low",
        "must be > 0, got 0",
    ),
    # probabilities outside [0, 1]
    (
        "probability-above-one",
        edit("probability: 0.5", "probability: 1.5"),
        22,
        "risks[0].probability",
        "must be a fraction of at most 1, got 1.5; write 1.5% as 0.015 (or as 1.5%)",
    ),
    (
        "probability-negative",
        edit("probability: 0.5", "probability: -0.1"),
        22,
        "risks[0].probability",
        "must be >= 0, got -0.1",
    ),
    (
        "probability-text",
        edit("probability: 0.5", "probability: likely"),
        22,
        "risks[0].probability",
        "expected a fraction like 0.2 or a percentage like 20%, got text 'likely'",
    ),
    # bad dates, units and deadlines
    (
        "date-impossible",
        edit("units: days\n", "units: days\nstart: 2025-02-30\n"),
        3,
        "start",
        "invalid value '2025-02-30'",
    ),
    ("date-text", edit("units: days\n", "units: days\nstart: next monday\n"), 3, "start", "expected an ISO date"),
    (
        "units",
        edit("units: days", "units: dayz"),
        2,
        "units",
        "expected one of hours, days, weeks, got 'dayz' (did you mean 'days'?)",
    ),
    (
        "range-unit",
        edit("effort: {low: 1, high: 2}", "effort: {low: 1, high: 2, unit: minutes}"),
        9,
        "tasks[0].effort.unit",
        "expected one of hours, days, weeks",
    ),
    ("deadline-negative", edit("deadlines: [12]", "deadlines: [12, -1]"), 3, "deadlines[1]", "must be > 0, got -1"),
    ("deadline-zero", edit("deadlines: [12]", "deadlines: [0]"), 3, "deadlines[0]", "must be > 0, got 0"),
    ("deadline-nan", edit("deadlines: [12]", "deadlines: [.nan]"), 3, "deadlines[0]", "must be a finite number"),
    ("deadline-text", edit("deadlines: [12]", "deadlines: [soon]"), 3, "deadlines[0]", "expected a number"),
    ("deadline-not-a-list", edit("deadlines: [12]", "deadlines: 12"), 3, "deadlines", "expected a list"),
    ("deadline-twice", edit("deadlines: [12]", "deadlines: [12, 12.0]"), 3, "deadlines[1]", "listed twice"),
]


def assert_one_clean_line(rc, out, err, prefix: str, words: str = "") -> str:
    assert rc == 2, (rc, err)
    assert out == "", out
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert "Traceback" not in err
    assert err.startswith(prefix), (err, prefix)
    assert words in err, (err, words)
    return err.rstrip("\n")


@pytest.mark.parametrize("case, text, line, field, words", BAD_PLANS, ids=[c[0] for c in BAD_PLANS])
def test_bad_plan_is_one_located_line(run_cli, tmp_path, case, text, line, field, words):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    before = sorted(os.listdir(tmp_path))
    rc, out, err = run_cli("validate", path)
    prefix = f"{path}:{line}: " + (f"{field}: " if field else "")
    assert_one_clean_line(rc, out, err, prefix, words)
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_base_plan_is_valid(run_cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(BASE, encoding="utf-8")
    rc, out, err = run_cli("validate", path)
    assert rc == 0 and err == ""
    assert out == f"{path}: OK: 'demo', 4 tasks (3 effort, 1 duration), 1 workstreams, 1 risks, 1 milestones, 1 costs\n"


@pytest.mark.parametrize("case", ["high-below-mode", "cycle", "unknown-task-key", "yaml-unclosed-flow"])
def test_simulate_reports_the_same_error(run_cli, tmp_path, case):
    _, text, line, field, words = next(c for c in BAD_PLANS if c[0] == case)
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    assert run_cli("simulate", path, "--trials", "100") == run_cli("validate", path)


def test_issue_example_message_exactly(run_cli):
    path = DATA / "bad_effort_order.yaml"
    rc, out, err = run_cli("simulate", path)
    assert (rc, out, err) == (2, "", f"{path}:20: tasks[3].effort.high: must be >= mode (4), got 2\n")


def test_bad_files(run_cli, tmp_path):
    missing = tmp_path / "missing.yaml"
    assert_one_clean_line(*run_cli("simulate", missing), f"{missing}: ", "file not found")
    assert_one_clean_line(*run_cli("validate", tmp_path), f"{tmp_path}: ", "is a directory")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(BASE.replace("name: demo", "name: caf\xe9").encode("latin-1"))
    assert_one_clean_line(*run_cli("simulate", latin1), f"{latin1}:1: ", "not valid UTF-8 (byte 0xe9")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(BASE.encode() + b"\n# \xff\xfe\n")
    assert_one_clean_line(*run_cli("validate", binary), f"{binary}:28: ", "not valid UTF-8 (byte 0xff")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert_one_clean_line(*run_cli("validate", empty), f"{empty}: ", "file is empty")


BAD_ARGS = [
    (["--trials", "0"], "argument --trials: must be between 1 and"),
    (["--trials", "-5"], "argument --trials: must be between 1 and"),
    (["--trials", "abc"], "argument --trials: expected a whole number, got 'abc'"),
    (["--trials", "2.5"], "argument --trials: expected a whole number"),
    (["--trials", "1000000000"], "argument --trials: must be between 1 and 100,000,000"),
    (["--deadline", "-1"], "argument --deadline: must be a finite number of weeks > 0, got -1"),
    (["--deadline", "0"], "argument --deadline: must be a finite number of weeks > 0"),
    (["--deadline", "nan"], "argument --deadline: must be a finite number of weeks > 0, got nan"),
    (["--deadline", "inf"], "argument --deadline: must be a finite number of weeks > 0"),
    (["--deadline", "abc"], "argument --deadline: expected a number of weeks, got 'abc'"),
    (["--seed", "-1"], "argument --seed: must be >= 0, got -1"),
    (["--seed", "abc"], "argument --seed: expected a whole number >= 0"),
    (["--workers", "0"], "argument --workers: must be between 1 and 64"),
    (["--bogus"], "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize("args, words", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_arguments(run_cli, args, words):
    rc, out, err = run_cli("simulate", DATA / "minimal.yaml", *args)
    assert_one_clean_line(rc, out, err, "lekhok-forecast", words)


def test_missing_plan_argument_and_unknown_command(run_cli):
    assert_one_clean_line(*run_cli("simulate"), "lekhok-forecast simulate: error:", "required: plan")
    assert_one_clean_line(*run_cli("forecast"), "lekhok-forecast: error:", "invalid choice: 'forecast'")


# ------------------------------------------------------------------ good output


def test_simulate_json_on_the_lekhok_plan(run_cli, lekhok_path, lekhok_plan):
    rc, out, err = run_cli("simulate", lekhok_path, "--trials", "4096", "--seed", "3", "--json")
    assert rc == 0 and err == ""
    s = json.loads(out)  # exactly one JSON object: json.loads rejects anything after it
    assert isinstance(s, dict) and out.lstrip().startswith("{") and out.rstrip().endswith("}")
    check_documented_keys(s, lekhok_plan)
    assert s["plan"] == lekhok_plan.name and s["trials"] == 4096 and s["seed"] == 3
    assert [f"M{i}" for i in range(1, 5)] == list(s["milestones"])


def test_extra_deadline_adds_its_key(run_cli, lekhok_path, lekhok_plan):
    rc, out, _ = run_cli("simulate", lekhok_path, "--trials", "2000", "--deadline", "1.5", "--deadline", "14", "--json")
    s = json.loads(out)
    assert rc == 0
    check_documented_keys(s, lekhok_plan, deadlines=("12", "14", "16", "1.5"))  # 14 is not repeated
    assert s["p_finish_by"]["1.5"] == 0.0


AS_OF = ("--actuals", str(ACTUALS_DIR), "--week", "2025-W09")


def test_simulate_as_of_a_week_is_the_weekly_forecast_with_extra_deadlines(run_cli, lekhok_path, lekhok_plan):
    """`simulate --actuals --week`: the keys of `simulate --json` plus the basis; the
    report's own numbers (`run_weekly_forecast`, one code path); `--deadline` keys as written."""
    from lekhok_forecast.app.forecast import run_weekly_forecast

    args = ("simulate", lekhok_path, "--trials", "2000", "--seed", "4", *AS_OF, "--json")
    rc, out, err = run_cli(*args, "--deadline", "14.5", "--deadline", "14", "--deadline", "15")
    assert rc == 0 and err == ""
    s = json.loads(out)
    check_documented_keys(s, lekhok_plan, deadlines=("12", "14", "16", "14.5", "15"))
    assert s["week"] == "2025-W09" and s["actuals_week"] == "2025-W09" and s["as_of_week"] == 4.0
    assert s["actuals_file"] == "data/actuals/2025-W09.csv" and isinstance(s["calibrated"], bool)
    assert s["p_finish_by"]["14"] <= s["p_finish_by"]["14.5"] <= s["p_finish_by"]["15"] <= s["p_finish_by"]["16"]
    assert list(s["forecasts"]["plan"]["p_finish_by"]) == ["12", "14", "16", "14.5", "15"]
    weekly = run_weekly_forecast(lekhok_path, 2000, 4, "2025-W09", ACTUALS_DIR).summary
    for key in weekly:
        if key not in ("p_finish_by", "p_between", "cost", "forecasts"):  # these carry the extra deadlines
            assert s[key] == weekly[key], key
    assert {k: s["p_finish_by"][k] for k in ("12", "14", "16")} == weekly["p_finish_by"]
    rc, plain, _ = run_cli(*args)
    assert rc == 0 and list(json.loads(plain)["p_finish_by"]) == ["12", "14", "16"]
    rc, text, _ = run_cli(*args[:-1])
    assert text.startswith("2025-W09: re-forecast from data/actuals/2025-W09.csv (as of week 4.0)"), text
    assert rc == 0
    assert "Top drivers" in text and "{" not in text


def _bad_actuals(tmp_path: Path) -> Path:
    folder = tmp_path / "actuals"
    folder.mkdir()
    good = (ACTUALS_DIR / "2025-W08.csv").read_text(encoding="utf-8")
    (folder / "2025-W08.csv").write_text(good.replace("docker_cloud_learning,", "docker_cloud_lerning,", 1))
    return folder


def test_simulate_as_of_bad_input_is_one_line_exit_2(run_cli, lekhok_path, tmp_path):
    plan = ("simulate", lekhok_path, "--trials", "500")
    for args, words in (
        (("--actuals", "data/actuals", "--week", "2025-W60"), "--week: expected an ISO week like 2025-W06"),
        (("--actuals", "data/actuals", "--week", "2025-W02"), "--week: week 2025-W02 ends before the plan starts"),
        (("--actuals", tmp_path / "missing", "--week", "2025-W09"), "actuals folder not found"),
        (("--actuals", _bad_actuals(tmp_path), "--week", "2025-W09"), "2025-W08.csv:"),
        (("--week", "2025-W09"), "--week needs --actuals DIR"),
        ((*AS_OF, "--scenario", "thirty_hours"), "--scenario does not apply with --actuals"),
    ):
        rc, out, err = run_cli(*plan, *args)
        assert_one_clean_line(rc, out, err, "", words)


def test_plan_without_budget_costs_milestones_omits_those_sections(run_cli):
    rc, out, _ = run_cli("simulate", DATA / "minimal.yaml", "--trials", "2000", "--json")
    s = json.loads(out)
    assert rc == 0
    assert not {"milestones", "buffer", "cost"} & set(s)
    assert {"plan", "trials", "seed", "finish_weeks", "p_finish_by", "tasks"} <= set(s)


def test_same_seed_same_json(run_cli, lekhok_path):
    a = run_cli("simulate", lekhok_path, "--trials", "5000", "--json")
    b = run_cli("simulate", lekhok_path, "--trials", "5000", "--json", "--workers", "2")
    assert a == b


def test_text_output_is_readable(run_cli, lekhok_path):
    rc, out, err = run_cli("simulate", lekhok_path, "--trials", "3000", "--deadline", "15")
    assert rc == 0 and err == ""
    for words in (
        "Lekhok production deployment",
        "3,000 trials, seed 1",
        "Finish (weeks from start)",
        "P80",
        "Chance of finishing by",
        "week    12:",
        "week    15:",
        "Milestones",
        "M1",
        "Buffer",
        "planned 20% of 12 weeks",
        "Top drivers",
        "Cost",
        "within budget",
    ):
        assert words in out, words
    assert "{" not in out and "Traceback" not in out
    assert max(len(line) for line in out.splitlines()) < 120


def test_validate_ok_and_help(run_cli, lekhok_path):
    rc, out, err = run_cli("validate", lekhok_path)
    assert rc == 0 and err == "" and out.startswith(f"{lekhok_path}: OK: 'Lekhok production deployment'")
    rc, out, _ = run_cli("--help")
    assert rc == 0 and "simulate" in out and "validate" in out


# ------------------------------------------------------------------ the real console script


def _console_script() -> str:
    here = Path(sys.executable).with_name("lekhok-forecast")
    return str(here) if here.exists() else "lekhok-forecast"


@pytest.mark.parametrize(
    "args",
    [["simulate", str(DATA / "bad_effort_order.yaml")], ["simulate", str(DATA / "minimal.yaml"), "--trials", "abc"]],
    ids=["bad-plan", "bad-trials"],
)
def test_console_script_bad_input(args):
    proc = subprocess.run([_console_script(), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n")
    assert "Traceback" not in proc.stderr


def test_console_script_json():
    proc = subprocess.run(
        [_console_script(), "simulate", str(DATA / "minimal.yaml"), "--trials", "2000", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stderr == ""
    assert json.loads(proc.stdout)["trials"] == 2000

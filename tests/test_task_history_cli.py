"""``lekhok-forecast task-history``: a plan's done work as the file ``backtest`` reads, and back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.task_history_file import read_task_history, task_history_from_text, task_history_text
from lekhok_forecast.tracking.backtest import backtest, project_history
from tests.test_cli import assert_one_clean_line

OWN = Path(__file__).parent / "data" / "own_project" / "plan.yaml"


def test_text_reads_back_bit_identical():
    h = task_history_from_text('estimate,actual,who,finish\n0.1,0.30000000000000004,"a, b",2024-01-02\n', "x.csv")
    back = task_history_from_text(task_history_text(h), "y.csv")
    assert back.estimates.tolist() == h.estimates.tolist() and back.actuals.tolist() == h.actuals.tolist()
    assert back.labels == h.labels and back.finish == h.finish


def test_lekhok_actuals_round_trip_to_backtest(run_cli, lekhok_path, lekhok_plan, tmp_path):
    out = tmp_path / "sub" / "history.csv"
    rc, stdout, err = run_cli("task-history", lekhok_path, "--out", out)
    assert rc == 0 and stdout == "" and err == f"wrote {out}: 14 done effort tasks of 2025-W11\n", err
    want = project_history(lekhok_plan, read_weeks(ACTUALS_DIR, lekhok_plan)[-1])
    got = read_task_history(out, by="workstream")
    assert got.estimates.tolist() == want.estimates.tolist() and got.actuals.tolist() == want.actuals.tolist()
    assert got.labels == want.labels and got.finish == want.finish and got.order().tolist() == list(range(14))
    rc, printed, _ = run_cli("task-history", lekhok_path)  # no --out: the same text on stdout
    assert rc == 0 and printed == out.read_text(encoding="utf-8")
    rc, text, _ = run_cli("backtest", out, "--history", "3", "--horizon", "1", "--trials", "300", "--json")
    assert rc == 0
    direct = backtest(want.estimates, want.actuals, history=3, horizon=1, trials=300)
    assert json.loads(text)["pinball"] == pytest.approx(direct.scores.pinball, rel=1e-12)
    assert json.loads(text)["windows"] == 11


def test_week_picks_the_latest_actuals_at_or_before_it(run_cli, lekhok_path, lekhok_plan):
    rc, text, _ = run_cli("task-history", lekhok_path, "--week", "2025-W07")
    assert rc == 0
    want = project_history(lekhok_plan, read_weeks(ACTUALS_DIR, lekhok_plan, up_to="2025-W07")[-1])
    h = task_history_from_text(text, "-")
    assert len(h) == len(want) == 5 and np.array_equal(h.actuals, want.actuals)


def test_own_project_folder_beside_the_plan(run_cli, tmp_path):
    rc, text, _ = run_cli("task-history", OWN)
    h = task_history_from_text(text, "-")
    assert rc == 0 and len(h) == 1 and h.labels["task"] == ("brief",) and h.labels["workstream"] == ("design",)
    out = tmp_path / "own.csv"
    assert run_cli("task-history", OWN, "--out", out)[0] == 0
    rc, report, _ = run_cli("backtest", out, "--history", "3", "--horizon", "1")
    assert rc == 0 and "No window to score" in report


def test_bad_input_is_one_line_exit_2_and_writes_nothing(run_cli, lekhok_path, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    early = tmp_path / "early"
    early.mkdir()
    shutil.copy(ACTUALS_DIR / "2025-W06.csv", early / "2025-W06.csv")
    bad = tmp_path / "bad"
    bad.mkdir()
    text = (ACTUALS_DIR / "2025-W08.csv").read_text(encoding="utf-8")
    (bad / "2025-W08.csv").write_text(text.replace("docker_cloud_learning,", "docker_cloud_lerning,", 1))
    out = tmp_path / "h.csv"
    for args, words in (
        ((lekhok_path, "--week", "2025-W99"), "--week: expected an ISO week"),
        ((lekhok_path, "--week", "2025-W01"), "no weekly actuals file (YYYY-Www.csv) at or before 2025-W01"),
        ((lekhok_path, "--actuals", tmp_path / "missing"), "folder not found"),
        ((lekhok_path, "--actuals", empty), "no weekly actuals file"),
        ((lekhok_path, "--actuals", bad), "2025-W08.csv:"),
        ((Path(__file__).parent / "data" / "minimal.yaml",), "the plan has no actuals folder"),
        ((tmp_path / "nope.yaml",), "nope.yaml"),
    ):
        rc, stdout, err = run_cli("task-history", *args, "--out", out)
        assert_one_clean_line(rc, stdout, err, "", words)
        assert not out.exists()
    rc, stdout, err = run_cli("task-history", lekhok_path, "--actuals", early, "--out", out)
    assert rc == 0 and "1 done effort task of 2025-W06" in err  # one task: a valid (if short) history
    out.unlink()
    lines = (early / "2025-W06.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [
        "docker_cloud_learning,in_progress,15,0,,0.5,1,2,not done yet\n"
        if s.startswith("docker_cloud_learning,")
        else s
        for s in lines
    ]
    (early / "2025-W06.csv").write_text("".join(lines), encoding="utf-8")
    rc, stdout, err = run_cli("task-history", lekhok_path, "--actuals", early, "--out", out)
    assert_one_clean_line(rc, stdout, err, "", "no done effort task in 2025-W06 yet")
    assert not out.exists()


def test_backtest_within_names_the_workstream_groups(run_cli, lekhok_path, lekhok_plan, tmp_path):
    out = tmp_path / "h.csv"
    assert run_cli("task-history", lekhok_path, "--out", out)[0] == 0
    args = ("backtest", out, "--history", "3", "--horizon", "1", "--trials", "300", "--method", "workstream", "--json")
    rc, text, _ = run_cli(*args, "--within", "workstream")
    want = project_history(lekhok_plan, read_weeks(ACTUALS_DIR, lekhok_plan)[-1])
    direct = backtest(
        want.estimates,
        want.actuals,
        history=3,
        horizon=1,
        trials=300,
        method="workstream",
        within=want.labels["workstream"],
    )
    assert rc == 0 and json.loads(text)["pinball"] == pytest.approx(direct.scores.pinball, rel=1e-12)
    rc, stdout, err = run_cli(*args, "--within", "workstrem")
    assert_one_clean_line(rc, stdout, err, f"{out}: --within: no label column 'workstrem'", "did you mean")

"""The weekly report with actuals: re-forecast headline, tracking sections, forecast history, week semantics.

Each run uses only the weekly-status notebook (the one these features live in) and few
trials, through the real command line in a fresh process.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN, NOTEBOOKS_DIR
from lekhok_forecast.present.format import pct, weeks

TRIALS = "2000"
SEED = "3"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def run_report(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "lekhok_forecast.cli", "report", "--trials", TRIALS, "--seed", SEED, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def history_lines(out: Path) -> dict[str, str]:
    """Week -> its line of forecast_history.csv (text, as written)."""
    lines = (out / "forecast_history.csv").read_text(encoding="utf-8").splitlines()
    return {line.split(",", 1)[0]: line for line in lines[1:]}


def history_rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "forecast_history.csv").read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def status_only(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("status_only")
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", folder)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory, status_only):
    """W09, then W11, then W11 again, into one output folder; the history after each run."""
    out = tmp_path_factory.mktemp("reports")
    after = {}
    for step, week in (("W09", "2025-W09"), ("W11", "2025-W11"), ("W11 again", "2025-W11")):
        proc = run_report("--week", week, "--out", out, "--notebooks", status_only)
        assert proc.returncode == 0, proc.stderr
        after[step] = (history_lines(out), (out / "forecast_history.csv").read_bytes(), proc)
    return out, after


def test_w11_pdf_has_every_tracking_section(runs):
    out, _ = runs
    text = pdf_text(out / "2025-W11" / "weekly-status.pdf")
    for heading in ("Forecast history", "What changed since last week", "Earned value", "Buffer fever chart"):
        assert heading in text, heading
    assert "Re-forecast from this week's actuals (data/actuals/2025-W11.csv)" in text
    assert "illustrative demo data" in text
    assert "Calibrated on the" in text  # the calibration message
    assert "plan (week 0)" in text and "re-forecast, calibrated (headline)" in text  # side by side
    assert "Since 2025-W10." in text and "SPI" in text and "CPI" in text
    assert "a week passes" in text  # the what-changed steps


def test_w11_summary_is_the_re_forecast_on_page_one(runs):
    out, _ = runs
    s = json.loads((out / "2025-W11" / "summary.json").read_text(encoding="utf-8"))
    assert s["week"] == "2025-W11" and s["as_of_week"] == 6.0
    assert s["actuals_week"] == "2025-W11" and s["actuals_file"] == "data/actuals/2025-W11.csv"
    assert s["weeks_stale"] == 0 and s["calibrated"] is True and s["headline"] == "calibrated"
    assert set(s["forecasts"]) == {"plan", "uncalibrated", "calibrated"}
    assert s["forecasts"]["calibrated"]["finish_weeks"]["p80"] == s["finish_weeks"]["p80"]
    # the headline is the re-forecast, not the plan's own forecast
    assert s["finish_weeks"]["p80"] != s["forecasts"]["plan"]["finish_weeks"]["p80"]
    text = pdf_text(out / "2025-W11" / "weekly-status.pdf")
    assert f"80% confidence date: week {weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})" in text
    for d, p in s["p_finish_by"].items():
        assert f"{pct(p)} by week {d}" in text, d
    for mid, m in s["milestones"].items():
        if "reached_week" in m:
            assert f"{mid} reached" in text and f"week {weeks(m['reached_week'])}, target" in text
        else:
            assert f"{mid} {m['status']} ({pct(m['p_on_time'])} on time" in text
    # the history row of the week holds the same headline numbers
    row = next(r for r in history_rows(out) if r["week"] == "2025-W11")
    assert float(row["p80"]) == pytest.approx(s["finish_weeks"]["p80"], abs=1e-6)
    assert row["calibrated"] == "true" and row["trials"] == TRIALS


def test_rerunning_a_week_leaves_one_identical_row(runs):
    _, after = runs
    lines, raw, _ = after["W11"]
    again, raw_again, _ = after["W11 again"]
    assert raw_again == raw  # the whole file byte-identical
    text = raw_again.decode("utf-8").splitlines()
    assert sum(line.startswith("2025-W11,") for line in text) == 1


def test_w09_then_w11_keeps_w09_row_and_adds_w11(runs):
    _, after = runs
    w09, _, proc = after["W09"]
    # the first run records its week and backfills the earlier weeks that have actuals
    assert list(w09) == ["2025-W06", "2025-W07", "2025-W08", "2025-W09"]
    w11, _, _ = after["W11"]
    assert list(w11) == ["2025-W06", "2025-W07", "2025-W08", "2025-W09", "2025-W10", "2025-W11"]
    for week in w09:  # rows already there are left exactly as they were
        assert w11[week] == w09[week], week
    assert "forecast_history.csv" in proc.stderr.splitlines()[-1]


def test_a_week_after_the_latest_actuals_says_so(runs, status_only, tmp_path):
    out, _ = runs
    w11 = json.loads((out / "2025-W11" / "summary.json").read_text(encoding="utf-8"))
    before = (out / "forecast_history.csv").read_bytes()
    proc = run_report("--week", "2026-W48", "--out", out, "--notebooks", status_only)
    assert proc.returncode == 0, proc.stderr
    assert "actuals 2025-W11 (89 weeks old)" in proc.stderr.splitlines()[0]
    s = json.loads((out / "2026-W48" / "summary.json").read_text(encoding="utf-8"))
    assert s["week"] == "2026-W48" and s["actuals_week"] == "2025-W11" and s["weeks_stale"] == 89
    assert s["finish_weeks"] == w11["finish_weeks"] and s["p_finish_by"] == w11["p_finish_by"]
    text = pdf_text(out / "2026-W48" / "weekly-status.pdf")
    assert (
        "No actuals for 2026-W48. The latest are from 2025-W11 (data/actuals/2025-W11.csv), 89 weeks earlier." in text
    )
    assert f"80% confidence date: week {weeks(s['finish_weeks']['p80'])}" in text
    # the forecast rests on 2025-W11, whose row is rewritten with the same numbers
    assert (out / "forecast_history.csv").read_bytes() == before


def test_no_actuals_is_the_plans_forecast(status_only, tmp_path, run_cli):
    empty = tmp_path / "actuals"
    empty.mkdir()
    proc = run_report("--week", "2025-W11", "--out", tmp_path / "out", "--notebooks", status_only, "--actuals", empty)
    assert proc.returncode == 0, proc.stderr
    s = json.loads((tmp_path / "out" / "2025-W11" / "summary.json").read_text(encoding="utf-8"))
    rc, printed, _ = run_cli("simulate", str(DEFAULT_PLAN), "--trials", TRIALS, "--seed", SEED, "--json")
    simulated = json.loads(printed)
    for key in simulated:
        if key != "plan_file":
            assert s[key] == simulated[key], key
    assert s["as_of_week"] == 0.0 and s["actuals_week"] is None and s["calibrated"] is False
    text = pdf_text(tmp_path / "out" / "2025-W11" / "weekly-status.pdf")
    assert "Basis: the plan alone." in text and "holds no actuals files" in text
    assert not (tmp_path / "out" / "forecast_history.csv").exists()  # nothing to record


def test_week_before_the_plan_start_is_one_line_exit_2(tmp_path, run_cli):
    rc, out, err = run_cli("report", "--week", "2025-W05", "--out", tmp_path / "out")
    assert rc == 2 and out == ""
    assert err.strip() == (
        "--week: week 2025-W05 ends before the plan starts on Mon 2025-02-03; the plan's first week is 2025-W06"
    )
    assert not (tmp_path / "out").exists()


def _corrupt_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "actuals"
    shutil.copytree(ACTUALS_DIR, folder)
    path = folder / "2025-W10.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("docker_backend,"))
    cells = lines[k].split(",")
    cells[2] = "-4.5"  # hours_to_date
    lines[k] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, k + 1


def test_bad_actuals_are_one_line_exit_2_and_keep_the_earlier_pdf(runs, status_only, tmp_path):
    out, _ = runs
    work = tmp_path / "reports"
    shutil.copytree(out, work)
    before = {p.relative_to(work): p.read_bytes() for p in work.rglob("*") if p.is_file()}
    folder, line = _corrupt_copy(tmp_path)
    proc = run_report("--week", "2025-W11", "--out", work, "--notebooks", status_only, "--actuals", folder)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"{folder / '2025-W10.csv'}:{line}: hours_to_date: must be >= 0 (hours cannot be negative), got -4.5"
    ]
    after = {p.relative_to(work): p.read_bytes() for p in work.rglob("*") if p.is_file()}
    assert after == before  # nothing written: earlier PDF, summary and history intact


def test_validate_checks_actuals(tmp_path, run_cli):
    rc, out, err = run_cli("validate", str(DEFAULT_PLAN), "--actuals", ACTUALS_DIR)
    assert rc == 0 and err == ""
    lines = out.splitlines()
    # the plan, its 5 scenarios, its 6 weeks
    assert len(lines) == 12 and lines[-1].startswith(f"{ACTUALS_DIR / '2025-W11.csv'}: OK: actuals 2025-W11")
    folder, line = _corrupt_copy(tmp_path)
    rc, out, err = run_cli("validate", str(DEFAULT_PLAN), "--actuals", folder)
    assert rc == 2 and out == ""
    assert err.splitlines() == [
        f"{folder / '2025-W10.csv'}:{line}: hours_to_date: must be >= 0 (hours cannot be negative), got -4.5"
    ]


def test_another_plan_does_not_pick_up_the_lekhok_actuals(status_only, tmp_path):
    """data/actuals is the Lekhok plan's (it names it); a copy without that key elsewhere gets its own forecast."""
    plan = tmp_path / "copy_of_plan.yaml"
    text = DEFAULT_PLAN.read_text(encoding="utf-8")
    plan.write_text(re.sub(r"(?m)^(scenarios|actuals): .*\n", "", text), encoding="utf-8")
    assert "actuals:" not in plan.read_text(encoding="utf-8")
    proc = run_report("--week", "2025-W11", "--plan", plan, "--out", tmp_path / "out", "--notebooks", status_only)
    assert proc.returncode == 0, proc.stderr
    s = json.loads((tmp_path / "out" / "2025-W11" / "summary.json").read_text(encoding="utf-8"))
    assert s["as_of_week"] == 0.0 and s["actuals_week"] is None and s["calibrated"] is False


FIXED_NO_BUFFER = """\
name: fixed
units: days
start: 2025-02-03
workstreams:
  dev: {hours_per_week: 40}
tasks:
  - {id: a, workstream: dev, effort: 3}
  - {id: b, workstream: dev, effort: 2, after: [a]}
milestones:
  - {id: done, tasks: [b], target_week: 2}
"""
FIXED_HEADER = "task,status,hours_to_date,start_week,finish_week,remaining_low,remaining_mode,remaining_high,notes\n"


def test_a_plan_without_buffer_and_with_fixed_estimates_says_so(tmp_path):
    """No buffer and fixed estimates: a 0-week buffer, so no fever chart, in words, never a traceback."""
    plan = tmp_path / "fixed.yaml"
    plan.write_text(FIXED_NO_BUFFER, encoding="utf-8")
    notebooks, scenarios, actuals, out = (tmp_path / d for d in ("nb", "scenarios", "actuals", "out"))
    for d in (notebooks, scenarios, actuals):
        d.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", notebooks)
    (actuals / "2025-W07.csv").write_text(FIXED_HEADER + "a,done,30,0,0.7,,,,\nb,in_progress,4,0.7,,1,1,1,\n")
    (actuals / "2025-W08.csv").write_text(FIXED_HEADER + "a,done,30,0,0.7,,,,\nb,done,20,0.7,1.2,,,,\n")
    common = ("--plan", plan, "--notebooks", notebooks, "--scenarios", scenarios, "--out", out)
    for week in ("2025-W06", "2025-W07", "2025-W08"):
        proc = run_report(*common, "--actuals", actuals, "--week", week)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        text = pdf_text(out / week / "weekly-status.pdf")
        assert "No buffer fever chart: the project buffer is 0 weeks" in text
    rows = history_rows(out)
    assert [r["week"] for r in rows] == ["2025-W07", "2025-W08"]  # weeks with actuals
    assert all(not r.get("fever_zone") for r in rows)  # no fever point is recorded


def test_a_plan_without_milestones_or_buffer_runs(tmp_path):
    plan = tmp_path / "bare.yaml"
    plan.write_text(FIXED_NO_BUFFER.split("milestones:")[0], encoding="utf-8")
    notebooks, scenarios, out = (tmp_path / d for d in ("nb", "scenarios", "out"))
    for d in (notebooks, scenarios):
        d.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", notebooks)
    proc = run_report(
        "--plan", plan, "--notebooks", notebooks, "--scenarios", scenarios, "--out", out, "--week", "2025-W10"
    )
    assert proc.returncode == 0, proc.stderr
    text = pdf_text(out / "2025-W10" / "weekly-status.pdf")
    assert "Milestones" not in text and "No buffer fever chart" in text  # left out / said why

"""`lekhok-forecast report` end to end: PDFs, summary.json, the failure path, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_one_forecast_in_every_pdf, pdf_text, weekly_status_with_cell

from lekhok_forecast.app.forecast import run_weekly_forecast
from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN, NOTEBOOKS_DIR
from lekhok_forecast.present.format import money, pct, weeks
from lekhok_forecast.report.notebooks import report_notebooks
from lekhok_forecast.sources.weeks import check_week, current_week

WEEK = "2025-W10"
TRIALS = "3000"
SEED = "5"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def run_report(*args, cwd=None):
    """Run the real command line in a fresh process; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "lekhok_forecast.cli", "report", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One real report, run from another folder with a relative --out (as the README does)."""
    work = tmp_path_factory.mktemp("work")
    before = sorted(p.name for p in NOTEBOOKS_DIR.iterdir())
    proc = run_report("--week", WEEK, "--trials", TRIALS, "--seed", SEED, "--out", "reports", cwd=work)
    assert proc.returncode == 0, proc.stderr
    # every output under the given folder, nothing next to the notebooks (kernels run there)
    assert sorted(p.name for p in NOTEBOOKS_DIR.iterdir()) == before
    assert [p.name for p in work.iterdir()] == ["reports"]
    return work / "reports" / WEEK, proc


def _failing_notebooks(tmp_path: Path) -> Path:
    """A notebooks folder whose weekly status raises in the cell after its set-up."""
    return weekly_status_with_cell(
        tmp_path / "failing_notebooks", "boom", ["raise RuntimeError('plan data went missing')"]
    )


def test_every_notebook_gives_a_pdf_that_opens(report):
    from pypdf import PdfReader

    week_dir, _ = report
    for nb in report_notebooks():
        pdf = week_dir / nb.pdf_name
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 1, pdf
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2, f"{pdf} is not A4"
        executed = week_dir / f"{nb.name}.ipynb"
        assert reader.metadata.title == nb.title(WEEK, executed)  # a real title, not the file name
        assert reader.metadata.title.startswith("Lekhok deployment: ")  # the plan's title, from its report: section
        assert (week_dir / f"{nb.name}.ipynb").exists()  # executed notebook kept
        text = pdf_text(pdf)
        assert "import " not in text  # code hidden
        assert ".staging-" not in text and str(week_dir.parent) not in text  # no paths of this machine
    assert sorted(p.name for p in week_dir.glob("*.pdf")) == sorted(nb.pdf_name for nb in report_notebooks())
    assert (week_dir / "figures").is_dir() and any((week_dir / "figures").glob("*.png"))
    assert not list(week_dir.parent.glob(".*staging*"))  # staging folder cleaned up


WEEKLY_KEYS = {
    "week",
    "week_rule",
    "as_of_week",
    "actuals_week",
    "actuals_file",
    "weeks_stale",
    "calibrated",
    "done_tasks",
    "calibration_ratio",
    "headline",
    "forecasts",
}


def test_summary_json_has_the_keys_of_simulate_json_and_the_re_forecast(report, run_cli):
    week_dir, _ = report
    summary = json.loads((week_dir / "summary.json").read_text(encoding="utf-8"))
    rc, out, _ = run_cli("simulate", str(DEFAULT_PLAN), "--trials", TRIALS, "--seed", SEED, "--json")
    assert rc == 0
    simulated = json.loads(out)
    assert set(summary) == set(simulated) | WEEKLY_KEYS
    assert summary["week"] == WEEK and summary["actuals_week"] == WEEK and summary["as_of_week"] == 5.0
    assert summary["week_rule"] == "given"  # --week YYYY-Www
    for key, value in simulated.items():  # same shape as simulate --json
        assert type(summary[key]) is type(value), key
        if key == "risks":  # a re-forecast drops the risks whose tasks are all done
            assert set(summary[key]) < set(value), key
        elif isinstance(value, dict):
            assert set(summary[key]) == set(value), key
    # the numbers are the re-forecast from this week's actuals (the plan's own are in `forecasts`)
    expected = run_weekly_forecast(DEFAULT_PLAN, int(TRIALS), int(SEED), WEEK, ACTUALS_DIR).summary
    for key in expected:
        if key != "plan_file":
            assert summary[key] == expected[key], key
    plan_only = summary["forecasts"]["plan"]
    assert plan_only["finish_weeks"]["p80"] == simulated["finish_weeks"]["p80"]
    assert plan_only["p_finish_by"] == simulated["p_finish_by"]


def test_simulate_actuals_week_prints_the_reports_summary(report, run_cli):
    """`simulate --actuals --week` is the report's as-of forecast: its JSON is summary.json."""
    week_dir, _ = report
    summary = json.loads((week_dir / "summary.json").read_text(encoding="utf-8"))
    rc, out, err = run_cli(
        "simulate", DEFAULT_PLAN, "--actuals", ACTUALS_DIR, "--week", WEEK, "--trials", TRIALS, "--seed", SEED, "--json"
    )
    assert rc == 0, err
    assert json.loads(out) == summary


def test_weekly_status_pdf_states_the_summary_numbers(report):
    week_dir, _ = report
    s = json.loads((week_dir / "summary.json").read_text(encoding="utf-8"))
    text = pdf_text(week_dir / "weekly-status.pdf")
    assert "Lekhok deployment: weekly status" in text and WEEK in text
    for d, p in s["p_finish_by"].items():
        assert f"{pct(p)} by week {d}" in text, d
    assert s["finish_dates"]["p80"] in text
    assert f"week {weeks(s['finish_weeks']['p80'])}" in text
    assert f"enough in {pct(s['buffer']['p_within_buffer'])} of trials" in text
    assert money(s["cost"]["p50"]) in text and money(s["cost"]["p90"]) in text
    assert f"{pct(s['cost']['p_within_budget'])} chance of staying within" in text
    for mid, m in s["milestones"].items():  # the status words of summary.json, on page one and in the table
        if "reached_week" in m:
            assert m["status"] == ("reached on time" if m["reached_week"] <= m["target_week"] else "reached late")
            assert f"{mid} {m['status']} (week {weeks(m['reached_week'])}" in text
        else:
            assert m["status"] in ("green", "amber", "red")
            assert f"{mid} {m['status']} ({pct(m['p_on_time'])} on time" in text
    assert "How to read this report" in text and "Critical-chain buffer" in text
    assert f"{int(TRIALS):,} Monte Carlo trials, seed {SEED}" in text
    # the headline column of the side-by-side table holds the same numbers
    head = s["forecasts"][s["headline"]]
    assert head["finish_weeks"] == {k: s["finish_weeks"][k] for k in head["finish_weeks"]}
    assert f"{money(s['cost']['p50'])} / {money(s['cost']['p90'])}" in text
    assert f"Re-forecast from this week's actuals (data/actuals/{WEEK}.csv)" in text


def test_every_pdf_states_the_same_forecast_as_summary_json(report):
    """One forecast per week: every PDF opens with the week's basis and the same P80 and
    chances by each deadline as summary.json (the re-forecast, not the plan as written)."""
    week_dir, _ = report
    s = assert_one_forecast_in_every_pdf(
        week_dir, f"Basis: re-forecast from the actuals of {WEEK}, calibrated on", 1500
    )
    assert s["calibrated"] and s["forecasts"]["plan"]["finish_weeks"]["p80"] != s["finish_weeks"]["p80"]


def test_progress_goes_to_stderr(report):
    _, proc = report
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"report {WEEK}: {len(report_notebooks())} notebooks")
    assert any(line.startswith(f"[1/{len(report_notebooks())}] weekly_status: executed in") for line in lines)
    assert lines[-1].startswith(f"wrote reports/{WEEK}/weekly-status.pdf")
    assert "Traceback" not in proc.stderr and "WARNING" not in proc.stderr


def test_failing_notebook_keeps_earlier_outputs(report, tmp_path):
    week_dir, _ = report
    out = tmp_path / "reports"
    shutil.copytree(week_dir, out / WEEK)
    before = {p.name: p.read_bytes() for p in (out / WEEK).iterdir() if p.is_file()}
    proc = run_report(
        "--week", WEEK, "--trials", TRIALS, "--seed", SEED, "--out", out, "--notebooks", _failing_notebooks(tmp_path)
    )
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("lekhok-forecast report: notebook")]
    assert len(errors) == 1
    assert "weekly_status.ipynb failed in cell" in errors[0]
    assert "RuntimeError: plan data went missing" in errors[0]
    assert "raise RuntimeError" in errors[0]  # the failing cell's code
    for name, data in before.items():  # earlier PDFs, notebooks and summary byte-identical
        assert (out / WEEK / name).read_bytes() == data, name
    assert not (out / "forecast_history.csv").exists()  # recorded only after a success
    failed = out / WEEK / "weekly_status.failed.ipynb"
    nb = json.loads(failed.read_text(encoding="utf-8"))
    assert any(o.get("ename") == "RuntimeError" for c in nb["cells"] for o in c.get("outputs", []))
    assert not list(out.glob(".*staging*"))


def test_rerun_gives_the_same_numbers_and_clears_the_failure(report, tmp_path):
    week_dir, _ = report
    out = tmp_path / "reports"
    shutil.copytree(week_dir, out / WEEK)
    (out / WEEK / "weekly_status.failed.ipynb").write_text("{}", encoding="utf-8")
    only_status = tmp_path / "nb"
    only_status.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", only_status)
    proc = run_report("--week", WEEK, "--trials", TRIALS, "--seed", SEED, "--out", out, "--notebooks", only_status)
    assert proc.returncode == 0, proc.stderr
    assert (out / WEEK / "summary.json").read_bytes() == (week_dir / "summary.json").read_bytes()
    assert pdf_text(out / WEEK / "weekly-status.pdf") == pdf_text(week_dir / "weekly-status.pdf")
    assert not (out / WEEK / "weekly_status.failed.ipynb").exists()


def test_bad_plan_is_one_line_exit_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "plan.yaml"
    bad.write_text("name: x\ntasks:\n  - {id: a, duration: {low: 3, high: 1}}\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = run_report("--plan", bad, "--out", out, "--week", WEEK)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"{bad}:3: tasks[0].duration.high: must be >= low (3), got 1"
    assert not out.exists()


@pytest.mark.parametrize("week", ["2025-10", "2025-W54", "W10"])
def test_bad_week_is_exit_2(tmp_path, week, run_cli):
    rc, out, err = run_cli("report", "--week", week, "--out", tmp_path / "out")
    assert rc == 2 and out == ""
    assert err.strip() == f"--week: expected an ISO week like 2025-W06, got {week!r}"
    assert not (tmp_path / "out").exists()


def test_week_helpers():
    import datetime as dt

    assert current_week(dt.date(2025, 2, 3)) == "2025-W06"
    assert current_week(dt.date(2024, 12, 30)) == "2025-W01"
    assert check_week("2026-W53") == "2026-W53"
    assert report_notebooks()[0].name == "weekly_status"

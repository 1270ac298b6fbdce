"""The second example project (data/examples/office_move): the whole weekly routine, end to end.

It is laid out as ``lekhok-forecast init`` writes a project, so the commands find its
scenarios and actuals beside the plan with no flags. Also the newcomer's first report:
without ``--week``, actuals far older than the current week give the report of their week.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import pdf_text

from lekhok_forecast.config import DATA_DIR, NOTEBOOKS_DIR
from lekhok_forecast.report.notebooks import report_notebooks
from lekhok_forecast.sources.plan_file import load_plan
from lekhok_forecast.sources.weeks import STALE_DEFAULT_WEEKS, current_week, weeks_between
from lekhok_forecast.sources.workspace import template_files

EXAMPLE = DATA_DIR / "examples" / "office_move"
PLAN = EXAMPLE / "plan.yaml"
WEEK = "2026-W13"  # the latest actuals of the example
TRIALS = "2000"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lekhok_forecast.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )


def test_the_example_is_laid_out_as_init_writes_it():
    starter = {Path(rel).parent.as_posix() for rel in template_files()} - {"."}
    assert starter == {"scenarios", "actuals"}
    for folder in (*starter, "reports"):
        assert (EXAMPLE / folder).is_dir(), folder
    for form in ("template.csv", "template.spend.csv"):  # the blank forms, as init writes them
        assert (EXAMPLE / "actuals" / form).read_text(encoding="utf-8") == template_files()[f"actuals/{form}"]
    plan = load_plan(PLAN)
    assert "lekhok" not in PLAN.read_text(encoding="utf-8").lower().replace("lekhok-forecast", "")
    assert plan.calendar.holidays and any(w.unavailable for w in plan.workstreams)
    assert 2 <= len(list((EXAMPLE / "scenarios").glob("*.yaml"))) <= 3
    weeks = sorted(p.name for p in (EXAMPLE / "actuals").glob("2026-W*.csv") if ".spend" not in p.name)
    assert 3 <= len(weeks) <= 4
    assert all((EXAMPLE / "actuals" / w.replace(".csv", ".spend.csv")).exists() for w in weeks)
    assert [p.name for p in (EXAMPLE / "reports").iterdir()] == [".gitkeep"]  # reports are not committed


def test_validate_and_simulate():
    proc = cli("validate", PLAN)
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 + 3 + 4  # the plan, each scenario applied, each week of actuals
    assert all(": OK: " in line for line in lines)
    proc = cli("simulate", PLAN, "--trials", TRIALS, "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert set(s["p_finish_by"]) == {"12", "14"} and set(s["milestones"]) == {"M1", "M2", "M3"}
    assert s["cost"]["currency"] == "€" and "budget" in s["cost"]


@pytest.fixture(scope="module")
def week_report(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("office_move") / "reports"
    proc = cli("report", "--plan", PLAN, "--week", WEEK, "--trials", TRIALS, "--out", out)
    return out / WEEK, proc


def test_the_weekly_report_writes_every_pdf_and_the_summary(week_report, run_cli):
    week_dir, proc = week_report
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"plan {PLAN.relative_to(DATA_DIR.parent)}, actuals {WEEK}, 3 scenarios" in proc.stderr
    assert sorted(p.name for p in week_dir.glob("*.pdf")) == sorted(nb.pdf_name for nb in report_notebooks())
    for pdf in week_dir.glob("*.pdf"):
        assert pdf.stat().st_size > 10_000, pdf
        assert "lekhok" not in pdf_text(pdf).lower(), pdf  # the plan's own story (its `report:`), no Lekhok words
    s = json.loads((week_dir / "summary.json").read_text(encoding="utf-8"))
    assert s["week"] == WEEK and s["week_rule"] == "given" and s["actuals_week"] == WEEK
    assert s["as_of_week"] == 4.0 and s["calibrated"] is True and s["done_tasks"] == 4
    assert s["actuals_file"] == "data/examples/office_move/actuals/2026-W13.csv"
    text = pdf_text(week_dir / "weekly-status.pdf")
    assert text.startswith("Office move: weekly status")
    assert "4 of 13 tasks were done and 4 in progress" in text  # the actuals as the file says, from the bundle
    scenarios = pdf_text(week_dir / "scenarios.pdf")
    for name in ("AV installer", "Movers pack", "Leave after the move"):
        assert name in scenarios, name
    assert "30 hours a week" not in scenarios  # none of Lekhok's scenarios


@pytest.fixture(scope="module")
def status_only(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("status_only")
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", folder)
    return folder


def test_without_week_old_actuals_give_the_report_of_their_week(status_only, tmp_path):
    """The newcomer's first report: the latest actuals' week, said on stderr and in summary.json."""
    now = current_week()
    behind = weeks_between(WEEK, now)
    assert behind > STALE_DEFAULT_WEEKS  # the example's actuals are from March 2026
    out = tmp_path / "reports"
    proc = cli("report", "--plan", PLAN, "--trials", "500", "--out", out, "--notebooks", status_only)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == (
        f"no --week: the latest actuals ({WEEK}) are {behind} weeks older than the current week {now},"
        f" so this is the report of {WEEK}; --week current (the scheduled run) reports {now}"
    )
    assert [p.name for p in out.iterdir() if p.is_dir()] == [WEEK]
    s = json.loads((out / WEEK / "summary.json").read_text(encoding="utf-8"))
    assert s["week"] == WEEK and s["week_rule"] == "latest-actuals" and s["weeks_stale"] == 0
    # the scheduled run: --week current reports this week, from the same (old) actuals
    proc = cli(
        "report", "--plan", PLAN, "--trials", "500", "--out", out, "--notebooks", status_only, "--week", "current"
    )
    assert proc.returncode == 0, proc.stderr
    assert "no --week" not in proc.stderr
    s = json.loads((out / now / "summary.json").read_text(encoding="utf-8"))
    assert s["week"] == now and s["week_rule"] == "current" and s["weeks_stale"] == behind


def test_a_project_written_by_init_reports_its_current_week(status_only, tmp_path):
    """Straight after init, with no actuals, the first report is this week's: week 0 is this week's Monday."""
    project = tmp_path / "portal"
    assert cli("init", project).returncode == 0
    proc = cli("report", "--plan", "plan.yaml", "--trials", "500", "--notebooks", status_only, cwd=project)
    assert proc.returncode == 0, proc.stderr
    s = json.loads((project / "reports" / current_week() / "summary.json").read_text(encoding="utf-8"))
    assert s["week_rule"] == "current" and s["actuals_week"] is None and s["as_of_week"] == 0.0

"""A plan that is not shipped as an example gets the whole weekly routine, in its own words.

``tests/data/own_project/``: 8 tasks, two workstreams with their own capacities, risks,
milestones, EUR costs, its own scenario, a calendar with holidays and one week of actuals;
no phases and no ``report:`` section. ``validate``, ``simulate`` and a full ``report`` exit 0;
no PDF carries another plan's story; no chart or table is drawn empty (the plan has no
phases: there is no phase section); and every PDF states the same P80 and chances by each
deadline as ``summary.json``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_one_forecast_in_every_pdf, pdf_text

from lekhok_forecast.report.notebooks import report_notebooks

OWN = Path(__file__).parent / "data" / "own_project"
PLAN = OWN / "plan.yaml"
WEEK = "2026-W03"  # a week after the only actuals (2026-W02)
FOREIGN_WORDS = ("Lekhok", "28 January", "12-week", "DevOps", "deployment status report", "14-16", "14–16")

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lekhok_forecast.cli", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


@pytest.fixture(scope="module")
def own_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("own") / "reports"
    proc = _cli(
        "report",
        "--plan",
        str(PLAN),
        "--actuals",
        str(OWN / "actuals"),
        "--scenarios",
        str(OWN / "scenarios"),
        "--week",
        WEEK,
        "--trials",
        "3000",
        "--seed",
        "2",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    return out / WEEK


def test_validate_and_simulate_exit_0():
    proc = _cli("validate", str(PLAN), "--actuals", str(OWN / "actuals"))
    assert proc.returncode == 0, proc.stderr
    assert "8 tasks" in proc.stdout and "2 workstreams" in proc.stdout
    proc = _cli(
        "simulate", str(PLAN), "--trials", "2000", "--scenario", str(OWN / "scenarios" / "extra_backend_dev.yaml")
    )
    assert proc.returncode == 0, proc.stderr
    proc = _cli("simulate", str(PLAN), "--trials", "2000", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cost"]["currency"] == "€"


def test_no_pdf_tells_another_plans_story(own_report):
    for nb in report_notebooks():
        text = pdf_text(own_report / nb.pdf_name)
        for word in FOREIGN_WORDS:
            assert word not in text, (nb.name, word)
        assert text.startswith(f"Shop relaunch: {nb.name.replace('_', ' ')}"), (nb.name, text[:80])
    weekly = pdf_text(own_report / "weekly-status.pdf")
    assert "week 8, 10 and 12" in weekly or "by week 8" in weekly  # the plan's own deadlines
    risk = pdf_text(own_report / "schedule-risk.pdf")
    assert "Both workstreams have their own weekly hours" in risk
    assert "share of the same team" not in risk
    assert "The plan commits to 9 weeks plus a 25% buffer" in pdf_text(own_report / "buffers.pdf")


def test_sections_without_data_are_left_out_and_nothing_is_drawn_empty(own_report):
    figures = {p.stem for p in (own_report / "figures").glob("*.png")}
    assert "schedule_phase_ends" not in figures  # the plan has no phases
    assert {"schedule_milestones", "budget_burn_fan", "scenarios_finish_cdfs", "buffer_curve"} <= figures
    assert "Phases" not in pdf_text(own_report / "schedule-risk.pdf")
    for nb in report_notebooks():
        executed = json.loads((own_report / f"{nb.name}.ipynb").read_text(encoding="utf-8"))
        for cell in executed["cells"]:
            for out in cell.get("outputs", []):
                html = "".join(out.get("data", {}).get("text/html", ""))
                for body in re.findall(r"<tbody>(.*?)</tbody>", html, flags=re.S):
                    assert "<tr" in body, (nb.name, "a table with a header only")
                if "image/png" in out.get("data", {}):
                    assert len(out["data"]["image/png"]) > 4_000, (nb.name, "a near-empty figure")


def test_every_pdf_states_the_same_forecast_as_summary_json(own_report):
    s = assert_one_forecast_in_every_pdf(own_report, "Basis: re-forecast from the actuals of 2026-W02", 1200)
    assert s["actuals_week"] == "2026-W02" and s["headline"] == "uncalibrated"  # one done task: not calibrated
    assert list(s["p_finish_by"]) == ["8", "10", "12"]

"""Shared helpers for the forecasting-core tests.

Monte Carlo tolerances are stated as ``K_SE`` standard errors computed from the analytic
variance of the estimated quantity, with fixed seeds, so a test fails only when the engine
is wrong (at K_SE = 5 a correct engine fails one assertion in about 1.7 million).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from lekhok_forecast.config import DEFAULT_PLAN, NOTEBOOKS_DIR
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.present.format import pct, weeks
from lekhok_forecast.report.notebooks import report_notebooks
from lekhok_forecast.sources.plan_file import load_plan, plan_from_text
from lekhok_forecast.sources.table_cache import ENV

#: Standard errors allowed between a Monte Carlo estimate and its known answer.
K_SE = 5.0
DATA = Path(__file__).resolve().parent / "data"


def make_plan(text: str, path: str = "<test>") -> Plan:
    """A plan from (indented) YAML text."""
    return plan_from_text(textwrap.dedent(text), path)


def mean_tolerance(variance: float, trials: int, k: float = K_SE) -> float:
    """k standard errors of a sample mean of `trials` draws with the given variance."""
    return k * math.sqrt(variance / trials)


def prob_tolerance(p: float, trials: int, k: float = K_SE, bias: float = 0.0) -> float:
    """k binomial standard errors of an estimated probability (plus a known bias bound)."""
    return k * math.sqrt(p * (1 - p) / trials) + bias


def var_tolerance(variance: float, mu4: float, trials: int, k: float = K_SE) -> float:
    """k standard errors of a sample variance: sqrt((mu4 - sigma^4) / n)."""
    return k * math.sqrt((mu4 - variance**2) / trials)


def assert_close(observed: float, expected: float, tol: float, what: str = "") -> float:
    """Assert |observed - expected| <= tol; return the error in units of tol."""
    err = abs(observed - expected)
    assert err <= tol, f"{what}: observed {observed!r}, expected {expected!r}, |err| {err:.3g} > tol {tol:.3g}"
    return err / tol


FINISH_KEYS = {"mean", "std", "p10", "p50", "p80", "p90", "p95"}
MILESTONE_KEYS = {"target_week", "p_on_time", "p50_week", "p80_week"}
BUFFER_KEYS = {"baseline_weeks", "buffer", "p_within_buffer", "needed_for_p80", "needed_for_p90", "rsem_weeks"}
COST_KEYS = {"mean", "p50", "p80", "p90", "p_within_budget", "joint_p_by"}


def check_documented_keys(s: dict, plan, deadlines=("12", "14", "16")) -> None:
    """Every key `simulate --json` documents, for a plan with all sections."""
    assert {"plan", "trials", "seed", "finish_weeks", "p_finish_by", "milestones", "tasks", "buffer", "cost"} <= set(s)
    assert FINISH_KEYS <= set(s["finish_weeks"])
    assert list(s["p_finish_by"]) == list(deadlines)
    assert list(s["milestones"]) == [m.id for m in plan.milestones]
    for m in s["milestones"].values():
        assert MILESTONE_KEYS <= set(m) and 0 <= m["p_on_time"] <= 1
    assert list(s["tasks"]) == [t.id for t in plan.tasks]
    for t in s["tasks"].values():
        assert set(t) == {"criticality", "sensitivity"}
        assert 0 <= t["criticality"] <= 1 and -1 <= t["sensitivity"] <= 1
    # every risk that can still move the finish (a re-forecast drops those whose tasks are done)
    assert list(s["risks"]) == [r.id for r in plan.risks if r.id in s["risks"]] and s["risks"]
    for r in s["risks"].values():
        assert set(r) == {"sensitivity", "fire_rate", "mean_delay_weeks"}
        assert -1 <= r["sensitivity"] <= 1 and 0 <= r["fire_rate"] <= 1
    assert BUFFER_KEYS <= set(s["buffer"])
    assert COST_KEYS <= set(s["cost"])
    assert list(s["cost"]["joint_p_by"]) == list(deadlines)


@pytest.fixture(scope="session")
def lekhok_plan() -> Plan:
    """The real Lekhok deployment plan."""
    return load_plan(DEFAULT_PLAN)


@pytest.fixture(scope="session")
def lekhok_path() -> str:
    return str(DEFAULT_PLAN)


@pytest.fixture
def write_plan(tmp_path):
    """Write YAML text (dedented) or bytes to a file in tmp_path and return its path."""

    def write(content, name: str = "plan.yaml") -> str:
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content), encoding="utf-8")
        return str(p)

    return write


@pytest.fixture
def run_cli(capsys):
    """Run ``lekhok_forecast.cli.main(args)``; return (exit code, stdout, stderr)."""
    from lekhok_forecast.cli import main

    def run(*args: str):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:  # argparse exits
            rc = exc.code
        out, err = capsys.readouterr()
        return rc, out, err

    return run


@pytest.fixture(scope="session")
def plan_forecast():
    """The Lekhok plan's forecast as the notebooks make it (8,192 trials, seed 2)."""
    from lekhok_forecast.app.forecast import run_forecast

    return run_forecast("data/plans/lekhok_deployment.yaml", 8_192, 2)


@pytest.fixture(scope="session")
def weekly_forecast():
    """The weekly report's forecast for 2025-W11 from the stored actuals (4,096 trials, seed 2)."""
    from lekhok_forecast.app.forecast import run_weekly_forecast

    return run_weekly_forecast("data/plans/lekhok_deployment.yaml", 4_096, 2, "2025-W11")


def pdf_text(path: Path) -> str:
    """The text of a PDF (``pdftotext -layout``), whitespace folded to single spaces."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def assert_one_forecast_in_every_pdf(week_dir: Path, basis: str, head: int) -> dict:
    """Every PDF of a report names `basis` in its first `head` characters and shows summary.json's
    P80 and chances by each deadline (page one of the weekly status in its own words); returns the summary."""
    s = json.loads((week_dir / "summary.json").read_text(encoding="utf-8"))
    p80 = f"P80 launch week {weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})"
    odds = [f"week {d} {pct(p)}" for d, p in s["p_finish_by"].items()]
    for nb in report_notebooks():
        text = pdf_text(week_dir / nb.pdf_name)
        assert basis in text[:head], nb.name  # on its first lines
        if nb.name == "weekly_status":  # page one states the answer in its own words
            assert f"80% confidence date: {p80[len('P80 launch ') :]}" in text
            for d, p in s["p_finish_by"].items():
                assert f"{pct(p)} by week {d}" in text, (nb.name, d)
        else:
            assert p80 in text, nb.name
            for o in odds:
                assert o in text, (nb.name, o)
    return s


def weekly_status_with_cell(folder: Path, cell_id: str, source: list[str]) -> Path:
    """`folder` holding the weekly status notebook with one code cell added after its set-up cell."""
    nb = json.loads((NOTEBOOKS_DIR / "weekly_status.ipynb").read_text(encoding="utf-8"))
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {},
        "outputs": [],
        "source": source,
    }
    nb["cells"].insert(code[1] + 1, cell)
    folder.mkdir()
    (folder / "weekly_status.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return folder


def history_row(week: str, as_of: float, p80: float, **extra) -> dict:
    """A forecast-history row with the columns every row has (others via `extra`)."""
    r = {
        "week": week,
        "as_of_week": as_of,
        "trials": 100,
        "seed": 1,
        "calibrated": False,
        "p50": p80 - 2.0,
        "p80": p80,
        "p10": p80 - 4,
        "p90": p80 + 1,
        "actual_finish_week": None,
    }
    r.update(extra)
    return r


@pytest.fixture(autouse=True, scope="session")
def _private_table_cache(tmp_path_factory):
    """Every test (and every process it starts) keeps quantile tables in a folder of its own."""
    old = os.environ.get(ENV)
    os.environ[ENV] = str(tmp_path_factory.mktemp("table-cache"))
    yield
    if old is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = old

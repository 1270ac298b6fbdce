"""One forecast per report: the bundle holds what the notebooks would compute, and a real
report parses the plan once and simulates each variant once, in all its processes."""

from __future__ import annotations

import collections
import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lekhok_forecast.app.bundle import build_bundle, plan_forecast, save_bundle, scenario_runs, week_forecast
from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN, SCENARIOS_DIR, display_path
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.history_file import read_history
from lekhok_forecast.sources.plan_file import plan_from_source
from lekhok_forecast.sources.scenario_file import load_scenario, scenario_paths
from lekhok_forecast.sources.yamlsource import load_yaml
from lekhok_forecast.tracking.status import report_week

WEEK, TRIALS, SEED = "2025-W09", 3_000, 4


def _same_result(a, b) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f.name
        else:
            assert x == y, f.name


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    source = load_yaml(DEFAULT_PLAN)
    plan = plan_from_source(source)
    rw = report_week(plan, WEEK, ACTUALS_DIR)
    reported = read_weeks(ACTUALS_DIR, plan, up_to=rw.actuals_week)
    history = read_history(tmp_path_factory.mktemp("h") / "forecast_history.csv")  # none yet
    scenarios = [load_scenario(p) for p in scenario_paths(SCENARIOS_DIR)]
    parts = build_bundle(source, plan, display_path(DEFAULT_PLAN), rw, reported, history, scenarios, TRIALS, SEED)
    return save_bundle(tmp_path_factory.mktemp("b") / "bundle", parts)


def test_plan_part_is_what_the_notebook_computes(saved):
    loaded, computed = plan_forecast(str(saved), "", 0, 0), plan_forecast("", DEFAULT_PLAN, TRIALS, SEED)
    _same_result(loaded.result, computed.result)
    assert loaded.summary == computed.summary and loaded.plan == computed.plan


def test_weekly_part_is_what_the_notebook_computes(saved):
    loaded = week_forecast(str(saved), "", 0, 0, "", None, None)
    computed = week_forecast("", DEFAULT_PLAN, TRIALS, SEED, WEEK, ACTUALS_DIR, None)
    _same_result(loaded.result, computed.result)
    assert loaded.summary == computed.summary
    for name in ("cone", "fever", "earned_value", "what_changed"):
        a, b = getattr(loaded.status, name), getattr(computed.status, name)
        assert a.equals(b), name
    assert loaded.status.history_rows == computed.status.history_rows


def test_scenario_part_is_what_the_notebook_computes(saved):
    loaded = scenario_runs(str(saved), "", "", 0, 0, "", None, None)
    computed = scenario_runs("", DEFAULT_PLAN, SCENARIOS_DIR, TRIALS, SEED, WEEK, ACTUALS_DIR, None)
    assert list(loaded.results) == list(computed.results)
    for name in computed.results:
        _same_result(loaded.results[name], computed.results[name])
    _same_result(loaded.plan_at_start, computed.plan_at_start)
    assert loaded.standing == computed.standing and loaded.plan == computed.plan
    assert loaded.answers == computed.answers and len(loaded.answers) == len(computed.plan.deadlines)
    assert [s.name for s in loaded.scenarios] == [s.name for s in computed.scenarios]


def test_every_part_starts_from_the_weeks_forecast(saved):
    """One forecast per week: the scenarios' reference is the weekly headline, bit for bit,
    and the plan at week 0 is the plan part (the "plan at week 0 -> now" row)."""
    weekly = week_forecast(str(saved), "", 0, 0, "", None, None)
    runs = scenario_runs(str(saved), "", "", 0, 0, "", None, None)
    assert runs.baseline == f"Plan now ({WEEK})"
    _same_result(runs.results[runs.baseline], weekly.result)
    _same_result(runs.plan_at_start, plan_forecast(str(saved), "", 0, 0).result)
    assert list(runs.table_results)[:2] == ["Plan at week 0", runs.baseline]
    assert not runs.results[runs.baseline].as_of.is_empty  # simulated from the actuals, not week 0
    for name, result in runs.results.items():
        assert result.as_of.calibration_ratios == weekly.result.as_of.calibration_ratios, name


def test_without_actuals_everything_is_the_plan_as_written():
    weekly = week_forecast("", DEFAULT_PLAN, TRIALS, SEED, WEEK, None, None)
    runs = scenario_runs("", DEFAULT_PLAN, SCENARIOS_DIR, TRIALS, SEED, WEEK, None, None)
    plain = plan_forecast("", DEFAULT_PLAN, TRIALS, SEED)
    _same_result(weekly.result, plain.result)
    assert runs.baseline == "Plan as written" and runs.plan_at_start is None
    _same_result(runs.results[runs.baseline], plain.result)
    assert list(runs.table_results) == list(runs.results)


PROBE = """
import hashlib, os, traceback
import lekhok_forecast.core.engine as engine
import lekhok_forecast.core.engine.run as run
import lekhok_forecast.sources.plan_file as plan_file

LOG = os.environ["LEKHOK_PROBE_LOG"]

def _log(line):
    with open(LOG, "a") as fh:
        fh.write(f"{os.getpid()} {line}\\n")

_simulate, _parse = run.simulate, plan_file.plan_from_source

def simulate(plan, trials=20_000, seed=1, **kw):
    key = hashlib.sha256(repr((plan, kw.get("as_of"), trials, seed)).encode()).hexdigest()[:16]
    callers = "<".join(f.name for f in reversed(traceback.extract_stack(limit=6)[:-1]))  # to tell which part asked
    _log(f"simulate {key} {trials} {seed} {callers}")
    return _simulate(plan, trials, seed, **kw)

def plan_from_source(src):
    _log(f"parse {type(src).__name__} {src.path}")
    return _parse(src)

engine.simulate = run.simulate = simulate
plan_file.plan_from_source = plan_from_source
"""


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs the PDF route (chromium, poppler-utils)")
def test_a_report_parses_the_plan_once_and_simulates_each_variant_once(tmp_path):
    """Counted in every process of a real report (the report and each notebook's kernel)."""
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(textwrap.dedent(PROBE))
    log = tmp_path / "calls.log"
    env = dict(os.environ, LEKHOK_PROBE_LOG=str(log))
    env["PYTHONPATH"] = os.pathsep.join([str(probe), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lekhok_forecast.cli",
            "report",
            "--week",
            WEEK,
            "--trials",
            str(TRIALS),
            "--seed",
            str(SEED),
            "--out",
            str(tmp_path / "reports"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    calls = [line.split() for line in log.read_text().splitlines()]
    report_pid = calls[0][0]  # the report parses the plan before anything else
    assert {c[0] for c in calls} == {report_pid}, "a notebook kernel parsed or simulated: the bundle was not used"
    parses = [c for c in calls if c[1] == "parse" and c[2] == "Source"]  # scenario overlays are variants
    assert [Path(c[3]).name for c in parses] == [DEFAULT_PLAN.name], parses  # the plan file once
    sims = collections.Counter(c[2] for c in calls if c[1] == "simulate")
    assert sims and max(sims.values()) == 1, f"simulated twice: {[k for k, n in sims.items() if n > 1]}"
    assert len(list(SCENARIOS_DIR.glob("*.yaml"))) + 3 <= len(sims)  # plan, re-forecasts, every scenario

"""What the scenarios notebook's solver answers cost the weekly report.

    python benchmarks/solver_answers.py [--trials N] [--repeat R]

Times, on the Lekhok plan and its demo actuals of 2025-W11, (1) `app.scenarios.capacity_answers`
alone (80% by each deadline, from the week's re-forecast, at `SOLVE_TRIALS` an evaluation) and
(2) the report's whole bundle (`app.bundle.build_bundle`: the plan, the re-forecasts, the
tracking results, every scenario and the answers) at the report's trials. Prints the medians
and the answers' share of the bundle. Not a test: it measures.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from lekhok_forecast.app.bundle import build_bundle
from lekhok_forecast.app.scenarios import capacity_answers
from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN, REPORT_TRIALS, SCENARIOS_DIR, display_path
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.history_file import read_history
from lekhok_forecast.sources.plan_file import plan_from_source
from lekhok_forecast.sources.scenario_file import load_scenario, scenario_paths
from lekhok_forecast.sources.yamlsource import load_yaml
from lekhok_forecast.tracking.status import report_week

WEEK = "2025-W11"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=REPORT_TRIALS, help="the report's trials (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median)")
    args = ap.parse_args()
    source = load_yaml(DEFAULT_PLAN)
    plan = plan_from_source(source)
    rw = report_week(plan, WEEK, ACTUALS_DIR)
    reported = read_weeks(ACTUALS_DIR, plan, up_to=rw.actuals_week)
    scenarios = [load_scenario(p) for p in scenario_paths(SCENARIOS_DIR)]
    with tempfile.TemporaryDirectory() as tmp:
        history = read_history(Path(tmp) / "forecast_history.csv")
        bundle_s, answers_s = [], []
        parts: dict = {}
        for _ in range(args.repeat + 1):  # the first run warms the quantile tables
            t = time.perf_counter()
            parts = build_bundle(
                source, plan, display_path(DEFAULT_PLAN), rw, reported, history, scenarios, args.trials, 1
            )
            bundle_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            answers = capacity_answers(parts["weekly"].result)
            answers_s.append(time.perf_counter() - t)
    bundle, alone = statistics.median(bundle_s[1:]), statistics.median(answers_s[1:])
    sims = sum(a.evaluations for a in answers)
    print(f"Lekhok plan, actuals {WEEK}, {args.trials:,} report trials, median of {args.repeat}:")
    print(f"  capacity answers alone: {alone:.2f} s ({len(answers)} deadlines, {sims} grid points evaluated)")
    print(f"  whole bundle (answers included): {bundle:.2f} s; the answers are {alone / bundle:.0%} of it")
    for a in parts["scenarios"].answers:
        print(f"  {a.by_week:g}: x{a.value:.2f} (P = {a.p:.3f}, {a.evaluations} evaluations)")


if __name__ == "__main__":
    main()

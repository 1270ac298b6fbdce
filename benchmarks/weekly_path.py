"""The headline P80 of the Lekhok demo weeks, week by week, for each calibration method.

    python benchmarks/weekly_path.py                 # the table and how much it moves
    python benchmarks/weekly_path.py --trials 20000 --methods resample,size-prior

For every reported week of ``data/actuals`` the weekly re-forecast's headline (calibrated
from `MIN_DONE_FOR_CALIBRATION` done effort tasks on, uncalibrated before) is simulated
with each method (`lekhok_forecast.tracking.weekly.forecasts_for`, the weekly report's
own function, seed 1). Printed: the P50 and P80 finish week per week, the mean and
largest week-to-week move of the P80, and the last week's P80.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN
from lekhok_forecast.core.ratios import RATIO_METHODS
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.plan_file import load_plan
from lekhok_forecast.tracking.calibration import MIN_DONE_FOR_CALIBRATION
from lekhok_forecast.tracking.weekly import forecasts_for


def weekly_path(method: str, trials: int, seed: int = 1) -> list[tuple[str, int, bool, float, float]]:
    """(week, done effort tasks, calibrated?, P50, P80) per reported demo week."""
    plan = load_plan(DEFAULT_PLAN)
    out = []
    for a in read_weeks(ACTUALS_DIR, plan):
        headline, _, calibrated, cal = forecasts_for(plan, a, trials, seed, method=method)
        f = headline.finish_weeks
        out.append(
            (str(a.week), cal.n_done, calibrated is not None, float(np.percentile(f, 50)), float(np.percentile(f, 80)))
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument(
        "--methods",
        default="resample,size-smooth,size-prior",
        help="comma-separated methods, e.g. " + ",".join(RATIO_METHODS),
    )
    args = ap.parse_args(argv)
    paths = {m: weekly_path(m, args.trials) for m in args.methods.split(",")}
    weeks = [w for w, *_ in next(iter(paths.values()))]
    print(
        f"Headline finish (weeks from start), {args.trials:,} trials, seed 1; calibrated from {MIN_DONE_FOR_CALIBRATION} done effort tasks on."
    )
    print()
    print("| week | done | " + " | ".join(f"{m} P50 | {m} P80" for m in paths) + " |")
    print("|---|---|" + "---|---|" * len(paths))
    for i, w in enumerate(weeks):
        cells = []
        for p in paths.values():
            _, _, cal, p50, p80 = p[i]
            cells += [f"{p50:.2f}", f"{p80:.2f}{'' if cal else ' (unc.)'}"]
        print(f"| {w} | {next(iter(paths.values()))[i][1]} | " + " | ".join(cells) + " |")
    print()
    for m, p in paths.items():
        p80 = np.array([x[4] for x in p])
        moves = np.abs(np.diff(p80))
        print(
            f"{m}: P80 moves {moves.mean():.2f} weeks a week on average (largest {moves.max():.2f});"
            f" range {p80.min():.2f}-{p80.max():.2f}; last week {p80[-1]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

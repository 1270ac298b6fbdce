#!/usr/bin/env python
"""One update of the scenario explorer, end to end, without a browser.

    python benchmarks/explorer.py [--updates 40] [--trials 10000]

Builds `lekhok_forecast.app.explorer.ScenarioExplorer` on the Lekhok plan (ipywidgets
without a front end, matplotlib's Agg renderer, the report style) and moves the team-hours
slider through a sweep of ranges, timing each change of the control's value: the overlays,
the simulation from the standing, the comparison table (HTML) and the chart (a PNG set
on the widget), i.e. everything but the browser drawing the new PNG. Alongside: the
previous way of drawing the chart, a new `plots.scenario_cdfs` figure rendered as a
notebook shows it (``bbox_inches="tight"`` PNG), for the same curves.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lekhok_forecast.analysis.schedule import cdf_curve, cdf_median  # noqa: E402
from lekhok_forecast.app.explorer import ScenarioExplorer  # noqa: E402
from lekhok_forecast.present.figures import use_report_style  # noqa: E402
from lekhok_forecast.present.plots import scenario_cdfs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "data/plans/lekhok_deployment.yaml"
#: The slider positions moved through: mostly small moves, as a user drags it.
HOURS = [(18, 26), (19, 26), (20, 27), (20, 28), (21, 28), (22, 30), (24, 32), (25, 35), (26, 36), (20, 30)]


def update_times(updates: int = 40, trials: int = 10_000) -> dict:
    """Seconds of each of `updates` slider moves (whole update), of the previous chart path
    for the same curves, and how many updates redrew the whole chart."""
    use_report_style(None)
    ex = ScenarioExplorer(PLAN, trials=trials)
    moves, old_draws = [], []
    for k in range(updates):
        t = time.perf_counter()
        ex.hours.value = HOURS[k % len(HOURS)]
        moves.append(time.perf_counter() - t)
        result, _, _ = ex.model.evaluate(ex.settings())
        t = time.perf_counter()
        cdfs = {ex.model.baseline_label: cdf_curve(ex.model.baseline), "Your settings": cdf_curve(result)}
        fig, _ = scenario_cdfs(
            cdfs, medians={n: cdf_median(c) for n, c in cdfs.items()}, deadlines=ex.model.plan.deadlines, title=None
        )
        fig.set_size_inches(5.2, 3.4)
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
        plt.close(fig)
        old_draws.append(time.perf_counter() - t)
    return {
        "median_s": statistics.median(moves),
        "best_s": min(moves),
        "worst_s": max(moves),
        "redraws": ex.live_chart.redraws,
        "old_chart_median_s": statistics.median(old_draws),
        "updates": updates,
        "trials": trials,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=40)
    ap.add_argument("--trials", type=int, default=10_000)
    args = ap.parse_args()
    r = update_times(args.updates, args.trials)
    ms = 1000.0
    print(
        f"explorer update ({args.trials:,} trials, Lekhok plan, {args.updates} slider moves; load {os.getloadavg()[0]:.2f})"
    )
    print(
        f"  whole update: median {r['median_s'] * ms:.1f} ms, best {r['best_s'] * ms:.1f} ms, "
        f"worst {r['worst_s'] * ms:.1f} ms; full chart redraws {r['redraws']} (the rest moved the curve)"
    )
    print(f"  the chart drawn as before (new figure, tight PNG) alone: median {r['old_chart_median_s'] * ms:.1f} ms")


if __name__ == "__main__":
    main()

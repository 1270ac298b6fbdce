"""How much the forecast of a fixed future moves as evidence grows, on real task histories (TSP logs).

    python benchmarks/path_tsp.py                          # by project and by person
    python benchmarks/path_tsp.py --methods resample,size-smooth --trials 2000

The weekly re-forecast's path, replayed on ``../shared/data/tsp_task_log.csv.gz`` (see
`backtest_tsp`; skipped with a message where it is absent). For each group (project or
person) with at least ``FUTURE + 20`` tasks in completion order, the `FUTURE` tasks after
the first ``K = min(max(STEPS), n - FUTURE)`` are a fixed future set (the work still ahead),
and it is forecast (`lekhok_forecast.tracking.backtest.horizon_samples`, the backtest's and
so the re-forecast's draw) from the group's first ``k`` done tasks for each ``k`` of `STEPS`
up to ``K`` (and ``K`` itself): evidence grows as it does week by week. All numbers are shares of the future's sum of estimates. Printed per method:

* ``move``: the mean step-to-step change of the P80 (over all steps of all groups), its
  mean over the first three steps (k 3 -> 5 -> 7 -> 10, the first weeks) and the mean of
  each group's largest change;
* ``end``: at the last step, the mean absolute log error of the P50 against the future's
  actual total, and the share of groups whose actual total is at or below the P80 and P90.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backtest_tsp import DATA, history_text  # noqa: E402

from lekhok_forecast.core.ratios import DEFAULT_RATIO_METHOD  # noqa: E402
from lekhok_forecast.sources.task_history_file import task_history_from_text  # noqa: E402
from lekhok_forecast.tracking.backtest import horizon_samples  # noqa: E402

#: Tasks of the fixed future set.
FUTURE = 20
#: Evidence sizes replayed (done tasks), as the weeks add them.
STEPS = (3, 5, 7, 10, 15, 20, 30, 40, 60)


def paths(est: np.ndarray, act: np.ndarray, sub: np.ndarray, method: str, trials: int, seed: int = 1) -> np.ndarray:
    """(steps, 3): P50, P80, P90 of the fixed future's total per evidence size, over its sum of estimates.

    `sub`: each task's group inside the group (``workstream``'s: the person within a project,
    the project within a person).
    """
    end = min(max(STEPS), est.size - FUTURE)
    fut = np.arange(end, end + FUTURE)
    rng = np.random.default_rng(seed)
    out = []
    for k in sorted({s for s in STEPS if s <= end} | {end}):
        x = horizon_samples(method, est[:k], act[:k], est[fut], trials, rng, (sub[:k], sub[fut]))
        out.append(np.percentile(x, [50, 80, 90]) / est[fut].sum())
    return np.array(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--methods", default=f"resample,{DEFAULT_RATIO_METHOD}", help="comma-separated method names")
    ap.add_argument("--by", default="project,person", help="comma-separated: project, person")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: the TSP task log is not at ../shared/data/{DATA.name} (see backtest_tsp.py)")
        return 0
    t0 = time.time()
    text = history_text(DATA)
    print(
        f"Fixed future: the {FUTURE} tasks of each group after its first K = min({max(STEPS)}, n - {FUTURE});"
        " evidence: its first k done tasks, k in"
        f" {', '.join(map(str, STEPS))}; {args.trials} trials, seed 1; shares of the future's sum of estimates."
    )
    print()
    print(
        "| by | groups | method | P80 move/step | first 3 steps | largest (mean) | end P50 abs log err | end P80 cov. | end P90 cov. |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for by in args.by.split(","):
        hist = task_history_from_text(text, DATA.name, by=by)
        order = hist.order()
        lab = np.asarray(hist.labels[by], dtype=object)[order]
        within = np.asarray(hist.labels["project" if by == "person" else "person"], dtype=object)
        groups = [order[lab == g] for g in dict.fromkeys(lab.tolist())]
        groups = [g for g in groups if g.size >= FUTURE + 20]
        for method in args.methods.split(","):
            moves, first, largest, err, c80, c90 = [], [], [], [], [], []
            for g in groups:
                est, act = hist.estimates[g], hist.actuals[g]
                q = paths(est, act, within[g], method, args.trials)
                d = np.abs(np.diff(q[:, 1]))
                moves += d.tolist()
                first += d[:3].tolist()
                largest.append(d.max())
                end = min(max(STEPS), est.size - FUTURE)
                y = act[end : end + FUTURE].sum() / est[end : end + FUTURE].sum()
                err.append(abs(np.log(q[-1, 0] / y)))
                c80.append(y <= q[-1, 1])
                c90.append(y <= q[-1, 2])
            print(
                f"| {by} | {len(groups)} | {method} | {np.mean(moves):.3f} | {np.mean(first):.3f} |"
                f" {np.mean(largest):.3f} | {np.mean(err):.3f} | {np.mean(c80):.2f} | {np.mean(c90):.2f} |",
                flush=True,
            )
    print()
    print(f"({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

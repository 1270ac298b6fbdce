"""Whole-process time of `lekhok-forecast simulate --json` against a plain NumPy script.

    python benchmarks/startup.py [--plan PLAN] [--trials 1e4 ...] [--runs 7]

Each command runs as a fresh process, alternating, `--runs` times; the table gives each
one's median and minimum and its ratio to the plain NumPy script of the same run
(benchmarks/plain_numpy.py). `simulate` runs twice: with the quantile-table cache warm
(the usual case: any earlier run filled it) and with it off (``LEKHOK_CACHE_DIR=off``, as
a first run on a new machine). The floor is `python -c "import numpy"`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default=str(ROOT / "data/plans/lekhok_deployment.yaml"))
    ap.add_argument("--trials", nargs="+", type=float, default=[1e4, 1e5])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as cache:
        warm = dict(os.environ, LEKHOK_CACHE_DIR=cache)
        cold = dict(os.environ, LEKHOK_CACHE_DIR="off")
        print(f"plan {Path(args.plan).name}, {args.runs} runs each, medians (min) in seconds\n")
        print(
            "| trials | import numpy | plain NumPy script | simulate --json, cache warm | ratio | cache off | ratio |"
        )
        print("|---|---|---|---|---|---|---|")
        for trials in args.trials:
            n = str(int(trials))
            sim = [py, "-m", "lekhok_forecast.cli", "simulate", args.plan, "--trials", n, "--json"]
            cmds = {
                "floor": ([py, "-c", "import numpy"], warm),
                "plain": ([py, str(ROOT / "benchmarks/plain_numpy.py"), args.plan, n], warm),
                "warm": (sim, warm),
                "cold": (sim, cold),
            }
            _time(sim, warm)  # fills the cache
            times: dict[str, list[float]] = {k: [] for k in cmds}
            for _ in range(args.runs):
                for k, (cmd, env) in cmds.items():
                    times[k].append(_time(cmd, env))
            med = {k: statistics.median(v) for k, v in times.items()}
            cell = {k: f"{med[k]:.2f} ({min(v):.2f})" for k, v in times.items()}
            print(
                f"| {int(trials):,} | {cell['floor']} | {cell['plain']} | {cell['warm']} | "
                f"{med['warm'] / med['plain']:.2f}x | {cell['cold']} | {med['cold'] / med['plain']:.2f}x |"
            )


if __name__ == "__main__":
    main()

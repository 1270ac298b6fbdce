"""What keeping the driver samples costs the engine: `simulate(..., drivers=True)` against False.

    python benchmarks/driver_samples.py [--runs 9]

The driver samples are each task's own draw, each risk's firing and its impact in the
sampled trials (`SimulationResult.sample_estimates`, `sample_risk_fired`,
`sample_risk_hours`), which the drivers table needs. Both settings run alternately,
`--runs` times per network; the table gives the best CPU time (process time, which a
shared machine's load disturbs less than wall time) of each and the difference.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import networks  # noqa: E402

from lekhok_forecast.core.engine import simulate  # noqa: E402

CASES = (
    ("lekhok", networks.lekhok, 100_000),
    ("net100", lambda: networks.generated(100), 100_000),
    ("net1000", lambda: networks.generated(1000), 9_000),
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9, help="runs of each setting per network (default 9)")
    args = ap.parse_args(argv)
    print("| network | trials | drivers=False (ms) | drivers=True (ms) | extra |")
    print("|---|---:|---:|---:|---:|")
    for name, build, trials in CASES:
        plan = build()
        simulate(plan, 4096, 1)  # quantile tables built before timing
        best = {False: float("inf"), True: float("inf")}
        for _ in range(args.runs):
            for drivers in (False, True):
                t = time.process_time()
                simulate(plan, trials, 1, drivers=drivers)
                best[drivers] = min(best[drivers], time.process_time() - t)
        off, on = 1000 * best[False], 1000 * best[True]
        print(f"| {name} | {trials:,} | {off:.0f} | {on:.0f} | {on - off:+.0f} ms ({on / off - 1:+.0%}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

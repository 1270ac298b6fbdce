#!/usr/bin/env python
"""Where the time of one ``simulate --json`` process goes, phase by phase.

    python benchmarks/phases.py PLAN TRIALS [--json]

Runs the steps of ``lekhok-forecast simulate PLAN --trials TRIALS --json`` one after the
other in this fresh process and times each: importing what the command imports, reading
the plan, reading the quantile tables from the cache, the simulation, storing new tables,
the summary (of which: the task and risk sensitivities, timed again on their own
afterwards) and writing the JSON. The interpreter's own start is not included (time
``python -c pass`` for it).
"""

from __future__ import annotations

import json
import sys
import time

t0 = time.perf_counter()
from lekhok_forecast import cli  # noqa: E402
from lekhok_forecast.analysis.drivers import risk_drivers, spearman_sensitivity  # noqa: E402
from lekhok_forecast.analysis.summary import summary_dict  # noqa: E402
from lekhok_forecast.core.engine import simulate  # noqa: E402
from lekhok_forecast.sources.table_cache import cached_tables  # noqa: E402

IMPORTS = time.perf_counter() - t0


def phases(plan_path: str, trials: int) -> dict[str, float]:
    """Seconds of each phase (see the module docstring)."""
    out = {"imports": IMPORTS}
    t = time.perf_counter()
    plan = cli._load(plan_path, [])
    out["read plan"] = time.perf_counter() - t
    t = time.perf_counter()
    with cached_tables(plan):
        out["read tables"] = time.perf_counter() - t
        t = time.perf_counter()
        result = simulate(plan, trials, 1)
        out["simulate"] = time.perf_counter() - t
        t = time.perf_counter()
    out["store tables"] = time.perf_counter() - t
    t = time.perf_counter()
    summary = summary_dict(result)
    out["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    json.dumps(summary, indent=1)
    out["json"] = time.perf_counter() - t
    t = time.perf_counter()
    spearman_sensitivity(result)
    risk_drivers(result)
    out["of the summary: sensitivities"] = time.perf_counter() - t
    return out


def main() -> None:
    plan_path, trials = sys.argv[1], int(float(sys.argv[2]))
    out = phases(plan_path, trials)
    if "--json" in sys.argv[3:]:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>32}: {v * 1000:8.1f} ms")


if __name__ == "__main__":
    main()

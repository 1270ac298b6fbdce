#!/usr/bin/env python
"""Whole-process timings behind the speed targets, in one run, as ratios.

    python benchmarks/targets.py [--runs 5] [--out benchmarks/TARGETS.md]

Every figure is a whole process (start-up included), timed from outside, the commands of
one comparison alternating so that a drift of the machine's speed hits them alike;
medians are quoted and compared within a row.

- ``simulate --json`` on the 100- and 1,000-task benchmark networks (written as plan files
  by `plan_yaml.py`) at 10^4, 10^5 and 10^6 trials, against the plain NumPy script a user
  would write (`plain_numpy.py`) and against the uniform floor: a process that imports
  NumPy and draws as many uniform numbers as the engine needs (trials x (random
  quantities + risks)) into a reused 8 MB buffer. The quantile-table cache is warm (an
  earlier run filled it), as on any machine after its first run.
- the weekly report of the Lekhok plan (``report --week 2025-W11 --trials 100000``), five PDFs;
- ``solve --vary capacity`` on the Lekhok plan at 50,000 trials;
- one worker against two (`workers.py`: alternating calls in one process, medians) on the
  100-task network at 10^4, 10^5 and 10^6 trials;
- one update of the scenario explorer, end to end without a browser (`explorer.py`);
- where the time of ``simulate --json`` goes, phase by phase (`phases.py`), on the cells
  of the targets.

``--only simulate,phases,workers,explorer,report,solve`` runs some of them (the table then has
only their rows).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import explorer  # noqa: E402
import networks  # noqa: E402
import plan_yaml  # noqa: E402
import workers  # noqa: E402

from lekhok_forecast.core.engine import compile_plan  # noqa: E402
from lekhok_forecast.sources.plan_file import load_plan  # noqa: E402

PY = sys.executable
CLI = [PY, "-m", "lekhok_forecast.cli"]
LEKHOK = ROOT / "data/plans/lekhok_deployment.yaml"
FLOOR = (
    "import sys, numpy as np\n"
    "n = int(sys.argv[1]); rng = np.random.default_rng(1); buf = np.empty(min(n, 1 << 20))\n"
    "full, rest = divmod(n, buf.size)\n"
    "for _ in range(full): rng.random(out=buf)\n"
    "rng.random(out=buf[:rest])\n"
)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - t


def alternate(cmds: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds of each command, run `runs` times in turn after one warm-up each."""
    for cmd in cmds.values():
        timed(cmd, env)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            times[k].append(timed(cmd, env))
    return {k: statistics.median(v) for k, v in times.items()}


def n_values(plan_path: Path, trials: int) -> int:
    model = compile_plan(load_plan(plan_path))
    return trials * (model.n_rows + len(model.risk_prob))


def simulate_rows(folder: Path, runs: int, env: dict[str, str]) -> list[dict]:
    rows = []
    for net, counts in (("net100", (10**4, 10**5, 10**6)), ("net1000", (10**4, 10**5, 10**6))):
        path = plan_yaml.write(net, folder / f"{net}.yaml")
        for trials in counts:
            n = str(trials)
            med = alternate(
                {
                    "floor": [PY, "-c", FLOOR, str(n_values(path, trials))],
                    "plain": [PY, str(HERE / "plain_numpy.py"), str(path), n],
                    "simulate": [*CLI, "simulate", str(path), "--trials", n, "--json"],
                },
                runs if trials < 10**6 else max(2, runs // 2),
                env,
            )
            rows.append({"network": net, "trials": trials, **med})
            print(f"  {net} 10^{len(n) - 1}: {med}", file=sys.stderr)
    return rows


PHASE_CELLS = (("net100", 10**4), ("net100", 10**6), ("net1000", 10**4), ("net1000", 10**5))


def phase_rows(folder: Path, runs: int, env: dict[str, str]) -> list[dict]:
    """Per-phase seconds of `simulate --json` (`phases.py`) in fresh processes, the median
    of `runs` processes per phase, and the interpreter's own start (``python -c pass``)."""
    rows = []
    for net, trials in PHASE_CELLS:
        path = folder / f"{net}.yaml"
        if not path.exists():
            plan_yaml.write(net, path)
        cmd = [PY, str(HERE / "phases.py"), str(path), str(trials), "--json"]
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)  # warm: tables stored
        got: dict[str, list[float]] = {}
        start = []
        for _ in range(runs):
            start.append(timed([PY, "-c", "pass"], env))
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout
            for k, v in json.loads(out).items():
                got.setdefault(k, []).append(v)
        row = {"network": net, "trials": trials, "interpreter": statistics.median(start)}
        row.update({k: statistics.median(v) for k, v in got.items()})
        rows.append(row)
    return rows


def report_seconds(runs: int, env: dict[str, str]) -> float:
    times = []
    for k in range(runs + 1):
        out = Path(tempfile.mkdtemp(prefix="targets-report-"))
        try:
            cmd = [*CLI, "report", "--week", "2025-W11", "--trials", "100000", "--out", str(out)]
            t = timed(cmd, env)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if k:  # the first run is the warm-up
            times.append(t)
    return statistics.median(times)


def solve_figures(runs: int, env: dict[str, str]) -> tuple[float, dict]:
    cmd = [*CLI, "solve", str(LEKHOK), "--vary", "capacity", "--by-week", "14", "--confidence", "0.8"]
    cmd += ["--trials", "50000", "--json"]
    answer = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout)
    return alternate({"solve": cmd}, runs, env)["solve"], answer


def markdown(parts: dict, runs: int, minutes: float) -> str:
    load = os.getloadavg()
    rows = parts.get("simulate", [])
    lines = [
        "# Speed targets: whole processes, one run",
        "",
        f"Generated by `python benchmarks/targets.py --runs {runs} --out benchmarks/TARGETS.md` on "
        f"{_dt.datetime.now():%Y-%m-%d %H:%M} in {minutes:.1f} min ({os.cpu_count()} CPUs; load average at the "
        f"end {load[0]:.2f}). Medians of {runs} alternating runs ({max(2, runs // 2)} at 10^6 trials); "
        "ratios within a row. Read the module docstring for what each command is.",
    ]
    if rows:
        lines += [
            "",
            "| network | trials | uniform floor | plain NumPy script | `simulate --json` | simulate / plain | simulate / floor |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
    for r in rows:
        lines.append(
            f"| {r['network']} | 10^{len(str(r['trials'])) - 1} | {r['floor']:.2f} s | {r['plain']:.2f} s | "
            f"{r['simulate']:.2f} s | **{r['simulate'] / r['plain']:.2f}** | **{r['simulate'] / r['floor']:.2f}** |"
        )
    cell = {(r["network"], r["trials"]): r for r in rows}

    def ratio(net: str, trials: int, base: str) -> float:
        r = cell[(net, trials)]
        return r["simulate"] / r[base]

    checks = []
    if rows:
        for label, net, trials, base, limit in (
            ("10^4 trials, 100 tasks: simulate no slower than the plain NumPy script", "net100", 10**4, "plain", 1.0),
            (
                "10^4 trials, 1,000 tasks: simulate no slower than the plain NumPy script",
                "net1000",
                10**4,
                "plain",
                1.0,
            ),
            ("10^6 x 100 tasks: <= 2.5x the uniform floor", "net100", 10**6, "floor", 2.5),
            ("10^5 x 1,000 tasks: <= 3x the uniform floor", "net1000", 10**5, "floor", 3.0),
        ):
            measured = ratio(net, trials, base)
            checks.append((label, f"{measured:.2f}x", measured <= limit))
    for w in parts.get("workers", []):
        text = f"{w['speedup']:.2f}x ({w['one_s']:.3f} s vs {w['two_s']:.3f} s; CPU ratio {w['cpu_ratio']:.2f}; identical: {'yes' if w['identical'] else 'NO'})"
        if w["trials"] == 10**6:
            checks.append(
                ("2 workers >= 1.8x one worker, 10^6 x 100 tasks", text, w["speedup"] >= 1.8 and w["identical"])
            )
        else:
            checks.append(
                (
                    f"2 workers never slower than one, 10^{len(str(w['trials'])) - 1} x 100 tasks",
                    text,
                    w["speedup"] >= 0.95,
                )
            )
    if "report" in parts:
        report_s = parts["report"]
        checks.append(("weekly report (5 PDFs, 100,000 trials) <= 6 s", f"{report_s:.1f} s", report_s <= 6))
    if "solve" in parts:
        solve_s, solve = parts["solve"]
        checks.append(
            (
                "`solve` <= 3 s, Lekhok plan, 50,000 trials",
                f"{solve_s:.2f} s ({solve.get('evaluations')} evaluations, capacity x{solve.get('value')}, p = {solve.get('p')})",
                solve_s <= 3,
            )
        )
    if "explorer" in parts:
        e = parts["explorer"]
        checks.append(
            (
                "explorer update <= 50 ms (10^4 trials, Lekhok plan, no browser)",
                f"{e['median_s'] * 1000:.0f} ms median, best {e['best_s'] * 1000:.0f}, worst {e['worst_s'] * 1000:.0f}"
                f" ({e['updates']} slider moves, {e['redraws']} full chart redraws; the previous chart alone:"
                f" {e['old_chart_median_s'] * 1000:.0f} ms)",
                e["median_s"] <= 0.05,
            )
        )
    lines += ["", "| target | measured | met? |", "|---|---|---|"]
    for text, value, ok in checks:
        lines.append(f"| {text} | {value} | {'yes' if ok else 'no'} |")
    phases = parts.get("phases", [])
    if phases:
        names = [k for k in phases[0] if k not in ("network", "trials")]
        lines += [
            "",
            "Where the time of one `simulate --json` process goes (`benchmarks/phases.py`: each phase timed "
            f"inside a fresh process; medians of {runs} processes; ms):",
            "",
            "| network | trials | " + " | ".join(names) + " |",
            "|---|---:|" + "---:|" * len(names),
        ]
        for r in phases:
            cells = " | ".join(f"{r[k] * 1000:.0f}" for k in names)
            lines.append(f"| {r['network']} | 10^{len(str(r['trials'])) - 1} | {cells} |")
    return "\n".join(lines) + "\n"


PARTS = ("simulate", "phases", "workers", "explorer", "report", "solve")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=None, help="write the Markdown here (default: print it)")
    ap.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts to run (default: {','.join(PARTS)})"
    )
    args = ap.parse_args()
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(only) - set(PARTS))
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    t0 = time.perf_counter()
    parts: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, LEKHOK_CACHE_DIR=str(Path(tmp) / "cache"))
        if "simulate" in only:
            parts["simulate"] = simulate_rows(Path(tmp), args.runs, env)
        if "phases" in only:
            print("  phases ...", file=sys.stderr)
            parts["phases"] = phase_rows(Path(tmp), args.runs, env)
        if "workers" in only:
            print("  workers ...", file=sys.stderr)
            net100 = networks.build("net100")
            parts["workers"] = [workers.compare(net100, n, args.runs) for n in (10**4, 10**5, 10**6)]
        if "explorer" in only:
            print("  explorer ...", file=sys.stderr)
            parts["explorer"] = explorer.update_times()
        if "report" in only:
            print("  report ...", file=sys.stderr)
            parts["report"] = report_seconds(max(2, args.runs // 2), env)
        if "solve" in only:
            print("  solve ...", file=sys.stderr)
            parts["solve"] = solve_figures(args.runs, env)
    text = markdown(parts, args.runs, (time.perf_counter() - t0) / 60)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

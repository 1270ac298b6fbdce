#!/usr/bin/env python
"""The benchmark suite: engine speed against its floors, memory, workers, start-up.

    python benchmarks/run.py                        # 10^4 .. 10^6 trials
    python benchmarks/run.py --max-trials 1e7       # .. 10^7 (about 15 minutes here)
    python benchmarks/run.py --quick                # 10^4 and 10^5 only, a smoke run
    python benchmarks/run.py --out benchmarks/RESULTS.md

Not a test: it measures, prints a Markdown report and (with --out) writes it. Every
(network, trial count) case runs in a fresh subprocess, so its peak memory is its own
and table building starts cold. In each case, interleaved with the engine runs:

- **uniform floor**: the same number of uniform numbers the engine consumes
  (trials x (random quantities + risks)), drawn with ``rng.random(out=buffer)`` into a
  reused 8 MB buffer, nothing else;
- **Beta floor**: the same quantities drawn with NumPy's own samplers (``rng.beta``
  for PERT, ``rng.triangular``, ``rng.lognormal``, ``rng.random``), nothing else;
- **per-trial loop**: plain Python, one trial at a time (``random.betavariate`` etc.),
  computing only the finish. Run in full when it fits its time budget, otherwise timed
  on fewer trials and extrapolated linearly (marked ``~``).

Times are the best of several runs (fewer at 10^6 and one at 10^7): the machine is
shared and noisy, so compare ratios within a row rather than rows across runs.
Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the case's process
after its first engine run (it counts NumPy's buffers, which tracemalloc may miss).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import networks  # noqa: E402
import plan_yaml  # noqa: E402

COUNTS = (10**4, 10**5, 10**6, 10**7)
NETWORKS = ("lekhok", "pert14", "net100", "net1000", "net1000u")
#: Largest trial count per network (net1000u only shows the worst case for tables).
NETWORK_MAX = {"net1000u": 10**6}
BUDGET_BETA_S = 25.0  # beyond this the Beta floor is timed on fewer trials and scaled
BUDGET_LOOP_S = 10.0  # same for the per-trial Python loop
NOTES_MARKER = "<!-- Hand-written notes below this line are kept when run.py rewrites the file. -->"


def now() -> float:
    return time.perf_counter()


def maxrss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports KB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 2**20


# ------------------------------------------------------------------------ baselines


_FLOOR_BUFFER = None


def uniform_floor(n_values: int, seed: int = 12345) -> float:
    """Seconds to draw `n_values` uniform doubles with NumPy into a reused buffer."""
    import numpy as np

    rng = np.random.default_rng(seed)
    global _FLOOR_BUFFER
    if _FLOOR_BUFFER is None:  # allocated once: freeing and re-faulting it would disturb the engine runs
        _FLOOR_BUFFER = np.empty(1 << 20)
    buf = _FLOOR_BUFFER[: min(n_values, 1 << 20)]
    full, rest = divmod(n_values, buf.size)
    t = now()
    for _ in range(full):
        rng.random(out=buf)
    if rest:
        rng.random(out=buf[:rest])
    return now() - t


def _plan_ranges(plan):
    """Every random quantity the engine draws, in its order (team, workstreams, tasks,
    risk impacts, costs), as Ranges."""
    out = []
    if plan.team_hours_per_week is not None:
        out.append(plan.team_hours_per_week)
    out += [w.hours_per_week for w in plan.workstreams if w.hours_per_week is not None]
    out += [t.estimate for t in plan.tasks]  # benchmark plans are as written: no task is done
    for r in plan.risks:
        out += [x for x in (r.effort_hours, r.duration_weeks) if x is not None]
    out += [c.per_month if c.per_month is not None else c.per_hour for c in plan.costs]
    return [r for r in out if r.is_random]


def beta_floor(plan, trials: int, seed: int = 12345, chunk: int = 65536) -> float:
    """Seconds to draw every random quantity of `plan` for `trials` trials with NumPy's
    own samplers (rng.beta for PERT) and the risk firings with rng.random."""
    import numpy as np

    rng = np.random.default_rng(seed)
    draws = []
    for r in _plan_ranges(plan):
        key = r.affine()[0]
        if key[0] == "pert":
            draws.append((rng.beta, (key[1], key[2])))
        elif key[0] == "triangular":
            draws.append((rng.triangular, (0.0, key[1], 1.0)))
        elif key[0] == "lognormal":
            draws.append((rng.lognormal, (0.0, key[1])))
        else:
            draws.append((rng.uniform, (0.0, 1.0)))
    n_risks = len(plan.risks)
    t = now()
    for a in range(0, trials, chunk):
        n = min(chunk, trials - a)
        for f, args in draws:
            f(*args, size=n)
        if n_risks:
            rng.random((n_risks, n))
    return now() - t


def python_loop(plan, trials: int, seed: int = 12345) -> list[float]:
    """The plain per-trial loop: sample every quantity with `random`, schedule, keep the
    finish. Same semantics as the engine (capacity and risk impacts drawn once per trial);
    no criticality, costs or other outputs."""
    import random

    from lekhok_forecast.core.distributions import Dist, lognormal_params
    from lekhok_forecast.core.graph import topological_order
    from lekhok_forecast.core.plan import scheduling_edges

    rnd = random.Random(seed)

    def sampler(r):
        lo, m, hi = r.low, r.mode, r.high
        if r.dist is Dist.FIXED:
            return lambda: lo
        if r.dist is Dist.UNIFORM:
            return lambda: rnd.uniform(lo, hi)
        if r.dist is Dist.TRIANGULAR:
            return lambda: rnd.triangular(lo, hi, m)
        if r.dist is Dist.LOGNORMAL:
            mu, sigma = lognormal_params(lo, hi)
            return lambda: rnd.lognormvariate(mu, sigma)
        a, b = 1 + 4 * (m - lo) / (hi - lo), 1 + 4 * (hi - m) / (hi - lo)
        return lambda: lo + (hi - lo) * rnd.betavariate(a, b)

    preds = scheduling_edges(plan.tasks)
    order = topological_order(preds)
    ws_index = plan.workstream_index()
    team = sampler(plan.team_hours_per_week) if plan.team_hours_per_week is not None else None
    caps = [
        (sampler(w.hours_per_week), None) if w.hours_per_week is not None else (None, w.share) for w in plan.workstreams
    ]
    tasks = [
        (
            t,
            sampler(plan.tasks[t].estimate),
            ws_index[plan.tasks[t].workstream] if plan.tasks[t].workstream else -1,
            preds[t],
        )
        for t in order
    ]
    tindex = plan.task_index()
    risks = [
        (r.probability, sampler(r.effort_hours or r.duration_weeks), [tindex[x] for x in r.tasks]) for r in plan.risks
    ]
    T = len(plan.tasks)
    out = []
    for _ in range(trials):
        team_h = team() if team else 0.0
        cap = [f() if f else share * team_h for f, share in caps]
        extra = [0.0] * T
        for p, impact, hit in risks:
            if rnd.random() < p:
                x = impact()
                for i in hit:
                    extra[i] += x
        finish = [0.0] * T
        for t, draw, w, ps in tasks:
            d = draw() + extra[t]
            if w >= 0:
                d /= cap[w]
            start = max([finish[p] for p in ps], default=0.0)
            finish[t] = start + d
        out.append(max(finish))
    return out


def timed_or_extrapolated(run, trials: int, budget: float, calibrate: int) -> tuple[float, int]:
    """(seconds for `trials`, trials actually run): in full if a calibration run says it
    fits `budget`, else on as many trials as fit and scaled linearly."""
    n0 = min(calibrate, trials)
    t = now()
    run(n0)
    rate = (now() - t) / n0
    n = trials if rate * trials <= budget else max(n0, int(budget / rate))
    t = now()
    run(n)
    return (now() - t) / n * trials, n


# -------------------------------------------------------------------- child cases


def case_engine(spec: dict) -> dict:
    """One network at one trial count: engine, floors, loop, analyses, memory."""
    name, trials, reps = spec["network"], spec["trials"], spec["reps"]
    import numpy as np

    from lekhok_forecast.core import engine  # numpy and the engine only: analyses come after
    from lekhok_forecast.core.engine import kernel
    from lekhok_forecast.core.engine import run as engine_run

    rss_import = maxrss_mb()
    plan = networks.build(name)
    rss_plan = maxrss_mb()
    t = now()
    model = engine.compile_plan(plan)  # cold: builds the quantile tables
    compile_cold = now() - t
    rss_compile = maxrss_mb()
    t = now()
    engine.compile_plan(plan)
    compile_warm = now() - t
    tables = {id(v.table) for v in model.random_vars if v.table is not None}
    n_values = trials * (model.n_rows + len(model.risk_prob))
    res: dict = dict(
        network=name,
        plan=plan.name,
        tasks=len(plan.tasks),
        trials=trials,
        random_rows=model.n_rows,
        risks=len(model.risk_prob),
        values=n_values,
        distinct_tables=len(tables),
        compile_cold_s=compile_cold,
        compile_warm_s=compile_warm,
        rss_import_mb=rss_import,
        rss_plan_mb=rss_plan,
        rss_compile_mb=rss_compile,
    )
    eng, flo, nocrit = [], [], []
    split_crit = spec.get("split_criticality", False)
    result = None
    for k in range(reps):
        result = None
        t = now()
        result = engine.simulate(plan, trials, seed=1)
        eng.append(now() - t)
        if k == 0:
            res["rss_peak_mb"] = maxrss_mb()
            res["result_mb"] = sum(a.nbytes for a in vars(result).values() if isinstance(a, np.ndarray)) / 2**20
            res["chunk_trials"] = engine_run._chunk_trials(plan, trials)
        flo.append(uniform_floor(n_values))
        if split_crit:
            keep = result
            result = None
            t = now()
            engine.simulate(plan, trials, seed=1, criticality=False)
            nocrit.append(now() - t)
            result = keep
    res.update(engine_s=min(eng), engine_runs=eng, floor_s=min(flo), floor_runs=flo)
    if nocrit:
        res["engine_nocrit_s"] = min(nocrit)
    if spec.get("split_draws"):
        ws: dict = {}
        chunk = engine.default_chunk_trials(len(plan.tasks)) // engine.BLOCK_TRIALS
        blocks = math.ceil(trials / engine.BLOCK_TRIALS)
        best = math.inf
        for _ in range(max(1, reps - 1)):
            t = now()
            for b in range(0, blocks, chunk):
                nb = min(chunk, blocks - b)
                kernel._draw(model, 1, b, nb, nb * engine.BLOCK_TRIALS, ws)
            best = min(best, now() - t)
        res["draws_s"] = best

    # Analyses on the result (sensitivity works on the bounded sample).
    from lekhok_forecast.analysis import budget, drivers, schedule, summary

    def best_of(f, n=min(reps, 3)):  # noqa: B008 (reps is fixed for the run)
        times = []
        for _ in range(max(1, n)):
            t = now()
            f()
            times.append(now() - t)
        return min(times)

    res["sensitivity_s"] = best_of(lambda: drivers.spearman_sensitivity(result))
    res["percentiles_s"] = best_of(lambda: schedule.finish_summary(result))
    res["milestones_phases_s"] = best_of(
        lambda: (
            plan.milestones and schedule.milestone_table(result),
            plan.phase_names() and schedule.phase_table(result),
        )
    )
    res["cost_s"] = best_of(lambda: budget.cost_summary(result)) if plan.costs else 0.0
    res["summary_s"] = best_of(lambda: summary.summary_dict(result))
    res["rss_after_analyses_mb"] = maxrss_mb()
    res["sample_trials"] = result.sample_trials
    result = None

    if spec.get("beta", True):
        res["beta_s"], res["beta_trials"] = timed_or_extrapolated(
            lambda n: beta_floor(plan, n), trials, BUDGET_BETA_S, calibrate=20_000
        )
    if spec.get("loop", True):
        res["loop_s"], res["loop_trials"] = timed_or_extrapolated(
            lambda n: python_loop(plan, n), trials, BUDGET_LOOP_S, calibrate=200
        )
    return res


def _same_result(a, b) -> bool:
    import numpy as np

    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k, v in vars(a).items() if isinstance(v, np.ndarray))


def case_workers(spec: dict) -> dict:
    """1 vs 2 workers on one network: best times, and the results compared array by array."""
    from lekhok_forecast.core import engine

    plan = networks.build(spec["network"])
    trials = spec["trials"]
    engine.compile_plan(plan)
    engine.simulate(plan, 20_000, seed=1, workers=2)  # warm up the pool path once
    one, two = [], []
    identical = True
    for _ in range(spec["reps"]):
        t = now()
        r1 = engine.simulate(plan, trials, seed=1)
        one.append(now() - t)
        r1_keep = r1
        t = now()
        r2 = engine.simulate(plan, trials, seed=1, workers=2)
        two.append(now() - t)
        identical &= _same_result(r1_keep, r2)
        r1 = r1_keep = r2 = None
    assert identical, "2 workers gave different numbers from 1 worker"
    return dict(
        network=spec["network"],
        trials=trials,
        one_s=min(one),
        two_s=min(two),
        one_runs=one,
        two_runs=two,
        identical=identical,
        cpus=os.cpu_count(),
    )


def case_explorer(spec: dict) -> dict:
    """The scenario explorer: one update = overlays + 10^4 trials + comparison (+ plot)."""
    import numpy as np

    from lekhok_forecast.core import engine

    out: dict = {}
    plan = networks.lekhok()
    t = now()
    engine.simulate(plan, 10_000, seed=1)
    out["first_simulate_s"] = now() - t  # tables built cold in this process
    sims = []
    for _ in range(30):
        t = now()
        engine.simulate(plan, 10_000, seed=1)
        sims.append(now() - t)
    out["simulate_best_s"], out["simulate_median_s"] = min(sims), statistics.median(sims)
    try:
        from lekhok_forecast.app.explorer import ExplorerModel

        t = now()
        model = ExplorerModel(ROOT / "data/plans/lekhok_deployment.yaml")
        out["explorer_init_s"] = now() - t
        base = model.default_settings()
        settings = [base, type(base)((18.0, 26.0), 0.3), type(base)((25.0, 35.0), 0.1)]
        evals = []
        for k in range(15):
            evals.append(model.evaluate(settings[k % len(settings)])[2])
        out["evaluate_best_s"], out["evaluate_median_s"] = min(evals), statistics.median(evals)
        import io

        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from lekhok_forecast.analysis.schedule import cdf_curve, cdf_median
        from lekhok_forecast.present import plots

        result = model.evaluate(settings[1])[0]
        draws = []
        for _ in range(5):
            t = now()
            cdfs = {"Plan as written": cdf_curve(model.baseline), "Your settings": cdf_curve(result)}
            fig, _ = plots.scenario_cdfs(
                cdfs,
                medians={name: cdf_median(cdf) for name, cdf in cdfs.items()},
                deadlines=plan.deadlines,
                title=None,
            )
            fig.set_size_inches(5.2, 3.4)
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)
            draws.append(now() - t)
        out["plot_best_s"], out["plot_median_s"] = min(draws), statistics.median(draws)
    except Exception as exc:  # the explorer belongs to another module; report, don't fail
        out["explorer_error"] = f"{type(exc).__name__}: {exc}"
    out["numpy"] = np.__version__
    return out


#: Run in a fresh interpreter on one tree (the current one, or a commit's from `git archive`):
#: that tree's own plan loader and `simulate`, on one plan file written by the current tree's
#: `plan_yaml.py` (each tree's `networks.py` may build a different network of the same name),
#: so it works across changes of module layout and plan types. Prints the run times and a
#: digest of every result array.
_TIMED_SIMULATE = """
import hashlib, json, sys, time
import numpy as np
try:  # a commit before the layered package first: an editable install could resolve core.* elsewhere
    from lekhok_forecast.engine import simulate
    from lekhok_forecast.plan import load_plan
except ImportError:
    from lekhok_forecast.core.engine import simulate
    from lekhok_forecast.sources.plan_file import load_plan
spec = json.loads(sys.argv[1])
plan = load_plan(spec["plan_file"])
simulate(plan, 10_000, seed=1)
times, digests = [], {}
for _ in range(spec["reps"]):
    t = time.perf_counter()
    r = simulate(plan, spec["trials"], seed=1)
    times.append(time.perf_counter() - t)
    digests = {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
               for k, v in vars(r).items() if isinstance(v, np.ndarray)}
    r = None
print(json.dumps(dict(times=times, digests=digests)))
"""


def _timed_simulate(tree: Path, spec: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _TIMED_SIMULATE, json.dumps(spec)],
        cwd=tree,
        env=dict(os.environ, PYTHONPATH=str(tree)),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"simulate in {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def case_compare_engine(spec: dict) -> dict:
    """The engine as committed at `rev` (before the optimisations) against the current one:
    each in a fresh interpreter on its own tree (`rev`'s from ``git archive``), alternately."""
    import io
    import tarfile
    import tempfile

    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", spec["rev"], "lekhok_forecast", "benchmarks", "data"],
        check=True,
        capture_output=True,
    ).stdout
    before, after = [], []
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        plan_file = plan_yaml.write(spec["network"], Path(tmp) / f"{spec['network']}.yaml")
        one = dict(plan_file=str(plan_file), trials=spec["trials"], reps=1)
        for _ in range(spec["reps"]):
            a = _timed_simulate(Path(tmp), one)
            b = _timed_simulate(ROOT, one)
            before += a["times"]
            after += b["times"]
            # arrays the old engine did not have yet (e.g. the driver samples) are not compared
            assert all(b["digests"].get(k) == v for k, v in a["digests"].items()), (
                "the current engine gives different numbers"
            )
    trials = spec["trials"]
    return dict(network=spec["network"], trials=trials, before_s=min(before), after_s=min(after), identical=True)


CASES = {"engine": case_engine, "workers": case_workers, "explorer": case_explorer, "compare": case_compare_engine}


def run_child(spec: dict) -> dict:
    """Run one case in a fresh interpreter; its JSON result."""
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(f"case {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------- the report


def machine() -> dict:
    import numpy as np
    import scipy

    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()
        info["memory_gb"] = round(int(mem[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for key in ("Model name", "L2 cache", "L3 cache", "Hypervisor vendor"):
            for line in out.splitlines():
                if line.strip().startswith(key + ":"):
                    info[key.lower().replace(" ", "_")] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}), {p.get('num_threads')} threads"
            for p in threadpool_info()
        ]
    except ImportError:
        info["blas"] = ["threadpoolctl not installed (pip install threadpoolctl)"]
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE", "(unset)")
    try:
        info["transparent_hugepages"] = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text().strip()
    except OSError:
        pass
    info["load_average"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    return info


def cli_times(reps: int = 7) -> dict:
    """Wall time of the console script's --help and validate, and of bare interpreters."""
    exe = Path(sys.executable).parent / "lekhok-forecast"
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "lekhok_forecast.cli"]
    plan = str(ROOT / "data/plans/lekhok_deployment.yaml")
    commands = {
        "lekhok-forecast --help": cli + ["--help"],
        "lekhok-forecast validate (Lekhok plan)": cli + ["validate", plan],
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
    }
    # `solve` at its default 50,000 trials per evaluation; the label gets its evaluations.
    for vary, target in (
        ("capacity", ["--by-week", "14"]),
        ("buffer", []),
        ("scope", ["--by-week", "16"]),
    ):
        commands[f"lekhok-forecast solve --vary {vary}"] = [
            *cli,
            "solve",
            plan,
            "--vary",
            vary,
            *target,
            "--confidence",
            "0.8",
            "--json",
        ]
    out = {}
    for label, cmd in commands.items():
        times = []
        for _ in range(reps):
            t = now()
            proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
            times.append(now() - t)
        if " solve " in label:
            solved = json.loads(proc.stdout)
            n = solved["evaluations"]
            label = f"{label} {' '.join(cmd[cmd.index('--vary') + 2 : -1])} ({n} evaluation{'s' if n != 1 else ''})"
        out[label] = (min(times), statistics.median(times))
    return out


def fmt_s(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x < 0.01:
        return f"{x * 1000:.2f} ms"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    if x < 100:
        return f"{x:.2f} s"
    return f"{x:.0f} s"


def fmt_rate(x: float) -> str:
    for unit, f in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= f:
            return f"{x / f:.3g}{unit}"
    return f"{x:.3g}"


def fmt_n(n: int) -> str:
    e = math.log10(n)
    return f"10^{int(e)}" if e.is_integer() else f"{n:,}"


def targets(rows, workers, explorer, cli) -> list[str]:
    """The issue's targets, measured in this run."""

    def row(name, trials):
        return next((r for r in rows if r["network"] == name and r["trials"] == trials), None)

    L = ["## Targets (this run)", "", "| target | measured | met? |", "|---|---|---|"]
    for name in ("net100", "net1000"):
        r = row(name, 10**6)
        if r:
            x = r["engine_s"] / r["floor_s"]
            L.append(
                f"| engine <= 3x uniform floor, {name}, 10^6 trials, 1 worker | {x:.2f}x "
                f"({fmt_s(r['engine_s'])} vs {fmt_s(r['floor_s'])}) | {'yes' if x <= 3 else 'no'} |"
            )
    for name in ("net100", "net1000"):
        r = row(name, 10**6)
        if r and "engine_nocrit_s" in r:
            crit = max(0.0, r["engine_s"] - r["engine_nocrit_s"])
            x = (crit + r["sensitivity_s"] + r["percentiles_s"]) / r["floor_s"]
            L.append(
                f"| criticality + sensitivity + percentiles <= 1x floor, {name}, 10^6 | {x:.2f}x | "
                f"{'yes' if x <= 1 else 'no'} |"
            )
    for w in workers:
        x = w["one_s"] / w["two_s"]
        L.append(
            f"| 2 workers close to 2x faster and identical, {w['network']}, {fmt_n(w['trials'])} | "
            f"{x:.2f}x, identical: "
            f"{'yes' if w['identical'] else 'NO'} | {'yes' if x >= 1.7 else 'no'} |"
        )
    big = [r for r in rows if r["network"] == "net1000" and r["trials"] == 10**7]
    if big:
        r = big[0]
        L.append(
            f"| 10^7 trials of the 1,000-task network < 1 GB | peak {r['rss_peak_mb']:.0f} MB "
            f"(after `summary_dict`: {r['rss_after_analyses_mb']:.0f} MB) | "
            f"{'yes' if r['rss_peak_mb'] < 1000 else 'no'} |"
        )
    else:
        L.append("| 10^7 trials of the 1,000-task network < 1 GB | not run (use --max-trials 1e7) | - |")
    for label, (_best, med) in (cli or {}).items():
        if label.startswith("lekhok"):
            limit = 3.0 if " solve " in label else 0.5  # solve: the Lekhok plan at 50,000 trials
            L.append(f"| `{label}` < {limit:g} s | {fmt_s(med)} (median) | {'yes' if med < limit else 'no'} |")
    if explorer:
        L.append(
            f"| explorer: simulate 10^4 trials of the Lekhok plan well under 100 ms | "
            f"{fmt_s(explorer['simulate_median_s'])} (median) | "
            f"{'yes' if explorer['simulate_median_s'] < 0.05 else 'no'} |"
        )
        if "evaluate_median_s" in explorer:
            total = explorer["evaluate_median_s"] + explorer["plot_median_s"]
            L.append(
                f"| explorer: whole update (overlays, simulate, table, re-plot) < 100 ms | "
                f"{fmt_s(total)} (median) | {'yes' if total < 0.1 else 'no'} |"
            )
    at6 = [r for r in rows if r["trials"] == 10**6 and r.get("beta_s")]
    if at6:
        eb = [r["engine_s"] / r["beta_s"] for r in at6]
        le = [r["loop_s"] / r["engine_s"] for r in at6 if r.get("loop_s")]
        L.append("")
        L.append(
            f"At 10^6 trials the engine takes {min(eb):.2f}-{max(eb):.2f} of the Beta floor's time "
            f"(it is {1 / max(eb):.0f}-{1 / min(eb):.0f}x faster than drawing the same variates with "
            f"`rng.beta` alone) and the per-trial Python loop takes {min(le):,.0f}-{max(le):,.0f}x the "
            "engine's time (mostly extrapolated: see the table)."
        )
    L.append("")
    return L


def report(args, mach, rows, workers, explorer, cli, compare, started, elapsed) -> str:
    L = []
    L.append("# Benchmark results")
    L.append("")
    L.append(
        f"Generated by `python benchmarks/run.py {' '.join(args.argv)}` on {started:%Y-%m-%d %H:%M} "
        f"in {elapsed / 60:.1f} min: every number below comes from this one run."
    )
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append(
        f"- CPU: {mach.get('cpu', '?')} ({mach.get('hypervisor_vendor', 'bare metal?')} VM); "
        f"{mach['cpus']} logical CPUs ({mach['cpus_usable']} usable); L2 {mach.get('l2_cache', '?')}, "
        f"L3 {mach.get('l3_cache', '?')}; {mach.get('memory_gb', '?')} GB RAM"
    )
    L.append(f"- Python {mach['python']}, NumPy {mach['numpy']}, SciPy {mach['scipy']}; {mach['platform']}")
    L.append(
        f"- BLAS (threadpoolctl): {'; '.join(mach['blas'])}; OPENBLAS_CORETYPE={mach['OPENBLAS_CORETYPE']} "
        "(the engine does no BLAS work)"
    )
    if "transparent_hugepages" in mach:
        L.append(
            f"- transparent hugepages: {mach['transparent_hugepages']}; load average at start "
            f"{', '.join(f'{x:.2f}' for x in mach['load_average'])}, at end "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
    L.append("")
    L.extend(targets(rows, workers, explorer, cli))
    L.append("## Engine against its floors")
    L.append("")
    L.append(
        "`engine` is `simulate(plan, trials, seed=1)` end to end (tables already built: see "
        "*compile* below), with criticality. *values* = trials x (random quantities + risks), the "
        "numbers the engine draws. *floor* = that many `rng.random` doubles; *Beta floor* = the same "
        "quantities drawn with `rng.beta` & co.; *loop* = plain per-trial Python (finish only); "
        "`~` = extrapolated linearly from the trials in brackets. *peak* = the case's peak RSS."
    )
    L.append("")
    L.append(
        "| network | tasks | trials | engine | trials/s | task-samples/s | peak RSS | floor | "
        "engine/floor | Beta floor | engine/Beta | loop | loop/engine |"
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        e, n = r["engine_s"], r["trials"]
        cells = [
            r["network"],
            str(r["tasks"]),
            fmt_n(n),
            fmt_s(e),
            fmt_rate(n / e),
            fmt_rate(n * r["tasks"] / e),
            f"{r['rss_peak_mb']:.0f} MB",
            fmt_s(r["floor_s"]),
            f"**{e / r['floor_s']:.2f}**",
        ]
        for key in ("beta", "loop"):
            x, done = r.get(f"{key}_s"), r.get(f"{key}_trials", n)
            if x is None:
                cells += ["-", "-"]
                continue
            txt = fmt_s(x) if done >= n else f"~{fmt_s(x)} ({done:,})"
            cells += [txt, f"{e / x:.2f}" if key == "beta" else f"{x / e:,.0f}"]
        L.append("| " + " | ".join(cells) + " |")
    L.append("")
    L.append(
        "Networks: *lekhok* = data/plans/lekhok_deployment.yaml; *pert14* = Hillier & Lieberman's "
        "14-activity PERT example; *net100*, *net1000* = `networks.generated` (seed "
        f"{networks.GENERATOR_SEED}; quarter-day estimates, 4 / 2 workstreams, 10 / 100 risks, 4 phases, "
        "3 milestones, a monthly and an hourly cost); *net1000u* = net1000 with estimates to 0.01 day, so "
        "nearly every PERT shape is distinct (the worst case for table building and memory)."
    )
    L.append("")

    # Analyses
    L.append("## Analyses, separately")
    L.append("")
    L.append(
        "Criticality runs inside the engine's chunk loop: its cost is the engine's time minus a run "
        "with it switched off (`simulate(..., criticality=False)`). Sensitivity "
        "(Spearman, on the engine's sample of full schedules: `sample_trials` below, standard error "
        "about 1/sqrt(sample)), percentiles (`finish_summary`: exact, `np.percentile` on every trial) "
        "and the rest are timed on the result. *summary* is `summary_dict`, everything `simulate --json` "
        "prints (it includes sensitivity and percentiles)."
    )
    L.append("")
    L.append(
        "| network | trials | floor | criticality | sensitivity (sample) | percentiles | **(crit.+sens.+pct.) "
        "/ floor** | milestones+phases | cost | summary | (crit.+summary) / floor |"
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "engine_nocrit_s" not in r:
            continue
        crit = max(0.0, r["engine_s"] - r["engine_nocrit_s"])
        core = crit + r["sensitivity_s"] + r["percentiles_s"]
        L.append(
            f"| {r['network']} | {fmt_n(r['trials'])} | {fmt_s(r['floor_s'])} | {fmt_s(crit)} | "
            f"{fmt_s(r['sensitivity_s'])} ({r['sample_trials']:,}) | {fmt_s(r['percentiles_s'])} | "
            f"**{core / r['floor_s']:.2f}** | {fmt_s(r['milestones_phases_s'])} | {fmt_s(r['cost_s'])} | "
            f"{fmt_s(r['summary_s'])} | {(crit + r['summary_s']) / r['floor_s']:.2f} |"
        )
    L.append("")
    draws = [r for r in rows if "draws_s" in r]
    if draws:
        L.append(
            "Where the engine's time goes (same runs): *draws* = generating the uniform uint16 draws and "
            "risk firings alone (`engine.kernel._draw` over all blocks)."
        )
        L.append("")
        L.append("| network | trials | engine | draws | criticality | rest (sampling, scheduling, outputs) |")
        L.append("|---|---:|---:|---:|---:|---:|")
        for r in draws:
            crit = max(0.0, r["engine_s"] - r.get("engine_nocrit_s", r["engine_s"]))
            rest = r["engine_s"] - crit - r["draws_s"]
            L.append(
                f"| {r['network']} | {fmt_n(r['trials'])} | {fmt_s(r['engine_s'])} | "
                f"{fmt_s(r['draws_s'])} ({r['draws_s'] / r['engine_s']:.0%}) | {fmt_s(crit)} "
                f"({crit / r['engine_s']:.0%}) | {fmt_s(rest)} ({rest / r['engine_s']:.0%}) |"
            )
        L.append("")

    # Compile
    L.append("## Compiling a plan (quantile tables)")
    L.append("")
    L.append(
        "*cold*: a fresh process, every distinct shape's 65,536-cell table built (`compile_plan`); "
        "*warm*: tables cached (what each `simulate` call pays). Each distinct shape keeps a 256 KB table."
    )
    L.append("")
    L.append(
        "| network | tasks | random quantities | distinct tables | cold | warm | RSS after import / after tables |"
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    seen = set()
    for r in rows:
        if r["network"] in seen:
            continue
        seen.add(r["network"])
        L.append(
            f"| {r['network']} | {r['tasks']} | {r['random_rows']} | {r['distinct_tables']} | "
            f"{fmt_s(r['compile_cold_s'])} | {fmt_s(r['compile_warm_s'])} | "
            f"{r['rss_plan_mb']:.0f} / {r['rss_compile_mb']:.0f} MB |"
        )
    L.append("")

    # Memory
    L.append("## Memory")
    L.append("")
    L.append(
        "Peak RSS of the case's process after its first engine run (interpreter, NumPy, the engine "
        "and the plan; the quantile tables; the result arrays; the rest is the chunk's work arrays and "
        "allocator slack), and after the analyses (`summary_dict` imports pandas and sorts copies)."
    )
    L.append("")
    L.append(
        "| network | trials | chunk (trials) | result arrays | peak RSS | = interpreter+plan + tables + "
        "result + chunk work | after analyses |"
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["trials"] < 10**6:
            continue
        rest = r["rss_peak_mb"] - r["rss_compile_mb"] - r["result_mb"]
        L.append(
            f"| {r['network']} | {fmt_n(r['trials'])} | {r['chunk_trials']:,} | {r['result_mb']:.0f} MB | "
            f"**{r['rss_peak_mb']:.0f} MB** | {r['rss_plan_mb']:.0f} + {r['rss_compile_mb'] - r['rss_plan_mb']:.0f} "
            f"+ {r['result_mb']:.0f} + {rest:.0f} MB | {r['rss_after_analyses_mb']:.0f} MB |"
        )
    L.append("")

    if workers:
        L.append("## Workers")
        L.append("")
        L.append(
            "`simulate(..., workers=2)` (fork; chunks spread over the processes) against one process, "
            "best of the runs; every result array compared with `np.array_equal`."
        )
        L.append("")
        L.append("| network | trials | 1 worker | 2 workers | speed-up | identical |")
        L.append("|---|---:|---:|---:|---:|---|")
        for w in workers:
            L.append(
                f"| {w['network']} | {fmt_n(w['trials'])} | {fmt_s(w['one_s'])} | {fmt_s(w['two_s'])} | "
                f"**{w['one_s'] / w['two_s']:.2f}x** | {'yes' if w['identical'] else 'NO'} |"
            )
        L.append("")

    if compare:
        L.append("## Before and after the optimisations")
        L.append("")
        L.append(
            f"The engine as of {compare[0]['rev']} (that commit's tree, from git) against the current one, each in "
            "a fresh interpreter, alternately, best of the runs; every result array asserted identical."
        )
        L.append("")
        L.append("| network | trials | before | after | speed-up |")
        L.append("|---|---:|---:|---:|---:|")
        for c in compare:
            L.append(
                f"| {c['network']} | {fmt_n(c['trials'])} | {fmt_s(c['before_s'])} | {fmt_s(c['after_s'])} | "
                f"**{c['before_s'] / c['after_s']:.2f}x** |"
            )
        L.append("")

    if explorer:
        L.append("## Scenario explorer (10^4 trials of the Lekhok plan)")
        L.append("")
        if "explorer_error" in explorer:
            L.append(f"(explorer not timed: {explorer['explorer_error']})")
        L.append(
            f"- `simulate` alone: best {fmt_s(explorer['simulate_best_s'])}, median "
            f"{fmt_s(explorer['simulate_median_s'])} (first call in a fresh process, tables built: "
            f"{fmt_s(explorer['first_simulate_s'])})"
        )
        if "evaluate_best_s" in explorer:
            L.append(
                f"- one update without drawing (`ExplorerModel.evaluate`: overlays, re-parse, simulate, "
                f"comparison table): best {fmt_s(explorer['evaluate_best_s'])}, median "
                f"{fmt_s(explorer['evaluate_median_s'])}"
            )
            L.append(
                f"- re-plotting (`plots.scenario_cdfs` + PNG render): best {fmt_s(explorer['plot_best_s'])}, "
                f"median {fmt_s(explorer['plot_median_s'])}"
            )
        L.append("")

    if cli:
        L.append("## Command-line start-up")
        L.append("")
        L.append("| command | best | median |")
        L.append("|---|---:|---:|")
        for label, (b, m) in cli.items():
            L.append(f"| `{label}` | {fmt_s(b)} | {fmt_s(m)} |")
        L.append("")
    return "\n".join(L)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10^4 and 10^5 trials only; no workers/compare")
    ap.add_argument("--max-trials", type=float, default=1e6, help="largest trial count (default 1e6; 1e7 adds 10^7)")
    ap.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated subset of " + ",".join(NETWORKS))
    ap.add_argument("--out", default=None, help="write the Markdown report here (hand-written notes kept)")
    ap.add_argument("--before-rev", default="d727bbb", help="git revision of the engine to compare against")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(CASES[spec["kind"]](spec)))
        return 0
    args.argv = argv
    started = _dt.datetime.now()
    t0 = now()
    max_trials = 10**5 if args.quick else int(args.max_trials)
    mach = machine()
    rows = []
    for name in args.networks.split(","):
        for trials in COUNTS:
            if trials > min(max_trials, NETWORK_MAX.get(name, max_trials)):
                continue
            reps = 5 if trials <= 10**5 else 3 if trials <= 10**6 else 1
            spec = dict(
                kind="engine",
                network=name,
                trials=trials,
                reps=reps,
                split_criticality=trials <= 10**6,
                split_draws=trials == 10**6,
                loop=name != "net1000u",
            )
            print(f"[{now() - t0:6.0f} s] {name} {trials:,} trials ...", file=sys.stderr, flush=True)
            r = run_child(spec)
            rows.append(r)
            print(
                f"           engine {fmt_s(r['engine_s'])} ({r['engine_s'] / r['floor_s']:.2f}x floor), "
                f"peak {r['rss_peak_mb']:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    workers, compare, explorer = [], [], None
    if not args.quick:
        for name in ("net100", "net1000"):
            if name in args.networks.split(","):
                print(f"[{now() - t0:6.0f} s] workers {name} ...", file=sys.stderr, flush=True)
                workers.append(run_child(dict(kind="workers", network=name, trials=10**6, reps=4)))
                if name == "net100" and max_trials >= 10**7:  # the fixed cost of forking, amortised
                    print(f"[{now() - t0:6.0f} s] workers {name} 10^7 ...", file=sys.stderr, flush=True)
                    workers.append(run_child(dict(kind="workers", network=name, trials=10**7, reps=2)))
                print(f"[{now() - t0:6.0f} s] before/after {name} ...", file=sys.stderr, flush=True)
                c = run_child(dict(kind="compare", network=name, trials=10**6, reps=2, rev=args.before_rev))
                c["rev"] = args.before_rev
                compare.append(c)
    print(f"[{now() - t0:6.0f} s] explorer, CLI ...", file=sys.stderr, flush=True)
    explorer = run_child(dict(kind="explorer"))
    cli = cli_times()
    text = report(args, mach, rows, workers, explorer, cli, compare, started, now() - t0)
    print(text)
    if args.out:
        out = Path(args.out)
        notes = ""
        if out.exists():
            old = out.read_text()
            if NOTES_MARKER in old:
                notes = old[old.index(NOTES_MARKER) + len(NOTES_MARKER) :]
        out.write_text(text + "\n\n" + NOTES_MARKER + notes.rstrip("\n") + "\n")
        raw = out.with_suffix(".json")
        raw.write_text(
            json.dumps(
                dict(machine=mach, rows=rows, workers=workers, compare=compare, explorer=explorer, cli=cli),
                indent=1,
                default=str,
            )
            + "\n"
        )
        print(f"wrote {out} and {raw}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

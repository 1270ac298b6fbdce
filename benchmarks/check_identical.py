"""Guard for engine optimisations: every output array must stay bitwise identical.

    python benchmarks/check_identical.py             # compare with reference_digests.json
    python benchmarks/check_identical.py --ref REV   # compare with the digests REV's own
                                                     # tree gives for the same cases
    python benchmarks/check_identical.py --ref HEAD --save   # store that commit's digests

Each case runs `simulate` and hashes every `SimulationResult` array (dtype, shape and
bytes). The cases cover the Lekhok plan (several trial counts, chunk sizes, 2 workers),
the textbook network, generated 100- and 1,000-task networks with workstreams and risks,
and re-forecasts (an as-of state) with done tasks, `not_before_week`, hours spent and
calibration.

`--ref REV` runs REV's whole tree (package, benchmarks, data, from ``git archive``) with
REV's own copy of this script in a subprocess, so it works across changes of the
engine's module layout and of the plan types; cases are matched by name.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import networks  # noqa: E402

from lekhok_forecast.core.engine import BLOCK_TRIALS, compile_plan, simulate  # noqa: E402
from lekhok_forecast.core.engine.kernel import _draw  # noqa: E402

REFERENCE = Path(__file__).resolve().parent / "reference_digests.json"

CASES = [
    # (case name, network builder (a plan, or a plan and its as-of state), simulate kwargs)
    ("lekhok_10k", networks.lekhok, dict(trials=10_000, seed=1)),
    ("lekhok_50001_chunk8192", networks.lekhok, dict(trials=50_001, seed=7, chunk_trials=8192)),
    ("lekhok_50001_workers2", networks.lekhok, dict(trials=50_001, seed=7, workers=2, chunk_trials=4096)),
    ("lekhok_1", networks.lekhok, dict(trials=1, seed=0)),
    ("pert14_20k", networks.textbook14, dict(trials=20_000, seed=3)),
    ("net100_30k", lambda: networks.generated(100), dict(trials=30_000, seed=3)),
    (
        "net100_30k_chunk5000_sample700",
        lambda: networks.generated(100),
        dict(trials=30_000, seed=3, chunk_trials=5000, sample_trials=700),
    ),
    ("net1000_9000", lambda: networks.generated(1000), dict(trials=9_000, seed=11)),
    ("lekhok_calibrated_20k", lambda: networks.calibrated(networks.lekhok()), dict(trials=20_000, seed=5)),
    (
        "net100_calibrated_12k",
        lambda: networks.calibrated(networks.generated(100), done=20, in_progress=5),
        dict(trials=12_000, seed=9),
    ),
]


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()[:32]


def digests(result) -> dict[str, str]:
    """Every result array, and the analyses computed from them (sensitivity, the summary)."""
    from lekhok_forecast.analysis import drivers
    from lekhok_forecast.analysis.summary import summary_dict

    out = {}
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if isinstance(value, np.ndarray):
            out[f.name] = _digest(value)
    out["analysis:sensitivity"] = _digest(drivers.spearman_sensitivity(result))
    out["analysis:capacity_sensitivity"] = _digest(drivers.capacity_sensitivity(result).to_numpy())
    summary = summary_dict(result)
    # The calendar dates are hashed apart from the numbers: a change of the calendar rules
    # moves dates on purpose, and must not hide (or fake) a change of a number.
    dates = {k: summary.pop(k) for k in ("start", "finish_dates") if k in summary}
    for key, value in (("analysis:summary", summary), ("analysis:summary_dates", dates)):
        text = json.dumps(value, sort_keys=True, default=str)
        out[key] = hashlib.sha256(text.encode()).hexdigest()[:32]
    return out


def check_raw_draws() -> None:
    """The engine reads uint16 draws from PCG64's raw stream; they must be exactly what
    ``rng.integers(0, 65536, dtype=np.uint16)`` gives (and leave the same state)."""
    plan = networks.lekhok()
    model = compile_plan(plan)
    for seed, block in ((0, 0), (1, 7), (2**40, 12345)):
        u, fired = _draw(model, seed, block, 1, BLOCK_TRIALS)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
        want_u = rng.integers(0, 65536, size=(model.n_rows, BLOCK_TRIALS), dtype=np.uint16)
        want_fired = rng.random((len(model.risk_prob), BLOCK_TRIALS)) < model.risk_prob[:, None]
        assert np.array_equal(u, want_u) and np.array_equal(fired, want_fired), (seed, block)


def run_cases() -> dict[str, dict[str, str]]:
    plans = {}
    out = {}
    for name, build, kwargs in CASES:
        key = id(build)
        if key not in plans:
            built = build()
            plans[key] = built if isinstance(built, tuple) else (built, None)
        plan, as_of = plans[key]
        t = time.perf_counter()
        if kwargs.get("workers", 1) > 1:  # the worker processes even below the engine's size threshold
            import lekhok_forecast.core.engine.run as engine_run

            engine_run.PARALLEL_MIN_CELLS = 0
        out[name] = digests(simulate(plan, as_of=as_of, **kwargs))
        print(f"  {name:<34} {time.perf_counter() - t:6.2f} s", file=sys.stderr)
    return out


def digests_at(rev: str) -> dict[str, dict[str, str]]:
    """The digests of the cases as REV's own tree computes them: REV's package,
    benchmarks and data extracted with ``git archive``, REV's copy of this script run
    with ``--emit`` in a subprocess."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", rev, "lekhok_forecast", "benchmarks", "data"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        env = dict(os.environ, PYTHONPATH=tmp)
        script = Path(tmp) / "benchmarks" / "check_identical.py"
        out = subprocess.run(
            [sys.executable, str(script), "--emit"], env=env, cwd=tmp, check=True, capture_output=True, text=True
        ).stdout
    return json.loads(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", metavar="REV", help="compare with the digests of the tree as committed at REV")
    ap.add_argument("--save", action="store_true", help="write the reference digests (of --ref if given)")
    ap.add_argument("--emit", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.emit:
        print(json.dumps(run_cases()))
        return 0
    if args.ref:
        print(f"reference: {args.ref}", file=sys.stderr)
        want = digests_at(args.ref)
    else:
        want = json.loads(REFERENCE.read_text())
    if args.save:
        REFERENCE.write_text(json.dumps(want, indent=1, sort_keys=True) + "\n")
        print(f"wrote {REFERENCE}")
        return 0
    print("working tree:", file=sys.stderr)
    check_raw_draws()
    got = run_cases()
    bad = [(c, f) for c in want for f in want[c] if got.get(c, {}).get(f) != want[c][f]]
    bad += [(c, f) for c in got for f in got[c] if f not in want.get(c, {})]
    if bad:
        for c, f in bad:
            print(f"DIFFERENT: {c}: {f}")
        return 1
    print(f"identical: {len(want)} cases, {sum(len(v) for v in want.values())} arrays")
    return 0


if __name__ == "__main__":
    sys.exit(main())

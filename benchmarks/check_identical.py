"""Guard for engine optimisations: every output array must stay bitwise identical.

    python benchmarks/check_identical.py             # compare with reference_digests.json
    python benchmarks/check_identical.py --ref REV   # compare with engine.py and
                                                     # distributions.py as committed at REV
    python benchmarks/check_identical.py --ref HEAD --save   # store that commit's digests

Each case runs `simulate` and hashes every `SimulationResult` array (dtype, shape and
bytes). The cases cover the Lekhok plan (several trial counts, chunk sizes, 2 workers),
the textbook network, generated 100- and 1,000-task networks with workstreams and risks,
and re-forecast plans with done tasks, `not_before_week`, hours spent and calibration.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import networks  # noqa: E402

from lekhok_forecast.core.engine import simulate  # noqa: E402

REFERENCE = Path(__file__).resolve().parent / "reference_digests.json"

CASES = [
    # (case name, network builder, simulate kwargs)
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
    summary = json.dumps(summary_dict(result), sort_keys=True, default=str)
    out["analysis:summary"] = hashlib.sha256(summary.encode()).hexdigest()[:32]
    return out


def check_raw_draws() -> None:
    """The engine reads uint16 draws from PCG64's raw stream; they must be exactly what
    ``rng.integers(0, 65536, dtype=np.uint16)`` gives (and leave the same state)."""
    from lekhok_forecast.core import engine

    plan = networks.lekhok()
    model = engine.compile_plan(plan)
    for seed, block in ((0, 0), (1, 7), (2**40, 12345)):
        u, fired = engine._draw(model, seed, block, 1, engine.BLOCK_TRIALS)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
        want_u = rng.integers(0, 65536, size=(model.n_rows, engine.BLOCK_TRIALS), dtype=np.uint16)
        want_fired = rng.random((len(model.risk_prob), engine.BLOCK_TRIALS)) < model.risk_prob[:, None]
        assert np.array_equal(u, want_u) and np.array_equal(fired, want_fired), (seed, block)


def run_cases() -> dict[str, dict[str, str]]:
    plans = {}
    out = {}
    for name, build, kwargs in CASES:
        key = id(build)
        if key not in plans:
            plans[key] = build()
        t = time.perf_counter()
        out[name] = digests(simulate(plans[key], **kwargs))
        print(f"  {name:<34} {time.perf_counter() - t:6.2f} s", file=sys.stderr)
    return out


#: Files whose numbers must not change: `--ref REV` takes these from REV and everything
#: else (plans, other modules) from the working tree.
ENGINE_FILES = ("lekhok_forecast/engine.py", "lekhok_forecast/distributions.py", "lekhok_forecast/drivers.py")


def digests_at(rev: str) -> dict[str, dict[str, str]]:
    """Run the cases in a subprocess on a copy of the working tree whose engine files
    are as committed at `rev`."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("lekhok_forecast", "data/plans"):
            shutil.copytree(root / d, Path(tmp) / d, ignore=shutil.ignore_patterns("__pycache__"))
        for f in ENGINE_FILES:
            text = subprocess.run(
                ["git", "-C", str(root), "show", f"{rev}:{f}"], check=True, capture_output=True, text=True
            ).stdout
            (Path(tmp) / f).write_text(text)
        env = dict(os.environ, PYTHONPATH=tmp)
        out = subprocess.run(
            [sys.executable, __file__, "--emit"], env=env, check=True, capture_output=True, text=True
        ).stdout
    return json.loads(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", metavar="REV", help="compare with engine.py and distributions.py as committed at REV")
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

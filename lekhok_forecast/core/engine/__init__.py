"""The vectorised Monte Carlo engine.

Trials are the last axis of every array. The engine never loops over trials in Python:
it loops over *tasks* (in topological order) and over fixed-size random-number *blocks*.

- `model`: a plan and its as-of state compiled to index arrays (`compile_plan`).
- `kernel`: the draws, the forward pass of one chunk, and criticality.
- `run`: chunks, work memory, `simulate` and `SimulationResult`.
- `pool`: the worker processes of ``simulate(workers=K)``, kept warm across calls.

The modal (non-random) schedule is `lekhok_forecast.core.modal`.
"""

from lekhok_forecast.core.engine.kernel import BLOCK_TRIALS
from lekhok_forecast.core.engine.model import compile_plan
from lekhok_forecast.core.engine.run import SAMPLE_TRIALS, SimulationResult, default_chunk_trials, simulate

__all__ = [
    "BLOCK_TRIALS",
    "SAMPLE_TRIALS",
    "SimulationResult",
    "compile_plan",
    "default_chunk_trials",
    "simulate",
]

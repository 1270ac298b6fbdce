"""Buffer sizing: is the planned buffer enough, and what would P80/P90 need?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from lekhok_forecast.analysis.headline import buffered_weeks, p_within_buffer
from lekhok_forecast.analysis.ranks import sorted_percentiles
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.modal import rsem_buffer_weeks

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class BufferSummary:
    """Planned buffer against the simulated finish.

    Attributes
    ----------
    baseline_weeks : float
    buffer : float
        Planned buffer as a fraction of the baseline.
    buffered_weeks : float
        ``baseline_weeks * (1 + buffer)``.
    p_within_buffer : float
        P(finish <= buffered_weeks): the confidence the planned buffer carries.
    needed_for_p80, needed_for_p90 : float
        Buffer fraction of the baseline needed to reach 80% / 90% confidence
        (``P80 / baseline - 1``; negative when the baseline alone is enough).
    rsem_weeks : float
        Critical-chain root-square-error buffer: sqrt of the sum of squared
        (pessimistic - most likely) durations along the modal critical chain.
    critical_chain : tuple of str
        Task ids on that chain.
    """

    baseline_weeks: float
    buffer: float
    buffered_weeks: float
    p_within_buffer: float
    needed_for_p80: float
    needed_for_p90: float
    rsem_weeks: float
    critical_chain: tuple

    @property
    def rsem_fraction(self) -> float:
        """The RSEM buffer as a fraction of the baseline."""
        return self.rsem_weeks / self.baseline_weeks

    def __str__(self) -> str:
        return (
            f"buffer {self.buffer:.0%} of {self.baseline_weeks:g} weeks -> {self.buffered_weeks:.1f} weeks,"
            f" confidence {self.p_within_buffer:.0%}; P80 needs {self.needed_for_p80:.0%},"
            f" P90 needs {self.needed_for_p90:.0%}; RSEM buffer {self.rsem_weeks:.1f} weeks"
        )


def buffer_summary(result: SimulationResult) -> BufferSummary:
    """Compare the plan's buffer with the buffers the simulation says are needed.

    Raises
    ------
    ValueError
        If the plan has no ``baseline_weeks``.
    """
    plan = result.plan
    if plan.baseline_weeks is None:
        raise ValueError("the plan has no baseline_weeks, so there is no buffer to size")
    base = plan.baseline_weeks
    buffered = buffered_weeks(plan)
    p80, p90 = sorted_percentiles(result.sorted_finish_weeks, (80, 90))
    rsem, chain = rsem_buffer_weeks(plan, result.as_of)
    return BufferSummary(
        base,
        plan.buffer,
        buffered,
        p_within_buffer(result),
        float(p80 / base - 1),
        float(p90 / base - 1),
        rsem,
        chain,
    )


def buffer_curve(result: SimulationResult, fractions: ArrayLike | None = None) -> pd.DataFrame:
    """Probability of finishing within ``baseline * (1 + fraction)`` for a range of buffers."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    plan = result.plan
    if plan.baseline_weeks is None:
        raise ValueError("the plan has no baseline_weeks, so there is no buffer to size")
    if fractions is None:
        fractions = np.round(np.arange(0.0, 1.001, 0.025), 3)
    f = np.sort(result.finish_weeks)
    weeks = plan.baseline_weeks * (1 + np.asarray(fractions, dtype=float))
    p = np.searchsorted(f, weeks, side="right") / f.size
    return pd.DataFrame({"buffer": fractions, "weeks": weeks, "p_within": p})


def buffer_table(result: SimulationResult) -> pd.DataFrame:
    """Side by side: planned buffer, P80/P90 buffers and the RSEM buffer, with confidence."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    s = buffer_summary(result)
    f = result.finish_weeks
    rows = []
    for label, frac in (
        ("planned", s.buffer),
        ("for P80", s.needed_for_p80),
        ("for P90", s.needed_for_p90),
        ("RSEM (critical chain)", s.rsem_fraction),
    ):
        weeks = s.baseline_weeks * (1 + frac)
        rows.append(
            {
                "buffer": label,
                "fraction": frac,
                "buffer_weeks": s.baseline_weeks * frac,
                "total_weeks": weeks,
                "confidence": float(np.mean(f <= weeks)),
            }
        )
    return pd.DataFrame(rows).set_index("buffer")

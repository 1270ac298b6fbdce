"""How calibration ratios scale a task: the one rule the engine and the backtest both apply.

The engine (`lekhok_forecast.core.engine.kernel`) and the backtest
(`lekhok_forecast.tracking.backtest`) call `resampled_ratios`, so a backtest measures exactly
the re-forecast's rule: every calibrated task, in every trial, is scaled by one ratio drawn
uniformly and independently from the evidence.
"""

from __future__ import annotations

import numpy as np


def resampled_ratios(ratios: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One ratio per uniform draw: ``ratios[floor(u * len(ratios) / 65536)]``.

    Parameters
    ----------
    ratios : ndarray of float32, shape (n,), n >= 1
        Actual / estimated effort of done tasks (dimensionless).
    u : ndarray of uint16
        Uniform 16-bit draws (any shape; one per task and trial).

    Returns
    -------
    ndarray of float32, the shape of `u`
        The picked ratios (pick ``i`` with probability ``1/n`` up to the 16-bit resolution).
    """
    pick = (u.astype(np.uint32) * np.uint32(ratios.size)) >> np.uint32(16)
    return ratios[pick]

"""How calibration scales a task, and the per-trial common factor: rules the engine and the backtest share.

The engine (`lekhok_forecast.core.engine.kernel`) and the backtest
(`lekhok_forecast.tracking.backtest`) call the same functions here, so a backtest measures
exactly the re-forecast's draw. A calibrated task ``j`` of most likely effort ``est_j``
is scaled, in each trial, by

    ``task_scale(model, est_j) * resampled_ratios(model.ratios, u_j) * lognormal_factor(model.sigma, u_0)``

with ``u_j`` a uniform draw of the task and ``u_0`` one uniform draw per trial shared by
every calibrated task (the correlated overrun). The evidence is turned into a
`RatioModel` by `fit_ratio_model`, one rule per method (`RATIO_METHODS`):

``resample``
    The ratios ``actual / estimate`` themselves: ``scale = 1``, ``sigma = 0``; each task
    draws one ratio uniformly and independently (the first weekly re-forecast's rule).
``level``
    ``resample`` plus the common factor ``exp(sigma z)``, z ~ N(0, 1) per trial, with
    ``sigma**2 = s**2 / k + LEVEL_DRIFT**2``: the uncertainty of the evidence's mean log
    ratio (``s``: the spread of the ``k`` log ratios, shrunk toward `PRIOR_LOG_SD` with
    the weight of `PRIOR_WEIGHT` tasks) plus the drift of the level between past and
    future work.
``size``
    Log ratio regressed on log estimate, ``log r = a + b log est + e`` (least squares;
    slope ``b = w b_ls + (1 - w) PRIOR_SLOPE``, ``w = Sxx / (Sxx + PRIOR_WEIGHT)``, Sxx the
    sum of squared deviations of the log estimates); ``scale = exp(a + b log est_j)``,
    the ratios are the residual multipliers ``exp(e_i)``, and the common factor is that
    of ``level`` with ``s`` the residuals' spread.
``size-smooth``
    ``size`` with two changes the backtest on real histories asked for
    (``benchmarks/BACKTEST.md``): the slope is `SLOPE_BLEND` times ``size``'s (the full
    in-sample slope overstates how much a new task's size tells: its median came out too
    low), and the residuals are smoothed: each residual draw gets a normal kernel of
    width ``h = SMOOTH_WIDTH * s / sqrt(k)`` (``s`` shrunk as above), so a forecast can
    reach ratios no done task has shown yet. The kernel mixture is held as a quantile
    table of `SMOOTH_TABLE_SIZE` cells, drawn like the ratios (one pick per task).
``size-prior`` (the default)
    ``size-smooth`` with a conjugate normal prior on the level, so that thin evidence is
    shrunk toward the plan's estimates and the first weeks swing less: with ``k`` done
    tasks, ``ybar`` their mean log ratio and ``s`` the residual spread (shrunk as above),
    the level is ``w * ybar`` with ``w = k tau**2 / (k tau**2 + s**2)``, ``tau`` =
    `PRIOR_LEVEL_SD` (the intercept moves by ``-(1 - w) ybar``), and the common factor's
    spread is the posterior one, ``sigma**2 = w s**2 / k + LEVEL_DRIFT**2``. ``tau`` -> inf
    gives ``size-smooth``.
``workstream``
    ``size-prior`` fitted on all done tasks (pooled), then each group's (workstream's)
    level shrunk toward the pooled one by the weight of its own evidence: a task of group
    ``g`` is scaled by ``exp(a + b log est + n_g / (n_g + GROUP_WEIGHT) * d_g)``, with
    ``n_g`` the group's done tasks and ``d_g`` their mean residual from the pooled fit; a
    group without done tasks gets the pooled scale. Residuals and common factor are the
    pooled ones (a group's own spread is not estimated: too few tasks per group).

Below `MIN_EVIDENCE_FOR_SLOPE` tasks the slope is the prior's (no fit). The weekly re-forecast
and the backtest use `DEFAULT_RATIO_METHOD` unless told otherwise.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lekhok_forecast.core.distributions import quantile_table

#: Drift of the level (log scale) between past and future work: the extra spread the TSP
#: task logs show beyond independent tasks (``benchmarks/BACKTEST.md``).
LEVEL_DRIFT = 0.25
#: Spread of log(actual / estimate) assumed before evidence (log scale): the median spread
#: within 10 consecutive tasks of one person in the TSP task logs is 0.82 (of one project
#: 0.88; Nichols et al., CMU/SEI-2018-TR-005; ``benchmarks/BACKTEST.md``).
PRIOR_LOG_SD = 0.9
#: Slope of log ratio on log estimate assumed before evidence (small tasks overrun more).
PRIOR_SLOPE = -0.18
#: ``size-prior``: prior spread of the level (mean log ratio) before evidence, around 0 (the
#: plan's estimates). In the TSP task logs the levels of people with 30 tasks or more lie 0.47
#: (root mean square; of projects 0.33) from 0, around a mean of -0.21, not 0: a prior at 0
#: narrower than 1.0 pulled their medians up (backtest while tuning, ``benchmarks/BACKTEST.md``).
PRIOR_LEVEL_SD = 1.0
#: ``workstream``: weight of the pooled level against a group's own, in tasks of evidence.
GROUP_WEIGHT = 10.0
#: Weight of the priors, in tasks of evidence.
PRIOR_WEIGHT = 10.0
#: ``size-smooth``: share of the fitted slope that is applied to new tasks.
SLOPE_BLEND = 0.5
#: ``size-smooth``: kernel width, in shrunk residual spreads times sqrt(evidence).
SMOOTH_WIDTH = 1.0
#: Cells of ``size-smooth``'s residual quantile table.
SMOOTH_TABLE_SIZE = 1024
#: Points at which the kernel mixture's CDF is evaluated before inversion (error < 1e-5 in
#: probability for the spreads of real evidence, far below a cell's 1 / SMOOTH_TABLE_SIZE).
_SMOOTH_GRID = 513
#: Fewer ratios than this: the slope is the prior's.
MIN_EVIDENCE_FOR_SLOPE = 3


def resampled_ratios(ratios: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One ratio per uniform draw: ``ratios[floor(u * len(ratios) / 65536)]``.

    Parameters
    ----------
    ratios : ndarray of float32, shape (n,), 1 <= n <= 65536
        Actual / estimated effort of done tasks, or a model's residual multipliers
        (dimensionless).
    u : ndarray of uint16
        Uniform 16-bit draws (any shape; one per task and trial).

    Returns
    -------
    ndarray of float32, the shape of `u`
        The picked ratios (pick ``i`` with probability ``1/n`` up to the 16-bit resolution).
    """
    pick = (u.astype(np.uint32) * np.uint32(ratios.size)) >> np.uint32(16)
    return ratios[pick]


#: Shape key of the quantile table the common factor reads: ``exp(z)``, z ~ N(0, 1), at the
#: 65,536 cell midpoints (`lekhok_forecast.core.distributions.quantile_table`; cached between
#: processes like every table, so a warm run needs no SciPy).
NORMAL_SHAPE = ("lognormal", 1.0)


def lognormal_factor(sigma: float, u: np.ndarray) -> np.ndarray:
    """The common factor ``exp(sigma * z)`` with z the standard normal quantile of each draw.

    Parameters
    ----------
    sigma : float
        Log-scale spread (>= 0); 0 gives ones.
    u : ndarray of uint16
        Uniform 16-bit draws (one per trial).

    Returns
    -------
    ndarray of float32, the shape of `u`
        Median 1; the law of ``log`` of it is N(0, sigma**2) up to the 16-bit resolution
        (z is cut at +-4.3).
    """
    f = np.take(quantile_table(NORMAL_SHAPE), u)
    if sigma == 1.0:
        return f
    np.log(f, out=f)  # z (float32: within 1e-7 of the table's normal quantile)
    f *= np.float32(sigma)
    return np.exp(f, out=f)


@dataclass(frozen=True)
class RatioModel:
    """How calibrated tasks are scaled (module docstring).

    Attributes
    ----------
    method : str
        The rule that fitted it (a key of `RATIO_METHODS`).
    ratios : tuple of float
        What each task draws one of uniformly (ratios, residual multipliers or a
        quantile table of them); dimensionless.
    intercept, slope : float
        Per-task scale ``exp(intercept + slope * log(estimate))``.
    sigma : float
        Log-scale spread of the common factor (0: none).
    group_offsets : tuple of (str, float)
        Added to the intercept for a task of that group (``workstream``; empty: none).
    """

    method: str
    ratios: tuple[float, ...]
    intercept: float = 0.0
    slope: float = 0.0
    sigma: float = 0.0
    group_offsets: tuple[tuple[str, float], ...] = ()

    @property
    def scales_by_size(self) -> bool:
        """False when every task's scale is exactly 1 (``resample``, ``level``)."""
        return self.intercept != 0.0 or self.slope != 0.0 or bool(self.group_offsets)


def task_scale(
    model: RatioModel, estimates: np.ndarray | Sequence[float], groups: Sequence[str] | None = None
) -> np.ndarray:
    """Per-task scale ``exp(intercept + group offset + slope * log(estimate))`` (float32).

    Parameters
    ----------
    model : RatioModel
    estimates : array of float
        Most likely efforts (> 0), in the unit the model was fitted in.
    groups : sequence of str, optional
        Each task's group (workstream); used only by a model with `group_offsets` (a group
        it has no offset for gets none).
    """
    est = np.asarray(estimates, dtype=np.float64)
    if not model.scales_by_size:
        return np.ones(est.shape, dtype=np.float32)
    log_scale = model.intercept + model.slope * np.log(est)
    if model.group_offsets and groups is not None:
        offsets = dict(model.group_offsets)
        log_scale = log_scale + np.array([offsets.get(g, 0.0) for g in groups], dtype=np.float64)
    return np.exp(log_scale).astype(np.float32)


def _shrunk_var(log_r: np.ndarray) -> float:
    """Variance of the log ratios shrunk toward ``PRIOR_LOG_SD**2`` (weight `PRIOR_WEIGHT`)."""
    k = log_r.size
    s2 = float(np.var(log_r, ddof=1)) if k > 1 else 0.0
    return ((k - 1) * s2 + PRIOR_WEIGHT * PRIOR_LOG_SD**2) / (k - 1 + PRIOR_WEIGHT)


def _level_sigma(log_r: np.ndarray) -> float:
    return math.sqrt(_shrunk_var(log_r) / log_r.size + LEVEL_DRIFT**2)


def _size_fit(est: np.ndarray, ratios: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(intercept, slope, log residuals) of ``size`` (module docstring)."""
    y = np.log(ratios)
    x = np.log(est)
    slope = PRIOR_SLOPE
    if y.size >= MIN_EVIDENCE_FOR_SLOPE:
        dx = x - x.mean()
        sxx = float(dx @ dx)
        if sxx > 0:
            # Precision-weighted toward the prior: the slope's precision grows with Sxx; the
            # prior counts as PRIOR_WEIGHT tasks one log unit apart.
            w = sxx / (sxx + PRIOR_WEIGHT)
            slope = w * float(dx @ (y - y.mean())) / sxx + (1.0 - w) * PRIOR_SLOPE
    return slope, float(y.mean() - slope * x.mean()), y


def _resample(est: np.ndarray, ratios: np.ndarray) -> RatioModel:
    return RatioModel("resample", tuple(ratios.tolist()))


def _level(est: np.ndarray, ratios: np.ndarray) -> RatioModel:
    return RatioModel("level", tuple(ratios.tolist()), sigma=_level_sigma(np.log(ratios)))


def _size(est: np.ndarray, ratios: np.ndarray) -> RatioModel:
    slope, a, y = _size_fit(est, ratios)
    resid = y - a - slope * np.log(est)
    return RatioModel("size", tuple(np.exp(resid).tolist()), a, slope, _level_sigma(resid))


def _smooth_fit(est: np.ndarray, ratios: np.ndarray, level_sd: float) -> tuple[float, float, np.ndarray, float]:
    """(intercept, slope, residual table, sigma) of ``size-smooth`` (`level_sd` inf) or ``size-prior``."""
    slope, _, y = _size_fit(est, ratios)
    slope *= SLOPE_BLEND
    x = np.log(est)
    a = float(y.mean() - slope * x.mean())
    resid = y - a - slope * x
    s2 = _shrunk_var(resid)
    k = resid.size
    # Conjugate normal prior N(0, level_sd**2) on the level (the mean log ratio at the
    # evidence's mean log estimate; 0: the plan's estimates are right), k tasks of spread s:
    # the posterior mean is w times the evidence's, its variance w s**2 / k.
    w = 1.0 if math.isinf(level_sd) else k * level_sd**2 / (k * level_sd**2 + s2)
    width = SMOOTH_WIDTH * math.sqrt(s2 / k)
    table = smoothed_quantiles(resid, width, SMOOTH_TABLE_SIZE)
    a -= (1.0 - w) * float(y.mean())
    return a, slope, np.exp(table), math.sqrt(w * s2 / k + LEVEL_DRIFT**2)


def _size_smooth(est: np.ndarray, ratios: np.ndarray) -> RatioModel:
    a, slope, table, sigma = _smooth_fit(est, ratios, math.inf)
    return RatioModel("size-smooth", tuple(table.tolist()), a, slope, sigma)


def _size_prior(est: np.ndarray, ratios: np.ndarray) -> RatioModel:
    a, slope, table, sigma = _smooth_fit(est, ratios, PRIOR_LEVEL_SD)
    return RatioModel("size-prior", tuple(table.tolist()), a, slope, sigma)


def group_offsets(
    est: np.ndarray, ratios: np.ndarray, groups: Sequence[str], slope: float
) -> tuple[tuple[str, float], ...]:
    """Each group's level from the pooled one, shrunk: ``n_g / (n_g + GROUP_WEIGHT) * d_g``.

    ``d_g`` is the mean of the group's pooled residuals ``log r - ybar - slope (log e - mean log e)``
    (the pooled fit's level removed), so the offsets measure only how the groups differ.
    """
    y, x = np.log(ratios), np.log(est)
    resid = y - y.mean() - slope * (x - x.mean())
    lab = np.asarray(groups, dtype=object)
    out = []
    for g in dict.fromkeys(lab.tolist()):  # first-seen order
        r = resid[lab == g]
        out.append((str(g), float(r.size / (r.size + GROUP_WEIGHT) * r.mean())))
    return tuple(out)


def smoothed_quantiles(values: np.ndarray, width: float, cells: int) -> np.ndarray:
    """Quantiles, at the midpoints of `cells` equal cells, of `values` each spread by N(0, width**2).

    The law of ``values[i] + width * z`` with ``i`` uniform and z standard normal (a
    normal kernel density), inverted on a grid by linear interpolation of its exact CDF.

    Parameters
    ----------
    values : ndarray of float, shape (k,), k >= 1
    width : float
        Kernel standard deviation (> 0), in the unit of `values`.
    cells : int

    Returns
    -------
    ndarray of float64, shape (cells,), increasing
    """
    from scipy import special  # (only the calibration fits this; the engine needs no SciPy)

    v = np.sort(np.asarray(values, dtype=np.float64))
    x = np.linspace(v[0] - 6.0 * width, v[-1] + 6.0 * width, _SMOOTH_GRID)
    cdf = special.ndtr((x[:, None] - v[None, :]) / width).mean(axis=1)
    p = (np.arange(cells) + 0.5) / cells
    return np.interp(p, cdf, x)


#: Rules turning evidence (most likely estimates, ratios; float64 arrays, > 0) into a model.
RATIO_METHODS: dict[str, Callable[[np.ndarray, np.ndarray], RatioModel]] = {
    "resample": _resample,
    "level": _level,
    "size": _size,
    "size-smooth": _size_smooth,
    "size-prior": _size_prior,
    "workstream": _size_prior,  # (fit_ratio_model adds the groups' offsets)
}
#: The method whose fit takes each done task's group (`fit_ratio_model`).
GROUPED_METHOD = "workstream"
#: The method the weekly re-forecast and the backtest use unless told otherwise.
DEFAULT_RATIO_METHOD = "size-prior"


def fit_ratio_model(
    method: str, estimates: Sequence[float], ratios: Sequence[float], groups: Sequence[str] | None = None
) -> RatioModel:
    """The `RatioModel` of `method` fitted on done tasks' estimates and ratios.

    Parameters
    ----------
    method : str
        A key of `RATIO_METHODS` or `GROUPED_METHOD`.
    estimates, ratios : sequence of float, same length >= 1
        Most likely effort (any one unit, > 0) and actual / estimate of each done task.
    groups : sequence of str, optional
        Each done task's group (workstream), for `GROUPED_METHOD` (None: one group).

    Raises
    ------
    ValueError
        For an unknown method or no evidence.
    """
    if method not in RATIO_METHODS:
        raise ValueError(f"unknown calibration method {method!r}; one of {', '.join(RATIO_METHODS)}")
    est = np.asarray(estimates, dtype=np.float64)
    r = np.asarray(ratios, dtype=np.float64)
    if est.size == 0 or est.shape != r.shape:
        raise ValueError("a ratio model needs at least one done task, with one estimate per ratio")
    if method != GROUPED_METHOD:
        return RATIO_METHODS[method](est, r)
    if groups is None or len(set(groups)) < 2:
        return dataclasses.replace(_size_prior(est, r), method=GROUPED_METHOD)
    if len(groups) != est.size:
        raise ValueError("one group per done task")
    pooled = _size_prior(est, r)
    return RatioModel(
        GROUPED_METHOD,
        pooled.ratios,
        pooled.intercept,
        pooled.slope,
        pooled.sigma,
        group_offsets(est, r, groups, pooled.slope),
    )

"""Uncertain numbers: the `Range` type and fast inverse-CDF sampling tables.

Every random quantity in a plan is a `Range`. The engine does not call ``rng.beta``
(about 20x the cost of a uniform draw); it draws 16-bit uniform integers and looks the
value up in a per-shape quantile table of ``TABLE_SIZE`` cells, each holding the quantile
at the cell's midpoint. The sampled distribution is therefore a discrete distribution
with 65,536 equally likely atoms. Its Kolmogorov distance to the exact distribution is at
most ``1 / (2 * TABLE_SIZE)`` (7.6e-6) from the discretisation plus the table's
interpolation error, which `table_error` measures against the exact CDF and the tests
keep below 1e-6. Both are far below Monte Carlo error (1.6e-4 at 10^7 trials).
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

TABLE_BITS = 16
TABLE_SIZE = 1 << TABLE_BITS
#: z such that Phi(z) = 0.95; a lognormal's low/high are its 5th/95th percentiles.
Z95 = 1.6448536269514722
_GRID = 8193  # x-grid on which the CDF is evaluated exactly before inversion


class Dist(str, enum.Enum):
    """Distribution families a plan may use."""

    FIXED = "fixed"
    UNIFORM = "uniform"
    PERT = "pert"
    TRIANGULAR = "triangular"
    LOGNORMAL = "lognormal"


@dataclass(frozen=True)
class Range:
    """An uncertain quantity.

    Parameters
    ----------
    dist : Dist
        Distribution family.
    low, mode, high : float
        Bounds and most likely value (for ``UNIFORM`` and ``LOGNORMAL`` the mode is the
        midpoint / median and only informs deterministic estimates). For ``LOGNORMAL``
        low and high are the 5th and 95th percentiles.
    """

    dist: Dist
    low: float
    mode: float
    high: float

    @staticmethod
    def fixed(value: float) -> Range:
        """A degenerate range equal to `value`."""
        v = float(value)
        return Range(Dist.FIXED, v, v, v)

    @property
    def is_random(self) -> bool:
        """True unless the value is fixed."""
        return self.dist is not Dist.FIXED

    def scaled(self, factor: float) -> Range:
        """The same range with every value multiplied by `factor` (a unit conversion)."""
        f = float(factor)
        return Range(self.dist, self.low * f, self.mode * f, self.high * f)

    @property
    def mean(self) -> float:
        """Exact mean of the distribution."""
        lo, m, hi = self.low, self.mode, self.high
        if self.dist is Dist.FIXED:
            return lo
        if self.dist is Dist.UNIFORM:
            return (lo + hi) / 2
        if self.dist is Dist.PERT:
            return (lo + 4 * m + hi) / 6
        if self.dist is Dist.TRIANGULAR:
            return (lo + m + hi) / 3
        mu, sigma = lognormal_params(lo, hi)
        return math.exp(mu + sigma**2 / 2)

    def affine(self) -> tuple[tuple, float, float]:
        """``(shape_key, offset, scale)`` so that value = offset + scale * standard_sample.

        Ranges with the same ``shape_key`` share one quantile table.
        """
        lo, m, hi = self.low, self.mode, self.high
        if self.dist is Dist.FIXED:
            return (("fixed",), lo, 0.0)
        if self.dist is Dist.UNIFORM:
            return (("uniform",), lo, hi - lo)
        if self.dist is Dist.LOGNORMAL:
            mu, sigma = lognormal_params(lo, hi)
            return (("lognormal", sigma), 0.0, math.exp(mu))
        width = hi - lo
        c = (m - lo) / width
        if self.dist is Dist.PERT:
            return (("pert", 1 + 4 * c, 1 + 4 * (1 - c)), lo, width)
        return (("triangular", c), lo, width)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Exact CDF at `x` (SciPy), for tests and error bounds."""

        x = np.asarray(x, dtype=float)
        key, offset, scale = self.affine()
        if key[0] == "fixed":
            return (x >= self.low).astype(float)
        z = (x - offset) / scale
        return _standard_cdf(key, z)


def lognormal_params(low: float, high: float) -> tuple[float, float]:
    """``(mu, sigma)`` of the lognormal whose 5th/95th percentiles are `low`/`high`."""
    a, b = math.log(low), math.log(high)
    return (a + b) / 2, (b - a) / (2 * Z95)


def _standard_cdf(key: tuple, z: np.ndarray) -> np.ndarray:
    from scipy import special

    kind = key[0]
    if kind == "uniform":
        return np.clip(z, 0.0, 1.0)
    if kind == "pert":
        return special.betainc(key[1], key[2], np.clip(z, 0.0, 1.0))
    if kind == "triangular":
        c = key[1]
        z = np.clip(z, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = np.where(c > 0, z * z / c if c > 0 else 1.0, 1.0)
            right = np.where(c < 1, 1 - (1 - z) ** 2 / (1 - c) if c < 1 else 1.0, 1.0)
        return np.where(z <= c, left, right)
    if kind == "lognormal":
        sigma = key[1]
        with np.errstate(divide="ignore"):
            return special.ndtr(np.log(np.maximum(z, 0.0)) / sigma)
    raise ValueError(f"unknown shape {key!r}")


def cell_midpoints() -> np.ndarray:
    """The probabilities ``(i + 0.5) / TABLE_SIZE`` at which tables hold quantiles."""
    return (np.arange(TABLE_SIZE, dtype=float) + 0.5) / TABLE_SIZE


#: Changes whenever the tables' algorithm or size changes: stored tables of another
#: format are never used (see `lekhok_forecast.sources.table_cache`).
TABLE_FORMAT = f"q{TABLE_BITS}-g{_GRID}-v1"

#: Tables handed in by `preload_tables` (e.g. read from a cache), by shape key.
_PRELOADED: dict[tuple, np.ndarray] = {}


def preload_tables(tables: Mapping[tuple, np.ndarray]) -> None:
    """Use these tables for their shape keys instead of building them.

    Each must be what `quantile_table` builds for its key (a float32 array of
    `TABLE_SIZE` values, e.g. one it returned earlier and that was stored); arrays of
    another shape or type are ignored.
    """
    for key, table in tables.items():
        if table.shape == (TABLE_SIZE,) and table.dtype == np.float32:
            table = np.ascontiguousarray(table)
            table.setflags(write=False)
            _PRELOADED[key] = table


def preloaded(keys: set[tuple]) -> set[tuple]:
    """Those of `keys` whose tables were handed in by `preload_tables` (nothing to build)."""
    return {k for k in keys if k in _PRELOADED}


def quantile_table(key: tuple) -> np.ndarray:
    """Standardised quantile table (float32, read-only) for a shape key (built once, or preloaded)."""
    table = _PRELOADED.get(key)
    return table if table is not None else _built_table(key)


@functools.lru_cache(maxsize=4096)
def _built_table(key: tuple) -> np.ndarray:
    """Standardised quantile table (float32, read-only) for a shape key.

    Uniform, triangular and lognormal use closed-form quantiles. PERT-beta inverts the
    exact regularised incomplete beta function evaluated on a fine grid by linear
    interpolation (a thousand times cheaper than ``betaincinv`` and, measured by
    `table_error`, within 1e-6 in probability).
    """
    u = cell_midpoints()
    kind = key[0]
    if kind == "uniform":
        q = u
    elif kind == "triangular":
        c = key[1]
        q = np.where(u < c, np.sqrt(u * c), 1 - np.sqrt((1 - u) * (1 - c)))
    elif kind == "lognormal":
        from scipy import special

        q = np.exp(key[1] * special.ndtri(u))
    elif kind == "pert":
        from scipy import special

        x = np.linspace(0.0, 1.0, _GRID)
        # Refine the grid where the CDF is steep or flat at either end (shape < 2 gives
        # an unbounded density derivative at the end). The refinement reaches well into
        # the regular grid: stopping at its first point left the next cells 2.7e-6 off
        # for modes near an end (shape 1.2).
        ends = np.geomspace(1e-9, 1.0 / 64, 256)
        x = np.unique(np.concatenate([x, ends, 1.0 - ends]))
        cdf = special.betainc(key[1], key[2], x)
        q = np.interp(u, cdf, x)
    else:
        raise ValueError(f"unknown shape {key!r}")
    table = np.ascontiguousarray(q, dtype=np.float32)
    table.setflags(write=False)
    return table


def table_error(r: Range) -> float:
    """Kolmogorov distance bound between table sampling of `r` and its exact law.

    Computed as ``max_i |F(table_i) - u_i| + 1 / (2 * TABLE_SIZE)`` with F the exact CDF
    and ``u_i`` the cell midpoints.
    """
    key, offset, scale = r.affine()
    if key[0] == "fixed":
        return 0.0
    table = quantile_table(key).astype(float)
    return float(np.max(np.abs(_standard_cdf(key, table) - cell_midpoints()))) + 0.5 / TABLE_SIZE

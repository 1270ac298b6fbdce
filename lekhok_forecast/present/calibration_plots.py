"""Charts of a backtest: the reliability diagram and the PIT histogram.

Each function takes a finished `lekhok_forecast.analysis.scoring.Scores` (from
`lekhok_forecast.tracking.backtest`) and an optional matplotlib ``ax``, draws, and returns
``(fig, ax)``. Nothing is computed here beyond placing the given numbers.
"""

from __future__ import annotations

import numpy as np

from lekhok_forecast.analysis.scoring import Scores
from lekhok_forecast.present.figures import figure_and_axes, set_title
from lekhok_forecast.present.style import COLORS, FULL_WIDTH


def reliability_plot(scores: Scores, *, ax=None, title: str | None = "Forecast quantiles against outcomes"):
    """Observed coverage of each forecast quantile (P10 .. P90) against its nominal level.

    Points are the share of outcomes at or below the forecast's quantile, with their 95%
    Clopper-Pearson intervals; the grey band is where an honest forecast's share lands 95%
    of the time with this many windows. Points above the diagonal: forecasts too high.

    Parameters
    ----------
    scores : Scores
        With `Scores.reliability` filled (a backtest's scores).
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = figure_and_axes(ax, 3.2, FULL_WIDTH * 0.5, layout="constrained")
    rel = scores.reliability
    p = np.array([c.level for c in rel])
    obs = np.array([c.covered for c in rel])
    lo = np.array([c.interval[0] for c in rel])
    hi = np.array([c.interval[1] for c in rel])
    band_lo = np.array([c.nominal_interval[0] for c in rel])
    band_hi = np.array([c.nominal_interval[1] for c in rel])
    ax.plot([0, 1], [0, 1], color="0.45", lw=0.9, ls=":", zorder=1)
    if len(rel):
        ax.fill_between(p, band_lo, band_hi, color="0.6", alpha=0.25, lw=0, label="an honest forecast, 95%")
        ax.errorbar(
            p, obs, yerr=[obs - lo, hi - obs], fmt="o", color=COLORS["main"], ms=5, capsize=3, lw=1.2,
            label="observed, 95% interval",
        )  # fmt: skip
        ax.legend(loc="upper left", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no done task to replay yet", ha="center", va="center", fontsize=10)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xticks([0.1, 0.3, 0.5, 0.7, 0.9], ["P10", "P30", "P50", "P70", "P90"])
    ax.set_xlabel("forecast quantile")
    ax.set_ylabel("share of outcomes at or below it")
    set_title(fig, ax, title)
    return fig, ax


def pit_histogram_plot(scores: Scores, *, ax=None, title: str | None = "Where the outcomes fell in their forecasts"):
    """The PIT histogram: outcomes per tenth of their forecast distribution, against flat.

    Flat (the dotted line) is honest; a U shape means forecasts too narrow, a hump too
    wide, a slope biased.

    Parameters
    ----------
    scores : Scores
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = figure_and_axes(ax, 3.2, FULL_WIDTH * 0.5, layout="constrained")
    counts = np.asarray(scores.pit_counts, dtype=float)
    bins = counts.size
    left = np.arange(bins) / bins
    ax.bar(left, counts, width=1.0 / bins, align="edge", color=COLORS["light"], edgecolor=COLORS["main"], lw=0.8)
    if scores.windows:
        ax.axhline(scores.windows / bins, color="0.3", lw=1.0, ls=":", label="flat (honest)")
        ax.legend(loc="upper right", fontsize=8)
    else:
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, "no done task to replay yet", ha="center", va="center", fontsize=10)
    ax.set_xlim(0, 1)
    ax.set_xlabel("forecast probability of an outcome below the one observed (PIT)")
    ax.set_ylabel("outcomes")
    ax.yaxis.get_major_locator().set_params(integer=True)
    set_title(fig, ax, title)
    return fig, ax

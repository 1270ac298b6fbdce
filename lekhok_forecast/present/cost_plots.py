"""Cost figures for the budget notebook: spend by week, total cost, finish against cost.

Like `lekhok_forecast.present.plots`: each function takes precomputed numbers (arrays,
the tables of `lekhok_forecast.analysis.budget`) and an optional ``ax``, draws, and
returns ``(fig, ax)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from lekhok_forecast.present.figures import figure_and_axes, set_title
from lekhok_forecast.present.format import money, money_tick, pct, weeks
from lekhok_forecast.present.style import COLORS


def burn_fan(
    burn: pd.DataFrame,
    *,
    budget: float | None = None,
    currency: str = "$",
    ax=None,
    title: str | None = "Cumulative spend by week",
):
    """Fan chart of cumulative spend (P10-P90 band, P50 line) against the budget.

    Parameters
    ----------
    burn : DataFrame
        `lekhok_forecast.analysis.budget.burn_percentiles` (index ``week``; ``p10``, ``p50``, ``p90``).
    """
    fig, ax = figure_and_axes(ax)
    w = burn.index.to_numpy(dtype=float)
    ax.fill_between(w, burn["p10"], burn["p90"], color=COLORS["light"], alpha=0.8, lw=0, label="P10 to P90")
    ax.plot(w, burn["p50"], color=COLORS["main"], lw=2.2, label="P50")
    if budget is not None:
        ax.axhline(budget, color=COLORS["budget"], lw=1.6, ls="--", label=f"budget {money(budget, currency)}")
    ax.set_xlim(w.min(), w.max())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, None)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money_tick(v, currency)))
    ax.set_xlabel("Week from start")
    ax.set_ylabel(f"Spent so far ({currency})")
    ax.legend(loc="lower right")  # empty there: spending only rises
    set_title(fig, ax, title)
    return fig, ax


def cost_histogram(
    cost_total: np.ndarray,
    *,
    budget: float | None = None,
    p50: float | None = None,
    p90: float | None = None,
    currency: str = "$",
    bins: int = 60,
    ax=None,
    title: str | None = "Total cost at launch",
):
    """Histogram of total cost per trial with the budget and the P50/P90 lines."""
    fig, ax = figure_and_axes(ax)
    c = np.asarray(cost_total, dtype=float)
    ax.hist(
        c,
        bins=bins,
        weights=np.full(c.size, 1.0 / c.size),
        color=COLORS["light"],
        edgecolor=COLORS["main"],
        linewidth=0.4,
    )
    if p50 is not None:
        ax.axvline(p50, color=COLORS["p50"], lw=2, label=f"P50 {money(p50, currency)}")
    if p90 is not None:
        ax.axvline(p90, color=COLORS["p80"], lw=2, label=f"P90 {money(p90, currency)}")
    if budget is not None:
        ax.axvline(budget, color=COLORS["budget"], lw=1.8, ls="--", label=f"budget {money(budget, currency)}")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: money_tick(v, currency)))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"Total cost ({currency})")
    ax.set_ylabel("Share of trials")
    ax.legend(loc="upper right")
    set_title(fig, ax, title)
    return fig, ax


def finish_cost_scatter(
    finish_weeks: np.ndarray,
    cost_total: np.ndarray,
    *,
    deadline: float,
    budget: float,
    quadrants: pd.DataFrame | None = None,
    currency: str = "$",
    max_points: int = 4000,
    ax=None,
    title: str | None = "Finish week against total cost",
):
    """Scatter of finish week against cost with the deadline and budget lines.

    Parameters
    ----------
    finish_weeks, cost_total : array
        One value per trial; the first `max_points` trials are drawn.
    quadrants : DataFrame, optional
        `lekhok_forecast.analysis.budget.joint_quadrants` for the same deadline and budget; each
        quadrant's share of trials is written in its corner.
    """
    fig, ax = figure_and_axes(ax, height=3.6)
    f = np.asarray(finish_weeks, dtype=float)[:max_points]
    c = np.asarray(cost_total, dtype=float)[:max_points]
    ok = (f <= deadline) & (c <= budget)
    ax.scatter(f[~ok], c[~ok], s=5, alpha=0.35, color=COLORS["main"], lw=0, rasterized=True)
    ax.scatter(f[ok], c[ok], s=5, alpha=0.5, color=COLORS["green"], lw=0, rasterized=True)
    ax.axvline(deadline, color=COLORS["deadline"], ls="--", lw=1.3)
    ax.axhline(budget, color=COLORS["budget"], ls="--", lw=1.3)
    xlo, xhi = min(f.min(), deadline), max(f.max(), deadline)
    ylo, yhi = min(c.min(), budget), max(c.max(), budget)
    ax.set_xlim(xlo - 0.05 * (xhi - xlo), xhi + 0.05 * (xhi - xlo))
    ax.set_ylim(ylo - 0.08 * (yhi - ylo), yhi + 0.08 * (yhi - ylo))
    if quadrants is not None:
        box = dict(boxstyle="round,pad=0.25", fc="white", ec="#bbbbbb", alpha=0.9)
        spots = {
            (0, "within budget"): (0.02, 0.03, "left", "bottom"),
            (1, "within budget"): (0.98, 0.03, "right", "bottom"),
            (0, "over budget"): (0.02, 0.97, "left", "top"),
            (1, "over budget"): (0.98, 0.97, "right", "top"),
        }
        for (row, col), (x, y, ha, va) in spots.items():
            share = float(quadrants.iloc[row][col])
            when = "on time" if row == 0 else "late"
            ax.text(
                x,
                y,
                f"{when}, {col}: {pct(share)}",
                transform=ax.transAxes,
                ha=ha,
                va=va,
                fontsize=8.5,
                bbox=box,
                fontweight="bold" if (row, col) == (0, "within budget") else None,
            )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money_tick(v, currency)))
    ax.set_xlabel(f"Finish (weeks from start); dashed: week {weeks(deadline)}")
    ax.set_ylabel(f"Total cost ({currency}); dashed: budget")
    set_title(fig, ax, title)
    return fig, ax

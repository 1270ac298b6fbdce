"""Charts for weekly tracking: the forecast cone and the buffer fever chart.

Each function takes data computed elsewhere (`lekhok_forecast.tracking.history.cone_frame`,
`lekhok_forecast.tracking.fever.fever_table`) and an optional matplotlib ``ax``, draws, and returns
``(fig, ax)``. Nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from lekhok_forecast.present.figures import figure_and_axes
from lekhok_forecast.present.style import COLORS, FULL_WIDTH, ZONE_COLORS, ZONE_YELLOW_TEXT
from lekhok_forecast.tracking.fever import ZONE_LINES


def _week_labels(frame: pd.DataFrame) -> list[str]:
    labels = []
    for week, as_of in zip(frame["week"], frame["as_of_week"]):
        labels.append("plan" if week == "plan" else f"{as_of:g}\n{week}")
    return labels


def plot_forecast_cone(
    cone: pd.DataFrame,
    deadlines: Sequence[float] = (),
    *,
    ax=None,
    title: str | None = "How the finish forecast moved week by week",
):
    """The forecast cone: P10-P90 band, P50 and P80 of the finish, by as-of week.

    Parameters
    ----------
    cone : DataFrame
        Columns ``week, as_of_week, p10, p50, p80, p90`` and optionally
        ``actual_finish_week`` (see `lekhok_forecast.tracking.history.cone_frame`).
    deadlines : sequence of float
        Weeks drawn as horizontal reference lines (e.g. the plan's 12/14/16).
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = figure_and_axes(ax, 3.0, FULL_WIDTH, layout="constrained")
    x = cone["as_of_week"].to_numpy(dtype=float)
    ax.fill_between(x, cone["p10"], cone["p90"], color=COLORS["cone"], alpha=0.15, lw=0, label="P10-P90")
    ax.plot(x, cone["p50"], "o-", color=COLORS["cone"], lw=2, ms=4, label="P50")
    ax.plot(x, cone["p80"], "s--", color=COLORS["cone_p80"], lw=1.6, ms=4, label="P80")
    if "p50_uncalibrated" in cone and cone["p50_uncalibrated"].notna().any():
        ax.plot(x, cone["p50_uncalibrated"], ":", color=COLORS["cone"], lw=1.2, label="P50 without calibration")
    for d in deadlines:
        ax.axhline(d, color="0.45", lw=0.8, ls=":", zorder=0)
        ax.annotate(
            f"week {d:g}",
            (0.0, d),
            xycoords=("axes fraction", "data"),
            xytext=(3, 2),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=8,
            color="0.35",
        )
    values = [cone["p10"].min(), cone["p90"].max(), *deadlines]
    if "actual_finish_week" in cone and cone["actual_finish_week"].notna().any():
        done = cone[cone["actual_finish_week"].notna()]
        ax.plot(
            done["as_of_week"], done["actual_finish_week"], "*", color="black", ms=12, label="actual finish", zorder=5
        )
        values.append(done["actual_finish_week"].max())
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    if len(x) and x.max() >= lo - 1.0:  # the as-of week: no forecast can be earlier; shown near the end
        ax.plot(x, x, color="0.6", lw=0.8, ls="-.", label="as-of week")
    ax.set_ylim(max(0.0, lo - 1.0), hi + 1.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(x, _week_labels(cone), fontsize=8)
    ax.set_xlabel("as of week (end of ISO week)")
    ax.set_ylabel("finish (weeks from start)")
    if title:
        ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    if fig.get_layout_engine() is not None and len(fig.axes) == 1:  # below the axes, clear of the labels
        fig.legend(loc="outside lower center", fontsize=8, ncol=6, frameon=False)
    else:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=6, frameon=False)
    return fig, ax


def plot_fever_chart(
    fever: pd.DataFrame, *, zone_lines: dict | None = None, ax=None, title: str | None = "Buffer fever chart"
):
    """Critical-chain complete (x) against project buffer consumed (y), one point per week.

    Parameters
    ----------
    fever : DataFrame
        Columns ``week, as_of_week, chain_complete, buffer_consumed, zone`` as fractions
        (see `lekhok_forecast.tracking.fever.fever_table`); drawn in percent.
    zone_lines : dict, optional
        ``{"green_yellow": (y0, y1), "yellow_red": (y0, y1)}`` (default `lekhok_forecast.tracking.fever.ZONE_LINES`).
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes)
    """
    lines = ZONE_LINES if zone_lines is None else zone_lines
    fig, ax = figure_and_axes(ax, 3.0, FULL_WIDTH * 0.75, layout="constrained")
    x = np.array([0.0, 100.0])
    g = 100 * np.asarray(lines["green_yellow"], dtype=float)
    r = 100 * np.asarray(lines["yellow_red"], dtype=float)
    ymax = max(120.0, float(np.nanmax(100 * fever["buffer_consumed"])) + 10 if len(fever) else 120.0)
    # room below the lowest point for its label (labels sit below right of their points)
    ymin = min(-8.0, float(np.nanmin(100 * fever["buffer_consumed"])) - 8 if len(fever) else -8.0)
    ax.fill_between(x, ymin, g, color=ZONE_COLORS["green"], alpha=0.18, lw=0)
    ax.fill_between(x, g, r, color=ZONE_COLORS["yellow"], alpha=0.25, lw=0)
    ax.fill_between(x, r, ymax, color=ZONE_COLORS["red"], alpha=0.18, lw=0)
    cx = 100 * fever["chain_complete"].to_numpy(dtype=float)
    cy = 100 * fever["buffer_consumed"].to_numpy(dtype=float)
    ax.plot(cx, cy, "-", color="0.25", lw=1.2, zorder=3)
    colours = [ZONE_COLORS.get(z, "0.3") for z in fever["zone"]]
    ax.scatter(cx, cy, c=colours, s=42, edgecolors="black", linewidths=0.7, zorder=4)
    for xi, yi, week, as_of in zip(cx, cy, fever["week"], fever["as_of_week"]):
        label = "plan" if week == "plan" else f"wk {as_of:g}"
        # below right: the line arrives from the lower left and leaves to the upper right
        ax.annotate(label, (xi, yi), xytext=(6, -3), textcoords="offset points", fontsize=8, va="top")
    ax.set_xlim(0, 100)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("critical chain complete (%)")
    ax.set_ylabel("project buffer consumed (%)")
    if title:
        ax.set_title(title)
    ax.text(
        97,
        (ymin + g[1]) / 2 if g[1] > ymin else g[1],
        "green",
        ha="right",
        va="center",
        fontsize=8,
        color=ZONE_COLORS["green"],
    )
    ax.text(97, (g[1] + r[1]) / 2, "yellow", ha="right", va="center", fontsize=8, color=ZONE_YELLOW_TEXT)
    ax.text(97, (r[1] + ymax) / 2, "red", ha="right", va="center", fontsize=8, color=ZONE_COLORS["red"])
    if not len(fever):
        # No buffer (0 weeks): an empty chart that says so, never an error in a report.
        ax.text(50, (ymin + ymax) / 2, "no project buffer: nothing to chart", ha="center", va="center", fontsize=10)
    ax.grid(True, alpha=0.3)
    return fig, ax

"""Schedule figures for the notebooks and the weekly PDF: finish, phases, drivers, buffer, scenarios, milestones.

Every function takes precomputed numbers (arrays, the analysis tables of
`lekhok_forecast.analysis.schedule`, `drivers`, `buffers`) and an optional matplotlib
``ax``, draws, and returns ``(fig, ax)`` (`lekhok_forecast.present.figures`). Nothing
here runs a simulation or an analysis; the most a function does is bin a histogram or
pick the first rows of a table. Cost figures: `lekhok_forecast.present.cost_plots`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, MultipleLocator, PercentFormatter

from lekhok_forecast.analysis.schedule import milestone_reached_on_time
from lekhok_forecast.present.figures import FAR_FACTOR, cdf_layout, figure_and_axes, set_title, wrap_label
from lekhok_forecast.present.format import pct, weeks
from lekhok_forecast.present.style import COLORS, SERIES


def _deadline_lines(ax, deadlines: Sequence[float], label_top: bool = True) -> None:
    for d in deadlines:
        ax.axvline(d, color=COLORS["deadline"], ls="--", lw=1.0, zorder=1)
    if label_top and len(deadlines):
        top = ax.secondary_xaxis("top")
        span = np.diff(ax.get_xlim())[0]
        gap = np.min(np.diff(sorted(deadlines))) if len(deadlines) > 1 else span
        prefix = "wk " if gap / span > 0.07 else ""
        top.set_xticks(list(deadlines), [f"{prefix}{weeks(d)}" for d in deadlines])
        top.tick_params(length=0, labelsize=8.5, colors=COLORS["deadline"])
        top.spines["top"].set_visible(False)


# ------------------------------------------------------------------- finish week


def finish_histogram(
    finish_weeks: np.ndarray,
    *,
    deadlines: Sequence[float] = (),
    p50_week: float | None = None,
    p80_week: float | None = None,
    bin_weeks: float = 0.25,
    ax=None,
    title: str | None = "Finish week across the trials",
):
    """Histogram of simulated finish weeks with the deadlines and the P50/P80 lines.

    Parameters
    ----------
    finish_weeks : array
        Simulated finish week of each trial (``SimulationResult.finish_weeks``).
    deadlines : sequence of float
        Weeks drawn as dashed lines and labelled on the top axis.
    p50_week, p80_week : float, optional
        Percentiles drawn as solid lines.
    bin_weeks : float
        Bin width in weeks.
    """
    fig, ax = figure_and_axes(ax)
    f = np.asarray(finish_weeks, dtype=float)
    lo = np.floor(min(f.min(), *deadlines) if len(deadlines) else f.min())
    hi = np.ceil(f.max())
    bins = np.arange(lo, hi + bin_weeks, bin_weeks)
    ax.hist(
        f,
        bins=bins,
        weights=np.full(f.size, 1.0 / f.size),
        color=COLORS["light"],
        edgecolor=COLORS["main"],
        linewidth=0.4,
    )
    # whole-percent ticks when the tallest bar allows (0.5% steps printed as "2%, 2%" read as a bug)
    top = 100 * ax.get_ylim()[1]
    step = next((s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if top / s <= 6), 100)
    ax.yaxis.set_major_locator(MultipleLocator(step / 100))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if step >= 1 else 1))
    _deadline_lines(ax, deadlines)
    for key, week in (("p50", p50_week), ("p80", p80_week)):
        if week is not None:
            ax.axvline(week, color=COLORS[key], lw=2, label=f"{key.upper()}: week {week:.1f}")
    ax.set_xlabel("Finish (weeks from start)")
    ax.set_ylabel("Share of trials")
    if p50_week is not None or p80_week is not None:
        ax.legend(loc="upper right")
    set_title(fig, ax, title)
    return fig, ax


def finish_cdf(
    cdf: pd.DataFrame,
    *,
    deadlines: Sequence[float] = (),
    p_by: Mapping[str, float] | None = None,
    p50_week: float | None = None,
    p80_week: float | None = None,
    ax=None,
    title: str | None = "Chance of finishing by each week",
):
    """The cumulative curve P(finish <= week), with deadlines, their odds and P50/P80.

    Parameters
    ----------
    cdf : DataFrame
        Columns ``week`` and ``p_finish_by`` (`lekhok_forecast.analysis.schedule.cdf_curve`).
    p_by : mapping, optional
        Deadline label ("12") -> P(finish <= deadline), written beside each deadline.
    """
    fig, ax = figure_and_axes(ax)
    ax.plot(cdf["week"], cdf["p_finish_by"], color=COLORS["main"], lw=2.2)
    _deadline_lines(ax, deadlines)
    for key, week in (("p50", p50_week), ("p80", p80_week)):
        if week is not None:
            level = 0.5 if key == "p50" else 0.8
            ax.plot([week, week], [0, level], color=COLORS[key], lw=1.6)
            ax.plot([week], [level], "o", color=COLORS[key], ms=5, label=f"{key.upper()}: week {week:.1f}")
    if len(deadlines):
        lo = min(float(cdf["week"].min()), min(deadlines) - 2.5)  # room for the labels left of the points
        ax.set_xlim(lo, max(float(cdf["week"].max()), max(deadlines)) + 0.5)
    ax.set_ylim(0, 1.02)
    if p_by:
        span = float(np.diff(ax.get_xlim())[0]) if len(deadlines) else 1.0
        points = 72.0 / fig.dpi  # display pixels -> points
        prev_week, prev_top = None, -np.inf
        for d in sorted(deadlines):
            p = p_by.get(weeks(d))
            if p is None:
                continue
            ax.plot([d], [p], "s", color=COLORS["deadline"], ms=4.5, zorder=3)
            # up and to the left of a rising curve is empty space; a label whose deadline is
            # close to the previous one's goes at least a line above that label (in points)
            y = float(ax.transData.transform((d, p))[1]) * points
            top = y + 5
            if prev_week is not None and d - prev_week < 0.2 * span:
                top = max(top, prev_top + 13)  # a label line: 8.5 pt text in a padded box
            prev_week, prev_top = d, top
            lift = top - y - 5
            ax.annotate(
                f"{pct(p)} by wk {weeks(d)}",
                (d, p),
                xytext=(-6, 5 + lift),
                ha="right",
                textcoords="offset points",
                fontsize=8.5,
                color=COLORS["ink"],
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
                arrowprops=dict(arrowstyle="-", color="0.5", lw=0.6, shrinkA=0, shrinkB=2) if lift > 1 else None,
            )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Finish (weeks from start)")
    ax.set_ylabel("P(finish by week)")
    if p50_week is not None or p80_week is not None:
        ax.legend(loc="lower right")
    set_title(fig, ax, title)
    return fig, ax


def phase_ends(phases: pd.DataFrame, ax=None, title: str | None = "Phase ends: report vs simulation"):
    """Each phase's original and realistic end (from the report) against its simulated P50-P80.

    Parameters
    ----------
    phases : DataFrame
        `lekhok_forecast.analysis.schedule.phase_table` (index phase; ``original_end_week``,
        ``realistic_end_week``, ``p50_week``, ``p80_week``).
    """
    n = len(phases)
    fig, ax = figure_and_axes(ax, height=0.55 * n + 1.3)
    y = np.arange(n)[::-1]
    ax.hlines(y, phases["p50_week"], phases["p80_week"], color=COLORS["light"], lw=9, label="simulated P50 to P80")
    ax.plot(phases["p50_week"], y, "o", color=COLORS["p50"], ms=6, label="simulated P50")
    ax.plot(phases["p80_week"], y, "o", color=COLORS["p80"], ms=6, label="simulated P80")
    ax.plot(phases["original_end_week"], y, "|", color=COLORS["ink"], ms=16, mew=2.2, label="original plan")
    ax.plot(phases["realistic_end_week"], y, "x", color=COLORS["plan"], ms=8, mew=2, label="realistic plan")
    ax.set_yticks(y, [wrap_label(p, 24) for p in phases.index])
    ax.set_xlabel("Week the phase ends (weeks from start)")
    ax.grid(axis="y", visible=False)
    ax.set_ylim(-0.7, n - 0.3)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, fontsize=8.5, handlelength=1.2, columnspacing=1.5
    )
    set_title(fig, ax, title)
    return fig, ax


# ---------------------------------------------------------------------- drivers


def tornado(drivers: pd.DataFrame, top: int = 10, ax=None, title: str | None = "What drives the finish date"):
    """Tornado chart of sensitivities (Spearman rho with the finish), largest first.

    Tasks (their own estimate), workstream capacities, risks and common factors are told
    apart by colour, a ``Risk:`` label prefix and a legend listing the kinds shown.

    Parameters
    ----------
    drivers : DataFrame
        `lekhok_forecast.analysis.drivers.driver_table` (columns ``kind``, ``name``,
        ``sensitivity``), sorted most influential first.
    top : int
        Rows to show.
    """
    d = drivers.head(top)
    fig, ax = figure_and_axes(ax, height=0.32 * len(d) + 1.4)
    y = np.arange(len(d))[::-1]
    kinds = d["kind"].astype(str).to_numpy() if "kind" in d else np.full(len(d), "task")
    rho = d["sensitivity"].to_numpy(dtype=float)
    ax.barh(y, rho, color=[TORNADO_COLORS.get(k, COLORS["positive"]) for k in kinds], height=0.65)
    ax.axvline(0, color="#333333", lw=0.8)
    labels = [f"Risk: {n}" if k == "risk" else str(n) for k, n in zip(kinds, d["name"])]
    ax.set_yticks(y, [wrap_label(n, 46) for n in labels], fontsize=8.5)
    for tick, k in zip(ax.get_yticklabels(), kinds):
        if k == "risk":
            tick.set_color(COLORS["risk"])
    lim = max(0.1, float(np.nanmax(np.abs(rho))) * 1.25) if len(rho) else 1
    ax.set_xlim(-lim, lim)
    for yi, r in zip(y, rho):
        ax.text(
            r + 0.02 * lim * np.sign(r or 1), yi, f"{r:+.2f}", va="center", ha="left" if r >= 0 else "right", fontsize=8
        )
    ax.set_xlabel("Rank correlation with the finish week")
    ax.grid(axis="y", visible=False)
    handles = [Patch(color=TORNADO_COLORS[k], label=label) for k, label in TORNADO_LEGEND.items() if k in set(kinds)]
    ncol = len(handles) if len(handles) < 4 else 2  # four entries do not fit on one line
    if getattr(fig, "_lekhok_own", False):  # centred under the whole figure: the long labels take the left
        fig.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize=8.5)
    else:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.4, -0.16), ncol=min(ncol, 2), fontsize=8)
    set_title(fig, ax, title)
    return fig, ax


#: Bar colour of each kind of driver row in the tornado.
TORNADO_COLORS = {
    kind: COLORS["positive" if kind == "task" else kind] for kind in ("task", "capacity", "risk", "factor")
}
#: The tornado's legend: one entry per kind of driver shown.
TORNADO_LEGEND = {
    "task": "task's own estimate",
    "capacity": "capacity (more hours: earlier)",
    "risk": "risk (fires or not, how much)",
    "factor": "shared overrun factor",
}


def criticality_bars(
    drivers: pd.DataFrame, top: int = 12, ax=None, title: str | None = "How often each task is on the critical path"
):
    """Horizontal bars of the criticality index (share of trials on a longest path).

    Parameters
    ----------
    drivers : DataFrame
        `lekhok_forecast.analysis.drivers.driver_table`; rows without a criticality (capacity, risks) are
        skipped; the `top` most critical tasks are shown.
    """
    d = drivers.dropna(subset=["criticality"]).sort_values("criticality", ascending=False, kind="stable").head(top)
    fig, ax = figure_and_axes(ax, height=0.2 * len(d) + 1.0)
    y = np.arange(len(d))[::-1]
    crit = d["criticality"].to_numpy(dtype=float)
    ax.barh(
        y,
        crit,
        color=[COLORS["red"] if c >= 0.8 else COLORS["amber"] if c >= 0.3 else COLORS["light"] for c in crit],
        height=0.65,
    )
    for yi, c in zip(y, crit):
        ax.text(min(c, 1.0) + 0.01, yi, pct(c), va="center", fontsize=8)
    ax.set_yticks(y, [textwrap.shorten(str(n), 60, placeholder="...") for n in d["name"]], fontsize=8)
    ax.set_ylim(-0.6, len(d) - 0.4)
    ax.set_xlim(0, 1.1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("Criticality index (share of trials on the critical path)")
    ax.grid(axis="y", visible=False)
    set_title(fig, ax, title)
    return fig, ax


# ---------------------------------------------------------------------- buffers


def buffer_curve(
    curve: pd.DataFrame,
    *,
    baseline_weeks: float,
    planned: float | None = None,
    planned_confidence: float | None = None,
    needed: Mapping[float, float] | None = None,
    ax=None,
    title: str | None = "How much buffer buys how much confidence",
):
    """P(finish within baseline x (1 + buffer)) against the buffer.

    Parameters
    ----------
    curve : DataFrame
        `lekhok_forecast.analysis.buffers.buffer_curve` (columns ``buffer``, ``weeks``, ``p_within``).
    baseline_weeks : float
    planned, planned_confidence : float, optional
        The plan's buffer fraction and its confidence, marked on the curve.
    needed : mapping, optional
        Confidence level (0.8) -> buffer fraction it needs, drawn as guide lines.
    """
    fig, ax = figure_and_axes(ax)
    ax.plot(curve["buffer"], curve["p_within"], color=COLORS["main"], lw=2.2)
    for level, frac in (needed or {}).items():
        color = COLORS["p80"] if level < 0.85 else COLORS["p50"]
        ax.axhline(level, color=color, lw=0.9, ls=":")
        if np.isfinite(frac) and curve["buffer"].min() <= frac <= curve["buffer"].max():
            ax.plot([frac, frac], [0, level], color=color, lw=1.4)
            # above the guide line, left of the marker: empty space over a rising curve
            ax.annotate(
                f"P{round(level * 100)}: {frac:.0%} buffer ({baseline_weeks * (1 + frac):.1f} wk)",
                (frac, level),
                xytext=(-6, 4),
                ha="right",
                textcoords="offset points",
                fontsize=8.5,
                color=color,
            )
    if planned is not None and planned_confidence is not None:
        ax.plot([planned], [planned_confidence], "D", color=COLORS["plan"], ms=7, zorder=4)
        ax.annotate(
            f"planned {planned:.0%} ({baseline_weeks * (1 + planned):.1f} wk): {pct(planned_confidence)}",
            (planned, planned_confidence),
            # below the marker, unless that would put it on the x-axis tick labels
            xytext=(10, -12) if planned_confidence >= 0.15 else (10, 8),
            textcoords="offset points",
            fontsize=8.5,
            color=COLORS["plan"],
            fontweight="bold",
        )
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"Buffer (% of the {weeks(baseline_weeks)}-week baseline)")
    ax.set_ylabel("P(finish within buffer)")
    top = ax.secondary_xaxis("top", functions=(lambda b: baseline_weeks * (1 + b), lambda w: w / baseline_weeks - 1))
    top.set_xlabel("Baseline + buffer (weeks)", fontsize=9)
    top.tick_params(labelsize=8.5)
    set_title(fig, ax, title)
    return fig, ax


# -------------------------------------------------------------------- scenarios


def scenario_cdfs(
    cdfs: Mapping[str, pd.DataFrame],
    *,
    medians: Mapping[str, float],
    deadlines: Sequence[float] = (),
    ax=None,
    far_factor: float = FAR_FACTOR,
    title: str | None = "Chance of finishing by each week, per scenario",
):
    """Overlaid cumulative finish curves, one per scenario.

    Parameters
    ----------
    cdfs : mapping
        Scenario name -> DataFrame with ``week`` and ``p_finish_by``
        (`lekhok_forecast.analysis.schedule.cdf_curve`), in legend order; the first is the reference.
    medians : mapping
        Scenario name -> its median finish week read off its curve
        (`lekhok_forecast.analysis.schedule.cdf_median`).
    far_factor : float
        A scenario whose median is more than `far_factor` times the first one's is not
        drawn to scale (it would squash the others); it is named at the right edge with its
        median instead.
    """
    fig, ax = figure_and_axes(ax, height=3.7)
    styles = ("--", "-.", ":", (0, (6, 2, 1, 2)))
    far, xlim = cdf_layout(cdfs, medians, deadlines, far_factor)
    for i, (name, cdf) in enumerate(cdfs.items()):
        if name in far:
            continue
        # the reference is a wide pale band, the others dashed lines on top, so identical
        # curves (e.g. a change of buffer only) stay visible
        if i == 0:
            ax.plot(cdf["week"], cdf["p_finish_by"], color=COLORS["reference"], lw=5, solid_capstyle="butt", label=name)
        else:
            ax.plot(
                cdf["week"],
                cdf["p_finish_by"],
                color=SERIES[(i - 1) % len(SERIES)],
                lw=1.8,
                ls=styles[(i - 1) % len(styles)],
                label=name,
            )
    if xlim is not None:
        ax.set_xlim(*xlim)
    for j, name in enumerate(far):
        i = list(cdfs).index(name)
        ax.annotate(
            f"{name}: P50 week {medians[name]:.1f} →",
            xy=(1.0, 0.08 + 0.09 * j),
            xycoords="axes fraction",
            ha="right",
            fontsize=8.5,
            color=SERIES[(i - 1) % len(SERIES)],
            fontweight="bold",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _deadline_lines(ax, deadlines)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Finish (weeks from start)")
    ax.set_ylabel("P(finish by week)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8.5, handlelength=2.6)
    set_title(fig, ax, title)
    return fig, ax


# ------------------------------------------------------------------- milestones


def milestone_lights(
    milestones: pd.DataFrame,
    ax=None,
    title: str | None = "Milestones: target against forecast",
    reached: dict | None = None,
):
    """Traffic-light chart: each milestone's P50-P80 week against its target week.

    Parameters
    ----------
    milestones : DataFrame
        `lekhok_forecast.analysis.schedule.milestone_table` (index milestone id; ``name``,
        ``target_week``, ``p_on_time``, ``p50_week``, ``p80_week``, ``status``).
    reached : dict, optional
        Milestone id -> week it was actually reached (from weekly actuals). Those rows show
        the reached week as a diamond and say "reached" instead of odds.
    """
    reached = reached or {}
    n = len(milestones)
    fig, ax = figure_and_axes(ax, height=0.5 * n + 1.3)
    if n == 0:  # a plan without milestones: an empty chart that says so, never an error in a report
        ax.text(0.5, 0.5, "the plan has no milestones", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        set_title(fig, ax, title)
        return fig, ax
    y = np.arange(n)[::-1]
    done = np.array([mid in reached for mid in milestones.index])
    statuses = [
        ("green" if milestone_reached_on_time(reached[mid], t) else "red") if mid in reached else s
        for mid, t, s in zip(milestones.index, milestones["target_week"], milestones["status"])
    ]
    colors = [COLORS.get(s, "#888888") for s in statuses]
    open_ = ~done
    if open_.any():
        c_open = [c for c, o in zip(colors, open_) if o]
        ax.hlines(
            y[open_], milestones["p50_week"][open_], milestones["p80_week"][open_], color=c_open, lw=8, alpha=0.45
        )
        ax.scatter(
            milestones["p50_week"][open_], y[open_], color=c_open, s=40, zorder=3, label="forecast P50 (bar to P80)"
        )
    if done.any():
        weeks_done = [reached[mid] for mid in milestones.index[done]]
        ax.scatter(
            weeks_done,
            y[done],
            marker="D",
            s=46,
            zorder=3,
            color=[c for c, d in zip(colors, done) if d],
            label="reached (actual week)",
        )
    ax.plot(milestones["target_week"], y, "|", color=COLORS["ink"], ms=18, mew=2.4, zorder=4, label="target week")
    labels = []
    for mid, p in zip(milestones.index, milestones["p_on_time"]):
        if mid in reached:
            on_time = milestone_reached_on_time(reached[mid], milestones.loc[mid, "target_week"])
            labels.append(f"{mid}  reached {'on time' if on_time else 'late'}")
        else:
            labels.append(f"{mid}  {pct(p)} on time")
    ax.set_yticks(y, labels, fontsize=9)
    for tick, color in zip(ax.get_yticklabels(), colors):
        tick.set_color(color if color != COLORS["amber"] else COLORS["amber_text"])
        tick.set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    right = [milestones["target_week"].max()] + [reached[m] for m in milestones.index if m in reached]
    if open_.any():
        right.append(milestones["p80_week"][open_].max())
    ax.set_xlim(0, max(right) * 1.08)
    ax.set_xlabel("Week from start")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper right", fontsize=8.5)
    set_title(fig, ax, title)
    return fig, ax

"""What the notebooks show: the forecast bundle, sentences with computed numbers, display tables.

A notebook calls `run_forecast` once and then displays what the functions here return:
`Markdown` text whose every number comes from the simulation (never typed), and small
tables of already formatted strings (rounded, with units), so stored outputs are short
and stable. Nothing here draws (see `lekhok_forecast.present.plots`) or simulates beyond
`run_forecast`.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.config import ACTUALS_DIR, PROJ_ROOT
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.plan import Plan, week_label

STATUS_COLORS = {"green": "#2e9d4b", "amber": "#c98a00", "red": "#c62828"}
#: Tables up to this many rows are kept on one printed page.
KEEP_TOGETHER_ROWS = 16


# ------------------------------------------------------------------------- paths


def resolve_path(path: str | Path) -> Path:
    """An absolute path: relative paths are taken from the project root (not the kernel's cwd)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJ_ROOT / p


def display_path(path: str | Path) -> str:
    """A path as shown in outputs: relative to the project root, else just the file name.

    Outputs are committed and printed, so they never carry this machine's absolute paths.
    """
    p = resolve_path(path).resolve()
    try:
        return p.relative_to(PROJ_ROOT.resolve()).as_posix()
    except ValueError:
        return p.name


# ---------------------------------------------------------------------- forecast


@dataclass(frozen=True)
class Forecast:
    """One plan, simulated: the plan, the raw result and the headline numbers.

    Attributes
    ----------
    plan : Plan
    result : SimulationResult
    summary : dict
        `lekhok_forecast.analysis.summary.summary_dict` plus ``plan_file``: the same numbers (and
        keys) as ``lekhok-forecast simulate --json`` and the report's ``summary.json``.
    plan_file : str
        The plan path as shown in outputs.
    status : lekhok_forecast.tracking.status.WeeklyStatus or None
        Set by `run_weekly_forecast`: the actuals the forecast rests on, the history,
        earned value, fever chart and what changed. `plan` is then the original plan and
        `result` the headline forecast (the re-forecast when there are actuals).
    """

    plan: Plan
    result: SimulationResult
    summary: dict
    plan_file: str
    status: object = None  # tracking.WeeklyStatus for the weekly report (run_weekly_forecast)

    def __str__(self) -> str:
        return f"Forecast({self.plan.name!r}, {self.result.trials:,} trials, seed {self.result.seed})"


def run_forecast(plan_path: str | Path, trials: int, seed: int, scenarios=()) -> Forecast:
    """Load (and validate) a plan, apply scenario overlays, simulate and summarise.

    Parameters
    ----------
    plan_path : str or Path
        Plan YAML; a relative path is taken from the project root.
    trials, seed : int
        Monte Carlo trials and seed. The same values give the same numbers as
        ``lekhok-forecast simulate PLAN --trials N --seed S``.
    scenarios : sequence of str or Path
        Scenario overlays applied in order (file paths or names in ``data/scenarios/``).
    """
    from lekhok_forecast.sources.scenario_file import load_plan_with_scenarios, resolve_scenario_path

    path = resolve_path(plan_path)
    scen = [resolve_scenario_path(s) if Path(s).suffix == "" else resolve_path(s) for s in scenarios]
    plan = load_plan_with_scenarios(path, scen)
    result = simulate(plan, trials, seed)
    summary = summary_dict(result)
    shown = display_path(path)
    summary["plan_file"] = shown
    return Forecast(plan, result, summary, shown)


#: How the forecasts of the weekly report are labelled in tables.
FORECAST_LABELS = {
    "plan": "plan (week 0)",
    "uncalibrated": "re-forecast, uncalibrated",
    "calibrated": "re-forecast, calibrated",
}


def run_weekly_forecast(
    plan_path: str | Path,
    trials: int,
    seed: int,
    week: str,
    actuals_dir: str | Path | None = ACTUALS_DIR,
    history_path: str | Path | None = None,
    *,
    changes: bool = True,
) -> Forecast:
    """The weekly report's forecast: re-forecast from the latest actuals at or before `week`.

    Reads and validates; writes nothing (`Forecast.status.history_rows` are for the caller
    to record). The summary is what ``summary.json`` holds and what page one states.

    Parameters
    ----------
    plan_path : str or Path
        Plan YAML; a relative path is taken from the project root.
    trials, seed : int
    week : str
        The report's ISO week ``YYYY-Www``.
    actuals_dir : str or Path or None
        Folder of weekly actuals (relative: from the project root); None or empty: the
        plan's own forecast.
    history_path : str or Path or None
        Forecast history to read for earlier weeks; None or empty: compute them all.
    changes : bool
        False: skip the what-changed table (the report's own summary does not need it).

    Returns
    -------
    Forecast
        `plan` the original plan, `result` the headline forecast, `status` the
        `lekhok_forecast.tracking.status.WeeklyStatus`, `summary` the keys of ``simulate --json``
        plus ``as_of_week, actuals_week, actuals_file, weeks_stale, calibrated, done_tasks,
        calibration_ratio, headline`` and ``forecasts`` (plan / uncalibrated / calibrated).

    Raises
    ------
    ForecastInputError
        For a bad plan, week, actuals file or history file.
    """
    from lekhok_forecast.sources.plan_file import load_plan
    from lekhok_forecast.tracking.status import weekly_status

    path = resolve_path(plan_path)
    plan = load_plan(path)
    folder = resolve_path(actuals_dir) if actuals_dir else None
    history = resolve_path(history_path) if history_path else None
    st = weekly_status(plan, week, folder, trials, seed, history_path=history, changes=changes)
    shown = display_path(path)
    return Forecast(plan, st.headline, weekly_summary(st, shown), shown, status=st)


def weekly_summary(st, plan_file: str) -> dict:
    """``summary.json`` of a weekly report: the headline forecast's `summary_dict` and its basis.

    Parameters
    ----------
    st : lekhok_forecast.tracking.status.WeeklyStatus
    plan_file : str
        The plan path as shown.
    """
    s = summary_dict(st.headline)
    s["tasks"] = {t.id: s["tasks"][t.id] for t in st.plan.tasks if t.id in s["tasks"]}  # plan order
    s["plan_file"] = plan_file
    r = st.report
    s["as_of_week"] = st.as_of_week
    s["actuals_week"] = r.actuals_week
    s["actuals_file"] = display_path(r.actuals_path) if r.has_actuals else None
    s["weeks_stale"] = r.weeks_stale
    s["calibrated"] = st.calibrated
    cal = st.update.calibration if st.update is not None else None
    s["done_tasks"] = sum(a.done for a in st.update.actuals.tasks) if st.update is not None else 0
    s["calibration_ratio"] = round(cal.mean_ratio, 6) if cal is not None and cal.n_done else None
    for mid, w in st.milestones_reached.items():
        if mid in s.get("milestones", {}):
            s["milestones"][mid]["reached_week"] = w
    s["headline"] = st.headline_key
    s["forecasts"] = {
        key: _compact(s if key == st.headline_key else summary_dict(result)) for key, result in st.forecasts.items()
    }
    return s


def _compact(s: dict) -> dict:
    """The numbers of page one's comparison table, from a `summary_dict`."""
    out = {"finish_weeks": {k: s["finish_weeks"][k] for k in ("p10", "p50", "p80", "p90")}}
    if "finish_dates" in s:
        out["finish_dates"] = {k: s["finish_dates"][k] for k in ("p50", "p80")}
    out["p_finish_by"] = dict(s["p_finish_by"])
    if "buffer" in s:
        out["buffer"] = {k: s["buffer"][k] for k in ("buffer", "buffered_weeks", "p_within_buffer", "needed_for_p80")}
    if "cost" in s:
        out["cost"] = {
            k: s["cost"][k] for k in ("currency", "p50", "p90", "budget", "p_within_budget") if k in s["cost"]
        }
    return out


# -------------------------------------------------------------------- formatting


def pct(p: float) -> str:
    """A probability as a percentage a manager reads: ``16%``, ``0.8%``, ``99.6%``, ``<0.1%``.

    Whole percent between 1% and 99%; one decimal near 0 and 1, where whole percent
    would round a real chance to "0%" or "100%".
    """
    p = float(p)
    if not math.isfinite(p):
        return "n/a"
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.999:
        return ">99.9%"
    if 0.01 <= p <= 0.99:
        return f"{100 * p:.0f}%"
    return f"{100 * p:.1f}%"


def money(x: float, currency: str = "$") -> str:
    """``$15,781``: whole units with thousands separators."""
    return f"{currency}{x:,.0f}"


def _md_money(x: float, currency: str = "$") -> str:
    # In Markdown a pair of "$" starts maths (JupyterLab, nbconvert), so escape it.
    return money(x, currency).replace("$", "\\$")


def weeks(w: float) -> str:
    """A week number with one decimal (``16.1``), whole weeks without (``12``)."""
    w = float(w)
    return week_label(w) if w.is_integer() else f"{w:.1f}"


def date_text(d: _dt.date | str | None) -> str:
    """ISO date text (``2025-06-10``), or empty without a date."""
    if d is None:
        return ""
    return d if isinstance(d, str) else d.isoformat()


def week_and_date(plan: Plan, w: float) -> str:
    """``week 18.2 (2025-06-10)``, without the date when the plan has no start."""
    d = plan.date_of_week(w)
    return f"week {weeks(w)}" + (f" ({d.isoformat()})" if d else "")


def iso_week_monday(week: str) -> _dt.date:
    """Monday of an ISO week given as ``YYYY-Www``.

    Raises
    ------
    ValueError
        If `week` is not of that form.
    """
    try:
        year, w = week.split("-W")
        return _dt.date.fromisocalendar(int(year), int(w), 1)
    except (ValueError, AttributeError):
        raise ValueError(f"expected an ISO week like 2025-W06, got {week!r}") from None


@dataclass(frozen=True)
class Markdown:
    """Markdown text that Jupyter displays rendered (and prints as itself)."""

    text: str

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


@dataclass(frozen=True)
class HtmlTable:
    """A small display table of formatted strings.

    In Jupyter (and so in the PDF) it is an HTML table with one header row, its index as
    the first column; cells are escaped except in `html_columns` (coloured status dots).
    Its plain-text form is the DataFrame's.

    Attributes
    ----------
    frame : DataFrame
        The formatted table (strings), indexed by its row labels.
    html_columns : tuple of str
        Columns whose cells are HTML.
    right_columns : tuple of str
        Columns right-aligned as a whole (the PDF otherwise aligns cell by cell: numbers
        right, text left, which mixes "16%" and "week 16.1 (2025-05-26)" in one column).
    nowrap_columns : tuple of str
        Columns whose cells never wrap (dates), so other columns wrap instead.
    """

    frame: pd.DataFrame
    html_columns: tuple = ()
    right_columns: tuple = ()
    nowrap_columns: tuple = ()

    def _repr_html_(self) -> str:
        plain_index = isinstance(self.frame.index, pd.RangeIndex) and self.frame.index.name is None
        df = self.frame.copy() if plain_index else self.frame.reset_index(names=self.frame.index.name or "")
        styles = {}
        for i, col in enumerate(df.columns):
            css = [
                ("text-align: right" if col in self.right_columns else ""),
                ("white-space: nowrap" if col in self.nowrap_columns else ""),
            ]
            if any(css):
                styles[i] = "; ".join(c for c in css if c)
        for col in df.columns:
            if col not in self.html_columns:
                df[col] = df[col].map(lambda v: html.escape(str(v)))
        df.columns = [html.escape(str(c)) for c in df.columns]
        # tex2jax_ignore: JupyterLab's MathJax would read "$15,781 / $18,353" as maths
        table = df.to_html(index=False, escape=False, border=0, classes="tex2jax_ignore")
        if styles:
            table = _style_columns(table, styles)
        if len(df) <= KEEP_TOGETHER_ROWS:  # a short table is not split over two printed pages
            table = f'<div style="break-inside: avoid; page-break-inside: avoid">{table}</div>'
        return table

    def __repr__(self) -> str:
        plain = self.frame.map(lambda v: _strip_tags(str(v)))
        return plain.to_string()


def _style_columns(table: str, styles: dict[int, str]) -> str:
    """Give the cells of the given column positions an inline style (position -> CSS)."""
    import re

    def row(m):
        k = -1

        def cell(c):
            nonlocal k
            k += 1
            return f'<{c.group(1)} style="{styles[k]}">' if k in styles else c.group(0)

        return re.sub(r"<(td|th)>", cell, m.group(0))

    return re.sub(r"<tr[^>]*>.*?</tr>", row, table, flags=re.S)


def _strip_tags(text: str) -> str:
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", text))


def status_html(status: str, colour: str | None = None) -> str:
    """A coloured dot and the word (``green``/``amber``/``red``) for HTML tables."""
    color = STATUS_COLORS.get(colour or status, "#777777")
    return f'<span style="color:{color};font-size:1.2em">&#9679;</span>&nbsp;{html.escape(status)}'


# ---------------------------------------------------------------- weekly status


def headline(fc: Forecast, week: str | None = None) -> Markdown:
    """The weekly status in a few sentences, every number computed.

    Parameters
    ----------
    fc : Forecast
    week : str, optional
        ISO week the report is for (``2025-W06``), named in the first sentence.
    """
    s, plan = fc.summary, fc.plan
    fw = s["finish_weeks"]
    parts = []
    if s["p_finish_by"]:
        odds = [f"**{pct(p)}** by {week_and_date(plan, float(d))}" for d, p in s["p_finish_by"].items()]
        parts.append("**Launch odds.** The chance of launching is " + _join(odds) + ".")
    parts.append(
        f"**80% confidence date.** We can be 80% confident of launching by "
        f"**{week_and_date(plan, fw['p80'])}**; the median (P50) is {week_and_date(plan, fw['p50'])}."
    )
    if "buffer" in s:
        b = s["buffer"]
        parts.append(
            f"**Buffer.** The planned {b['buffer']:.0%} buffer ({weeks(b['baseline_weeks'])} to "
            f"{weeks(b['buffered_weeks'])} weeks) is enough in **{pct(b['p_within_buffer'])}** of trials; "
            f"80% confidence needs {_frac(b['needed_for_p80'])} and 90% needs {_frac(b['needed_for_p90'])}."
        )
    if "cost" in s:
        c = s["cost"]
        cur = c["currency"]
        text = f"**Spend forecast.** Total cost at launch: P50 **{_md_money(c['p50'], cur)}**, P90 {_md_money(c['p90'], cur)}"
        if "budget" in c:
            text += (
                f", against a budget of {_md_money(c['budget'], cur)}: a **{pct(c['p_within_budget'])}** chance "
                "of staying within it"
            )
        parts.append(text + ".")
    if "milestones" in s:
        ms = [_milestone_words(mid, m) for mid, m in s["milestones"].items()]
        parts.append("**Milestones.** " + _join(ms) + ".")
    lead = f"Status for **{week}** from the plan *{plan.name}*" if week else f"Forecast for *{plan.name}*"
    lead += f" ({fc.result.trials:,} Monte Carlo trials, seed {fc.result.seed})."
    if plan.start:
        lead += f" Weeks count from the plan's start on {plan.start:%A %Y-%m-%d} (week 0)."
    basis = status_basis(fc)
    if basis:
        lead += "\n\n" + basis
    since = since_last_week(fc)
    if since:
        parts.insert(min(2, len(parts)), since)
    return Markdown(lead + "\n\n" + "\n\n".join(f"- {p}" for p in parts))


def _milestone_words(mid: str, m: dict) -> str:
    """``M2 green (82% on time by week 4)``, or ``M1 reached late (week 2.1, target 2)``."""
    if "reached_week" in m:
        w, target = m["reached_week"], m["target_week"]
        return f"{mid} reached {'on time' if w <= target else 'late'} (week {weeks(w)}, target {weeks(target)})"
    return f"{mid} {m['status']} ({pct(m['p_on_time'])} on time by week {weeks(m['target_week'])})"


def _frac(f: float) -> str:
    return f"a {f:.0%} buffer" if f >= 0 else "no buffer"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def headline_table(fc: Forecast) -> HtmlTable:
    """The headline numbers as a table, formatted: one ``value`` column, or with a weekly
    status that has actuals, the forecasts side by side (plan / re-forecast / calibrated,
    the headline one marked)."""
    s, plan = fc.summary, fc.plan
    forecasts = s.get("forecasts") or {}
    if len(forecasts) <= 1:
        rows = _headline_rows(s, plan)
        frame = pd.DataFrame(rows, columns=["headline", "value"]).set_index("headline")
        return HtmlTable(frame, right_columns=("value",))
    columns = {}
    for key, numbers in forecasts.items():
        label = FORECAST_LABELS.get(key, key) + (" (headline)" if key == s.get("headline") else "")
        columns[label] = dict(_headline_rows(numbers, plan))
    frame = pd.DataFrame(columns)
    frame.index.name = "headline"
    return HtmlTable(frame, right_columns=tuple(columns))


def _headline_rows(s: dict, plan: Plan) -> list[tuple[str, str]]:
    """(label, value) rows from a summary (or its `_compact` form)."""
    rows = []
    for d, p in s["p_finish_by"].items():
        date = plan.date_of_week(float(d))
        rows.append((f"P(launch by week {d})" + (f", {date.isoformat()}" if date else ""), pct(p)))
    fw = s["finish_weeks"]
    rows.append(("P50 launch", week_and_date(plan, fw["p50"])))
    rows.append(("P80 launch", week_and_date(plan, fw["p80"])))
    if "buffer" in s:
        b = s["buffer"]
        rows.append(
            (
                f"Confidence of the {b['buffer']:.0%} buffer ({weeks(b['buffered_weeks'])} weeks)",
                pct(b["p_within_buffer"]),
            )
        )
        rows.append(("Buffer needed for 80% confidence", f"{b['needed_for_p80']:.0%}"))
    if "cost" in s:
        c = s["cost"]
        cur = c["currency"]
        rows.append(("Total cost P50 / P90", f"{money(c['p50'], cur)} / {money(c['p90'], cur)}"))
        if "budget" in c:
            rows.append((f"P(within the {money(c['budget'], cur)} budget)", pct(c["p_within_budget"])))
    return rows


def milestone_display(milestones: pd.DataFrame, plan: Plan, reached: dict | None = None) -> HtmlTable:
    """Milestone traffic lights: target, chance on time, P80 week/date, status dot.

    Parameters
    ----------
    milestones : DataFrame
        `lekhok_forecast.analysis.schedule.milestone_table`.
    reached : dict, optional
        Milestone id -> week it was reached (`tracking.WeeklyStatus.milestones_reached`):
        those rows say "reached" with that week instead of odds.
    """
    reached = reached or {}
    rows = []
    for mid, m in milestones.iterrows():
        row = {
            "milestone": mid,
            "success criterion": str(m["name"]).replace("`", ""),
            "target": week_and_date(plan, m["target_week"]),
            "on time": pct(m["p_on_time"]),
            "P80": week_and_date(plan, m["p80_week"]),
            "status": status_html(m["status"]),
        }
        if mid in reached:
            late = reached[mid] > m["target_week"]
            row.update(
                {
                    "on time": "no" if late else "yes",
                    "P80": f"reached {week_and_date(plan, reached[mid])}",
                    "status": status_html("late" if late else "reached", "red" if late else "green"),
                }
            )
        rows.append(row)
    return HtmlTable(
        pd.DataFrame(rows).set_index("milestone"),
        html_columns=("status",),
        right_columns=("on time",),
        nowrap_columns=("target", "P80", "status"),
    )


# ------------------------------------------------------------- schedule tables


def percentile_display(table: pd.DataFrame) -> HtmlTable:
    """`schedule.percentile_table` formatted: finish week (1 decimal) and date."""
    out = pd.DataFrame(index=table.index)
    out["finish week"] = table["finish_week"].map(weeks)
    if "date" in table:
        out["date"] = table["date"].map(date_text)
    out.index.name = "percentile"
    return HtmlTable(out)


def deadline_display(table: pd.DataFrame) -> HtmlTable:
    """`schedule.deadline_table` formatted: chance of finishing by each deadline, with its MC error."""
    out = pd.DataFrame({"deadline": table["deadline_week"].map(lambda w: f"week {weeks(w)}")})
    if "date" in table:
        out["date"] = table["date"].map(date_text)
    out["P(finish by)"] = table["p_finish_by"].map(pct)
    out["± MC error"] = table["mc_error"].map(lambda e: f"{100 * e:.1f} pts")
    return HtmlTable(out.set_index("deadline"))


def phase_display(table: pd.DataFrame) -> HtmlTable:
    """`schedule.phase_table` formatted: original/realistic ends with their odds, simulated P50/P80."""

    def end(w):
        return "" if w is None or (isinstance(w, float) and math.isnan(w)) else weeks(w)

    out = pd.DataFrame(index=table.index)
    out["original end"] = table["original_end_week"].map(end)
    out["P(by original)"] = table["p_by_original"].map(lambda p: "" if pd.isna(p) else pct(p))
    out["realistic end"] = table["realistic_end_week"].map(end)
    out["P(by realistic)"] = table["p_by_realistic"].map(lambda p: "" if pd.isna(p) else pct(p))
    out["simulated P50"] = table["p50_week"].map(weeks)
    out["simulated P80"] = table["p80_week"].map(weeks)
    out.index.name = "phase"
    return HtmlTable(out)


def driver_display(drivers: pd.DataFrame, top: int = 10) -> HtmlTable:
    """`drivers.driver_table` formatted: the top rows with criticality and sensitivity."""
    d = drivers.head(top)
    out = pd.DataFrame(
        {
            "task": d["name"].astype(str),
            "criticality": d["criticality"].map(lambda c: "" if pd.isna(c) else pct(c)),
            "sensitivity": d["sensitivity"].map(lambda r: f"{r:+.2f}"),
        }
    )
    out.index = range(1, len(out) + 1)
    out.index.name = "rank"
    return HtmlTable(out)


# --------------------------------------------------------------- buffer tables


def buffer_display(table: pd.DataFrame) -> HtmlTable:
    """`buffers.buffer_table` formatted: each buffer as % and weeks, with its confidence."""
    out = pd.DataFrame(index=table.index)
    out["buffer"] = table["fraction"].map(lambda f: f"{f:.0%}")
    out["buffer weeks"] = table["buffer_weeks"].map(lambda w: f"{w:.1f}")
    out["total weeks"] = table["total_weeks"].map(lambda w: f"{w:.1f}")
    out["confidence"] = table["confidence"].map(pct)
    out.index.name = "buffer sized"
    return HtmlTable(out)


# --------------------------------------------------------------- budget tables


def cost_display(fc: Forecast) -> HtmlTable:
    """Total cost percentiles and the mean of each cost item, formatted."""
    s = fc.summary["cost"]
    cur = s["currency"]
    rows = [
        ("total, P50", money(s["p50"], cur)),
        ("total, P80", money(s["p80"], cur)),
        ("total, P90", money(s["p90"], cur)),
        ("total, mean", money(s["mean"], cur)),
    ]
    for i, c in enumerate(fc.plan.costs):
        rows.append((f"{c.name}, mean", money(float(fc.result.cost_by_item[i].mean()), cur)))
    if "budget" in s:
        rows.append(("budget", money(s["budget"], cur)))
        rows.append(("P(within budget)", pct(s["p_within_budget"])))
        for d, p in s["joint_p_by"].items():
            rows.append((f"P(by week {d} and within budget)", pct(p)))
    return HtmlTable(pd.DataFrame(rows, columns=["cost", "value"]).set_index("cost"))


def quadrant_display(quadrants: pd.DataFrame) -> HtmlTable:
    """`budget.joint_quadrants` as percentages."""
    out = quadrants.map(pct)
    out.index.name = out.index.name or "finish"
    return HtmlTable(out)


def burn_display(burn: pd.DataFrame, currency: str = "$", every: int = 2) -> HtmlTable:
    """Every `every`-th week of `budget.burn_percentiles`, formatted."""
    b = burn.iloc[::every]
    out = pd.DataFrame(
        {
            "P10": [money(x, currency) for x in b["p10"]],
            "P50": [money(x, currency) for x in b["p50"]],
            "P90": [money(x, currency) for x in b["p90"]],
        },
        index=[weeks(w) for w in b.index],
    )
    if "p_over_budget" in b:
        out["P(over budget)"] = [pct(p) for p in b["p_over_budget"]]
    out.index.name = "week"
    return HtmlTable(out)


# ------------------------------------------------------------- scenario tables


def scenario_display(table: pd.DataFrame, currency: str = "$") -> HtmlTable:
    """`scenarios.comparison_table` formatted for reading."""
    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        if col.startswith("P(") or col.startswith("buffer conf") or col == "P(within budget)":
            out[col] = table[col].map(lambda p: "" if pd.isna(p) else pct(p))
        elif col.startswith("cost"):
            out[col] = table[col].map(lambda x: "" if pd.isna(x) else money(x, currency))
        elif "week" in col:
            out[col] = table[col].map(lambda w: "" if pd.isna(w) else weeks(w))
        else:
            out[col] = table[col]
    out.index.name = table.index.name or "scenario"
    return HtmlTable(out)


def scenario_sentences(table: pd.DataFrame, baseline: str, currency: str = "$") -> Markdown:
    """One sentence per scenario: its P80 finish and cost P50 against the plan as written."""
    base = table.loc[baseline]
    lines = []
    for name, row in table.iterrows():
        if name == baseline:
            continue
        dw = row["P80 week"] - base["P80 week"]
        if abs(dw) < 0.05:
            when = f"P80 finish week {weeks(row['P80 week'])}, the same as the plan as written"
        else:
            when = (
                f"P80 finish week {weeks(row['P80 week'])}, {abs(dw):.1f} weeks "
                f"{'earlier' if dw < 0 else 'later'} than the plan as written"
            )
        text = f"- **{name}**: {when}"
        if "cost P50" in table:
            dc = row["cost P50"] - base["cost P50"]
            text += f"; P50 cost {_md_money(row['cost P50'], currency)}"
            text += (
                ", the same" if abs(dc) < 0.5 else f", {_md_money(abs(dc), currency)} {'more' if dc > 0 else 'less'}"
            )
        if "buffer confidence" in table and abs(row["buffer confidence"] - base["buffer confidence"]) >= 0.0005:
            text += (
                f"; its buffer is enough in {pct(row['buffer confidence'])} of trials "
                f"(plan as written: {pct(base['buffer confidence'])})"
            )
        lines.append(text + ".")
    return Markdown("\n".join(lines))


def trials_note(result: SimulationResult) -> str:
    """``20,000 trials, seed 1`` for captions."""
    return f"{result.trials:,} trials, seed {result.seed}"


def mc_error_note(result: SimulationResult) -> Markdown:
    """How precise the percentages are at this trial count."""
    worst = 0.5 / np.sqrt(result.trials)
    return Markdown(
        f"With {result.trials:,} trials a probability is known to within about "
        f"±{100 * 2 * worst:.1f} percentage points (two standard errors at 50%)."
    )


def scenario_list(scenarios) -> Markdown:
    """The scenarios as a bullet list: name, description and file."""
    return Markdown("\n".join(f"- **{sc.name}** (`{Path(sc.path).name}`): {sc.description}" for sc in scenarios))


# ------------------------------------------------------------ section sentences


def schedule_sentences(fc: Forecast) -> Markdown:
    """The finish distribution in words: median, P80, spread and each deadline's odds."""
    s, plan = fc.summary, fc.plan
    fw = s["finish_weeks"]
    text = [
        f"The simulated plan finishes at the median (P50) in {week_and_date(plan, fw['p50'])}; "
        f"in 80% of trials by {week_and_date(plan, fw['p80'])} and in 90% by {week_and_date(plan, fw['p90'])}. "
        f"The middle 80% of outcomes spans weeks {weeks(fw['p10'])} to {weeks(fw['p90'])}."
    ]
    if s["p_finish_by"]:
        odds = [f"{pct(p)} by week {d}" for d, p in s["p_finish_by"].items()]
        text.append("Chance of finishing: " + _join(odds) + ".")
    between = [f"between weeks {k.replace('-', ' and ')}: {pct(p)}" for k, p in s.get("p_between", {}).items()]
    if between:
        text.append("Finishing " + "; ".join(between) + ".")
    return Markdown(" ".join(text))


def criticality_sentence(drivers: pd.DataFrame) -> Markdown:
    """How many tasks are always, sometimes and never on the critical path."""
    crit = drivers["criticality"].dropna()
    always = int((crit >= 0.999).sum())
    never = int((crit <= 0.001).sum())
    some = len(crit) - always - never
    return Markdown(
        f"Of {len(crit)} tasks, **{always}** are on the critical path in (nearly) every trial, "
        f"{some} in some trials and {never} never. A workstream does its tasks one after "
        "another, so whole chains of a workstream's tasks are critical together; the tornado "
        "above says which of them move the finish most."
    )


def buffer_sentences(fc: Forecast) -> Markdown:
    """The planned buffer's confidence and what P80/P90 and the RSEM rule would need."""
    b = fc.summary["buffer"]
    base = b["baseline_weeks"]
    rsem = b["rsem_weeks"]
    return Markdown(
        f"The plan commits to {weeks(base)} weeks plus a {b['buffer']:.0%} buffer, i.e. {weeks(b['buffered_weeks'])} "
        f"weeks. The simulation finishes inside that in **{pct(b['p_within_buffer'])}** of trials. "
        f"For 80% confidence the buffer would have to be **{b['needed_for_p80']:.0%}** "
        f"({weeks(base * (1 + b['needed_for_p80']))} weeks), for 90% {b['needed_for_p90']:.0%} "
        f"({weeks(base * (1 + b['needed_for_p90']))} weeks). The critical-chain root-square-error rule "
        f"(RSEM) gives {rsem:.1f} weeks ({rsem / base:.0%}); it looks at one chain at modal capacity and "
        "leaves out the risks and the uncertain team hours"
        + (
            ", which is why it is smaller than the simulation's 80% buffer."
            if rsem / base < b["needed_for_p80"]
            else "; here it is nevertheless at least the simulation's 80% buffer."
        )
    )


def chain_display(plan: Plan, chain) -> HtmlTable:
    """The modal critical chain as a table: task, workstream, phase."""
    index = plan.task_index()
    rows = [
        {
            "task": plan.tasks[index[t]].name,
            "workstream": plan.tasks[index[t]].workstream or "(calendar time)",
            "phase": plan.tasks[index[t]].phase or "",
        }
        for t in chain
    ]
    out = pd.DataFrame(rows)
    out.index = range(1, len(out) + 1)
    out.index.name = "step"
    return HtmlTable(out)


def cost_sentences(fc: Forecast, deadline: float | None = None) -> Markdown:
    """Total cost against the budget, and the joint chance of being on time and within budget."""
    c = fc.summary["cost"]
    cur = c["currency"]
    text = [
        f"The total cost at launch is {_md_money(c['p50'], cur)} at the median (P50) and {_md_money(c['p90'], cur)} "
        f"at P90 (mean {_md_money(c['mean'], cur)})."
    ]
    if "budget" in c:
        text.append(
            f"The chance of staying within the {_md_money(c['budget'], cur)} budget is **{pct(c['p_within_budget'])}**."
        )
        if c["joint_p_by"]:
            joint = [f"{pct(p)} by week {d}" for d, p in c["joint_p_by"].items()]
            text.append("The chance of finishing on time *and* within budget is " + _join(joint) + ".")
    text.append(
        "Cost and finish move together: the hourly engineering cost grows with the work done "
        "(risks included), the monthly cloud and tools costs with the weeks until launch."
    )
    return Markdown(" ".join(text))


# ------------------------------------------------------------- weekly tracking
# Sentences and tables of the weekly report's tracking sections. Each takes a `Forecast`
# from `run_weekly_forecast` (or its `status`, a `tracking.WeeklyStatus`) and says plainly
# when there are no actuals to speak of.

ZONE_MEANING = {
    "green": "the buffer is being used no faster than the chain's work gets done; no action needed",
    "yellow": "the buffer is being used faster than it should; watch it and plan what to do if it gets worse",
    "red": "the buffer is being eaten much faster than the chain's work gets done; act now (cut or defer"
    " scope, add capacity, or move the date)",
}


def _last_day(plan: Plan, as_of: float) -> str:
    """``Sun 2025-03-16``: the last day of the week that ends `as_of` weeks after the start."""
    end = plan.date_of_week(as_of)
    return "" if end is None else f"{end - _dt.timedelta(days=1):%a %Y-%m-%d}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def status_basis(fc: Forecast) -> str:
    """One paragraph: which actuals file the headline rests on, how old it is, and calibration.

    Empty for a `Forecast` without a weekly status.
    """
    st = fc.status
    if st is None:
        return ""
    r, plan = st.report, fc.plan
    if st.update is None:
        if r.actuals_dir is None:
            why = "No actuals were given"
        elif r.available:
            why = (
                f"There are no actuals for {r.week} or earlier in `{display_path(r.actuals_dir)}` (the first are"
                f" from {r.available[0]})"
            )
        else:
            why = f"`{display_path(r.actuals_dir)}` holds no actuals files"
        return (
            f"**Basis: the plan alone.** {why}, so the numbers below are the plan's own forecast as of its"
            " start (week 0)."
        )
    u = st.update
    a = u.actuals
    from lekhok_forecast.core.actuals import Status

    day = _last_day(plan, a.as_of_week)
    as_of = f"the end of plan week {weeks(a.as_of_week)}" + (f" ({day})" if day else "")
    state = f"{a.count(Status.DONE)} of {len(plan.tasks)} tasks were done and {a.count(Status.IN_PROGRESS)} in progress"
    if a.spend:
        state += f", with spend reported for {len(a.spend)} of {_plural(len(plan.costs), 'cost item')}"
    file = display_path(r.actuals_path)
    if r.stale:
        text = (
            f"**No actuals for {r.week}.** The latest are from **{r.actuals_week}** (`{file}`),"
            f" {_plural(r.weeks_stale, 'week')} earlier. The numbers below are re-forecast as of {as_of},"
            f" when {state}; they know nothing of what happened since."
        )
    else:
        text = f"**Basis.** Re-forecast from this week's actuals (`{file}`) as of {as_of}, when {state}."
    if a.illustrative:
        text += " The file marks itself as **illustrative demo data**, not real progress."
    text += " " + u.calibration.message
    if u.calibrated is not None:
        text += " The table sets this headline beside the plan's own forecast and the uncalibrated re-forecast."
    else:
        text += " The table sets this headline beside the plan's own forecast."
    return text


def _change_label(row) -> str:
    if row["task"] == "(week elapsed)":
        return "the week passing"
    if row["task"] == "(calibration)":
        return "the calibration update"
    return f"{row['name'] or row['task']} ({row['change']})"


def since_last_week(fc: Forecast) -> str:
    """A bullet for page one: how P80 moved since the previous actuals, the largest change,
    the fever-chart zone and SPI/CPI. Empty without actuals."""
    st = fc.status
    if st is None or st.update is None:
        return ""
    u = st.update
    p80 = float(fc.summary["finish_weeks"]["p80"])
    wc = st.what_changed
    if len(wc):
        before = float(wc["p80_before"].iloc[0])
    else:
        cone = st.cone
        before = float(cone["p80"].iloc[-2]) if len(cone) > 1 else p80
    since = u.previous.week or "the plan's start"
    delta = p80 - before
    moved = "stayed at" if round(delta, 1) == 0 else f"moved from week {weeks(before)} to"
    lead = f"Between {since} and {u.week} (the latest actuals)" if st.report.stale else f"Since {since}"
    text = f"**{lead}.** The 80% confidence date {moved} week {weeks(p80)}" + (
        "" if round(delta, 1) == 0 else f" ({delta:+.1f} weeks)"
    )
    if len(wc):
        top = wc.loc[wc["p80_effect_weeks"].abs().idxmax()]
        if abs(float(top["p80_effect_weeks"])) >= 0.05:
            text += f"; the largest single effect: {_change_label(top)}, {float(top['p80_effect_weeks']):+.2f} weeks"
    text += "."
    fever = st.fever.iloc[-1]
    text += (
        f" Buffer fever chart: **{fever['zone']}** (critical chain {fever['chain_complete']:.0%} complete,"
        f" project buffer {fever['buffer_consumed']:.0%} consumed)."
    )
    if len(st.earned_value):
        ev = st.earned_value.iloc[-1]
        text += f" Earned value: SPI {_index(ev['spi'])}, CPI {_index(ev['cpi'])}."
    return text


def _index(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.2f}"


def history_sentences(st) -> Markdown:
    """How P50/P80 and P(<= each deadline) moved from the plan to this week."""
    cone = st.cone
    first = cone.iloc[0]
    if st.update is None:
        return Markdown(
            f"No actuals yet, so there is no history: the chart has the plan's own forecast only"
            f" (P50 week {weeks(first['p50'])}, P80 week {weeks(first['p80'])})."
        )
    last = cone.iloc[-1]
    reported = cone.iloc[1:]
    text = [
        f"The forecast as of the plan's start and {_plural(len(reported), 'reported week')}"
        f" ({reported['week'].iloc[0]} to {reported['week'].iloc[-1]}). Since the plan, the P80 finish moved"
        f" from week {weeks(first['p80'])} to {weeks(last['p80'])} ({last['p80'] - first['p80']:+.1f} weeks) and"
        f" the P50 from week {weeks(first['p50'])} to {weeks(last['p50'])}."
    ]
    if len(reported) >= 2:
        prev = cone.iloc[-2]
        text.append(f"Since {prev['week']} the P80 moved {last['p80'] - prev['p80']:+.1f} weeks.")
    by = [c for c in cone.columns if c.startswith("p_by_")]
    if by:
        labels = " / ".join(c[5:] for c in by)
        then = " / ".join(pct(first[c]) for c in by)
        now = " / ".join(pct(last[c]) for c in by)
        text.append(
            f"The chance of finishing by week {labels} went from {then} at the plan's start to {now} in {last['week']}."
        )
    if st.report.stale:
        text.append(f"No actuals have been reported since {st.report.actuals_week}.")
    text.append("The shaded band is P10 to P90; the dotted line is the P50 without calibration.")
    return Markdown(" ".join(text))


def history_display(cone: pd.DataFrame) -> HtmlTable:
    """`history.cone_frame` formatted: one row per week (the plan first), finish weeks and odds."""
    out = pd.DataFrame(index=pd.Index(cone["week"].astype(str), name="week"))
    out["as of week"] = [weeks(w) for w in cone["as_of_week"]]
    out["P50"] = [f"{w:.1f}" for w in cone["p50"]]
    out["P80"] = [f"{w:.1f}" for w in cone["p80"]]
    if "p80_uncalibrated" in cone:
        out["P80 uncalibrated"] = [f"{w:.1f}" if pd.notna(w) else "" for w in cone["p80_uncalibrated"]]
    for c in (c for c in cone.columns if c.startswith("p_by_")):
        out[f"P(≤ {c[5:]})"] = [pct(p) if pd.notna(p) else "" for p in cone[c]]
    if "actual_finish_week" in cone and cone["actual_finish_week"].notna().any():
        out["actual finish"] = [weeks(w) if pd.notna(w) else "" for w in cone["actual_finish_week"]]
    return HtmlTable(out)


def what_changed_sentences(st) -> Markdown:
    """What changed between the previous actuals and these, and how far it moved the P80."""
    if st.update is None:
        return Markdown("No actuals yet: nothing to compare with the plan.")
    u = st.update
    wc = st.what_changed
    since = u.previous.week or "the plan's start"
    tasks = wc[~wc["task"].astype(str).str.startswith("(")]
    before, after = float(wc["p80_before"].iloc[0]), float(wc["p80_after"].iloc[-1])
    text = [f"Between {since} and {u.week}, {_plural(len(tasks), 'task')} changed."]
    if st.report.stale:
        text[0] = (
            f"These are the changes of the latest actuals ({u.week}, against {since}); none have been reported since."
        )
    text.append(
        f"Applying the changes one at a time, each a full re-forecast with the same trials and seed, moves"
        f" the P80 finish from week {before:.2f} to {after:.2f} ({after - before:+.2f} weeks); the effects"
        " add up to that. Effects of a few hundredths of a week are Monte Carlo noise."
    )
    return Markdown(" ".join(text))


def what_changed_display(table: pd.DataFrame) -> HtmlTable:
    """`evm.what_changed` formatted: what, how, the detail and its effect on P80 (weeks)."""
    what = []
    for _, row in table.iterrows():
        if row["task"] == "(week elapsed)":
            what.append("a week passes")
        elif row["task"] == "(calibration)":
            what.append("calibration")
        else:
            what.append(str(row["name"] or row["task"]))
    out = pd.DataFrame(
        {
            "what": what,
            "change": table["change"].astype(str),
            "detail": table["detail"].astype(str),
            "P80 effect (weeks)": [f"{round(x, 2) + 0.0:+.2f}" for x in table["p80_effect_weeks"]],  # no -0.00
            "P80 after": [f"{x:.2f}" for x in table["p80_after"]],
        }
    )
    out.index = range(1, len(out) + 1)
    out.index.name = "step"
    return HtmlTable(out)


def _spi_phrase(spi: float) -> str:
    if not math.isfinite(spi):
        return "no work was planned yet"
    if spi < 0.95:
        return f"behind schedule ({spi:.0%} of the work planned by now is done)"
    if spi > 1.05:
        return "ahead of schedule"
    return "on schedule"


def _cpi_phrase(cpi: float, currency: str) -> str:
    if not math.isfinite(cpi):
        return "nothing spent yet"
    cur = currency.replace("$", "\\$")
    if cpi < 0.95:
        return f"over cost (each {cur}1 spent earned {cur}{cpi:.2f} of planned work)"
    if cpi > 1.05:
        return "under cost"
    return "on cost"


COST_BASIS = {
    "reported": "from the spend files",
    "estimated": "estimated from the hours worked (no spend file)",
    "partly estimated": "partly from the spend files, partly estimated from the hours worked",
    "none": "the plan has no costs",
}


def earned_value_sentences(st, currency: str = "$") -> Markdown:
    """Planned, earned and actual hours and cost to date, and what SPI and CPI say."""
    if st.update is None or not len(st.earned_value):
        return Markdown("No actuals yet: nothing planned, earned or spent to compare.")
    ev = st.earned_value.iloc[-1]
    spi, cpi = float(ev["spi"]), float(ev["cpi"])
    return Markdown(
        f"By the end of plan week {weeks(ev['as_of_week'])} ({ev['week']}) the baseline schedule planned"
        f" {ev['planned_hours']:.0f} hours of work; the work done is worth {ev['earned_hours']:.0f} hours at the"
        f" plan's most likely estimates (earned), and {ev['actual_hours']:.0f} hours were actually worked."
        f" In money: planned {_md_money(ev['planned_cost'], currency)}, earned {_md_money(ev['earned_cost'], currency)},"
        f" actual {_md_money(ev['actual_cost'], currency)} ({COST_BASIS.get(ev['actual_cost_basis'], ev['actual_cost_basis'])})."
        f" **SPI {_index(spi)}**: {_spi_phrase(spi)}; **CPI {_index(cpi)}**: {_cpi_phrase(cpi, currency)}."
    )


def earned_value_display(ev: pd.DataFrame, currency: str = "$") -> HtmlTable:
    """`evm.earned_value_table` formatted: one row per reported week."""
    out = pd.DataFrame(index=pd.Index(ev["week"].astype(str), name="week"))
    out["as of week"] = [weeks(w) for w in ev["as_of_week"]]
    for kind in ("planned", "earned", "actual"):
        out[f"{kind} h"] = [f"{h:,.0f}" for h in ev[f"{kind}_hours"]]
    for kind in ("planned", "earned", "actual"):
        out[f"{kind} cost"] = [money(c, currency) for c in ev[f"{kind}_cost"]]
    out["SPI"] = [_index(x) for x in ev["spi"]]
    out["CPI"] = [_index(x) for x in ev["cpi"]]
    return HtmlTable(out)


def fever_sentences(st) -> Markdown:
    """Where this week's point of the buffer fever chart lies, and what its zone means."""
    f = st.fever
    first = f.iloc[0]
    buffer_weeks = float(first["buffer_weeks"])
    chain_weeks = float(first["projected_finish_week"]) - float(first["buffer_consumed"]) * buffer_weeks
    size = (
        f"The project buffer is {buffer_weeks:.1f} weeks: the plan's {st.plan.buffer:.0%} of its"
        f" {chain_weeks:.1f}-week critical chain."
        if st.plan.buffer > 0
        else f"The project buffer is the {buffer_weeks:.1f}-week root-square-error buffer of the"
        f" {chain_weeks:.1f}-week critical chain."
    )
    if st.update is None:
        return Markdown(
            f"No actuals yet: the chart has the plan's point only (nothing done, no buffer consumed). {size}"
        )
    last = f.iloc[-1]
    consumed = float(last["buffer_consumed"])
    used = (
        f"the buffer is used up (**{consumed:.0%}** consumed)"
        if consumed >= 1
        else f"**{consumed:.0%} of the buffer is consumed**"
    )
    text = [
        size,
        f"As of {last['week']} the critical chain is **{last['chain_complete']:.0%} complete** and {used}:"
        f" with every remaining estimate at its most likely value (no risks, no calibration) the schedule"
        f" now ends in week {float(last['projected_finish_week']):.1f}, against"
        f" {chain_weeks + buffer_weeks:.1f} for the chain plus its buffer.",
        f"Zone **{last['zone']}**: {ZONE_MEANING.get(last['zone'], '')}.",
    ]
    if len(f) > 2:
        prev = f.iloc[-2]
        text.append(
            f"In {prev['week']} it was {prev['chain_complete']:.0%} complete, {prev['buffer_consumed']:.0%}"
            f" consumed ({prev['zone']})."
        )
    return Markdown(" ".join(text))

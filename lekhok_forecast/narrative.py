"""What the notebooks show: the forecast bundle, sentences with computed numbers, display tables.

A notebook calls `run_forecast` once and then displays what the functions here return:
`Markdown` text whose every number comes from the simulation (never typed), and small
tables of already formatted strings (rounded, with units), so stored outputs are short
and stable. Nothing here draws (see `lekhok_forecast.plots`) or simulates beyond
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

from .config import PROJ_ROOT
from .engine import SimulationResult, simulate
from .plan import Plan, week_label
from .summary import summary_dict

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
        `lekhok_forecast.summary.summary_dict` plus ``plan_file``: the same numbers (and
        keys) as ``lekhok-forecast simulate --json`` and the report's ``summary.json``.
    plan_file : str
        The plan path as shown in outputs.
    """

    plan: Plan
    result: SimulationResult
    summary: dict
    plan_file: str

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
    from .scenarios import load_plan_with_scenarios, resolve_scenario_path

    path = resolve_path(plan_path)
    scen = [resolve_scenario_path(s) if Path(s).suffix == "" else resolve_path(s) for s in scenarios]
    plan = load_plan_with_scenarios(path, scen)
    result = simulate(plan, trials, seed)
    summary = summary_dict(result)
    shown = display_path(path)
    summary["plan_file"] = shown
    return Forecast(plan, result, summary, shown)


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
    """

    frame: pd.DataFrame
    html_columns: tuple = ()

    def _repr_html_(self) -> str:
        plain_index = isinstance(self.frame.index, pd.RangeIndex) and self.frame.index.name is None
        df = self.frame.copy() if plain_index else self.frame.reset_index(names=self.frame.index.name or "")
        for col in df.columns:
            if col not in self.html_columns:
                df[col] = df[col].map(lambda v: html.escape(str(v)))
        df.columns = [html.escape(str(c)) for c in df.columns]
        # tex2jax_ignore: JupyterLab's MathJax would read "$15,781 / $18,353" as maths
        table = df.to_html(index=False, escape=False, border=0, classes="tex2jax_ignore")
        if len(df) <= KEEP_TOGETHER_ROWS:  # a short table is not split over two printed pages
            table = f'<div style="break-inside: avoid; page-break-inside: avoid">{table}</div>'
        return table

    def __repr__(self) -> str:
        plain = self.frame.map(lambda v: _strip_tags(str(v)))
        return plain.to_string()


def _strip_tags(text: str) -> str:
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", text))


def status_html(status: str) -> str:
    """A coloured dot and the word (``green``/``amber``/``red``) for HTML tables."""
    color = STATUS_COLORS.get(status, "#777777")
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
    parts.append(f"**80% confidence date.** We can be 80% confident of launching by "
                 f"**{week_and_date(plan, fw['p80'])}**; the median (P50) is {week_and_date(plan, fw['p50'])}.")
    if "buffer" in s:
        b = s["buffer"]
        parts.append(
            f"**Buffer.** The planned {b['buffer']:.0%} buffer ({weeks(b['baseline_weeks'])} to "
            f"{weeks(b['buffered_weeks'])} weeks) is enough in **{pct(b['p_within_buffer'])}** of trials; "
            f"80% confidence needs {_frac(b['needed_for_p80'])} and 90% needs {_frac(b['needed_for_p90'])}.")
    if "cost" in s:
        c = s["cost"]
        cur = c["currency"]
        text = f"**Spend forecast.** Total cost at launch: P50 **{_md_money(c['p50'], cur)}**, P90 {_md_money(c['p90'], cur)}"
        if "budget" in c:
            text += (f", against a budget of {_md_money(c['budget'], cur)}: a **{pct(c['p_within_budget'])}** chance "
                     "of staying within it")
        parts.append(text + ".")
    if "milestones" in s:
        ms = [f"{mid} {m['status']} ({pct(m['p_on_time'])} on time by week {weeks(m['target_week'])})"
              for mid, m in s["milestones"].items()]
        parts.append("**Milestones.** " + _join(ms) + ".")
    lead = (f"Status for **{week}** from the plan *{plan.name}*" if week else f"Forecast for *{plan.name}*")
    lead += f" ({fc.result.trials:,} Monte Carlo trials, seed {fc.result.seed})."
    if plan.start:
        lead += f" Weeks count from the plan's start on {plan.start:%A %Y-%m-%d} (week 0)."
    return Markdown(lead + "\n\n" + "\n\n".join(f"- {p}" for p in parts))


def _frac(f: float) -> str:
    return f"a {f:.0%} buffer" if f >= 0 else "no buffer"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def headline_table(fc: Forecast) -> HtmlTable:
    """The headline numbers as a two-column table (what, value), formatted."""
    s, plan = fc.summary, fc.plan
    rows = []
    for d, p in s["p_finish_by"].items():
        date = plan.date_of_week(float(d))
        rows.append((f"P(launch by week {d})" + (f", {date.isoformat()}" if date else ""), pct(p)))
    fw = s["finish_weeks"]
    rows.append(("P50 launch", week_and_date(plan, fw["p50"])))
    rows.append(("P80 launch", week_and_date(plan, fw["p80"])))
    if "buffer" in s:
        b = s["buffer"]
        rows.append((f"Confidence of the {b['buffer']:.0%} buffer ({weeks(b['buffered_weeks'])} weeks)",
                     pct(b["p_within_buffer"])))
        rows.append(("Buffer needed for 80% confidence", f"{b['needed_for_p80']:.0%}"))
    if "cost" in s:
        c = s["cost"]
        cur = c["currency"]
        rows.append(("Total cost P50 / P90", f"{money(c['p50'], cur)} / {money(c['p90'], cur)}"))
        if "budget" in c:
            rows.append((f"P(within the {money(c['budget'], cur)} budget)", pct(c["p_within_budget"])))
    return HtmlTable(pd.DataFrame(rows, columns=["headline", "value"]).set_index("headline"))


def milestone_display(milestones: pd.DataFrame, plan: Plan) -> HtmlTable:
    """Milestone traffic lights: target, chance on time, P80 week/date, status dot.

    Parameters
    ----------
    milestones : DataFrame
        `lekhok_forecast.schedule.milestone_table`.
    """
    rows = []
    for mid, m in milestones.iterrows():
        rows.append({"milestone": mid, "success criterion": str(m["name"]).replace("`", ""),
                     "target": week_and_date(plan, m["target_week"]), "on time": pct(m["p_on_time"]),
                     "P80": week_and_date(plan, m["p80_week"]), "status": status_html(m["status"])})
    return HtmlTable(pd.DataFrame(rows).set_index("milestone"), html_columns=("status",))


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
    out = pd.DataFrame({"task": d["name"].astype(str),
                        "criticality": d["criticality"].map(lambda c: "" if pd.isna(c) else pct(c)),
                        "sensitivity": d["sensitivity"].map(lambda r: f"{r:+.2f}")})
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
    rows = [("total, P50", money(s["p50"], cur)), ("total, P80", money(s["p80"], cur)),
            ("total, P90", money(s["p90"], cur)), ("total, mean", money(s["mean"], cur))]
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
    out = pd.DataFrame({"P10": [money(x, currency) for x in b["p10"]],
                        "P50": [money(x, currency) for x in b["p50"]],
                        "P90": [money(x, currency) for x in b["p90"]]}, index=[weeks(w) for w in b.index])
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
            when = (f"P80 finish week {weeks(row['P80 week'])}, {abs(dw):.1f} weeks "
                    f"{'earlier' if dw < 0 else 'later'} than the plan as written")
        text = f"- **{name}**: {when}"
        if "cost P50" in table:
            dc = row["cost P50"] - base["cost P50"]
            text += f"; P50 cost {_md_money(row['cost P50'], currency)}"
            text += (", the same" if abs(dc) < 0.5 else
                     f", {_md_money(abs(dc), currency)} {'more' if dc > 0 else 'less'}")
        if "buffer confidence" in table and abs(row["buffer confidence"] - base["buffer confidence"]) >= 0.0005:
            text += (f"; its buffer is enough in {pct(row['buffer confidence'])} of trials "
                     f"(plan as written: {pct(base['buffer confidence'])})")
        lines.append(text + ".")
    return Markdown("\n".join(lines))


def trials_note(result: SimulationResult) -> str:
    """``20,000 trials, seed 1`` for captions."""
    return f"{result.trials:,} trials, seed {result.seed}"


def mc_error_note(result: SimulationResult) -> Markdown:
    """How precise the percentages are at this trial count."""
    worst = 0.5 / np.sqrt(result.trials)
    return Markdown(f"With {result.trials:,} trials a probability is known to within about "
                    f"±{100 * 2 * worst:.1f} percentage points (two standard errors at 50%).")


def scenario_list(scenarios) -> Markdown:
    """The scenarios as a bullet list: name, description and file."""
    return Markdown("\n".join(f"- **{sc.name}** (`{Path(sc.path).name}`): {sc.description}" for sc in scenarios))


# ------------------------------------------------------------ section sentences

def schedule_sentences(fc: Forecast) -> Markdown:
    """The finish distribution in words: median, P80, spread and each deadline's odds."""
    s, plan = fc.summary, fc.plan
    fw = s["finish_weeks"]
    text = [f"The simulated plan finishes at the median (P50) in {week_and_date(plan, fw['p50'])}; "
            f"in 80% of trials by {week_and_date(plan, fw['p80'])} and in 90% by {week_and_date(plan, fw['p90'])}. "
            f"The middle 80% of outcomes spans weeks {weeks(fw['p10'])} to {weeks(fw['p90'])}."]
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
    return Markdown(f"Of {len(crit)} tasks, **{always}** are on the critical path in (nearly) every trial, "
                    f"{some} in some trials and {never} never. A workstream does its tasks one after "
                    "another, so whole chains of a workstream's tasks are critical together; the tornado "
                    "above says which of them move the finish most.")


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
        + (", which is why it is smaller than the simulation's 80% buffer." if rsem / base < b["needed_for_p80"]
           else "; here it is nevertheless at least the simulation's 80% buffer."))


def chain_display(plan: Plan, chain) -> HtmlTable:
    """The modal critical chain as a table: task, workstream, phase."""
    index = plan.task_index()
    rows = [{"task": plan.tasks[index[t]].name, "workstream": plan.tasks[index[t]].workstream or "(calendar time)",
             "phase": plan.tasks[index[t]].phase or ""} for t in chain]
    out = pd.DataFrame(rows)
    out.index = range(1, len(out) + 1)
    out.index.name = "step"
    return HtmlTable(out)


def cost_sentences(fc: Forecast, deadline: float | None = None) -> Markdown:
    """Total cost against the budget, and the joint chance of being on time and within budget."""
    c = fc.summary["cost"]
    cur = c["currency"]
    text = [f"The total cost at launch is {_md_money(c['p50'], cur)} at the median (P50) and {_md_money(c['p90'], cur)} "
            f"at P90 (mean {_md_money(c['mean'], cur)})."]
    if "budget" in c:
        text.append(f"The chance of staying within the {_md_money(c['budget'], cur)} budget is "
                    f"**{pct(c['p_within_budget'])}**.")
        if c["joint_p_by"]:
            joint = [f"{pct(p)} by week {d}" for d, p in c["joint_p_by"].items()]
            text.append("The chance of finishing on time *and* within budget is " + _join(joint) + ".")
    text.append("Cost and finish move together: the hourly engineering cost grows with the work done "
                "(risks included), the monthly cloud and tools costs with the weeks until launch.")
    return Markdown(" ".join(text))

"""The schedule in words and tables: finish distribution, deadlines, phases, milestones, drivers.

Each function takes a forecast or a table of `lekhok_forecast.analysis.schedule` /
`drivers` and returns `Markdown` or an `HtmlTable` of formatted strings; nothing here
computes beyond formatting.
"""

from __future__ import annotations

import math

import pandas as pd

from lekhok_forecast.analysis.drivers import criticality_counts
from lekhok_forecast.analysis.schedule import REACHED_ON_TIME, mc_standard_error, reached_status
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.present.display import ForecastLike, HtmlTable, Markdown, status_html
from lekhok_forecast.present.format import date_text, join_words, pct, week_and_date, weeks


def schedule_sentences(fc: ForecastLike) -> Markdown:
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
        text.append("Chance of finishing: " + join_words(odds) + ".")
    between = [f"between weeks {k.replace('-', ' and ')}: {pct(p)}" for k, p in s.get("p_between", {}).items()]
    if between:
        text.append("Finishing " + "; ".join(between) + ".")
    return Markdown(" ".join(text))


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


def milestone_display(milestones: pd.DataFrame, plan: Plan, reached: dict | None = None) -> HtmlTable:
    """Milestone traffic lights, one kind of value per column.

    Columns: success criterion, target (week and date), status (a traffic light, or
    ``reached on time`` / ``reached late``: the words of ``summary.json``), reached (the week it was
    reached, else empty), chance on time and P80 forecast (empty once reached).

    Parameters
    ----------
    milestones : DataFrame
        `lekhok_forecast.analysis.schedule.milestone_table`.
    reached : dict, optional
        Milestone id -> week it was reached (`tracking.WeeklyStatus.milestones_reached`).
    """
    reached = reached or {}
    rows = []
    for mid, m in milestones.iterrows():
        done = mid in reached
        word = reached_status(reached[mid], m["target_week"]) if done else str(m["status"])
        color = ("green" if word == REACHED_ON_TIME else "red") if done else None
        rows.append(
            {
                "milestone": mid,
                "success criterion": str(m["name"]).replace("`", ""),
                "target": week_and_date(plan, m["target_week"]),
                "status": status_html(word, color),
                "reached": week_and_date(plan, reached[mid]) if done else "",
                "chance on time": "" if done else pct(m["p_on_time"]),
                "P80 forecast": "" if done else week_and_date(plan, m["p80_week"]),
            }
        )
    if not rows:  # a plan without milestones: one row that says so, never an error in a report
        return HtmlTable(
            pd.DataFrame({"milestone": ["none"], "success criterion": ["the plan has no milestones"]}).set_index(
                "milestone"
            )
        )
    return HtmlTable(
        pd.DataFrame(rows).set_index("milestone"),
        html_columns=("status",),
        right_columns=("chance on time",),
        nowrap_columns=("target", "reached", "P80 forecast", "status"),
    )


def driver_display(drivers: pd.DataFrame, top: int = 10) -> HtmlTable:
    """`drivers.driver_table` formatted: the top rows (tasks, capacities, risks) with their
    sensitivity, a task's criticality, and a risk's fire rate and mean delay when it fires."""
    d = drivers.head(top)
    kind = d["kind"] if "kind" in d else pd.Series("task", index=d.index)
    fire = d["fire_rate"] if "fire_rate" in d else pd.Series(float("nan"), index=d.index)
    delay = d["mean_delay_weeks"] if "mean_delay_weeks" in d else pd.Series(float("nan"), index=d.index)
    out = pd.DataFrame(
        {
            "driver": d["name"].astype(str),
            "kind": kind.astype(str),
            "sensitivity": d["sensitivity"].map(lambda r: f"{r:+.2f}"),
            "criticality": d["criticality"].map(lambda c: "" if pd.isna(c) else pct(c)),
            "fires": fire.map(lambda p: "" if pd.isna(p) else pct(p)),
            "delay when it fires": delay.map(lambda w: "" if pd.isna(w) else f"{w:+.1f} weeks"),
        }
    )
    if not (kind == "risk").any():
        out = out.drop(columns=["fires", "delay when it fires"])
    out.index = range(1, len(out) + 1)
    out.index.name = "rank"
    return HtmlTable(
        out, right_columns=("sensitivity", "criticality", "fires"), nowrap_columns=("delay when it fires",)
    )


def criticality_sentence(drivers: pd.DataFrame) -> Markdown:
    """How many tasks are always, sometimes and never on the critical path."""
    n = criticality_counts(drivers)
    return Markdown(
        f"Of {sum(n.values())} tasks, **{n['always']}** are on the critical path in (nearly) every trial, "
        f"{n['sometimes']} in some trials and {n['never']} never. A workstream does its tasks one after "
        "another, so whole chains of a workstream's tasks are critical together; the tornado "
        "above says which of them move the finish most."
    )


def trials_note(result: SimulationResult) -> str:
    """``20,000 trials, seed 1`` for captions."""
    return f"{result.trials:,} trials, seed {result.seed}"


def mc_error_note(result: SimulationResult) -> Markdown:
    """How precise the percentages are at this trial count."""
    worst = mc_standard_error(0.5, result.trials)  # the largest standard error: at 50%
    return Markdown(
        f"With {result.trials:,} trials a probability is known to within about "
        f"±{100 * 2 * worst:.1f} percentage points (two standard errors at 50%)."
    )

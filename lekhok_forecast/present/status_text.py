"""Page one of the weekly status: the headline sentences and table, the basis, the week's movement.

Each function takes a forecast (`lekhok_forecast.app.forecast.run_forecast` or
`run_weekly_forecast`) and formats what it already holds; nothing here simulates or
analyses. Without actuals the sentences say so plainly.
"""

from __future__ import annotations

import pandas as pd

from lekhok_forecast.config import display_path
from lekhok_forecast.core.actuals import Status
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.present.display import ForecastLike, HtmlTable, Markdown
from lekhok_forecast.present.format import (
    index_text,
    join_words,
    last_day,
    md_money,
    money,
    pct,
    plural,
    week_and_date,
    weeks,
)

#: How the forecasts of the weekly report are labelled in tables (`Forecast.summary["forecasts"]` keys).
FORECAST_LABELS = {
    "plan": "plan (week 0)",
    "uncalibrated": "re-forecast, uncalibrated",
    "calibrated": "re-forecast, calibrated",
}


def headline(fc: ForecastLike, week: str | None = None) -> Markdown:
    """Page one's answer in a few lines, every number computed; the basis follows it.

    In order: the chance by each deadline, the 80% confidence date, the change since the
    previous actuals and its biggest cause, buffer and spend status, milestones; then the
    basis paragraph (which actuals, calibration). Status words are ``summary.json``'s.

    Parameters
    ----------
    fc : ForecastLike
        From `lekhok_forecast.app.forecast.run_forecast` or `run_weekly_forecast`.
    week : str, optional
        ISO week the report is for (``2025-W06``), named in the closing lead.
    """
    s, plan = fc.summary, fc.plan
    fw = s["finish_weeks"]
    parts = []
    if s["p_finish_by"]:
        odds = [f"**{pct(p)}** by {week_and_date(plan, float(d))}" for d, p in s["p_finish_by"].items()]
        parts.append("**Launch odds.** The chance of launching is " + join_words(odds) + ".")
    parts.append(
        f"**80% confidence date: {week_and_date(plan, fw['p80'])}**; the median (P50) is"
        f" {week_and_date(plan, fw['p50'])}."
    )
    since = since_last_week(fc)
    if since:
        parts.append(since)
    if "buffer" in s:
        b = s["buffer"]
        text = (
            f"**Buffer.** The plan's {b['buffer']:.0%} buffer ({weeks(b['baseline_weeks'])} to "
            f"{weeks(b['buffered_weeks'])} weeks) is enough in **{pct(b['p_within_buffer'])}** of trials; "
            f"80% confidence needs {_frac(b['needed_for_p80'])} and 90% needs {_frac(b['needed_for_p90'])}."
        )
        zone = _fever_zone(fc)
        if zone:
            text += f" Fever chart (the critical-chain buffer, see the last page): **{zone}**."
        parts.append(text)
    if "cost" in s:
        c = s["cost"]
        cur = c["currency"]
        text = f"**Spend forecast.** Total cost at launch: P50 **{md_money(c['p50'], cur)}**, P90 {md_money(c['p90'], cur)}"
        if "budget" in c:
            text += (
                f", against a budget of {md_money(c['budget'], cur)}: a **{pct(c['p_within_budget'])}** chance "
                "of staying within it"
            )
        text += "."
        ev = _earned_value(fc)
        if ev:
            text += " " + ev
        parts.append(text)
    if "milestones" in s:
        ms = [_milestone_words(mid, m) for mid, m in s["milestones"].items()]
        parts.append("**Milestones.** " + join_words(ms) + ".")
    lead = f"Status for **{week}** from the plan *{plan.name}*" if week else f"Forecast for *{plan.name}*"
    lead += f" ({fc.result.trials:,} Monte Carlo trials, seed {fc.result.seed})."
    if plan.start:
        lead += f" Weeks count from the plan's start on {plan.start:%A %Y-%m-%d} (week 0)."
    basis = status_basis(fc)
    tail = lead + ("\n\n" + basis if basis else "")
    return Markdown("\n\n".join(f"- {p}" for p in parts) + "\n\n" + tail)


def _fever_zone(fc: ForecastLike) -> str:
    """This week's fever chart zone (empty without actuals or without a buffer)."""
    st = fc.status
    if st is None or st.update is None or not len(st.fever):
        return ""
    return str(st.fever.iloc[-1]["zone"])


def _earned_value(fc: ForecastLike) -> str:
    """``Earned value: SPI 0.85 (schedule), CPI 0.82 (cost).`` (empty without actuals)."""
    st = fc.status
    if st is None or st.update is None or not len(st.earned_value):
        return ""
    ev = st.earned_value.iloc[-1]
    return f"Earned value: SPI {index_text(ev['spi'])} (schedule), CPI {index_text(ev['cpi'])} (cost)."


def _milestone_words(mid: str, m: dict) -> str:
    """``M2 green (82% on time by week 4)``, or ``M1 reached late (week 2.1, target 2)``.

    The status word is ``summary.json``'s (`m["status"]`).
    """
    if "reached_week" in m:
        return f"{mid} {m['status']} (week {weeks(m['reached_week'])}, target {weeks(m['target_week'])})"
    return f"{mid} {m['status']} ({pct(m['p_on_time'])} on time by week {weeks(m['target_week'])})"


def _frac(f: float) -> str:
    if f < 0:
        return "no buffer"
    share = f"{f:.0%}"
    # "an 8%", "an 11%", "an 18%", "an 80%": said with a vowel first
    an = share.startswith("8") or share[:-1] in ("11", "18")
    return f"{'an' if an else 'a'} {share} buffer"


def headline_table(fc: ForecastLike) -> HtmlTable:
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


def status_basis(fc: ForecastLike) -> str:
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
    day = last_day(plan, a.as_of_week)
    as_of = f"the end of plan week {weeks(a.as_of_week)}" + (f" ({day})" if day else "")
    state = f"{a.count(Status.DONE)} of {len(plan.tasks)} tasks were done and {a.count(Status.IN_PROGRESS)} in progress"
    if a.spend:
        state += f", with spend reported for {len(a.spend)} of {plural(len(plan.costs), 'cost item')}"
    file = display_path(r.actuals_path) if r.actuals_path is not None else ""
    if r.stale:
        text = (
            f"**No actuals for {r.week}.** The latest are from **{r.actuals_week}** (`{file}`),"
            f" {plural(r.weeks_stale, 'week')} earlier. The numbers below are re-forecast as of {as_of},"
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


def since_last_week(fc: ForecastLike) -> str:
    """A bullet for page one: how P80 moved since the previous actuals, and its biggest cause
    with what changed and the team's note on it. Empty without actuals."""
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
            text += f"; the biggest cause: {_change_label(top)}, {float(top['p80_effect_weeks']):+.2f} weeks"
            if top["detail"]:
                text += f" ({top['detail']}"
                note = _task_note(fc, str(top["task"]))
                text += f"; the team notes: “{note}”)" if note else ")"
    return text + "."


def _task_note(fc: ForecastLike, task: str) -> str:
    """The actuals file's note on `task` this week (empty if none)."""
    st = fc.status
    if st is None or st.update is None:
        return ""
    row = st.update.actuals.by_task().get(task)
    return row.notes.strip() if row is not None and row.notes else ""

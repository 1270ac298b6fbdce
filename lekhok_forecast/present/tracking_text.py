"""The weekly report's tracking sections in words and tables: history, what changed, earned value, fever chart.

Each function takes the weekly status (`Forecast.status`, a tracking ``WeeklyStatus``) or
one of its tables and formats what tracking computed; without actuals it says so plainly.
"""

from __future__ import annotations

import math

import pandas as pd

from lekhok_forecast.present.display import HtmlTable, Markdown
from lekhok_forecast.present.format import index_text, md_money, money, pct, plural, weeks
from lekhok_forecast.tracking.fever import ChainBuffer
from lekhok_forecast.tracking.status import WeeklyStatus

ZONE_MEANING = {
    "green": "the buffer is being used no faster than the chain's work gets done; no action needed",
    "yellow": "the buffer is being used faster than it should; watch it and plan what to do if it gets worse",
    "red": "the buffer is being eaten much faster than the chain's work gets done; act now (cut or defer"
    " scope, add capacity, or move the date)",
}


def history_sentences(st: WeeklyStatus) -> Markdown:
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
        f"The forecast as of the plan's start and {plural(len(reported), 'reported week')}"
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
    """`lekhok_forecast.tracking.history.cone_frame` formatted: one row per week (the plan first), finish weeks and odds."""
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


def what_changed_sentences(st: WeeklyStatus) -> Markdown:
    """What changed between the previous actuals and these, and how far it moved the P80."""
    if st.update is None:
        return Markdown("No actuals yet: nothing to compare with the plan.")
    u = st.update
    wc = st.what_changed
    since = u.previous.week or "the plan's start"
    tasks = wc[~wc["task"].astype(str).str.startswith("(")]
    before, after = float(wc["p80_before"].iloc[0]), float(wc["p80_after"].iloc[-1])
    text = [f"Between {since} and {u.week}, {plural(len(tasks), 'task')} changed."]
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
    """`lekhok_forecast.tracking.what_changed.what_changed` formatted: what, how, the detail and its effect on P80 (weeks)."""
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


def earned_value_sentences(st: WeeklyStatus, currency: str = "$") -> Markdown:
    """Planned, earned and actual hours and cost to date, and what SPI and CPI say."""
    if st.update is None or not len(st.earned_value):
        return Markdown("No actuals yet: nothing planned, earned or spent to compare.")
    ev = st.earned_value.iloc[-1]
    spi, cpi = float(ev["spi"]), float(ev["cpi"])
    return Markdown(
        f"By the end of plan week {weeks(ev['as_of_week'])} ({ev['week']}) the baseline schedule planned"
        f" {ev['planned_hours']:.0f} hours of work; the work done is worth {ev['earned_hours']:.0f} hours at the"
        f" plan's most likely estimates (earned), and {ev['actual_hours']:.0f} hours were actually worked."
        f" In money: planned {md_money(ev['planned_cost'], currency)}, earned {md_money(ev['earned_cost'], currency)},"
        f" actual {md_money(ev['actual_cost'], currency)} ({COST_BASIS.get(ev['actual_cost_basis'], ev['actual_cost_basis'])})."
        f" **SPI {index_text(spi)}**: {_spi_phrase(spi)}; **CPI {index_text(cpi)}**: {_cpi_phrase(cpi, currency)}."
    )


def earned_value_display(ev: pd.DataFrame, currency: str = "$") -> HtmlTable:
    """`lekhok_forecast.tracking.earned_value.earned_value_table` formatted: one row per reported week."""
    out = pd.DataFrame(index=pd.Index(ev["week"].astype(str), name="week"))
    out["as of week"] = [weeks(w) for w in ev["as_of_week"]]
    for kind in ("planned", "earned", "actual"):
        out[f"{kind} h"] = [f"{h:,.0f}" for h in ev[f"{kind}_hours"]]
    for kind in ("planned", "earned", "actual"):
        out[f"{kind} cost"] = [money(c, currency) for c in ev[f"{kind}_cost"]]
    out["SPI"] = [index_text(x) for x in ev["spi"]]
    out["CPI"] = [index_text(x) for x in ev["cpi"]]
    return HtmlTable(out)


def no_buffer_sentence() -> str:
    """Why there is no fever chart: the project buffer is 0 weeks."""
    return (
        "No buffer fever chart: the project buffer is 0 weeks (the plan sets no `buffer`, and its critical"
        " chain's estimates are fixed, so the root-square-error buffer is 0 too), so there is no buffer to"
        " consume. Give the plan a `buffer:` (e.g. 0.2) or ranges for its estimates to track one."
    )


def fever_sentences(st: WeeklyStatus, chain: ChainBuffer) -> Markdown:
    """Where this week's point of the buffer fever chart lies, and what its zone means.

    Parameters
    ----------
    st : WeeklyStatus
        Its ``fever`` table (fractions) gives the points.
    chain : ChainBuffer
        The critical chain and project buffer the chart is measured against (weeks):
        `lekhok_forecast.tracking.fever.chain_buffer` of the plan, as the fever table used.
    """
    f = st.fever
    if not chain.has_buffer or not len(f):
        return Markdown(no_buffer_sentence())
    size = (
        f"The fever chart measures a critical-chain project buffer, a different thing from the plan's buffer on"
        f" its baseline: {chain.buffer_weeks:.1f} weeks, the plan's {st.plan.buffer:.0%} applied to its"
        f" {chain.chain_weeks:.1f}-week modal critical chain (every task at its most likely effort, no risks)."
        if st.plan.buffer > 0
        else f"The fever chart measures a critical-chain project buffer: the {chain.buffer_weeks:.1f}-week"
        f" root-square-error buffer of the {chain.chain_weeks:.1f}-week modal critical chain."
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
        f" {chain.buffered_end_week:.1f} for the chain plus its buffer.",
        f"Zone **{last['zone']}**: {ZONE_MEANING.get(last['zone'], '')}.",
    ]
    if len(f) > 2:
        prev = f.iloc[-2]
        text.append(
            f"In {prev['week']} it was {prev['chain_complete']:.0%} complete, {prev['buffer_consumed']:.0%}"
            f" consumed ({prev['zone']})."
        )
    return Markdown(" ".join(text))

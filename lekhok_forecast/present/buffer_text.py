"""The buffer in words and tables: the planned buffer's confidence, buffer sizes, the critical chain."""

from __future__ import annotations

import pandas as pd

from lekhok_forecast.core.plan import Plan
from lekhok_forecast.present.display import ForecastLike, HtmlTable, Markdown
from lekhok_forecast.present.format import pct, weeks


def buffer_sentences(fc: ForecastLike) -> Markdown:
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
        f"(RSEM) sizes a different kind of buffer, one for the modal critical chain: {rsem:.1f} weeks, shown "
        f"here as {rsem / base:.0%} of the baseline for comparison; it looks at one chain at modal capacity and "
        "leaves out the risks and the uncertain team hours"
        + (
            ", which is why it is smaller than the simulation's 80% buffer."
            if rsem / base < b["needed_for_p80"]
            else "; here it is nevertheless at least the simulation's 80% buffer."
        )
    )


def buffer_display(table: pd.DataFrame) -> HtmlTable:
    """`buffers.buffer_table` formatted: each buffer as % and weeks, with its confidence."""
    out = pd.DataFrame(index=table.index)
    out["buffer"] = table["fraction"].map(lambda f: f"{f:.0%}")
    out["buffer weeks"] = table["buffer_weeks"].map(lambda w: f"{w:.1f}")
    out["total weeks"] = table["total_weeks"].map(lambda w: f"{w:.1f}")
    out["confidence"] = table["confidence"].map(pct)
    out.index.name = "buffer sized"
    return HtmlTable(out)


def chain_display(plan: Plan, chain) -> HtmlTable:
    """The modal critical chain as a table: task, workstream and (for a plan with phases) phase."""
    index = plan.task_index()
    rows = [
        {
            "task": plan.tasks[index[t]].name,
            "workstream": plan.tasks[index[t]].workstream or "(calendar time)",
            **({"phase": plan.tasks[index[t]].phase or ""} if plan.phases else {}),
        }
        for t in chain
    ]
    out = pd.DataFrame(rows)
    out.index = range(1, len(out) + 1)
    out.index.name = "step"
    return HtmlTable(out)

"""The budget in words and tables: total cost, the budget, spend by week, on time and within budget."""

from __future__ import annotations

import pandas as pd

from lekhok_forecast.analysis.budget import cost_item_means
from lekhok_forecast.present.display import ForecastLike, HtmlTable, Markdown
from lekhok_forecast.present.format import join_words, md_money, money, pct, weeks


def cost_sentences(fc: ForecastLike, deadline: float | None = None) -> Markdown:
    """Total cost against the budget, and the joint chance of being on time and within budget."""
    c = fc.summary["cost"]
    cur = c["currency"]
    text = [
        f"The total cost at launch is {md_money(c['p50'], cur)} at the median (P50) and {md_money(c['p90'], cur)} "
        f"at P90 (mean {md_money(c['mean'], cur)})."
    ]
    if "budget" in c:
        text.append(
            f"The chance of staying within the {md_money(c['budget'], cur)} budget is **{pct(c['p_within_budget'])}**."
        )
        if c["joint_p_by"]:
            joint = [f"{pct(p)} by week {d}" for d, p in c["joint_p_by"].items()]
            text.append("The chance of finishing on time *and* within budget is " + join_words(joint) + ".")
    text.append(
        "Cost and finish move together: the hourly engineering cost grows with the work done "
        "(risks included), the monthly cloud and tools costs with the weeks until launch."
    )
    return Markdown(" ".join(text))


def cost_display(fc: ForecastLike) -> HtmlTable:
    """Total cost percentiles and the mean of each cost item, formatted."""
    s = fc.summary["cost"]
    cur = s["currency"]
    rows = [
        ("total, P50", money(s["p50"], cur)),
        ("total, P80", money(s["p80"], cur)),
        ("total, P90", money(s["p90"], cur)),
        ("total, mean", money(s["mean"], cur)),
    ]
    item_means = cost_item_means(fc.result)
    for c in fc.plan.costs:
        rows.append((f"{c.name}, mean", money(item_means[c.id], cur)))
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

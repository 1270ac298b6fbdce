"""Scenarios in words and tables: the comparison with the plan as written, the list of overlays."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lekhok_forecast.present.display import HtmlTable, Markdown
from lekhok_forecast.present.format import md_money, money, pct, weeks


def scenario_display(table: pd.DataFrame, currency: str = "$") -> HtmlTable:
    """`lekhok_forecast.analysis.compare.scenario_table` formatted for reading."""
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


def scenario_sentences(
    table: pd.DataFrame, baseline: str, currency: str = "$", reference: str = "the plan as written"
) -> Markdown:
    """One sentence per scenario: its P80 finish and cost P50 against the unchanged plan.

    Parameters
    ----------
    table : DataFrame
        `lekhok_forecast.analysis.compare.scenario_table`.
    baseline : str
        The row of the unchanged plan the scenarios are compared with.
    currency : str
    reference : str
        How the sentences name that row (``the plan as written``, ``the plan now``).
        Rows above `baseline` (the plan at week 0) are not scenarios and get no sentence.
    """
    base = table.loc[baseline]
    lines = []
    rows = list(table.index)
    for name, row in table.iloc[rows.index(baseline) + 1 :].iterrows():
        dw = row["P80 week"] - base["P80 week"]
        if abs(dw) < 0.05:
            when = f"P80 finish week {weeks(row['P80 week'])}, the same as {reference}"
        else:
            when = (
                f"P80 finish week {weeks(row['P80 week'])}, {abs(dw):.1f} weeks "
                f"{'earlier' if dw < 0 else 'later'} than {reference}"
            )
        text = f"- **{name}**: {when}"
        if "cost P50" in table:
            dc = row["cost P50"] - base["cost P50"]
            text += f"; P50 cost {md_money(row['cost P50'], currency)}"
            text += ", the same" if abs(dc) < 0.5 else f", {md_money(abs(dc), currency)} {'more' if dc > 0 else 'less'}"
        if "buffer confidence" in table and abs(row["buffer confidence"] - base["buffer confidence"]) >= 0.0005:
            text += (
                f"; its buffer is enough in {pct(row['buffer confidence'])} of trials "
                f"({reference}: {pct(base['buffer confidence'])})"
            )
        lines.append(text + ".")
    return Markdown("\n".join(lines))


def scenario_list(scenarios) -> Markdown:
    """The scenarios as a bullet list: name, description and file."""
    return Markdown("\n".join(f"- **{sc.name}** (`{Path(sc.path).name}`): {sc.description}" for sc in scenarios))

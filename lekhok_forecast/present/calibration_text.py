"""Sentences and tables about how honest the forecasts have been (a backtest's scores)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lekhok_forecast.analysis.scoring import PIT_CRITICAL, Coverage
from lekhok_forecast.present.display import HtmlTable, Markdown
from lekhok_forecast.tracking.backtest import MIN_WINDOWS_FOR_HONESTY, BacktestResult


def _verdict(c: Coverage) -> str:
    lo, hi = c.nominal_interval
    if c.honest:
        return "as an honest forecast would"
    return "too many: forecasts too high" if c.covered > hi else "too few: forecasts too low"


def honesty_sentences(result: BacktestResult, what: str = "done task") -> Markdown:
    """How often outcomes fell within the forecasts' P50 and P80, in words.

    Parameters
    ----------
    result : BacktestResult
        A replay of finished work (`lekhok_forecast.tracking.backtest.project_backtest`).
    what : str
        What one window forecast, for the sentence ("done task").
    """
    s = result.scores
    if s.windows < MIN_WINDOWS_FOR_HONESTY:
        return Markdown(
            f"Too little history to judge yet: {s.windows} {what}{'s' if s.windows != 1 else ''} could be"
            f" forecast from earlier ones (this section needs {MIN_WINDOWS_FOR_HONESTY})."
        )
    p50, p80 = s.coverage[0], s.coverage[1]
    evidence = "every one done before it" if result.expanding else f"the {result.history} done before it"
    text = (
        f"The {s.windows} {what}s after the first {result.history} were each forecast, with the calibration"
        f" ({result.method}), from {evidence}, and compared with the hours they really took."
        f" {p50.covered:.0%} took no more than their forecast's P50 ({_verdict(p50)}: {p50.nominal_interval[0]:.0%}"
        f" to {p50.nominal_interval[1]:.0%} with {s.windows} tasks), and {p80.covered:.0%} no more than its P80"
        f" ({_verdict(p80)}: {p80.nominal_interval[0]:.0%} to {p80.nominal_interval[1]:.0%})."
    )
    flat = s.pit_chi_square < PIT_CRITICAL
    text += (
        f" The PIT histogram's chi-square against flat is {s.pit_chi_square:.1f}"
        f" ({'below' if flat else 'above'} the 5% critical value {PIT_CRITICAL:.1f})."
    )
    if s.pinball_estimates > 0:
        better = s.pinball < s.pinball_estimates
        text += (
            f" Scored by pinball loss the forecasts were {abs(s.pinball_skill):.0%}"
            f" {'better' if better else 'worse'} than taking each estimate as it stands."
        )
    return Markdown(text)


def reliability_display(result: BacktestResult) -> HtmlTable:
    """One row per forecast quantile: share of outcomes at or below it, its interval and the honest range."""
    rows = []
    for c in result.scores.reliability:
        rows.append(
            {
                "quantile": f"P{round(c.level * 100)}",
                "outcomes at or below": f"{c.covered:.0%}",
                "95% interval": f"{c.interval[0]:.0%}-{c.interval[1]:.0%}",
                "an honest forecast": f"{c.nominal_interval[0]:.0%}-{c.nominal_interval[1]:.0%}",
            }
        )
    frame = pd.DataFrame(rows, columns=["quantile", "outcomes at or below", "95% interval", "an honest forecast"])
    return HtmlTable(frame.set_index("quantile"), right_columns=("outcomes at or below",))


def honesty_section(result: BacktestResult) -> Markdown:
    """The weekly report's "How honest have our forecasts been" paragraph, with its heading.

    Empty (nothing shown) until the replay has `MIN_WINDOWS_FOR_HONESTY` windows.
    """
    if result.scores.windows < MIN_WINDOWS_FOR_HONESTY:
        return Markdown("")
    return Markdown("## How honest have our forecasts been\n\n" + honesty_sentences(result).text)


def methods_display(results: Sequence[BacktestResult]) -> HtmlTable:
    """One row per calibration method: windows, coverage of P50/P80/P90, PIT chi-square, pinball loss.

    A coverage outside the range an honest forecast shows with that many windows is marked ``*``.
    """
    rows = []
    for r in results:
        s = r.scores
        cells = {"method": r.method, "windows": f"{s.windows:,}"}
        for c in s.coverage:
            cells[f"P{round(c.level * 100)}"] = f"{c.covered:.2f}{'' if c.honest else '*'}"
        cells["PIT chi-square"] = f"{s.pit_chi_square:.1f}{'' if s.pit_chi_square < PIT_CRITICAL else '*'}"
        cells["pinball"] = f"{s.pinball:.3f}"
        cells["sum of estimates"] = f"{s.pinball_estimates:.3f}"
        rows.append(cells)
    frame = pd.DataFrame(rows)
    return HtmlTable(frame.set_index("method"), right_columns=tuple(c for c in frame.columns if c != "method"))


def section_heading(text: str) -> Markdown:
    """A section heading (``## text``) for a section shown only when it has data."""
    return Markdown(f"## {text}")


def pit_note() -> Markdown:
    """The PIT histogram's heading and how to read it."""
    return Markdown(
        "## Where the outcomes fell in their forecasts\n\n"
        "The PIT of an outcome is the forecast's probability of a smaller one. Honest forecasts spread the"
        " PITs evenly over the ten bins; a U shape means forecasts too narrow, a hump in the middle too"
        " wide, a slope a biased median."
    )


def methods_note() -> Markdown:
    """The methods table's heading and what its columns mean."""
    return Markdown(
        "## The calibration methods side by side\n\n"
        "The same replay with each method the re-forecast can use (`resample`: each remaining task scaled"
        " by one done task's ratio, drawn at random; `level`: plus one factor per trial shared by all;"
        " `size`: ratios that depend on the task's size; `size-smooth`: half the size effect, smoothed"
        " ratios and the shared factor; `size-prior`, the default: the same with thin evidence shrunk toward"
        " the plan's estimates; `workstream`: that, with each workstream's level shrunk toward the pooled"
        " one). `*`: outside the range an honest forecast shows with this"
        " many tasks. Pinball loss: lower is better, on the scale of each task's estimate; the last column"
        " scores the estimate itself. How the methods fare on tens of thousands of real tasks of other"
        " teams is in `benchmarks/BACKTEST.md`."
    )

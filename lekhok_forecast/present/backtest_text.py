"""The backtest as text: coverage, PIT histogram and pinball loss of one replay."""

from __future__ import annotations

from lekhok_forecast.analysis.scoring import PIT_CRITICAL
from lekhok_forecast.tracking.backtest import BacktestResult


def backtest_text(result: BacktestResult, file: str) -> str:
    """A few lines for the terminal (formats `result`; computes nothing new)."""
    s = result.scores
    by = f"by {result.by}" if result.by else "all tasks as one group"
    lines = [
        f"Backtest of {file} ({by}): {result.history} done tasks forecast the total of the next {result.horizon};"
        f" method {result.method}, {result.trials:,} trials, seed {result.seed}.",
        f"Windows: {s.windows:,} from {result.groups} group{'s' if result.groups != 1 else ''}"
        + (
            f" ({result.groups_skipped} with fewer than {result.history + result.horizon} tasks skipped)."
            if result.groups_skipped
            else "."
        ),
    ]
    if s.windows == 0:
        lines.append("No window to score: every group has fewer tasks than history + horizon.")
        return "\n".join(lines)
    for c in s.coverage:
        lo, hi = c.nominal_interval
        verdict = "honest" if c.honest else ("too high" if c.covered > hi else "too low")
        lines.append(
            f"  P{round(c.level * 100)} covered {c.covered:.3f} (95% CI {c.interval[0]:.3f}-{c.interval[1]:.3f});"
            f" an honest forecast: {lo:.3f}-{hi:.3f}: {verdict}"
        )
    flat = "flat" if s.pit_chi_square < PIT_CRITICAL else "not flat"
    lines.append(f"  PIT histogram (10 bins, 0 to 1): {' '.join(str(c) for c in s.pit_counts)}")
    lines.append(f"  PIT chi-square against flat {s.pit_chi_square:.1f} (5% critical value {PIT_CRITICAL:.1f}): {flat}")
    lines.append(
        f"  Pinball loss {s.pinball:.4f} vs {s.pinball_estimates:.4f} for the plain sum of estimates"
        f" (skill {s.pinball_skill:+.1%}; scale: each window's sum of estimates)"
    )
    return "\n".join(lines)

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
    clustered = result.groups > 1
    for c in s.coverage:
        lo, hi = c.clustered_interval if clustered else c.nominal_interval
        honest = c.honest_clustered if clustered else c.honest
        verdict = "honest" if honest else ("too high" if c.covered > hi else "too low")
        allowing = (
            f" (allowing for windows of one group alike, design effect {c.design_effect:.2f})" if clustered else ""
        )
        lines.append(
            f"  P{round(c.level * 100)} covered {c.covered:.3f} (95% CI {c.interval[0]:.3f}-{c.interval[1]:.3f});"
            f" an honest forecast{allowing}: {lo:.3f}-{hi:.3f}: {verdict}"
        )
    chi2 = s.pit_chi_square_clustered if clustered else s.pit_chi_square
    flat = "flat" if chi2 < PIT_CRITICAL else "not flat"
    lines.append(f"  PIT histogram (10 bins, 0 to 1): {' '.join(str(c) for c in s.pit_counts)}")
    corrected = f", {chi2:.1f} after the groups' design effect {s.pit_design_effect:.2f}" if clustered else ""
    lines.append(
        f"  PIT chi-square against flat {s.pit_chi_square:.1f}{corrected}"
        f" (5% critical value {PIT_CRITICAL:.1f}): {flat}"
    )
    lines.append(
        f"  Pinball loss {s.pinball:.4f} vs {s.pinball_estimates:.4f} for the plain sum of estimates"
        f" (skill {s.pinball_skill:+.1%}; scale: each window's sum of estimates)"
    )
    return "\n".join(lines)

"""A sweep's rows (`lekhok_forecast.analysis.sweep.evaluate_job`) as a plain-text table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lekhok_forecast.present.format import money, pct, weeks

#: Column heading and formatter of each row key, in table order (keys a sweep lacks are left out).
_COLUMNS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("plan", "plan", str),
    ("scenario", "scenario", str),
    ("capacity", "capacity", lambda m: f"{m:g}x"),
    ("scope", "deferred", str),
    ("buffer", "buffer", lambda f: f"{100 * f:.4g}%"),
    ("buffered_weeks", "buffered wk", weeks),
    ("p_within_buffer", "P(within)", pct),
    ("by_week", "by week", weeks),
    ("p_by", "P(by)", pct),
    ("p50", "P50 wk", lambda w: f"{w:.1f}"),
    ("p80", "P80 wk", lambda w: f"{w:.1f}"),
    ("cost_p50", "cost P50", lambda c: "-" if c is None else money(c, "")),
)


def sweep_table(rows: Sequence[dict[str, Any]]) -> str:
    """One line per row under a heading; text columns left-aligned, numbers right-aligned.

    ``by week`` is a column only when the rows differ in it; otherwise the heading line
    above the table says it, e.g. ``P(by) is P(finish <= week 14)``.
    """
    if not rows:
        return "(no points)"
    weeks_used = {r["by_week"] for r in rows}
    cols = [c for c in _COLUMNS if c[0] in rows[0] and (c[0] != "by_week" or len(weeks_used) > 1)]
    cells = [[fmt(r[key]) for key, _, fmt in cols] for r in rows]
    heads = [head for _, head, _ in cols]
    width = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(heads)]
    text_cols = {"plan", "scenario"}

    def line(values: list[str]) -> str:
        out = [v.ljust(width[i]) if cols[i][0] in text_cols else v.rjust(width[i]) for i, v in enumerate(values)]
        return "  ".join(out).rstrip()

    lines = []
    if len(weeks_used) == 1:
        lines.append(f"P(by) is P(finish <= week {weeks(next(iter(weeks_used)))})")
    lines.append(line(heads))
    lines.extend(line(c) for c in cells)
    return "\n".join(lines)

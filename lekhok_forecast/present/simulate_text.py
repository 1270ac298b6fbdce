"""`lekhok-forecast simulate` in words: the summary dict as lines of text (no computing)."""

from __future__ import annotations


def summary_text(s: dict) -> str:
    """The readable form of a `summary_dict` (``lekhok-forecast simulate`` without ``--json``)."""
    fw = s["finish_weeks"]
    lines = [f"{s['plan']}  ({s['trials']:,} trials, seed {s['seed']})", ""]
    dates = s.get("finish_dates", {})
    lines.append("Finish (weeks from start)")
    lines.append(f"  mean {fw['mean']:.1f} +/- {fw['std']:.1f}")
    for key in ("p10", "p50", "p80", "p90", "p95"):
        d = f"  {dates[key]}" if key in dates else ""
        lines.append(f"  {key.upper():>4} {fw[key]:6.1f}{d}")
    if s["p_finish_by"]:
        lines.append("Chance of finishing by")
        for week, p in s["p_finish_by"].items():
            lines.append(f"  week {week:>5}: {p:6.1%}")
    for rng, p in s.get("p_between", {}).items():
        lines.append(f"  between weeks {rng}: {p:6.1%}")
    if "milestones" in s:
        lines.append("Milestones (target week: chance on time, P80 week)")
        for mid, m in s["milestones"].items():
            lines.append(
                f"  {mid:<6} week {m['target_week']:g}: {m['p_on_time']:6.1%}, P80 week {m['p80_week']:.1f} [{m['status']}]"
            )
    if "buffer" in s:
        b = s["buffer"]
        lines.append("Buffer")
        lines.append(
            f"  planned {b['buffer']:.0%} of {b['baseline_weeks']:g} weeks = {b['buffered_weeks']:.1f} weeks:"
            f" {b['p_within_buffer']:.1%} confidence"
        )
        lines.append(
            f"  needed for P80: {b['needed_for_p80']:.0%}, for P90: {b['needed_for_p90']:.0%};"
            f" RSEM critical-chain buffer {b['rsem_weeks']:.1f} weeks"
        )
    rows = [(tid, t["sensitivity"], f"{t['criticality']:5.0%} critical") for tid, t in s["tasks"].items()]
    rows += [(f"risk:{rid}", r["sensitivity"], f"fires {r['fire_rate']:.0%}") for rid, r in s.get("risks", {}).items()]
    lines.append("Top drivers (sensitivity; a task's criticality, a risk's fire rate)")
    for name, rho, note in sorted(rows, key=lambda row: -abs(row[1]))[:5]:
        lines.append(f"  {name:<34} {rho:+.2f}  {note}")
    if "cost" in s:
        c = s["cost"]
        cur = c["currency"]
        lines.append("Cost")
        lines.append(
            f"  mean {cur}{c['mean']:,.0f}, P50 {cur}{c['p50']:,.0f}, P80 {cur}{c['p80']:,.0f}, P90 {cur}{c['p90']:,.0f}"
        )
        if "budget" in c:
            lines.append(f"  within budget {cur}{c['budget']:,.0f}: {c['p_within_budget']:.1%}")
            for week, p in c["joint_p_by"].items():
                lines.append(f"  by week {week} and within budget: {p:.1%}")
    return "\n".join(lines)


def basis_line(s: dict) -> str:
    """What an as-of forecast rests on, in one line (``simulate --actuals --week``): the
    summary of `lekhok_forecast.app.forecast.as_of_forecast` plus its ``week``."""
    if s["actuals_file"] is None:
        return f"{s['week']}: no actuals at or before this week; the plan's own forecast"
    stale = f", {s['weeks_stale']} weeks old" if s["weeks_stale"] else ""
    done = f"{s['done_tasks']} done task{'s' if s['done_tasks'] != 1 else ''}"
    how = f"calibrated on {done}" if s["calibrated"] else f"not calibrated ({done})"
    return f"{s['week']}: re-forecast from {s['actuals_file']} (as of week {s['as_of_week']:.1f}{stale}), {how}"

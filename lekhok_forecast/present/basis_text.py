"""The first lines of every PDF of a week: which forecast its numbers come from.

Every notebook of a report shows the same as-of forecast (`lekhok_forecast.app.bundle`):
the re-forecast from the week's latest actuals (calibrated where the evidence allows) or,
with none, the plan as written. `basis_sentence` names it in one sentence and
`basis_lines` adds the headline numbers every PDF states identically (P80 and the chance by
each deadline), so two PDFs of one week can be checked against each other and against
``summary.json``. Nothing here computes: it formats `Forecast.summary` and its status.
"""

from __future__ import annotations

from lekhok_forecast.present.display import ForecastLike, Markdown
from lekhok_forecast.present.format import join_words, last_day, pct, plural, week_and_date, weeks


def basis_sentence(fc: ForecastLike) -> str:
    """``Re-forecast from the actuals of 2025-W11, calibrated on 15 done tasks`` or
    ``The plan as written: no actuals yet`` (no final full stop; plain text, no Markdown).

    Parameters
    ----------
    fc : ForecastLike
        A week's forecast (`lekhok_forecast.app.bundle.week_forecast`); a plan's own forecast
        without a weekly status is "the plan as written".
    """
    st = fc.status
    if st is None or st.update is None:
        return "The plan as written: no actuals yet"
    u, r = st.update, st.report
    text = f"Re-forecast from the actuals of {u.actuals.label}"
    if r.stale:
        text += f" ({plural(r.weeks_stale, 'week')} before {r.week})"
    cal = u.calibration
    if cal.applied:
        text += f", calibrated on {plural(cal.n_done, 'done task')}"
    elif not cal.enabled:
        text += ", not calibrated (switched off)"
    else:
        text += f", not calibrated ({plural(cal.n_done, 'done task')}; calibration starts at {cal.min_done})"
    return text


def basis_line(fc: ForecastLike, week: str | None = None) -> Markdown:
    """The basis alone, in one line (page one of the weekly status, whose answer follows)."""
    when = f"**{week}.** " if week else ""
    lead = basis_sentence(fc)
    return Markdown(f"{when}*Basis: {lead[0].lower() + lead[1:]}.*")


def headline_line(fc: ForecastLike) -> str:
    """``P80 launch week 20.3 (Mon 2025-06-23); chance of launching by week 12 0%, ...`` from the summary."""
    s, plan = fc.summary, fc.plan
    text = f"P80 launch {week_and_date(plan, s['finish_weeks']['p80'])}"
    odds = [f"week {d} {pct(p)}" for d, p in s["p_finish_by"].items()]
    if odds:
        text += "; chance of launching by " + join_words(odds)
    return text


def basis_lines(fc: ForecastLike, week: str | None = None) -> Markdown:
    """The first lines of a PDF: the basis, as of when, and the headline numbers.

    Parameters
    ----------
    fc : ForecastLike
        The week's forecast.
    week : str, optional
        The report's ISO week, named when given.
    """
    st, plan = fc.status, fc.plan
    lead = basis_sentence(fc)
    if st is not None and st.update is not None:
        a = st.update.actuals
        day = last_day(plan, a.as_of_week)
        lead += f", as of the end of plan week {weeks(a.as_of_week)}" + (f" ({day})" if day else "")
    elif plan.start is not None:
        lead += f"; week 0 is {plan.start:%a %Y-%m-%d}"
    when = f"**{week}.** " if week else ""
    return Markdown(
        f"{when}**Basis: {lead[0].lower() + lead[1:]}.** {headline_line(fc)}. Every PDF of this report starts from this forecast"
        f" ({fc.result.trials:,} trials, seed {fc.result.seed})."
    )

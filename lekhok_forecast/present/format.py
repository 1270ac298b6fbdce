"""The one way numbers, dates and lists are written in sentences, tables and figures.

Every function takes a number (a probability as a fraction, money in the plan's currency,
weeks from the plan's start) and returns text. Variants that figures need on purpose
(`money_tick`) are named here beside the forms they vary.
"""

from __future__ import annotations

import datetime as _dt
import math

from lekhok_forecast.core.plan import Plan, week_label


def pct(p: float) -> str:
    """A probability (fraction) as a percentage a manager reads: ``16%``, ``0.8%``, ``99.6%``, ``<0.1%``.

    Whole percent between 1% and 99%; one decimal near 0 and 1, where whole percent
    would round a real chance to "0%" or "100%"; ``n/a`` for NaN.
    """
    p = float(p)
    if not math.isfinite(p):
        return "n/a"
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.999:
        return ">99.9%"
    if 0.01 <= p <= 0.99:
        return f"{100 * p:.0f}%"
    return f"{100 * p:.1f}%"


def money(x: float, currency: str = "$") -> str:
    """``$15,781``: an amount in `currency`, whole units with thousands separators."""
    return f"{currency}{x:,.0f}"


def md_money(x: float, currency: str = "$") -> str:
    """`money` for Markdown: ``\\$15,781``.

    In Markdown a pair of "$" starts maths (JupyterLab, nbconvert), so "$" is escaped.
    """
    return money(x, currency).replace("$", "\\$")


def money_tick(x: float, currency: str = "$") -> str:
    """An axis tick of money: ``$15k``, ``$12.5k`` from 1,000 up, else ``$800`` (figures only)."""
    return f"{currency}{x / 1000:,.6g}k" if abs(x) >= 1000 else f"{currency}{x:,.0f}"


def weeks(w: float) -> str:
    """A week number (weeks from the plan's start) with one decimal (``16.1``), whole weeks without (``12``)."""
    w = float(w)
    return week_label(w) if w.is_integer() else f"{w:.1f}"


def date_text(d: _dt.date | str | None) -> str:
    """ISO date text (``2025-06-10``), or empty without a date."""
    if d is None:
        return ""
    return d if isinstance(d, str) else d.isoformat()


def week_and_date(plan: Plan, w: float) -> str:
    """``week 18.2 (2025-06-10)`` for week `w` of `plan`, without the date when the plan has no start."""
    d = plan.date_of_week(w)
    return f"week {weeks(w)}" + (f" ({d.isoformat()})" if d else "")


def last_day(plan: Plan, as_of: float) -> str:
    """``Fri 2025-03-14``: the last working day of the week that ends `as_of` weeks after the start.

    Empty without a start date. A working day, never the Sunday the as-of week ends on.
    """
    end = plan.date_of_week(as_of)
    return "" if end is None else f"{end:%a %Y-%m-%d}"


def index_text(x: float | None) -> str:
    """A performance index (SPI, CPI) with two decimals, ``n/a`` when undefined."""
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.2f}"


def join_words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, word: str) -> str:
    """``1 week``, ``3 weeks``."""
    return f"{n} {word}{'' if n == 1 else 's'}"

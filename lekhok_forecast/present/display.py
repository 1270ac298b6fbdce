"""What the sentence and table functions return, and the forecast they take.

`Markdown` is text Jupyter shows rendered; `HtmlTable` a small table of already formatted
strings (rounded, with units), so stored outputs are short and stable. `ForecastLike` is
what the functions read of a forecast (`lekhok_forecast.app.forecast.Forecast`), named here
so that this layer does not import the app layer above it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.present.style import STATUS_COLORS, UNKNOWN_STATUS_COLOR
from lekhok_forecast.tracking.status import WeeklyStatus

#: Tables up to this many rows are kept on one printed page.
KEEP_TOGETHER_ROWS = 16


class ForecastLike(Protocol):
    """A simulated plan as the sentences read it (`lekhok_forecast.app.forecast.Forecast`)."""

    @property
    def plan(self) -> Plan: ...

    @property
    def result(self) -> SimulationResult: ...

    @property
    def summary(self) -> dict:
        """`lekhok_forecast.analysis.summary.summary_dict` plus ``plan_file`` (weekly: and its basis)."""
        ...

    @property
    def status(self) -> WeeklyStatus | None:
        """The weekly report's status (`run_weekly_forecast`), else None."""
        ...


@dataclass(frozen=True)
class Markdown:
    """Markdown text that Jupyter displays rendered (and prints as itself)."""

    text: str

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


@dataclass(frozen=True)
class HtmlTable:
    """A small display table of formatted strings.

    In Jupyter (and so in the PDF) it is an HTML table with one header row, its index as
    the first column; cells are escaped except in `html_columns` (coloured status dots).
    Its plain-text form is the DataFrame's.

    Attributes
    ----------
    frame : DataFrame
        The formatted table (strings), indexed by its row labels.
    html_columns : tuple of str
        Columns whose cells are HTML.
    right_columns : tuple of str
        Columns right-aligned as a whole (the PDF otherwise aligns cell by cell: numbers
        right, text left, which mixes "16%" and "week 16.1 (2025-05-26)" in one column).
    nowrap_columns : tuple of str
        Columns whose cells never wrap (dates), so other columns wrap instead.
    """

    frame: pd.DataFrame
    html_columns: tuple = ()
    right_columns: tuple = ()
    nowrap_columns: tuple = ()

    def _repr_html_(self) -> str:
        plain_index = isinstance(self.frame.index, pd.RangeIndex) and self.frame.index.name is None
        df = self.frame.copy() if plain_index else self.frame.reset_index(names=self.frame.index.name or "")
        styles = {}
        for i, col in enumerate(df.columns):
            css = [
                ("text-align: right" if col in self.right_columns else ""),
                ("white-space: nowrap" if col in self.nowrap_columns else ""),
            ]
            if any(css):
                styles[i] = "; ".join(c for c in css if c)
        for col in df.columns:
            if col not in self.html_columns:
                df[col] = df[col].map(lambda v: html.escape(str(v)))
        df.columns = [html.escape(str(c)) for c in df.columns]
        # tex2jax_ignore: JupyterLab's MathJax would read "$15,781 / $18,353" as maths
        table = df.to_html(index=False, escape=False, border=0, classes="tex2jax_ignore")
        if styles:
            table = _style_columns(table, styles)
        if len(df) <= KEEP_TOGETHER_ROWS:  # a short table is not split over two printed pages
            table = f'<div style="break-inside: avoid; page-break-inside: avoid">{table}</div>'
        return table

    def __repr__(self) -> str:
        plain = self.frame.map(lambda v: _strip_tags(str(v)))
        return plain.to_string()


def _style_columns(table: str, styles: dict[int, str]) -> str:
    """Give the cells of the given column positions an inline style (position -> CSS)."""

    def row(m):
        k = -1

        def cell(c):
            nonlocal k
            k += 1
            return f'<{c.group(1)} style="{styles[k]}">' if k in styles else c.group(0)

        return re.sub(r"<(td|th)>", cell, m.group(0))

    return re.sub(r"<tr[^>]*>.*?</tr>", row, table, flags=re.S)


def _strip_tags(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def status_html(status: str, colour: str | None = None) -> str:
    """A coloured dot and the word (``green``/``amber``/``red``) for HTML tables."""
    color = STATUS_COLORS.get(colour or status, UNKNOWN_STATUS_COLOR)
    return f'<span style="color:{color};font-size:1.2em">&#9679;</span>&nbsp;{html.escape(status)}'

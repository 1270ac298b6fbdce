"""Display types: Markdown prints as itself, HTML tables escape their cells."""

from __future__ import annotations

import pandas as pd

from lekhok_forecast.present.display import HtmlTable, Markdown


def test_html_table_escapes_cells():
    html = HtmlTable(pd.DataFrame({"task": ["a <200 ms & b"]}))._repr_html_()
    assert "a &lt;200 ms &amp; b" in html


def test_markdown_repr_is_its_text():
    m = Markdown("**x**")
    assert repr(m) == str(m) == m._repr_markdown_() == "**x**"

"""Scenario sentences: each scenario against the plan as written."""

from __future__ import annotations

import pandas as pd

from lekhok_forecast.present.scenario_text import scenario_sentences


def test_scenario_sentences_say_same_when_unchanged():
    table = pd.DataFrame(
        {
            "P80 week": [18.2, 18.2, 14.5],
            "cost P50": [15781.0, 15781.0, 15469.0],
            "buffer confidence": [0.23, 0.008, 0.77],
        },
        index=pd.Index(["Plan as written", "No buffer", "30 h"], name="scenario"),
    )
    text = scenario_sentences(table, "Plan as written").text
    assert "the same as the plan as written" in text and "the same;" in text
    assert "3.7 weeks earlier" in text and "\\$312 less" in text
    assert "buffer is enough in 0.8% of trials (the plan as written: 23%)" in text

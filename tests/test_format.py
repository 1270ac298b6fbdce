"""Formatters: one way of writing a probability, money, weeks and lists everywhere."""

from __future__ import annotations

import pytest

from lekhok_forecast.present.format import join_words, money, money_tick, pct, plural, weeks


@pytest.mark.parametrize(
    "p, text",
    [
        (0.0, "0%"),
        (1.0, "100%"),
        (0.0004, "<0.1%"),
        (0.0081, "0.8%"),
        (0.01, "1%"),
        (0.1625, "16%"),
        (0.4928, "49%"),
        (0.99, "99%"),
        (0.9951, "99.5%"),
        (0.99995, ">99.9%"),
        (float("nan"), "n/a"),
    ],
)
def test_pct(p, text):
    assert pct(p) == text


def test_money_and_weeks():
    assert money(15781.34) == "$15,781"
    assert money(1200, "€") == "€1,200"
    assert weeks(12.0) == "12" and weeks(16.046) == "16.0" and weeks(18.26) == "18.3"


def test_money_tick_is_short_from_a_thousand():
    assert money_tick(15000) == "$15k" and money_tick(12500, "€") == "€12.5k" and money_tick(800) == "$800"


def test_lists_and_plurals():
    assert join_words([]) == "" and join_words(["a"]) == "a" and join_words(["a", "b", "c"]) == "a, b and c"
    assert plural(1, "week") == "1 week" and plural(3, "week") == "3 weeks"

"""The notebooks' story from the plan: titles, questions, team sentences, sections left out."""

from __future__ import annotations

from pathlib import Path

from lekhok_forecast.config import DEFAULT_PLAN
from lekhok_forecast.present import story_text
from lekhok_forecast.sources.plan_file import load_plan, plan_from_text

OWN = Path(__file__).parent / "data" / "own_project" / "plan.yaml"
BARE = "name: Bare plan\ntasks:\n  - {id: t, duration: 2}\n"


def test_titles_and_questions_come_from_the_plan():
    lekhok, own = load_plan(DEFAULT_PLAN), load_plan(OWN)
    assert story_text.title(lekhok, "weekly_status") == "Lekhok deployment: weekly status"
    assert story_text.question(lekhok, "schedule_risk") == "12 weeks, or 14-16?"
    assert story_text.title(own, "weekly_status") == "Shop relaunch: weekly status"  # no report: section
    assert story_text.question(own, "schedule_risk") == "Done by week 8, 10 or 12?"
    assert story_text.question(own, "buffers") == "Is the 25% buffer on 9 weeks enough?"
    for part in story_text.PART_NAMES:
        text = story_text.header(own, part).text + story_text.intro(own, part).text
        assert "Lekhok" not in text and "12-week" not in text and "28 January" not in text, part


def test_team_sentence_is_true_for_the_team_structure():
    assert "share of the same team" in story_text.team_sentence(load_plan(DEFAULT_PLAN))
    assert "own weekly hours, drawn independently" in story_text.team_sentence(load_plan(OWN))
    mixed = plan_from_text(
        "name: m\nteam_hours_per_week: 20\nworkstreams:\n  a: {name: A, share: 0.5}\n"
        "  b: {name: B, hours_per_week: 10}\ntasks:\n  - {id: t, workstream: a, effort: 1}\n"
        "  - {id: u, workstream: b, effort: 1}\n",
        "m.yaml",
    )
    assert story_text.team_sentence(mixed) == (
        "A takes a share of the team's weekly hours (one draw, the same correlation); B has its own."
    )
    assert "no workstreams" in story_text.team_sentence(plan_from_text(BARE, "b.yaml"))


def test_sections_without_data_are_empty():
    bare = plan_from_text(BARE, "b.yaml")
    for key in ("phases", "milestones", "burn", "total", "joint", "buffer_curve", "chain"):
        assert story_text.section(bare, key).text == "", key
    assert story_text.question(bare, "buffers") == "How much buffer would the plan need?"
    assert "no costs" in story_text.intro(bare, "budget_burn").text
    own = load_plan(OWN)
    assert story_text.section(own, "phases").text == ""  # no phases
    assert story_text.section(own, "milestones").text.startswith("## Milestones")
    lekhok = load_plan(DEFAULT_PLAN)
    assert "original and a realistic end" in story_text.section(lekhok, "phases").text
    assert "(week 12, 14 and 16 from the start)" in story_text.section(lekhok, "finish").text
    assert "(week 8, 10 and 12 from the start)" in story_text.section(own, "finish").text


def test_about_carries_the_plans_context():
    assert "28 January 2025" in story_text.about(load_plan(DEFAULT_PLAN)).text
    assert story_text.about(load_plan(OWN)).text.startswith("## About this report\n\nThe numbers come from")

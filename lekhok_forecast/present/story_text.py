"""The story of each notebook, from the plan: titles, questions, context and section texts.

No notebook holds prose about one particular plan. A plan tells its story in its optional
``report:`` section (`lekhok_forecast.core.plan.ReportStory`: title, context, a question and
a note per part); everything else here is generic and built from the plan's own data:
its deadlines, buffer, team structure, phases, milestones, costs and risks. A section the
plan has no data for gives an empty `Markdown` (Jupyter shows nothing), so the notebook
leaves it out instead of drawing it empty; `has_section` says which sections apply.
"""

from __future__ import annotations

from collections.abc import Callable

from lekhok_forecast.core.plan import Plan, week_label
from lekhok_forecast.present.display import Markdown
from lekhok_forecast.present.format import join_words, plural, weeks

#: How each part (notebook) is named in titles: ``<title>: weekly status``.
PART_NAMES = {
    "weekly_status": "weekly status",
    "schedule_risk": "schedule risk",
    "buffers": "buffers",
    "budget_burn": "budget burn",
    "scenarios": "scenarios",
    "calibration": "calibration",
}


def title_stem(plan: Plan) -> str:
    """The report's title stem: the plan's ``report.title``, else its ``name``."""
    return plan.report.title or plan.name


def title(plan: Plan, part: str) -> str:
    """``Lekhok deployment: weekly status`` (`part` is one of `STORY_PARTS`)."""
    return f"{title_stem(plan)}: {PART_NAMES[part]}"


def _deadline_words(plan: Plan, conjunction: str = "or") -> str:
    ds = [week_label(d) for d in plan.deadlines]
    if len(ds) <= 1:
        return "".join(ds)
    return ", ".join(ds[:-1]) + f" {conjunction} " + ds[-1]


def question(plan: Plan, part: str) -> str:
    """The question `part` answers: the plan's own, else one built from the plan's data."""
    own = plan.report.question(part)
    if own:
        return own
    if part == "weekly_status":
        return "Where do we stand, and what changed since last week?"
    if part == "schedule_risk":
        if plan.deadlines:
            return f"Done by week {_deadline_words(plan)}?"
        return "When will it finish, and what drives the finish?"
    if part == "buffers":
        if plan.baseline_weeks is None:
            return "How much buffer would the plan need?"
        return f"Is the {plan.buffer:.0%} buffer on {weeks(plan.baseline_weeks)} weeks enough?"
    if part == "budget_burn":
        return "What will it cost by the finish, and when is the money spent?"
    if part == "calibration":
        return "How honest have the forecasts been?"
    return "What if…?"


def _default_note(plan: Plan, part: str) -> str:
    n_ws = len(plan.workstreams)
    if part == "schedule_risk":
        what = f"{plural(len(plan.tasks), 'task')}" + (f" in {plural(n_ws, 'workstream')}" if n_ws else "")
        if plan.risks:
            what += f", {plural(len(plan.risks), 'risk')}"
        aims = []
        if plan.deadlines:
            aims.append(f"how likely each deadline (week {_deadline_words(plan, 'and')}) is")
        if plan.phase_names():
            aims.append("which phases slip")
        if plan.milestones:
            aims.append("which milestones slip")
        aims.append("what drives the finish")
        return f"The forecast of *{plan.name}* ({what}): {join_words(aims)}."
    if part == "buffers":
        if plan.baseline_weeks is None:
            return "The plan has no `baseline_weeks`, so there is no committed length to put a buffer on."
        return (
            f"The plan commits to {weeks(plan.baseline_weeks)} weeks plus a {plan.buffer:.0%} buffer. Here that"
            " is tested against the forecast: how much confidence does the buffer buy, how big would it have"
            " to be for 80% or 90% confidence, and what does the critical-chain rule of thumb say?"
        )
    if part == "budget_burn":
        if not plan.costs:
            return "The plan has no costs, so there is nothing to forecast here."
        kinds = []
        if any(c.per_hour is not None for c in plan.costs):
            kinds.append("time charged per hour worked (risks included)")
        if any(c.per_month is not None for c in plan.costs):
            kinds.append("monthly costs until the finish")
        text = f"What *{plan.name}* will have cost by its finish ({join_words(kinds)})"
        text += ", how the spending builds up week by week"
        if plan.budget is not None and plan.deadlines:
            text += ", and the chance of being both on time and within budget"
        return text + "."
    if part == "calibration":
        return (
            "Every done task is a test of the forecast. Here each done effort task, in the order they finished,"
            " is forecast from the ones done before it, with the calibration the weekly re-forecast uses, and"
            " compared with the hours it really took. An honest forecast's P80 covers 80% of the outcomes, its"
            " P50 half; the charts show how far the project's own history is from that, with the range chance"
            " alone allows for so few tasks."
        )
    if part == "scenarios":
        return (
            "Each scenario is a small YAML overlay that changes the plan without copying it. Every scenario is"
            " applied to the plan and simulated from where the project stands (the same actuals, calibration,"
            " trials and seed as the forecast above), so differences come from the change, not from chance."
        )
    return ""


def note(plan: Plan, part: str) -> str:
    """The paragraph under the question: the plan's own note, else a generic one."""
    return plan.report.note(part) or _default_note(plan, part)


def header(plan: Plan, part: str) -> Markdown:
    """The notebook's title (from the plan) and the question it answers, as Markdown."""
    return Markdown(f"# {title(plan, part)}\n\n**{question(plan, part)}**")


def intro(plan: Plan, part: str) -> Markdown:
    """The paragraph under the question and the basis: the plan's own note, else a generic one."""
    return Markdown(note(plan, part))


def has_section(plan: Plan, key: str) -> bool:
    """Whether the plan has data for a section (``phases``, ``milestones``, ``costs``,
    ``budget``, ``risks``, ``buffer``, ``deadlines``); other keys always apply."""
    return {
        "phases": bool(plan.phase_names()),
        "milestones": bool(plan.milestones),
        "costs": bool(plan.costs),
        "budget": bool(plan.costs) and plan.budget is not None,
        "risks": bool(plan.risks),
        "buffer": plan.baseline_weeks is not None,
        "deadlines": bool(plan.deadlines),
    }.get(key, True)


def team_sentence(plan: Plan) -> str:
    """What the capacity rows of the drivers mean, true for this plan's team structure."""
    shared = [w for w in plan.workstreams if w.share is not None]
    own = [w for w in plan.workstreams if w.hours_per_week is not None]
    if not plan.workstreams:
        return "The plan has no workstreams: every task lasts its own duration, so capacity drives nothing."
    if shared and not own:
        if len(shared) == 1:
            return "The one workstream takes a fixed share of the team's weekly hours."
        return (
            f"{'Both' if len(shared) == 2 else 'All'} workstreams take a fixed share of the same team's weekly"
            " hours, so their capacity rows carry the same correlation."
        )
    if own and not shared:
        if len(own) == 1:
            return "The one workstream has its own weekly hours, drawn once per trial."
        return (
            f"{'Both' if len(own) == 2 else 'All'} workstreams have their own weekly hours, drawn independently,"
            " so each has its own capacity row."
        )
    return (
        f"{join_words([w.name for w in shared])} {'takes a share' if len(shared) == 1 else 'take shares'} of the"
        f" team's weekly hours (one draw, the same correlation); {join_words([w.name for w in own])}"
        f" {'has its' if len(own) == 1 else 'have their'} own."
    )


def _deadline_lines(plan: Plan) -> str:
    if not plan.deadlines:
        return ""
    return f" Dashed lines are the plan's deadlines (week {_deadline_words(plan, 'and')} from the start)."


def _finish_text(plan: Plan) -> str:
    return (
        "## When does the project finish?\n\nEach trial draws every task's effort, the workstreams' weekly"
        " hours and the risks, then schedules the tasks: a workstream does one task at a time, and a task"
        " waits for the tasks it depends on." + _deadline_lines(plan)
    )


def _percentiles_text(plan: Plan) -> str:
    head = "## Percentiles and deadlines" if plan.deadlines else "## Percentiles"
    return (
        f"{head}\n\nA percentile is the week by which that share of the trials has finished (P80: 80% of"
        " trials). The Monte Carlo error says how much a probability could move with a different seed."
    )


def _phases_text(plan: Plan) -> str:
    text = "## Phases\n\nA phase ends when its last task ends."
    if any(p.original_end_week is not None or p.realistic_end_week is not None for p in plan.phases):
        text += (
            " The plan gives phases an original and a realistic end week; the table gives the chance"
            " that a phase is done by each of them."
        )
    return text


def _drivers_text(plan: Plan) -> str:
    risks = (
        " Each risk has its own row: its sampled impact (zero when it does not fire), how often it fires and"
        " the mean delay to the finish when it does."
        if plan.risks
        else ""
    )
    return (
        "## What drives the finish\n\n*Sensitivity* is the rank correlation between a driver's own draw and"
        " the finish week: the larger it is, the more that uncertainty moves the finish. A task's row measures"
        f" its own sampled effort (or duration, before any risk's impact).{risks} The capacity rows are the"
        f" weekly hours (negative: more hours, earlier finish). {team_sentence(plan)} *Criticality* is the"
        " share of trials in which a task is on the critical path."
    )


def _side_by_side_text(plan: Plan) -> str:
    text = "## Side by side\n\nFinish weeks are from the start"
    if has_section(plan, "buffer"):
        text += "; the buffer confidence uses each scenario's own buffer"
    if has_section(plan, "budget"):
        text += "; the budget is the plan's"
    return text + "."


def _fixed(text: str) -> Callable[[Plan], str]:
    return lambda plan: text


#: Each section: the `has_section` keys it needs (all of them), and its text from the plan.
_SECTIONS: dict[str, tuple[tuple[str, ...], Callable[[Plan], str]]] = {
    "finish": ((), _finish_text),
    "percentiles": ((), _percentiles_text),
    "phases": (("phases",), _phases_text),
    "milestones": (
        ("milestones",),
        _fixed(
            "## Milestones\n\nA milestone is reached when all of its tasks are done. Green: at least 80% chance"
            " of meeting the target week; amber: 50–80%; red: below 50%."
        ),
    ),
    "drivers": ((), _drivers_text),
    "buffer_curve": (
        ("buffer",),
        lambda plan: (
            "## Buffer size against confidence\n\nEach point is the chance that the project finishes within"
            f" the {weeks(plan.baseline_weeks or 0)}-week baseline plus that buffer."
        ),
    ),
    "chain": (
        ("buffer",),
        _fixed(
            "## The critical chain behind the RSEM buffer\n\nThe root-square-error (RSEM) buffer is a different"
            " thing from the plan's buffer: a rule of thumb from critical-chain scheduling, the square root of"
            " the sum of squared (pessimistic − most likely) durations along the chain below, the longest path"
            " when every task takes its most likely effort and the team works its middle hours, risks left out."
        ),
    ),
    "burn": (
        ("costs",),
        _fixed(
            "## Cumulative spend by week\n\nThe band holds the middle 80% of trials (P10 to P90); the line is"
            " the median."
        ),
    ),
    "total": (("costs",), _fixed("## Total cost")),
    "joint": (
        ("budget", "deadlines"),
        _fixed("## On time and within budget\n\nEach dot is one trial. The quadrant shares add up to 100%."),
    ),
    "scenarios": ((), _fixed("## The scenarios")),
    "side_by_side": ((), _side_by_side_text),
    "explorer": (
        (),
        _fixed(
            "## Explorer\n\nControls: the team's hours a week (a range; equal ends mean a fixed number), the"
            " buffer and the scenario and scope switches that apply to this plan. Each change re-simulates the"
            " plan from where the project stands and compares it with the unchanged plan."
        ),
    ),
}


def section(plan: Plan, key: str) -> Markdown:
    """A section heading and its explanation, from the plan; empty when the plan has no data for it.

    Keys: ``finish``, ``percentiles``, ``phases``, ``milestones``, ``drivers`` (schedule risk),
    ``buffer_curve``, ``chain`` (buffers), ``burn``, ``total``, ``joint`` (budget burn),
    ``scenarios``, ``side_by_side``, ``explorer`` (scenarios).
    """
    if key not in _SECTIONS:
        raise ValueError(f"unknown section {key!r}")
    needs, text = _SECTIONS[key]
    if not all(has_section(plan, need) for need in needs):
        return Markdown("")
    return Markdown(text(plan))


def about(plan: Plan) -> Markdown:
    """The weekly status's last section: where the numbers come from (the plan's context first)."""
    text = "## About this report\n\n"
    if plan.report.context:
        text += plan.report.context + "\n\n"
    text += (
        "The numbers come from a Monte Carlo simulation of the plan file, re-forecast from the weekly actuals"
        " named on page one (or, with none, the plan as written). The detailed PDFs in the same folder (schedule"
        " risk, buffers, budget burn, scenarios) start from the same forecast."
    )
    return Markdown(text)


def no_scenarios(count: int) -> Markdown:
    """A line when there are no scenario files to compare (empty when there are)."""
    if count:
        return Markdown("")
    return Markdown("*No scenario files were given for this plan, so there is nothing to compare.*")


def how_to_read(plan: Plan) -> Markdown:
    """The weekly status's "How to read this report" box (last page): the words page one uses."""
    buffer = (
        f"the plan's {plan.buffer:.0%} on its {weeks(plan.baseline_weeks)}-week baseline"
        f" ({weeks(plan.baseline_weeks * (1 + plan.buffer))} weeks in all)"
        if plan.baseline_weeks is not None
        else "none: the plan has no baseline"
    )
    items = [
        "**Re-forecast**: the forecast from the latest weekly actuals: done tasks are fixed at their actual"
        " dates, tasks in progress continue with the team's remaining estimate, the rest cannot start"
        " before the actuals' week.",
        "**Calibrated**: once enough tasks are done, each trial scales every task not yet started by the"
        " actual / planned effort of a done task drawn at random, so the forecast learns how the estimates"
        " have turned out.",
        "**P80**: the week by which 80% of the simulated trials have finished (P50: half of them); the"
        " 80% confidence date.",
        f"**Buffer**: {buffer}; its confidence is the share of trials that finish within it.",
        "**Critical-chain buffer**: the fever chart's buffer, a different measure: a share of the modal"
        " critical chain (the longest path with every task at its most likely effort, no risks).",
        "**Fever chart**: how much of that critical chain is done against how much of its buffer is used;"
        " green, amber and red zones say whether the buffer is being used faster than the work gets done.",
        "**SPI / CPI**: earned value indices: work done against work planned by now (SPI) and against"
        " money spent (CPI); below 1 means behind schedule or over cost.",
    ]
    body = "\n".join(f"> - {i}" for i in items)
    return Markdown("## How to read this report\n\n" + body)

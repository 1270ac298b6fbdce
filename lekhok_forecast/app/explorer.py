"""The interactive scenario explorer (ipywidgets) of the scenarios notebook.

Controls, all from the plan and its own scenarios: team hours a week (a range), buffer %, one
switch per scenario overlay that does more than set hours or buffer (the sliders do that), and
one "in scope at launch" toggle per task the plan marks ``optional: true``. Every change builds
scenario overlays (`lekhok_forecast.sources.scenario_file`) for the
settings, re-simulates the plan from where the project stands (a
`lekhok_forecast.app.scenarios.Standing`: the week's actuals and calibration, or the plan's
start) and redraws a comparison with the unchanged plan from the same standing.

The settings-to-overlays step (`settings_scenarios`) and one update without widgets
(`ExplorerModel.evaluate`) are plain functions, so they are tested and timed without a
browser; `ScenarioExplorer` only wires them to widgets.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lekhok_forecast.analysis.compare import scenario_table
from lekhok_forecast.analysis.schedule import cdf_curve, cdf_median
from lekhok_forecast.analysis.solve import Solution
from lekhok_forecast.app.scenarios import SOLVE_TRIALS, Standing, capacity_answers
from lekhok_forecast.config import resolve_path
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.present.display import HtmlTable
from lekhok_forecast.present.live_chart import LiveCdfChart
from lekhok_forecast.present.scenario_text import scenario_display
from lekhok_forecast.present.solve_text import solve_sentence
from lekhok_forecast.sources.scenario_file import (
    Scenario,
    plan_with_scenarios,
    scenario_from_dict,
)
from lekhok_forecast.sources.yamlsource import load_yaml

#: Plan fields the sliders set; a scenario that sets only these is a slider position, not a switch.
SLIDER_FIELDS = frozenset({"team_hours_per_week", "buffer"})


def is_switch(scenario: Scenario) -> bool:
    """Whether the explorer offers `scenario` as a switch: it does more than set hours or buffer."""
    ops = scenario.operations
    return set(ops) != {"set"} or not set(ops["set"]) <= SLIDER_FIELDS


@dataclass(frozen=True)
class Settings:
    """One position of the explorer's controls.

    Attributes
    ----------
    team_hours : tuple of (low, high)
        Team capacity range in hours per week (low == high: a fixed number).
    buffer : float
        Planned buffer as a fraction of the baseline.
    switched_on : tuple of str
        Names of the scenario switches that are on, applied in the order the explorer lists them.
    deferred : tuple of str
        Ids of the optional tasks left out of scope (their work moves past launch).
    """

    team_hours: tuple[float, float]
    buffer: float
    switched_on: tuple[str, ...] = ()
    deferred: tuple[str, ...] = ()


def settings_scenarios(settings: Settings, switches: Sequence[Scenario] = ()) -> list[Scenario]:
    """The overlays that turn the plan into `settings`, in the order they are applied.

    First the switches that are on, in the order of `switches` (a scenario may reassign
    tasks that the scope then removes), then the deferred optional tasks that no switch
    removes already (one overlay that removes them with every reference), then hours and buffer: the sliders win over a
    switch's own hours or buffer.
    """
    on = set(settings.switched_on)
    out = [s for s in switches if s.name in on]
    # a task a switch already removes is not removed twice
    gone = {task for s in out for task in s.operations.get("remove", {}).get("tasks", ())}
    deferred = [task for task in settings.deferred if task not in gone]
    if deferred:
        out.append(scenario_from_dict({"name": "deferred scope", "remove": {"tasks": deferred}}, "<deferred scope>"))
    low, high = (float(x) for x in settings.team_hours)
    hours = low if low == high else {"low": low, "high": high}
    out.append(
        scenario_from_dict(
            {"name": "explorer settings", "set": {"team_hours_per_week": hours, "buffer": float(settings.buffer)}},
            "<explorer settings>",
        )
    )
    return out


@dataclass
class ExplorerModel:
    """The plan parsed once, the unchanged plan simulated once, and one update per setting.

    Parameters
    ----------
    plan_path : str or Path
        Plan YAML (relative paths from the project root).
    trials, seed : int
        Trials per update (10,000 keeps an update well under a second) and the seed.
    scenarios : sequence of Scenario
        The plan's scenario overlays (the scenarios notebook's); those that fit the plan and
        do more than the sliders become switches.
    standing : Standing
        Where the project stands (`lekhok_forecast.app.scenarios.standing_of` of the
        week's status); every setting is simulated from it. Default: the plan's start.
    """

    plan_path: str | Path
    trials: int = 10_000
    seed: int = 1
    scenarios: Sequence[Scenario] = ()
    standing: Standing = field(default_factory=Standing)

    def __post_init__(self):
        self.source = load_yaml(resolve_path(self.plan_path))
        self.plan = plan_with_scenarios(self.source, [])
        self.baseline = self.standing.simulate(self.plan, self.trials, self.seed)
        self.baseline_cdf = cdf_curve(self.baseline)  # drawn beside every setting's curve
        self._answers: tuple[Solution, ...] | None = None
        # Offer only the controls that apply to this plan: the switches that fit it, its optional tasks.
        self.switches: tuple[Scenario, ...] = tuple(s for s in self.scenarios if is_switch(s) and self._fits(s))
        self.optional: dict[str, str] = {t.id: t.name for t in self.plan.tasks if t.optional}

    def _fits(self, scenario: Scenario) -> bool:
        try:
            plan_with_scenarios(self.source, [scenario])
        except ForecastInputError:
            return False
        return True

    def default_settings(self) -> Settings:
        """The controls' starting position: the plan as written."""
        team = self.plan.team_hours_per_week
        hours = (team.low, team.high) if team is not None else (0.0, 0.0)
        return Settings(hours, self.plan.buffer)

    @property
    def answers(self) -> tuple[Solution, ...]:
        """What would it take for the unchanged plan, from the standing (solved once, on first use)."""
        if self._answers is None:
            self._answers = capacity_answers(self.baseline, min(self.trials, SOLVE_TRIALS), self.seed)
        return self._answers

    @property
    def baseline_label(self) -> str:
        """Label of the unchanged plan (``Plan as written`` or ``Plan now (2025-W11)``)."""
        return self.standing.label

    def evaluate(self, settings: Settings) -> tuple[SimulationResult, pd.DataFrame, float]:
        """Simulate `settings` from the standing; return the result, a comparison with the
        unchanged plan, seconds taken.

        Raises
        ------
        ForecastInputError
            If the settings make an invalid plan (the message says which control).
        """
        t0 = time.perf_counter()
        plan = plan_with_scenarios(self.source, settings_scenarios(settings, self.switches))
        result = self.standing.simulate(plan, self.trials, self.seed)
        table = scenario_table({self.baseline_label: self.baseline, "Your settings": result})
        return result, table, time.perf_counter() - t0


class ScenarioExplorer:
    """ipywidgets controls and live output over an `ExplorerModel`.

    Display it (last expression of a cell) in JupyterLab; moving a control re-simulates
    (sliders update when released). The line under the chart says how long the update took.
    """

    def __init__(
        self,
        plan_path: str | Path,
        trials: int = 10_000,
        seed: int = 1,
        standing: Standing | None = None,
        scenarios: Sequence[Scenario] = (),
    ):
        import ipywidgets as w

        self.model = ExplorerModel(plan_path, trials, seed, scenarios, standing or Standing())
        start = self.model.default_settings()
        style = {"description_width": "150px"}
        layout = w.Layout(width="480px")
        self.hours = w.IntRangeSlider(
            value=(int(start.team_hours[0]), int(start.team_hours[1])),
            min=5,
            max=60,
            step=1,
            description="Team hours / week",
            continuous_update=False,
            style=style,
            layout=layout,
            disabled=self.model.plan.team_hours_per_week is None,
        )
        self.buffer = w.IntSlider(
            value=round(100 * start.buffer),
            min=0,
            max=100,
            step=5,
            description="Buffer (%)",
            continuous_update=False,
            style=style,
            layout=layout,
        )
        auto = w.Layout(width="auto")
        self.switches = {
            s.name: w.Checkbox(value=False, description=s.name, tooltip=s.description, indent=False, layout=auto)
            for s in self.model.switches
        }
        self.scope = {
            task_id: w.Checkbox(value=True, description=name, indent=False, layout=auto)
            for task_id, name in self.model.optional.items()
        }
        self.status = w.HTML()
        # one small line: the solver's answer for the plan's latest deadline, from the standing
        last = self.model.answers[-1:] if self.model.answers else ()
        self.answer = w.HTML("".join(f"<i>What would it take: {html.escape(solve_sentence(a))}</i>" for a in last))
        self.table = w.HTML()
        # a PNG the chart redraws into (no figure displayed through the notebook's backend)
        self.chart = w.Image(format="png")
        self.live_chart = LiveCdfChart()
        for control in (self.hours, self.buffer, *self.switches.values(), *self.scope.values()):
            control.observe(self.update, names="value")
        # the sliders, then a row of switch groups; a group the plan gives nothing for is left out
        groups = [
            w.VBox([w.HTML(f"<b>{heading}</b>"), *boxes.values()], layout=w.Layout(width="auto", overflow="visible"))
            for heading, boxes in (("Scenarios", self.switches), ("In scope at launch", self.scope))
            if boxes
        ]
        controls = w.VBox([self.hours, self.buffer, w.HBox(groups, layout=w.Layout(grid_gap="48px"))])
        self.widget = w.VBox([controls, self.answer, self.status, w.HBox([self.table, self.chart])])
        self.last_seconds: float | None = None
        self.update()

    def settings(self) -> Settings:
        """The current position of the controls."""
        return Settings(
            (float(self.hours.value[0]), float(self.hours.value[1])),
            self.buffer.value / 100,
            tuple(name for name, box in self.switches.items() if box.value),
            tuple(task_id for task_id, box in self.scope.items() if not box.value),
        )

    def update(self, change=None) -> None:
        """Re-simulate for the current controls and redraw (called on every change)."""
        t0 = time.perf_counter()
        try:
            result, table, _ = self.model.evaluate(self.settings())
        except ForecastInputError as exc:
            self.status.value = f"<span style='color:#b3261e'>These settings make an invalid plan: {exc}</span>"
            return
        shown = scenario_display(table, self.model.plan.currency).frame.T
        self.table.value = HtmlTable(shown)._repr_html_()
        cdfs = {self.model.baseline_label: self.model.baseline_cdf, "Your settings": cdf_curve(result)}
        medians = {name: cdf_median(cdf) for name, cdf in cdfs.items()}
        self.chart.value = self.live_chart.png(cdfs, medians, self.model.plan.deadlines)
        self.last_seconds = time.perf_counter() - t0
        self.status.value = (
            f"<i>Updated in {self.last_seconds:.2f} s ({self.model.trials:,} trials, seed {self.model.seed}).</i>"
        )

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

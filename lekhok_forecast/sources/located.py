"""Located data: YAML values that remember the file and line they came from.

A scenario overlay (`lekhok_forecast.sources.overlay`) works on a plan document whose every
value is a `Node`, so after the merge each value still knows its file and line, and
`OverlaySource` turns validation errors into lines of the right file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.yamlsource import Source


@dataclass
class Node:
    """A YAML value with the file and line it came from (mappings/lists hold `Node`s)."""

    value: Any
    file: str
    line: int | None
    path: str = ""  # field path inside its own file


def annotate(src: Source, value: Any = None, path: str = "", _top: bool = True) -> Node:
    """Wrap `src.data` (or a part of it at `path`) in `Node`s that remember file and line."""
    if _top:
        value = src.data
    if isinstance(value, dict):
        inner: Any = {k: annotate(src, v, f"{path}.{k}" if path else str(k), False) for k, v in value.items()}
    elif isinstance(value, list):
        inner = [annotate(src, v, f"{path}[{i}]", False) for i, v in enumerate(value)]
    else:
        inner = value
    return Node(inner, src.path, src.line(path), path)


def plain(node: Node, path: str, lines: dict, files: dict) -> Any:
    """Unwrap `Node`s into plain data, recording each path's line and file."""
    lines[path] = node.line
    files[path] = (node.file, node.path)
    if isinstance(node.value, dict):
        return {k: plain(v, f"{path}.{k}" if path else k, lines, files) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [plain(v, f"{path}[{i}]", lines, files) for i, v in enumerate(node.value)]
    return node.value


@dataclass(frozen=True)
class OverlaySource(Source):
    """A `Source` whose values may come from several files (a plan plus scenarios).

    Validation errors name the file and line the offending value came from.
    """

    files: dict = field(default_factory=dict)

    def _nearest(self, field_path: str, table: dict) -> Any:
        while field_path:
            if table.get(field_path) is not None:
                return table[field_path]
            cut = max(field_path.rfind("."), field_path.rfind("["))
            field_path = field_path[:cut] if cut > 0 else ""
        return table.get("")

    def line(self, field_path: str) -> int | None:
        return self._nearest(field_path, self.lines)

    def error(self, field_path: str, message: str) -> ForecastInputError:
        """An error at `field_path` of the merged plan, located in the file the value came from.

        A value from a scenario is named by its path in the scenario file
        (``set.tasks.stripe_setup.effort.high``), so the user finds it there.
        """
        probe = field_path
        while probe and probe not in self.files:
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        file, own_path = self.files.get(probe, (self.path, probe))
        if file != self.path:
            field_path = own_path + field_path[len(probe) :]
        return ForecastInputError(
            message, file=file, line=self.line(field_path if file == self.path else probe), field=field_path or None
        )


def item_key(item: Node, key: str) -> Any:
    if isinstance(item.value, dict) and key in item.value:
        return item.value[key].value
    return None

"""The package's shape: import arrows point one way, modules stay small, one command line.

Layers, lowest first (a module may import its own layer and the ones below, never above):

    config, errors  <-  core  <-  sources, analysis  <-  tracking  <-  present, app  <-  report  <-  cli

`sources` and `analysis` are one level: neither imports the other's upper neighbours, and
they may use each other only as the table below allows (analysis reads no files).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lekhok_forecast"
MAX_LINES = 500

#: Layer of each top-level part of the package; an import must not go to a higher number.
RANK = {
    "__init__": 0,
    "config": 0,
    "errors": 0,
    "core": 1,
    "sources": 2,
    "analysis": 2,
    "tracking": 3,
    "present": 4,
    "app": 4,
    "report": 5,
    "cli": 6,
    "__main__": 6,
}
#: Same-rank imports that are allowed (importer part -> imported part).
SIDEWAYS = {("app", "present")}


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        parts = f.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"
        out[name] = f
    return out


def _imports(f: Path) -> list[tuple[str, int, bool]]:
    """(imported package module, line, inside a function) for every package import of `f`."""
    tree = ast.parse(f.read_text(encoding="utf-8"))
    inside: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(fn))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{f.name}:{node.lineno}: relative import (use lekhok_forecast....)"
            base = node.module or ""
            if base == "lekhok_forecast":  # `from lekhok_forecast import core` or `... import __version__`
                names = [f"{base}.{a.name}" if a.name in RANK else base for a in node.names]
            else:
                names = [base]
        for n in names:
            if n == "lekhok_forecast" or n.startswith("lekhok_forecast."):
                found.append(
                    (n.removeprefix("lekhok_forecast").lstrip(".") or "__init__", node.lineno, id(node) in inside)
                )
    return found


def _part(module: str) -> str:
    return module.split(".")[0]


MODULES = _modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down_the_layers(name):
    importer = _part(name)
    assert importer in RANK, f"{name}: top-level part {importer!r} has no layer in tests/test_layering.py"
    for target, line, in_function in _imports(MODULES[name]):
        part = _part(target)
        assert part in RANK, f"{name}:{line}: imports unknown part {target}"
        ok = RANK[part] < RANK[importer] or part == importer or (importer, part) in SIDEWAYS
        assert ok, f"{name}:{line}: imports {target} (layer {RANK[part]}) from layer {RANK[importer]}"
        if importer != "cli":  # the command line defers its subcommands' imports to start fast
            assert not in_function, f"{name}:{line}: package import inside a function"


def test_no_import_cycles():
    graph = {n: set() for n in MODULES}
    for n, f in MODULES.items():
        for target, _, _ in _imports(f):
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != n:
                graph[n].add(target)
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(m) :], m]))
            if m not in state:
                visit(m, [*path, m])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_small(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines (split it: one concern per module)"


def test_one_command_line():
    mains = [
        n for n, f in MODULES.items() if n not in ("cli", "__main__") and '__name__ == "__main__"' in f.read_text()
    ]
    assert mains == [], f"second command lines: {mains} (add a subcommand to cli.py instead)"

"""Read YAML safely while remembering the line of every value, for one-line errors."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lekhok_forecast.errors import ForecastInputError


@dataclass(frozen=True)
class Source:
    """A parsed YAML document plus the line of each field path.

    Attributes
    ----------
    path : str
        File name as given by the user (used in error messages).
    data : Any
        Plain Python value (dicts, lists, str, int, float, bool, date, None).
    lines : dict
        Field path (``tasks[3].effort.high``) -> 1-based line number.
    """

    path: str
    data: Any
    lines: dict

    def line(self, field: str) -> int | None:
        """Line of `field`, or of its nearest enclosing field that has one."""
        while field:
            if field in self.lines:
                return self.lines[field]
            cut = max(field.rfind("."), field.rfind("["))
            field = field[:cut] if cut > 0 else ""
        return self.lines.get("", None)

    def error(self, field: str, message: str) -> ForecastInputError:
        """A `ForecastInputError` located at `field` in this file."""
        return ForecastInputError(message, file=self.path, line=self.line(field), field=field or None)


def _join(prefix: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "binary", "timestamp", "str")
)


class _Converter:
    """Turns a composed node tree into plain values, recording each field's line.

    Scalars are constructed by the loader's own constructor for their tag, once per
    distinct (tag, text) (a plan repeats its keys and many of its numbers); a mapping or
    list met twice is an alias of it, which is refused.
    """

    def __init__(self, loader: Any, file: str) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict = {}
        self.seen: set[int] = set()
        self.scalars: dict[tuple[str, str], Any] = {}
        self.constructors = loader.yaml_constructors

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        key = (node.tag, node.value)
        try:
            return self.scalars[key]
        except KeyError:
            pass
        # the safe constructors' values of these tags are immutable: one object serves every copy
        ctor = self.constructors.get(node.tag) if node.tag in _SCALAR_TAGS else None
        try:
            value = ctor(self.loader, node) if ctor is not None else self.loader.construct_object(node, deep=True)
        except ValueError as exc:  # a scalar that matches a YAML type but is invalid: 2025-02-30
            raise ForecastInputError(
                f"invalid value {node.value!r}: {exc}",
                file=self.file,
                line=node.start_mark.line + 1,
                field=path or None,
            ) from None
        self.scalars[key] = value
        return value

    def convert(self, node: yaml.Node, path: str) -> Any:
        lines = self.lines
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.seen:
            # A plan has no use for shared mappings or lists, and nested aliases ("billion
            # laughs") would otherwise expand exponentially.
            raise ForecastInputError(
                "YAML aliases of mappings or lists (*name) are not supported; write the value out",
                file=self.file,
                line=node.start_mark.line + 1,
            )
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = self.scalar(key_node, path)
                else:
                    key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float)) or isinstance(key, bool):
                    raise ForecastInputError(
                        f"keys must be text, got {key!r}",
                        file=self.file,
                        line=key_node.start_mark.line + 1,
                        field=path or None,
                    )
                key = str(key)
                if key in out:
                    raise ForecastInputError(
                        f"duplicate key '{key}'",
                        file=self.file,
                        line=key_node.start_mark.line + 1,
                        field=_join(path, key),
                    )
                child = _join(path, key)
                out[key] = self.convert(value_node, child)
                lines[child] = key_node.start_mark.line + 1
            return out
        return [self.convert(v, _join(path, i)) for i, v in enumerate(node.value)]


class _MemoResolver:
    """Resolves a plain scalar's tag once per distinct (text, implicit) in a document: the
    implicit resolvers' regular expressions were a third of composing a large plan."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        self._tags: dict = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            key = (value, implicit)
            try:
                return self._tags[key]
            except KeyError:
                tag = self._tags[key] = super().resolve(kind, value, implicit)  # type: ignore[misc]
                return tag
        return super().resolve(kind, value, implicit)  # type: ignore[misc]


class _SafeLoader(_MemoResolver, yaml.SafeLoader):
    pass


#: Opening brackets and quotes of PyYAML's contexts, for "not closed" messages.
_OPENERS = {"flow sequence": "list '['", "flow mapping": "mapping '{'", "quoted scalar": "quoted text"}
_CLOSERS = {"flow sequence": "']'", "flow mapping": "'}'", "quoted scalar": "its closing quote"}


def _syntax_problem(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """(line, plain words) for a PyYAML syntax error: what is wrong and how to write it instead.

    PyYAML names parser states ("expected <block end>, but found '?'"); a plan's author
    needs the cause, which is nearly always the indentation, a tab, or an unclosed bracket.
    """
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or exc.context or "invalid YAML"
    start = exc.context_mark
    started = start.line + 1 if start else None
    context = exc.context or ""
    if problem.startswith("expected <block end>"):
        where = f"the block started on line {started}" if started and started != line else "the lines above it"
        return line, (
            f"this line does not line up with {where}: the keys of one mapping, and the '- ' items of one list,"
            " must start in the same column (indent with spaces)"
        )
    if problem.startswith("mapping values are not allowed"):
        return line, (
            "unexpected ':' on this line: it is indented deeper than the key above it (line up the keys of one"
            " mapping), or a value contains ': ' (put that value in quotes)"
        )
    if "'\\t'" in problem:  # PyYAML: found character '\t' that cannot start any token
        return line, "a tab character: YAML indents with spaces only; replace the tab with spaces"
    if problem.startswith("could not find expected ':'") and started:
        return started, "this line is neither 'key: value' nor a '- ' list item; add the ':' after the key"
    for kind, opener in _OPENERS.items():
        if context.endswith(kind) and started and mark and started != line:
            return line, (
                f"the {opener} opened on line {started} is not closed: add {_CLOSERS[kind]}"
                + (" (or the ',' between two items)" if kind != "quoted scalar" else "")
            )
    if exc.problem and exc.context and start and mark and start.line != mark.line:
        problem += f" ({exc.context} started on line {start.line + 1})"
    return line, problem


if hasattr(yaml, "CSafeLoader"):

    class _CSafeLoader(_MemoResolver, yaml.CSafeLoader):
        pass


#: libyaml's C composer where PyYAML was built with it (several times faster on large
#: plans; its nodes carry the same line marks); else PyYAML's pure-Python one.
FAST_LOADER: Any = _CSafeLoader if hasattr(yaml, "CSafeLoader") else _SafeLoader


def parse_yaml(text: str, path: str) -> Source:
    """Parse YAML text with the safe loader, keeping field lines.

    The document is composed by libyaml when available; a document it refuses is composed
    again by the pure-Python loader, whose error texts the messages below are written for.

    Raises
    ------
    ForecastInputError
        On a syntax error or an empty document.
    """
    try:
        return _parse(text, path, FAST_LOADER)
    except (yaml.YAMLError, ForecastInputError):
        if FAST_LOADER is _SafeLoader:
            raise
    return _parse(text, path, _SafeLoader)  # the same document: the same error, in PyYAML's words


def _parse(text: str, path: str, loader_class: Any) -> Source:
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            line, problem = _syntax_problem(exc)
            raise ForecastInputError(f"YAML syntax error: {problem}", file=path, line=line) from None
        except yaml.YAMLError as exc:
            raise ForecastInputError(f"YAML error: {exc}", file=path) from None
        if node is None:
            raise ForecastInputError("file is empty, expected a YAML mapping", file=path)
        converter = _Converter(loader, path)
        try:
            data = converter.convert(node, "")
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark
            raise ForecastInputError(
                f"YAML error: {exc.problem}", file=path, line=mark.line + 1 if mark else None
            ) from None
    finally:
        loader.dispose()
    return Source(path=path, data=data, lines=converter.lines)


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file; missing files and bad bytes become `ForecastInputError`."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ForecastInputError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise ForecastInputError("is a directory, expected a file", file=str(path)) from None
    except OSError as exc:
        raise ForecastInputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ForecastInputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", file=str(path), line=line
        ) from None


def load_yaml(path: str | Path) -> Source:
    """Read and parse a YAML file into a `Source`."""
    return parse_yaml(read_text(path), str(path))


def is_date(value: Any) -> bool:
    return isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)

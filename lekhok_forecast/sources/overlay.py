"""Scenario overlays applied to a parsed plan document, every value keeping its file and line.

The overlay is applied to the *raw* plan document (the parsed YAML, before validation), so
the plan is then validated as usual, and an error in a value that a scenario put there
names the scenario file and line, not the plan's. The file format is described in
`lekhok_forecast.sources.scenario_file`.

Rules (applied in the order remove, set, add):

* ``set``: a mapping merges key by key into a mapping; any other value replaces the old
  one; ``null`` deletes a key. A complete range (a mapping with both ``low`` and ``high``)
  replaces the old range whole, so an old ``mode`` never survives by accident. List
  sections (``tasks``, ``risks``, ``milestones``, ``costs``: by ``id``; ``phases``: by
  ``name``) take a mapping ``id -> fields`` that patches the item with that id.
* ``add``: list sections take a list of new items, appended at the end (a workstream does
  its tasks in file order, so an added task runs after the stream's existing tasks);
  ``workstreams`` takes a mapping of new ids; ``deadlines`` a list of weeks.
* ``remove``: a list of ids per section. Removing a task also removes it from every
  other task's ``after`` (which then inherits the removed task's own ``after``, so the
  order of the remaining tasks is kept), from risk and milestone task lists (a risk or
  milestone left with no task is removed too, and a risk loses an ``effort`` or
  ``duration`` impact that no remaining task can take), and from ``from_task`` (the cost
  then accrues from week 0). Removing a workstream removes it from cost ``workstreams``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.sources.fields import kind_of
from lekhok_forecast.sources.yamlsource import Source

#: List sections of a plan and the key that identifies their items.
LIST_SECTIONS = {"tasks": "id", "risks": "id", "milestones": "id", "costs": "id", "phases": "name"}
#: Section -> the word for one of its items, in messages.
SINGULAR = {
    "tasks": "task",
    "risks": "risk",
    "milestones": "milestone",
    "costs": "cost",
    "phases": "phase",
    "workstreams": "workstream",
    "deadlines": "deadline",
}


# ----------------------------------------------------------------------- located data


@dataclass
class _Node:
    """A YAML value with the file and line it came from (mappings/lists hold `_Node`s)."""

    value: Any
    file: str
    line: int | None
    path: str = ""  # field path inside its own file


def _annotate(src: Source, value: Any = None, path: str = "", _top: bool = True) -> _Node:
    """Wrap `src.data` (or a part of it at `path`) in `_Node`s that remember file and line."""
    if _top:
        value = src.data
    if isinstance(value, dict):
        inner: Any = {k: _annotate(src, v, f"{path}.{k}" if path else str(k), False) for k, v in value.items()}
    elif isinstance(value, list):
        inner = [_annotate(src, v, f"{path}[{i}]", False) for i, v in enumerate(value)]
    else:
        inner = value
    return _Node(inner, src.path, src.line(path), path)


def _plain(node: _Node, path: str, lines: dict, files: dict) -> Any:
    """Unwrap `_Node`s into plain data, recording each path's line and file."""
    lines[path] = node.line
    files[path] = (node.file, node.path)
    if isinstance(node.value, dict):
        return {k: _plain(v, f"{path}.{k}" if path else k, lines, files) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_plain(v, f"{path}[{i}]", lines, files) for i, v in enumerate(node.value)]
    return node.value


@dataclass(frozen=True)
class OverlaySource(Source):
    """A `Source` whose values may come from several files (a plan plus scenarios).

    Validation errors name the file and line the offending value came from.
    """

    files: dict = field(default_factory=dict)

    def _nearest(self, field_path: str, table: dict):
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


# ------------------------------------------------------------------------ applying


def _is_complete_range(node: _Node) -> bool:
    return isinstance(node.value, dict) and "low" in node.value and "high" in node.value


def _merge(target: _Node | None, patch: _Node) -> _Node | None:
    """Merge `patch` into `target` (see the module docstring); returns the new node."""
    if patch.value is None:
        return None
    if (
        target is None
        or not isinstance(target.value, dict)
        or not isinstance(patch.value, dict)
        or _is_complete_range(patch)
    ):
        return patch
    merged = dict(target.value)
    for key, sub in patch.value.items():
        new = _merge(merged.get(key), sub)
        if new is None:
            merged.pop(key, None)
        else:
            merged[key] = new
    return _Node(merged, target.file, target.line, target.path)


def _item_key(item: _Node, key: str) -> Any:
    if isinstance(item.value, dict) and key in item.value:
        return item.value[key].value
    return None


def _section_list(doc: dict, section: str, scen: Source, field_path: str) -> list:
    node = doc.get(section)
    if node is None:
        node = _Node([], scen.path, scen.line(field_path), field_path)
        doc[section] = node
    if not isinstance(node.value, list):
        raise ForecastInputError(
            f"the plan's '{section}' is {kind_of(node.value)}, not a list",
            file=node.file,
            line=node.line,
            field=section,
        )
    return node.value


def _find(items: list, key: str, ident: Any, section: str, src: Source, field_path: str) -> int:
    for i, item in enumerate(items):
        if _item_key(item, key) == ident:
            return i
    known = [str(_item_key(it, key)) for it in items]
    raise src.error(field_path, f"no {SINGULAR[section]} '{ident}' in the plan{did_you_mean(str(ident), known)}")


def _set(doc: dict, scen: Source, patch: _Node) -> None:
    src = scen
    for key, sub in patch.value.items():
        fp = f"set.{key}"
        if key in LIST_SECTIONS:
            id_key = LIST_SECTIONS[key]
            if not isinstance(sub.value, dict):
                raise src.error(
                    fp,
                    f"expected a mapping of {SINGULAR[key]} {id_key} -> fields to change,"
                    f" got {kind_of(sub.value)}; use 'add' or 'remove' to change the list",
                )
            items = _section_list(doc, key, scen, fp)
            for ident, fields in sub.value.items():
                ip = f"{fp}.{ident}"
                i = _find(items, id_key, ident, key, src, ip)
                if not isinstance(fields.value, dict):
                    raise src.error(ip, f"expected a mapping of fields to change, got {kind_of(fields.value)}")
                if id_key in fields.value:
                    raise src.error(
                        f"{ip}.{id_key}", f"cannot change a {SINGULAR[key]}'s {id_key}; remove it and add a new one"
                    )
                items[i] = _merge(items[i], fields)
        else:
            new = _merge(doc.get(key), sub)
            if new is None:
                doc.pop(key, None)
            else:
                doc[key] = new


def _add(doc: dict, scen: Source, patch: _Node) -> None:
    src = scen
    for key, sub in patch.value.items():
        fp = f"add.{key}"
        if key == "workstreams":
            if not isinstance(sub.value, dict):
                raise src.error(fp, f"expected a mapping of new workstream id -> workstream, got {kind_of(sub.value)}")
            ws = doc.get("workstreams")
            if ws is None or ws.value is None:
                ws = doc["workstreams"] = _Node({}, scen.path, sub.line, sub.path)
            if not isinstance(ws.value, dict):
                raise src.error(fp, "the plan's 'workstreams' is not a mapping")
            for wid, w in sub.value.items():
                if wid in ws.value:
                    raise src.error(f"{fp}.{wid}", f"workstream '{wid}' is already in the plan; use 'set' to change it")
                ws.value[wid] = w
        elif key in LIST_SECTIONS or key == "deadlines":
            if not isinstance(sub.value, list):
                raise src.error(fp, f"expected a list of new {key}, got {kind_of(sub.value)}")
            _section_list(doc, key, scen, fp).extend(sub.value)
        else:
            allowed = (*LIST_SECTIONS, "workstreams", "deadlines")
            raise src.error(
                fp,
                f"cannot add to '{key}'{did_you_mean(key, allowed)}; expected one of:"
                f" {', '.join(allowed)} (use 'set' for single values)",
            )


def _strip_ids(node: _Node | None, gone: set) -> _Node | None:
    """A copy of an id-list node without the ids in `gone` (None if `node` is None)."""
    if node is None or not isinstance(node.value, list):
        return node
    return _Node([x for x in node.value if x.value not in gone], node.file, node.line, node.path)


def _remove_tasks(doc: dict, gone: set) -> None:
    tasks = doc["tasks"].value
    by_id = {_item_key(t, "id"): t for t in tasks}

    def bridged(after: list, seen: frozenset) -> list:
        # A removed predecessor hands over its own predecessors, so order is kept.
        out = []
        for a in after:
            if a.value in gone and a.value not in seen and a.value in by_id:
                inner = by_id[a.value].value.get("after")
                if inner is not None and isinstance(inner.value, list):
                    out.extend(bridged(inner.value, seen | {a.value}))
            elif a.value not in gone:
                out.append(a)
        return out

    kept = []
    for t in tasks:
        if _item_key(t, "id") in gone:
            continue
        fields = dict(t.value) if isinstance(t.value, dict) else t.value
        if isinstance(fields, dict) and fields.get("after") is not None and isinstance(fields["after"].value, list):
            after, seen_ids = [], set()
            for a in bridged(fields["after"].value, frozenset()):
                if a.value not in seen_ids:
                    seen_ids.add(a.value)
                    after.append(a)
            fields["after"] = _Node(after, fields["after"].file, fields["after"].line, fields["after"].path)
        kept.append(_Node(fields, t.file, t.line, t.path))
    doc["tasks"].value[:] = kept
    effort_ids = {_item_key(t, "id") for t in kept if isinstance(t.value, dict) and t.value.get("workstream")}

    for section in ("risks", "milestones"):
        if section not in doc or not isinstance(doc[section].value, list):
            continue
        items = []
        for item in doc[section].value:
            fields = dict(item.value) if isinstance(item.value, dict) else item.value
            if isinstance(fields, dict) and "tasks" in fields:
                fields["tasks"] = _strip_ids(fields["tasks"], gone)
                listed = [x.value for x in fields["tasks"].value] if isinstance(fields["tasks"].value, list) else None
                if listed == []:
                    continue  # nothing left for it to apply to
                if section == "risks" and listed is not None:
                    if not any(x in effort_ids for x in listed):
                        fields.pop("effort", None)
                    if all(x in effort_ids for x in listed):
                        fields.pop("duration", None)
            items.append(_Node(fields, item.file, item.line, item.path))
        doc[section].value[:] = items

    if "costs" in doc and isinstance(doc["costs"].value, list):
        for i, c in enumerate(doc["costs"].value):
            if (
                isinstance(c.value, dict)
                and c.value.get("from_task") is not None
                and c.value["from_task"].value in gone
            ):
                fields = dict(c.value)
                del fields["from_task"]
                doc["costs"].value[i] = _Node(fields, c.file, c.line, c.path)


def _remove(doc: dict, scen: Source, patch: _Node) -> None:
    src = scen
    for section, ids in patch.value.items():
        fp = f"remove.{section}"
        wanted = [x.value for x in ids.value]
        if section == "workstreams":
            ws = doc.get("workstreams")
            known = ws.value if ws is not None and isinstance(ws.value, dict) else {}
            for i, wid in enumerate(wanted):
                if wid not in known:
                    raise src.error(f"{fp}[{i}]", f"no workstream '{wid}' in the plan{did_you_mean(str(wid), known)}")
                del known[wid]
            for c in doc["costs"].value if doc.get("costs") and isinstance(doc["costs"].value, list) else []:
                if isinstance(c.value, dict) and "workstreams" in c.value:
                    c.value["workstreams"] = _strip_ids(c.value["workstreams"], set(wanted))
            continue
        id_key = LIST_SECTIONS[section]
        items = _section_list(doc, section, scen, fp)
        for i, ident in enumerate(wanted):
            _find(items, id_key, ident, section, src, f"{fp}[{i}]")
        if section == "tasks":
            _remove_tasks(doc, set(wanted))
        else:
            items[:] = [it for it in items if _item_key(it, id_key) not in set(wanted)]


def apply_overlays(plan_src: Source, overlays: list[Source]) -> OverlaySource:
    """Apply overlay documents (parsed scenario files), in order, to a parsed plan document.

    Parameters
    ----------
    plan_src : Source
        The parsed plan file (`lekhok_forecast.sources.yamlsource.load_yaml`).
    overlays : list of Source
        Parsed scenario files whose shape is already checked
        (`lekhok_forecast.sources.scenario_file.Scenario.source`).

    Returns
    -------
    OverlaySource
        The changed document, ready for `lekhok_forecast.sources.plan_file.plan_from_source`; every
        value remembers the file and line it came from.

    Raises
    ------
    ForecastInputError
        If a scenario names an id the plan does not have, or changes something it cannot.
    """
    root = _annotate(plan_src)
    if not isinstance(root.value, dict):
        raise plan_src.error("", f"expected a mapping, got {kind_of(plan_src.data)}")
    doc = root.value
    for scen in overlays:
        ops = _annotate(scen).value
        for op, fn in (("remove", _remove), ("set", _set), ("add", _add)):
            if ops.get(op) is not None and ops[op].value:
                fn(doc, scen, ops[op])
    lines: dict = {}
    files: dict = {}
    data = _plain(root, "", lines, files)
    return OverlaySource(path=plan_src.path, data=copy.deepcopy(data), lines=lines, files=files)

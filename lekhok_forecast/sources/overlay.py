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

After every overlay is applied, the merged plan must not refer to anything removed (a
workstream or phase still used by a task, a cost left with no workstream, a task named by
an item a later operation added) and must keep a task (`_check_removals`). Such an error
names the scenario file and the line of the operation that broke the plan: the removal
(``remove.workstreams[0]``, or ``set.workstreams.<id>: null``) when the reference was there
before it, else the later reference. Values keep their file and line in
`lekhok_forecast.sources.located`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.sources.fields import kind_of
from lekhok_forecast.sources.located import Node, OverlaySource, annotate, item_key, plain
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


# ------------------------------------------------------------------------ applying


def _is_complete_range(node: Node) -> bool:
    return isinstance(node.value, dict) and "low" in node.value and "high" in node.value


def _merge(target: Node | None, patch: Node) -> Node | None:
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
    return Node(merged, target.file, target.line, target.path)


def _section_list(doc: dict, section: str, scen: Source, field_path: str) -> list:
    node = doc.get(section)
    if node is None:
        node = Node([], scen.path, scen.line(field_path), field_path)
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
        if item_key(item, key) == ident:
            return i
    known = [str(item_key(it, key)) for it in items]
    raise src.error(field_path, f"no {SINGULAR[section]} '{ident}' in the plan{did_you_mean(str(ident), known)}")


def _set(doc: dict, scen: Source, patch: Node, log: _Log) -> None:
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
            before = _keys(doc.get(key)) if key == "workstreams" else set()
            new = _merge(doc.get(key), sub)
            if new is None:
                doc.pop(key, None)
            else:
                doc[key] = new
            for wid in sorted(before - _keys(new), key=str):  # deleted with null: a removal too
                nulled = isinstance(sub.value, dict) and wid in sub.value
                log.removed(key, wid, scen, f"{fp}.{wid}" if nulled else fp)


def _add(doc: dict, scen: Source, patch: Node, log: _Log) -> None:
    src = scen
    for key, sub in patch.value.items():
        fp = f"add.{key}"
        if key == "workstreams":
            if not isinstance(sub.value, dict):
                raise src.error(fp, f"expected a mapping of new workstream id -> workstream, got {kind_of(sub.value)}")
            ws = doc.get("workstreams")
            if ws is None or ws.value is None:
                ws = doc["workstreams"] = Node({}, scen.path, sub.line, sub.path)
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


def _strip_ids(node: Node | None, gone: set) -> Node | None:
    """A copy of an id-list node without the ids in `gone` (None if `node` is None)."""
    if node is None or not isinstance(node.value, list) or not any(x.value in gone for x in node.value):
        return node
    return Node([x for x in node.value if x.value not in gone], node.file, node.line, node.path)


def _remove_tasks(doc: dict, gone: set) -> None:
    tasks = doc["tasks"].value
    by_id = {item_key(t, "id"): t for t in tasks}

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
        if item_key(t, "id") in gone:
            continue
        fields = dict(t.value) if isinstance(t.value, dict) else t.value
        if isinstance(fields, dict) and fields.get("after") is not None and isinstance(fields["after"].value, list):
            after, seen_ids = [], set()
            for a in bridged(fields["after"].value, frozenset()):
                if a.value not in seen_ids:
                    seen_ids.add(a.value)
                    after.append(a)
            fields["after"] = Node(after, fields["after"].file, fields["after"].line, fields["after"].path)
        kept.append(Node(fields, t.file, t.line, t.path))
    doc["tasks"].value[:] = kept
    effort_ids = {item_key(t, "id") for t in kept if isinstance(t.value, dict) and t.value.get("workstream")}

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
            items.append(Node(fields, item.file, item.line, item.path))
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
                doc["costs"].value[i] = Node(fields, c.file, c.line, c.path)


def _remove(doc: dict, scen: Source, patch: Node, log: _Log) -> None:
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
                log.removed(section, wid, scen, f"{fp}[{i}]")
            for c in doc["costs"].value if doc.get("costs") and isinstance(doc["costs"].value, list) else []:
                if isinstance(c.value, dict) and "workstreams" in c.value:
                    old = c.value["workstreams"]
                    c.value["workstreams"] = _strip_ids(old, set(wanted))
                    if isinstance(old.value, list) and old.value and not c.value["workstreams"].value:
                        last = max(wanted.index(x.value) for x in old.value)  # the one that emptied it
                        log.emptied[id(c.value["workstreams"])] = (log.removals[-len(wanted) :][last], c)
            continue
        id_key = LIST_SECTIONS[section]
        items = _section_list(doc, section, scen, fp)
        for i, ident in enumerate(wanted):
            _find(items, id_key, ident, section, src, f"{fp}[{i}]")
            if section in _REFERRED:
                log.removed(section, ident, scen, f"{fp}[{i}]")
        if section == "tasks":
            _remove_tasks(doc, set(wanted))
        else:
            items[:] = [it for it in items if item_key(it, id_key) not in set(wanted)]


# ------------------------------------------------------------------- removals


#: Sections whose items other items refer to (by id or, for phases, by name).
_REFERRED = ("tasks", "workstreams", "phases")
#: (removed section, referring item) -> what to do, for an item the plan had before the removal.
_FIX = {
    ("workstreams", "task"): "remove those tasks too or keep the workstream",
    ("workstreams", "cost"): "remove it from those costs' workstreams too or keep the workstream",
    ("phases", "task"): "remove those tasks too, give them another phase, or keep the phase",
}


@dataclass(frozen=True)
class _Removal:
    """One removed item: its section and id, and the scenario operation that removed it."""

    section: str
    ident: Any
    scen: Source
    field: str  # e.g. remove.workstreams[0], set.workstreams.ops
    order: int  # position of the scenario among the overlays


@dataclass
class _Log:
    """What the overlays removed, to check the merged plan against (`_check_removals`)."""

    orders: dict  # file -> position among the overlays (the plan: -1)
    order: int = 0
    removals: list = field(default_factory=list)
    emptied: dict = field(default_factory=dict)  # id(cost workstreams node) -> (_Removal, cost node)

    def removed(self, section: str, ident: Any, scen: Source, field_path: str) -> None:
        self.removals.append(_Removal(section, ident, scen, field_path, self.order))


def _keys(node: Node | None) -> set:
    return set(node.value) if node is not None and isinstance(node.value, dict) else set()


def _items(doc: dict, section: str) -> list:
    node = doc.get(section)
    return [x for x in node.value if isinstance(x.value, dict)] if node and isinstance(node.value, list) else []


def _references(doc: dict) -> Iterator[tuple[str, Any, Node, Node, str]]:
    """(section, id, referring value node, referring item node, item kind) of every reference."""
    for kind, section, keys in (
        ("task", "tasks", (("workstream", "workstreams"), ("phase", "phases"), ("after", "tasks"))),
        ("risk", "risks", (("tasks", "tasks"),)),
        ("milestone", "milestones", (("tasks", "tasks"),)),
        ("cost", "costs", (("from_task", "tasks"), ("workstreams", "workstreams"))),
    ):
        for item in _items(doc, section):
            for key, target in keys:
                ref = item.value.get(key)
                values = ref.value if ref is not None and isinstance(ref.value, list) else [ref]
                for v in values:
                    if v is not None and isinstance(v.value, (str, int)):
                        yield target, v.value, v, item, kind


def _where(node: Node, plan_path: str) -> str:
    return f"{node.path} in the plan" if node.file == plan_path else f"{node.path} in {node.file}"


def _check_removals(doc: dict, log: _Log, plan_path: str) -> None:
    """Refuse a merged plan that refers to something a scenario removed, or has no task left.

    The error names the operation that broke the plan: the removal when the reference was
    there before it (in the plan or an earlier scenario), else the later reference.
    """
    present = {
        "tasks": {item_key(t, "id") for t in _items(doc, "tasks")},
        "phases": {item_key(p, "name") for p in _items(doc, "phases")},
        "workstreams": _keys(doc.get("workstreams")),
    }
    refs = list(_references(doc))
    for r in log.removals:
        if r.ident in present[r.section]:
            continue  # added back
        word = SINGULAR[r.section]
        hits = [h for h in refs if h[:2] == (r.section, r.ident)]
        before = [h for h in hits if log.orders.get(h[2].file, -1) < r.order]
        if before:
            _, _, _, item, kind = before[0]
            more = [h for h in before[1:] if h[4] == kind]
            also = f" and {len(more)} more {kind}{'s' if len(more) > 1 else ''}" if more else ""
            fix = _FIX.get((r.section, kind), f"remove it from there too or keep the {word}")
            raise r.scen.error(
                r.field,
                f"{word} '{r.ident}' is still used by {kind} '{item_key(item, 'id')}'"
                f" ({_where(item, plan_path)}){also}; {fix}",
            )
        if hits:
            ref = hits[0][2]
            raise ForecastInputError(
                f"{word} '{r.ident}' is removed by {r.field} ({r.scen.path}:{r.scen.line(r.field)});"
                f" refer to another {word}, or keep it",
                file=ref.file,
                line=ref.line,
                field=ref.path or None,
            )
    for c in _items(doc, "costs"):
        streams = c.value.get("workstreams")
        if streams is not None and id(streams) in log.emptied:
            r, _ = log.emptied[id(streams)]
            raise r.scen.error(
                r.field,
                f"workstream '{r.ident}' is the last workstream of cost '{item_key(c, 'id')}'"
                f" ({_where(c, plan_path)}); remove the cost too or keep the workstream",
            )
    gone = [r for r in log.removals if r.section == "tasks"]
    if gone and not present["tasks"]:
        last = gone[-1]
        listed = last.field[: last.field.rfind("[")]
        raise last.scen.error(listed, "removes every task left in the plan; keep at least one task")


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
        If a scenario names an id the plan does not have, or changes something it cannot;
        or if the merged plan still refers to something a scenario removed, or has no task
        left (`_check_removals`): then at the line of the operation that broke it.
    """
    root = annotate(plan_src)
    if not isinstance(root.value, dict):
        raise plan_src.error("", f"expected a mapping, got {kind_of(plan_src.data)}")
    doc = root.value
    log = _Log({plan_src.path: -1, **{scen.path: k for k, scen in enumerate(overlays)}})
    for k, scen in enumerate(overlays):
        log.order = k
        ops = annotate(scen).value
        for op, fn in (("remove", _remove), ("set", _set), ("add", _add)):
            if ops.get(op) is not None and ops[op].value:
                fn(doc, scen, ops[op], log)
    _check_removals(doc, log, plan_src.path)
    lines: dict = {}
    files: dict = {}
    data = plain(root, "", lines, files)
    return OverlaySource(path=plan_src.path, data=copy.deepcopy(data), lines=lines, files=files)

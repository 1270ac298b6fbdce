"""Results written by one process and read by another: the report's forecast bundle.

The report computes the week's forecasts once and its notebooks, each in its own kernel,
read them back instead of simulating again. A bundle is a folder:

* ``bundle.json``: the structure, one entry per named part (a notebook decodes only the
  parts it shows);
* ``arrays.npz``: every NumPy array, uncompressed, read with ``allow_pickle=False``;
* optionally further *pieces* written later, ``bundle.<piece>.json`` with
  ``arrays.<piece>.npz``, each holding parts of its own (the report writes the scenarios
  after the notebooks have started); the reader finds a part in whichever piece has it.

What can be stored: ``None``, ``bool``, ``int``, ``float`` (NaN and infinities too), ``str``,
lists, tuples, sets, dicts (any keys of these kinds), dates and datetimes, paths, NumPy
arrays (numeric, bool or datetime) and scalars, pandas DataFrames, Series and plain
indexes, and instances of this package's own dataclasses and enums. Anything else is
refused when writing, with the path of the value in the message. Reading builds objects
only from classes defined in ``lekhok_forecast`` that are dataclasses or enums, without
calling their ``__init__``: nothing in the file can make the reader run code. An array
that several parts share (the week's forecast is in the weekly and the scenarios parts) is
stored once; any other value two parts share (the plan inside several results) is stored
once per part. Objects shared within a part are shared again after reading; a part read
alone gets its own copies of shared arrays.

Floats, arrays and frames come back bit for bit (JSON writes floats with ``repr``, which
round-trips; arrays keep their dtype and bytes).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import errno
import importlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from lekhok_forecast.sources.atomic import atomic_write, atomic_write_text

PACKAGE = "lekhok_forecast"
STRUCTURE_FILE = "bundle.json"
ARRAYS_FILE = "arrays.npz"
FORMAT_VERSION = 1


class BundleError(ValueError):
    """A value cannot be stored, or a bundle folder cannot be read as one."""


# ----------------------------------------------------------------------------- writing


class _Encoder:
    """Turns one part into JSON-able data, collecting its arrays under unique keys."""

    def __init__(self, part: str, arrays: dict[str, np.ndarray], stored: dict[int, str]):
        self.part = part
        self.arrays = arrays
        self.stored = stored  # id of an array already in `arrays` (any part's) -> its key
        self.ids: dict[int, int] = {}
        self.alive: list[Any] = []  # keeps every memoised object alive, so ids are not reused

    def _memo(self, obj: Any) -> tuple[int, bool]:
        """``(ref, seen_before)`` for an object that may be shared."""
        key = id(obj)
        if key in self.ids:
            return self.ids[key], True
        ref = len(self.ids)
        self.ids[key] = ref
        self.alive.append(obj)
        return ref, False

    def array(self, a: np.ndarray, where: str) -> dict:
        ref, seen = self._memo(a)
        if seen:
            return {"$ref": ref}
        if a.dtype.hasobject:
            return {
                "$id": ref,
                "$objects": [self.value(x, f"{where}[{i}]") for i, x in enumerate(a.ravel())],
                "shape": list(a.shape),
            }
        key = self.stored.get(id(a))  # `arrays` keeps the array alive, so its id is not reused
        if key is None:
            key = f"{self.part}/{ref}"
            self.arrays[key] = a
            self.stored[id(a)] = key
        return {"$id": ref, "$array": key}

    def values(self, values: Any, where: str) -> dict:
        """A pandas column or index's values: an array, or items for object dtype."""
        arr = np.asarray(values)
        if arr.dtype.hasobject:
            return {"$items": [self.value(x, f"{where}[{i}]") for i, x in enumerate(arr)]}
        return self.array(np.array(arr, copy=True), where)

    def index(self, idx: pd.Index, where: str) -> dict:
        if isinstance(idx, pd.MultiIndex):
            raise BundleError(f"{where}: a MultiIndex cannot be stored")
        name = self.value(idx.name, f"{where}.name")
        if isinstance(idx, pd.RangeIndex):
            return {"$range": [idx.start, idx.stop, idx.step], "name": name}
        return {"$index": self.values(idx, where), "dtype": str(idx.dtype), "name": name}

    def value(self, obj: Any, where: str = "") -> Any:
        if isinstance(obj, enum.Enum):  # first: a str enum (core.actuals.Status) is also a str
            return {"$enum": _class_name(type(obj), where), "v": obj.value}
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, np.generic):
            if obj.dtype.hasobject:
                raise BundleError(f"{where}: a NumPy object scalar cannot be stored")
            return {"$np": obj.dtype.str, "v": obj.item()}
        if isinstance(obj, (int, float)):
            if type(obj) not in (int, float):
                raise BundleError(f"{where}: cannot store a {type(obj).__name__}")
            return obj
        if isinstance(obj, _dt.datetime):
            return {"$datetime": obj.isoformat()}
        if isinstance(obj, _dt.date):
            return {"$date": obj.isoformat()}
        if isinstance(obj, PurePath):
            return {"$path": str(obj)}
        if isinstance(obj, np.ndarray):
            return self.array(obj, where)
        if isinstance(obj, pd.DataFrame):
            return self.frame(obj, where)
        if isinstance(obj, pd.Series):
            ref, seen = self._memo(obj)
            if seen:
                return {"$ref": ref}
            return {
                "$id": ref,
                "$series": self.values(obj.to_numpy(), where),
                "dtype": str(obj.dtype),
                "index": self.index(obj.index, f"{where}.index"),
                "name": self.value(obj.name, f"{where}.name"),
            }
        if isinstance(obj, pd.Index):
            return self.index(obj, where)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            ref, seen = self._memo(obj)
            if seen:
                return {"$ref": ref}
            fields = {f.name: self.value(getattr(obj, f.name), f"{where}.{f.name}") for f in dataclasses.fields(obj)}
            return {"$id": ref, "$dc": _class_name(type(obj), where), "f": fields}
        if isinstance(obj, tuple):
            return {"$tuple": [self.value(x, f"{where}[{i}]") for i, x in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(obj)]
        if isinstance(obj, (set, frozenset)):
            items = [self.value(x, f"{where}{{}}") for x in sorted(obj, key=repr)]
            return {"$frozenset" if isinstance(obj, frozenset) else "$set": items}
        if isinstance(obj, Mapping):
            if all(type(k) is str for k in obj):
                return {"$map": {k: self.value(v, f"{where}[{k!r}]") for k, v in obj.items()}}
            return {
                "$dict": [[self.value(k, f"{where}.key"), self.value(v, f"{where}[{k!r}]")] for k, v in obj.items()]
            }
        raise BundleError(f"{where or 'value'}: cannot store a {type(obj).__module__}.{type(obj).__qualname__}")

    def frame(self, df: pd.DataFrame, where: str) -> dict:
        ref, seen = self._memo(df)
        if seen:
            return {"$ref": ref}
        columns = [self.values(df.iloc[:, i].to_numpy(), f"{where}[{df.columns[i]!r}]") for i in range(df.shape[1])]
        return {
            "$id": ref,
            "$frame": columns,
            "dtypes": [str(t) for t in df.dtypes],
            "columns": self.index(df.columns, f"{where}.columns"),
            "index": self.index(df.index, f"{where}.index"),
            "attrs": self.value(dict(df.attrs), f"{where}.attrs"),
        }


def _class_name(cls: type, where: str) -> str:
    if not (cls.__module__ == PACKAGE or cls.__module__.startswith(PACKAGE + ".")):
        raise BundleError(f"{where}: cannot store a {cls.__module__}.{cls.__qualname__} (not a class of {PACKAGE})")
    return f"{cls.__module__}:{cls.__qualname__}"


def _piece_files(piece: str) -> tuple[str, str]:
    """The structure and arrays file names of a piece (``""``: the bundle's first)."""
    return (STRUCTURE_FILE, ARRAYS_FILE) if not piece else (f"bundle.{piece}.json", f"arrays.{piece}.npz")


def write_bundle(folder: str | os.PathLike[str], parts: Mapping[str, Any], piece: str = "") -> Path:
    """Write named parts into `folder` (created; existing bundle files are replaced).

    Each file is written under a temporary name and moved into place, the structure last,
    so a reader never sees a half-written bundle. `piece` (a plain name) writes the parts
    as a further piece beside the first (``bundle.<piece>.json``, ``arrays.<piece>.npz``);
    write the first piece before it.

    Raises
    ------
    BundleError
        If a value of a part cannot be stored (naming where it is).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    stored: dict[int, str] = {}
    encoded = {name: _Encoder(name, arrays, stored).value(value, name) for name, value in parts.items()}
    structure = {"format": FORMAT_VERSION, "parts": encoded}
    need = sum(a.nbytes for a in arrays.values())
    free = shutil.disk_usage(folder).free
    if free < need:  # say so before writing, rather than leave a cut file to clean up
        raise OSError(errno.ENOSPC, f"the bundle needs {need / 2**20:.0f} MB, {free / 2**20:.0f} MB free", str(folder))
    structure_file, arrays_file = _piece_files(piece)
    atomic_write(folder / arrays_file, lambda fh: np.savez(fh, allow_pickle=False, **arrays))
    atomic_write_text(folder / structure_file, json.dumps(structure, separators=(",", ":")))
    return folder


# ----------------------------------------------------------------------------- reading


class _Decoder:
    def __init__(self, arrays: Mapping[str, np.ndarray]):
        self.arrays = arrays
        self.refs: dict[int, Any] = {}

    def _register(self, node: dict, obj: Any) -> Any:
        if "$id" in node:
            self.refs[node["$id"]] = obj
        return obj

    def values(self, node: dict) -> Any:
        if "$items" in node:
            arr = np.empty(len(node["$items"]), dtype=object)
            arr[:] = [self.value(x) for x in node["$items"]]
            return arr
        return self.value(node)

    def index(self, node: dict) -> pd.Index:
        name = self.value(node["name"])
        if "$range" in node:
            return pd.RangeIndex(*node["$range"], name=name)
        return pd.Index(self.values(node["$index"]), dtype=node["dtype"], name=name)

    def value(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.value(x) for x in node]
        if not isinstance(node, dict):
            raise BundleError(f"unexpected {type(node).__name__} in the bundle")
        if "$ref" in node:
            return self.refs[node["$ref"]]
        if "$array" in node:
            return self._register(node, self.arrays[node["$array"]])
        if "$objects" in node:
            arr = np.empty(len(node["$objects"]), dtype=object)
            arr[:] = [self.value(x) for x in node["$objects"]]
            return self._register(node, arr.reshape(node["shape"]))
        if "$np" in node:
            return np.dtype(node["$np"]).type(node["v"])
        if "$enum" in node:
            return _package_class(node["$enum"], enum.Enum)(node["v"])
        if "$date" in node:
            return _dt.date.fromisoformat(node["$date"])
        if "$datetime" in node:
            return _dt.datetime.fromisoformat(node["$datetime"])
        if "$path" in node:
            return Path(node["$path"])
        if "$tuple" in node:
            return tuple(self.value(x) for x in node["$tuple"])
        if "$set" in node:
            return {self.value(x) for x in node["$set"]}
        if "$frozenset" in node:
            return frozenset(self.value(x) for x in node["$frozenset"])
        if "$map" in node:
            return {k: self.value(v) for k, v in node["$map"].items()}
        if "$dict" in node:
            return {self.value(k): self.value(v) for k, v in node["$dict"]}
        if "$dc" in node:
            cls = _package_class(node["$dc"], None)
            obj: Any = object.__new__(cls)  # no __init__/__post_init__: the fields are restored as stored
            self._register(node, obj)
            names = {f.name for f in dataclasses.fields(cls)}
            for name, value in node["f"].items():
                if name not in names:
                    raise BundleError(f"{node['$dc']} has no field {name!r} (bundle from another version?)")
                object.__setattr__(obj, name, self.value(value))
            return obj
        if "$series" in node:
            series = pd.Series(
                self.values(node["$series"]), index=self.index(node["index"]), name=self.value(node["name"]), copy=False
            )
            if str(series.dtype) != node["dtype"]:
                series = series.astype(node["dtype"])
            return self._register(node, series)
        if "$frame" in node:
            cols = [self.values(c) for c in node["$frame"]]
            df = pd.DataFrame({i: c for i, c in enumerate(cols)}, index=self.index(node["index"]), copy=False)
            for i, dtype in enumerate(node["dtypes"]):
                if str(df.dtypes.iloc[i]) != dtype:
                    df[i] = df[i].astype(dtype)
            df.columns = self.index(node["columns"])
            df.attrs.update(self.value(node["attrs"]))
            return self._register(node, df)
        raise BundleError(f"unknown entry {sorted(node)[:3]} in the bundle")


def _package_class(name: str, base: type | None) -> type:
    """The class ``module:Qualname`` of this package (a dataclass, or a subclass of `base`)."""
    module, _, qualname = name.partition(":")
    if not (module == PACKAGE or module.startswith(PACKAGE + ".")):
        raise BundleError(f"the bundle names a class outside {PACKAGE}: {name}")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    ok = isinstance(obj, type) and (issubclass(obj, base) if base is not None else dataclasses.is_dataclass(obj))
    if not ok:
        raise BundleError(f"the bundle names {name}, which is not a {base.__name__ if base else 'dataclass'} here")
    return obj


def read_bundle(folder: str | os.PathLike[str], *parts: str) -> dict[str, Any]:
    """Read the named parts (all of them when none is named) of a bundle folder.

    Raises
    ------
    BundleError
        If the folder holds no bundle, another format version, or not the named parts.
    """
    folder = Path(folder)
    where: dict[str, tuple[str, Any]] = {}  # part -> (its arrays file, its encoded structure)
    pieces = [""] + sorted(p.name[len("bundle.") : -len(".json")] for p in folder.glob("bundle.*.json"))
    for piece in pieces:
        structure_file, arrays_file = _piece_files(piece)
        try:
            structure = json.loads((folder / structure_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"{folder}: not a readable forecast bundle ({exc})") from None
        if structure.get("format") != FORMAT_VERSION:
            raise BundleError(f"{folder}: bundle format {structure.get('format')!r}, expected {FORMAT_VERSION}")
        for name, node in structure["parts"].items():
            where.setdefault(name, (arrays_file, node))
    missing = [p for p in parts if p not in where]
    if missing:
        raise BundleError(f"{folder}: no part {', '.join(map(repr, missing))} in the bundle (has {', '.join(where)})")
    out: dict[str, Any] = {}
    wanted = parts or tuple(where)
    for arrays_file in dict.fromkeys(where[name][0] for name in wanted):
        with np.load(folder / arrays_file, allow_pickle=False) as npz:
            for name in wanted:
                if where[name][0] == arrays_file:
                    out[name] = _Decoder(npz).value(where[name][1])
    return {name: out[name] for name in wanted}

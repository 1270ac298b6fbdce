"""Validate values of a parsed YAML document, with errors at their file, line and field.

`FieldReader` is bound to one `Source`; each method returns the value converted, or raises
`ForecastInputError` naming the field path and what was expected. `kind_of` and
`fmt_number` are the wording of values in every input error (plan, scenario, actuals).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from lekhok_forecast.core.distributions import Dist, Range
from lekhok_forecast.core.plan import UNITS, week_label
from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.sources.yamlsource import Source, is_date

#: Ids of tasks, workstreams, risks and costs.
ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
#: A range written as text: ``3-5``, ``3 - 5 days``, ``3 to 5 hours``, ``3–5``.
RANGE_TEXT = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|to|\.\.)\s*(\d+(?:\.\d+)?)\s*(hours?|days?|weeks?|h|d|w)?\s*$", re.IGNORECASE
)
#: Keys of a range mapping (``unit`` only where a unit applies).
RANGE_KEYS = ("low", "mode", "high", "dist", "unit")


def kind_of(value: Any) -> str:
    """What `value` is, for "expected ..., got <kind>" messages: ``a mapping``, ``text 'x'``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    return f"{type(value).__name__} {value!r}"


def fmt_number(x: float) -> str:
    """A number in a message as written: ``12`` for 12.0, ``1.5``, ``inf``."""
    return week_label(x) if math.isfinite(x) else str(x)


def sub_field(field: str, key: str) -> str:
    """The field path of `key` inside `field` (the top level is ``""``)."""
    return f"{field}.{key}" if field else key


class FieldReader:
    """Validation helpers bound to one `Source` (for file/line/field in errors)."""

    def __init__(self, src: Source) -> None:
        self.src = src

    def fail(self, field: str, message: str) -> ForecastInputError:
        """A `ForecastInputError` at `field` of the source (raise it)."""
        return self.src.error(field, message)

    def mapping(self, value: Any, field: str, keys: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        """`value` if it is a mapping with only `keys` and every `required` key."""
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a mapping, got {kind_of(value)}")
        for key in value:
            if key not in keys:
                raise self.fail(
                    sub_field(field, key),
                    f"unknown key '{key}'{did_you_mean(key, keys)}; expected one of: {', '.join(keys)}",
                )
        for key in required:
            if key not in value:
                raise self.fail(field, f"missing required key '{key}'")
        return value

    def text(self, value: Any, field: str) -> str:
        """`value` as non-empty stripped text (numbers are accepted as text)."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(field, f"expected text, got {kind_of(value)}")
        text = str(value).strip()
        if not text:
            raise self.fail(field, "must not be empty")
        return text

    def boolean(self, value: Any, field: str) -> bool:
        """`value` if it is ``true`` or ``false`` (YAML booleans, not text or numbers)."""
        if not isinstance(value, bool):
            raise self.fail(field, f"expected true or false, got {kind_of(value)}")
        return value

    def number(
        self,
        value: Any,
        field: str,
        *,
        minimum: float | None = 0.0,
        positive: bool = False,
        maximum: float | None = None,
    ) -> float:
        """`value` as a finite float within the bounds (`positive`: > 0)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field, f"expected a number, got {kind_of(value)}")
        try:
            x = float(value)
        except OverflowError:  # an integer literal too large for a float
            x = math.inf
        if not math.isfinite(x):
            raise self.fail(field, f"must be a finite number, got {value}")
        if positive and x <= 0:
            raise self.fail(field, f"must be > 0, got {fmt_number(x)}")
        if minimum is not None and x < minimum:
            raise self.fail(field, f"must be >= {fmt_number(minimum)}, got {fmt_number(x)}")
        if maximum is not None and x > maximum:
            raise self.fail(field, f"must be <= {fmt_number(maximum)}, got {fmt_number(x)}")
        return x

    def fraction(self, value: Any, field: str) -> float:
        """`value` as a fraction in [0, 1]: a number (``0.2``) or a percentage as text (``20%``).

        A number above 1 is refused with the fraction it probably meant (``write 20% as 0.2``).
        """
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                x = float(value.strip()[:-1]) / 100
            except ValueError:
                raise self.fail(
                    field, f"expected a fraction like 0.2 or a percentage like 20%, got {value!r}"
                ) from None
            if not 0 <= x <= 1:
                raise self.fail(field, f"must be between 0% and 100%, got {value.strip()}")
            return x
        if isinstance(value, str):
            raise self.fail(field, f"expected a fraction like 0.2 or a percentage like 20%, got {kind_of(value)}")
        x = self.number(value, field)
        if x > 1:
            p = x if x <= 100 else 20.0  # the percentage it probably meant, else an example
            raise self.fail(
                field,
                f"must be a fraction of at most 1, got {fmt_number(x)};"
                f" write {fmt_number(p)}% as {fmt_number(p / 100)} (or as {fmt_number(p)}%)",
            )
        return x

    def sequence(self, value: Any, field: str) -> list:
        """`value` if it is a list."""
        if not isinstance(value, list):
            raise self.fail(field, f"expected a list, got {kind_of(value)}")
        return value

    def identifier(self, value: Any, field: str, pattern: re.Pattern = ID_PATTERN) -> str:
        """`value` as an id matching `pattern`."""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.fail(field, f"expected an id, got {kind_of(value)}")
        ident = str(value)
        if not pattern.match(ident):
            allowed = pattern.pattern.strip("^$")
            raise self.fail(field, f"malformed id '{ident}': expected {allowed}")
        return ident

    def id_list(self, value: Any, field: str, known: dict[str, int], what: str) -> tuple[str, ...]:
        """A list of distinct ids, each one of `known` (`what` names them in errors)."""
        items = self.sequence(value, field)
        out = []
        for i, item in enumerate(items):
            f = f"{field}[{i}]"
            ident = self.identifier(item, f)
            if ident not in known:
                raise self.fail(f, f"unknown {what} '{ident}'{did_you_mean(ident, known)}")
            if ident in out:
                raise self.fail(f, f"'{ident}' is listed twice")
            out.append(ident)
        return tuple(out)

    def range(
        self,
        value: Any,
        field: str,
        *,
        unit_factor: dict[str, float] | None = None,
        default_unit: str | None = None,
        allow_zero: bool = True,
    ) -> Range:
        """Parse a number or ``{low, mode, high, dist, unit}`` into a `Range` in target units."""
        factor = 1.0
        if unit_factor:
            if default_unit is None:  # a caller's mistake, not the user's
                raise ValueError("range: unit_factor needs a default_unit")
            factor = unit_factor[default_unit]
        if not isinstance(value, dict):
            if isinstance(value, str):
                self._range_text(value, field, default_unit if unit_factor else None)
            x = self.number(value, field, positive=not allow_zero)
            return Range.fixed(x * factor)
        keys = RANGE_KEYS if unit_factor else RANGE_KEYS[:4]
        self.mapping(value, field, keys, required=("low", "high"))
        if "unit" in value:
            unit = value["unit"]
            if unit not in UNITS:
                raise self.fail(
                    f"{field}.unit", f"expected one of {', '.join(UNITS)}, got {unit!r}{did_you_mean(unit, UNITS)}"
                )
            assert unit_factor  # `keys` admits "unit" only with a unit_factor
            factor = unit_factor[unit]
        low = self.number(value["low"], f"{field}.low", positive=not allow_zero)
        high = self.number(value["high"], f"{field}.high", positive=not allow_zero)
        dist_name = value.get("dist")
        has_mode = "mode" in value
        if has_mode:
            mode = self.number(value["mode"], f"{field}.mode", positive=not allow_zero)
            if mode < low:
                raise self.fail(f"{field}.mode", f"must be >= low ({fmt_number(low)}), got {fmt_number(mode)}")
            if high < mode:
                raise self.fail(f"{field}.high", f"must be >= mode ({fmt_number(mode)}), got {fmt_number(high)}")
        else:
            if high < low:
                raise self.fail(f"{field}.high", f"must be >= low ({fmt_number(low)}), got {fmt_number(high)}")
            mode = (low + high) / 2
        allowed = ("pert", "triangular") if has_mode else ("uniform", "lognormal")
        if dist_name is None:
            dist = Dist.PERT if has_mode else Dist.UNIFORM
        else:
            if dist_name not in allowed:
                shape = "{low, mode, high}" if has_mode else "{low, high}"
                raise self.fail(
                    f"{field}.dist",
                    f"expected one of {', '.join(allowed)} for {shape},"
                    f" got {dist_name!r}{did_you_mean(str(dist_name), allowed)}",
                )
            dist = Dist(dist_name)
        if low == high:
            return Range.fixed(low * factor)
        if dist is Dist.LOGNORMAL:
            if low <= 0:
                raise self.fail(f"{field}.low", f"must be > 0 for a lognormal, got {fmt_number(low)}")
            mode = math.sqrt(low * high)
        return Range(dist, low * factor, mode * factor, high * factor)

    def _range_text(self, value: str, field: str, default_unit: str | None) -> None:
        """Refuse a range written as text (``3-5 days``), showing the mapping it should be."""
        m = RANGE_TEXT.match(value)
        if not m:
            return
        low, high, unit = m.group(1), m.group(2), (m.group(3) or "").lower()
        unit = {"h": "hours", "d": "days", "w": "weeks"}[unit[0]] if unit else ""
        form = f"low: {low}, high: {high}"
        if unit and default_unit is not None and unit in UNITS and unit != default_unit:
            form += f", unit: {unit}"
        raise self.fail(field, f"a range is a mapping, not text: write {value.strip()!r} as {{{form}}}")

    def date(self, value: Any, field: str) -> _dt.date:
        """`value` as a date (a YAML date or ISO text)."""
        if is_date(value):
            return value
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(field, f"expected an ISO date like 2025-02-03, got {value!r}")

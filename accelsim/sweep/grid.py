"""Sweep axes (``--grid KEY=V1,V2,...``) and the design points they span.

A point is the tuple of its swept ``(key, value)`` pairs in axis order; its
:attr:`Point.key` (``key=value`` pairs sorted by key, values as JSON) identifies
it across runs, which is what makes a sweep resumable.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Optional

from accelsim.errors import fail
from accelsim.util import reader


@dataclass(frozen=True)
class Axis:
    key: str                  # dotted arch key, or workload.<key>
    values: tuple[Any, ...]
    item: str                 # the --grid text, for messages


@dataclass(frozen=True)
class Point:
    index: int                        # position in the full Cartesian product
    values: tuple[tuple[str, Any], ...]

    @cached_property
    def key(self) -> str:
        return point_key(self.values)


def point_key(values: Iterable[tuple[str, Any]]) -> str:
    """Stable identity of a design point: ``a.b=1;c.d="x"`` sorted by key."""
    return ";".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(values))


def parse_value(text: str) -> Any:
    """One grid value, parsed as YAML like ``--set`` values (``4`` -> int, ``true`` -> bool, ``1e3`` -> float)."""
    value = reader.parse_yaml(text, "--grid", raw_on_syntax_error=True)
    if value is None or not isinstance(value, (bool, int, float, str)):
        return text  # dates, nulls, ...: keep the text as written
    if isinstance(value, str):
        try:  # YAML 1.1 reads 1e3 as a string; a sweep value that Python reads as a number is one
            return float(value) if value.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity") else value
        except ValueError:
            return value
    return value


def parse_axis(item: str) -> Axis:
    if "=" not in item:
        raise fail("--grid", item, "expected KEY=V1,V2,... with a dotted key, e.g. pim.adc_bits=4,6,8")
    key, text = (s.strip() for s in item.split("=", 1))
    if not key or "." not in key or any(not part for part in key.split(".")):
        raise fail("--grid", item, "expected a dotted key such as pim.adc_bits or workload.timesteps", key)
    raw = [v.strip() for v in text.split(",")]
    if not text.strip() or any(not v for v in raw):
        raise fail("--grid", item, "expected a comma-separated list of values, none empty", text)
    values = tuple(parse_value(v) for v in raw)
    if len({json.dumps(v) for v in values}) != len(values):
        raise fail("--grid", item, "lists a value twice", text)
    return Axis(key, values, item)


def parse_grid(items: Iterable[str]) -> list[Axis]:
    axes = [parse_axis(i) for i in items]
    seen: dict[str, str] = {}
    for a in axes:
        if a.key in seen:
            raise fail("--grid", a.item, f"sweeps {a.key} again (already in --grid {seen[a.key]})")
        seen[a.key] = a.item
    return axes


def grid_size(axes: list[Axis]) -> int:
    n = 1
    for a in axes:
        n *= len(a.values)
    return n


def point_at(axes: list[Axis], index: int) -> Point:
    """The ``index``-th point of the product (last axis varies fastest)."""
    values = []
    rest = index
    for a in reversed(axes):
        rest, i = divmod(rest, len(a.values))
        values.append((a.key, a.values[i]))
    return Point(index, tuple(reversed(values)))


def grid_points(axes: list[Axis], random_n: Optional[int] = None, seed: int = 0) -> list[Point]:
    """Every point of the Cartesian product, or ``random_n`` of them drawn without replacement."""
    size = grid_size(axes)
    if random_n is None or random_n >= size:
        indices: Iterable[int] = range(size)
    else:
        indices = sorted(random.Random(seed).sample(range(size), random_n))
    return [point_at(axes, i) for i in indices]

"""Validate every design point before anything runs, and find which points share a trace.

Each point's architecture is built from the arch file plus the fixed ``--set``
pairs plus the point's swept arch keys (read once, validated per point, tech
tables cached); each distinct set of ``workload.*`` values is loaded and lowered
once. A problem names the ``--grid`` item it comes from, so a bad value exits 2
with a message like ``--grid pim.adc_bits=4,99: pim.adc_bits = 99: must be ...``.

A point's *trace identity* (:meth:`PointValidator.trace_identity`) is derived,
never listed by hand: its ``workload.*`` values plus, per hardware layer, the
engine that runs it and that engine's numerics group
(:func:`accelsim.hw.engines.numerics_identity`: exactly the parameters the
engine's functional executor reads). Points with equal identities have equal
functional traces.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Hashable, Iterable, Optional

from accelsim.config.loader import ArchSpec, apply_sets, read_yaml, validate_arch_dict
from accelsim.engine.lower import Layer, lower
from accelsim.hw.builtin import assign, numerics_identity
from accelsim.hw.engines import reuse_identity
from accelsim.tech.table import TechTable, load_tech
from accelsim.errors import InputError, Problem
from accelsim.sweep.grid import Axis, Point
from accelsim.workload.loader import load_workload

Pairs = tuple[tuple[str, Any], ...]


def split_pairs(pairs: Iterable[tuple[str, Any]]) -> tuple[Pairs, Pairs]:
    """(arch pairs, workload pairs)."""
    pairs = tuple(pairs)
    return (tuple(p for p in pairs if not p[0].startswith("workload.")),
            tuple(p for p in pairs if p[0].startswith("workload.")))


def _blame(problem: Problem, axes: list[Axis], point: Point) -> Problem:
    """Re-address a problem to the --grid item(s) that produced it."""
    path = problem.path
    hits = [a for a in axes if path == a.key or path.startswith(a.key + ".") or a.key.startswith(path + ".")
            or ("workload." + path) == a.key]
    where = " and ".join(f"--grid {a.item}" for a in hits) if hits else \
        f"design point {point.key} (--grid {', --grid '.join(a.item for a in axes)})"
    return replace(problem, file=where)


class PointValidator:
    """Builds and checks the :class:`ArchSpec` of each point; loads and lowers each workload variant once."""

    def __init__(self, arch_file: str, workload_file: str, base_sets: Pairs):
        self.arch_file = arch_file
        self.workload_file = workload_file
        self.base_arch, self.base_workload = split_pairs(base_sets)
        self.raw = read_yaml(arch_file)
        if self.raw is not None and not isinstance(self.raw, dict):
            raise InputError([Problem(arch_file, "", "expected a mapping of sections", self.raw)])
        self._base_raw = apply_sets(self.raw or {}, self.base_arch, arch_file) if self.base_arch else (self.raw or {})
        self._tech: dict[str, TechTable] = {}
        self._layers: dict[Pairs, list[Layer]] = {}
        self._hybrid: dict[Pairs, bool] = {}

    def arch_spec(self, arch_pairs: Pairs) -> ArchSpec:
        raw = apply_sets(self._base_raw, arch_pairs, self.arch_file) if arch_pairs else self._base_raw
        arch = validate_arch_dict(raw, self.arch_file)
        tkey = json.dumps([arch.tech.node, arch.tech.overrides, arch.tech.vdd], sort_keys=True, default=str)
        if tkey not in self._tech:
            self._tech[tkey] = load_tech(arch.tech.node, arch.tech.overrides, file=self.arch_file, vdd=arch.tech.vdd)
        return ArchSpec(arch=arch, tech=self._tech[tkey], source=self.arch_file)

    def layers(self, wl_pairs: Pairs) -> list[Layer]:
        """The hardware layers of the workload with ``wl_pairs`` set (loaded, validated and lowered once)."""
        if wl_pairs not in self._layers:
            graph = load_workload(self.workload_file, self.base_workload + wl_pairs)
            self._layers[wl_pairs] = lower(graph)
            self._hybrid[wl_pairs] = graph.ann is not None
        return self._layers[wl_pairs]

    def check_workload(self, wl_pairs: Pairs) -> None:
        self.layers(wl_pairs)

    def assigned(self, spec: ArchSpec, wl_pairs: Pairs) -> list[Layer]:
        """The workload's layers with the engine that runs each under ``spec``."""
        return assign(self.layers(wl_pairs), spec.arch)

    def trace_identity(self, spec: ArchSpec, wl_pairs: Pairs, layers: Optional[list[Layer]] = None) -> Hashable:
        """What decides the functional trace of the point with ``spec`` and ``wl_pairs``: the
        workload values and, per layer, its engine and that engine's numerics group
        (``layers``: :meth:`assigned`, when already at hand)."""
        layers = self.assigned(spec, wl_pairs) if layers is None else layers
        return (tuple(sorted(wl_pairs, key=lambda p: p[0])),
                numerics_identity(layers, spec.arch, ann=self._hybrid[wl_pairs]))

    def reuse_identity(self, spec: ArchSpec, wl_pairs: Pairs, layers: Optional[list[Layer]] = None) -> Hashable:
        """What decides the intermediate results the point's trace can share with others
        (:func:`accelsim.hw.engines.reuse_identity`: e.g. the PIM's column sums before the ADC)."""
        layers = self.assigned(spec, wl_pairs) if layers is None else layers
        return (tuple(sorted(wl_pairs, key=lambda p: p[0])),
                reuse_identity(layers, spec.arch, ann=self._hybrid[wl_pairs]))


def validate_points(validator: PointValidator, axes: list[Axis], points: list[Point],
                    reuse: Optional[list] = None) -> list[Hashable]:
    """Check every point; raise one InputError listing every distinct problem. Returns each
    point's trace identity (:meth:`PointValidator.trace_identity`; equal ones are one object);
    ``reuse``: a list that receives each point's reuse identity (:meth:`PointValidator.reuse_identity`).

    The validated specs are not kept (a large sweep would hold them all): the
    worker builds each point's spec again from its pairs, which is cheap.
    """
    problems: dict[str, Problem] = {}
    identities: list[Hashable] = []
    interned: dict[Hashable, Hashable] = {}
    for point in points:
        arch_pairs, wl_pairs = split_pairs(point.values)
        spec = None
        try:
            validator.check_workload(wl_pairs)
        except InputError as exc:
            for p in exc.problems:
                q = _blame(p, axes, point)
                problems.setdefault(str(q), q)
        try:
            spec = validator.arch_spec(arch_pairs)
        except InputError as exc:
            for p in exc.problems:
                q = _blame(p, axes, point)
                problems.setdefault(str(q), q)
        if not problems and spec is not None:
            layers = validator.assigned(spec, wl_pairs)   # once per point, for both identities
            identity = validator.trace_identity(spec, wl_pairs, layers)
            identities.append(interned.setdefault(identity, identity))
            if reuse is not None:
                rid = validator.reuse_identity(spec, wl_pairs, layers)
                reuse.append(interned.setdefault(rid, rid))
    if problems:
        raise InputError(list(problems.values()))
    return identities

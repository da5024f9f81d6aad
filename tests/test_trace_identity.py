"""A trace's identity is complete: every architecture field that can change the functional trace
changes :func:`accelsim.hw.engines.numerics_identity` (each engine's numerics group).

Every field of :class:`accelsim.config.arch.Arch` is changed in turn, on five bases (the tiny
arch with its PIM first layer, the same with a calibrated ADC range, with the first layer on
the digital core, with fixed-point cores, and with the per-event core cost model). When the
identity stays the same, the trace of the tiny workload must stay the same: counts, scores, per-address counts and the first layer's recorded activity. This is
what the sweep's trace reuse relies on; it fails as soon as an engine's executor reads a
parameter its numerics group omits (checked below by dropping one).
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal, get_args, get_origin

import annotated_types
import numpy as np
import pytest
import yaml

from accelsim.config.arch import Arch
from accelsim.config.loader import validate_arch_dict
from accelsim.engine.lower import lower
from accelsim.errors import InputError
from accelsim.hw import engines
from accelsim.hw.builtin import assign, numerics_identity, simulate_on
from accelsim.tech.table import available_nodes
from accelsim.util.dotted import set_dotted
from accelsim.workload import load_workload

from conftest import TINY_ARCH_YAML, arch_fields, build_tiny_workload

BASES = {
    "pim": {},
    "pim-calibrated": {"pim.adc_range": "calibrated", "pim.adc_clip_ratio": 0.8},
    "digital": {"pim.enabled": False},
    "fixed": {"core.numerics": "fixed"},
    "per-event": {"core.cost_model": "per_event"},   # core.per_event.* are read only here
}
# fields whose type has no generic change: a valid other value
EXPLICIT = {"tech.overrides": [{"vdd_v": 1.0}], "baselines.precisions": [[16], ["fp16"]],
            "macro.blocks": [[{"name": "adc", "per": "conversion", "pj": 1.0, "vdd_v": 0.9}]],
            "tech.vdd": [0.8], "macro.cycle_ns": [10.0], "macro.cycle_vdd": [0.9], "macro.node_nm": [45.0]}
# fields no base can change validly, and why
UNCHANGEABLE = {"tech.node": "one technology table ships"} if available_nodes() == ["45nm"] else {}
UNCHANGEABLE["macro.cycle_vdd"] = "valid only with macro.cycle_ns set (rule macro_cycle_vdd_needs_cycle)"


def _bounds(info) -> tuple[float, float]:
    lo, hi = -math.inf, math.inf
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            lo = max(lo, m.ge)
        elif isinstance(m, annotated_types.Gt):
            lo = max(lo, m.gt + 1e-9)
        elif isinstance(m, annotated_types.Le):
            hi = min(hi, m.le)
        elif isinstance(m, annotated_types.Lt):
            hi = min(hi, m.lt - 1e-9)
    return lo, hi


def candidates(key: str, info, value: Any) -> list[Any]:
    """Changed values to try for the field, most natural first (validity is checked by the caller):
    ints and floats bumped within the field's bounds, bools flipped, the next Literal choice."""
    if key in EXPLICIT:
        return EXPLICIT[key]
    ann, lo_hi = info.annotation, _bounds(info)
    args = get_args(ann)
    if get_origin(ann) in (typing.Union, types.UnionType) and type(None) in args:   # Optional[...]
        (ann,) = [a for a in args if a is not type(None)]
        if value is None:
            return [v for v in (64, 32, 16) if ann is int and lo_hi[0] <= v <= lo_hi[1]]
        return [None, *_bumped(ann, lo_hi, value)]
    if get_origin(ann) is Literal:
        i = args.index(value)
        return list(args[i + 1:] + args[:i])
    if ann is str:
        return [n for n in available_nodes() if n != value] if key == "tech.node" else [f"{value}-changed"]
    return _bumped(ann, lo_hi, value)


def _bumped(ann: Any, bounds: tuple[float, float], value: Any) -> list[Any]:
    lo, hi = bounds
    if ann is bool:
        return [not value]
    if ann is int:
        return [v for v in (value + 1, value - 1, value * 2) if lo <= v <= hi]
    if ann is float:
        return [v for v in ((value * 1.5, value * 0.5) if value else (0.5, 0.1)) if lo <= v <= hi]
    return []


def changed_arch(base: dict, key: str, info) -> tuple[Arch, Any] | None:
    """The base with ``key`` set to the first valid changed value, or None."""
    arch = validate_arch_dict(base, "base")
    value = arch
    for part in key.split("."):
        value = getattr(value, part)
    for new in candidates(key, info, value):
        try:
            return validate_arch_dict(set_dotted(base, key, new), "changed"), new
        except InputError:
            continue
    return None


def fingerprint(trace) -> dict:
    """Everything a trace holds that the cost model or the report reads (not its memo)."""
    return {
        "layers": [(l.name, l.engine) for l in trace.layers],
        "counts": [{f.name: getattr(c, f.name) for f in dataclasses.fields(c)} for c in trace.counts],
        "addresses": [(a.by_input, a.by_neuron, a.active_by_neuron) for a in trace.addresses],
        "scores": trace.scores, "predictions": trace.predictions, "labels": trace.labels,
        "correct_by_step": trace.correct_by_step, "static_layers": trace.static_layers,
        "samples": trace.samples, "timesteps": trace.timesteps, "meta": trace.meta,
    }


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths at which ``a`` and ``b`` differ (arrays: dtype, shape and every element)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        same = (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b))
        return [] if same else [path]
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        return [d for f in dataclasses.fields(a)
                for d in differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path} (keys)"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b) or type(a) is not type(b):
            return [f"{path} (length)"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if type(a) is type(b) and a == b else [path]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    graph = load_workload(build_tiny_workload(tmp_path_factory.mktemp("tiny")))
    return graph, lower(graph)


def leaks(graph, layers) -> tuple[list[str], dict[str, set[str]], set[str]]:
    """Fields whose change keeps the identity but changes the trace ("base: key = value: paths"),
    per base the fields that changed the identity, and the fields no base could change."""
    bad, moved, unchangeable = [], {}, set()
    changeable: set[str] = set()
    for base_name, sets in BASES.items():
        base = yaml.safe_load(TINY_ARCH_YAML)
        for k, v in sets.items():
            base = set_dotted(base, k, v)
        arch0 = validate_arch_dict(base, "base")
        ident0 = numerics_identity(assign(layers, arch0), arch0)
        print0 = fingerprint(simulate_on(arch0, graph, graph.samples, backend="numpy"))
        moved[base_name] = set()
        for key, info in arch_fields():
            found = changed_arch(base, key, info)
            if found is None:
                unchangeable.add(key)
                continue
            changeable.add(key)
            arch, new = found
            if numerics_identity(assign(layers, arch), arch) != ident0:
                moved[base_name].add(key)
                continue
            diff = differences(print0, fingerprint(simulate_on(arch, graph, graph.samples, backend="numpy")))
            if diff:
                bad.append(f"{base_name}: {key} = {new!r} changes {', '.join(diff[:4])}")
    return bad, moved, unchangeable - changeable


def test_every_field_outside_the_identity_leaves_the_trace_unchanged(tiny):
    graph, layers = tiny
    bad, moved, unchangeable = leaks(graph, layers)
    assert not bad, "an engine's executor reads parameters its numerics group omits:\n" + "\n".join(bad)
    assert unchangeable == set(UNCHANGEABLE), f"fields that could not be changed validly: {sorted(unchangeable)}"
    # not vacuous: the numerics groups do hold what the executors read ...
    assert {"pim.adc_bits", "pim.adc_range", "pim.rows", "pim.seed", "pim.enabled", "pim.input_full_scale"} <= moved["pim"]
    assert "pim.adc_clip_ratio" in moved["pim-calibrated"]
    assert {"core.input_bits", "core.weight_bits", "pim.input_full_scale", "pim.enabled"} <= moved["digital"]
    assert "pim.adc_bits" not in moved["digital"]          # the digital first layer ignores the ADC
    fixed_point = {"core.weight_bits", "core.vmem_bits", "core.vmem_frac_bits", "core.vmem_overflow",
                   "core.leak_mode", "core.leak_frac_bits", "core.weight_scale", "core.numerics"}
    assert fixed_point <= moved["fixed"]                    # bit-true cores: their word formats
    assert not (fixed_point - {"core.numerics", "core.weight_bits"}) & moved["pim"]   # float cores ignore them
    # ... and the cost-only fields were compared (traces computed and found equal)
    for base in BASES:
        assert not moved[base] & {"core.count", "core.partition", "core.min_neurons_per_core", "noc.mesh_x",
                                  "tech.clock_mhz", "pim.adc_model", "pim.macros", "memory.dram_latency_ns"}


def test_the_check_catches_an_executor_reading_outside_its_group(tiny, monkeypatch):
    """Drop pim.adc_bits from the pim engine's numerics group: the check names it."""
    graph, layers = tiny
    pim = engines.get("pim")
    real = type(pim).numerics

    def without_adc_bits(self, arch):
        params, full_scale = real(self, arch)
        return dataclasses.replace(params, adc_bits=0), full_scale

    monkeypatch.setattr(type(pim), "numerics", without_adc_bits)
    bad, _, _ = leaks(graph, layers)
    assert any(b.startswith("pim: pim.adc_bits") for b in bad), bad

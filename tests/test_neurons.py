"""Neuron kinds as plug-ins (:mod:`accelsim.neurons`), checked over the whole registry so a
new kind is covered without writing a test: its numba step equals its numpy reference bit
for bit, it is a workload op with its hooks, and each bounded parameter outside its range
is an InputError naming the path, the value and the range."""
from __future__ import annotations

import itertools
import typing

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.neurons import NEURONS, NeuronKind, Range
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.ops import OPS

KINDS = sorted(NEURONS)


def random_params(kind: type[NeuronKind], m: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One value per neuron for each parameter, drawn inside its range (bounds included)."""
    out = {}
    for name, r in kind.params.items():
        if r.lo is not None and r.hi is not None:
            v = rng.uniform(r.lo, r.hi, m)
            if m > 2:
                v[0] = r.lo if not r.lo_open else v[0]
                v[1] = r.hi if not r.hi_open else v[1]
        elif r.lo is not None:
            v = r.lo + rng.uniform(0.1, 2.0, m)
        elif r.hi is not None:
            v = r.hi - rng.uniform(0.1, 2.0, m)
        else:
            v = rng.normal(0.0, 1.0, m)
        out[name] = v
    return out


def attr_variants(kind: type[NeuronKind]) -> list[dict]:
    """Every combination of the kind's choice attributes (Literal fields, e.g. ``reset``)."""
    choices = {name: typing.get_args(f.annotation) for name, f in kind.Attrs.model_fields.items()
               if typing.get_origin(f.annotation) is typing.Literal}
    return [dict(zip(choices, combo)) for combo in itertools.product(*choices.values())]


def check_kernel_matches_reference(kind: type[NeuronKind], seed: int, n: int = 4, m: int = 23, steps: int = 12) -> None:
    """Random parameters, states and currents: the numba and numpy steps agree bit for bit."""
    rng = np.random.default_rng(seed)
    for variant in attr_variants(kind):
        floats = {name: float(rng.uniform(-0.5, 0.5)) for name, f in kind.Attrs.model_fields.items()
                  if f.annotation is float and name not in variant}
        attrs = kind.Attrs.model_validate({**floats, **variant})
        params = kind.prepare(attrs, random_params(kind, m, rng))
        s_nb = kind.initial_state(attrs, n, m)
        for v in s_nb.values():
            v += rng.normal(0.0, 1.0, v.shape)
        s_np = {k: v.copy() for k, v in s_nb.items()}
        for _ in range(steps):
            cur = rng.normal(0.3, 1.0, (n, m))
            o_nb = kind.step(s_nb, cur, params, "numba")
            o_np = kind.step(s_np, cur, params, "numpy")
            assert o_nb.shape == o_np.shape == (n, m) and o_nb.dtype == o_np.dtype == np.float64
            assert o_nb.tobytes() == o_np.tobytes(), (kind.op, variant)
            for k in s_nb:
                assert s_nb[k].tobytes() == s_np[k].tobytes(), (kind.op, variant, k)  # incl. signed zeros
            if kind.spiking and not kind.graded:
                assert set(np.unique(o_nb)) <= {0.0, 1.0}
            if kind.graded:  # several spikes per step: its counts are the sum of its phases' binary spikes
                K = kind.phases_of(attrs)
                phases = [kind.phase_spikes(s_nb, o_nb, k) for k in range(K)]
                assert all(set(np.unique(z)) <= {0.0, 1.0} for z in phases)
                np.testing.assert_array_equal(kind.spike_counts(s_nb, o_nb), np.sum(phases, axis=0))
                assert not np.any(kind.phase_spikes(s_nb, o_nb, K))


@pytest.mark.parametrize("op", KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numba_step_is_bit_identical_to_the_numpy_reference(op, seed):
    check_kernel_matches_reference(NEURONS[op], seed)


@pytest.mark.parametrize("op", KINDS)
def test_every_kind_is_a_workload_op_with_its_hooks(op):
    kind, spec = NEURONS[op], OPS[op]
    assert spec.kind == "neuron" and spec.neuron is kind and spec.Attrs is kind.Attrs and spec.roles == ("value",)
    for hook in ("params", "spiking", "update_mults", "update_adds", "state_words", "phases", "update_cycles"):
        assert getattr(spec, hook) == getattr(kind, hook), hook
    assert OPS[op] is spec  # one spec per kind
    assert spec.infer(kind.Attrs(), [(3, 5)], [None]) == (3, 5)
    assert kind.__doc__ and "=" in kind.__doc__  # the equation is in the docstring


@pytest.mark.parametrize("op", KINDS)
def test_every_param_and_initial_state_is_an_attribute(op):
    kind = NEURONS[op]
    fields = kind.Attrs.model_fields
    assert set(kind.params) <= set(fields)
    state = kind.initial_state(kind.Attrs(), 2, 3)
    assert set(state) == set(kind.state) and all(v.shape == (2, 3) and v.dtype == np.float64 for v in state.values())


def _out_of_range(r: Range) -> float:
    return r.lo - 0.5 if r.lo is not None else r.hi + 0.5


def _bounded(op):
    return [(op, p) for p, r in NEURONS[op].params.items() if r.lo is not None or r.hi is not None]


@pytest.mark.parametrize("op,param", [c for op in KINDS for c in _bounded(op)])
def test_a_parameter_outside_its_range_names_path_value_and_range(op, param):
    r = NEURONS[op].params[param]
    value = _out_of_range(r)
    b = WorkloadBuilder("range", input_shape=(4,), timesteps=2)
    h = b.gemm("fc", b.input, np.eye(4))
    b.readout(b.node("n", op, [h], {param: value}))
    with pytest.raises(InputError) as err:
        b.graph()
    (prob,) = err.value.problems
    assert prob.file == "<range>" and prob.path == "nodes[1].attrs." + param and prob.value == value
    assert f"{param} must be {r}" in prob.message and f"{op} 'n'" in prob.message
    # the same value as a per-neuron tensor is named by its tensor
    b.doc["nodes"][1]["attrs"][param] = b.tensor(f"n.{param}", np.full(4, value))
    with pytest.raises(InputError) as err:
        b.graph()
    assert err.value.problems[0].value == f"n.{param}"


@pytest.mark.parametrize("r,text,inside,outside", [
    (Range(0.0, None, lo_open=True), "> 0", [1e-9, 5.0], [0.0, -1.0, np.nan]),
    (Range(0.0, 1.0), "in [0, 1]", [0.0, 0.5, 1.0], [-1e-9, 1.5]),
    (Range(0.0, 1.0, hi_open=True), "in [0, 1)", [0.0], [1.0]),
    (Range(None, 2.0), "<= 2", [-7.0, 2.0], [2.5]),
    (Range(), "finite", [-1e300, 0.0], []),
])
def test_range_text_and_membership(r, text, inside, outside):
    assert str(r) == text
    assert r.contains(np.array(inside))
    for v in outside:
        assert not r.contains(np.array([v]))

"""A neuron kind defined here, outside the package, registered for this module only: an
adaptive-threshold LIF with two state arrays. It becomes a workload op, loads from a
workload file, runs through the functional engine on both backends (spikes checked
against a numpy reference written here) and through the whole simulation, and the
spike-core cost model prices it with its own hooks."""
from __future__ import annotations

import numba
import numpy as np
import pytest
from pydantic import Field

from accelsim import neurons
from accelsim.config.loader import load_arch
from accelsim.cost import model
from accelsim.errors import InputError
from accelsim.hw.builtin import simulate_on
from accelsim.neurons import NON_NEGATIVE, POSITIVE, UNIT, AttrsModel, NeuronKind, Param
from accelsim.simulate import run_simulation
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples
from accelsim.workload.ops import OPS

from tests.conftest import TINY_ARCH_YAML
from tests.test_neurons import check_kernel_matches_reference


@numba.njit(cache=False)
def _alif_step(v, a, i, leak, thr, adapt, beta, s):
    N, M = v.shape
    for n in range(N):
        for k in range(M):
            u = leak[k] * v[n, k] + i[n, k]
            th = thr[k] + a[n, k]
            if u >= th:
                s[n, k] = 1.0
                u = u - th
            else:
                s[n, k] = 0.0
            v[n, k] = u
            a[n, k] = adapt[k] * a[n, k] + beta[k] * s[n, k]


def alif_reference(v, a, i, leak, thr, adapt, beta):
    """The equations of :class:`ALIF` in numpy, advancing ``v`` and ``a`` in place."""
    u = leak * v + i
    th = thr + a
    s = u >= th
    v[...] = np.where(s, u - th, u)
    a[...] = adapt * a + beta * s
    return s.astype(np.float64)


class ALIFAttrs(AttrsModel):
    threshold: Param = Field(1.0, description="base threshold")
    leak: Param = Field(1.0, description="membrane leak in [0, 1]")
    adapt: Param = Field(0.5, description="decay of the threshold adaptation in [0, 1]")
    beta: Param = Field(0.25, description="threshold increase per spike, >= 0")
    v_init: float = Field(0.0, description="membrane value at t = 0")


class ALIF(NeuronKind):
    """Adaptive-threshold LIF (test only), reset by subtracting the adapted threshold:

        v[t] = leak * v[t-1] + I[t];   s[t] = (v[t] >= threshold + a[t-1])
        v[t] -= (threshold + a[t-1]) * s[t];   a[t] = adapt * a[t-1] + beta * s[t]
    """

    op = "TestALIF"
    Attrs = ALIFAttrs
    params = {"threshold": POSITIVE, "leak": UNIT, "adapt": UNIT, "beta": NON_NEGATIVE}
    state = {"v": "v_init", "a": 0.0}
    update_mults = 3   # leak * v, adapt * a, beta * s
    update_adds = 4    # + I, threshold + a, compare, + beta s
    state_words = 2    # membrane and adaptation

    @staticmethod
    def kernel(state, current, p):
        s = np.empty_like(state["v"])
        _alif_step(state["v"], state["a"], np.ascontiguousarray(current, dtype=np.float64), p["leak"], p["threshold"],
                   p["adapt"], p["beta"], s)
        return s

    @staticmethod
    def reference(state, current, p):
        return alif_reference(state["v"], state["a"], current, p["leak"], p["threshold"], p["adapt"], p["beta"])


class SlowALIF(ALIF):
    """ALIF run as two sub-steps per time step of 50 cycles each (only the cost hooks differ):

        as ALIF
    """

    op = "TestSlowALIF"
    phases = 2
    update_cycles = 50


@pytest.fixture(scope="module", autouse=True)
def registered():
    """Register the test kinds for this module only; they are gone afterwards."""
    neurons.register(ALIF)
    neurons.register(SlowALIF)
    yield
    neurons.unregister(ALIF.op)
    neurons.unregister(SlowALIF.op)
    assert ALIF.op not in OPS and SlowALIF.op not in OPS


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    p = tmp_path_factory.mktemp("arch") / "arch.yaml"
    p.write_text(TINY_ARCH_YAML, encoding="utf-8")
    return load_arch(p, [("pim.enabled", False)])


THR = np.array([1.0, 0.5, 1.5, 1.0, 0.75, 2.0])
ATTRS = {"threshold": "n2.threshold", "leak": 0.75, "adapt": 0.5, "beta": 0.25}


def _builder(kind: str, T: int = 6, attrs=None) -> WorkloadBuilder:
    """fc1 (first layer) -> IF -> fc2 -> <kind> (the layer under test) -> fc3 readout; weights k/4."""
    rng = np.random.default_rng(7)
    b = WorkloadBuilder("plug", input_shape=(8,), timesteps=T)
    h = b.neuron("n1", b.gemm("fc1", b.input, rng.integers(-2, 6, (8, 8)) / 4), "IF", threshold=1.0)
    h2 = b.gemm("fc2", h, rng.integers(-3, 6, (6, 8)) / 4)
    if kind in (ALIF.op, SlowALIF.op):
        b.tensor("n2.threshold", THR)
        h2 = b.node("n2", kind, [h2], dict(ATTRS if attrs is None else attrs))
    else:
        h2 = b.neuron("n2", h2, kind, threshold=1.0, leak=0.75)
    b.readout(b.gemm("fc3", h2, rng.integers(-4, 4, (2, 6)) / 4))
    return b


def test_the_test_kind_is_a_workload_op_with_its_hooks():
    spec = OPS[ALIF.op]
    assert spec.kind == "neuron" and spec.neuron is ALIF and spec.state_words == 2 and spec.update_cycles is None
    assert OPS[SlowALIF.op].phases == 2 and OPS[SlowALIF.op].update_cycles == 50


def test_the_test_kind_numba_step_equals_its_numpy_reference():
    for seed in range(3):
        check_kernel_matches_reference(ALIF, seed)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_spikes_in_the_engine_follow_the_numpy_reference(spec, backend):
    b = _builder(ALIF.op)
    g = b.graph()
    w2 = b.tensors["fc2.weight"]
    x = np.random.default_rng(1).uniform(0.0, 1.0, (5, 8))
    seen = {}

    def probe(layer, t, start, xin, yout):
        if layer.name == "fc2":
            seen[t] = (xin.copy(), yout.copy())

    tr = simulate_on(spec.arch, g, Samples(x, None, "x"), backend=backend, probes=[probe])
    v, a = np.zeros((5, 6)), np.zeros((5, 6))
    total = 0
    for t in range(g.timesteps):
        spikes_in, got = seen[t]
        want = alif_reference(v, a, spikes_in @ w2.T, 0.75, THR, 0.5, 0.25)  # k/4 weights: exact sums
        assert np.array_equal(got, want), t
        total += int(want.sum())
    fc2 = [l.name for l in tr.layers].index("fc2")
    assert int(tr.counts[fc2].spikes_out.sum()) == total
    assert 0 < total < 5 * 6 * g.timesteps  # the trace has spikes and silences
    assert np.any(a > 0.25)  # the threshold adapted beyond one spike's worth


def test_whole_simulation_from_files(tmp_path, arch_file):
    b = _builder(ALIF.op)
    x = np.random.default_rng(1).uniform(0.0, 1.0, (5, 8))
    wl = b.write(tmp_path / "wl", samples=(x, None))
    report = run_simulation(str(arch_file), str(wl), sets=["pim.enabled=false"], backend="numpy")
    (row,) = [l for l in report["layers"] if l["name"] == "fc2"]
    assert row["neuron"] == ALIF.op and row["spiking"] and row["spikes_out"] > 0
    assert row["energy_breakdown_pj"]["core.neuron"] > 0


def _fc2_cost(kind, spec):
    g = _builder(kind, T=3).graph()
    x = np.zeros((2, 8))  # no input: no events anywhere; only neuron updates (and leakage) cost energy
    tr = simulate_on(spec.arch, g, Samples(x, None, "zero"))
    return next(l for l in model.evaluate(tr, spec, g).layers if l.name == "fc2")


def test_the_core_cost_uses_the_kinds_hooks(spec):
    tech, core = spec.tech, spec.arch.core
    add, mult = tech.int_add_pj(core.vmem_bits), tech.int_mult_pj(core.vmem_bits)
    lif, alif, slow = (_fc2_cost(k, spec) for k in ("LIF", ALIF.op, SlowALIF.op))
    updates = 6 * 3  # 6 neurons x 3 steps per inference
    assert alif.energy_pj["core.neuron"] == pytest.approx(updates * (4 * add + 3 * mult))
    assert alif.energy_pj["core.vmem"] == pytest.approx(2 * lif.energy_pj["core.vmem"])  # two state words
    # two phases: twice the updates and their state traffic
    assert slow.energy_pj["core.neuron"] == pytest.approx(2 * alif.energy_pj["core.neuron"])
    assert slow.energy_pj["core.vmem"] == pytest.approx(2 * alif.energy_pj["core.vmem"])
    assert slow.info["neuron_updates"] == 2 * alif.info["neuron_updates"] == 2 * updates
    # no events: each active core's task is 2 phases x 50 cycles + the fixed overhead, every step
    active = int(np.count_nonzero(slow.info["per_core"]["neurons"]))
    assert active >= 1
    assert slow.info["core_cycles"] == 3 * active * (2 * 50 + core.task_overhead_cycles)
    assert alif.info["core_cycles"] < slow.info["core_cycles"]


@pytest.mark.parametrize("key,value,allowed", [("adapt", 1.5, "in [0, 1]"), ("beta", -0.25, ">= 0"),
                                               ("threshold", 0.0, "> 0")])
def test_its_parameters_are_range_checked(key, value, allowed):
    b = _builder(ALIF.op, attrs={**ATTRS, key: value})
    with pytest.raises(InputError) as err:
        b.graph()
    (prob,) = err.value.problems
    assert prob.path == "nodes[3].attrs." + key and prob.value == value
    assert f"{key} must be {allowed}" in prob.message


def test_an_unknown_attribute_of_the_test_kind_is_an_error():
    b = _builder(ALIF.op, attrs={**ATTRS, "reset": "zero"})
    with pytest.raises(InputError) as err:
        b.graph()
    assert err.value.problems[0].path == "nodes[3].attrs.reset"


def test_nir_export_refuses_a_kind_it_cannot_translate():
    pytest.importorskip("nir")
    from accelsim.convert.nir_export import export_nir

    with pytest.raises(InputError) as err:
        export_nir(_builder(ALIF.op).graph())
    (prob,) = err.value.problems
    assert prob.path == "nodes.n2" and "TestALIF cannot be expressed in NIR: no NIR node models" in prob.message

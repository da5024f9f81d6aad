"""Bit-true spike cores (``core.numerics: fixed``): the integer datapath against its numpy
reference, a hand-worked two-layer case against an integer reference written here, and lossless
widths against the float64 engine (random networks and the shipped examples)."""
from __future__ import annotations

import numpy as np
import pytest
import yaml

from accelsim.config.loader import validate_arch_dict
from accelsim.hw.builtin import simulate_on
from accelsim.hw.core.datapath import DatapathParams, FixedStep, datapath_step_reference
from accelsim.hw.quantize import leak_shift, multiplier, saturate
from accelsim.simulate import functional_trace, prepare
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples

from conftest import TINY_ARCH_YAML

LOSSLESS = {"core.numerics": "fixed", "core.weight_bits": 24, "core.vmem_bits": 32, "core.vmem_frac_bits": 0,
            "core.leak_frac_bits": 30, "core.input_bits": 16}


def arch_with(changes: dict, base: str = TINY_ARCH_YAML):
    d = yaml.safe_load(base)
    for key, value in changes.items():
        section, name = key.split(".")
        d.setdefault(section, {})[name] = value
    return validate_arch_dict(d, "<test>")


# --------------------------------------------------------------------------- quantisers

def test_word_saturation_and_wrap():
    x = np.array([-40, -32, 0, 31, 32, 70])
    sat, over = saturate(x, 6, wrap=False)
    assert sat.tolist() == [-32, -32, 0, 31, 31, 31] and over.tolist() == [1, 0, 0, 0, 1, 1]
    wrapped, over = saturate(x, 6, wrap=True)
    assert wrapped.tolist() == [24, -32, 0, 31, -32, 6] and over.sum() == 3   # two's complement, 6 bits


def test_leak_as_multiplier_and_shift():
    assert multiplier(np.array([0.75, 1.0, 0.95]), 4).tolist() == [12, 16, 15]
    # leak ~ 1 - 2^-k: 0.75 -> k = 2, 0.9 -> log2(10) = 3.32 -> 3; 1 -> none (-1); 0 -> clears (0)
    assert leak_shift(np.array([0.75, 0.9, 1.0, 0.0, 0.5])).tolist() == [2, 3, -1, 0, 1]


# --------------------------------------------------------------------------- datapath kernel

def _random_params(rng, m, has_syn, shift, wrap, strict, reset_zero, spiking, uniform=False, bits=8, f=6):
    """Random datapath words (``uniform``: one value for every neuron)."""
    def r(lo, hi):
        x = rng.integers(lo, hi, 1 if uniform else m).astype(np.int64)
        return np.repeat(x, m) if uniform else x
    return DatapathParams(
        leak_m=r(0, 2 ** f + 1), leak_k=r(-1, 5), gain_m=r(-2 ** (f + 1), 2 ** (f + 1)), bias=r(-3, 4),
        thr=r(1, 2 ** (bits - 1)), syn_m=r(0, 2 ** f + 1), syn_k=r(-1, 5), w_in_m=r(-2 ** f, 2 ** (f + 1)),
        has_syn=has_syn, spiking=spiking, strict=strict, reset_zero=reset_zero, v_reset=r(-3, 3), frac_bits=f,
        shift_mode=shift, vmem_bits=bits, wrap=wrap)


def datapath_step(v, isyn, c, p):
    """The fused numba step (:class:`FixedStep`) on an integer current (LSB 1: ``rint(c / 1) = c``),
    as the reference returns it: (spikes int8, overflow events)."""
    out = np.empty(v.shape)
    overflows, _ = FixedStep(p, np.ones(v.shape[1]))(v, isyn, np.asarray(c, np.float64), out, None)
    return (out if p.spiking else np.zeros(v.shape)).astype(np.int8), overflows


@pytest.mark.parametrize("has_syn,shift,wrap,strict,reset_zero,spiking", [
    (False, False, False, False, False, True), (True, False, True, True, True, True),
    (False, True, False, False, True, True), (True, True, True, False, False, True),
    (False, False, False, False, False, False), (True, False, False, True, False, False)])
def test_datapath_numba_equals_numpy(has_syn, shift, wrap, strict, reset_zero, spiking):
    rng = np.random.default_rng(7)
    N, M = 5, 37
    p = _random_params(rng, M, has_syn, shift, wrap, strict, reset_zero, spiking)
    v1 = rng.integers(-128, 128, (N, M)).astype(np.int64)
    i1 = rng.integers(-128, 128, (N, M)).astype(np.int64)
    v2, i2 = v1.copy(), i1.copy()
    total = 0
    for _ in range(12):
        cur = rng.integers(-90, 90, (N, M)).astype(np.int64)
        s1, o1 = datapath_step(v1, i1, cur, p)
        s2, o2 = datapath_step_reference(v2, i2, cur, p)
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(v1, v2)
        np.testing.assert_array_equal(i1, i2)
        assert o1 == o2
        total += o1
    assert total > 0                     # the widths are small enough to overflow
    assert v1.min() >= -128 and v1.max() <= 127


@pytest.mark.parametrize("step", [datapath_step, datapath_step_reference])
def test_decays_by_hand(step):
    """multiply 12/16: (10*12 + 8) >> 4 = 8, (-120 + 8) >> 4 = -7; shift k = 2: 10 - (10 >> 2) = 8,
    -10 - (-10 >> 2) = -10 + 3 = -7; k = -1: no decay; wrap: 30 + 5 = 35 -> 35 - 64 = -29 (6 bits)."""
    one = lambda x: np.array([x], np.int64)  # noqa: E731
    base = dict(gain_m=one(16), bias=one(0), thr=one(31), syn_m=one(0), syn_k=one(0), w_in_m=one(16),
                has_syn=False, spiking=False, strict=False, reset_zero=False, v_reset=one(0), frac_bits=4,
                vmem_bits=6)
    cases = [(dict(leak_m=one(12), leak_k=one(0), shift_mode=False, wrap=False), [10, -10], 0, [8, -7], 0),
             (dict(leak_m=one(0), leak_k=one(2), shift_mode=True, wrap=False), [10, -10], 0, [8, -7], 0),
             (dict(leak_m=one(0), leak_k=one(-1), shift_mode=True, wrap=False), [10, -10], 0, [10, -10], 0),
             (dict(leak_m=one(16), leak_k=one(0), shift_mode=False, wrap=True), [30, -30], 5, [-29, -25], 1),
             (dict(leak_m=one(16), leak_k=one(0), shift_mode=False, wrap=False), [30, -30], 5, [31, -25], 1)]
    for extra, v0, cur, v1, ovf in cases:
        p = DatapathParams(**base, **extra)
        v = np.array(v0, np.int64).reshape(2, 1)
        _, o = step(v, np.zeros_like(v), np.full((2, 1), cur, np.int64), p)
        assert v.reshape(-1).tolist() == v1 and o == ovf, extra


# --------------------------------------------------------------------------- hand-worked case

HAND_ARCH = {"pim.enabled": False, "core.numerics": "fixed", "core.weight_bits": 3, "core.vmem_bits": 6,
             "core.vmem_frac_bits": 0, "core.vmem_overflow": "saturate", "core.leak_mode": "multiply",
             "core.leak_frac_bits": 4, "core.input_bits": 8}
# layer 1 (first layer on the core), s_w = 0.3 / 3 = 0.1: q1 = [[3, 0], [1, 1], [-3, 3], [-3, -3]]
# (0.14 / 0.1 = 1.4 -> 1, 0.06 / 0.1 = 0.6 -> 1); x = [1, 1] at 8 bits is 255 * (1/255) = 1, bias 0.26 joins
# neuron 1's current 0.2 before rounding: (0.2 + 0.26) / 0.1 = 4.6 -> 5; IF threshold 0.5 -> 5 LSB
W1 = np.array([[0.3, 0.0], [0.14, 0.06], [-0.3, 0.3], [-0.3, -0.3]])
B1 = np.array([0.0, 0.26, 0.0, 0.0])
# layer 2, s_w = 1: q2 = [[3, 3, 0, 0], [-3, -3, 1, 0], [3, 3, 3, 3]] (0.5 -> 0, half to even); LIF thresholds
# [6, 6, 40] -> [6, 6, 31] LSB (40 does not fit a 6-bit word: the register saturates), leaks [0.75, 1, 1]
# -> multipliers [12, 16, 16] / 16
W2 = np.array([[3.0, 3.0, 0.5, 0.0], [-3.0, -3.0, 1.0, 0.0], [3.0, 3.0, 3.0, 3.0]])
THR2, LEAK2 = np.array([6.0, 6.0, 40.0]), np.array([0.75, 1.0, 1.0])
W3 = np.array([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0]])          # readout, s_w = 1/3: [[3, -3, 2], [2, 3, -3]]
T = 8


def hand_graph():
    b = WorkloadBuilder("hand_fixed", input_shape=(2,), timesteps=T)
    h = b.neuron("if1", b.gemm("fc1", b.input, W1, B1), "IF", threshold=0.5)
    h = b.neuron("lif2", b.gemm("fc2", h, W2), "LIF", threshold=THR2, leak=LEAK2)
    b.readout(b.gemm("fc3", h, W3))
    return b.graph()


def integer_reference():
    """The same network in Python integers, from the datapath's definition (docs/numerics.md): per
    step ``v = hold(mul(v, leak) + I)``, ``mul(v, m) = (v m + 8) >> 4``; fire when ``v >= thr`` and
    subtract ``thr``; ``hold`` saturates to [-32, 31] and counts one overflow."""
    q1, b1 = np.array([[3, 0], [1, 1], [-3, 3], [-3, -3]]), np.array([0, 0.26 / 0.1, 0, 0])
    q2, q3 = np.array([[3, 3, 0, 0], [-3, -3, 1, 0], [3, 3, 3, 3]]), np.array([[3, -3, 2], [2, 3, -3]])
    thr1, thr2, leak2 = 5, [6, 6, 31], [12, 16, 16]

    def hold(v):
        return min(max(v, -32), 31), int(v < -32 or v > 31)
    v1, v2 = [0] * 4, [0] * 3
    s1_all, s2_all, ovf, scores = [], [], np.zeros((2, T), int), np.zeros(2)
    for t in range(T):
        cur1 = np.rint(q1 @ np.array([1, 1]) + b1).astype(int)
        s1 = []
        for k in range(4):
            u, o = hold(v1[k] + int(cur1[k]))
            ovf[0, t] += o
            s1.append(int(u >= thr1))
            v1[k] = u - thr1 if u >= thr1 else u
        cur2 = q2 @ np.array(s1)
        s2 = []
        for k in range(3):
            u, o = hold(((v2[k] * leak2[k] + 8) >> 4) + int(cur2[k]))
            ovf[1, t] += o
            s2.append(int(u >= thr2[k]))
            v2[k] = u - thr2[k] if u >= thr2[k] else u
        s1_all.append(s1)
        s2_all.append(s2)
        scores += (q3 @ np.array(s2)) / 3.0
    return np.array(s1_all), np.array(s2_all), ovf, scores


def test_hand_worked_reference_is_the_designed_case():
    """Worked by hand. Layer 1, currents [3, 5, 0, -6]: n0 v = 3, 6 F(1), 4, 7 F(2), 5 F(0), 3, 6 F(1), 4;
    n1 fires every step; n3 falls by 6 to -30, then -36 saturates to -32 (and stays there: one
    overflow per step from t5). Layer 2, currents 3 x (spikes of n0, n1) = [3, 6, 3, 6, 6, 3, 6, 3]:
    o0 (leak 12/16) v = 3, 2 + 6 = 8 F(2), 2 + 3 = 5, 4 + 6 = 10 F(4), 3 + 6 = 9 F(3), 2 + 3 = 5,
    4 + 6 = 10 F(4), 3 + 3 = 6 F(0); o1 integrates the negated currents to -27, then -33 and -35
    saturate to -32; o2 reaches 27, then 33 saturates to 31 = its clipped threshold and fires (a float
    datapath would not: 33 < 40)."""
    s1, s2, ovf, _ = integer_reference()
    assert s1.T.tolist() == [[0, 1, 0, 1, 1, 0, 1, 0], [1] * 8, [0] * 8, [0] * 8]
    assert s2.T.tolist() == [[0, 1, 0, 1, 1, 0, 1, 1], [0] * 8, [0, 0, 0, 0, 0, 0, 1, 0]]
    assert ovf.tolist() == [[0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 2, 1]]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_hand_worked_two_layers_match_the_integer_reference(backend):
    trace = simulate_on(arch_with(HAND_ARCH), hand_graph(), Samples(np.ones((1, 2)), np.array([0]), "<hand>"),
                        backend=backend)
    s1, s2, ovf, scores = integer_reference()
    np.testing.assert_array_equal(trace.addresses[0].by_neuron, s1)
    np.testing.assert_array_equal(trace.addresses[1].by_neuron, s2)
    np.testing.assert_array_equal(trace.counts[0].overflows, ovf[0])
    np.testing.assert_array_equal(trace.counts[1].overflows, ovf[1])
    assert trace.counts[2].overflows is None                       # the readout has no neurons
    np.testing.assert_allclose(trace.scores[0], scores, rtol=1e-12)


def test_hand_worked_case_differs_from_float():
    trace = simulate_on(arch_with({**HAND_ARCH, "core.numerics": "float"}), hand_graph(),
                        Samples(np.ones((1, 2)), np.array([0]), "<hand>"))
    assert trace.addresses[1].by_neuron[:, 2].sum() == 0           # 33 < 40: o2 never fires in float
    assert all(c.overflows is None for c in trace.counts)


# --------------------------------------------------------------------------- lossless widths

def random_graph(seed: int):
    """Conv1d -> LIF -> AveragePool -> Flatten -> Gemm -> CubaLIF -> Gemm -> IF -> Gemm -> LI readout."""
    rng = np.random.default_rng(seed)
    b = WorkloadBuilder(f"random{seed}", input_shape=(2, 12), timesteps=10)
    h = b.conv("conv", b.input, rng.normal(size=(4, 2, 3)), rng.normal(size=4) * 0.1, pads=[1, 1])
    h = b.neuron("lif", h, "LIF", threshold=rng.uniform(0.5, 1.5, 4), leak=rng.uniform(0.6, 1.0))
    h = b.flatten("flat", b.pool("pool", h, "avg", [2], strides=[2]))
    h = b.gemm("fc1", h, rng.normal(size=(10, 24)) * 0.6, rng.normal(size=10) * 0.05)
    h = b.node("cuba", "CubaLIF", [h], {"threshold": 0.8, "leak": 0.9, "syn_leak": 0.5, "w_in": 0.7,
                                        "gain": 1.3, "bias": 0.01, "reset": "zero"})
    h = b.neuron("if", b.gemm("fc2", h, rng.normal(size=(6, 10))), "IF", threshold=1.0)
    h = b.node("li", "LI", [b.gemm("fc3", h, rng.normal(size=(3, 6)))], {"leak": 0.8, "gain": 0.5, "bias": 0.0})
    b.readout(h)
    x = rng.random((16, 2, 12)) * 1.2
    return b.graph(), Samples(x, rng.integers(0, 3, 16), "<random>")


def assert_same_spikes(fixed, exact):
    for layer, a, b in zip(fixed.layers, fixed.addresses, exact.addresses):
        if layer.spiking:
            np.testing.assert_array_equal(a.by_neuron, b.by_neuron, err_msg=layer.name)
    for a, b in zip(fixed.counts, exact.counts):
        np.testing.assert_array_equal(a.spikes_out, b.spikes_out)
        np.testing.assert_array_equal(a.events_in, b.events_in)
    np.testing.assert_array_equal(fixed.predictions, exact.predictions)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("first", ["digital", "pim"])
def test_lossless_widths_give_the_float_spikes_on_random_networks(seed, first):
    graph, samples = random_graph(seed)
    base = {"pim.enabled": first == "pim"}
    # the digital first layer quantises its inputs and weights in both (core.input_bits x core.weight_bits)
    exact = simulate_on(arch_with({**base, **LOSSLESS, "core.numerics": "float"}), graph, samples)
    fixed = simulate_on(arch_with({**base, **LOSSLESS}), graph, samples)
    assert sum(int(c.spikes_out.sum()) for c in exact.counts) > 100        # the network is active
    assert_same_spikes(fixed, exact)
    np.testing.assert_allclose(fixed.scores, exact.scores, rtol=1e-5, atol=1e-5)
    assert all(c.overflows is not None and c.overflows.sum() == 0
               for l, c in zip(fixed.layers, fixed.counts) if l.neuron is not None and l.engine == "core")


@pytest.mark.parametrize("arch,workload,samples", [
    ("arch_configs/digital_only.yaml", "workloads/digits/workload.json", None),
    ("arch_configs/ace_snn_pim.yaml", "workloads/digits/workload.json", None),
    ("arch_configs/ace_snn_pim.yaml", "workloads/hsi_hybrid/workload.json", 6),
    ("arch_configs/digital_only.yaml", "workloads/hsi_hybrid/workload.json", 3),
])
def test_lossless_widths_give_the_float_spikes_on_the_shipped_examples(arch, workload, samples):
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    sets = [f"{k}={v}" for k, v in LOSSLESS.items()] + ["core.on_overflow=dram"]
    fixed = functional_trace(prepare(str(root / arch), str(root / workload), sets=sets, samples=samples))
    exact = functional_trace(prepare(str(root / arch), str(root / workload), samples=samples,
                                     sets=[s.replace("core.numerics=fixed", "core.numerics=float") for s in sets]))
    assert_same_spikes(fixed, exact)


@pytest.mark.parametrize("changes", [
    {"core.vmem_overflow": "wrap", "core.leak_mode": "shift"},
    {"core.vmem_overflow": "saturate", "core.leak_mode": "multiply", "core.vmem_frac_bits": 2},
])
def test_small_widths_numba_equals_numpy_end_to_end(changes):
    graph, samples = random_graph(3)
    arch = arch_with({"pim.enabled": False, "core.numerics": "fixed", "core.weight_bits": 4, "core.vmem_bits": 4,
                      "core.leak_frac_bits": 6, **changes})
    a = simulate_on(arch, graph, samples, backend="numba")
    b = simulate_on(arch, graph, samples, backend="numpy")
    for x, y in zip(a.addresses, b.addresses):
        np.testing.assert_array_equal(x.by_input, y.by_input)
    for x, y in zip(a.counts, b.counts):
        np.testing.assert_array_equal(x.spikes_out, y.spikes_out)
        np.testing.assert_array_equal(x.overflows, y.overflows)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert sum(int(c.overflows.sum()) for c in a.counts if c.overflows is not None) > 0


def test_fixed_counts_do_not_depend_on_batching():
    graph, samples = random_graph(4)
    arch = arch_with({"pim.enabled": False, "core.numerics": "fixed", "core.weight_bits": 4, "core.vmem_bits": 5})
    whole = simulate_on(arch, graph, samples)
    one = simulate_on(arch, graph, samples, batch_size=1)
    head = simulate_on(arch, graph, Samples(samples.x[:5], samples.y[:5], "head"))
    tail = simulate_on(arch, graph, Samples(samples.x[5:], samples.y[5:], "tail"))
    for w, o, h, t in zip(whole.counts, one.counts, head.counts, tail.counts):
        np.testing.assert_array_equal(w.spikes_out, o.spikes_out)
        if w.overflows is not None:
            np.testing.assert_array_equal(w.overflows, o.overflows)
            np.testing.assert_array_equal(w.overflows, h.overflows + t.overflows)
    assert sum(int(c.overflows.sum()) for c in whole.counts if c.overflows is not None) > 0


def test_a_gain_beyond_the_64_bit_datapath_is_an_input_error():
    from accelsim.errors import InputError
    b = WorkloadBuilder("big_gain", input_shape=(2,), timesteps=2)
    b.readout(b.node("li", "LI", [b.gemm("fc", b.input, np.eye(2))], {"leak": 1.0, "gain": 2.0 ** 40}))
    arch = arch_with({"pim.enabled": False, "core.numerics": "fixed", "core.vmem_bits": 32, "core.leak_frac_bits": 30})
    with pytest.raises(InputError) as err:
        simulate_on(arch, b.graph(), Samples(np.ones((1, 2)), None, "<x>"))
    assert "nodes[1].attrs.gain" in str(err.value) and "core.leak_frac_bits" in str(err.value)


def test_a_current_beyond_the_64_bit_datapath_is_an_input_error():
    from accelsim.errors import InputError
    b = WorkloadBuilder("big_current", input_shape=(2,), timesteps=2)
    b.readout(b.node("li", "LI", [b.gemm("fc", b.input, np.eye(2))], {"leak": 1.0, "gain": 2.0 ** 20}))
    arch = arch_with({"pim.enabled": False, "core.numerics": "fixed", "core.weight_bits": 24, "core.vmem_bits": 8,
                      "core.vmem_frac_bits": 16, "core.leak_frac_bits": 12})
    with pytest.raises(InputError) as err:
        simulate_on(arch, b.graph(), Samples(np.ones((1, 2)), None, "<x>"))
    assert "nodes[1]" in str(err.value) and "input current reaches" in str(err.value)


def test_digits_accuracy_falls_with_fewer_bits_and_float_is_the_ceiling():
    """docs/numerics.md's figure, in short: digital_only, digits (360 samples)."""
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    arch, wl = str(root / "arch_configs/digital_only.yaml"), str(root / "workloads/digits/workload.json")

    def acc(**keys):
        sets = [f"core.{k}={v}" for k, v in {"numerics": "fixed", **keys}.items()]
        return functional_trace(prepare(arch, wl, sets=sets)).accuracy
    weights = [acc(weight_bits=b, vmem_bits=24) for b in (2, 3, 8)]
    membranes = [acc(weight_bits=6, vmem_bits=b) for b in (6, 8, 16)]
    ceiling = acc(numerics="float", weight_bits=6, vmem_bits=24)
    assert weights[0] < weights[1] < weights[2] and weights[0] < 0.2
    assert membranes[0] < membranes[1] < membranes[2]
    assert ceiling >= max(weights + membranes)


# --------------------------------------------------------------------------- per-channel scales

def test_per_channel_format_of_a_dense_and_a_conv_layer():
    from accelsim.engine.lower import lower
    from accelsim.hw.core.fixed import FixedPoint, LayerFormat
    graph = hand_graph()
    fc1, fc2 = lower(graph)[:2]
    fp = FixedPoint(3, 6, 1, False, False, 4, per_channel=True)
    f1 = LayerFormat.of(graph, fc1, fp)
    np.testing.assert_allclose(f1.weight_scale, [0.1, 0.14 / 3, 0.1, 0.1])   # row maxima / 3
    np.testing.assert_allclose(f1.lsb, f1.weight_scale / 2)                  # vmem_frac_bits = 1
    q = f1.integer_weights(np.ascontiguousarray(W1.T))                      # effective [K, M]
    assert q.T.tolist() == [[3, 0], [3, 1], [-3, 3], [-3, -3]]               # 0.06 / 0.0467 = 1.29 -> 1
    per_layer = LayerFormat.of(graph, fc2, FixedPoint(3, 6, 1, False, False, 4))
    np.testing.assert_allclose(per_layer.weight_scale, [1.0, 1.0, 1.0])
    assert per_layer.neuron_lsb((3,)).tolist() == [0.5, 0.5, 0.5]
    g, _ = random_graph(0)
    conv = lower(g)[0]
    fc = LayerFormat.of(g, conv, fp)
    w = g.tensors[conv.synapse.inputs[1]]
    np.testing.assert_allclose(fc.weight_scale, np.abs(w).reshape(4, -1).max(axis=1) / 3)
    assert np.array_equal(np.abs(fc.integer_weights(w)).reshape(4, -1).max(axis=1), [3, 3, 3, 3])
    lsb = fc.neuron_lsb((4, 12))
    assert lsb.shape == (48,) and np.array_equal(lsb[:12], np.full(12, fc.lsb[0]))


@pytest.mark.parametrize("first", ["digital", "pim"])
def test_per_channel_lossless_widths_give_the_float_spikes(first):
    graph, samples = random_graph(1)
    base = {"pim.enabled": first == "pim", **LOSSLESS}
    exact = simulate_on(arch_with({**base, "core.numerics": "float"}), graph, samples)
    fixed = simulate_on(arch_with({**base, "core.weight_scale": "channel"}), graph, samples)
    assert_same_spikes(fixed, exact)


def test_per_channel_scales_keep_more_accuracy_at_3_bits_on_digits():
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    arch, wl = str(root / "arch_configs/digital_only.yaml"), str(root / "workloads/digits/workload.json")
    acc = {s: functional_trace(prepare(arch, wl, sets=["core.weight_bits=3", "core.vmem_bits=24",
                                                       f"core.weight_scale={s}"])).accuracy
           for s in ("layer", "channel")}
    assert acc["channel"] > acc["layer"] + 0.02        # measured 0.956 vs 0.906

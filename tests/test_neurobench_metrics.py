"""The ``neurobench`` block of report.json against counts made by hand: from the shipped
digits example's own files (numpy, not the engine), and on a tiny network whose every
membrane value is worked out below. NeuroBench's own harness: tests/test_neurobench_harness.py."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelsim.simulate import run_simulation
from accelsim.workload.builder import WorkloadBuilder

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "workloads" / "digits"


@pytest.mark.parametrize("arch", ["ace_snn_pim.yaml", "digital_only.yaml"])
def test_digits_equals_counts_from_its_files(arch):
    report = run_simulation(str(ROOT / "arch_configs" / arch), str(DIGITS / "workload.json"), samples=40)
    nb = report["neurobench"]
    doc = json.loads((DIGITS / "workload.json").read_text())
    T = doc["timesteps"]
    with np.load(DIGITS / "tensors.npz") as t, np.load(DIGITS / "samples.npz") as s:
        w = {k: t[k] for k in t.files}
        x = s["x"][:40].reshape(40, -1)
    # the analog first layer: every step, each non-zero pixel times the non-zero weights it feeds
    nnz_fanout = np.count_nonzero(w["fc1.weight"], axis=0)           # [64 inputs]
    macs = T * float(((x != 0) * nnz_fanout).sum(axis=1).mean())
    assert nb["per_inference"]["SynapticOperations"]["Effective_MACs"] == pytest.approx(macs, rel=1e-12)
    assert nb["layers"]["fc1"]["SynapticOperations"]["Effective_ACs"] == 0
    dense = T * sum(w[f"fc{i}.weight"].size for i in (1, 2, 3))
    assert nb["per_inference"]["SynapticOperations"]["Dense"] == dense
    # later layers take spikes: ACs = spikes in x fan-out (no zero weights in these tensors)
    layers = {l["name"]: l for l in report["layers"]}
    for name in ("fc2", "fc3"):
        assert np.count_nonzero(w[f"{name}.weight"]) == w[f"{name}.weight"].size
        sy = nb["layers"][name]["SynapticOperations"]
        assert sy["Effective_MACs"] == 0
        assert sy["Effective_ACs"] == pytest.approx(layers[name]["spikes_in"] * w[f"{name}.weight"].shape[0])
    params = sum(v.size for v in w.values())
    assert nb["per_inference"]["ParameterCount"] == params
    zeros = sum(np.count_nonzero(w[f"fc{i}.weight"] == 0) for i in (1, 2, 3))
    assert nb["per_inference"]["ConnectionSparsity"] == zeros / (dense / T)
    spiking = [layers["fc1"], layers["fc2"]]   # fc3 is the membrane readout
    spikes = sum(l["spikes_out"] for l in spiking)
    neurons = sum(l["neurons"] for l in spiking)
    assert nb["per_inference"]["ActivationSparsity"] == pytest.approx(1 - spikes / (neurons * T), rel=1e-12)
    # IF neurons with a bias: every membrane changes at every step unless its current is exactly 0
    assert nb["per_inference"]["MembraneUpdates"] <= neurons * T
    assert nb["per_inference"]["NeuronOperations"]["Neuron Dense Ops"] == 4 * neurons * T


def test_tiny_network_worked_by_hand(tmp_path, arch_file):
    """2 binary inputs -> Gemm (one zero weight) -> 2 IF neurons (threshold 1, subtract), T = 3.

    W = [[1, 0], [0.5, 0.5]], no bias; input x = [1, 1] at every step (binary: ACs, not MACs).
    Effective ACs per step = non-zero inputs x non-zero weights = 1 + 2 = 3, so 9 in 3 steps;
    Dense = 4 x 3 = 12. Currents: n0 = 1, n1 = 1.
    n0: v 1 -> spike, 0; every step the same: v after each step = 0, 0, 0 (unchanged after step 0)
    n1: same current 1 -> v = 0 after every step.
    So MembraneUpdates = 2 (step 0, all neurons) + 0 + 0 = 2; spikes = 6 of 6: sparsity 0.
    With x = [1, 0] instead: ACs per step = 1 (x0 to n0) + 1 (x0 to n1) = 2; n0: current 1, v = 0
    each step; n1: current 0.5: v = 0.5, then 1 -> spike -> 0, then 0.5: changes at steps 1 and 2.
    """
    b = WorkloadBuilder("tiny_nb", input_shape=(2,), timesteps=3)
    # an identity layer first, so that "fc" runs in exact arithmetic (the first layer is quantised):
    # its IF neurons (threshold 0.5) spike at every step where the input is 1
    i = b.gemm("fc0", b.input, np.eye(2), None)
    spikes_in = b.neuron("n0", i, "IF", threshold=0.5, reset="subtract")
    h = b.gemm("fc", spikes_in, np.array([[1.0, 0.0], [0.5, 0.5]]), None)
    s = b.neuron("n", h, "IF", threshold=1.0, reset="subtract")
    y = b.gemm("out", s, np.array([[1.0, 1.0]]), None)
    b.readout(y)
    x = np.array([[1.0, 1.0], [1.0, 0.0]])
    wl = b.write(tmp_path / "wl", samples=(x, np.array([0, 0])))
    sets = ["pim.enabled=false", "core.input_bits=8"]
    nb = run_simulation(str(arch_file), str(wl), sets=sets)["neurobench"]
    fc = nb["layers"]["fc"]
    # per inference = mean over the two samples
    assert fc["SynapticOperations"] == {"Effective_MACs": 0.0, "Effective_ACs": (9 + 6) / 2, "Dense": 12.0}
    assert fc["MembraneUpdates"] == (2 + (2 + 2)) / 2        # sample 1: all at step 0, n1 at steps 1, 2
    assert fc["NeuronOperations"] == {"Effective Neuron Ops": 4 * 6 / 2, "Neuron Dense Ops": 4.0 * 2 * 3}
    spikes = 6 + 3 + 1                                        # sample 0: 6; sample 1: n0 3, n1 1 (step 1)
    assert fc["ActivationSparsity"] == pytest.approx(1 - spikes / 12)
    assert fc["ConnectionSparsity"] == 0.25 and fc["ParameterCount"] == 4
    out = nb["layers"]["out"]["SynapticOperations"]
    assert out["Effective_ACs"] == spikes / 2 and out["Dense"] == 6.0
    first = nb["layers"]["fc0"]["SynapticOperations"]   # binary pixels: ACs, one weight each
    assert first == {"Effective_MACs": 0.0, "Effective_ACs": (6 + 3) / 2, "Dense": 12.0}
    assert nb["per_inference"]["SynapticOperations"]["Effective_ACs"] == (9 + 15 + spikes) / 2
    assert nb["per_inference"]["ConnectionSparsity"] == 3 / 10


def test_analog_values_downstream_are_macs(tmp_path, arch_file):
    """An average of spikes (0.5) is not a spike: the next layer's operations are MACs."""
    b = WorkloadBuilder("avg", input_shape=(1, 4), timesteps=2)
    h = b.conv("conv", b.input, np.ones((1, 1, 1)), None)
    s = b.neuron("n", h, "IF", threshold=1.0)
    p = b.pool("pool", s, "avg", [2], strides=[2])
    f = b.flatten("flat", p)
    y = b.gemm("fc", f, np.ones((2, 2)), None)
    b.readout(y)
    wl = b.write(tmp_path / "wl", samples=(np.array([[[1.0, 0.0, 1.0, 1.0]]]), np.array([0])))
    nb = run_simulation(str(arch_file), str(wl), sets=["pim.enabled=false"])["neurobench"]
    fc = nb["layers"]["fc"]["SynapticOperations"]
    # pooled spikes per step: [0.5, 1.0]: non-binary -> 2 non-zero inputs x 2 outputs = 4 MACs a step
    assert fc == {"Effective_MACs": 8.0, "Effective_ACs": 0.0, "Dense": 8.0}


def _scatter_sums(graph, layer, x):
    """The binarised layer summed over its outputs, per row of ``x`` (event counts), by the scatter
    kernel: the independent reference of :func:`accelsim.report.neurobench.nonzero_fanout`."""
    from accelsim.engine.lower import conv_window
    from accelsim.kernels.conv import conv_events, scatter_weights
    from accelsim.report.neurobench import _binary_layer

    kind, wb = _binary_layer(graph, layer)
    xf = x.astype(np.float64)
    if kind == "conv":
        xf = np.ascontiguousarray(xf.reshape((x.shape[0],) + tuple(layer.in_shape)))
        y = conv_events(xf, wb, None, conv_window(graph, layer.synapse), layer.group, scatter_weights(wb, layer.group))
    else:
        y = xf @ wb
    return y.reshape(y.shape[0], -1).sum(axis=1)


@pytest.mark.parametrize("case", range(8))
def test_nonzero_fanout_equals_the_binarised_layers_scatter(case):
    """``counts @ nonzero_fanout`` is the binarised layer's output sum, bit for bit, on random
    1-D/2-D/3-D convolutions (strides, pads, dilations, groups, zero weights) and dense layers."""
    from accelsim.engine.lower import lower
    from accelsim.kernels.window import Window
    from accelsim.report.neurobench import nonzero_fanout

    rng = np.random.default_rng(case)
    nd = 1 + case % 3
    group = (1, 2, 3)[case % 3]
    cin, cout = group * int(rng.integers(1, 3)), group * int(rng.integers(1, 3))
    sp = tuple(int(v) for v in rng.integers(3, 8, size=nd))
    k = tuple(int(v) for v in rng.integers(1, 4, size=nd))
    b = WorkloadBuilder(f"nf{case}", input_shape=(cin,) + sp, timesteps=1)
    w = rng.normal(size=(cout, cin // group) + k) * (rng.random((cout, cin // group) + k) < 0.6)
    strides, pads = [int(v) for v in rng.integers(1, 3, size=nd)], [int(v) for v in rng.integers(0, 3, size=2 * nd)]
    dilations = [int(v) for v in rng.integers(1, 2 + (case < 6), size=nd)]
    h = b.conv("c", b.input, w, None, strides=strides, pads=pads, dilations=dilations, group=group)
    s = b.neuron("n", h, "IF")
    f = b.flatten("f", s)
    width = cout * Window.make(sp, k, strides, pads, dilations).out_positions
    wd = rng.normal(size=(4, width)) * (rng.random((4, width)) < 0.5)
    y = b.gemm("d", f, wd if case % 2 else wd.T, None, trans_b=bool(case % 2))
    b.readout(y)
    graph = b.graph()
    for layer in lower(graph):
        x = rng.integers(0, 50, size=(5, int(np.prod(layer.in_shape)))) * (rng.random((5, 1)) < 0.8)
        got = (x @ nonzero_fanout(graph, layer)).astype(np.float64)
        np.testing.assert_array_equal(got, _scatter_sums(graph, layer, x))

"""Hybrid ANN-SNN, worked by hand (tests/hybrid_cases.py): 2-layer SNN, 1-layer ANN
initialiser, K = 3, T = 7. The membranes after each step equal a numpy reference, the
ANN runs at steps 0, 3 and 6, and its counts (dense MACs, state writes) are exact."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.engine.execute import NeuronExec, make_executor
from accelsim.engine.functional import simulate
from accelsim.engine.hybrid import ann_input
from accelsim.workload.loader import load_workload

from hybrid_cases import A, K, T, X, reference, workload


def _run(path, backend="numba"):
    graph = load_workload(path)
    neurons = {}

    def build(g, node, be):
        ex = make_executor(g, node, be)
        if isinstance(ex, NeuronExec):
            neurons[node.name] = ex
        return ex

    v1, v2 = {}, {}

    def probe(layer, t, start, xin, yout):
        if layer.name == "fc2":  # the last layer: every neuron has stepped
            v1[t] = neurons["lif1"].state["v"].copy()
            v2[t] = neurons["out"].state["v"].copy()

    trace = simulate(graph, graph.samples, backend=backend, probes=[probe], executors=build)
    return graph, trace, np.array([v1[t] for t in range(T)]), np.array([v2[t] for t in range(T)])


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("accumulate", ["sum", "mean", "last"])
def test_membranes_after_each_step_equal_numpy(tmp_path, backend, accumulate):
    _, trace, v1, v2 = _run(workload(tmp_path, accumulate=accumulate), backend)
    r1, r2, spikes, runs = reference(accumulate=accumulate)
    np.testing.assert_allclose(v1, r1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(v2, r2, rtol=0, atol=1e-12)
    assert trace.ann.runs == runs == [0, 3, 6]
    assert trace.counts[0].spikes_out.tolist() == spikes.sum(axis=(1, 2)).astype(int).tolist()
    assert spikes.sum() > 0 and spikes.sum() < spikes.size  # the case exercises firing and not firing


def test_ann_counts_exact(tmp_path):
    _, trace, _, _ = _run(workload(tmp_path))
    ann = trace.ann
    N = X.shape[0]
    assert [l.name for l in ann.layers] == ["init1"] and ann.layers[0].engine == "ann"
    macs = ann.counts[0].synaptic_ops
    assert macs.tolist() == [6 * N, 0, 0, 6 * N, 0, 0, 6 * N]     # 2x3 dense MACs per sample per run
    assert ann.state_writes[0].tolist() == [3 * N, 0, 0, 3 * N, 0, 0, 3 * N]
    # non-zero ANN inputs: frames 0 | 1..3 | 4..6 summed
    nz = [np.count_nonzero(X[:, 0]), np.count_nonzero(X[:, 1:4].sum(1)), np.count_nonzero(X[:, 4:7].sum(1))]
    assert ann.counts[0].events_in[[0, 3, 6]].tolist() == nz
    assert ann.macs(initialisers=True) == 18 * N and ann.macs(initialisers=False) == 0


def test_ann_runs_every_k(tmp_path):
    for every, runs in ((1, list(range(T))), (2, [0, 2, 4, 6]), (7, [0]), (100, [0])):
        _, trace, v1, _ = _run(workload(tmp_path / str(every), every=every))
        assert trace.ann.runs == runs
        assert np.flatnonzero(trace.ann.state_writes[0]).tolist() == runs
        np.testing.assert_allclose(v1, reference(every=every)[0], rtol=0, atol=1e-12)


def test_window_longer_than_k(tmp_path):
    """K = 1 with a window of 3 frames: the ANN at every step on a sliding window."""
    _, trace, v1, v2 = _run(workload(tmp_path, every=1, window=3))
    r1, r2, _, runs = reference(every=1, window=3)
    assert trace.ann.runs == runs == list(range(T))
    np.testing.assert_allclose(v1, r1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(v2, r2, rtol=0, atol=1e-12)


def test_ann_input_windows():
    x = np.arange(2 * 5 * 1, dtype=float).reshape(2, 5, 1)
    np.testing.assert_array_equal(ann_input(x, 0, 3, "sum", True), x[:, 0])
    np.testing.assert_array_equal(ann_input(x, 3, 3, "sum", True), x[:, 1:4].sum(1))
    np.testing.assert_array_equal(ann_input(x, 3, 3, "mean", True), x[:, 1:4].mean(1))
    np.testing.assert_array_equal(ann_input(x, 3, 3, "last", True), x[:, 3])
    d = np.ones((2, 1))
    np.testing.assert_array_equal(ann_input(d, 3, 3, "sum", False), 3 * d)
    np.testing.assert_array_equal(ann_input(d, 0, 3, "sum", False), d)


def test_without_ann_is_unchanged(tmp_path):
    """The same SNN without its ANN part: no state writes, membranes from v_init = 0."""
    path = workload(tmp_path)
    import json
    wl = json.loads(path.read_text())
    del wl["ann"]
    path.write_text(json.dumps(wl))
    graph = load_workload(path)
    trace = simulate(graph, graph.samples)
    assert trace.ann is None and graph.ann is None
    _, hybrid, _, _ = _run(workload(tmp_path / "h"))
    assert not np.array_equal(trace.scores, hybrid.scores)  # the initialiser changes the run
    assert A.shape == (2, 3)


def test_synaptic_state_binding(tmp_path):
    """The ANN may initialise a synaptic state: CubaLIF's current isyn, against numpy."""
    import json
    from hybrid_cases import B_A, LEAK_OUT, W1, W2
    path = workload(tmp_path)
    wl = json.loads(path.read_text())
    wl["nodes"][1] = {"name": "lif1", "op": "CubaLIF", "inputs": ["i1"], "outputs": ["s1"],
                      "attrs": {"leak": 0.5, "syn_leak": 0.5, "threshold": 1.0, "reset": "subtract"}}
    wl["ann"]["bindings"][0]["state"] = "isyn"
    path.write_text(json.dumps(wl))
    graph = load_workload(path)
    trace = simulate(graph, graph.samples, backend="numpy")
    N = X.shape[0]
    v, isyn, y, scores = np.zeros((N, 3)), np.zeros((N, 3)), np.zeros((N, 2)), np.zeros((N, 2))
    for t in range(T):
        if t % K == 0:
            isyn = X[:, max(0, t - K + 1):t + 1].sum(axis=1) @ A + B_A
        isyn = 0.5 * isyn + X[:, t] @ W1
        v = 0.5 * v + isyn
        s = (v > 1.0).astype(float)
        v = v - s
        y = LEAK_OUT * y + s @ W2
        scores += y
    np.testing.assert_allclose(trace.scores, scores, rtol=0, atol=1e-12)
    assert trace.ann.runs == [0, 3, 6]

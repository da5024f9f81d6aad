"""Recurrent graphs (cycles through neurons) in the workload format and the functional engine.

* A hand-worked 2-neuron recurrent network: spikes, events and synaptic ops of the
  forward and recurrent weights per step, exact; the recurrent layer's counts at
  step t come from the spikes of t-1.
* The delayed edge is the one from the neuron into the recurrent synapse, the same
  whatever the order the nodes are listed in; the lowering marks that layer.
* Algebraic loops, cycles without a synapse and shape errors through cycles:
  exit 2 naming the nodes / the dotted path.
* Workload JSON round trip; batches and backends do not change the trace.
* A recurrent convolution equals an independent numpy loop.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.engine.ann import run_ann
from accelsim.engine.functional import simulate
from accelsim.engine.lower import lower
from accelsim.errors import InputError
from accelsim.workload import load_workload
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples

# --------------------------------------------------------------------------
# the hand-worked case

W_REC = np.array([[0.0, -0.5],   # a <- -0.5 b(t-1)
                  [1.0, 0.0]])   # b <- a(t-1)
X = np.array([1, 0, 1, 1, 0, 0], dtype=float)


def two_neurons(order: str = "forward") -> WorkloadBuilder:
    """Neurons a, b (IF, threshold 1, reset by subtraction): a gets x(t) - 0.5 b(t-1), b gets a(t-1);
    a linear readout of their spikes. ``order``: the nodes listed forward or reversed in the file."""
    b = WorkloadBuilder("rnn2", input_shape=(1,), timesteps=6, encoding="sequence")
    h = b.gemm("fc", b.input, np.array([[1.0], [0.0]]))
    s = b.node("sum", "Add", [h, "rec"])
    n = b.neuron("lif", s, "IF", threshold=1.0)
    b.gemm("rec", n, W_REC)
    b.readout(b.gemm("out", n, np.eye(2)))
    if order == "reversed":
        b.doc["nodes"].reverse()
    return b


def test_hand_worked_two_neuron_counts():
    """By hand, v(t) = v(t-1) + I(t), spike at v >= 1, v -= 1:
    t  x  I_a = x - 0.5 b(t-1)   v_a   I_b = a(t-1)  v_b   spikes (a, b)
    0  1   1                      1->0  0             0     (1, 0)
    1  0   0                      0     1             1->0  (0, 1)
    2  1   1 - 0.5 = 0.5          0.5   0             0     (0, 0)
    3  1   1                      1.5->0.5  0         0     (1, 0)
    4  0   0                      0.5   1             1->0  (0, 1)
    5  0  -0.5                    0     0             0     (0, 0)
    The recurrent layer reads the spikes of t-1 (none at t = 0): events 0,1,1,0,1,1, each
    fanned out to 2 neurons; the forward layer reads x (fan-out 2), the readout the spikes of t."""
    g = two_neurons().graph()
    assert g.delayed == {("rec", 0)} and g.delayed_values == ("lif",)
    assert [n.name for n in g.nodes] == ["fc", "rec", "sum", "lif", "out"]
    tr = simulate(g, Samples(X.reshape(1, 6, 1), None, "x"))
    by = {l.name: (l, c) for l, c in zip(tr.layers, tr.counts)}
    fc, rec, out = by["fc"], by["rec"], by["out"]
    assert (rec[0].recurrent, rec[0].delay, rec[0].merges_into, rec[0].neuron) == (True, 1, "fc", None)
    assert (fc[0].recurrent, fc[0].delay, fc[0].neuron.name) == (False, 0, "lif")
    assert fc[1].spikes_out.tolist() == [1, 1, 0, 1, 1, 0]
    assert fc[1].events_in.tolist() == [1, 0, 1, 1, 0, 0]
    assert fc[1].synaptic_ops.tolist() == [2, 0, 2, 2, 0, 0]
    assert rec[1].events_in.tolist() == [0, 1, 1, 0, 1, 1]
    assert rec[1].synaptic_ops.tolist() == [0, 2, 2, 0, 2, 2]
    assert rec[1].spikes_out.tolist() == [0] * 6
    assert rec[1].nonbinary_inputs.tolist() == [0] * 6
    assert out[1].events_in.tolist() == [1, 1, 0, 1, 1, 0]
    assert out[1].synaptic_ops.tolist() == [2, 2, 0, 2, 2, 0]
    # per address: the recurrent layer's inputs are the neurons' spikes of t-1
    adr = tr.addresses[rec[0].index].by_input
    assert adr.tolist() == [[0, 0], [1, 0], [0, 1], [0, 0], [1, 0], [0, 1]]
    assert tr.addresses[fc[0].index].by_neuron.tolist() == [[1, 0], [0, 1], [0, 0], [1, 0], [0, 1], [0, 0]]
    assert tr.scores.tolist() == [[2.0, 2.0]]   # the readout sums the spikes


def random_rnn(rng, name: str, sizes: tuple[int, int, int], timesteps: int, encoding: str, fc_sd: float,
               leak: float):
    """Graph ``fc -> Add(fc, rec) -> LIF -> rec`` plus a Gemm readout of the LIF spikes, with random weights
    from ``rng`` (fc N(0, fc_sd), rec N(0, 0.8), out N(0, 1), drawn in that order); ``sizes``: (inputs,
    hidden neurons, outputs)."""
    n_in, hidden, n_out = sizes
    b = WorkloadBuilder(name, input_shape=(n_in,), timesteps=timesteps, encoding=encoding)
    h = b.gemm("fc", b.input, rng.normal(0, fc_sd, (hidden, n_in)))
    s = b.node("sum", "Add", [h, "rec"])
    n = b.neuron("lif", s, "LIF", threshold=1.0, leak=leak)
    b.gemm("rec", n, rng.normal(0, 0.8, (hidden, hidden)))
    b.readout(b.gemm("out", n, rng.normal(size=(n_out, hidden))))
    return b.graph()


def test_spikes_sent_equal_spikes_received_one_step_later():
    rng = np.random.default_rng(3)
    g = random_rnn(rng, "rnn", (5, 8, 3), 12, "sequence", fc_sd=1.0, leak=0.8)
    tr = simulate(g, Samples((rng.random((7, 12, 5)) < 0.4).astype(float), None, "x"))
    fc, rec = tr.counts[0], tr.counts[1]
    assert fc.spikes_out.sum() > 20
    assert rec.events_in[0] == 0 and np.array_equal(rec.events_in[1:], fc.spikes_out[:-1])
    assert np.array_equal(rec.synaptic_ops, rec.events_in * 8)
    assert np.array_equal(tr.addresses[1].by_input[1:], tr.addresses[0].by_neuron[:-1])


def test_the_delayed_edge_does_not_depend_on_the_file_order():
    fwd, rev = two_neurons().graph(), two_neurons("reversed").graph()
    assert rev.delayed == fwd.delayed == {("rec", 0)}
    assert [n.name for n in rev.nodes] == ["fc", "rec", "sum", "lif", "out"]
    x = Samples(X.reshape(1, 6, 1), None, "x")
    a, b = simulate(fwd, x), simulate(rev, x)
    assert [l.name for l in b.layers] == ["fc", "rec", "out"] and b.layers[0].neuron.name == "lif"
    for ca, cb in zip(a.counts, b.counts):
        assert np.array_equal(ca.spikes_out, cb.spikes_out) and np.array_equal(ca.synaptic_ops, cb.synaptic_ops)


def _layered(rng) -> WorkloadBuilder:
    """Two recurrent layers, the second feeding back into the first (a cycle through both)."""
    b = WorkloadBuilder("rnn2l", input_shape=(4,), timesteps=10, encoding="sequence")
    h = b.gemm("fc1", b.input, rng.normal(0, 1.2, (6, 4)))
    s1 = b.node("sum1", "Add", [h, "back"])
    n1 = b.neuron("lif1", s1, "LIF", threshold=1.0, leak=0.9)
    h2 = b.gemm("fc2", n1, rng.normal(0, 1.0, (5, 6)))
    s2 = b.node("sum2", "Add", [h2, "rec2"])
    n2 = b.neuron("lif2", s2, "LIF", threshold=1.0, leak=0.9)
    b.gemm("rec2", n2, rng.normal(0, 0.7, (5, 5)))
    b.gemm("back", n2, rng.normal(0, 0.7, (6, 5)))
    b.readout(b.gemm("out", n2, rng.normal(size=(3, 5))))
    return b


def test_a_cycle_through_two_layers_delays_only_the_edge_back():
    """lif1 -> fc2 stays a same-step edge; lif2 -> back and lif2 -> rec2 are delayed. Checked against a
    numpy loop written here."""
    rng = np.random.default_rng(5)
    b = _layered(rng)
    g = b.graph()
    assert g.delayed == {("back", 0), ("rec2", 0)}
    # each recurrent synapse just before the node that reads it; its layer after the forward one it merges into
    assert [n.name for n in g.nodes] == ["fc1", "back", "sum1", "lif1", "fc2", "rec2", "sum2", "lif2", "out"]
    assert [(l.name, l.merges_into) for l in lower(g)] == [("fc1", None), ("back", "fc1"), ("fc2", None),
                                                          ("rec2", "fc2"), ("out", None)]
    x = (rng.random((3, 10, 4)) < 0.5).astype(float)
    tr = simulate(g, Samples(x, None, "x"))
    W = {k: b.tensors[f"{k}.weight"] for k in ("fc1", "fc2", "rec2", "back", "out")}
    v1, v2 = np.zeros((3, 6)), np.zeros((3, 5))
    s2 = np.zeros((3, 5))
    score, spikes1, spikes2 = np.zeros((3, 3)), [], []
    for t in range(10):
        v1 = 0.9 * v1 + x[:, t] @ W["fc1"].T + s2 @ W["back"].T
        s1 = (v1 >= 1.0).astype(float)
        v1 -= s1
        v2 = 0.9 * v2 + s1 @ W["fc2"].T + s2 @ W["rec2"].T
        s2 = (v2 >= 1.0).astype(float)
        v2 -= s2
        score += s2 @ W["out"].T
        spikes1.append(int(s1.sum()))
        spikes2.append(int(s2.sum()))
    by = {l.name: c for l, c in zip(tr.layers, tr.counts)}
    assert by["fc1"].spikes_out.tolist() == spikes1 and by["fc2"].spikes_out.tolist() == spikes2
    assert sum(spikes2) > 5
    np.testing.assert_allclose(tr.scores, score, rtol=1e-12, atol=1e-12)
    assert by["back"].events_in.tolist() == [0] + spikes2[:-1]


def test_batches_and_backends_give_the_same_trace():
    rng = np.random.default_rng(11)
    g = _layered(rng).graph()
    x = Samples((rng.random((5, 10, 4)) < 0.5).astype(float), None, "x")
    ref = simulate(g, x, backend="numpy", batch_size=5)
    for backend, bs in (("numba", 5), ("numba", 2), ("numpy", 1)):
        tr = simulate(g, x, backend=backend, batch_size=bs)
        np.testing.assert_array_equal(tr.scores, ref.scores)
        for a, c in zip(tr.counts, ref.counts):
            for f in ("events_in", "synaptic_ops", "spikes_out", "membrane_updates"):
                np.testing.assert_array_equal(getattr(a, f), getattr(c, f))


def test_recurrent_convolution_equals_a_numpy_loop():
    """lif [2, 5, 5] reads itself through a 3x3 'same' convolution one step late."""
    rng = np.random.default_rng(2)
    b = WorkloadBuilder("crnn", input_shape=(1, 5, 5), timesteps=6, encoding="sequence")
    wf, wr = rng.normal(0, 1.0, (2, 1, 3, 3)), rng.normal(0, 0.6, (2, 2, 3, 3))
    h = b.conv("cf", b.input, wf, pads=[1, 1, 1, 1])
    s = b.node("sum", "Add", [h, "cr"])
    n = b.neuron("lif", s, "LIF", threshold=1.0, leak=0.8)
    b.conv("cr", n, wr, pads=[1, 1, 1, 1])
    b.readout(b.gemm("out", b.flatten("flat", n), rng.normal(size=(3, 50))))
    g = b.graph()
    assert g.delayed == {("cr", 0)} and g.shapes["cr"] == (2, 5, 5)
    x = (rng.random((2, 6, 1, 5, 5)) < 0.5).astype(float)
    tr = simulate(g, Samples(x, None, "x"))

    def conv(a, w):  # 'same' 3x3 cross-correlation, [N, C, 5, 5] -> [N, O, 5, 5]
        p = np.pad(a, [(0, 0), (0, 0), (1, 1), (1, 1)])
        return np.stack([sum(np.einsum("nchw,oc->nohw", p[:, :, i:i + 5, j:j + 5], w[:, :, i, j])
                             for i in range(3) for j in range(3))], 0)[0]

    v, sp, spikes = np.zeros((2, 2, 5, 5)), np.zeros((2, 2, 5, 5)), []
    for t in range(6):
        v = 0.8 * v + conv(x[:, t], wf) + conv(sp, wr)
        sp = (v >= 1.0).astype(float)
        v -= sp
        spikes.append(int(sp.sum()))
    assert tr.counts[0].spikes_out.tolist() == spikes and sum(spikes) > 10
    fan = tr.layers[1].fanout   # the recurrent conv: each spike of t-1 fanned out
    assert tr.counts[1].synaptic_ops[1:].tolist() == [int(a) for a in tr.addresses[0].by_neuron[:-1].astype(np.int64) @ fan]


def test_a_direct_input_is_static_but_the_recurrent_path_is_not():
    """A direct-encoded input is computed once (fc is static), the recurrent path every step: the same
    spikes as the input given as a sequence of equal frames."""
    rng = np.random.default_rng(4)
    g = random_rnn(rng, "rnnd", (3, 4, 2), 8, "direct", fc_sd=0.7, leak=0.9)
    x = rng.uniform(0, 1, (5, 3))
    direct = simulate(g, Samples(x, None, "x"))
    frames = simulate(g, Samples(np.repeat(x[:, None], 8, axis=1), None, "x"))
    assert direct.static_layers == {"fc"}
    assert direct.counts[0].spikes_out.sum() > 5
    for a, c in zip(direct.counts, frames.counts):
        np.testing.assert_array_equal(a.spikes_out, c.spikes_out)
        np.testing.assert_array_equal(a.synaptic_ops, c.synaptic_ops)
    np.testing.assert_array_equal(direct.scores, frames.scores)


def test_a_hybrid_ann_part_is_refused_in_a_recurrent_graph():
    b = two_neurons()
    b.tensor("A", np.ones((2, 1)))
    b.doc["ann"] = {"every": 2, "nodes": [{"name": "a_fc", "op": "Gemm", "inputs": ["input", "A"],
                                           "outputs": ["av"], "attrs": {"transB": 1}}],
                    "bindings": [{"value": "av", "neuron": "lif"}]}
    from accelsim.workload.loader import graph_from_doc
    g = graph_from_doc(b.spec(), dict(b.tensors), "<h>")
    assert g.ann is not None and g.recurrent
    with pytest.raises(InputError) as exc:
        simulate(g, Samples(X.reshape(1, 6, 1), None, "x"))
    assert exc.value.problems[0].path == "ann" and "recurrent" in str(exc.value.problems[0])


# --------------------------------------------------------------------------
# errors

def _write(tmp_path, b: WorkloadBuilder):
    return b.write(tmp_path / "wl")


def test_algebraic_loop_is_refused_with_exit_2_naming_the_nodes(tmp_path, capsys):
    b = WorkloadBuilder("loop", input_shape=(2,), timesteps=2, encoding="sequence")
    h = b.gemm("fc", b.input, np.eye(2))
    s = b.node("sum", "Add", [h, "fb"])
    b.gemm("fb", s, np.eye(2))
    b.readout(b.neuron("lif", s, "IF"), mode="spike_count")
    path = _write(tmp_path, b)
    with pytest.raises(InputError) as exc:
        load_workload(path)
    p = exc.value.problems[0]
    assert p.path == "nodes" and "cycle through: sum, fb (back to sum)" in str(p) and "algebraic loop" in str(p)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "algebraic loop" in err and "sum, fb" in err and "Traceback" not in err


def test_a_cycle_without_a_synapse_is_refused(tmp_path):
    b = WorkloadBuilder("selfloop", input_shape=(2,), timesteps=2, encoding="sequence")
    h = b.gemm("fc", b.input, np.eye(2))
    s = b.node("sum", "Add", [h, "lif"])
    n = b.neuron("lif", s, "IF")
    b.readout(b.gemm("out", n, np.eye(2)))
    with pytest.raises(InputError) as exc:
        load_workload(_write(tmp_path, b))
    text = str(exc.value.problems[0])
    assert "cycle through: sum, lif" in text and "feeds a synaptic node" in text and "algebraic" not in text


def test_shape_errors_through_the_cycle_name_the_recurrent_input(tmp_path):
    b = two_neurons()
    b.tensors["rec.weight"] = np.ones((2, 3))   # expects 3 features; lif has 2
    with pytest.raises(InputError) as exc:
        load_workload(_write(tmp_path, b))
    probs = exc.value.problems
    assert len(probs) == 1 and probs[0].path == "nodes[3].inputs[1]" and "3" in str(probs[0])
    b = two_neurons()
    b.tensors["rec.weight"] = np.ones((3, 2))   # 3 outputs summed with the 2-neuron forward current
    with pytest.raises(InputError) as exc:
        load_workload(_write(tmp_path / "b", b))
    texts = [f"{p.path}: {p}" for p in exc.value.problems]
    assert any(t.startswith("nodes[1].inputs") and "broadcast" in t for t in texts), texts
    b = two_neurons()   # a second neuron fed only by its own recurrent weight: no shape to start from
    b.node("lone", "IF", ["rec_lone"], {"threshold": 1.0})
    b.gemm("rec_lone", "lone", np.eye(2))
    with pytest.raises(InputError) as exc:
        load_workload(_write(tmp_path / "c", b))
    probs = exc.value.problems
    assert len(probs) == 1 and probs[0].path == "nodes[6].inputs[0]" and "cannot be inferred" in str(probs[0])


def test_few_spikes_neurons_and_the_ann_view_are_refused():
    b = WorkloadBuilder("fsr", input_shape=(2,), timesteps=2, encoding="sequence")
    h = b.gemm("fc", b.input, np.eye(2))
    s = b.node("sum", "Add", [h, "rec"])
    n = b.node("fs", "FS", [s], {"phases": 4, "alpha": 1.0})
    b.gemm("rec", n, np.eye(2))
    b.readout(b.gemm("out", n, np.eye(2)))
    g = b.graph()
    with pytest.raises(InputError, match="few-spikes"):
        simulate(g, Samples(np.zeros((1, 2, 2)), None, "x"))
    with pytest.raises(InputError, match="recurrent"):
        run_ann(two_neurons().graph(), np.zeros((1, 6, 1)))


# --------------------------------------------------------------------------
# round trip, and feed-forward graphs unchanged

def test_workload_json_round_trip_preserves_the_recurrent_network(tmp_path):
    b = _layered(np.random.default_rng(8))
    rng = np.random.default_rng(9)
    x = (rng.random((4, 10, 4)) < 0.5).astype(float)
    path = b.write(tmp_path / "a", samples=(x, np.array([0, 1, 2, 0])))
    g1 = load_workload(path)
    doc = json.loads(path.read_text())
    assert {"name": "back", "op": "Gemm", "inputs": ["lif2", "back.weight"], "outputs": ["back"],
            "attrs": {"transB": 1}} in doc["nodes"]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "workload.json").write_text(g1.spec.model_dump_json(exclude_none=True))
    for f in ("tensors.npz", "samples.npz"):
        (tmp_path / "b" / f).write_bytes((tmp_path / "a" / f).read_bytes())
    g2 = load_workload(tmp_path / "b" / "workload.json")
    assert g2.delayed == g1.delayed == {("back", 0), ("rec2", 0)}
    assert [n.name for n in g2.nodes] == [n.name for n in g1.nodes]
    t1, t2 = simulate(g1, g1.samples), simulate(g2, g2.samples)
    np.testing.assert_array_equal(t1.scores, t2.scores)
    for a, c in zip(t1.counts, t2.counts):
        np.testing.assert_array_equal(a.synaptic_ops, c.synaptic_ops)


def test_feed_forward_graphs_have_no_delayed_edges(tiny_workload):
    g = load_workload(tiny_workload.write())
    assert g.delayed == frozenset() and not g.recurrent and g.delayed_values == ()
    assert not any(l.recurrent or l.delay for l in lower(g))

"""Functional engine: random small networks give identical traces on the numba
and numpy backends, independent of the batch size and of repetition; the counts
satisfy their invariants; ``Layer.fanout`` matches a brute-force count.

Weights, biases, thresholds and inputs are integers and leaks are dyadic
(1, 3/4, 1/2), average pools divide by powers of two, so all arithmetic is exact
and the backends must agree bit for bit.
"""
from __future__ import annotations

import itertools
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.engine.functional import simulate
from accelsim.engine.lower import lower
from accelsim.engine.trace import LayerCounts, Trace
from accelsim.workload import Samples, load_workload
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.loader import build_graph
from accelsim.workload.spec import WorkloadSpec

SPATIAL = {1: (8, 14), 2: (5, 8), 3: (3, 5)}  # input extent range per spatial rank

# the exact integer counts of a layer (``activity`` is its engine's own record)
# per-step counts; activity and overflows are what hardware numerics record (None for the exact
# float executors used here; the fixed-point overflows are checked in tests/test_fixed_point.py)
COUNT_FIELDS = [f for f in fields(LayerCounts) if f.name not in ("activity", "overflows")]


# --------------------------------------------------------------------------
# random networks

def _rand_geometry(rng, in_sp, max_k=3, max_s=2, max_d=2, max_p=1, pool=False):
    """kernel, strides, pads, dilations for ``in_sp`` with at least one output per axis."""
    ker, strd, pb, pe, dil = [], [], [], [], []
    for n in in_sp:
        k = int(rng.integers(1, (2 if pool else max_k) + 1))
        d = 1 if pool else int(rng.integers(1, max_d + 1))
        s = int(rng.integers(1, max_s + 1))
        hi = min(max_p, k - 1) if pool else max_p
        b, e = int(rng.integers(0, hi + 1)), int(rng.integers(0, hi + 1))
        if (k - 1) * d + 1 > n + b + e:
            k, d = 1, 1
        ker.append(k)
        strd.append(s)
        pb.append(b)
        pe.append(e)
        dil.append(d)
    out = tuple((n + pb[i] + pe[i] - ((ker[i] - 1) * dil[i] + 1)) // strd[i] + 1 for i, n in enumerate(in_sp))
    return tuple(ker), tuple(strd), tuple(pb + pe), tuple(dil), out


def _add_neuron(b, rng, name, x, shape):
    """LIF or IF; threshold and leak scalar, per channel or per neuron; either reset; sometimes
    a non-zero v_reset / v_init."""
    kind = "LIF" if rng.random() < 0.6 else "IF"
    reset = "subtract" if rng.random() < 0.5 else "zero"

    def param(draw):
        r = rng.random()
        return draw(None) if r < 0.4 else draw(shape[:1]) if r < 0.8 else draw(shape)

    thr = param(lambda size: float(rng.integers(1, 4)) if size is None
                else rng.integers(1, 5, size=size).astype(np.float64))
    leak = param(lambda size: float(rng.choice([1.0, 0.75, 0.5])) if size is None
                 else rng.choice([1.0, 0.75, 0.5], size=size))
    out = b.neuron(name, x, kind, threshold=thr, leak=leak, reset=reset)
    attrs = b.doc["nodes"][-1]["attrs"]
    if rng.random() < 0.3:
        attrs["v_reset"] = float(rng.choice([-1.0, 0.5]))
    if rng.random() < 0.3:
        attrs["v_init"] = float(rng.choice([-0.5, 0.5, 1.0]))
    return out


def random_network(seed: int, nd: int, folder, encoding: str = "direct", n_samples: int = 5):
    """A random conv/pool/flatten/Gemm SNN with ``nd`` spatial axes, written to ``folder``."""
    rng = np.random.default_rng(seed)
    T = int(rng.integers(1, 6))
    lo, hi = SPATIAL[nd]
    cin = int(rng.integers(1, 4))
    in_sp = tuple(int(rng.integers(lo, hi + 1)) for _ in range(nd))
    b = WorkloadBuilder(f"rand{seed}", (cin,) + in_sp, timesteps=T, encoding=encoding)

    # the first layer: the analog-input conv
    c1 = int(rng.integers(2, 5))
    ker, strd, pads, dil, sp = _rand_geometry(rng, in_sp)
    w1 = rng.integers(-1, 4, size=(c1, cin) + ker).astype(np.float64)
    b1 = rng.integers(-1, 2, size=c1).astype(np.float64) if rng.random() < 0.5 else None
    h = b.conv("conv1", b.input, w1, b1, strides=strd, pads=pads, dilations=dil)
    h = _add_neuron(b, rng, "lif1", h, (c1,) + sp)

    # optional pooling (max: any window; average: kernels of 1 or 2 per axis, so counts are powers of 2)
    if rng.random() < 0.6:
        pk, ps, pp, _, psp = _rand_geometry(rng, sp, pool=True)
        if rng.random() < 0.5:
            h = b.pool("pool1", h, "max", pk, ps, pp)
        else:
            h = b.pool("pool1", h, "avg", pk, ps, pp)
            b.doc["nodes"][-1]["attrs"]["count_include_pad"] = int(rng.integers(0, 2))
        sp = psp

    # layer 2: a spiking conv, possibly grouped
    group = int(rng.choice([g for g in (1, 2, 3, 4) if c1 % g == 0]))
    c2 = group * int(rng.integers(1, 3))
    ker, strd, pads, dil, sp = _rand_geometry(rng, sp, max_s=3)
    w2 = rng.integers(-1, 3, size=(c2, c1 // group) + ker).astype(np.float64)
    h = b.conv("conv2", h, w2, None, strides=strd, pads=pads, dilations=dil, group=group)
    h = _add_neuron(b, rng, "lif2", h, (c2,) + sp)

    # optional residual block (conv3 + Add of the block input, then neurons), optionally
    # concatenated with the block input; drawn from a second stream so the rest stays put
    alt = np.random.default_rng([seed, 1])
    channels = c2
    if alt.random() < 0.4:
        k3 = tuple(int(alt.choice([1, 3])) for _ in sp)
        w5 = alt.integers(-1, 3, size=(c2, c2) + k3).astype(np.float64)
        r = b.conv("conv3", h, w5, strides=[1] * nd, pads=[k // 2 for k in k3] * 2)
        r = b.node("res", "Add", [r, h])
        r = _add_neuron(b, alt, "lif_r", r, (c2,) + sp)
        if alt.random() < 0.5:
            h = b.node("cat", "Concat", [h, r], {"axis": 1})
            channels = 2 * c2
        else:
            h = r

    # classifier: flatten (or reshape), Gemm / MatMul (+ neurons), Gemm readout (membrane)
    # or spike-count readout
    h = b.flatten("flat", h) if alt.random() < 0.7 else b.reshape("flat", h, [0, -1])
    feat = channels * int(np.prod(sp))
    hidden = int(rng.integers(3, 9))
    w3 = rng.integers(-1, 3, size=(hidden, feat)).astype(np.float64)
    b3 = rng.integers(-1, 2, size=hidden).astype(np.float64)
    form = alt.choice(["gemm", "gemm_nt", "matmul"])
    if form == "gemm":
        h = b.gemm("fc1", h, w3, b3)
    elif form == "gemm_nt":  # transB = 0, alpha and beta
        h = b.node("fc1", "Gemm", [h, b.tensor("fc1.weight", w3.T), b.tensor("fc1.bias", b3)],
                   {"transB": 0, "alpha": 2.0, "beta": 0.5})
    else:
        h = b.node("fc1", "MatMul", [h, b.tensor("fc1.weight", w3.T)])
    h = _add_neuron(b, rng, "lif3", h, (hidden,))
    classes = int(rng.integers(2, 5))
    w4 = rng.integers(-2, 3, size=(classes, hidden)).astype(np.float64)
    if rng.random() < 0.7:
        y = b.gemm("fc2", h, w4, rng.integers(-1, 2, size=classes).astype(np.float64))
        b.readout(y, "membrane")
    else:
        y = b.gemm("fc2", h, w4)
        y = b.neuron("lif4", y, "IF", threshold=1.0)
        b.readout(y, "spike_count")

    shape = (n_samples,) + ((T,) if encoding == "sequence" else ()) + (cin,) + in_sp
    if encoding == "sequence":
        x = (rng.random(shape) < 0.5).astype(np.float64)
    else:
        x = rng.integers(0, 4, size=shape).astype(np.float64)
    labels = rng.integers(0, classes, size=n_samples)
    return b.write(folder, samples=(x, labels))


def assert_traces_equal(a: Trace, b: Trace) -> None:
    assert [l.name for l in a.layers] == [l.name for l in b.layers]
    for la, ca, cb in zip(a.layers, a.counts, b.counts):
        for f in COUNT_FIELDS:
            xa, xb = getattr(ca, f.name), getattr(cb, f.name)
            assert xa.dtype == xb.dtype == np.int64, (la.name, f.name)
            assert np.array_equal(xa, xb), (la.name, f.name, xa, xb)
    assert np.array_equal(a.scores, b.scores)
    assert np.array_equal(a.predictions, b.predictions)
    assert np.array_equal(a.correct_by_step, b.correct_by_step)
    assert a.static_layers == b.static_layers
    assert a.accuracy == b.accuracy


# (seed, spatial rank, input encoding): 7 direct-input and 2 spike-sequence networks per rank
CASES = [(seed, nd, "direct") for nd in (1, 2, 3) for seed in range(7)]
CASES += [(100 + seed, nd, "sequence") for nd in (1, 2, 3) for seed in range(2)]


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    """Every random network, loaded once, with its numba trace."""
    out = {}
    for seed, nd, enc in CASES:
        path = random_network(seed, nd, tmp_path_factory.mktemp(f"net{seed}_{nd}"), encoding=enc)
        graph = load_workload(path)
        out[(seed, nd, enc)] = (graph, simulate(graph, graph.samples, backend="numba"))
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c[0]}-{c[1]}d-{c[2]}")
def test_backends_agree(networks, case):
    graph, tr_numba = networks[case]
    tr_numpy = simulate(graph, graph.samples, backend="numpy")
    assert tr_numba.meta["backend"] == "numba" and tr_numpy.meta["backend"] == "numpy"
    assert_traces_equal(tr_numba, tr_numpy)
    assert tr_numba.counts[0].events_in.sum() > 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c[0]}-{c[1]}d-{c[2]}")
def test_batch_size_and_repetition_do_not_matter(networks, case):
    graph, tr = networks[case]
    # the same run again: identical trace
    assert_traces_equal(tr, simulate(graph, graph.samples, backend="numba"))
    # one sample per batch (on the first 3 samples, to keep the per-call overhead down)
    head = graph.samples.head(3)
    tr_head = simulate(graph, head, backend="numba")
    assert_traces_equal(tr_head, simulate(graph, head, backend="numba", batch_size=1))
    # samples are independent: counts of a split add up to the counts of the whole
    x, y = graph.samples.x, graph.samples.y
    tr_tail = simulate(graph, Samples(x[3:], y[3:], "tail"), backend="numba")
    assert np.array_equal(np.concatenate([tr_head.scores, tr_tail.scores]), tr.scores)
    for ch, ct, c in zip(tr_head.counts, tr_tail.counts, tr.counts):
        for f in COUNT_FIELDS:
            assert np.array_equal(getattr(ch, f.name) + getattr(ct, f.name), getattr(c, f.name))
    # (batch_size=2, which splits 5 samples unevenly, is covered by test_counts_match_probed_activity)


def test_random_networks_are_not_vacuous(networks):
    """Most random networks fire in each of their spiking layers, so the comparisons exercise spikes."""
    for i in (0, 1, 2):
        firing = [tr.counts[i].spikes_out.sum() > 0 for _, tr in networks.values()]
        assert sum(firing) >= 2 * len(firing) // 3, (i, firing)
    kinds = {n.op for g, _ in networks.values() for n in g.nodes}
    assert {"Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "Flatten", "Reshape", "Add", "Concat",
            "LIF", "IF"} <= kinds
    assert any(tr.counts[i].aux_ops.sum() > 0 for _, tr in networks.values() for i in range(len(tr.counts)))
    assert {g.readout.mode for g, _ in networks.values()} == {"membrane", "spike_count"}


def _spike_sources(graph, layers, layer):
    """The layers whose spikes reach ``layer``'s input unchanged (through Flatten, Reshape
    and Concat only), or None if anything else (a pool, an Add, the graph input) is in between."""
    by_neuron = {l.neuron.output: l for l in layers if l.neuron is not None}
    sources, stack = [], [layer.data_input]
    while stack:
        v = stack.pop()
        if v in by_neuron:
            sources.append(by_neuron[v])
            continue
        p = graph.producer(v)
        if p is None or p.op not in ("Flatten", "Reshape", "Concat"):
            return None
        stack.extend(graph.value_inputs(p))
    return sources


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c[0]}-{c[1]}d-{c[2]}")
def test_count_invariants(networks, case):
    graph, tr = networks[case]
    N, T = tr.samples, tr.timesteps
    connected = 0
    for layer, cnt in zip(tr.layers, tr.counts):
        for f in COUNT_FIELDS:
            arr = getattr(cnt, f.name)
            assert arr.shape == (T,) and np.all(arr >= 0)
        in_elems = int(np.prod(layer.in_shape)) * N
        assert np.all(cnt.events_in <= in_elems)
        assert np.all(cnt.synaptic_ops <= cnt.events_in * int(layer.fanout.max(initial=0)))
        if layer.spiking:
            assert np.array_equal(cnt.spikes_out, cnt.nonzero_out)
            rate = cnt.spikes_out.sum() / (layer.neurons * T * N)
            assert 0.0 <= rate <= 1.0
            assert np.all(cnt.spikes_out <= layer.neurons * N)
        else:
            assert not cnt.spikes_out.any()
    counts = dict(zip((l.name for l in tr.layers), tr.counts))
    for layer in tr.layers:
        sources = _spike_sources(graph, tr.layers, layer)
        if sources:
            connected += 1
            spikes = sum(counts[s.name].spikes_out for s in sources)
            assert np.array_equal(spikes, counts[layer.name].events_in), (layer.name, [s.name for s in sources])
    assert connected >= 2  # fc2 reads lif3 directly; fc1 or conv3 reads lif2 directly
    if graph.readout.mode == "membrane" and graph.input.encoding == "direct":
        assert "conv1" in tr.static_layers


@pytest.mark.parametrize("case", CASES[::3], ids=lambda c: f"seed{c[0]}-{c[1]}d-{c[2]}")
def test_counts_match_probed_activity(networks, case):
    """Recount events_in / synaptic_ops / outputs from the probed values with a brute-force fan-out."""
    graph, tr = networks[case]
    seen = {l.name: [[0, 0, 0] for _ in range(tr.timesteps)] for l in tr.layers}
    fan = {l.name: brute_layer_fanout(graph, l) for l in tr.layers}

    def probe(layer, t, start, xin, yout):
        nz = xin.reshape(xin.shape[0], -1) != 0
        rec = seen[layer.name][t]
        rec[0] += int(nz.sum())
        rec[1] += int(sum(fan[layer.name][i] for _, i in zip(*np.nonzero(nz))))
        rec[2] += int(np.count_nonzero(yout))

    simulate(graph, graph.samples, backend="numba", batch_size=2, probes=[probe])
    for layer, cnt in zip(tr.layers, tr.counts):
        got = np.array(seen[layer.name])
        assert np.array_equal(got[:, 0], cnt.events_in)
        assert np.array_equal(got[:, 1], cnt.synaptic_ops)
        assert np.array_equal(got[:, 2], cnt.nonzero_out)


def test_sequence_input_with_direct_encoding_is_accepted_and_not_cached(tmp_path):
    """A [N, T, ...] input on a direct workload runs per step; identical steps give the direct result."""
    path = random_network(3, 2, tmp_path)
    graph = load_workload(path)
    tr = simulate(graph, graph.samples, backend="numba")
    seq = Samples(np.repeat(graph.samples.x[:, None], graph.timesteps, axis=1), graph.samples.y, "seq")
    tr_seq = simulate(graph, seq, backend="numpy")
    assert tr_seq.static_layers == frozenset() and tr_seq.meta["per_step_input"]
    for ca, cb in zip(tr.counts, tr_seq.counts):
        for f in COUNT_FIELDS:
            assert np.array_equal(getattr(ca, f.name), getattr(cb, f.name))
    assert np.array_equal(tr.scores, tr_seq.scores)


# --------------------------------------------------------------------------
# Layer.fanout against a brute-force count

def brute_layer_fanout(graph, layer) -> np.ndarray:
    """Per input element (flattened [C, *sp]): the (output position, out-channel) pairs
    whose receptive field contains it, counted by enumerating every output and tap."""
    node = layer.synapse
    in_shape = graph.shapes[node.inputs[0]]
    w = graph.tensors[node.inputs[1]]
    if node.op != "Conv":
        return np.full(int(np.prod(in_shape)), int(np.prod(graph.shapes[node.output])), dtype=np.int64)
    C, sp = in_shape[0], in_shape[1:]
    nd = len(sp)
    a = node.attrs
    strides = a.strides or [1] * nd
    pads = a.pads or [0] * (2 * nd)
    dil = a.dilations or [1] * nd
    O, cg = w.shape[:2]
    og = O // a.group
    out_sp = graph.shapes[node.output][1:]
    cnt = np.zeros((C,) + tuple(sp), dtype=np.int64)
    for o in range(O):
        g = o // og
        for p in itertools.product(*(range(e) for e in out_sp)):
            for c in range(g * cg, (g + 1) * cg):
                for k in itertools.product(*(range(e) for e in w.shape[2:])):
                    q = tuple(p[i] * strides[i] + k[i] * dil[i] - pads[i] for i in range(nd))
                    if all(0 <= q[i] < sp[i] for i in range(nd)):
                        cnt[(c,) + q] += 1
    return cnt.reshape(-1)


@st.composite
def conv_layer_spec(draw):
    nd = draw(st.integers(1, 3))
    in_sp, ker, strd, pb, pe, dil = [], [], [], [], [], []
    for _ in range(nd):
        k, d, s = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
        b, e = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        eff = (k - 1) * d + 1
        n = draw(st.integers(max(1, eff - b - e), max(6 if nd < 3 else 4, eff - b - e)))
        in_sp.append(n)
        ker.append(k)
        strd.append(s)
        pb.append(b)
        pe.append(e)
        dil.append(d)
    group = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return tuple(in_sp), tuple(ker), tuple(strd), tuple(pb + pe), tuple(dil), group, cg, og


@settings(max_examples=60, deadline=None)
@given(conv_layer_spec(), st.integers(1, 5))
def test_layer_fanout_equals_brute_force(spec, m):
    in_sp, ker, strd, pads, dil, group, cg, og = spec
    b = WorkloadBuilder("fan", (group * cg,) + in_sp, timesteps=1)
    h = b.conv("c", b.input, np.ones((group * og, cg) + ker), strides=strd, pads=pads, dilations=dil, group=group)
    h = b.neuron("n", h, "IF")
    feat = group * og * int(np.prod(_out_sp(in_sp, ker, strd, pads, dil)))
    y = b.gemm("g", b.flatten("f", h), np.ones((m, feat)))
    b.readout(y)
    graph = build_graph(WorkloadSpec.model_validate(b.spec()), dict(b.tensors), "fan.json")
    conv_layer, dense_layer = lower(graph)
    brute = brute_layer_fanout(graph, conv_layer)
    assert conv_layer.fanout.dtype == np.int64
    assert np.array_equal(conv_layer.fanout, brute)
    assert np.array_equal(dense_layer.fanout, np.full(dense_layer.in_shape[0], m))
    # fan-out summed over inputs = (output, tap) pairs that read a real input; at most the dense MACs
    assert conv_layer.fanout.sum() <= conv_layer.macs


def _out_sp(in_sp, ker, strd, pads, dil):
    nd = len(in_sp)
    return tuple((in_sp[i] + pads[i] + pads[i + nd] - ((ker[i] - 1) * dil[i] + 1)) // strd[i] + 1 for i in range(nd))

"""Few-spikes (FS) coding: the neuron, its exactness in networks, conversion, costs, pipelining, bad input.

* Hand-worked phases of the binary (relu) code, its closed form (truncation to K
  bits of alpha, spikes = popcount), learned codes against a loop written from
  the paper's equation and against the AMOS form (K neurons firing at most once).
* Random Gemm and Conv networks with dyadic weights, inputs and alpha (so float64
  arithmetic is exact in any summation order): the FS network's readout equals an
  independent numpy ANN with FS-quantised activations bit for bit; spikes per
  neuron are the popcounts; the next layer's events are the phase-by-phase spikes
  (through average pooling: per phase, the windows holding a spike).
* Digits converted with ``--coding fs --phases 8``: readout equal to the ANN with
  quantised activations (same kernels), accuracy within 1 point of the ANN,
  spikes per neuron per layer in the report.
* Pipelining: a hand-worked 2-layer schedule (makespan = latency + (N-1) x the
  slower layer's K phases), and the report's pipeline block end to end.
* Bad FS parameters exit 2 with the path and what is allowed.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.engine.execute import NeuronExec, make_executor
from accelsim.engine.functional import simulate
from accelsim.engine.interpret import interpret
from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.hw.tasks import LayerTasks
from accelsim.neurons.fs import FS, FSAttrs, fs_step, fs_step_reference, relu_code
from accelsim.schedule import schedule
from accelsim.schedule.pipeline import pipelined
from accelsim.simulate import run_simulation
from accelsim.workload import load_workload
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples

ROOT = Path(__file__).resolve().parent.parent


def run_fs(x, code, backend="numba"):
    """One FS step on x [N, M] with per-phase parameters code = (T, h, d), each [K, M]."""
    n, m = x.shape
    v, c, b = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m))
    step = fs_step if backend == "numba" else fs_step_reference
    out = step(v, c, b, x, *code)
    return out, c, b, v


# ----------------------------------------------------------------- the neuron

@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_hand_worked_binary_code(backend):
    # alpha = 1, K = 4: thresholds 1/2, 1/4, 1/8, 1/16 (strict)
    code = relu_code(np.ones(5), 4)
    x = np.array([[0.8, 0.5, 2.0, -0.3, 0.0625]])
    out, spikes, mask, v = run_fs(x, (code, code, code), backend)
    # 0.8: 0.8 > .5 fire (0.3); 0.3 > .25 fire (0.05); 0.05 < .125; 0.05 < .0625 -> 0.75, 2 spikes, phases 1, 2
    # 0.5: not > .5; > .25 fire (.25); > .125 fire (.125); > .0625 fire (.0625) -> 7/16, 3 spikes, phases 2, 3, 4
    # 2.0: every phase fires -> 15/16 (saturates), 4 spikes; -0.3: none; 0.0625: not > 1/16 (strict) -> none
    assert out.tolist() == [[0.75, 0.4375, 0.9375, 0.0, 0.0]]
    assert spikes.tolist() == [[2, 3, 4, 0, 0]]
    assert mask.tolist() == [[0b0011, 0b1110, 0b1111, 0, 0]]
    assert v.tolist() == [[0.8 - 0.5 - 0.25, 0.0625, 2.0 - 0.9375, -0.3, 0.0625]]
    state = {"spikes": spikes, "phase_mask": mask}
    assert [FS.phase_spikes(state, out, k)[0].tolist() for k in range(4)] == [
        [1, 0, 1, 0, 0], [1, 1, 1, 0, 0], [0, 1, 1, 0, 0], [0, 1, 1, 0, 0]]


@pytest.mark.parametrize("K", [1, 3, 8, 10])
def test_binary_code_is_truncation_to_k_bits_and_spikes_are_popcounts(K):
    rng = np.random.default_rng(K)
    alpha = 2.0 ** rng.integers(-2, 3, 40)
    x = rng.integers(-64, 300, (6, 40)) / 64.0 * alpha          # dyadic: every operation exact
    code = relu_code(alpha, K)
    out, spikes, mask, _ = run_fs(x, (code, code, code))
    step = alpha * 2.0 ** -K
    levels = np.clip(np.ceil(x / step) - 1, 0, 2 ** K - 1)    # largest multiple of the step strictly below x
    np.testing.assert_array_equal(out, levels * step)
    popcount = np.vectorize(lambda n: bin(int(n)).count("1"))(levels)
    np.testing.assert_array_equal(spikes, popcount)
    # phase k (alpha 2^-k) carries bit K-k of the level: the mask is the level with its bits reversed
    rev = np.vectorize(lambda n: int(format(int(n), f"0{K}b")[::-1], 2))(levels)
    np.testing.assert_array_equal(mask, rev)


def test_learned_code_matches_the_equation_and_the_amos_form():
    rng = np.random.default_rng(3)
    K, n, m = 5, 7, 11
    T, h, d = rng.normal(0, 1, (K, m)), rng.uniform(0, 2, (K, m)), rng.normal(0, 1, (K, m))
    x = rng.normal(0.5, 1.5, (n, m))
    for backend in ("numba", "numpy"):
        out, spikes, _, _ = run_fs(x, (T, h, d), backend)
        for i in range(n):
            for j in range(m):
                v, o, c = x[i, j], 0.0, 0
                for k in range(K):  # the paper's loop
                    if v > T[k, j]:
                        o, v, c = o + d[k, j], v - h[k, j], c + 1
                assert out[i, j] == o and spikes[i, j] == c
    # AMOS: neuron k fires at most once, on x minus the inhibition of the earlier neurons that fired
    z = np.zeros((K, n, m))
    for k in range(K):
        z[k] = (x - np.einsum("kij,kj->ij", z[:k], h[:k]) > T[k])
    np.testing.assert_array_equal(spikes, z.sum(axis=0))
    np.testing.assert_allclose(out, np.einsum("kij,kj->ij", z, d), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- networks, exactly

def quantise(x, alpha, K):
    """The binary FS code in closed form (independent of the kernels): levels and values."""
    step = alpha * 2.0 ** -K
    levels = np.clip(np.ceil(x / step) - 1, 0, 2 ** K - 1)
    return levels, levels * step


def binary_code(x, alpha, K):
    """The binary code's loop, step 1 of the issue: spikes per neuron and the d-weighted output."""
    v, out, spikes = np.array(x, dtype=np.float64), np.zeros(np.shape(x)), np.zeros(np.shape(x), np.int64)
    for k in range(1, K + 1):
        t = alpha * 2.0 ** -k
        z = v > t
        out, v, spikes = np.where(z, out + t, out), np.where(z, v - t, v), spikes + z
    return spikes.reshape(len(x), -1), out


def popcount(levels):
    return np.vectorize(lambda n: bin(int(n)).count("1"))(levels).astype(np.int64)


def dyadic(rng, shape, scale=8):
    return rng.integers(-scale, scale + 1, shape) / scale


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_gemm_network_equals_the_quantised_ann_exactly(seed):
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 9))
    sizes = [12, 16, 9, 5]
    b = WorkloadBuilder("fsgemm", input_shape=(sizes[0],), timesteps=1)
    h, ws = b.input, []
    for i in range(3):
        w, bias = dyadic(rng, (sizes[i + 1], sizes[i])), dyadic(rng, sizes[i + 1])
        ws.append((w, bias))
        h = b.gemm(f"fc{i}", h, w, bias)
        if i < 2:
            h = b.node(f"fs{i}", "FS", [h], {"phases": K, "alpha": 2.0 ** (i - 1)})
    b.readout(h)
    x = rng.integers(0, 17, (20, sizes[0])) / 16
    for backend in ("numba", "numpy"):
        tr = simulate(b.graph(), Samples(x, None, ""), backend=backend)
        a, pops = x, []
        for i, (w, bias) in enumerate(ws):
            a = a @ w.T + bias
            if i < 2:
                levels, a = quantise(a, 2.0 ** (i - 1), K)
                pops.append(popcount(levels))
        np.testing.assert_array_equal(tr.scores, a)        # bit for bit
        for i in range(2):
            assert int(tr.counts[i].spikes_out.sum()) == pops[i].sum()
            np.testing.assert_array_equal(tr.addresses[i].by_neuron[0], pops[i].sum(axis=0))
            # the next layer's events are the spikes; each is fanned out to every output
            np.testing.assert_array_equal(tr.addresses[i + 1].by_input[0], pops[i].sum(axis=0))
            assert int(tr.counts[i + 1].synaptic_ops.sum()) == pops[i].sum() * sizes[i + 2]


def conv2d(x, w, bias):
    """'valid' 2-D convolution, stride 1, by explicit windows: x [N, C, H, W], w [O, C, kh, kw]."""
    n, c, hh, ww = x.shape
    o, _, kh, kw = w.shape
    out = np.zeros((n, o, hh - kh + 1, ww - kw + 1))
    for i in range(hh - kh + 1):
        for j in range(ww - kw + 1):
            out[:, :, i, j] = np.einsum("ncij,ocij->no", x[:, :, i:i + kh, j:j + kw], w)
    return out + bias[None, :, None, None]


def avgpool2(x):
    n, c, hh, ww = x.shape
    return x.reshape(n, c, hh // 2, 2, ww // 2, 2).mean(axis=(3, 5))


@pytest.mark.parametrize("seed", [0, 1])
def test_random_conv_network_with_pooling_equals_the_quantised_ann_exactly(seed):
    rng = np.random.default_rng(10 + seed)
    K = 6
    alpha = 2.0 ** rng.integers(-1, 2, 4)                 # per channel
    w1, b1 = dyadic(rng, (4, 2, 3, 3)), dyadic(rng, 4)
    w2, b2 = dyadic(rng, (3, 4, 2, 2)), dyadic(rng, 3)
    w3, b3 = dyadic(rng, (5, 3 * 2 * 2)), dyadic(rng, 5)
    b = WorkloadBuilder("fsconv", input_shape=(2, 12, 12), timesteps=1)
    h = b.conv("c1", b.input, w1, b1)
    h = b.node("fs1", "FS", [h], {"phases": K, "alpha": b.tensor("fs1.alpha", alpha)})
    p = b.pool("pool", h, "avg", [2, 2], strides=[2, 2])
    h = b.conv("c2", p, w2, b2)
    h = b.node("fs2", "FS", [h], {"phases": K, "alpha": 0.5})
    h = b.gemm("fc", b.flatten("flat", b.pool("pool2", h, "avg", [2, 2], strides=[2, 2])), w3, b3)
    b.readout(h)
    x = rng.integers(0, 9, (6, 2, 12, 12)) / 8
    tr = simulate(b.graph(), Samples(x, None, ""))
    lv1, q1 = quantise(conv2d(x, w1, b1), alpha[None, :, None, None], K)
    lv2, q2 = quantise(conv2d(avgpool2(q1), w2, b2), 0.5, K)
    ref = avgpool2(q2).reshape(6, -1) @ w3.T + b3
    np.testing.assert_array_equal(tr.scores, ref)
    assert int(tr.counts[0].spikes_out.sum()) == popcount(lv1).sum()
    assert int(tr.counts[1].spikes_out.sum()) == popcount(lv2).sum()
    # events into c2: per phase, the pooling windows holding at least one spike of that phase
    bits = [(lv1.astype(np.int64) >> (K - 1 - k)) & 1 for k in range(K)]   # phase k+1 carries bit K-1-k
    events = sum((avgpool2(z.astype(float)) != 0).sum(axis=0) for z in bits)
    np.testing.assert_array_equal(tr.addresses[1].by_input[0], events.reshape(-1))


# ----------------------------------------------------------------- digits, converted

@pytest.fixture(scope="module")
def digits_fs(tmp_path_factory):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from accelsim.convert.mlp_onnx import mlp_from_workload, mlp_to_onnx
    from accelsim.convert.onnx_graph import read_onnx
    from accelsim.engine.ann import run_ann

    tmp = tmp_path_factory.mktemp("digits_fs")
    shipped = load_workload(ROOT / "workloads" / "digits" / "workload.json")
    m = mlp_to_onnx(*mlp_from_workload(shipped), (1, 8, 8))
    d = load_digits()
    x = (d.images / 16.0)[:, None, :, :]
    x_tr, x_te, _, y_te = train_test_split(x, d.target, test_size=0.2, stratify=d.target, random_state=0)
    onnx.save(m, tmp / "digits.onnx")
    np.savez(tmp / "calib.npz", x=x_tr)
    np.savez(tmp / "test.npz", x=x_te, y=y_te)
    rc = main(["convert", str(tmp / "digits.onnx"), "--calib", str(tmp / "calib.npz"), "--samples",
               str(tmp / "test.npz"), "--coding", "fs", "--phases", "8", "-o", str(tmp / "wl")])
    assert rc == 0
    ann_acc = float(np.mean(run_ann(read_onnx(m).builder.graph(), x_te).argmax(1) == y_te))
    return tmp / "wl" / "workload.json", ann_acc


def test_digits_fs_readout_equals_the_ann_with_quantised_activations(digits_fs):
    path, _ = digits_fs
    g = load_workload(path)
    assert g.timesteps == 1 and [n.op for n in g.nodes if n.kind == "neuron"] == ["FS", "FS"]
    tr = simulate(g, g.samples)
    # the reference: every non-neuron node by the same kernels, each activation replaced by the binary
    # code's loop (alpha is not dyadic here: the loop's float operations, not the closed form, are exact)
    execs = {n.name: make_executor(g, n, "numba") for n in g.nodes}
    ops, pops, levels = {}, {}, {}
    for n in g.nodes:
        ex = execs[n.name]
        if isinstance(ex, NeuronExec):
            def q(ins, name=n.name, alpha=float(n.attrs.alpha)):
                pops[name], out = binary_code(ins[0], alpha, 8)
                levels[name], closed = quantise(ins[0], alpha, 8)
                np.testing.assert_allclose(out, closed, rtol=1e-13, atol=1e-13)   # the closed form, to rounding
                return out
            ops[n.name] = q
        else:
            ops[n.name] = ex
    vals = interpret(g, {g.input.name: g.samples.x}, ops)
    np.testing.assert_array_equal(tr.scores, vals[g.readout.output])
    spiking = [l for l in tr.layers if l.spiking]
    for layer in spiking:
        name = layer.neuron.name
        np.testing.assert_array_equal(tr.addresses[layer.index].by_neuron[0], pops[name].sum(axis=0))
        assert abs(int(tr.counts[layer.index].spikes_out.sum()) - popcount(levels[name]).sum()) <= 2


def test_digits_fs8_accuracy_within_one_point_and_spikes_per_neuron_reported(digits_fs, tmp_path):
    path, ann_acc = digits_fs
    report = run_simulation(str(ROOT / "arch_configs" / "ace_snn_pim.yaml"), str(path))
    assert report["accuracy"] is not None and abs(report["accuracy"] - ann_acc) <= 0.01
    assert report["coding"]["scheme"] == "fs" and report["coding"]["phases"] == 8 and report["timesteps"] == 8
    spiking = [l for l in report["layers"] if l["spiking"]]
    assert len(spiking) == 2
    for l in spiking:
        assert l["neuron"] == "FS" and 0 < l["spikes_per_neuron"] <= 8
        assert l["spike_rate"] == pytest.approx(l["spikes_per_neuron"] / 8)   # per neuron and phase
    total = sum(l["spikes_per_neuron"] * l["neurons"] for l in spiking) / sum(l["neurons"] for l in spiking)
    assert report["coding"]["spikes_per_neuron"] == pytest.approx(total)
    # the second FS layer's neurons update once per phase; its inputs are the first layer's spikes x fan-out
    fc2 = report["layers"][1]
    assert fc2["cost_details"]["neuron_updates"] == fc2["neurons"] * 8
    assert fc2["synaptic_ops"] == pytest.approx(spiking[0]["spikes_per_neuron"] * spiking[0]["neurons"] * fc2["neurons"])


# ----------------------------------------------------------------- pipelining

def two_layer_tasks(c0: int, c1: int) -> list[LayerTasks]:
    """Layer a on core 0 (c0 cycles), layer b on core 1 (c1 cycles) after it; one pass, no NoC."""
    z = np.zeros((1, 2), np.int64)
    a = LayerTasks(0, "a", np.array([[c0, 0]]), z.astype(float), np.zeros((1, 1), np.int64), np.zeros(1, np.int64), ())
    b = LayerTasks(1, "b", np.array([[0, c1]]), z.astype(float), np.zeros((1, 1), np.int64), np.zeros(1, np.int64), (0,))
    return [a, b]


@pytest.mark.parametrize("scheduler", ["fast", "simpy"])
@pytest.mark.parametrize("p0,p1", [(3, 5), (5, 3), (4, 4)])
def test_hand_worked_two_layer_pipeline(scheduler, p0, p1):
    # K = 8 phases of p0 (p1) cycles each: a layer's task is its K phases; clock 4 ns
    K, clock, N = 8, 4.0, 6
    tasks = two_layer_tasks(K * p0, K * p1)
    mesh, dram = Mesh(2, 1), Dram(12.8, 50.0, 20.0)

    def run(layers, steps):
        return schedule(layers, steps, 2, mesh, clock, dram, 1, cache=False, scheduler=scheduler)
    single = run(tasks, 1)
    assert single.makespan_ns == (K * p0 + K * p1) * clock                 # latency: a, then b
    info = pipelined(tasks, 1, single, run, inputs=N)
    # input n enters layer a at n K p0; b takes it when both a has finished it and b has finished input n-1
    assert info["makespan_ns"] == single.makespan_ns + (N - 1) * K * max(p0, p1) * clock
    assert info["interval_ns"] == K * max(p0, p1) * clock
    assert info["throughput_inputs_per_s"] == pytest.approx(1e9 / (K * max(p0, p1) * clock))


def fs_workload(tmp_path, K):
    rng = np.random.default_rng(5)
    b = WorkloadBuilder("fs2", input_shape=(16,), timesteps=1)
    h = b.node("fs1", "FS", [b.gemm("fc1", b.input, rng.normal(0, 0.5, (24, 16)))], {"phases": K, "alpha": 2.0})
    h = b.node("fs2", "FS", [b.gemm("fc2", h, rng.normal(0, 0.5, (20, 24)))], {"phases": K, "alpha": 2.0})
    b.readout(b.gemm("fc3", h, rng.normal(0, 0.5, (4, 20))))
    return b.write(tmp_path / f"wl{K}", samples=(rng.uniform(0, 1, (10, 16)), rng.integers(0, 4, 10)))


def test_report_pipeline_of_an_fs_network(tmp_path, arch_file):
    for K in (2, 8):
        r = run_simulation(str(arch_file), str(fs_workload(tmp_path, K)), sets=["pim.macros=8"])
        p = r["pipeline"]
        assert p["latency_ns"] == r["per_inference"]["latency_ns"]
        assert p["makespan_ns"] == pytest.approx(p["latency_ns"] + (p["inputs"] - 1) * p["interval_ns"], rel=0.05)
        # steady state: never slower than one input after another, never faster than the busiest resource
        busiest = max(r["timing"]["busy_ns"].values())
        assert busiest - 1e-9 <= p["interval_ns"] <= p["latency_ns"] + 1e-9
        assert r["timesteps"] == K and r["coding"]["passes"] == 1


# ----------------------------------------------------------------- bad input

def _bad(tmp_path, attrs, tensors=None):
    b = WorkloadBuilder("bad", input_shape=(4,), timesteps=1)
    h = b.gemm("fc", b.input, np.eye(4))
    for k, v in (tensors or {}).items():
        b.tensor(k, v)
    b.readout(b.node("n", "FS", [h], attrs))
    return b.write(tmp_path / "bad")


@pytest.mark.parametrize("attrs,tensors,path,fragment", [
    ({"phases": 0}, None, "nodes[1].attrs.phases", "greater than or equal to 1"),
    ({"phases": 40}, None, "nodes[1].attrs.phases", "less than or equal to 32"),
    ({"phases": 3, "T": [0.5, 0.25], "h": [0.5, 0.25, 0.1], "d": [1, 1, 1]}, None, "nodes[1].attrs",
     "T has 2"),
    ({"phases": 2, "T": [0.5, 0.25], "h": [0.5, 0.25]}, None, "nodes[1].attrs", "needs T, h and d"),
    ({"phases": 2, "T": [0.5, 0.25], "h": [0.5, 0.25], "d": [1, 1], "alpha": 2.0}, None, "nodes[1].attrs",
     "alpha is the scale of code relu"),
    ({"phases": 2, "T": [0.5, 0.25], "h": [0.5, 0.25], "d": [1, 1], "code": "relu"}, None, "nodes[1].attrs",
     "remove T, h, d"),
    ({"alpha": 0.0}, None, "nodes[1].attrs.alpha", "alpha must be > 0"),
    ({"alpha": -1.5}, None, "nodes[1].attrs.alpha", "alpha must be > 0"),
    ({"alpha": "n.alpha"}, {"n.alpha": np.array([1.0, -1.0, 1.0, 1.0])}, "nodes[1].attrs.alpha", "alpha must be > 0"),
    ({"phases": 2, "T": ["n.t", 0.1], "h": [1, 1], "d": [1, 1]}, {"n.t": np.ones(3)}, "nodes[1].attrs.T[0]",
     "per channel [4]"),
    ({"phases": 2, "T": ["missing", 0.1], "h": [1, 1], "d": [1, 1]}, None, "nodes[1].attrs.T[0]",
     "tensor not found"),
])
def test_bad_fs_parameters_exit_2_with_a_clear_message(tmp_path, capsys, attrs, tensors, path, fragment):
    wl = _bad(tmp_path, attrs, tensors)
    assert main(["validate", str(wl)]) == 2
    err = capsys.readouterr().err
    assert path in err and fragment in err and "Traceback" not in err


def test_fs_workload_with_per_phase_tensors_validates(tmp_path, capsys):
    wl = _bad(tmp_path, {"phases": 2, "T": ["n.t", 0.1], "h": [1, 1], "d": [1, 0.5]}, {"n.t": np.full(4, 0.3)})
    assert main(["validate", str(wl)]) == 0
    g = load_workload(wl)
    ex = make_executor(g, g.nodes[1], "numba")
    np.testing.assert_array_equal(ex.params["T"], [[0.3] * 4, [0.1] * 4])
    assert FSAttrs.model_validate({"phases": 2, "T": [1, 2], "h": [1, 1], "d": [1, 1]}).learned


@pytest.mark.parametrize("args,flag,fragment", [
    (["--coding", "fs", "--phases", "0"], "--phases", "must be an integer in [1, 32]"),
    (["--coding", "fs", "--balance", "ratenorm"], "--balance", "rate-coding method"),
])
def test_bad_fs_conversion_options_exit_2(tmp_path, capsys, args, flag, fragment):
    pytest.importorskip("onnx")
    np.savez(tmp_path / "calib.npz", x=np.zeros((2, 4)))
    rc = main(["convert", str(tmp_path / "m.onnx"), "--calib", str(tmp_path / "calib.npz"), *args,
               "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and flag in err and fragment in err and "Traceback" not in err


@pytest.mark.parametrize("which", ["conv2d", "conv1d", "conv3d_residual", "reshape_const"])
def test_converted_onnx_models_equal_the_ann_with_binary_code_activations(which):
    """--coding fs on the converter's test models (Conv + BatchNorm + MaxPool kept, Clip + AveragePool,
    a residual Add, Reshape/Gemm): the SNN's readout is the ONNX ANN, evaluated by the same kernels,
    with every Relu/Clip replaced by the binary code of its pre-activation, bit for bit."""
    pytest.importorskip("onnx")
    from accelsim.convert.onnx_graph import read_onnx
    from accelsim.convert.onnx_import import ConvertOptions, to_snn
    from tests.test_onnx_convert import MODELS

    K = 6
    m, shape = MODELS[which]()
    x = np.random.default_rng(7).random((12,) + shape)
    b, info = to_snn(read_onnx(m, name=which), x, ConvertOptions(coding="fs", phases=K))
    g = b.graph()
    assert g.timesteps == 1 and info["coding"] == "fs" and not info["pools_changed"]
    assert {n.op for n in g.nodes if n.kind == "neuron"} == {"FS"}
    tr = simulate(g, Samples(x, None, ""))
    ann = read_onnx(m, name=which).builder.graph()
    ops, pops = {}, {}
    for n in ann.nodes:
        if n.op in ("Relu", "Clip"):
            def act(ins, name=n.name, alpha=info["activation_scale"][n.name]):
                pops[name], out = binary_code(ins[0], alpha, K)   # Clip's ceiling lies above alpha's range
                return out.reshape(ins[0].shape)
            ops[n.name] = act
        else:
            ops[n.name] = make_executor(ann, n, "numba")
    ref = interpret(ann, {ann.input.name: x}, ops)[ann.readout.output]
    np.testing.assert_array_equal(tr.scores, ref.reshape(len(x), -1))
    for layer in tr.layers:
        if layer.spiking:
            np.testing.assert_array_equal(tr.addresses[layer.index].by_neuron[0], pops[layer.neuron.name].sum(axis=0))


def test_pipeline_is_computed_for_a_run_and_skipped_by_sweeps(tmp_path, arch_file):
    from dataclasses import replace

    from accelsim.simulate import cost_and_report, functional_trace, prepare

    job = prepare(str(arch_file), str(fs_workload(tmp_path, 4)), ["pim.macros=8"])
    trace = functional_trace(job)
    full, lean = cost_and_report(job, trace), cost_and_report(replace(job, pipeline=False), trace)
    assert full["pipeline"]["inputs"] == 8 and lean["pipeline"] is None
    assert full["per_inference"] == lean["per_inference"] and full["layers"] == lean["layers"]


def test_a_stateful_pool_after_a_graded_neuron_is_refused():
    """The phases re-run the nodes after an FS neuron K times per step; a SpikeMaxPool would
    advance its running totals K + 1 times, so the combination is refused, naming the node."""
    from accelsim.errors import InputError

    rng = np.random.default_rng(3)
    b = WorkloadBuilder("fspool", input_shape=(1, 4, 4), timesteps=2)
    h = b.conv("c1", b.input, rng.normal(size=(2, 1, 3, 3)), np.zeros(2), pads=[1, 1, 1, 1])
    h = b.node("fs1", "FS", [h], {"phases": 4, "alpha": 1.0})
    p = b.pool("pool", h, "spike", [2, 2], strides=[2, 2])
    b.readout(b.gemm("fc", b.flatten("flat", p), rng.normal(size=(3, 8)), np.zeros(3), trans_b=True))
    graph = b.graph()
    with pytest.raises(InputError) as err:
        simulate(graph, Samples(rng.random((2, 1, 4, 4)), None, "x"), backend="numpy")
    assert "SpikeMaxPool 'pool'" in err.value.format() and "few-spikes" in err.value.format()

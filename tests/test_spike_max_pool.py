"""The spiking max-pool (SpikeMaxPool): its step against an independent loop over windows, its
invariants, a hand-worked network (outputs, pooling counts, the spike-core energy of its state),
and its ANN view.

Equations (accelsim/workload/ops/pool.py): C_i(t) = C_i(t-1) + x_i(t); M_w(t) = max_{i in w} C_i(t);
y_w(t) = M_w(t) - M_w(t-1), with C(-1) = M(-1) = 0.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import yaml

from accelsim.convert.calibrate import calibrate_rates
from accelsim.cost import model
from accelsim.engine.ann import run_ann
from accelsim.engine.functional import simulate
from accelsim.kernels.pool import max_pool, spike_max_pool_step
from accelsim.kernels.window import Window
from accelsim.simulate import functional_trace, prepare
from accelsim.workload import load_workload
from accelsim.workload.builder import WorkloadBuilder

RNG = np.random.default_rng(7)
BACKENDS = ["numba", "numpy"]


def loop_reference(xs: np.ndarray, kernel, strides, pads) -> np.ndarray:
    """Outputs [T, N, C, *out] of the equations, window by window in Python (2-D, any pads/strides)."""
    T, N, C, H, W = xs.shape
    (kh, kw), (sh, sw), (pt, pl, pb, pr) = kernel, strides, pads
    oh, ow = (H + pt + pb - kh) // sh + 1, (W + pl + pr - kw) // sw + 1
    totals = np.cumsum(xs, axis=0)
    out = np.zeros((T, N, C, oh, ow))
    for t, n, c, i, j in itertools.product(range(T), range(N), range(C), range(oh), range(ow)):
        cells = [(a, b) for a in range(i * sh - pt, i * sh - pt + kh) for b in range(j * sw - pl, j * sw - pl + kw)
                 if 0 <= a < H and 0 <= b < W]
        m_now = max(totals[t, n, c, a, b] for a, b in cells)
        m_before = max(totals[t - 1, n, c, a, b] for a, b in cells) if t > 0 else 0.0
        out[t, n, c, i, j] = m_now - m_before
    return out


def run_steps(xs, win, in_shape, out_shape):
    totals, maxima = np.zeros(in_shape), np.zeros(out_shape)
    return np.stack([spike_max_pool_step(x, totals, maxima, win) for x in xs])


@pytest.mark.parametrize("kernel,strides,pads", [((2, 2), (2, 2), (0, 0, 0, 0)), ((3, 3), (2, 1), (1, 0, 1, 1)),
                                                 ((3, 2), (1, 2), (1, 1, 0, 0))])
def test_step_equals_loop_reference_on_spikes_and_currents(kernel, strides, pads):
    for xs in (RNG.random((12, 2, 3, 5, 6)) < 0.4, RNG.normal(size=(12, 2, 3, 5, 6))):
        xs = xs.astype(np.float64)
        ref = loop_reference(xs, kernel, strides, pads)
        win = Window.make((5, 6), kernel, strides, pads, None)
        got = run_steps(xs, win, xs.shape[1:], ref.shape[1:])
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_invariants():
    """Binary in -> binary out; output total = largest input total of the window at every step;
    a constant input gives the ANN's max-pool at every step."""
    win = Window.make((6, 6), (2, 2), (2, 2), None, None)
    xs = (RNG.random((40, 3, 2, 6, 6)) < RNG.random((1, 3, 2, 6, 6))).astype(np.float64)
    ys = run_steps(xs, win, xs.shape[1:], (3, 2, 3, 3))
    assert set(np.unique(ys)) <= {0.0, 1.0}
    for t in range(len(xs)):
        np.testing.assert_array_equal(ys[:t + 1].sum(0), max_pool(xs[:t + 1].sum(0), win))
    x = RNG.random((3, 2, 6, 6))
    ys = run_steps(np.stack([x] * 5), win, x.shape, (3, 2, 3, 3))
    for y in ys:
        np.testing.assert_allclose(y, max_pool(x, win), rtol=1e-12)


ARCH = {
    "name": "hand", "tech": {"node": "45nm", "clock_mhz": 250.0}, "pim": {"enabled": False},
    "core": {"count": 1, "lanes": 4, "vmem_bits": 16, "vmem_sram_kib": 2.0, "sram_word_bits": 64, "sram_ports": 1},
    "noc": {"mesh_x": 1, "mesh_y": 1},
}


@pytest.fixture(scope="module")
def hand_pool(tmp_path_factory):
    """Sequence spikes [1, 6], T = 3.

    conv1: 1x1, weight 1 -> IF threshold 1: re-emits its input spikes.
    pool:  SpikeMaxPool kernel 3, stride 2, pads (1, 1): windows {0, 1}, {1, 2, 3}, {3, 4, 5},
           fan-out per input [1, 2, 1, 2, 1, 1].
    conv2: 1x1, 2 channels, weights [1, 2] -> IF threshold 2 (subtract); readout: spike counts.
    x: t0 [1, 1, 0, 0, 0, 1], t1 [1, 0, 0, 1, 0, 0], t2 [0, 1, 1, 1, 0, 1]
    """
    folder = tmp_path_factory.mktemp("hand_pool")
    b = WorkloadBuilder("hand_pool", (1, 6), timesteps=3, encoding="sequence")
    h = b.neuron("if1", b.conv("conv1", b.input, np.ones((1, 1, 1))), "IF", threshold=1.0)
    h = b.pool("pool", h, "spike", [3], strides=[2], pads=[1, 1])
    s = b.neuron("if2", b.conv("conv2", h, np.array([[[1.0]], [[2.0]]])), "IF", threshold=2.0)
    b.readout(s, "spike_count")
    x = np.array([[[[1, 1, 0, 0, 0, 1]], [[1, 0, 0, 1, 0, 0]], [[0, 1, 1, 1, 0, 1]]]], dtype=np.float64)
    wl = b.write(folder / "wl", samples=(x, None))
    arch = folder / "arch.yaml"
    arch.write_text(yaml.safe_dump(ARCH), encoding="utf-8")
    return wl, arch


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_worked_outputs_and_counts(hand_pool, backend):
    wl, _ = hand_pool
    g = load_workload(wl)
    outs = []
    tr = simulate(g, g.samples, backend=backend,
                  probes=[lambda layer, t, s, xin, y: outs.append(xin.reshape(-1).tolist()) if layer.name == "conv2"
                          else None])
    # counters C: t0 [1,1,0,0,0,1], t1 [2,1,0,1,0,1], t2 [2,2,1,2,0,2]; window maxima M: t0 [1,1,1],
    # t1 [2,1,1], t2 [2,2,2]; y = M(t) - M(t-1): t0 [1,1,1], t1 [1,0,0], t2 [0,1,1]
    # (a MaxPool, an OR, would give t1 [1,1,1] and t2 [1,1,1])
    assert outs == [[1, 1, 1], [1, 0, 0], [0, 1, 1]]
    c1, c2 = tr.counts
    assert c1.aux_ops.tolist() == [0, 0, 0] and c1.state_reads.tolist() == [0, 0, 0]
    # events in: 3, 2, 4; compares (sum of fan-outs): t0 {0,1,5} 1+2+1 = 4, t1 {0,3} 1+2 = 3,
    # t2 {1,2,3,5} 2+1+2+1 = 6; aux ops = compares + counter increments
    assert c2.aux_ops.tolist() == [7, 5, 10]
    assert c2.state_reads.tolist() == [7, 5, 10]          # counters read + maxima read
    assert c2.state_writes.tolist() == [3 + 3, 2 + 1, 4 + 2]  # counters written + maxima that grew
    assert c2.events_in.tolist() == [3, 1, 2]
    # if2 ch0 (I = y): v t0 [1,1,1], t1 [2*,1,1], t2 [0,2*,2*]; ch1 (I = 2y): t0 all fire, t1 p0, t2 p1, p2
    assert c2.spikes_out.tolist() == [3, 2, 4]
    assert tr.scores.tolist() == [[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]]
    assert tr.layers[1].aux_state == 6 + 3  # counters + maxima per sample


def test_hand_worked_core_cost_of_the_pool_state(hand_pool):
    wl, arch = hand_pool
    job = prepare(str(arch), str(wl))
    trace = functional_trace(job)
    cost = model.evaluate(trace, job.spec, job.graph)
    tech = job.spec.tech
    rd, wr = tech.sram_access_pj(2.0, 64), tech.sram_access_pj(2.0, 64, write=True)
    add = tech.int_add_pj(16)
    l1, l2 = cost.layers
    assert "core.pool_state" not in l1.energy_pj
    # reads 7 + 5 + 10 = 22, writes 6 + 3 + 6 = 15 (one sample)
    assert l2.energy_pj["core.pool_state"] == pytest.approx(22 * rd + 15 * wr, rel=1e-12)
    # accumulate: synaptic ops (1x1 conv, 2 channels: 2 per event, 6 events) + aux ops 22
    assert l2.energy_pj["core.accumulate"] == pytest.approx((12 + 22) * add, rel=1e-12)
    assert l2.info["pool_state_words"] == 9
    # pooling cycles per step: max(ceil(aux / lanes), ceil(state words / ports)) = t0 max(2, 13),
    # t1 max(2, 8), t2 max(3, 16): 30 cycles more than the aux ops alone would take (2, 2, 3)
    cycles = l2.info["per_core"]["task_cycles"][0]
    trace.counts[1].state_reads[:] = 0
    trace.counts[1].state_writes[:] = 0
    again = model.evaluate(trace, job.spec, job.graph).layers[1]
    assert cycles - again.info["per_core"]["task_cycles"][0] == 30
    assert again.energy_pj["core.pool_state"] == 0.0
    # Vmem (64-bit words of 4 membranes): if1 6 neurons -> 2 words, if2 6 neurons -> 2 words;
    # the pool's 9 state values -> 3 words on the one core owning conv2's outputs: 7 words = 56 bytes
    assert cost.mapping["vmem_used_kib_max"] == pytest.approx(7 * 8 / 1024)


def test_ann_view_and_calibration_take_the_steady_max(tmp_path):
    """run_ann (ReLU and rate) sees a SpikeMaxPool as the max-pool of its input; spike-rate calibration
    restarts its state for every pass."""
    b = WorkloadBuilder("p", (1, 4, 4), timesteps=8)
    h = b.neuron("if1", b.conv("conv1", b.input, RNG.normal(size=(2, 1, 3, 3)), pads=[1, 1, 1, 1]), "IF", threshold=1.0)
    h = b.pool("pool", h, "spike", [2, 2], strides=[2, 2])
    b.readout(b.gemm("fc", b.flatten("flat", h), RNG.normal(size=(3, 8))))
    g = load_workload(b.write(tmp_path / "p", samples=(RNG.random((5, 1, 4, 4)), None)))
    b2 = WorkloadBuilder("q", (1, 4, 4), timesteps=8)
    h = b2.neuron("if1", b2.conv("conv1", b2.input, g.tensors["conv1.weight"], pads=[1, 1, 1, 1]), "IF", threshold=1.0)
    h = b2.pool("pool", h, "max", [2, 2], strides=[2, 2])
    b2.readout(b2.gemm("fc", b2.flatten("flat", h), g.tensors["fc.weight"]))
    g2 = load_workload(b2.write(tmp_path / "q"))
    for mode in ("relu", "rate"):
        np.testing.assert_array_equal(run_ann(g, g.samples.x, mode), run_ann(g2, g.samples.x, mode))
    assert calibrate_rates(g, g.samples.x, 0.2) == calibrate_rates(g, g.samples.x, 0.2)

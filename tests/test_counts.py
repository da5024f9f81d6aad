"""Hand-worked tiny networks: event counts, synaptic ops (spikes x actual fan-out),
spikes per time step, readout scores and LIF membrane traces, pinned as exact numbers.

Every expected number below is derived by hand in the comments.
"""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.engine.functional import simulate
from accelsim.engine.lower import lower
from accelsim.kernels.window import Window
from accelsim.neurons import lif as neuron
from accelsim.workload import load_workload
from accelsim.workload.builder import WorkloadBuilder

BACKENDS = ["numba", "numpy"]


def _load(b: WorkloadBuilder, folder, x, y=None):
    return load_workload(b.write(folder, samples=(np.asarray(x, dtype=np.float64), y)))


# --------------------------------------------------------------------------
# 1. conv1d (pad 1, stride 1) -> IF -> flatten -> Gemm readout

@pytest.fixture(scope="module")
def conv_if_gemm(tmp_path_factory):
    """Input [1, 5] (direct), T = 4.

    conv1: 1 -> 2 channels, kernel 3, pad (1, 1), stride 1 -> output [2, 5]
        w[0] = [1, 1, 1], b[0] = 0;  w[1] = [2, 0, 1], b[1] = -1
    if1:  IF, threshold 3, reset by subtraction
    fc:   Gemm 10 -> 3 (transB), features ordered (ch0 p0..p4, ch1 p0..p4)
        row 0: all ones;  row 1: ones on ch0;  row 2: 5 on ch1 p1 and ch1 p3;  bias [1, 0, 0]
    samples: x0 = [1, 0, 2, 0, 3] (label 2), x1 = zeros (label 0)
    """
    b = WorkloadBuilder("hand1", (1, 5), timesteps=4)
    w1 = np.array([[[1.0, 1, 1]], [[2.0, 0, 1]]])
    h = b.conv("conv1", b.input, w1, np.array([0.0, -1.0]), strides=[1], pads=[1, 1])
    h = b.neuron("if1", h, "IF", threshold=3.0, reset="subtract")
    wfc = np.zeros((3, 10))
    wfc[0, :] = 1
    wfc[1, :5] = 1
    wfc[2, [6, 8]] = 5
    y = b.gemm("fc", b.flatten("flat", h), wfc, np.array([1.0, 0.0, 0.0]))
    b.readout(y)
    x = np.array([[[1, 0, 2, 0, 3]], [[0, 0, 0, 0, 0]]])
    return _load(b, tmp_path_factory.mktemp("hand1"), x, np.array([2, 0]))


def test_conv_if_gemm_fanout(conv_if_gemm):
    conv1, fc = lower(conv_if_gemm)
    # kernel 3, pad 1, stride 1 on length 5: the border inputs 0 and 4 reach 2 output positions
    # (input 0 is tap 1 of output 0 and tap 0 of output 1), the interior ones reach 3;
    # times 2 output channels
    assert conv1.fanout.tolist() == [4, 6, 6, 6, 4]
    assert conv1.first_layer and not fc.first_layer
    # Gemm 10 -> 3: every input feature reaches all 3 outputs
    assert fc.fanout.tolist() == [3] * 10
    assert conv1.macs == 5 * 2 * 3 and fc.macs == 30


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv_if_gemm_counts(conv_if_gemm, backend):
    tr = simulate(conv_if_gemm, conv_if_gemm.samples, backend=backend)
    c1, fc = tr.counts

    # conv1 input: sample 0 has non-zeros at positions 0, 2, 4; sample 1 none -> 3 events per step.
    # synaptic ops = fan-out of positions 0, 2, 4 = 4 + 6 + 4 = 14 per step.
    assert c1.events_in.tolist() == [3, 3, 3, 3]
    assert c1.synaptic_ops.tolist() == [14, 14, 14, 14]

    # conv1 currents, sample 0 (padded x = [0, 1, 0, 2, 0, 3, 0]; y[p] = sum_k w[k] x[p + k - 1]):
    #   ch0 (w = [1, 1, 1], b = 0):  [0+1+0, 1+0+2, 0+2+0, 2+0+3, 0+3+0] = [1, 3, 2, 5, 3]
    #   ch1 (w = [2, 0, 1], b = -1): [2*0+1*0, 2*1+1*2, 2*0+1*0, 2*2+1*3, 2*0+1*0] - 1 = [-1, 3, -1, 6, -1]
    # IF, threshold 3, subtract, v starts at 0 (v after the step, * = spike):
    #   ch0 p0 (I=1): 1, 2, 3* -> 0, 1          spikes at t2
    #   ch0 p1 (I=3): 3*->0 every step            t0 t1 t2 t3
    #   ch0 p2 (I=2): 2, 4*->1, 3*->0, 2           t1 t2
    #   ch0 p3 (I=5): 5*->2, 7*->4, 9*->6, 11*->8   t0 t1 t2 t3
    #   ch0 p4 (I=3): every step                   t0 t1 t2 t3
    #   ch1 p0, p2, p4 (I=-1): -1, -2, -3, -4      never
    #   ch1 p1 (I=3): every step;  ch1 p3 (I=6): 6*->3, 9*->6, ... every step
    # per step: t0: ch0 {1,3,4} + ch1 {1,3} = 5; t1: ch0 {1,2,3,4} + 2 = 6; t2: ch0 all 5 + 2 = 7; t3: 3 + 2 = 5
    # sample 1: ch0 currents 0, ch1 currents -1 -> no spikes.
    assert c1.spikes_out.tolist() == [5, 6, 7, 5]
    assert c1.nonzero_out.tolist() == [5, 6, 7, 5]
    assert c1.aux_ops.tolist() == [0, 0, 0, 0]

    # fc: its events are conv1's spikes; 3 outputs each -> ops = 3 x events
    assert fc.events_in.tolist() == [5, 6, 7, 5]
    assert fc.synaptic_ops.tolist() == [15, 18, 21, 15]
    assert fc.spikes_out.tolist() == [0, 0, 0, 0]  # readout, not spiking
    # fc outputs, sample 0: row0 = spikes + 1 = [6, 7, 8, 6]; row1 = ch0 spikes = [3, 4, 5, 3];
    #   row2 = 5 * (ch1 p1 + ch1 p3) = 10 every step -> 3 non-zero per step
    # sample 1: the bias [1, 0, 0] -> 1 non-zero per step
    assert fc.nonzero_out.tolist() == [4, 4, 4, 4]

    # scores: sample 0 = [6+7+8+6, 3+4+5+3, 4*10] = [27, 15, 40] -> class 2; sample 1 = [4, 0, 0] -> class 0
    assert tr.scores.tolist() == [[27.0, 15.0, 40.0], [4.0, 0.0, 0.0]]
    assert tr.predictions.tolist() == [2, 0]
    # after step 0 the scores are [6, 3, 10] and [1, 0, 0]: both already right
    assert tr.correct_by_step.tolist() == [2, 2, 2, 2]
    assert tr.accuracy == 1.0
    # direct input: conv1's currents are the same at every step
    assert tr.static_layers == frozenset({"conv1"})


# --------------------------------------------------------------------------
# 2. strides larger than the kernel: some inputs reach no output

@pytest.fixture(scope="module")
def strided(tmp_path_factory):
    """Sequence input [1, 6], T = 3.

    conv: 1 -> 3 channels, kernel 2, stride 3, no pad -> output length (6 - 2) // 3 + 1 = 2:
        output 0 reads inputs {0, 1}, output 1 reads inputs {3, 4}; inputs 2 and 5 are never read.
        w[0] = [1, 1], w[1] = [2, 2], w[2] = [0, 1]
    IF, threshold 2, reset to zero; readout: spike counts of the 6 neurons.
    spikes in:  t0 [1, 0, 1, 1, 0, 1]   t1 [0, 0, 1, 0, 0, 1]   t2 [1, 1, 1, 1, 1, 1]
    """
    b = WorkloadBuilder("hand2", (1, 6), timesteps=3, encoding="sequence")
    w = np.array([[[1.0, 1]], [[2.0, 2]], [[0.0, 1]]])
    h = b.conv("conv", b.input, w, strides=[3])
    s = b.neuron("if", h, "IF", threshold=2.0, reset="zero")
    b.readout(s, "spike_count")
    x = np.array([[[[1, 0, 1, 1, 0, 1]], [[0, 0, 1, 0, 0, 1]], [[1, 1, 1, 1, 1, 1]]]])
    return _load(b, tmp_path_factory.mktemp("hand2"), x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_strided_counts(strided, backend):
    (layer,) = lower(strided)
    # spatial fan-out [1, 1, 0, 1, 1, 0], times 3 output channels
    assert layer.fanout.tolist() == [3, 3, 0, 3, 3, 0]
    tr = simulate(strided, strided.samples, backend=backend)
    (c,) = tr.counts
    # events: t0 4 spikes, t1 2, t2 6
    assert c.events_in.tolist() == [4, 2, 6]
    # ops: t0 inputs {0, 2, 3, 5} -> 3 + 0 + 3 + 0 = 6; t1 inputs {2, 5} -> 0 (neither is read);
    #      t2 all six -> 4 reached inputs x 3 channels = 12
    assert c.synaptic_ops.tolist() == [6, 0, 12]
    # currents (out0 = w0*x0 + w1*x1, out1 = w0*x3 + w1*x4):
    #   t0: ch0 (1, 1), ch1 (2, 2), ch2 (0, 0);  t1: all 0;  t2: ch0 (2, 2), ch1 (4, 4), ch2 (1, 1)
    # IF threshold 2, reset to 0:
    #   ch0: v 1, 1, 3* -> spikes at t2 (both positions)
    #   ch1: v 2*->0, 0, 4*->0 -> spikes at t0 and t2 (both positions)
    #   ch2: v 0, 0, 1 -> never
    assert c.spikes_out.tolist() == [2, 0, 4]
    assert tr.scores.tolist() == [[1.0, 1.0, 2.0, 2.0, 0.0, 0.0]]
    assert tr.predictions.tolist() == [2]
    assert tr.labels is None and tr.accuracy is None and tr.static_layers == frozenset()


def test_dilated_strided_padded_fanout():
    """Length 7, kernel 3, dilation 2, stride 2, pads (1, 0): effective kernel 5,
    outputs (7 + 1 - 5) // 2 + 1 = 2. Output p reads inputs 2p + 2k - 1, k = 0..2:
    output 0 -> {-1 (pad), 1, 3}, output 1 -> {1, 3, 5}. Fan-out [0, 2, 0, 2, 0, 1, 0]."""
    win = Window.make((7,), (3,), (2,), (1, 0), (2,))
    assert win.out_sp[-1] == 2
    assert win.spatial_fanout().reshape(-1).tolist() == [0, 2, 0, 2, 0, 1, 0]


def test_2d_stride_leaves_last_row_and_column_unread():
    """3x3 input, 2x2 kernel, stride 2: one output reading the top-left 2x2 block."""
    win = Window.make((3, 3), (2, 2), (2, 2), None, None)
    assert win.spatial_fanout().reshape(3, 3).tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_dilated_conv_synaptic_ops_in_engine(tmp_path, backend):
    """The dilated case above in a network: 2 output channels, one all-ones input step
    -> events 7, ops = 2 x (0 + 2 + 0 + 2 + 0 + 1 + 0) = 10."""
    b = WorkloadBuilder("hand3", (1, 7), timesteps=1)
    h = b.conv("conv", b.input, np.ones((2, 1, 3)), strides=[2], pads=[1, 0], dilations=[2])
    s = b.neuron("if", h, "IF", threshold=3.0)
    b.readout(s, "spike_count")
    g = _load(b, tmp_path, np.ones((1, 1, 7)))
    (c,) = simulate(g, g.samples, backend=backend).counts
    assert c.events_in.tolist() == [7]
    assert c.synaptic_ops.tolist() == [10]
    # output 0 sums inputs 1, 3 (+ pad) = 2 < 3; output 1 sums 1, 3, 5 = 3 >= 3 -> 1 spike per channel
    assert c.spikes_out.tolist() == [2]


# --------------------------------------------------------------------------
# 3. LIF dynamics by hand

# Four neurons, one sample, five steps; leak = [0.5, 0.5, 1, 1], threshold = [1, 2, 1, 2]
LEAK = np.array([0.5, 0.5, 1.0, 1.0])
THR = np.array([1.0, 2.0, 1.0, 2.0])
CURRENTS = np.array([   # [T, neuron]
    [0.75, 2.5, 0.5, 1.5],
    [0.75, 2.5, 0.5, 1.5],
    [0.75, 2.5, 0.5, 1.5],
    [0.00, 2.5, -1.0, 1.5],
    [1.50, 2.5, 2.0, 1.5],
])
# v <- leak * v + I; spike if v >= thr; then v -= thr (subtract) or v = 0 (zero).
# n0 (leak 0.5, thr 1), I = .75 .75 .75 0 1.5
#   subtract: .75 | .375+.75=1.125* -> .125 | .0625+.75=.8125 | .40625 | .203125+1.5=1.703125* -> .703125
#   zero:     .75 | 1.125* -> 0 | .75 | .375 | .1875+1.5=1.6875* -> 0
# n1 (leak 0.5, thr 2), I = 2.5 always
#   subtract: 2.5*->.5 | .25+2.5=2.75*->.75 | 2.875*->.875 | 2.9375*->.9375 | 2.96875*->.96875
#   zero:     2.5*->0 every step
# n2 (IF, thr 1), I = .5 .5 .5 -1 2
#   subtract: .5 | 1.0* -> 0 (fires at equality) | .5 | -.5 | 1.5* -> .5
#   zero:     .5 | 1.0* -> 0 | .5 | -.5 | 1.5* -> 0
# n3 (IF, thr 2), I = 1.5 always
#   subtract: 1.5 | 3*->1 | 2.5*->.5 | 2*->0 | 1.5        spikes t1 t2 t3
#   zero:     1.5 | 3*->0 | 1.5 | 3*->0 | 1.5            spikes t1 t3
EXPECTED = {
    "subtract": (
        [[0.75, 0.5, 0.5, 1.5], [0.125, 0.75, 0.0, 1.0], [0.8125, 0.875, 0.5, 0.5],
         [0.40625, 0.9375, -0.5, 0.0], [0.703125, 0.96875, 0.5, 1.5]],
        [[0, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 1], [0, 1, 0, 1], [1, 1, 1, 0]],
    ),
    "zero": (
        [[0.75, 0.0, 0.5, 1.5], [0.0, 0.0, 0.0, 0.0], [0.75, 0.0, 0.5, 1.5],
         [0.375, 0.0, -0.5, 0.0], [0.0, 0.0, 0.0, 1.5]],
        [[0, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 0], [0, 1, 0, 1], [1, 1, 1, 0]],
    ),
}


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("step", [neuron.lif_step, neuron.lif_step_reference], ids=["numba", "numpy"])
def test_lif_membrane_trace_by_hand(step, reset):
    mode = neuron.RESET_SUBTRACT if reset == "subtract" else neuron.RESET_ZERO
    v = np.zeros((1, 4))
    vs, ss = [], []
    for t in range(5):
        s = step(v, CURRENTS[t:t + 1], LEAK, THR, mode, 0.0)
        vs.append(v[0].tolist())
        ss.append(s[0].astype(int).tolist())
    want_v, want_s = EXPECTED[reset]
    assert vs == want_v
    assert ss == want_s


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_lif_spikes_in_engine_by_hand(tmp_path, backend, reset):
    """The same four neurons behind an identity Gemm, fed the currents as a sequence input."""
    b = WorkloadBuilder("hand4", (4,), timesteps=5, encoding="sequence")
    h = b.gemm("fc", b.input, np.eye(4))
    s = b.neuron("lif", h, "LIF", threshold=THR, leak=LEAK, reset=reset)
    b.readout(s, "spike_count")
    g = _load(b, tmp_path, CURRENTS[None])
    seen = []
    tr = simulate(g, g.samples, backend=backend,
                  probes=[lambda layer, t, start, xin, yout: seen.append(yout[0].astype(int).tolist())])
    want_s = EXPECTED[reset][1]
    assert seen == want_s
    (c,) = tr.counts
    # non-zero currents per step: 4, 4, 4, 3 (n0 gets 0 at t3), 4; a dense 4 -> 4 layer: 4 ops per event
    assert c.events_in.tolist() == [4, 4, 4, 3, 4]
    assert c.synaptic_ops.tolist() == [16, 16, 16, 12, 16]
    assert c.spikes_out.tolist() == [sum(r) for r in want_s]
    # subtract: [1, 4, 2, 2, 3]; zero: [1, 4, 1, 2, 3]
    assert c.spikes_out.tolist() == ([1, 4, 2, 2, 3] if reset == "subtract" else [1, 4, 1, 2, 3])
    assert tr.scores[0].tolist() == np.sum(want_s, axis=0).tolist()


@pytest.mark.parametrize("backend", BACKENDS)
def test_v_init_and_v_reset(tmp_path, backend):
    """IF, threshold 1, v_init 0.75, reset to v_reset = -0.25, I = 0.25 every step (T = 6):
    v: 0.75+0.25=1.0* -> -0.25 | 0.0 | 0.25 | 0.5 | 0.75 | 1.0* -> spikes at t0 and t5."""
    b = WorkloadBuilder("hand5", (1,), timesteps=6)
    h = b.gemm("fc", b.input, np.array([[0.25]]))
    s = b.neuron("if", h, "IF", threshold=1.0, reset="zero")
    b.doc["nodes"][-1]["attrs"].update(v_init=0.75, v_reset=-0.25)
    b.readout(s, "spike_count")
    g = _load(b, tmp_path, np.ones((1, 1)))
    tr = simulate(g, g.samples, backend=backend)
    assert tr.counts[0].spikes_out.tolist() == [1, 0, 0, 0, 0, 1]
    assert tr.counts[0].events_in.tolist() == [1] * 6


# --------------------------------------------------------------------------
# 4. pooling between two spiking layers: aux ops, and events after the pool

@pytest.mark.parametrize("backend", BACKENDS)
def test_pool_between_layers(tmp_path, backend):
    """Sequence spikes [1, 6], T = 2.

    conv1: 1x1 kernel, weight 1 -> IF threshold 1: it re-emits its input spikes.
    pool:  MaxPool kernel 3, stride 2, pads (1, 1) -> 3 outputs; windows {-1, 0, 1}, {1, 2, 3}, {3, 4, 5},
           so the pool fan-out per input is [1, 2, 1, 2, 1, 1].
    conv2: 1x1 kernel, 2 channels, weights [1, 2] -> IF threshold 2 (subtract).
    spikes in: t0 [1, 1, 0, 0, 0, 1], t1 [0, 0, 0, 1, 0, 0]
    """
    b = WorkloadBuilder("hand6", (1, 6), timesteps=2, encoding="sequence")
    h = b.conv("conv1", b.input, np.ones((1, 1, 1)))
    h = b.neuron("if1", h, "IF", threshold=1.0)
    h = b.pool("pool", h, "max", [3], strides=[2], pads=[1, 1])
    h = b.conv("conv2", h, np.array([[[1.0]], [[2.0]]]))
    s = b.neuron("if2", h, "IF", threshold=2.0)
    b.readout(s, "spike_count")
    g = _load(b, tmp_path, np.array([[[[1, 1, 0, 0, 0, 1]], [[0, 0, 0, 1, 0, 0]]]]))
    tr = simulate(g, g.samples, backend=backend)
    c1, c2 = tr.counts
    # conv1: events = ops = spikes in (fan-out 1); IF threshold 1 on a 0/1 current fires iff the input did
    assert c1.events_in.tolist() == [3, 1] and c1.synaptic_ops.tolist() == [3, 1]
    assert c1.spikes_out.tolist() == [3, 1]
    assert c1.aux_ops.tolist() == [0, 0]
    # pool work is charged to conv2's layer: t0 spikes at {0, 1, 5} -> 1 + 2 + 1 = 4; t1 at {3} -> 2
    assert c2.aux_ops.tolist() == [4, 2]
    # pool outputs: t0 [max(0,1)=1, max(1,0,0)=1, max(0,0,1)=1] -> 3 events; t1 [0, 1, 1] -> 2 events;
    # with a pool in between, conv2's events are not conv1's spikes
    assert c2.events_in.tolist() == [3, 2]
    assert c2.synaptic_ops.tolist() == [6, 4]  # 1x1 kernel, 2 channels
    # if2: ch0 (I = pool): t0 v = 1, 1, 1; t1 v = 1, 2*, 2* -> 2 spikes at t1
    #      ch1 (I = 2 pool): t0 v = 2*, 2*, 2* -> 3 spikes; t1 v = 0, 2*, 2* -> 2 spikes
    assert c2.spikes_out.tolist() == [3, 4]
    assert tr.scores.tolist() == [[0.0, 1.0, 1.0, 1.0, 2.0, 2.0]]
    assert tr.predictions.tolist() == [4]


# --------------------------------------------------------------------------
# 5. a residual join: two synaptic nodes feed one neuron node through Add

@pytest.mark.parametrize("backend", BACKENDS)
def test_residual_join_counts_the_shared_neurons_once(tmp_path, backend):
    """Sequence input [1, 4], T = 2.

    conv_a: 1x1, weight 1;  conv_b (the shortcut): 1x1, weight 2;  add = conv_a + conv_b = 3 x;
    if1: IF threshold 3 -> fires exactly where x = 1.  x: t0 [1, 0, 1, 1], t1 [0, 1, 0, 0]
    The neuron node belongs to conv_a only; conv_b merges into it, so the 4 neurons and
    their 3 + 1 spikes are counted once, and the add work (2 operands) once.
    """
    b = WorkloadBuilder("res", (1, 4), timesteps=2, encoding="sequence")
    a = b.conv("conv_a", b.input, np.ones((1, 1, 1)))
    s = b.conv("conv_b", b.input, 2 * np.ones((1, 1, 1)))
    h = b.node("add", "Add", [a, s])
    h = b.neuron("if1", h, "IF", threshold=3.0)
    b.readout(b.gemm("fc", b.flatten("flat", h), np.ones((1, 4)), trans_b=True))
    g = _load(b, tmp_path, np.array([[[[1, 0, 1, 1]], [[0, 1, 0, 0]]]]))
    layers = lower(g)
    assert [(l.name, l.neuron.name if l.neuron else None, l.merges_into) for l in layers] == [
        ("conv_a", "if1", None), ("conv_b", None, "conv_a"), ("fc", None, None)]
    tr = simulate(g, g.samples, backend=backend)
    ca, cb, cf = tr.counts
    assert ca.spikes_out.tolist() == [3, 1] and cb.spikes_out.tolist() == [0, 0]
    assert sum(int(c.spikes_out.sum()) for c in tr.counts) == 4  # each spike once
    assert cf.events_in.tolist() == [3, 1]  # spikes sent = spikes received by the next layer
    # Add: both operands' non-zero elements, t0 3 + 3, t1 1 + 1; charged to the owner only
    assert ca.aux_ops.tolist() == [6, 2] and cb.aux_ops.tolist() == [0, 0]
    assert layers[0].neurons == 4

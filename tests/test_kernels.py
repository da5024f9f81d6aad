"""Kernels: the numba event-driven kernels agree exactly with the numpy references,
and the references agree with brute-force loop implementations of the ONNX
definitions written here.

Weights and inputs are integers or dyadic fractions (k/4), so every float sum is
exact whatever the summation order, and equality is ``np.array_equal``.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.kernels import conv, dense, pool
from accelsim.neurons import lif as neuron
from accelsim.kernels.window import Window

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------
# brute-force ONNX definitions (deliberately naive loops, independent of the library)

def onnx_conv_loops(x, w, b, strides, pads, dilations, group):
    """ONNX Conv: Y[n,o,p] = B[o] + sum_{c,k} W[o,c,k] * X[n, g*Cg + c, p*s + k*d - pad_begin]."""
    N, C = x.shape[:2]
    O, cg = w.shape[:2]
    sp, ker = x.shape[2:], w.shape[2:]
    nd = len(sp)
    og = O // group
    out_sp = tuple((sp[i] + pads[i] + pads[i + nd] - (dilations[i] * (ker[i] - 1) + 1)) // strides[i] + 1
                   for i in range(nd))
    y = np.zeros((N, O) + out_sp)
    for n in range(N):
        for o in range(O):
            g = o // og
            for p in itertools.product(*(range(e) for e in out_sp)):
                acc = 0.0 if b is None else float(b[o])
                for c in range(cg):
                    for k in itertools.product(*(range(e) for e in ker)):
                        q = tuple(p[i] * strides[i] + k[i] * dilations[i] - pads[i] for i in range(nd))
                        if all(0 <= q[i] < sp[i] for i in range(nd)):
                            acc += w[(o, c) + k] * x[(n, g * cg + c) + q]
                y[(n, o) + p] = acc
    return y


def onnx_pool_loops(x, kernel, strides, pads, kind, count_include_pad=False):
    """ONNX MaxPool / AveragePool (floor mode): max or mean over the valid window positions."""
    N, C = x.shape[:2]
    sp = x.shape[2:]
    nd = len(sp)
    out_sp = tuple((sp[i] + pads[i] + pads[i + nd] - kernel[i]) // strides[i] + 1 for i in range(nd))
    y = np.zeros((N, C) + out_sp)
    for n in range(N):
        for c in range(C):
            for p in itertools.product(*(range(e) for e in out_sp)):
                vals = []
                for k in itertools.product(*(range(e) for e in kernel)):
                    q = tuple(p[i] * strides[i] + k[i] - pads[i] for i in range(nd))
                    if all(0 <= q[i] < sp[i] for i in range(nd)):
                        vals.append(x[(n, c) + q])
                if kind == "max":
                    y[(n, c) + p] = max(vals)
                else:
                    acc = 0.0
                    for v in vals:
                        acc += v
                    y[(n, c) + p] = acc / (int(np.prod(kernel)) if count_include_pad else len(vals))
    return y


def brute_spatial_fanout(in_sp, kernel, strides, pads, dilations):
    """For every input position: how many output positions have it in their receptive field."""
    nd = len(in_sp)
    out_sp = tuple((in_sp[i] + pads[i] + pads[i + nd] - (dilations[i] * (kernel[i] - 1) + 1)) // strides[i] + 1
                   for i in range(nd))
    cnt = np.zeros(in_sp, dtype=np.int64)
    for p in itertools.product(*(range(e) for e in out_sp)):
        field = set()
        for k in itertools.product(*(range(e) for e in kernel)):
            q = tuple(p[i] * strides[i] + k[i] * dilations[i] - pads[i] for i in range(nd))
            if all(0 <= q[i] < in_sp[i] for i in range(nd)):
                field.add(q)
        for q in field:
            cnt[q] += 1
    return cnt


# --------------------------------------------------------------------------
# strategies

@st.composite
def geometry(draw, nd=None, max_in=7, max_k=3, max_s=3, max_d=2, max_p=2, pad_lt_kernel=False):
    """(in_sp, kernel, strides, pads[2*nd], dilations) with at least one output position."""
    nd = nd or draw(st.integers(1, 3))
    in_sp, ker, strd, pb, pe, dil = [], [], [], [], [], []
    for _ in range(nd):
        k = draw(st.integers(1, max_k))
        d = draw(st.integers(1, max_d))
        s = draw(st.integers(1, max_s))
        hi = min(max_p, k - 1) if pad_lt_kernel else max_p
        b = draw(st.integers(0, hi))
        e = draw(st.integers(0, hi))
        eff = (k - 1) * d + 1
        n = draw(st.integers(max(1, eff - b - e), max(max_in, eff - b - e)))
        in_sp.append(n)
        ker.append(k)
        strd.append(s)
        pb.append(b)
        pe.append(e)
        dil.append(d)
    return tuple(in_sp), tuple(ker), tuple(strd), tuple(pb + pe), tuple(dil)


def small_ints(rng, shape, lo, hi, density=1.0, dyadic=False, scale=1.0):
    """Integers in [lo, hi] as float64 times ``scale`` (``dyadic``: quarters), each zeroed with probability
    1 - ``density``: sums of them are exact in float32 and float64, whatever the order."""
    a = rng.integers(lo, hi + 1, size=shape).astype(np.float64) * scale
    if dyadic:
        a = a / 4.0
    if density < 1.0:
        a *= rng.random(shape) < density
    return a


def kernel_input(rng, shape, mode, hi, spike_density, int_density=(0.2, 1.0)):
    """A kernel's input: spikes (``mode`` "spikes", density drawn up to ``spike_density[1]``) or
    small integers in [-hi, hi] (quarters when ``mode`` is "dyadic") with a drawn density."""
    if mode == "spikes":
        return (rng.random(shape) < rng.uniform(*spike_density)).astype(np.float64)
    return small_ints(rng, shape, -hi, hi, density=rng.uniform(*int_density), dyadic=mode == "dyadic")


@st.composite
def conv_case(draw, max_in=7):
    nd = draw(st.integers(1, 3))
    if nd == 3:
        max_in = min(max_in, 5)
    in_sp, ker, strd, pads, dil = draw(geometry(nd=nd, max_in=max_in))
    group = draw(st.integers(1, 3))
    cg = draw(st.integers(1, 2))
    og = draw(st.integers(1, 3))
    n = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    mode = draw(st.sampled_from(["spikes", "analog", "dyadic"]))
    with_bias = draw(st.booleans())
    rng = np.random.default_rng(seed)
    C, O = group * cg, group * og
    x = kernel_input(rng, (n, C) + in_sp, mode, 8, (0.05, 0.6), (0.3, 1.0))
    w = small_ints(rng, (O, cg) + ker, -5, 5, dyadic=mode == "dyadic")
    b = small_ints(rng, (O,), -3, 3) if with_bias else None
    return x, w, b, strd, pads, dil, group


# --------------------------------------------------------------------------
# convolution

@PROPERTY
@given(conv_case())
def test_conv_events_equals_reference(case):
    x, w, b, strides, pads, dil, group = case
    win = Window.make(x.shape[2:], w.shape[2:], strides, pads, dil)
    ref = conv.conv_reference(x, w, b, win, group)
    ev = conv.conv_events(x, w, b, win, group)
    assert ev.shape == ref.shape == (x.shape[0], w.shape[0]) + tuple(win.out_sp[3 - win.nd:])
    assert np.array_equal(ev, ref)
    # a precomputed scatter layout (as the engine passes it) gives the same result
    ev2 = conv.conv_events(x, w, b, win, group, wt=conv.scatter_weights(w, group))
    assert np.array_equal(ev2, ref)


@settings(max_examples=25, deadline=None)
@given(conv_case(max_in=5))
def test_conv_reference_equals_onnx_loops(case):
    x, w, b, strides, pads, dil, group = case
    win = Window.make(x.shape[2:], w.shape[2:], strides, pads, dil)
    ref = conv.conv_reference(x, w, b, win, group)
    brute = onnx_conv_loops(x, w, b, strides, pads, dil, group)
    assert np.array_equal(ref, brute)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_fixed_cases_against_onnx_loops(nd):
    """Deterministic asymmetric-pad, strided, dilated, grouped cases in each dimension."""
    rng = np.random.default_rng(100 + nd)
    in_sp = (6, 5, 4)[:nd]
    ker = (3, 2, 2)[:nd]
    strides = (2, 1, 3)[:nd]
    dil = (1, 2, 1)[:nd]
    pads = (2, 0, 1)[:nd] + (0, 1, 1)[:nd]
    group = 2
    x = small_ints(rng, (2, 4) + in_sp, -3, 3, density=0.7)
    w = small_ints(rng, (6, 2) + ker, -4, 4)
    b = np.array([1.0, -2.0, 0.0, 3.0, 0.5, -0.25])
    win = Window.make(in_sp, ker, strides, pads, dil)
    brute = onnx_conv_loops(x, w, b, strides, pads, dil, group)
    assert np.array_equal(conv.conv_reference(x, w, b, win, group), brute)
    assert np.array_equal(conv.conv_events(x, w, b, win, group), brute)


def test_conv_1d_hand_example():
    """Cross-correlation, pad 1: x=[1,0,2,0,3], w=[2,0,1] -> y[p] = 2 x[p-1] + x[p+1]."""
    x = np.array([[[1.0, 0, 2, 0, 3]]])
    w = np.array([[[2.0, 0, 1]]])
    win = Window.make((5,), (3,), (1,), (1, 1), (1,))
    expect = np.array([[[0.0, 4, 0, 7, 0]]])
    assert np.array_equal(conv.conv_reference(x, w, None, win, 1), expect)
    assert np.array_equal(conv.conv_events(x, w, None, win, 1), expect)


def test_conv_all_zero_input_gives_bias():
    x = np.zeros((2, 2, 5, 5))
    w = np.ones((3, 2, 3, 3))
    b = np.array([1.0, -2.0, 0.5])
    win = Window.make((5, 5), (3, 3), (2, 2), (1, 0, 0, 1), None)
    y = conv.conv_events(x, w, b, win, 1)
    assert np.array_equal(y, np.broadcast_to(b.reshape(1, 3, 1, 1), y.shape))


def test_scatter_weights_layout():
    """[O, C/g, *k] -> [C, KD, KH, KW, O/g]: input channel c of group g holds W[g*O/g + j, c - g*C/g]."""
    rng = np.random.default_rng(7)
    group, cg, og = 3, 2, 2
    w = rng.integers(-9, 9, size=(group * og, cg, 2, 3)).astype(np.float64)
    wt = conv.scatter_weights(w, group)
    assert wt.shape == (group * cg, 1, 2, 3, og)
    for c in range(group * cg):
        g = c // cg
        for j in range(og):
            assert np.array_equal(wt[c, 0, :, :, j], w[g * og + j, c - g * cg])


# --------------------------------------------------------------------------
# dense

@PROPERTY
@given(st.integers(1, 4), st.integers(1, 40), st.integers(1, 20), st.integers(0, 2**32 - 1),
       st.sampled_from(["spikes", "analog", "dyadic"]), st.booleans())
def test_dense_events_equals_reference(n, k, m, seed, mode, with_bias):
    rng = np.random.default_rng(seed)
    a = kernel_input(rng, (n, k), mode, 8, (0.0, 0.7))
    wt = small_ints(rng, (k, m), -6, 6, dyadic=mode == "dyadic")
    b = small_ints(rng, (m,), -3, 3) if with_bias else None
    ev = dense.dense_events(a, wt, b)
    ref = dense.dense_reference(a, wt, b)
    assert np.array_equal(ev, ref)
    brute = np.array([[sum(a[i, q] * wt[q, j] for q in range(k)) + (0.0 if b is None else b[j])
                       for j in range(m)] for i in range(n)])
    assert np.array_equal(ref, brute)


# --------------------------------------------------------------------------
# neurons

@PROPERTY
@given(st.integers(1, 4), st.integers(1, 30), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.sampled_from([neuron.RESET_SUBTRACT, neuron.RESET_ZERO]), st.booleans())
def test_lif_step_numba_bit_identical_to_numpy(n, m, steps, seed, reset_mode, if_neuron):
    """Arbitrary (non-dyadic) floats: the two implementations must agree bit for bit."""
    rng = np.random.default_rng(seed)
    leak = np.ones(m) if if_neuron else rng.uniform(0.0, 1.0, m)
    thr = rng.uniform(0.1, 2.0, m)
    v_reset = float(rng.uniform(-0.5, 0.5))
    v_nb = rng.normal(0.0, 1.0, (n, m))
    v_np = v_nb.copy()
    for _ in range(steps):
        cur = rng.normal(0.3, 1.0, (n, m))
        if rng.random() < 0.3:  # currents that land exactly on the threshold
            cur = np.broadcast_to(thr - leak * v_np, (n, m)).copy()
        s_nb = neuron.lif_step(v_nb, cur, leak, thr, reset_mode, v_reset)
        s_np = neuron.lif_step_reference(v_np, cur, leak, thr, reset_mode, v_reset)
        assert s_nb.dtype == s_np.dtype == np.float64
        assert np.array_equal(s_nb, s_np)
        assert v_nb.tobytes() == v_np.tobytes()  # bit-identical, incl. signed zeros


def test_lif_step_fires_at_equality_and_resets_per_neuron():
    leak = np.array([1.0, 0.5, 0.5, 1.0])
    thr = np.array([1.0, 2.0, 0.5, 4.0])
    for step in (neuron.lif_step, neuron.lif_step_reference):
        v = np.array([[0.0, 2.0, 0.25, 3.0]])
        s = step(v, np.array([[1.0, 1.0, 0.25, 0.5]]), leak, thr, neuron.RESET_SUBTRACT, 0.0)
        # u = [1, 2, 0.375, 3.5] >= [1, 2, 0.5, 4] -> [1, 1, 0, 0]
        assert s.tolist() == [[1.0, 1.0, 0.0, 0.0]]
        assert v.tolist() == [[0.0, 0.0, 0.375, 3.5]]
        v = np.array([[0.0, 2.0, 0.25, 3.0]])
        s = step(v, np.array([[1.5, 1.0, 0.25, 1.0]]), leak, thr, neuron.RESET_ZERO, -0.25)
        # u = [1.5, 2, 0.375, 4] -> spikes [1, 1, 0, 1], reset to v_reset = -0.25
        assert s.tolist() == [[1.0, 1.0, 0.0, 1.0]]
        assert v.tolist() == [[-0.25, -0.25, 0.375, -0.25]]


# --------------------------------------------------------------------------
# pooling

@st.composite
def pool_case(draw):
    nd = draw(st.integers(1, 3))
    in_sp, ker, strd, pads, _ = draw(geometry(nd=nd, max_in=6 if nd < 3 else 4, max_d=1, pad_lt_kernel=True))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    if draw(st.booleans()):
        x = (rng.random((n, c) + in_sp) < 0.4).astype(np.float64)
    else:
        x = small_ints(rng, (n, c) + in_sp, -6, 6)
    return x, ker, strd, pads


@PROPERTY
@given(pool_case())
def test_max_pool_equals_onnx_loops(case):
    x, ker, strides, pads = case
    win = Window.make(x.shape[2:], ker, strides, pads, None)
    assert np.array_equal(pool.max_pool(x, win), onnx_pool_loops(x, ker, strides, pads, "max"))


@PROPERTY
@given(pool_case(), st.booleans())
def test_avg_pool_equals_onnx_loops(case, include_pad):
    x, ker, strides, pads = case
    win = Window.make(x.shape[2:], ker, strides, pads, None)
    got = pool.avg_pool(x, win, count_include_pad=include_pad)
    want = onnx_pool_loops(x, ker, strides, pads, "avg", count_include_pad=include_pad)
    # integer sums are exact and both divide the same sum by the same count
    assert np.array_equal(got, want)


def test_avg_pool_count_include_pad_hand_example():
    """x=[2,4,6], kernel 2, stride 1, pads (1,1): windows [pad,2] [2,4] [4,6] [6,pad]."""
    x = np.array([[[2.0, 4.0, 6.0]]])
    win = Window.make((3,), (2,), (1,), (1, 1), None)
    assert pool.avg_pool(x, win, False).tolist() == [[[2.0, 3.0, 5.0, 6.0]]]
    assert pool.avg_pool(x, win, True).tolist() == [[[1.0, 3.0, 5.0, 3.0]]]
    assert pool.max_pool(-x, win).tolist() == [[[-2.0, -2.0, -4.0, -6.0]]]


# --------------------------------------------------------------------------
# window geometry and fan-out

@settings(max_examples=150, deadline=None)
@given(geometry(max_in=9, max_k=4, max_s=5, max_d=3, max_p=3))
def test_spatial_fanout_equals_brute_force(geom):
    in_sp, ker, strd, pads, dil = geom
    win = Window.make(in_sp, ker, strd, pads, dil)
    got = win.spatial_fanout()
    assert got.shape == win.in_sp
    brute = brute_spatial_fanout(in_sp, ker, strd, pads, dil)
    assert np.array_equal(got.reshape(in_sp), brute)
    # every (output position, tap) pair lands either in the input or in the padding
    assert int(brute.sum()) <= win.out_positions * win.taps


def test_window_make_shapes():
    win = Window.make((10,), (3,), (3,), (1, 2), (2,))
    # (10 + 1 + 2 - 5) // 3 + 1 = 3
    assert win.out_sp == (1, 1, 3) and win.in_sp == (1, 1, 10) and win.nd == 1
    assert win.pads_begin == (0, 0, 1) and win.pads_end == (0, 0, 2)
    y = win.reshape_out(np.zeros((2, 4, 1, 1, 3)))
    assert y.shape == (2, 4, 3)


def test_strides_larger_than_kernel_leave_inputs_unreached():
    """Length 7, kernel 2, stride 3: outputs read inputs {0,1} and {3,4}; 2, 5, 6 are skipped."""
    win = Window.make((7,), (2,), (3,), (0, 0), None)
    assert win.spatial_fanout().reshape(-1).tolist() == [1, 1, 0, 1, 1, 0, 0]

"""The GEMM path's numba passes against their numpy references, bit for bit (kernels/im2col.py,
kernels/gemm.py's epilogue): 1/2/3-D geometry with strides, pads, dilations and groups, batch 1 and
many, several sample blocks, -0.0, empty arrays, float32/float64, and 1 vs 2 numba threads."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.kernels import gemm
from accelsim.kernels.conv import conv_reference
from accelsim.kernels.im2col import im2col_into, im2col_reference
from accelsim.kernels.window import Window
from accelsim.util import threads

from tests.test_gemm import conv_geometry

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def conv_gemm_numpy(x, w, b, win, group, dtype):
    """The numpy GEMM path the numba passes replace: cast + pad + per-tap slice im2col, one GEMM per
    group, float64 samples-first copy, ``+= 0.0``, ``+= bias``."""
    N, O = x.shape[0], w.shape[0]
    og, P = O // group, win.out_positions
    cols = im2col_reference(win.reshape_in(x), win, dtype).reshape(group, -1, N * P)
    wmat = np.ascontiguousarray(w.reshape(group, og, -1), dtype=dtype)
    yg = np.stack([wmat[g] @ cols[g] for g in range(group)])
    y = yg.reshape(O, N, P).transpose(1, 0, 2).astype(np.float64)
    y += 0.0
    y = y.reshape((N, O) + win.out_sp)
    if b is not None:
        y += b.reshape((1, O, 1, 1, 1))
    return win.reshape_out(y)


def _input(rng, shape, kind):
    if kind == "spikes":
        return (rng.random(shape) < 0.4).astype(np.float64)
    x = rng.normal(size=shape)
    x[rng.random(shape) < 0.3] = 0.0
    x[rng.random(shape) < 0.2] = -0.0            # signed zeros reach the columns as they are
    return x if kind == "real" else x.astype(np.float32)


@PROPERTY
@given(conv_geometry(), st.integers(0, 2**32 - 1), st.sampled_from(["spikes", "real", "float32"]))
def test_im2col_equals_numpy(geo, seed, kind):
    n, group, cg, og, in_sp, ker, strides, pads, dil = geo
    rng = np.random.default_rng(seed)
    win = Window.make(in_sp, ker, strides, pads, dil)
    x5 = win.reshape_in(_input(rng, (n, group * cg) + in_sp, kind))
    for dt in (np.float32, np.float64):
        ref = im2col_reference(x5, win, dt)
        out = np.full(ref.shape, np.nan, dt)                        # every element must be written
        assert im2col_into(x5, win, out).tobytes() == ref.tobytes()
        cols = gemm.im2col(x5, win, group, dt)
        assert cols.tobytes() == ref.tobytes()
        assert cols.shape == (group, cg * win.taps, n * win.out_positions)


def test_im2col_hand_case():
    """1-D, kernel 2, stride 2, pads (1, 0): 3 outputs, out[ow] taps x[2 ow - 1], x[2 ow]."""
    win = Window.make((5,), (2,), (2,), (1, 0), None)
    x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    cols = np.empty((1, 2, 1, 1, 1, 3))
    im2col_into(win.reshape_in(x), win, cols)
    assert cols.reshape(2, 3).tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
    with pytest.raises(ValueError):
        im2col_into(win.reshape_in(x), win, np.empty((1, 2, 1, 1, 1, 2)))


def test_im2col_float32_rounding_and_empty():
    """float64 -> float32 rounds to nearest as numpy's astype (ties to even included); empty batch."""
    win = Window.make((4,), (1,), None, None, None)
    x = np.array([[[1.0 + 2.0 ** -24, 1.0 + 3 * 2.0 ** -24, 0.1, -1e300]]])
    cols = np.empty((1, 1, 1, 1, 1, 4), np.float32)
    im2col_into(win.reshape_in(x), win, cols)
    with np.errstate(over="ignore"):                            # -1e300 -> -inf in float32, as numpy's
        assert cols.reshape(-1).tobytes() == x.reshape(-1).astype(np.float32).tobytes()
    empty = np.empty((0, 1, 1, 1, 4))
    assert gemm.im2col(empty, win, 1, np.float32).shape == (1, 1, 0)


@PROPERTY
@given(conv_geometry(), st.integers(0, 2**32 - 1), st.sampled_from(["spikes", "real"]), st.booleans())
def test_conv_gemm_equals_numpy_path(geo, seed, kind, with_bias):
    """The whole GEMM path (im2col pass, GEMMs, epilogue pass) equals the numpy path it replaces
    bit for bit, on real-valued data too (same GEMMs on the same columns)."""
    n, group, cg, og, in_sp, ker, strides, pads, dil = geo
    rng = np.random.default_rng(seed)
    win = Window.make(in_sp, ker, strides, pads, dil)
    x = _input(rng, (n, group * cg) + in_sp, kind)
    w = rng.integers(-31, 32, size=(group * og, cg) + ker).astype(np.float64)
    if kind == "real":
        w = w * rng.normal(size=w.shape)
    b = rng.normal(size=group * og) if with_bias else None
    for dt in (np.float32, np.float64):
        assert gemm.conv_gemm(x, w, b, win, group, dt).tobytes() == conv_gemm_numpy(x, w, b, win, group, dt).tobytes()


def test_epilogue_signed_zeros_and_bias():
    """-0.0 from the GEMM becomes +0.0; with a bias of -0.0 the sum stays +0.0 ((-0 + 0) + -0 = +0),
    as numpy's ``+= 0.0`` then ``+= b``; float32 and float64 products."""
    for dt in (np.float32, np.float64):
        yg = np.array([[-0.0, 1.5, -2.0, 0.0], [3.0, -0.0, 0.0, -1.0]], dt)   # [O = 2, n = 2 * P = 2]
        for b in (None, np.array([-0.0, 0.5])):
            out = np.full((2, 2, 2), np.nan)
            gemm._epilogue(yg, gemm._NO_BIAS if b is None else b, b is not None, out)
            ref = yg.reshape(2, 2, 2).transpose(1, 0, 2).astype(np.float64)
            ref += 0.0
            if b is not None:
                ref += b.reshape(1, 2, 1)
            assert out.tobytes() == ref.tobytes()
            assert not np.signbit(out[out == 0.0]).any()


def test_blocks_batch_and_threads_change_no_bit(monkeypatch):
    """Several sample blocks (a tiny BLOCK_ELEMENTS), one sample at a time vs the whole batch, and 1 vs
    2 numba threads: the same bits."""
    rng = np.random.default_rng(7)
    win = Window.make((6, 7, 5), (3, 2, 3), (1, 2, 1), (1, 0, 2, 1, 1, 0), (2, 1, 1))
    x = _input(rng, (5, 4) + (6, 7, 5), "spikes")
    w = rng.integers(-31, 32, size=(6, 2) + (3, 2, 3)).astype(np.float64)
    b = rng.normal(size=6)
    ref = conv_reference(x, w, b, win, 2)
    whole = gemm.conv_gemm(x, w, b, win, 2, np.float32)
    assert whole.tobytes() == ref.tobytes()
    one_by_one = np.concatenate([gemm.conv_gemm(x[i:i + 1], w, b, win, 2, np.float32) for i in range(5)])
    assert one_by_one.tobytes() == whole.tobytes()
    monkeypatch.setattr(gemm, "BLOCK_ELEMENTS", 1)              # one sample per block
    for n in sorted({1, min(2, threads.cores())}):
        with threads.limited(n):
            assert gemm.conv_gemm(x, w, b, win, 2, np.float32).tobytes() == whole.tobytes()
            assert gemm.conv_gemm(x, w, b, win, 2, np.float64).tobytes() == whole.tobytes()


def test_conv_gemm_empty():
    win = Window.make((4, 4), (3, 3), None, (1, 1, 1, 1), None)
    w = np.ones((3, 2, 3, 3))
    assert gemm.conv_gemm(np.zeros((0, 2, 4, 4)), w, None, win, 1, np.float32).shape == (0, 3, 4, 4)
    plan = gemm.ConvPlan(w, win, 1)
    for policy in gemm.POLICIES:          # an empty batch through either kernel (the scatter's split too)
        with gemm.forced(policy):
            assert plan(np.zeros((0, 2, 4, 4)), None).shape == (0, 3, 4, 4)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_dense_gemm_equals_numpy_path(dt):
    """dense_gemm's one-pass conversion equals numpy's ``astype(float64)``, ``+= 0.0``, ``+= b``,
    on real-valued data, with -0.0 products."""
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 20))
    a[0] = -0.0
    wt = rng.normal(size=(20, 7))
    b = rng.normal(size=7)
    for bias in (None, b):
        ref = np.matmul(a.astype(dt), wt.astype(dt)).astype(np.float64)
        ref += 0.0
        if bias is not None:
            ref += bias
        y = gemm.dense_gemm(a, wt.astype(dt), bias, dt)
        assert y.dtype == np.float64 and y.tobytes() == ref.tobytes()
    assert not np.signbit(gemm.dense_gemm(a, wt, None, dt)[0]).any()


@pytest.mark.parametrize("shape,group", [((6, 4, 3, 3), 1), ((6, 2, 3), 3), ((8, 2, 2, 3, 1), 2), ((5, 3, 1, 1), 1),
                                         ((4, 1, 3, 3), 4)])
def test_scatter_layout_equals_numpy(shape, group):
    """The parallel weight layout (conv.scatter_weights, ConvPlan's) = numpy's transposing copy, 1 and 2 threads."""
    from accelsim.kernels import conv

    w = np.random.default_rng(4).normal(size=shape)
    w[0, 0] = -0.0
    nd = len(shape) - 2
    win = Window.make((5,) * nd, shape[2:], None, None, None)
    ref = conv.scatter_weights_reference(w, group)
    for n in sorted({1, min(2, threads.cores())}):
        with threads.limited(n):
            got = gemm.ConvPlan(w, win, group).scatter_layout()
            direct = conv.scatter_weights(w, group)
        assert got.shape == ref.shape and got.tobytes() == ref.tobytes() == direct.tobytes()


def test_small_passes_run_on_one_thread_and_give_the_same_bits(monkeypatch):
    """Below PARALLEL_MIN elements the passes run on one thread; the thread count comes back after,
    and forcing every pass parallel (PARALLEL_MIN = 0) changes no bit."""
    import numba

    from accelsim.kernels import im2col as im2col_mod

    seen = []
    with threads.limited(min(2, threads.cores())) as n:
        with im2col_mod.one_thread_below(10):
            seen.append(numba.get_num_threads())
        with im2col_mod.one_thread_below(im2col_mod.PARALLEL_MIN):
            seen.append(numba.get_num_threads())
        assert seen == [1, n] and numba.get_num_threads() == n
        rng = np.random.default_rng(9)
        win = Window.make((9, 9), (3, 3), (1, 1), (1, 1, 1, 1), None)
        x = _input(rng, (3, 4, 9, 9), "spikes")
        w = rng.integers(-31, 32, size=(5, 4, 3, 3)).astype(np.float64)
        small = gemm.conv_gemm(x, w, None, win, 1, np.float32)
        monkeypatch.setattr(im2col_mod, "PARALLEL_MIN", 0)
        assert gemm.conv_gemm(x, w, None, win, 1, np.float32).tobytes() == small.tobytes()


# --------------------------------------------------------------------------
# the depth-split GEMM of 3-D kernels (gemm.conv_gemm_depth)

@st.composite
def conv3d_geometry(draw):
    """3-D windows with a kernel depth of 2-5 (what the depth split serves), any strides, pads,
    dilations and groups."""
    in_sp = (draw(st.integers(2, 8)), draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    ker = (draw(st.integers(2, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(3))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(3))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(6))
    if not all(in_sp[i] + pads[i] + pads[i + 3] >= dil[i] * (ker[i] - 1) + 1 for i in range(3)):
        pads = tuple(p + 2 * max(ker) * 2 for p in pads)
    group = draw(st.sampled_from([1, 1, 2, 3]))
    return draw(st.integers(1, 4)), group, draw(st.integers(1, 3)), draw(st.integers(1, 4)), in_sp, ker, strides, \
        pads, dil


@PROPERTY
@given(conv3d_geometry(), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_the_depth_split_gemm_is_conv_gemm_bit_for_bit(geo, seed, with_bias, tiny_blocks):
    """On integer data (where the GEMM path runs: every partial sum exact) the depth split gives
    conv_gemm's bits, signs of zeros included, in float32 and float64, in one block or one sample
    per block."""
    n, group, cg, og, in_sp, ker, strides, pads, dil = geo
    rng = np.random.default_rng(seed)
    win = Window.make(in_sp, ker, strides, pads, dil)
    x = rng.integers(0, 3, size=(n, group * cg) + in_sp).astype(np.float64)
    x[rng.random(x.shape) < 0.4] = 0.0
    w = rng.integers(-31, 32, size=(group * og, cg) + ker).astype(np.float64)
    w[rng.random(w.shape) < 0.2] = -0.0                  # -0.0 weights: -0.0 products in the GEMMs
    b = rng.normal(size=group * og) if with_bias else None
    old = gemm.BLOCK_ELEMENTS
    gemm.BLOCK_ELEMENTS = 1 if tiny_blocks else old
    try:
        for dt in (np.float32, np.float64):
            want = gemm.conv_gemm(x, w, b, win, group, dt).tobytes()
            assert gemm.conv_gemm_depth(x, w, b, win, group, dt).tobytes() == want
            assert gemm.conv_gemm_depth(x, w, b, win, group, dt, gemm.depth_stack(w, group, dt)).tobytes() == want
    finally:
        gemm.BLOCK_ELEMENTS = old
    if not with_bias:     # and the numpy reference's exact sums (its -0.0 sums made +0.0 as the GEMM path's)
        assert gemm.conv_gemm_depth(x, w, None, win, group, np.float32).tobytes() == \
            (conv_reference(x, w, None, win, group) + 0.0).tobytes()


def test_the_depth_split_changes_no_bit_with_threads_or_a_parallel_epilogue(monkeypatch):
    """1 vs 2 numba threads (and BLAS threads), and every pass parallel (PARALLEL_MIN = 0): the same bits."""
    from accelsim.kernels import im2col as im2col_mod

    rng = np.random.default_rng(11)
    win = Window.make((7, 6, 5), (3, 2, 3), (2, 1, 1), (1, 2, 0, 1, 1, 0), (2, 1, 1))
    x = rng.integers(0, 3, size=(3, 4, 7, 6, 5)).astype(np.float64)
    w = rng.integers(-31, 32, size=(6, 2, 3, 2, 3)).astype(np.float64)
    b = rng.normal(size=6)
    want = gemm.conv_gemm(x, w, b, win, 2, np.float32).tobytes()
    monkeypatch.setattr(im2col_mod, "PARALLEL_MIN", 0)
    for n in sorted({1, min(2, threads.cores())}):
        with threads.limited(n):
            for dt in (np.float32, np.float64):
                assert gemm.conv_gemm_depth(x, w, b, win, 2, dt).tobytes() == want


def test_depth_split_hand_case_and_its_window():
    """A 3 x 1 x 1 kernel over depth 4 (pads 1 and 0): output depth d sums x[d - 1], x[d], x[d + 1]
    weighted 1, 10, 100; the stacked rows are (depth tap, output channel)."""
    win = Window.make((4, 1, 1), (3, 1, 1), None, (1, 0, 0, 0, 0, 0), None)
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 4, 1, 1)
    w = np.array([1.0, 10.0, 100.0]).reshape(1, 1, 3, 1, 1)
    y = gemm.conv_gemm_depth(x, w, None, win, 1, np.float32)
    assert y.reshape(-1).tolist() == [0 * 1 + 1 * 10 + 2 * 100, 1 + 20 + 300, 2 + 30 + 400]
    w2 = gemm.depth_window(win)
    assert w2.out_sp == (5, 1, 1) and w2.kernel == (1, 1, 1) and w2.pads_begin == (1, 0, 0)
    assert gemm.depth_stack(w, 1, np.float32).reshape(-1).tolist() == [1.0, 10.0, 100.0]
    assert gemm.depth_window(Window.make((5, 5), (3, 3))) is None               # 2-D
    assert gemm.depth_window(Window.make((5, 5, 5), (1, 3, 3))) is None         # kernel depth 1
    with pytest.raises(ValueError):
        gemm.conv_gemm_depth(x[:, :, :, 0, 0], w[:, :, :, 0, 0], None, Window.make((4,), (3,)), 1, np.float32)


def test_the_plan_splits_the_depth_where_the_cost_rule_says_it_is_cheaper(monkeypatch):
    """hsi_hybrid's 3-D layers (stride 1, kernel depth 3-5) take the depth split (fewer im2col
    elements for a few more MACs); a depth stride of 3 (three times the MACs) does not; the plan's
    GEMM output equals the scatter kernel's either way."""
    rng = np.random.default_rng(3)
    hsi = Window.make((12, 9, 9), (5, 3, 3))
    strided = Window.make((12, 9, 9), (3, 3, 3), (3, 1, 1))
    called = []
    real = gemm.conv_gemm_depth
    monkeypatch.setattr(gemm, "conv_gemm_depth", lambda *a, **k: called.append(1) or real(*a, **k))
    for win, split in ((hsi, True), (strided, False)):
        w = rng.integers(-31, 32, size=(8, 4) + win.kernel).astype(np.float64)
        plan = gemm.ConvPlan(w, win, 1)
        assert plan.split_depth(6, np.float32) is split
        x = (rng.random((3, 4) + win.in_sp) < 0.3).astype(np.float64)
        called.clear()
        with gemm.forced("gemm"):
            y = plan(x, None)
        assert bool(called) is split
        with gemm.forced("scatter"):
            assert plan(x, None).tobytes() == y.tobytes()


# --------------------------------------------------------------------------
# silent channels: the GEMM keeps a block's active channels only (gemm.block_operands)

@pytest.mark.parametrize("silent", [0.0, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("tiny_blocks", [False, True])
def test_silent_channels_are_left_out_of_the_gemm_bit_for_bit(silent, tiny_blocks, monkeypatch):
    """Channels holding only zeros (in a block of samples) are dropped from the columns and the
    weights: conv_gemm and conv_gemm_depth still give the scatter kernel's bits, in float32 and
    float64, whole batch or one sample per block, down to every channel silent."""
    from accelsim.kernels import conv

    compacted = []      # per im2col call: (from the depth split, with a channel list)
    real = gemm.im2col_into
    monkeypatch.setattr(gemm, "im2col_into", lambda x5, win, cols, chans=None: compacted.append(
        (win.kernel[0] == 1 and win.nd == 3 and win.out_sp[0] > win.in_sp[0] - 1, chans is not None))
        or real(x5, win, cols, chans))
    rng = np.random.default_rng(int(silent * 10) + 20 * tiny_blocks)
    if tiny_blocks:
        monkeypatch.setattr(gemm, "BLOCK_ELEMENTS", 1)
    for in_sp, ker, pads in (((6, 7, 5), (3, 2, 3), (1, 0, 1, 0, 1, 1)), ((9, 8), (3, 3), (1, 1, 1, 1))):
        win = Window.make(in_sp, ker, None, pads, None)
        x = rng.integers(0, 3, size=(4, 10) + in_sp).astype(np.float64)
        x[rng.random((4, 10)) < silent] = 0.0                   # whole channels silent, per sample
        x[:, 3] = 0.0                                           # and one silent in every sample
        w = rng.integers(-31, 32, size=(6, 10) + ker).astype(np.float64)
        w[0, 0] = -0.0
        b = rng.normal(size=6)
        want = conv.conv_events(x, w, b, win, 1).tobytes()     # (the scatter kernel has no blocks)
        for dt in (np.float32, np.float64):
            assert gemm.conv_gemm(x, w, b, win, 1, dt).tobytes() == want
            if len(in_sp) == 3:
                assert gemm.conv_gemm_depth(x, w, b, win, 1, dt).tobytes() == want
    for depth in (False, True):      # each GEMM ran compacted (every call when all is silent)
        mine = [c for d, c in compacted if d is depth]
        assert any(mine) and (silent < 1.0 or all(mine)), depth


def test_the_active_channels_and_the_mapped_im2col():
    """_active_channels finds the channels with a non-zero (NaN counts) in any sample; im2col of a
    channel list equals the full im2col's rows of those channels; a bad channel is refused."""
    x = np.zeros((2, 5, 3, 3))
    x[1, 1, 2, 2] = 1.0
    x[0, 4, 0, 0] = np.nan
    x[0, 2, 1, 1] = -0.0
    win = Window.make((3, 3), (2, 2), None, (1, 0, 1, 0), None)
    x5 = win.reshape_in(x)
    assert gemm._active_channels(np.ascontiguousarray(x5)).tolist() == [1, 4]
    rng = np.random.default_rng(5)
    x5 = win.reshape_in(rng.normal(size=(2, 5, 3, 3)))
    full = im2col_reference(x5, win, np.float64)
    chans = np.array([4, 1, 2], dtype=np.int64)
    out = np.empty((3,) + full.shape[1:])
    assert im2col_into(x5, win, out, chans).tobytes() == full[chans].tobytes()
    with pytest.raises(ValueError):
        im2col_into(x5, win, np.empty((1,) + full.shape[1:]), np.array([5], dtype=np.int64))
    with pytest.raises(ValueError):
        im2col_into(x5, win, np.empty((1,) + full.shape[1:]), np.array([1.0]))
    assert im2col_into(x5, win, np.empty((2,) + full.shape[1:]), [4, 4]).tobytes() == full[[4, 4]].tobytes()


def test_the_weights_are_compacted_only_when_the_saved_macs_outweigh_the_copy():
    """block_operands' rule: one silent channel of 512 on a 2x2 map (the saved MACs are a fraction
    of the weights to copy) keeps the full operands; half the channels silent on a 16x16 map
    compacts them to the active channels."""
    rng = np.random.default_rng(8)
    for C, sp, silent, compact in ((512, (2, 2), [7], False), (64, (16, 16), list(range(0, 64, 2)), True)):
        win = Window.make(sp, (3, 3), None, (1, 1, 1, 1), None)
        x5 = win.reshape_in((rng.random((1, C) + sp) < 0.5).astype(np.float64))
        x5[:, silent] = 0.0
        wm = rng.integers(-3, 4, size=(1, 32, C * 9)).astype(np.float32)
        cols, wa = gemm.block_operands(x5, win, 1, np.float32, wm)
        assert (wa.shape[2] < C * 9) is compact and cols.shape[1] == wa.shape[2]
        if compact:
            assert wa.shape[2] == (C - len(silent)) * 9
        else:
            assert wa is wm

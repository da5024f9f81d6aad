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

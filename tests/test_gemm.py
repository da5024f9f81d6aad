"""The BLAS path (kernels/gemm.py, kernels/exact.py): exactness bound, GEMM = scatter = reference
bit for bit on integer-valued data over every conv geometry and on dense layers, the cost rule,
the documented float tolerance, and thread splits that change no bit."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.kernels import conv, dense, gemm
from accelsim.kernels.exact import Grain, gemm_dtype, grain, row_abs_max
from accelsim.kernels.window import Window
from accelsim.util import threads

from tests.test_kernels import small_ints, kernel_input

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
U = 2.0 ** -53


# --------------------------------------------------------------------------
# the exactness bound

def test_grain_hand_cases():
    assert grain(np.array([0.0, 1.0, -3.0])) == Grain(3.0, 0)
    assert grain(np.array([0.75, -0.5])) == Grain(0.75, -2)            # 3 * 2^-2, 2 * 2^-2
    assert grain(np.array([3 * 2.0 ** -10, 2.0 ** 5])) == Grain(32.0, -10)
    assert grain(np.zeros(4)) == Grain(0.0, 0)
    assert grain(np.array([1.0, np.nan])) is None
    assert grain(np.array([np.nan, 1.0, 2.0])) is None
    assert grain(np.array([np.inf])) is None
    g = grain(np.array([0.1]))          # 0.1 = 0x1.999999999999ap-4: last significand bit 2^-56 is 0
    m = np.ldexp(0.1, 55)
    assert g.exp == -55 and m == np.rint(m) and m % 2 == 1


def test_gemm_dtype_bounds():
    spikes = Grain(1.0, 0)
    w6 = Grain(31.0, 0)
    assert gemm_dtype(spikes, w6, 31.0 * 4608) == np.float32            # ResNet-18's widest 6-bit fan-in
    assert gemm_dtype(spikes, w6, 2.0 ** 24 - 1) == np.float32
    assert gemm_dtype(spikes, w6, 2.0 ** 24) == np.float64             # 2^24 no longer fits float32
    assert gemm_dtype(spikes, w6, 2.0 ** 53 - 1) == np.float64
    assert gemm_dtype(spikes, w6, 2.0 ** 53) is None
    # dyadic inputs: the grain enters the bound (2^-10 steps, sums up to 2^20: 2^30 steps > 2^24)
    assert gemm_dtype(Grain(1.0, -10), Grain(1.0, 0), 2.0 ** 20) == np.float64
    assert gemm_dtype(None, w6, 1.0) is None
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8, 100))                                        # real float64 weights: no exact order
    assert gemm_dtype(spikes, grain(w), row_abs_max(w)) is None


def test_float32_exact_limit_is_real():
    """The bound is tight where it says float32 stops: 2^24 + 1 is not a float32."""
    a = np.ones((1, 3), np.float32)
    w = np.array([[2.0 ** 24], [1.0], [0.0]], np.float32)
    assert float((a @ w)[0, 0]) != 2.0 ** 24 + 1
    assert gemm_dtype(Grain(1.0, 0), Grain(2.0 ** 24, 0), 2.0 ** 24 + 1) == np.float64
    assert gemm.dense_gemm(np.ones((1, 3)), w.astype(np.float64), dtype=np.float64)[0, 0] == 2.0 ** 24 + 1


# --------------------------------------------------------------------------
# GEMM = scatter = reference, bit for bit

@st.composite
def conv_geometry(draw):
    nd = draw(st.integers(1, 3))
    in_sp = tuple(draw(st.integers(1, 7 if nd < 3 else 5)) for _ in range(nd))
    ker = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(2 * nd))
    ok = all(in_sp[i] + pads[i] + pads[i + nd] >= dil[i] * (ker[i] - 1) + 1 for i in range(nd))
    if not ok:
        pads = tuple(p + 3 * max(ker) for p in pads)
    group = draw(st.sampled_from([1, 1, 2, 3]))
    cg, og, n = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    return n, group, cg, og, in_sp, ker, strides, pads, dil


@PROPERTY
@given(conv_geometry(), st.integers(0, 2**32 - 1), st.sampled_from(["spikes", "ints", "dyadic"]), st.booleans())
def test_conv_gemm_equals_scatter_and_reference(geo, seed, mode, with_bias):
    n, group, cg, og, in_sp, ker, strides, pads, dil = geo
    rng = np.random.default_rng(seed)
    x = kernel_input(rng, (n, group * cg) + in_sp, mode, 9, (0.05, 0.9))
    w = small_ints(rng, (group * og, cg) + ker, -31, 31, scale=2.0 ** -5 if mode == "dyadic" else 1.0)
    b = rng.normal(size=group * og) if with_bias else None           # bias is added after, identically
    win = Window.make(in_sp, ker, strides, pads, dil)
    ref = conv.conv_reference(x, w, b, win, group)
    ev = conv.conv_events(x, w, b, win, group)
    dtype = gemm_dtype(grain(x), grain(w), row_abs_max(w.reshape(w.shape[0], -1)))
    assert dtype == np.float32                                       # small integers: float32 is exact
    for dt in (np.float32, np.float64):
        assert np.array_equal(gemm.conv_gemm(x, w, b, win, group, dt), ref)
        if gemm.depth_window(win) is not None:      # 3-D kernels: the depth-split GEMM, signs of zeros included
            assert gemm.conv_gemm_depth(x, w, b, win, group, dt).tobytes() == ev.tobytes()
    assert np.array_equal(ev, ref)
    plan = gemm.ConvPlan(w, win, group)
    for policy in gemm.POLICIES:
        with gemm.forced(policy):
            y = plan(x, b)
        assert y.tobytes() == ev.tobytes(), policy                     # bit for bit, signs of zeros included


@PROPERTY
@given(st.integers(1, 4), st.integers(1, 60), st.integers(1, 30), st.integers(0, 2**32 - 1),
       st.sampled_from(["spikes", "ints", "dyadic"]), st.booleans())
def test_dense_gemm_equals_scatter_and_reference(n, k, m, seed, mode, with_bias):
    rng = np.random.default_rng(seed)
    a = kernel_input(rng, (n, k), mode, 9, (0.0, 0.9))
    wt = small_ints(rng, (k, m), -31, 31, scale=2.0 ** -5 if mode == "dyadic" else 1.0)
    b = rng.normal(size=m) if with_bias else None
    ref = dense.dense_reference(a, wt, b)
    ev = dense.dense_events(a, wt, b)
    for dt in (np.float32, np.float64):
        assert np.array_equal(gemm.dense_gemm(a, wt, b, dt), ref)
    plan = gemm.DensePlan(wt)
    for policy in gemm.POLICIES:
        with gemm.forced(policy):
            assert plan(a, b).tobytes() == ev.tobytes(), policy


def test_large_fanin_uses_float64_and_stays_exact():
    """Sums beyond 2^24: float32 would round, the plan takes float64 and matches the scatter."""
    rng = np.random.default_rng(3)
    a = np.ones((2, 600))
    wt = rng.integers(2 ** 15, 2 ** 16, size=(600, 5)).astype(np.float64)   # sums ~ 3e7 > 2^24
    plan = gemm.DensePlan(wt)
    assert gemm_dtype(grain(a), plan.w_grain, plan.w_row_abs) == np.float64
    with gemm.forced("gemm"):
        assert np.array_equal(plan(a, None), dense.dense_events(a, wt))
    assert not np.array_equal(gemm.dense_gemm(a, wt, dtype=np.float32), dense.dense_events(a, wt))  # f32 rounds


# --------------------------------------------------------------------------
# real-valued data: the documented tolerance, and the plan keeps the scatter order

def test_float_tolerance_and_plan_keeps_scatter_order():
    rng = np.random.default_rng(11)
    win = Window.make((9, 9), (3, 3), (1, 1), (1, 1, 1, 1), None)
    x = rng.uniform(0, 1, size=(2, 16, 9, 9)) * (rng.random((2, 16, 9, 9)) < 0.5)
    w = rng.normal(size=(24, 16, 3, 3))
    ev = conv.conv_events(x, w, None, win, 1)
    blas = gemm.conv_gemm(x, w, None, win, 1, np.float64)
    K = 16 * 9
    gamma = K * U / (1 - K * U)
    bound = 2 * gamma * conv.conv_reference(np.abs(x), np.abs(w), None, win, 1)
    assert np.all(np.abs(blas - ev) <= bound)
    assert np.max(np.abs(blas - ev)) > 0 or K < 4        # orders differ in practice: the bound is needed
    plan = gemm.ConvPlan(w, win, 1)
    for policy in gemm.POLICIES:                          # not provably exact: every policy keeps the scatter
        with gemm.forced(policy):
            assert plan(x, None).tobytes() == ev.tobytes()


# --------------------------------------------------------------------------
# the cost rule

def test_cost_rule_hand_cases():
    macs = 1e8
    with threads.limited(1), gemm.forced("auto"):
        assert gemm.use_gemm(macs, macs, 0, np.float32)                   # dense input: GEMM
        assert not gemm.use_gemm(0.001 * macs, macs, 0, np.float64)       # 0.1 % active: scatter
        crossover = gemm.C_GEMM[np.float64] / gemm.C_SCATTER
        assert gemm.use_gemm(1.01 * crossover * macs, macs, 0, np.float64)
        assert not gemm.use_gemm(0.99 * crossover * macs, macs, 0, np.float64)
        assert not gemm.use_gemm(macs, macs, 0, None)                     # not exact: never GEMM
    if threads.cores() > 1:   # two numba threads halve the scatter's time: the crossover doubles
        with threads.limited(2), gemm.forced("auto"):
            assert not gemm.use_gemm(1.5 * crossover * macs, macs, 0, np.float64)
            assert gemm.use_gemm(2.01 * crossover * macs, macs, 0, np.float64)
    with gemm.forced("gemm"):
        assert gemm.use_gemm(0.0, macs, 0, np.float64)
    with gemm.forced("scatter"):
        assert not gemm.use_gemm(macs, macs, 0, np.float32)
    with pytest.raises(ValueError):
        with gemm.forced("fast"):
            pass


# --------------------------------------------------------------------------
# threads: any split gives the same bits

def test_thread_splits_change_no_bit_on_real_data():
    rng = np.random.default_rng(5)
    win = Window.make((12, 12), (3, 3), (2, 1), (1, 1, 0, 2), (1, 2))
    x = rng.uniform(-1, 1, size=(1, 8, 12, 12))
    w = rng.normal(size=(20, 4, 3, 3))
    a, wt = rng.uniform(size=(1, 300)), rng.normal(size=(300, 77))
    with threads.limited(1):
        one = (conv.conv_events(x, w, None, win, 2), dense.dense_events(a, wt))
    with threads.limited(threads.cores()):
        many = (conv.conv_events(x, w, None, win, 2), dense.dense_events(a, wt))
    assert one[0].tobytes() == many[0].tobytes() and one[1].tobytes() == many[1].tobytes()
    assert conv.output_blocks(1, 10) >= min(10, 2 * 1) and conv.output_blocks(64, 10) >= 1


def test_threads_requested(monkeypatch):
    from accelsim.errors import InputError

    monkeypatch.delenv(threads.ENV, raising=False)
    assert threads.requested(None) is None
    assert threads.requested("2") == 2
    monkeypatch.setenv(threads.ENV, "1")
    assert threads.requested(None) == 1
    for bad in ("0", "-1", "x", "1.5"):
        monkeypatch.setenv(threads.ENV, bad)
        with pytest.raises(InputError):
            threads.requested(None)
    with threads.limited(1) as n:
        assert n == 1
        assert threads.info()["numba_threads"] == 1


def test_set_threads_gives_blas_the_cores_only_when_it_sleeps(monkeypatch):
    """numba gets the cores; BLAS the same count when OpenBLAS's idle threads sleep at once after a
    call (OPENBLAS_THREAD_TIMEOUT in effect for numpy's OpenBLAS) and the machine is not busy, else
    one: at any moment one pool computes, and an idle one holds no core (util/threads.py; the
    mechanism itself: tests/test_threads_blas.py)."""
    from accelsim.util import blasenv

    monkeypatch.setattr(threads, "_load", lambda: 0.0)           # a quiet machine
    n = threads.set_threads(None)
    info = threads.info()
    blas = [p["num_threads"] for p in info["pools"] if p["user_api"] == "blas"]
    assert info["numba_threads"] == n == min(threads.cores(), __import__("numba").config.NUMBA_NUM_THREADS)
    assert threads.blas_threads() == (n if blasenv.blas_sleeps() else 1)
    assert all(b == threads.blas_threads() for b in blas)
    monkeypatch.setattr(blasenv, "_numpy_blas_timeout", blasenv.TIMEOUT_DEFAULT)
    assert threads.default_blas(2) == 2                          # sleeping BLAS, quiet machine: both cores
    monkeypatch.setattr(threads, "_load", lambda: threads.cores() - 0.5)
    assert threads.default_blas(2) == 1                          # another busy process: one
    monkeypatch.setattr(threads, "_load", lambda: 0.0)
    monkeypatch.setattr(blasenv, "_numpy_blas_timeout", blasenv.OPENBLAS_DEFAULT_TIMEOUT)
    assert threads.default_blas(2) == 1                          # spinning BLAS: one
    threads.set_threads(None, blas=1)                   # explicit: BLAS on one thread
    assert threads.blas_threads() == 1
    assert all(p["num_threads"] == 1 for p in threads.info()["pools"] if p["user_api"] == "blas")
    threads.set_threads(None)


def test_cli_threads_option(capsys, monkeypatch):
    from accelsim.cli import main

    monkeypatch.delenv(threads.ENV, raising=False)
    arch = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "arch_configs" / "digital_only.yaml")
    assert main(["--threads", "0", "validate", arch]) == 2
    assert "--threads" in capsys.readouterr().err
    monkeypatch.setenv(threads.ENV, "two")
    assert main(["validate", arch]) == 2
    assert threads.ENV in capsys.readouterr().err
    monkeypatch.delenv(threads.ENV)
    assert main(["--threads", "1", "validate", arch]) == 0
    assert threads.info()["numba_threads"] == 1
    threads.set_threads(None)

"""Convolution and dense layers on BLAS (im2col + GEMM), and the per-call choice between it
and the event-driven scatter kernels (:mod:`.conv`, :mod:`.dense`).

**Exactness.** The GEMM path runs only where :func:`accelsim.kernels.exact.gemm_dtype` proves
the dot products exact in any summation order (integer-valued or dyadic data whose sums stay
below 2^24 for float32, 2^53 for float64): then GEMM, scatter and the numpy reference give the
same bits, so the path chosen changes nothing downstream. Elsewhere (real-valued float
weights) the scatter kernel runs, with its fixed summation order, and spike decisions at a
threshold are those of the scatter kernel by construction. :func:`conv_gemm` and
:func:`dense_gemm` themselves accept any data; on real-valued data in float64 they differ from
the scatter order by at most ``2 * gamma_K * sum_i |x_i w_i|``, ``gamma_K = K u / (1 - K u)``,
``u = 2^-53``, ``K`` the fan-in (the standard bound on a dot product's rounding error, once
per summation order); tests/test_gemm.py checks that bound.

**Cost rule** (:func:`use_gemm`), per layer and per call, from the input's non-zeros:

    scatter ~ C_SCATTER * nnz(x) * mean fan-out * outputs per group      (the synaptic ops)
    GEMM    ~ C_GEMM[dtype] * MACs + C_IM2COL * im2col elements + C_OUT * outputs

in ns, the MAC term divided by BLAS's threads (:func:`accelsim.util.threads.blas_threads`), the
others by numba's (the scatter kernel, im2col and the epilogue are numba passes); GEMM when it is
the cheaper. ``C_GEMM`` and ``C_IM2COL`` are measured with ``benchmarks/bench_limit.py --calibrate``
on the project machine (one thread; docs/performance.md); ``C_OUT`` is fitted to small-map
cases, where the first terms alone under-estimate the GEMM path, and ``C_SCATTER`` to whole
passes (the constants' comments).

**3-D kernels** (kernel depth above 1) have a second GEMM, :func:`conv_gemm_depth`: the columns
of the (kh, kw) taps at every input depth, the weights' depth taps stacked as rows, each output
the sum of its depth taps' partial sums in the epilogue. Its im2col writes KD x fewer elements per
input depth and its GEMM has KD x the rows (BLAS runs skinny GEMMs below its peak); the same bits.
:meth:`ConvPlan.split_depth` picks the cheaper of the two (hsi_hybrid's 3-D layers: the split,
7-14 % faster per call, docs/performance.md).

:data:`POLICY` (``auto``, ``gemm``: GEMM wherever exact, ``scatter``: never GEMM) forces a path
for tests and benchmarks; :func:`forced` sets it for a block.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

import numba
import numpy as np

from accelsim.kernels import conv, dense, scratch
from accelsim.kernels.events import ValueStats, summarize
from accelsim.kernels.exact import Grain, gemm_dtype, grain, row_abs_max
from accelsim.kernels.im2col import im2col_into, one_thread_below
from accelsim.kernels.window import Window
from accelsim.util import threads

# ns per operation on one thread. C_GEMM and C_IM2COL: `benchmarks/bench_limit.py --calibrate` on the project
# machine (2-core AMD EPYC Zen 3 KVM, numpy's OpenBLAS 0.3.31 with Haswell kernels) on a ResNet-18 stage-2 layer,
# one numba and one BLAS thread, best of 5 in CPU time (2026-11-30, 19:50 UTC; C_GEMM as the earlier wall-time
# calibration: 0.0165 / 0.0355 measured). C_SCATTER and C_OUT are fitted (docs/performance.md, "The cost rule").
# Only their ratios matter.
C_SCATTER = 0.65                                   # one scattered synaptic op. Fitted: calibrate measures 0.15-0.44
                                                   # CPU ns/op on the 2-D layer (0.5-20 % density), but with 0.2 the
                                                   # hsi_hybrid pass took 2.08 s CPU against 1.74 s with 0.65 (its
                                                   # batched 3-D layers scatter slower); ResNet-18 0.40 s vs 0.43
C_GEMM = {np.float32: 0.017, np.float64: 0.038}    # one GEMM MAC (f32: 58 G MAC/s; f64: 26 G MAC/s, one thread)
C_IM2COL = 0.21                                    # one im2col element written (numba pass: 0.19 f64 - 0.23 f32)
C_OUT = 3.5                                        # one output: the epilogue (0.15 ns) and the GEMM's per-output
                                                   # overhead at small fan-ins; fitted on 8x8 maps x 360 samples,
                                                   # 16-32 channels, 3x3 (residual 3.5-3.6 ns; ~1 on 16x16 maps)
C_SHIFT = 0.37                                     # one depth tap's partial sum added to an output in the
                                                   # depth-split GEMM's epilogue: measured 0.366-0.374 ns on
                                                   # hsi_hybrid's two 3-D layers (one sample, one thread)
ROW_OVERHEAD = 8.0                                 # a GEMM of M rows per group costs C_GEMM (1 + ROW_OVERHEAD / M)
                                                   # per MAC: OpenBLAS sgemm, one thread, K = 72-432, measured
                                                   # 36 / 46.5 / 52.8 / 56.5 G MAC/s at M = 16 / 32 / 80 / 96 (fits
                                                   # 10.1 / 8.5 / 9.0 / 4.0); used to choose between the two GEMMs
BLOCK_ELEMENTS = 1 << 21                           # im2col elements per block of samples (at least one sample):
                                                   # 8 MB in float32, within the L3 (32 MB), so the GEMM reads the
                                                   # columns im2col just wrote from cache; bounds memory

POLICIES = ("auto", "gemm", "scatter")
POLICY = "auto"


@contextmanager
def forced(policy: str) -> Iterator[None]:
    """Run a block under ``policy`` (one of :data:`POLICIES`)."""
    global POLICY
    if policy not in POLICIES:
        raise ValueError(f"kernel policy {policy!r}: one of {POLICIES}")
    old, POLICY = POLICY, policy
    try:
        yield
    finally:
        POLICY = old


def use_gemm(scatter_ops: float, macs: float, cols: float, dtype, outputs: float = 0.0) -> bool:
    """The cost rule (module docstring), under :data:`POLICY`; ``dtype`` None: not exact, no GEMM."""
    if dtype is None or POLICY == "scatter":
        return False
    if POLICY == "gemm":
        return True
    nt = numba.get_num_threads()   # the scatter kernels, im2col and the epilogue split over numba's threads
    gemm = C_GEMM[dtype] * macs / threads.blas_threads() + (C_IM2COL * cols + C_OUT * outputs) / nt
    return C_SCATTER * scatter_ops / nt > gemm


C_GATHER = 1.0      # ns per weight copied into a block's compacted weight matrix (numpy's fancy-index copy
                    # into a fresh array: 0.9-1.3 ns per element measured on 8-512 channels x 9 taps)


@numba.njit(cache=True)
def _active_channels(x5):
    """The channels of ``x5`` [N, C, ...] (C-contiguous) holding a non-zero value (NaN included) in
    some sample, as int64 indices; each channel's scan stops at its first non-zero (flat indices,
    no per-row views: many channels on tiny maps cost no more than their elements)."""
    N, C = x5.shape[0], x5.shape[1]
    S = x5.size // max(N * C, 1)
    flat = x5.reshape(-1)
    keep = np.zeros(C, np.bool_)
    for c in range(C):
        for n in range(N):
            base = (n * C + c) * S
            for i in range(base, base + S):
                if flat[i] != 0.0:
                    keep[c] = True
                    break
            if keep[c]:
                break
    return np.nonzero(keep)[0].astype(np.int64)


def block_operands(x5: np.ndarray, win: Window, group: int, dtype, wm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GEMM's operands for a block of samples ``x5`` [n, C, D, H, W]: its columns (:func:`im2col`,
    [group, K, n * positions]) and the weights ``wm`` [group, rows, K] (K = C/group x ``win.taps``,
    channel-major). With one group, when some channels hold only zeros in the block (silent
    neurons: spike maps often leave whole channels silent for a sample), only the others' rows and
    the weights' matching columns, if the MACs and im2col elements saved (cost rule) outweigh
    copying the weights (:data:`C_GATHER`): the dropped channels add exact zeros, so the sums are
    the same integers (and the epilogue's ``+ 0.0`` the same bits)."""
    n, C = x5.shape[:2]
    if group == 1 and C > 1:
        x5 = np.ascontiguousarray(x5)
        alive = _active_channels(x5)
        A, rows, taps, cols_per = len(alive), wm.shape[1], win.taps, n * win.out_positions
        dropped = (C - A) * taps * cols_per     # im2col elements saved, and MACs per row
        saved = (C_GEMM[np.dtype(dtype).type] * rows * dropped / threads.blas_threads()
                 + C_IM2COL * dropped / numba.get_num_threads())
        if A < C and saved > C_GATHER * rows * A * taps:   # the weights' copy runs on one thread
            cols = scratch.buffer("im2col", (A, taps, n) + win.out_sp, dtype)
            im2col_into(x5, win, cols, alive)
            wa = wm.reshape(rows, C, taps)[:, alive, :].reshape(1, rows, A * taps)
            return cols.reshape(1, A * taps, cols_per), wa
    return im2col(x5, win, group, dtype), wm


def im2col(x5: np.ndarray, win: Window, group: int, dtype) -> np.ndarray:
    """[N, C, D, H, W] -> [group, C/group * taps, N * out positions] in ``dtype``: the input each
    kernel tap sees at each output position of each sample, rows ordered (channel, kd, kh, kw) like
    the weights, so one GEMM per group serves every sample. One parallel pass from the input's own
    dtype (:func:`accelsim.kernels.im2col.im2col_into`) into this thread's reused buffer."""
    N, C = x5.shape[:2]
    cols = scratch.buffer("im2col", (C, win.taps, N) + win.out_sp, dtype)
    im2col_into(x5, win, cols)
    return cols.reshape(group, C // group * win.taps, N * win.out_positions)


@numba.njit(cache=True, parallel=True, fastmath=False)
def _epilogue(yg, b, has_bias, out):
    """``out[s, o, p] = (float64(yg[o, s * P + p]) + 0.0) + b[o]`` (the bias only when ``has_bias``):
    the GEMM's [O, n * P] output, samples-first, in float64, -0.0 -> +0.0 as the scatter kernel's
    sums from +0.0 give, then the bias: the same operations in the same order as numpy's
    ``y = yg.astype(float64)...; y += 0.0; y += b`` (fastmath off, so ``+ 0.0`` is kept). One
    task per (sample, output channel)."""
    n, O, P = out.shape
    for q in numba.prange(n * O):
        s = q // O
        o = q % O
        src = yg[o, s * P:(s + 1) * P]
        dst = out[s, o]
        if has_bias:
            bo = b[o]
            for p in range(P):
                dst[p] = (np.float64(src[p]) + 0.0) + bo
        else:
            for p in range(P):
                dst[p] = np.float64(src[p]) + 0.0
    return out


_NO_BIAS = np.zeros(1)


def _bias(b: Optional[np.ndarray], O: int) -> np.ndarray:
    """The epilogues' bias argument: ``b`` as float64 [O], or a placeholder when there is none."""
    return _NO_BIAS if b is None else np.ascontiguousarray(b, dtype=np.float64).reshape(O)


def _block_gemms(x5: np.ndarray, win: Window, group: int, dtype, wm: np.ndarray, step: int) -> Iterator[tuple]:
    """Per block of ``step`` samples of ``x5`` [N, C, D, H, W]: (first sample, samples, the GEMMs'
    output [group, rows, n * positions] in this thread's reused buffer), from the columns of ``win``
    and the weights ``wm`` [group, rows, K] (:func:`block_operands`). One 2-D GEMM per group: numpy's
    stacked matmul does not always reach BLAS."""
    for s0 in range(0, x5.shape[0], step):
        cols, w = block_operands(x5[s0:s0 + step], win, group, dtype, wm)
        z = scratch.buffer("gemm_out", (group, wm.shape[1], cols.shape[2]), dtype)
        for g in range(group):
            np.matmul(w[g], cols[g], out=z[g])
        yield s0, cols.shape[2] // win.out_positions, z


def conv_gemm(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray], win: Window, group: int,
              dtype=np.float64, wmat: Optional[np.ndarray] = None) -> np.ndarray:
    """Convolution as GEMM: per group, [O/g, C/g * taps] @ im2col of every sample, in ``dtype``, then
    float64 (+ bias) in one pass (:func:`_epilogue`). ``x`` [N, C, *sp]; returns a fresh
    [N, O, *out_sp] array. ``wmat``: the weights as [group, O/g, C/g * taps] in ``dtype``
    (:meth:`ConvPlan.matrix`)."""
    N, O = x.shape[0], w.shape[0]
    og, P = O // group, win.out_positions
    if wmat is None:
        wmat = np.ascontiguousarray(w.reshape(group, og, -1), dtype=dtype)
    y = np.empty((N, O, P))
    if not y.size:
        return win.reshape_out(y.reshape((N, O) + win.out_sp))
    bias = _bias(b, O)
    step = max(1, BLOCK_ELEMENTS // max(wmat.shape[2] * P * group, 1))   # samples per block: bounds memory
    for s0, n, yg in _block_gemms(win.reshape_in(x), win, group, dtype, wmat, step):
        with one_thread_below(n * O * P):
            _epilogue(yg.reshape(O, n * P), bias, b is not None, y[s0:s0 + n])
    return win.reshape_out(y.reshape((N, O) + win.out_sp))


def depth_window(win: Window) -> Optional[Window]:
    """The 2-D window of :func:`conv_gemm_depth` for a 3-D window with a kernel depth above 1: its
    (kh, kw) taps at every depth of the depth-padded input (kernel depth 1, depth stride 1, the
    depth pads kept); None for other windows."""
    if win.nd < 3 or win.kernel[0] < 2:
        return None
    dp = win.in_sp[0] + win.pads_begin[0] + win.pads_end[0]
    return Window(win.in_sp, (dp,) + win.out_sp[1:], (1,) + win.kernel[1:], (1,) + win.strides[1:],
                  (1,) + win.dilations[1:], win.pads_begin, win.pads_end, 3)


def depth_stack(w: np.ndarray, group: int, dtype) -> np.ndarray:
    """[O, C/g, KD, KH, KW] -> [group, KD * O/g, C/g * KH * KW] in ``dtype``: per group, one row per
    (depth tap, output channel), columns (channel, kh, kw) like :func:`conv_gemm_depth`'s columns."""
    O, cg, kd = w.shape[:3]
    w6 = w.reshape(group, O // group, cg, kd, -1)
    return np.ascontiguousarray(w6.transpose(0, 3, 1, 2, 4).reshape(group, kd * (O // group), -1), dtype=dtype)


@numba.njit(cache=True, parallel=True, fastmath=False)
def _epilogue_depth(z, b, has_bias, out, KD, og, Dp, sd, dd, P2):
    """``out[s, o, od, p] = (sum_kd float64(z[g, kd * og + j, (s * Dp + od * sd + kd * dd) * P2 + p])
    + 0.0) + b[o]`` (``o = g * og + j``; the bias only when ``has_bias``): the depth taps' partial
    sums of :func:`conv_gemm_depth`, each an exact integer multiple of the grain, added in float64
    (exact), then what :func:`_epilogue` does to the one sum of :func:`conv_gemm`. One task per
    (sample, output channel)."""
    n, O, L = out.shape
    OD = L // P2
    for q in numba.prange(n * O):
        s = q // O
        o = q % O
        g = o // og
        j = o % og
        dst = out[s, o]
        for od in range(OD):
            d0 = od * P2
            row = z[g, j]
            src = (s * Dp + od * sd) * P2
            for p in range(P2):
                dst[d0 + p] = np.float64(row[src + p])
            for kd in range(1, KD):
                row = z[g, kd * og + j]
                src = (s * Dp + od * sd + kd * dd) * P2
                for p in range(P2):
                    dst[d0 + p] += np.float64(row[src + p])
        if has_bias:
            bo = b[o]
            for p in range(L):
                dst[p] = (dst[p] + 0.0) + bo
        else:
            for p in range(L):
                dst[p] = dst[p] + 0.0
    return out


def conv_gemm_depth(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray], win: Window, group: int,
                    dtype=np.float64, wstack: Optional[np.ndarray] = None) -> np.ndarray:
    """A 3-D convolution as one GEMM over its (kh, kw) columns at every input depth: per group,
    ``[KD * O/g, C/g * KH * KW] @ [C/g * KH * KW, N * padded depth * OH * OW]``
    (:func:`depth_stack`, the columns of :func:`depth_window`), then each output the sum of its KD
    depth taps' partial sums (:func:`_epilogue_depth`). The im2col writes KD x fewer elements per
    input depth than :func:`conv_gemm`'s, and the GEMM's rows are KD x more (a skinny ``O/g`` runs
    BLAS below its peak); the MACs grow by padded depth / out depth. Exact under
    the same condition (:func:`accelsim.kernels.exact.gemm_dtype`: every partial sum is exact in
    any order), so bit for bit :func:`conv_gemm`. Same arguments and result; ``wstack``:
    :func:`depth_stack` of ``w`` in ``dtype``."""
    N, O = x.shape[0], w.shape[0]
    og, P = O // group, win.out_positions
    KD = win.kernel[0]
    w2 = depth_window(win)
    if w2 is None:
        raise ValueError("conv_gemm_depth: a 3-D window with a kernel depth above 1")
    if wstack is None:
        wstack = depth_stack(w, group, dtype)
    Dp = w2.out_sp[0]
    P2 = w2.out_positions // Dp
    y = np.empty((N, O, P))
    if not y.size:
        return win.reshape_out(y.reshape((N, O) + win.out_sp))
    bias = _bias(b, O)
    # samples per block: the columns and the GEMM's output together within BLOCK_ELEMENTS, so the
    # epilogue reads the output from cache (hsi_hybrid's conv3d_2 on 6 samples, one thread: 8.7 ms
    # against 9.0 ms in blocks of the columns alone, and 9.7-10.0 ms by conv_gemm)
    step = max(1, BLOCK_ELEMENTS // max((wstack.shape[2] + wstack.shape[1]) * w2.out_positions * group, 1))
    for s0, n, z in _block_gemms(win.reshape_in(x), w2, group, dtype, wstack, step):
        with one_thread_below(n * O * P * KD):
            _epilogue_depth(z, bias, b is not None, y[s0:s0 + n], KD, og, Dp, win.strides[0], win.dilations[0], P2)
    return win.reshape_out(y.reshape((N, O) + win.out_sp))


def dense_gemm(a: np.ndarray, wt: np.ndarray, bias: Optional[np.ndarray] = None, dtype=np.float64) -> np.ndarray:
    """``a`` [N, K] @ ``wt`` [K, M] in ``dtype``, returned in float64 (+ bias): the product's
    conversion and ``+ 0.0`` (-0.0 -> +0.0) in one pass into the float64 result (in place when the
    product is float64), then the bias."""
    y = np.matmul(np.asarray(a, dtype=dtype), np.asarray(wt, dtype=dtype))
    if y.dtype == np.float64:
        y += 0.0
    else:
        y = np.add(y, 0.0, dtype=np.float64)
    if bias is not None:
        y += bias
    return y


class ConvPlan:
    """One Conv layer's weights laid out for both paths, and the per-call choice between them."""

    def __init__(self, w: np.ndarray, win: Window, group: int):
        self.w, self.win, self.group = w, win, group
        self._scatter: Optional[np.ndarray] = None   # the weights in the scatter kernel's layout, on first use
        O = w.shape[0]
        self.w2 = w.reshape(group, O // group, -1)
        self.w_grain: Optional[Grain] = grain(w)
        self.w_row_abs = row_abs_max(w.reshape(O, -1))
        self.mean_fanout = float(win.spatial_fanout().mean())
        self._mats: dict = {}
        self.depth = depth_window(win)     # the depth-split GEMM's window (3-D kernels), else None
        self._stacks: dict = {}

    def scatter_layout(self) -> np.ndarray:
        """The weights in the scatter kernel's layout (:func:`accelsim.kernels.conv.scatter_weights`),
        built when the scatter kernel first runs and kept."""
        if self._scatter is None:
            self._scatter = conv.scatter_weights(self.w, self.group)
        return self._scatter

    def matrix(self, dtype) -> np.ndarray:
        if dtype not in self._mats:
            self._mats[dtype] = np.ascontiguousarray(self.w2, dtype=dtype)
        return self._mats[dtype]

    def stack(self, dtype) -> np.ndarray:
        """The weights as :func:`conv_gemm_depth`'s rows (:func:`depth_stack`), made on first use."""
        if dtype not in self._stacks:
            self._stacks[dtype] = depth_stack(self.w, self.group, dtype)
        return self._stacks[dtype]

    def split_depth(self, n: int, dtype) -> bool:
        """Whether :func:`conv_gemm_depth` is the cheaper GEMM for ``n`` samples: the cost rule's GEMM
        and im2col terms (module docstring) of both, each GEMM's MACs at its rows' efficiency
        (:data:`ROW_OVERHEAD`: the split has KD x the rows), and :data:`C_SHIFT` per depth tap and
        output for the split's epilogue (the per-output term of both is the same)."""
        if self.depth is None:
            return False
        O, K, P = self.w.shape[0], self.w2.shape[2], self.win.out_positions
        KD, Pd = self.win.kernel[0], self.depth.out_positions
        K2, og = K // KD, O // self.group
        plain = (C_GEMM[dtype] * n * O * P * K * (1 + ROW_OVERHEAD / og)
                 + C_IM2COL * n * self.group * K * P)
        split = (C_GEMM[dtype] * n * KD * O * K2 * Pd * (1 + ROW_OVERHEAD / (KD * og))
                 + C_IM2COL * n * self.group * K2 * Pd + C_SHIFT * n * O * P * KD)
        return split < plain

    def __call__(self, x: np.ndarray, b: Optional[np.ndarray], stats: Optional[ValueStats] = None) -> np.ndarray:
        """``stats``: ``x``'s :class:`~accelsim.kernels.events.ValueStats` when known (one pass over
        the input, shared with the functional counts), else computed here."""
        N = x.shape[0]
        O = self.w.shape[0]
        K = self.w2.shape[2]
        st = summarize(x) if stats is None else stats
        dtype = gemm_dtype(st.grain(), self.w_grain, self.w_row_abs) if POLICY != "scatter" else None
        scatter_ops = st.nnz * self.mean_fanout * (O // self.group)
        macs = N * O * self.win.out_positions * K
        P = self.win.out_positions
        if use_gemm(scatter_ops, macs, N * self.group * K * P, dtype, N * O * P):
            threads.ensure()   # numba x BLAS threads within the cores (util/threads.py)
            if self.split_depth(N, dtype):
                return conv_gemm_depth(x, self.w, b, self.win, self.group, dtype, self.stack(dtype))
            return conv_gemm(x, self.w, b, self.win, self.group, dtype, self.matrix(dtype))
        return conv.conv_events(x, self.w, b, self.win, self.group, self.scatter_layout())


class DensePlan:
    """One dense layer's weights ([K, M]) for both paths, and the per-call choice between them."""

    def __init__(self, wt: np.ndarray):
        self.source = wt
        self.wt = np.ascontiguousarray(wt, dtype=np.float64)
        self.w_grain: Optional[Grain] = grain(self.wt)
        self.w_row_abs = row_abs_max(self.wt.T)
        self._mats: dict = {}

    def __call__(self, a: np.ndarray, bias: Optional[np.ndarray], stats: Optional[ValueStats] = None) -> np.ndarray:
        """``stats``: ``a``'s :class:`~accelsim.kernels.events.ValueStats` when known (as :class:`ConvPlan`'s)."""
        N, K = a.shape
        M = self.wt.shape[1]
        st = summarize(a) if stats is None else stats
        dtype = gemm_dtype(st.grain(), self.w_grain, self.w_row_abs) if POLICY != "scatter" else None
        if use_gemm(st.nnz * M, N * K * M, 0, dtype, N * M):
            threads.ensure()
            if dtype not in self._mats:
                self._mats[dtype] = np.ascontiguousarray(self.wt, dtype=dtype)
            return dense_gemm(a, self._mats[dtype], bias, dtype)
        return dense.dense_events(a, self.wt, bias)

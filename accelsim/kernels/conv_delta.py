"""A convolution's output from a reference output and the input's changes.

A convolution is linear: ``conv(x) = conv(x_ref) + conv(x - x_ref)``. When a layer's input
differs from a reference input in a few positions (a design point of a sweep next to one
already run, :mod:`accelsim.engine.delta`), :func:`conv_delta` updates the reference output
``y_ref = conv(x_ref)`` in place by scattering only the changed inputs' differences, at a cost
in proportion to the changes rather than to the layer's dense MACs, and moves the reference
input to ``x`` (so the pair becomes ``x``'s).

**Exactness.** With integer-valued inputs and weights whose sums stay below 2^53 (every
partial sum here is bounded by ``sum_i |w_i| (|x_ref,i| + |x_i - x_ref,i|)``, see
:func:`delta_exact`), every intermediate is an exact integer, so the result is bit for bit the
convolution of ``x`` by any summation order: the scatter kernel's, a GEMM's or the numpy
reference's. The references of inputs are held as int8 (binary spikes and small integer counts),
so inputs beyond ``|x| <= 127`` or not integer-valued never take this path.

:func:`conv_delta_reference` is the numpy version (tests).
"""
from __future__ import annotations

import threading

import numba
import numpy as np

from accelsim.kernels import scratch
from accelsim.kernels.conv import conv_reference, output_blocks
from accelsim.kernels.exact import Grain, gemm_dtype
from accelsim.kernels.window import Window

REF_MAX = 127          # the largest |x| an int8 reference input holds


def delta_exact(w_grain, w_row_abs: float) -> bool:
    """Whether :func:`conv_delta` is exact for every integer input with ``|x| <= REF_MAX`` on
    weights of grain ``w_grain`` and largest row sum ``w_row_abs`` (:mod:`accelsim.kernels.exact`):
    the partial sums are bounded by ``3 REF_MAX`` times the row sum (reference, removed and added
    contributions), which must be exact in float64."""
    if w_grain is None or w_grain.exp < 0:
        return False
    return gemm_dtype(Grain(3.0 * REF_MAX, 0), w_grain, w_row_abs) is not None


@numba.njit(cache=True, parallel=True)
def _count_changes(x, xr):
    """Per sample (rows of ``x`` float64 and ``xr`` int8 [N, E]): the entries that differ."""
    N, E = x.shape
    counts = np.zeros(N, np.int64)
    for n in numba.prange(N):
        c = 0
        for i in range(E):
            if x[n, i] != np.float64(xr[n, i]):
                c += 1
        counts[n] = c
    return counts


def changes(x: np.ndarray, xr: np.ndarray) -> np.ndarray:
    """Per sample, how many entries of ``x`` (float64 [N, ...]) differ from the reference ``xr``
    (int8, the same shape)."""
    n = x.shape[0]
    return _count_changes(x.reshape(n, -1), xr.reshape(n, -1))


@numba.njit(cache=True, parallel=True)
def _change_list(x, xr, offsets, idx, val):
    """The changed entries of every sample, in index order: ``idx`` (within the sample) and ``val``
    (``x - xr``) at ``offsets[n]:offsets[n + 1]``; ``xr`` takes ``x``'s values there."""
    N, E = x.shape
    for n in numba.prange(N):
        k = offsets[n]
        for i in range(E):
            v = x[n, i] - np.float64(xr[n, i])
            if v != 0.0:
                idx[k] = i
                val[k] = v
                xr[n, i] = np.int8(x[n, i])
                k += 1


@numba.njit(cache=True, parallel=True)
def _event_taps(idx, C, D, H, W, KD, KH, KW, OD, OH, OW, sd, sh, sw, dd, dh, dw, pd, ph, pw, chan, cnt, pos, tap):
    """Per change ``e`` (flat index ``idx[e]`` of [C, D, H, W]): its channel, and the ``cnt[e]`` taps
    that reach an output: the output's flat position in [OD, OH, OW] and the tap's flat index in
    [KD, KH, KW] (the scatter kernel's geometry, :func:`accelsim.kernels.conv._conv_scatter`)."""
    for e in numba.prange(idx.shape[0]):
        i = idx[e]
        c = i // (D * H * W)
        r = i - c * (D * H * W)
        d = r // (H * W)
        r -= d * (H * W)
        h = r // W
        w = r - h * W
        chan[e] = c
        k = 0
        for kd in range(KD):
            td = d + pd - kd * dd
            if td < 0 or td % sd != 0:
                continue
            od = td // sd
            if od >= OD:
                continue
            for kh in range(KH):
                th = h + ph - kh * dh
                if th < 0 or th % sh != 0:
                    continue
                oh = th // sh
                if oh >= OH:
                    continue
                for kw in range(KW):
                    tw = w + pw - kw * dw
                    if tw < 0 or tw % sw != 0:
                        continue
                    ow = tw // sw
                    if ow >= OW:
                        continue
                    pos[e, k] = (od * OH + oh) * OW + ow
                    tap[e, k] = (kd * KH + kh) * KW + kw
                    k += 1
        cnt[e] = k


@numba.njit(cache=True, parallel=True, fastmath=False)
def _scatter_changes(offsets, val, chan, cnt, pos, tap, wt, d, stamp, call, cin_g, out_g, nj):
    """``d[n, pos, o] += v * wt[c, tap, o % out_g]`` for every change ``v`` of sample ``n`` in channel
    ``c`` and each of its taps (:func:`_event_taps`), ``d`` channel-last [N, positions, O] and ``wt``
    the scatter layout [C, taps, O/group]: the scatter kernel's inner loop over output channels. Only
    the positions the changes reach are touched: each task first clears its block of channels there (in
    every group), the first task of a sample stamps them (``stamp[n, p] = call``)."""
    N, O = d.shape[0], d.shape[2]
    jb = (out_g + nj - 1) // nj
    for q in numba.prange(N * nj):
        n = q // nj
        j0 = (q % nj) * jb
        j1 = min(out_g, j0 + jb)
        for e in range(offsets[n], offsets[n + 1]):
            for k in range(cnt[e]):
                p = pos[e, k]
                for base in range(0, O, out_g):      # every group's channels: the add reads them all
                    d[n, p, base + j0:base + j1] = 0.0
                if j0 == 0:
                    stamp[n, p] = call
        for e in range(offsets[n], offsets[n + 1]):
            v = val[e]
            c = chan[e]
            base = (c // cin_g) * out_g
            for k in range(cnt[e]):
                row = d[n, pos[e, k], base + j0:base + j1]
                wk = wt[c, tap[e, k], j0:j1]
                for j in range(j1 - j0):
                    row[j] += v * wk[j]
    return d


@numba.njit(cache=True, parallel=True)
def _add_stamped(y, d, stamp, call):
    """``y[n, o, p] += d[n, p, o]`` at the positions stamped ``call``, in blocks of positions."""
    N, O, P = y.shape
    B = 128
    nb = (P + B - 1) // B
    for q in numba.prange(N * nb):
        n = q // nb
        p0 = (q % nb) * B
        p1 = min(P, p0 + B)
        st = stamp[n, p0:p1]
        for o in range(O):
            row = y[n, o, p0:p1]
            for p in range(p1 - p0):
                if st[p] == call:
                    row[p] += d[n, p0 + p, o]


_STAMPS: dict = {}    # per thread and shape: the stamp array and the last call's number


def _stamps(shape: tuple[int, int]) -> tuple[np.ndarray, int]:
    """A stamp array of ``shape`` and a number no position of it holds yet (zeros at first)."""
    key = (threading.get_ident(), shape)
    arr, last = _STAMPS.get(key, (None, 0))
    if arr is None:
        arr = np.zeros(shape, np.int64)
    _STAMPS[key] = (arr, last + 1)
    return arr, last + 1


def conv_delta(x: np.ndarray, xr: np.ndarray, y: np.ndarray, wt: np.ndarray, win: Window, group: int,
               counts: np.ndarray | None = None) -> None:
    """``y`` (C-contiguous float64 [N, O, *out_sp], the convolution of ``xr``) becomes the
    convolution of ``x`` [N, C, *sp] (float64, C order) and ``xr`` (int8, ``x``'s shape) becomes
    ``x``, in place. ``wt``: the weights in the scatter layout [C, *kernel, O/group]
    (:func:`accelsim.kernels.conv.scatter_weights`); ``counts``: the changes per sample when known
    (:func:`changes`). The changes scatter into a channel-last difference at the positions they
    reach (the scatter kernel's order), then those positions are added to ``y``. Exact only under
    :func:`delta_exact` with ``x`` integer-valued and ``|x| <= REF_MAX``."""
    N, O, C = y.shape[0], y.shape[1], x.shape[1]
    if counts is None:
        counts = changes(x, xr)
    offsets = np.zeros(N + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    E = int(offsets[-1])
    idx = np.empty(E, np.int64)
    val = np.empty(E, np.float64)
    _change_list(x.reshape(N, -1), xr.reshape(N, -1), offsets, idx, val)
    if not E:
        return
    taps = win.taps
    chan = np.empty(E, np.int64)
    cnt = np.empty(E, np.int64)
    pos = np.empty((E, taps), np.int32)
    tap = np.empty((E, taps), np.int32)
    _event_taps(idx, C, *win.in_sp, *win.kernel, *win.out_sp, *win.strides, *win.dilations, *win.pads_begin,
                chan, cnt, pos, tap)
    P = win.out_positions
    d = scratch.buffer("conv_delta", (N, P, O), np.float64)
    stamp, call = _stamps((N, P))
    _scatter_changes(offsets, val, chan, cnt, pos, tap, wt.reshape(C, taps, O // group), d, stamp, call,
                     C // group, O // group, output_blocks(N, O // group))
    _add_stamped(y.reshape(N, O, P), d, stamp, call)


def conv_delta_reference(x: np.ndarray, xr: np.ndarray, y: np.ndarray, w: np.ndarray, win: Window,
                         group: int) -> np.ndarray:
    """numpy reference: ``y + conv(x - xr)`` (a new array; nothing is updated)."""
    d = np.asarray(x, dtype=np.float64) - np.asarray(xr, dtype=np.float64)
    return y + conv_reference(d, w, None, win, group)

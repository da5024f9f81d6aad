"""im2col: the input each kernel tap of a windowed operator sees at each output position, laid out
for one GEMM per group (:mod:`accelsim.kernels.gemm`).

``cols[c, tap, n, od, oh, ow] = x[n, c, od*sd + kd*dd - pd, oh*sh + kh*dh - ph, ow*sw + kw*dw - pw]``
(0 where that index falls in the padding), taps ordered (kd, kh, kw) like the weights, so
``cols.reshape(group, C/group * taps, N * positions)`` is the right operand of the GEMM.

:func:`im2col_into` is one parallel numba pass from the input as it arrives (float64 spikes, or any
float dtype) to the columns in the GEMM's dtype, padding included: no cast copy of the input, no
padded copy, no per-tap slice copies. Every element is one value of ``x`` converted to the columns'
dtype (``float64 -> float32`` rounds to nearest, as numpy's ``astype``) or ``+0.0`` in the padding,
so the result is bit for bit :func:`im2col_reference` (the numpy version it replaces: cast,
transpose, pad, one slice copy per tap; kept for tests) whatever the thread count: each (channel,
tap) row block is written by one task.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numba
import numpy as np

from accelsim.kernels.conv import _padded, window_slices
from accelsim.kernels.window import Window


PARALLEL_MIN = 1 << 20   # elements below which the GEMM path's passes run on one thread


@contextmanager
def one_thread_below(elements: int) -> Iterator[None]:
    """Run a block's numba kernels on one thread when they touch fewer than :data:`PARALLEL_MIN`
    elements (~0.2 ms of work on one thread): a parallel region's fork and join cost tens of
    microseconds on a quiet machine and up to a scheduler slice (milliseconds) on a busy one, more
    than such a pass gains. The split changes no bit (each element is written by one task)."""
    nt = numba.get_num_threads()
    if nt == 1 or elements >= PARALLEL_MIN:
        yield
        return
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(nt)


def im2col_into(x5: np.ndarray, win: Window, cols: np.ndarray, chans: np.ndarray | None = None) -> np.ndarray:
    """Write the columns of ``x5`` [N, C, D, H, W] (any float dtype) into ``cols``
    [C, taps, N, OD, OH, OW] (float32 or float64, C-contiguous, e.g. a :mod:`.scratch` buffer);
    returns ``cols``. ``chans``: only these channels of ``x5`` (int64 indices), in their order, as
    the rows of ``cols`` [len(chans), taps, N, ...]."""
    N, C = x5.shape[:2]
    if chans is None:
        chans = _all_channels(C)
    else:
        chans = np.asarray(chans)
        if chans.ndim != 1 or (chans.size and not np.issubdtype(chans.dtype, np.integer)):
            raise ValueError(f"im2col: channels must be a 1-D array of integers, got {chans.dtype} {chans.shape}")
        if len(chans) and (int(chans.min()) < 0 or int(chans.max()) >= C):
            raise ValueError(f"im2col: channels {chans} outside 0..{C - 1}")
    want = (len(chans), win.taps, N) + win.out_sp
    if cols.shape != want or not cols.flags.c_contiguous:
        raise ValueError(f"im2col: columns of shape {cols.shape}, want {want} C-contiguous")
    if cols.size:
        with one_thread_below(cols.size):
            _im2col(np.ascontiguousarray(x5), cols, np.ascontiguousarray(chans, dtype=np.int64), *win.kernel,
                    *win.strides, *win.dilations, *win.pads_begin)
    return cols


_CHANNELS: dict[int, np.ndarray] = {}


def _all_channels(C: int) -> np.ndarray:
    """``arange(C)`` as int64, kept per C (read only)."""
    a = _CHANNELS.get(C)
    if a is None:
        a = _CHANNELS[C] = np.arange(C, dtype=np.int64)
        a.flags.writeable = False
    return a


@numba.njit(cache=True, parallel=True, fastmath=False)
def _im2col(x, cols, chans, KD, KH, KW, sd, sh, sw, dd, dh, dw, pd, ph, pw):
    """Parallel over (row channel, tap): task ``q`` writes block ``q`` ([N, OD, OH, OW]) of ``cols``
    from channel ``chans[q // taps]`` of ``x``."""
    N, C, D, H, W = x.shape
    OD, OH, OW = cols.shape[3], cols.shape[4], cols.shape[5]
    xf = x.reshape(-1)
    cf = cols.reshape(-1)
    taps = KD * KH * KW
    for q in numba.prange(chans.shape[0] * taps):
        _im2col_block(xf, cf, q, chans[q // taps], N, C, D, H, W, OD, OH, OW, KD, KH, KW, sd, sh, sw, dd, dh, dw,
                      pd, ph, pw)
    return cols


@numba.njit(cache=True, fastmath=False)
def _im2col_block(xf, cf, q, c, N, C, D, H, W, OD, OH, OW, KD, KH, KW, sd, sh, sw, dd, dh, dw, pd, ph, pw):
    """One (channel, tap) block of :func:`_im2col` on the flat arrays: block ``q`` of the columns
    from channel ``c`` of the input. Per output row, the valid
    ``ow`` range is copied and the rest zero-filled. A function of its own, not the prange body:
    numba's parallel loop body compiled ~2x slower here. Indices are unsigned (wrapping where an
    offset is negative, the sum is in range): numba adds no negative-index check to the copy loops.
    (The rows are short, 20-50 elements: no per-row array views either.)"""
    taps = KD * KH * KW
    t = q % taps
    kd = t // (KH * KW)
    kh = (t // KW) % KH
    kw = t % KW
    off = kw * dw - pw                                   # iw = ow * sw + off
    ow0 = min(OW, max(0, -(off // sw)))                  # first ow with iw >= 0: ceil(-off / sw)
    ow1 = min(OW, max(ow0, (W - 1 - off) // sw + 1))     # past the last ow with iw <= W - 1
    zero = cf.dtype.type(0.0)
    u0, u1, uw, us = numba.uint64(ow0), numba.uint64(ow1), numba.uint64(OW), numba.uint64(sw)
    o = q * N * OD * OH * OW
    for n in range(N):
        xc = (n * C + c) * D
        for od in range(OD):
            i_d = od * sd + kd * dd - pd
            for oh in range(OH):
                ih = oh * sh + kh * dh - ph
                uo = numba.uint64(o)
                if i_d < 0 or i_d >= D or ih < 0 or ih >= H:
                    for i in range(uw):
                        cf[uo + i] = zero
                else:
                    ux = numba.uint64(((xc + i_d) * H + ih) * W + off)
                    for i in range(u0):
                        cf[uo + i] = zero
                    if sw == 1:
                        for i in range(u0, u1):
                            cf[uo + i] = xf[ux + i]
                    else:
                        for i in range(u0, u1):
                            cf[uo + i] = xf[ux + i * us]
                    for i in range(u1, uw):
                        cf[uo + i] = zero
                o += OW


def im2col_reference(x5: np.ndarray, win: Window, dtype) -> np.ndarray:
    """The numpy version (cast, transpose to [C, N, ...], pad with +0.0, one slice copy per tap),
    [C, taps, N, OD, OH, OW] in ``dtype``: the reference :func:`im2col_into` is tested against."""
    N, C = x5.shape[:2]
    xt = x5.astype(dtype).transpose(1, 0, 2, 3, 4)          # [C, N, D, H, W]
    xp = _padded(xt, win)
    cols = np.empty((C, win.taps, N) + win.out_sp, dtype)
    for i, (_, sl) in enumerate(window_slices(win)):
        cols[:, i] = xp[sl]
    return cols

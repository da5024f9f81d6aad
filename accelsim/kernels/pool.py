"""Average, max and spiking max pooling (1-D/2-D/3-D) in numpy.

The spiking max-pool (:func:`spike_max_pool_step`) keeps per sample a running total
per input element and a running maximum per window (the equations of
:class:`accelsim.workload.ops.pool.SpikeMaxPool`)."""
from __future__ import annotations

import numpy as np

from accelsim.kernels.conv import _padded, window_slices
from accelsim.kernels.window import Window


def max_pool(x: np.ndarray, win: Window) -> np.ndarray:
    xp = _padded(win.reshape_in(x).astype(np.float64), win, fill=-np.inf)
    y = np.full(x.shape[:2] + win.out_sp, -np.inf)
    for _, sl in window_slices(win):
        np.maximum(y, xp[sl], out=y)
    return win.reshape_out(y)


def avg_pool(x: np.ndarray, win: Window, count_include_pad: bool = False) -> np.ndarray:
    xp = _padded(win.reshape_in(x).astype(np.float64), win)
    y = np.zeros(x.shape[:2] + win.out_sp)
    for _, sl in window_slices(win):
        y += xp[sl]
    if count_include_pad:
        y /= win.taps
    else:
        ones = _padded(np.ones((1, 1) + win.in_sp), win)
        cnt = np.zeros((1, 1) + win.out_sp)
        for _, sl in window_slices(win):
            cnt += ones[sl]
        y /= cnt
    return win.reshape_out(y)


def spike_max_pool_step(x: np.ndarray, totals: np.ndarray, maxima: np.ndarray, win: Window) -> np.ndarray:
    """One step of the spiking max-pool: ``totals += x``, new window maxima of the totals, and
    the output ``y = new maxima - old maxima``; ``totals`` (shaped as ``x``) and ``maxima``
    (shaped as ``y``) are updated in place."""
    totals += x
    m = max_pool(totals, win)
    y = m - maxima
    maxima[...] = m
    return y

"""Average and max pooling (1-D/2-D/3-D) in numpy."""
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

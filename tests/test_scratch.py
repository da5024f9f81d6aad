"""Reused work buffers of the GEMM path (accelsim/kernels/scratch.py)."""
from __future__ import annotations

import threading

import numpy as np

from accelsim.kernels import gemm, scratch
from accelsim.kernels.conv import conv_reference
from accelsim.kernels.window import Window


def test_buffer_is_reused_grown_and_per_thread():
    scratch.release()
    a = scratch.buffer("t", (4, 8), np.float64)
    b = scratch.buffer("t", (2, 3), np.float32)
    assert a.shape == (4, 8) and b.shape == (2, 3) and b.dtype == np.float32
    assert np.shares_memory(a, b)                       # the same memory, handed out again
    c = scratch.buffer("t", (100, 100), np.float64)     # larger: a new, grown buffer
    assert c.shape == (100, 100) and scratch.held_bytes() == 100 * 100 * 8
    other = []
    th = threading.Thread(target=lambda: other.append(scratch.buffer("t", (100, 100), np.float64)))
    th.start()
    th.join()
    assert not np.shares_memory(c, other[0])            # another thread has its own
    scratch.release()
    assert scratch.held_bytes() == 0


def test_consecutive_conv_gemm_results_do_not_alias_the_buffers():
    """Two calls in a row (the second reusing the first's im2col and GEMM-output buffers) both equal the
    numpy reference: no result is a view of a reused buffer."""
    rng = np.random.default_rng(3)
    w = rng.integers(-3, 4, size=(6, 4, 3, 3)).astype(np.float64)
    x1 = (rng.random((2, 4, 9, 9)) < 0.4).astype(np.float64)
    x2 = (rng.random((2, 4, 9, 9)) < 0.4).astype(np.float64)
    win = Window.make((9, 9), (3, 3), strides=(2, 2), pads=(1, 1, 1, 1), dilations=(1, 1))
    y1 = gemm.conv_gemm(x1, w, None, win, 1, np.float64)
    y2 = gemm.conv_gemm(x2, w, None, win, 1, np.float64)
    np.testing.assert_array_equal(y1, conv_reference(x1, w, None, win, 1))
    np.testing.assert_array_equal(y2, conv_reference(x2, w, None, win, 1))

"""Fully connected layers (Gemm / MatMul): event-driven kernel and numpy reference."""
from __future__ import annotations

import numba
import numpy as np

from accelsim.kernels.conv import output_blocks


@numba.njit(cache=True, parallel=True)
def _dense_scatter(a, wt, out, nj):
    N, K = a.shape
    M = wt.shape[1]
    jb = (M + nj - 1) // nj
    for q in numba.prange(N * nj):   # tasks: (sample, block of outputs)
        n = q // nj
        j0 = (q % nj) * jb
        j1 = min(M, j0 + jb)
        on = out[n, j0:j1]
        for i in range(K):
            v = a[n, i]
            if v == 0.0:
                continue
            wi = wt[i, j0:j1]
            for j in range(j1 - j0):
                on[j] += v * wi[j]
    return out


def dense_events(a: np.ndarray, wt: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """``a`` [N, K] @ ``wt`` [K, M] (+ bias), scattering only non-zero inputs."""
    out = np.zeros((a.shape[0], wt.shape[1]), dtype=np.float64)
    _dense_scatter(np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(wt, dtype=np.float64), out,
                   output_blocks(a.shape[0], wt.shape[1]))
    if bias is not None:
        out += bias
    return out


def dense_reference(a: np.ndarray, wt: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    out = a.astype(np.float64) @ wt.astype(np.float64)
    if bias is not None:
        out = out + bias
    return out

"""Fully connected layers (Gemm / MatMul): event-driven kernel and numpy reference."""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, parallel=True)
def _dense_scatter(a, wt, out):
    N, K = a.shape
    M = wt.shape[1]
    for n in numba.prange(N):
        for i in range(K):
            v = a[n, i]
            if v == 0.0:
                continue
            for j in range(M):
                out[n, j] += v * wt[i, j]
    return out


def dense_events(a: np.ndarray, wt: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """``a`` [N, K] @ ``wt`` [K, M] (+ bias), scattering only non-zero inputs."""
    out = np.zeros((a.shape[0], wt.shape[1]), dtype=np.float64)
    _dense_scatter(np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(wt, dtype=np.float64), out)
    if bias is not None:
        out += bias
    return out


def dense_reference(a: np.ndarray, wt: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    out = a.astype(np.float64) @ wt.astype(np.float64)
    if bias is not None:
        out = out + bias
    return out

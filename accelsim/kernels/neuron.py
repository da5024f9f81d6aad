"""Neuron dynamics, one time step, in place.

LIF (IF is leak = 1), per neuron parameters flattened to the neuron count M::

    v <- leak * v + i
    s  = v >= threshold
    v <- v - threshold * s          (reset by subtraction)
    v <- where(s, v_reset, v)       (reset to zero / v_reset)

``v`` and ``i`` are [N, M] float64; ``leak`` and ``threshold`` are [M].
The numba kernel and the numpy reference give bit-identical results.
"""
from __future__ import annotations

import numba
import numpy as np

RESET_SUBTRACT = 0
RESET_ZERO = 1


@numba.njit(cache=True, parallel=True)
def _lif_step(v, i, leak, thr, reset_mode, v_reset, s):
    N, M = v.shape
    for n in numba.prange(N):
        for k in range(M):
            u = leak[k] * v[n, k] + i[n, k]
            if u >= thr[k]:
                s[n, k] = 1.0
                if reset_mode == 0:
                    u = u - thr[k]
                else:
                    u = v_reset
            else:
                s[n, k] = 0.0
            v[n, k] = u


def lif_step(v: np.ndarray, i: np.ndarray, leak: np.ndarray, thr: np.ndarray, reset_mode: int,
             v_reset: float = 0.0) -> np.ndarray:
    """Advance ``v`` one step in place; returns the spikes (0.0/1.0) as [N, M]."""
    s = np.empty_like(v)
    _lif_step(v, np.ascontiguousarray(i, dtype=np.float64), leak, thr, reset_mode, v_reset, s)
    return s


def lif_step_reference(v: np.ndarray, i: np.ndarray, leak: np.ndarray, thr: np.ndarray, reset_mode: int,
                       v_reset: float = 0.0) -> np.ndarray:
    u = leak * v + i
    s = u >= thr
    if reset_mode == RESET_SUBTRACT:
        u = np.where(s, u - thr, u)
    else:
        u = np.where(s, v_reset, u)
    v[...] = u
    return s.astype(np.float64)

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


# --------------------------------------------------------------------------
# NIR-style neurons: leaky integrator (LI) and current-based LIF (CubaLIF).
# Per neuron parameters are [M]; states ``v`` (and ``isyn``) are [N, M], updated in place.
#
#   LI:       v <- leak * v + gain * i + bias                          (output: v)
#   CubaLIF:  isyn <- syn_leak * isyn + w_in * i
#             v <- leak * v + gain * isyn + bias
#             s  = v > thr  (strict)
#             v <- v - thr * s  (subtract)  or  where(s, v_reset, v)  (zero)

@numba.njit(cache=True, parallel=True)
def _li_step(v, i, leak, gain, bias):
    N, M = v.shape
    for n in numba.prange(N):
        for k in range(M):
            v[n, k] = leak[k] * v[n, k] + gain[k] * i[n, k] + bias[k]


def li_step(v: np.ndarray, i: np.ndarray, leak: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Advance ``v`` one step in place; returns a copy of the membrane (the LI's output)."""
    _li_step(v, np.ascontiguousarray(i, dtype=np.float64), leak, gain, bias)
    return v.copy()


def li_step_reference(v, i, leak, gain, bias) -> np.ndarray:
    v[...] = leak * v + gain * i + bias
    return v.copy()


@numba.njit(cache=True, parallel=True)
def _cuba_lif_step(v, isyn, i, syn_leak, w_in, leak, gain, bias, thr, reset_mode, v_reset, s):
    N, M = v.shape
    for n in numba.prange(N):
        for k in range(M):
            c = syn_leak[k] * isyn[n, k] + w_in[k] * i[n, k]
            isyn[n, k] = c
            u = leak[k] * v[n, k] + gain[k] * c + bias[k]
            if u > thr[k]:
                s[n, k] = 1.0
                if reset_mode == 0:
                    u = u - thr[k]
                else:
                    u = v_reset
            else:
                s[n, k] = 0.0
            v[n, k] = u


def cuba_lif_step(v, isyn, i, syn_leak, w_in, leak, gain, bias, thr, reset_mode: int, v_reset: float = 0.0) -> np.ndarray:
    """Advance ``isyn`` and ``v`` one step in place; returns the spikes (0.0/1.0) as [N, M]."""
    s = np.empty_like(v)
    _cuba_lif_step(v, isyn, np.ascontiguousarray(i, dtype=np.float64), syn_leak, w_in, leak, gain, bias, thr,
                   reset_mode, v_reset, s)
    return s


def cuba_lif_step_reference(v, isyn, i, syn_leak, w_in, leak, gain, bias, thr, reset_mode: int,
                            v_reset: float = 0.0) -> np.ndarray:
    isyn[...] = syn_leak * isyn + w_in * i
    u = leak * v + gain * isyn + bias
    s = u > thr
    if reset_mode == RESET_SUBTRACT:
        u = np.where(s, u - thr, u)
    else:
        u = np.where(s, v_reset, u)
    v[...] = u
    return s.astype(np.float64)

"""The spike core's integer neuron datapath (``core.numerics: fixed``): one update of every neuron
of a layer, in integers, as a digital datapath of ``core.vmem_bits`` computes it.

Every neuron kind with a fixed-point form (:class:`accelsim.neurons.base.FixedForm`) runs through
this one datapath. All values are integers: states and the incoming current in membrane LSBs,
multipliers with ``f`` fractional bits (``core.leak_frac_bits``). Per neuron, one step::

    c    = I                                                  (current, membrane LSBs)
    isyn = hold(decay(isyn, syn_leak) + mul(c, w_in)); c = isyn    (kinds with a synaptic state)
    v    = hold(decay(v, leak) + mul(c, gain) + bias)
    s    = v > thr (strict) or v >= thr;  where s: v -= thr (subtract) or v = v_reset (zero)

with ``mul(x, m) = (x * m + 2^(f-1)) >> f`` (round half up; exact when ``m = 2^f``, i.e. 1.0),
``decay`` the multiplier ``mul(x, leak)`` or, with ``core.leak_mode: shift``, ``x - (x >> k)``
(``k = -1``: no decay), and ``hold`` keeping the value in a ``vmem_bits`` word: saturate to
``[-2^(b-1), 2^(b-1) - 1]`` or wrap (two's complement), each out-of-range value counted as one
overflow event. ``>>`` is the arithmetic shift (floor). The numba kernel and the numpy reference
give the same integers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.hw.quantize import saturate, word_range


@dataclass(frozen=True)
class DatapathParams:
    """Per neuron [M] int64 words of one layer's datapath, and its word format."""

    leak_m: np.ndarray        # membrane decay multiplier (multiply mode)
    leak_k: np.ndarray        # membrane decay shift (shift mode; -1: none)
    gain_m: np.ndarray        # multiplier of the current into the membrane
    bias: np.ndarray          # constant drive per step (membrane LSBs)
    thr: np.ndarray           # threshold (membrane LSBs)
    syn_m: np.ndarray         # synaptic-current decay multiplier
    syn_k: np.ndarray         # synaptic-current decay shift
    w_in_m: np.ndarray        # multiplier of the input into the synaptic current
    has_syn: bool             # the kind has a synaptic-current state
    spiking: bool
    strict: bool              # fire when v > thr (else v >= thr)
    reset_zero: bool          # reset to v_reset (else subtract thr)
    v_reset: np.ndarray       # value after a reset to zero (LSBs)
    frac_bits: int            # fractional bits of the multipliers
    shift_mode: bool          # decays as shifts
    vmem_bits: int
    wrap: bool                # wrap on overflow (else saturate)


@numba.njit(cache=True, inline="always")
def _mul(x, m, f):
    if m == (1 << f):
        return x
    return (x * m + (1 << (f - 1))) >> f


@numba.njit(cache=True, inline="always")
def _decay(x, m, k, f, shift_mode):
    if shift_mode:
        if k < 0:
            return x
        return x - (x >> k)
    return _mul(x, m, f)


@numba.njit(cache=True, inline="always")
def _hold(x, lo, hi, wrap):
    if x < lo or x > hi:
        if wrap:
            return (x - lo) % (hi - lo + 1) + lo, 1
        return (lo if x < lo else hi), 1
    return x, 0


@numba.njit(cache=True, parallel=True)
def _datapath_step(v, isyn, i, leak_m, leak_k, gain_m, bias, thr, syn_m, syn_k, w_in_m, has_syn, spiking,
                   strict, reset_zero, v_reset, f, shift_mode, lo, hi, wrap, s, ovf):
    N, M = v.shape
    for n in numba.prange(N):
        count = 0
        for k in range(M):
            c = i[n, k]
            if has_syn:
                c, o = _hold(_decay(isyn[n, k], syn_m[k], syn_k[k], f, shift_mode) + _mul(c, w_in_m[k], f),
                             lo, hi, wrap)
                count += o
                isyn[n, k] = c
            u, o = _hold(_decay(v[n, k], leak_m[k], leak_k[k], f, shift_mode) + _mul(c, gain_m[k], f) + bias[k],
                         lo, hi, wrap)
            count += o
            s[n, k] = 0
            if spiking:
                fire = u > thr[k] if strict else u >= thr[k]
                if fire:
                    s[n, k] = 1
                    u = v_reset[k] if reset_zero else u - thr[k]
            v[n, k] = u
        ovf[n] = count


def datapath_step(v: np.ndarray, isyn: np.ndarray, i: np.ndarray, p: DatapathParams) -> tuple[np.ndarray, int]:
    """Advance ``v`` (and ``isyn``) [N, M] int64 in place by the integer current ``i``; returns
    (spikes [N, M] int8, overflow events)."""
    lo, hi = word_range(p.vmem_bits)
    s = np.empty(v.shape, np.int8)
    ovf = np.zeros(v.shape[0], np.int64)
    _datapath_step(v, isyn, np.ascontiguousarray(i, dtype=np.int64), p.leak_m, p.leak_k, p.gain_m, p.bias, p.thr,
                   p.syn_m, p.syn_k, p.w_in_m, p.has_syn, p.spiking, p.strict, p.reset_zero, p.v_reset,
                   p.frac_bits, p.shift_mode, lo, hi, p.wrap, s, ovf)
    return s, int(ovf.sum())


def _mul_ref(x: np.ndarray, m: np.ndarray, f: int) -> np.ndarray:
    return np.where(m == (1 << f), x, (x * m + (1 << (f - 1))) >> f)


def _decay_ref(x: np.ndarray, m: np.ndarray, k: np.ndarray, f: int, shift_mode: bool) -> np.ndarray:
    if shift_mode:
        return np.where(k < 0, x, x - (x >> np.maximum(k, 0)))
    return _mul_ref(x, m, f)


def datapath_step_reference(v: np.ndarray, isyn: np.ndarray, i: np.ndarray,
                            p: DatapathParams) -> tuple[np.ndarray, int]:
    """numpy reference of :func:`datapath_step` (the same integers)."""
    f, overflows = p.frac_bits, 0
    c = np.asarray(i, dtype=np.int64)
    if p.has_syn:
        c, o = saturate(_decay_ref(isyn, p.syn_m, p.syn_k, f, p.shift_mode) + _mul_ref(c, p.w_in_m, f),
                        p.vmem_bits, p.wrap)
        overflows += int(o.sum())
        isyn[...] = c
    u, o = saturate(_decay_ref(v, p.leak_m, p.leak_k, f, p.shift_mode) + _mul_ref(c, p.gain_m, f) + p.bias,
                    p.vmem_bits, p.wrap)
    overflows += int(o.sum())
    if p.spiking:
        s = u > p.thr if p.strict else u >= p.thr
        u = np.where(s, p.v_reset if p.reset_zero else u - p.thr, u)
    else:
        s = np.zeros(u.shape, bool)
    v[...] = u
    return s.astype(np.int8), overflows

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
from typing import Optional

import numba
import numpy as np

from accelsim.hw.quantize import saturate, word_range
from accelsim.neurons.base import neuron_blocks


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


@numba.njit(cache=True, inline="always")
def _update(v, isyn, c, j, leak_m, leak_k, gain_m, bias, thr, syn_m, syn_k, w_in_m, has_syn, spiking, strict, f,
            shift_mode, lo, hi, wrap):
    """One neuron's step from membrane ``v``, synaptic state ``isyn`` and current ``c`` (parameters at
    index ``j``): (held membrane before any reset, new isyn, fired, overflow events)."""
    count = 0
    if has_syn:
        isyn, o = _hold(_decay(isyn, syn_m[j], syn_k[j], f, shift_mode) + _mul(c, w_in_m[j], f), lo, hi, wrap)
        count += o
        c = isyn
    u, o = _hold(_decay(v, leak_m[j], leak_k[j], f, shift_mode) + _mul(c, gain_m[j], f) + bias[j], lo, hi, wrap)
    count += o
    fire = False
    if spiking:
        fire = u > thr[j] if strict else u >= thr[j]
    return u, isyn, fire, count


# ---------------------------------------------------------------------------
# One pass per step from the real-valued current (the executors' path)

INT64_MIN = np.iinfo(np.int64).min
CHUNK = 1024   # neurons whose currents are converted before their updates (an 8 KiB buffer per block)
_TWO63 = 9223372036854775808.0   # 2^63: float64 values in [-2^63, 2^63) convert to int64 exactly


@numba.njit(cache=True, inline="always")
def _to_word(x):
    """``x`` (an integer-valued float64) as int64, as numpy's cast gives it on x86-64: a value out of
    the int64 range, or NaN, becomes ``INT64_MIN`` (the conversion instruction's "indefinite" value;
    written out here because the compiler may assume it does not happen)."""
    if x >= -_TWO63 and x < _TWO63:
        return np.int64(x)
    return INT64_MIN


@numba.njit(cache=True, inline="always")
def _abs(c):
    """``np.abs`` of an int64, which keeps ``INT64_MIN`` (two's complement)."""
    if c >= 0:
        return c
    if c == INT64_MIN:
        return c
    return -c


@numba.njit(cache=True, inline="always")
def _run(v, isyn, i, lsb, leak_m, leak_k, gain_m, bias, thr, syn_m, syn_k, w_in_m, v_reset, f, lo, hi, out, mem,
         has_syn, spiking, strict, reset_zero, shift_mode, wrap, write_out, keep_mem, lstep, pstep):
    """One block of neurons as 1-d views (indices from 0: the compiler knows them non-negative
    and vectorises); returns (overflow events, largest ``|c|``). Inlined into :func:`_compile`'s
    step, where the flags are constants."""
    count = 0
    top = INT64_MIN
    K = v.shape[0]
    cs = np.empty(min(K, CHUNK), np.int64)
    for k0 in range(0, K, CHUNK):
        m = min(CHUNK, K - k0)
        for k in range(m):   # the currents of a chunk first: this loop vectorises whatever the flags
            c = _to_word(np.rint(i[k0 + k] / lsb[(k0 + k) * lstep]))
            cs[k] = c
            a = _abs(c)
            if a > top:
                top = a
        for k in range(m):
            kk = k0 + k
            j = kk * pstep
            u, s, fire, o = _update(v[kk], isyn[kk], cs[k], j, leak_m, leak_k, gain_m, bias, thr, syn_m, syn_k,
                                    w_in_m, has_syn, spiking, strict, f, shift_mode, lo, hi, wrap)
            count += o
            if has_syn:
                isyn[kk] = s
            if keep_mem:
                mem[kk] = u
            if fire:
                u = v_reset[j] if reset_zero else u - thr[j]
            v[kk] = u
            if write_out:
                if spiking:
                    out[kk] = 1.0 if fire else 0.0
                else:
                    out[kk] = u * lsb[kk * lstep]
    return count, top


def _compile(flags: Optional[tuple]):
    """The fused step, compiled with the datapath's ``flags`` as constants when given (closure
    variables are constants to numba, and its cache keys them too: the compiler drops the branches
    they decide and vectorises the loop, ~7x the loop that reads them at run time on this machine),
    else reading them from its ``flags`` argument. ``flags``: (has_syn, spiking, strict, reset_zero,
    shift_mode, wrap, write_out, keep_mem, step); ``step`` 0: one LSB and one set of parameters
    for every neuron (index 0 is read), 1: per neuron; ``keep_mem``: write the membrane before
    reset; ``write_out``: the output."""
    const = flags is not None
    fixed = flags if const else (False,) * 8 + (1,)

    @numba.njit(cache=True, parallel=True)
    def step(v, isyn, i, lsb, leak_m, leak_k, gain_m, bias, thr, syn_m, syn_k, w_in_m, v_reset, f, lo, hi, blocks,
             out, mem, ovf, big, flags):
        has_syn, spiking, strict, reset_zero, shift_mode, wrap, write_out, keep_mem, k = fixed if const else flags
        N, M = v.shape
        size = (M + blocks - 1) // blocks
        for b in numba.prange(N * blocks):   # work item b: sample b // blocks, neuron block b % blocks
            n = b // blocks
            k0 = (b % blocks) * size
            k1 = min(M, k0 + size)
            vs, ss, cs, os_, ms = v[n, k0:k1], isyn[n, k0:k1], i[n, k0:k1], out[n, k0:k1], mem[n, k0:k1]
            if k == 0:   # the stride of the per-neuron arrays as a constant in both branches
                ovf[b], big[b] = _run(vs, ss, cs, lsb[:1], leak_m[:1], leak_k[:1], gain_m[:1], bias[:1], thr[:1],
                                      syn_m[:1], syn_k[:1], w_in_m[:1], v_reset[:1], f, lo, hi, os_, ms, has_syn,
                                      spiking, strict, reset_zero, shift_mode, wrap, write_out, keep_mem, 0, 0)
            else:
                ovf[b], big[b] = _run(vs, ss, cs, lsb[k0:k1], leak_m[k0:k1], leak_k[k0:k1], gain_m[k0:k1],
                                      bias[k0:k1], thr[k0:k1], syn_m[k0:k1], syn_k[k0:k1], w_in_m[k0:k1],
                                      v_reset[k0:k1], f, lo, hi, os_, ms, has_syn, spiking, strict, reset_zero,
                                      shift_mode, wrap, write_out, keep_mem, 1, 1)

    return step


_STEPS: dict[Optional[tuple], object] = {}


def _specialised(flags: tuple) -> bool:
    """Whether ``flags`` get a loop of their own (:func:`_compile`): the executor's forward step of a
    kind without a synaptic state (``v >= thr``, or no threshold) on a saturating datapath with
    multiplier decays (the shipped configurations), keeping the membrane before reset exactly when
    it spikes (either reset); at most six loops (either reset or none, one or per-neuron LSB and parameters).
    The others share the loop that reads the flags at run time (one compilation, not one per
    combination: each costs seconds in a fresh checkout)."""
    has_syn, spiking, strict, reset_zero, shift_mode, wrap, write_out, keep_mem, _ = flags
    if has_syn or strict or shift_mode or wrap or not write_out:
        return False
    return keep_mem == spiking


def _fixed_step(flags: tuple):
    """The compiled fused step for ``flags`` (:func:`_compile`), built once per process."""
    key = flags if _specialised(flags) else None
    fn = _STEPS.get(key)
    if fn is None:
        fn = _STEPS[key] = _compile(key)
    return fn


def _uniform(*arrays: np.ndarray) -> bool:
    return all(a.size == 0 or bool(np.all(a == a.reshape(-1)[0])) for a in arrays)


class FixedStep:
    """The datapath of one layer stepped from its real-valued input current in one pass
    (:func:`_fixed_step`): what ``to_fixed(i, lsb)`` (``rint(i / lsb)`` as int64) then
    :func:`datapath_step_reference` give, without their temporaries.

    ``lsb`` [M]: the membrane LSB per neuron. The conversion is the same IEEE division and
    round-half-even as numpy's, and out-of-range values convert as numpy's cast does, so every
    integer is the same (``tests/test_datapath_fused.py``). Fewer samples than threads: each
    sample's neurons are split over the threads (:func:`accelsim.neurons.base.neuron_blocks`)."""

    def __init__(self, p: DatapathParams, lsb: np.ndarray):
        self.p = p
        self.lsb = np.ascontiguousarray(lsb, dtype=np.float64)
        uniform = _uniform(self.lsb, p.leak_m, p.leak_k, p.gain_m, p.bias, p.thr, p.syn_m, p.syn_k, p.w_in_m,
                           p.v_reset)
        self.step = 0 if uniform else 1      # 0: every neuron reads index 0 of the LSB and the parameters
        # without a threshold nothing fires: strict and reset_zero change nothing, so they do not split loops
        self._flags = tuple(bool(x) for x in (p.has_syn, p.spiking, p.strict and p.spiking, p.reset_zero and p.spiking,
                                              p.shift_mode, p.wrap))
        self.lo, self.hi = word_range(p.vmem_bits)
        self._none = np.empty((0, 0))
        self._none_int = np.empty((0, 0), np.int64)

    def blocks(self, n: int, m: int) -> int:
        return neuron_blocks(n, m)

    def __call__(self, v: np.ndarray, isyn: np.ndarray, i: np.ndarray, out: Optional[np.ndarray] = None,
                 mem: Optional[np.ndarray] = None) -> tuple[int, int]:
        """Advance ``v`` (and ``isyn``) [N, M] int64 in place by the current ``i`` [N, M] (real, in
        units of ``lsb``); write the output into ``out`` [N, M] float64 (spikes 0.0/1.0, or ``v lsb``
        for a kind without a threshold) and the membrane before reset into ``mem`` [N, M] int64,
        each when given. Returns (overflow events, largest ``|rint(i / lsb)|``: ``INT64_MIN`` when
        none, as ``np.abs(...).max()`` of the int64 currents gives it)."""
        p = self.p
        N, M = v.shape
        blocks = self.blocks(N, M)
        ovf = np.empty(N * blocks, np.int64)
        big = np.empty(N * blocks, np.int64)
        i = np.ascontiguousarray(i, dtype=np.float64)
        flags = self._flags + (out is not None, mem is not None, self.step)
        _fixed_step(flags)(v, isyn, i, self.lsb, p.leak_m, p.leak_k, p.gain_m, p.bias, p.thr, p.syn_m, p.syn_k, p.w_in_m,
                         p.v_reset, p.frac_bits, self.lo, self.hi, blocks, self._none if out is None else out,
                         self._none_int if mem is None else mem, ovf, big, flags)
        return int(ovf.sum()), int(big.max()) if big.size else INT64_MIN


def _mul_ref(x: np.ndarray, m: np.ndarray, f: int) -> np.ndarray:
    return np.where(m == (1 << f), x, (x * m + (1 << (f - 1))) >> f)


def _decay_ref(x: np.ndarray, m: np.ndarray, k: np.ndarray, f: int, shift_mode: bool) -> np.ndarray:
    if shift_mode:
        return np.where(k < 0, x, x - (x >> np.maximum(k, 0)))
    return _mul_ref(x, m, f)


def datapath_step_reference(v: np.ndarray, isyn: np.ndarray, i: np.ndarray,
                            p: DatapathParams) -> tuple[np.ndarray, int]:
    """The numpy specification of one step of every neuron from the integer current ``i``: (spikes
    int8, overflow events); :class:`FixedStep` gives the same integers from the real-valued current."""
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

"""When is a dot product exact in any summation order?

A float value that is an integer multiple of ``2^e`` with ``|v| / 2^e < 2^p`` is held exactly
by a float format with a ``p``-bit significand (53 for float64, 24 for float32), as long as
``e`` is not below the format's smallest subnormal step. For a dot product ``sum_i x_i w_i``
with every ``x_i`` a multiple of ``2^ex`` and every ``w_i`` a multiple of ``2^ew``, every
product and every partial sum, in whatever order and grouping they are added (fused
multiply-adds included), is a multiple of ``2^(ex + ew)`` no larger in magnitude than

    B * 2^(ex + ew),    B = max|x| * max_o sum_i |w_oi| / 2^(ex + ew)

so when ``B < 2^p`` every intermediate is representable and the result is the exact sum,
bit for bit the same from a sequential scatter loop, a blocked BLAS GEMM or any thread split.
:func:`gemm_dtype` applies this bound: float32 when ``B < 2^24``, float64 when
``B < 2^53``, else None (the caller keeps its reference summation order).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numba
import numpy as np

# significand bits (with the implicit one), lowest exponent of a subnormal step, largest exponent
_FORMATS = ((np.float32, 24, -149, 127), (np.float64, 53, -1074, 1023))


@dataclass(frozen=True)
class Grain:
    """Every value of an array is an integer multiple of ``2^exp`` and at most ``amax`` in magnitude."""

    amax: float
    exp: int


def grain(a: np.ndarray) -> Optional[Grain]:
    """The :class:`Grain` of ``a`` (None when a value is not finite).

    Integer-valued arrays (spikes, quantised weights) take a fast path with ``exp = 0`` (a
    coarser true grain only makes the bound of :func:`gemm_dtype` conservative)."""
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return Grain(0.0, 0)
    amax, integral = _scan(a.reshape(-1))
    if not np.isfinite(amax):
        return None
    if integral:
        return Grain(amax, 0)
    return fine_grain(a, amax)


def fine_grain(a: np.ndarray, amax: float) -> Grain:
    """The exact :class:`Grain` of finite float64 values ``a`` whose largest magnitude is ``amax``:
    the lowest set bit of any non-zero value's significand (what :func:`grain` finds when a value
    is not an integer)."""
    nz = a[a != 0.0]
    if not nz.size:
        return Grain(amax, 0)
    mant, ex = np.frexp(np.abs(nz))                        # |v| = mant * 2^ex, mant in [0.5, 1)
    m = np.ldexp(mant, 53).astype(np.int64)                # the 53-bit significand as an integer
    low = np.frexp((m & -m).astype(np.float64))[1] - 1     # its lowest set bit
    return Grain(amax, int(np.min(ex - 53 + low)))


@numba.njit(cache=True)
def _scan(a):
    """(max |a|, whether every value is an integer) in one pass; NaN gives a NaN maximum."""
    amax = 0.0
    integral = True
    for v in a:
        m = abs(v)
        if m != m:             # NaN
            return m, False
        if m > amax:
            amax = m
        if integral and v != np.floor(v):
            integral = False
    return amax, integral


def row_abs_max(w2: np.ndarray) -> float:
    """max over outputs of sum_i |w_oi| for a weight matrix laid out [outputs, inputs]."""
    if not w2.size:
        return 0.0
    return float(_row_abs_max(np.asarray(w2, dtype=np.float64)))


@numba.njit(cache=True)
def _row_abs_max(w2):
    """:func:`row_abs_max` in one pass without a temporary |w| array (a fresh array of the weights'
    size costs page faults at every call on the machines we measure on, docs/performance.md); the
    row sums are taken in index order, as numpy's pairwise sum is not, but the result only bounds
    a sum (:func:`gemm_dtype`) and both are within rounding of each other."""
    best = 0.0
    for o in range(w2.shape[0]):
        acc = 0.0
        for i in range(w2.shape[1]):
            acc += abs(w2[o, i])
        if acc > best or acc != acc:
            best = acc
            if acc != acc:
                return acc
    return best


def gemm_dtype(xg: Optional[Grain], wg: Optional[Grain], w_row_abs: float):
    """The narrowest float dtype in which ``x @ w`` is exact in any order (see the module
    docstring), or None when neither float32 nor float64 is provably exact."""
    if xg is None or wg is None:
        return None
    if xg.amax == 0.0 or w_row_abs == 0.0:
        return np.float32
    e = xg.exp + wg.exp
    bound = np.ldexp(xg.amax * w_row_abs, -e) if -e < 2000 else np.inf
    for dtype, bits, lowest, top in _FORMATS:
        if (bound < 2.0 ** bits and e >= lowest and xg.exp >= lowest and wg.exp >= lowest
                and np.log2(xg.amax) < top and np.log2(w_row_abs) < top and np.log2(xg.amax * w_row_abs) < top):
            return dtype
    return None

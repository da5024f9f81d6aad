"""The fixed-point synapse's output as a current in membrane LSBs (``core.numerics: fixed``,
:mod:`accelsim.hw.core.fixed`): per output element of channel ``o``::

    y <- (rint(y * 2^vmem_frac_bits) + bias_lsb[o]) * lsb[o]

in place on the synaptic kernel's fresh float64 output, one parallel pass (:func:`to_current`), the
same IEEE operations in the same order as the numpy reference :func:`to_current_reference` (a
multiplication by a power of two, round half to even, an addition, a multiplication), so the same
bits; without a bias nothing is added (``-0.0 + 0.0`` would be ``+0.0``).
"""
from __future__ import annotations

from typing import Optional

import numba
import numpy as np


# below this many elements numpy's four in-place passes (in cache) cost about what starting the
# parallel kernel does (measured on this machine: 0.2 ms either way at 200K elements, 3x less with
# the kernel at 2.7M)
PARALLEL_ELEMENTS = 1 << 16


@numba.njit(cache=True, parallel=True)
def _to_current(y, scale, bias, has_bias, lsb):
    N, C, P = y.shape
    for b in numba.prange(N * C):
        n = b // C
        o = b % C
        row = y[n, o]
        q = lsb[o]
        if has_bias:
            add = bias[o]
            for k in range(P):
                row[k] = (np.rint(row[k] * scale) + add) * q
        else:
            for k in range(P):
                row[k] = np.rint(row[k] * scale) * q


def to_current_reference(y: np.ndarray, scale: float, bias: Optional[np.ndarray], lsb: np.ndarray,
                         channel_shape: tuple[int, ...]) -> np.ndarray:
    """numpy reference: in place when ``y`` is a writeable float64 array (else a new array)."""
    c = np.multiply(y, scale, out=y) if y.dtype == np.float64 and y.flags.writeable else y * scale
    np.rint(c, out=c)
    if bias is not None:
        c += bias.reshape(channel_shape)
    c *= lsb.reshape(channel_shape)
    return c


def to_current(y: np.ndarray, scale: float, bias: Optional[np.ndarray], lsb: np.ndarray,
               channel_shape: tuple[int, ...]) -> np.ndarray:
    """``(rint(y scale) + bias) lsb`` with ``bias`` and ``lsb`` per output channel (axis 1 of ``y``
    [N, C, ...]); ``channel_shape`` broadcasts them over ``y`` (``(1, C, 1, ...)`` or ``(1, -1)``).
    One numba pass in place for a writeable C-contiguous float64 ``y`` of at least
    :data:`PARALLEL_ELEMENTS` elements; else the numpy reference (the same bits)."""
    if not (y.dtype == np.float64 and y.flags.writeable and y.flags.c_contiguous and y.ndim >= 2
            and y.size >= PARALLEL_ELEMENTS):
        return to_current_reference(y, scale, bias, lsb, channel_shape)
    n, c = y.shape[0], y.shape[1]
    lsb = np.ascontiguousarray(lsb, dtype=np.float64).reshape(-1)
    if lsb.shape[0] != c or (bias is not None and np.size(bias) != c):
        return to_current_reference(y, scale, bias, lsb, channel_shape)
    b = lsb if bias is None else np.ascontiguousarray(bias, dtype=np.float64).reshape(-1)
    _to_current(y.reshape(n, c, -1), float(scale), b, bias is not None, lsb)
    return y

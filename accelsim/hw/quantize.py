"""The one quantisation module of every engine: the first layer's quantisers (PIM and digital
share them, so at high ADC resolution both compute the same integers) and the fixed-point
words of the spike cores (``core.numerics: fixed``, docs/numerics.md).

* inputs, unsigned: ``q = clip(rint(x / s_x), 0, 2^b - 1)`` with
  ``s_x = input_full_scale / (2^b - 1)``; a DAC cannot drive a negative
  voltage, so negative inputs clip to 0 (counted);
* weights, symmetric per tensor: ``q = rint(w / s_w)`` with
  ``s_w = max|w| / (2^(b-1) - 1)``, so ``q`` is in ``[-(2^(b-1)-1), 2^(b-1)-1]``
  (or per output channel, :func:`weight_scales`);
* states (membrane, synaptic current): two's-complement words of ``b`` bits, integer
  multiples of an LSB, saturating or wrapping (:func:`saturate`);
* multipliers (leak, gain): ``rint(x * 2^f)`` with ``f`` fractional bits, or a leak as a
  shift (:func:`leak_shift`).
"""
from __future__ import annotations

import numpy as np


def input_scale(bits: int, full_scale: float) -> float:
    return full_scale / (2 ** bits - 1)


def quantise_inputs(x: np.ndarray, bits: int, full_scale: float) -> tuple[np.ndarray, float, int]:
    """(integer codes as int32, scale, number of clipped inputs)."""
    top = 2 ** bits - 1
    scale = input_scale(bits, full_scale)
    q = np.rint(np.asarray(x, dtype=np.float64) / scale)
    clipped = int(np.count_nonzero((q < 0) | (q > top)))
    return np.clip(q, 0, top).astype(np.int32), scale, clipped


def weight_scales(w: np.ndarray, bits: int, axis: int) -> np.ndarray:
    """The symmetric scale per index of ``axis``: ``max|w| / (2^(b-1) - 1)`` over the other axes (1 where
    all are 0)."""
    levels = max(2 ** (bits - 1) - 1, 1)
    w = np.asarray(w, dtype=np.float64)
    m = np.max(np.abs(np.moveaxis(w, axis, 0)).reshape(w.shape[axis], -1), axis=1) if w.size else np.zeros(0)
    return np.where(m > 0, m / levels, 1.0)


def weight_scale(w: np.ndarray, bits: int) -> float:
    """The symmetric scale of the whole tensor: ``max|w| / (2^(b-1) - 1)`` (1 when all are 0)."""
    levels = max(2 ** (bits - 1) - 1, 1)  # 1 bit: ternary {-1, 0, 1} (no pure-sign code here)
    m = float(np.max(np.abs(w))) if w.size else 0.0
    return m / levels if m > 0 else 1.0


def quantise_weights(w: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    """(integer weights as int64, scale)."""
    scale = weight_scale(w, bits)
    return np.rint(np.asarray(w, dtype=np.float64) / scale).astype(np.int64), scale


# ---------------------------------------------------------------------------
# Fixed-point words of the spike cores (core.numerics: fixed; docs/numerics.md)

def word_range(bits: int) -> tuple[int, int]:
    """The two's-complement range of a ``bits``-bit word: ``(-2^(b-1), 2^(b-1) - 1)``."""
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def to_fixed(x: np.ndarray, lsb: float) -> np.ndarray:
    """Real values as integer multiples of ``lsb`` (round half to even), int64."""
    return np.rint(np.asarray(x, dtype=np.float64) / lsb).astype(np.int64)


def multiplier(x: np.ndarray, frac_bits: int) -> np.ndarray:
    """A fixed-point multiplier with ``frac_bits`` fractional bits: ``rint(x * 2^frac_bits)``, int64."""
    return np.rint(np.asarray(x, dtype=np.float64) * 2.0 ** frac_bits).astype(np.int64)


def leak_shift(leak: np.ndarray) -> np.ndarray:
    """A leak as a shift ``k`` (``v - (v >> k)``, i.e. ``leak ~ 1 - 2^-k``): ``round(-log2(1 - leak))``
    clipped to [0, 62]; -1 for ``leak = 1`` (no decay), 0 for ``leak = 0`` (the state clears)."""
    leak = np.asarray(leak, dtype=np.float64)
    with np.errstate(divide="ignore"):
        k = np.rint(-np.log2(np.maximum(1.0 - leak, 2.0 ** -62)))
    return np.where(leak >= 1.0, -1, np.clip(k, 0, 62)).astype(np.int64)


def saturate(x: np.ndarray, bits: int, wrap: bool) -> tuple[np.ndarray, np.ndarray]:
    """``x`` held in a ``bits``-bit word: (value, overflowed). Saturation clips to the range; wrap keeps
    the low ``bits`` bits (two's complement). numpy reference of :mod:`accelsim.hw.core.datapath`."""
    lo, hi = word_range(bits)
    over = (x < lo) | (x > hi)
    if wrap:
        return np.mod(x - lo, hi - lo + 1) + lo, over
    return np.clip(x, lo, hi), over

"""Uniform quantisers of the first layer (PIM and digital share them, so at high
ADC resolution both compute the same integers).

* inputs, unsigned: ``q = clip(rint(x / s_x), 0, 2^b - 1)`` with
  ``s_x = input_full_scale / (2^b - 1)``; a DAC cannot drive a negative
  voltage, so negative inputs clip to 0 (counted);
* weights, symmetric per tensor: ``q = rint(w / s_w)`` with
  ``s_w = max|w| / (2^(b-1) - 1)``, so ``q`` is in ``[-(2^(b-1)-1), 2^(b-1)-1]``.
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


def quantise_weights(w: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    """(integer weights as int64, scale)."""
    levels = max(2 ** (bits - 1) - 1, 1)  # 1 bit: ternary {-1, 0, 1} (no pure-sign code here)
    m = float(np.max(np.abs(w))) if w.size else 0.0
    scale = m / levels if m > 0 else 1.0
    return np.rint(np.asarray(w, dtype=np.float64) / scale).astype(np.int64), scale

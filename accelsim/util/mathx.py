"""Small integer helpers shared by the models."""
from __future__ import annotations

import numpy as np


def cdiv(a, b):
    """Ceiling division ``ceil(a / b)`` for non-negative integers (Python ints or int64 arrays):
    ``-(-a // b)``, exact for integers of any size (no float rounding)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return -(-np.asarray(a, dtype=np.int64) // np.asarray(b, dtype=np.int64))
    return -(-int(a) // int(b))


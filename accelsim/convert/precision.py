"""The weight precision a converted model was trained for, and what an architecture stores.

A model trained with quantisation (quantisation-aware training, e.g. Brevitas or snnTorch's
quantised layers) exports float weights that lie on a symmetric grid: ``w = q * s`` with
``s = max|w| / (2^(b-1) - 1)`` per tensor and integer ``q``. :func:`trained_weight_bits` finds the
smallest such ``b`` (up to 16) that holds every synaptic weight tensor, or None for float weights;
the converters record it as the workload's ``weight_bits``. :func:`stored_bits_warnings` names each
place where an architecture stores fewer bits than that (float: 32).
"""
from __future__ import annotations

from typing import Iterable, Optional

import numpy as np

from accelsim.config.arch import Arch
from accelsim.config.loader import load_arch
from accelsim.workload.ops import SYNAPTIC

MAX_GRID_BITS = 16
FLOAT_BITS = 32          # a float32-trained model


def tensor_grid_bits(w: np.ndarray) -> Optional[int]:
    """The smallest ``b <= 16`` whose symmetric per-tensor grid holds ``w`` (float32 rounding
    tolerated), or None."""
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    m = float(np.max(np.abs(w))) if w.size else 0.0
    if m == 0.0:
        return None
    for b in range(2, MAX_GRID_BITS + 1):
        levels = 2 ** (b - 1) - 1
        q = w / (m / levels)
        if np.all(np.abs(q - np.rint(q)) <= 4e-7 * levels + 1e-9):
            return b
    return None


def trained_weight_bits(weights: Iterable[np.ndarray]) -> Optional[int]:
    """The precision of a model's synaptic weights: the largest grid over its tensors, None when
    any tensor is not on a grid of at most 16 bits (a float-trained model)."""
    bits = [tensor_grid_bits(w) for w in weights]
    if not bits or any(b is None for b in bits):
        return None
    return max(bits)


def synaptic_weights(doc: dict, tensors: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The weight tensors of a workload document's synaptic nodes."""
    return [tensors[nd["inputs"][1]] for nd in doc["nodes"]
            if nd["op"] in SYNAPTIC and len(nd["inputs"]) > 1 and nd["inputs"][1] in tensors]


def stored_bits_warnings(weight_bits: Optional[int], arch: Arch) -> list[str]:
    """One sentence per place where ``arch`` stores fewer weight bits than the model was trained
    for (``weight_bits``; None: float32)."""
    trained = weight_bits if weight_bits is not None else FLOAT_BITS
    what = f"{weight_bits}-bit weights" if weight_bits is not None else "float32 weights"
    out = []
    if arch.pim.enabled and arch.pim.weight_bits < trained:
        out.append(f"the model was trained with {what}; pim.weight_bits = {arch.pim.weight_bits}: the PIM macro "
                   "stores the first layer's weights with fewer bits")
    first_on_core = not arch.pim.enabled
    if (arch.core.numerics == "fixed" or first_on_core) and arch.core.weight_bits < trained:
        where = "every spike-core layer" if arch.core.numerics == "fixed" else "the first layer on the cores"
        out.append(f"the model was trained with {what}; core.weight_bits = {arch.core.weight_bits}: "
                   f"{where} computes with fewer bits")
    return out


def record_precision(doc: dict, trained_weights: Iterable[np.ndarray], arch_file: Optional[str]) -> list[str]:
    """Set the workload document's ``weight_bits`` when the converter did not quantise (the grid
    the trained weights lie on; float: left out); the warnings for ``arch_file`` (None: none)."""
    if doc.get("weight_bits") is None:
        bits = trained_weight_bits(trained_weights)
        if bits is not None:
            doc["weight_bits"] = bits
    if arch_file is None:
        return []
    return [f"warning: {arch_file}: {m}" for m in stored_bits_warnings(doc.get("weight_bits"), load_arch(arch_file).arch)]

"""Geometry of windowed operators (Conv and the pools): output extent from
kernel, strides, pads and dilations, with ONNX's defaults.

For each spatial axis i of an n-D input, with pads [begin_1..begin_n, end_1..end_n]:

    out_i = (in_i + begin_i + end_i - ((k_i - 1) * d_i + 1)) // s_i + 1
"""
from __future__ import annotations

from typing import Any

from accelsim.workload.ops.registry import Shape, ShapeError


def window_geometry(attrs: Any, in_spatial: Shape, kernel: Shape) -> Shape:
    """The output's spatial extent; a :class:`ShapeError` names the attribute that does not fit."""
    nd = len(in_spatial)
    strides = tuple(attrs.strides) if attrs.strides is not None else (1,) * nd
    dil = tuple(getattr(attrs, "dilations", None) or (1,) * nd)
    pads = tuple(attrs.pads) if attrs.pads is not None else (0,) * (2 * nd)
    for name, val, n in (("strides", strides, nd), ("dilations", dil, nd), ("pads", pads, 2 * nd)):
        if len(val) != n:
            raise ShapeError(f"needs {n} values for {nd}-D spatial input", f"attrs.{name}", list(val))
    if any(s < 1 for s in strides):
        raise ShapeError("must be positive integers", "attrs.strides", list(strides))
    if any(d < 1 for d in dil):
        raise ShapeError("must be positive integers", "attrs.dilations", list(dil))
    if any(p < 0 for p in pads):
        raise ShapeError("must be non-negative integers", "attrs.pads", list(pads))
    if len(kernel) != nd:
        raise ShapeError(f"kernel has {len(kernel)} spatial dims but the input has {nd}", "attrs.kernel_shape", list(kernel))
    out = []
    for i in range(nd):
        eff = (kernel[i] - 1) * dil[i] + 1
        span = in_spatial[i] + pads[i] + pads[i + nd] - eff
        if span < 0:
            raise ShapeError(
                f"kernel extent {eff} exceeds padded input extent {in_spatial[i] + pads[i] + pads[i + nd]} on spatial axis {i}",
                "attrs.kernel_shape", list(kernel))
        out.append(span // strides[i] + 1)
    return tuple(out)


def window_params(attrs: Any, nd: int) -> tuple[Shape, Shape, Shape]:
    """(strides, pads, dilations) with ONNX defaults filled in."""
    strides = tuple(attrs.strides) if attrs.strides is not None else (1,) * nd
    pads = tuple(attrs.pads) if attrs.pads is not None else (0,) * (2 * nd)
    dil = tuple(getattr(attrs, "dilations", None) or (1,) * nd)
    return strides, pads, dil

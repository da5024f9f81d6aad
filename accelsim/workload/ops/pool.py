"""Pooling operators (AveragePool, MaxPool, SpikeMaxPool) over 1-D to 3-D windows."""
from __future__ import annotations

from typing import Literal, Optional

from accelsim.workload.ops.registry import OpAttrs, OpSpec, ShapeError, register
from accelsim.workload.ops.window import window_geometry


class PoolAttrs(OpAttrs):
    kernel_shape: list[int]
    strides: Optional[list[int]] = None
    pads: Optional[list[int]] = None
    ceil_mode: Literal[0] = 0
    auto_pad: Literal["NOTSET", "VALID"] = "NOTSET"


class AvgPoolAttrs(PoolAttrs):
    count_include_pad: Literal[0, 1] = 0


class _Pool(OpSpec):
    kind = "pool"
    roles = ("value",)

    @classmethod
    def infer(cls, attrs, shapes, consts):
        x = shapes[0]
        if len(x) < 2 or len(x) > 4:
            raise ShapeError(f"{cls.op} input must be [C, *spatial] with 1 to 3 spatial dims, got {list(x)}", "inputs[0]")
        if any(k < 1 for k in attrs.kernel_shape):
            raise ShapeError("must be positive integers", "attrs.kernel_shape", attrs.kernel_shape)
        return (x[0],) + window_geometry(attrs, tuple(x[1:]), tuple(attrs.kernel_shape))


@register
class AveragePool(_Pool):
    """ONNX AveragePool (1-D/2-D/3-D): mean over the window (padding excluded unless count_include_pad)."""

    op = "AveragePool"
    Attrs = AvgPoolAttrs


@register
class MaxPool(_Pool):
    """ONNX MaxPool (1-D/2-D/3-D): max over the window; on binary spikes, an OR."""

    op = "MaxPool"
    Attrs = PoolAttrs


@register
class SpikeMaxPool(_Pool):
    """Spiking max-pooling: the max of the inputs' running totals (after Rueckauer et al. 2017).

    Stateful, per sample: a counter per input element and a running maximum per window,
    updated every time step t (C_i(-1) = 0, M_w(-1) = 0; padding never wins):

        C_i(t) = C_i(t-1) + x_i(t)
        M_w(t) = max_{i in w} C_i(t)
        y_w(t) = M_w(t) - M_w(t-1)

    so the output's running total is the window's largest input total at every step,
    sum_{tau<=t} y_w(tau) = max_{i in w} C_i(t), and its rate converges to the largest
    input rate, the ANN's max-pool of rates. Binary spikes in give binary spikes out
    (a counter grows by at most 1 per step); a constant input x gives y = max_{i in w} x_i
    at every step (the ANN's MaxPool). Rueckauer et al. gate each window by its most
    active input so far; this is that gate with online spike counts, passing exactly
    the spikes that raise the window's largest count.
    """

    op = "SpikeMaxPool"
    Attrs = PoolAttrs

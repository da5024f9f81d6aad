"""Synaptic operators: the layers with weights and fan-out (Conv, Gemm, MatMul)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from accelsim.workload.ops.registry import OpAttrs, OpSpec, ShapeError, register
from accelsim.workload.ops.window import window_geometry


class ConvAttrs(OpAttrs):
    kernel_shape: Optional[list[int]] = None
    strides: Optional[list[int]] = None
    pads: Optional[list[int]] = Field(None, description="[begin_1..begin_n, end_1..end_n] as in ONNX")
    dilations: Optional[list[int]] = None
    group: int = Field(1, ge=1)
    auto_pad: Literal["NOTSET", "VALID"] = "NOTSET"


@register
class Conv(OpSpec):
    """ONNX Conv, 1-D/2-D/3-D: Y[n,o,p] = B[o] + sum_{c,k} W[o,c,k] X[n, g*C/G + c, p*s + k*d - pad]."""

    op = "Conv"
    kind = "synaptic"
    roles = ("value", "tensor", "tensor?")
    Attrs = ConvAttrs

    @classmethod
    def infer(cls, attrs, shapes, consts):
        x, w = shapes[0], shapes[1]
        if len(x) < 2 or len(x) > 4:
            raise ShapeError(f"Conv input must be [C, *spatial] with 1 to 3 spatial dims, got shape {list(x)}", "inputs[0]")
        if len(w) != len(x) + 1:
            raise ShapeError(f"weight must be [C_out, C_in/group, *kernel] with {len(x) - 1} kernel dims, got {list(w)}", "inputs[1]")
        c_in, g = x[0], attrs.group
        if c_in % g or w[0] % g:
            raise ShapeError(f"group {g} must divide input channels {c_in} and output channels {w[0]}", "attrs.group", g)
        if w[1] != c_in // g:
            raise ShapeError(f"weight shape {list(w)} expects {w[1] * g} input channels but the input has {c_in}", "inputs[1]")
        kernel = tuple(w[2:])
        if attrs.kernel_shape is not None and tuple(attrs.kernel_shape) != kernel:
            raise ShapeError(f"does not match the weight's kernel {list(kernel)}", "attrs.kernel_shape", attrs.kernel_shape)
        if len(shapes) > 2 and shapes[2] is not None and tuple(shapes[2]) != (w[0],):
            raise ShapeError(f"bias must have shape [{w[0]}], got {list(shapes[2])}", "inputs[2]")
        if attrs.auto_pad == "VALID" and attrs.pads is not None and any(attrs.pads):
            raise ShapeError("auto_pad VALID conflicts with non-zero pads", "attrs.pads", attrs.pads)
        return (w[0],) + window_geometry(attrs, tuple(x[1:]), kernel)


class GemmAttrs(OpAttrs):
    alpha: float = 1.0
    beta: float = 1.0
    transA: Literal[0] = 0
    transB: Literal[0, 1] = 0


@register
class Gemm(OpSpec):
    """ONNX Gemm: Y = alpha * A @ op(B) + beta * C, op(B) = B or B^T (transB)."""

    op = "Gemm"
    kind = "synaptic"
    roles = ("value", "tensor", "tensor?")
    Attrs = GemmAttrs

    @classmethod
    def infer(cls, attrs, shapes, consts):
        a, b = shapes[0], shapes[1]
        if len(a) != 1:
            raise ShapeError(f"Gemm input must be [features] per sample (flatten first), got {list(a)}", "inputs[0]")
        if len(b) != 2:
            raise ShapeError(f"weight must be 2-D, got {list(b)}", "inputs[1]")
        k, m = (b[1], b[0]) if attrs.transB else (b[0], b[1])
        if k != a[0]:
            raise ShapeError(f"weight shape {list(b)} (transB={attrs.transB}) expects {k} input features, the input has {a[0]}", "inputs[1]")
        if len(shapes) > 2 and shapes[2] is not None and tuple(shapes[2]) not in ((m,), (1,), (), (1, m)):
            raise ShapeError(f"bias must broadcast to [{m}], got {list(shapes[2])}", "inputs[2]")
        return (m,)


@register
class MatMul(OpSpec):
    """ONNX MatMul with a constant right operand: Y = A @ B, B of shape [K, M]."""

    op = "MatMul"
    kind = "synaptic"
    roles = ("value", "tensor")

    @classmethod
    def infer(cls, attrs, shapes, consts):
        a, b = shapes[0], shapes[1]
        if len(a) != 1 or len(b) != 2:
            raise ShapeError(f"MatMul supports [K] x [K, M]; got {list(a)} and {list(b)}", "inputs")
        if a[0] != b[0]:
            raise ShapeError(f"weight shape {list(b)} expects {b[0]} input features, the input has {a[0]}", "inputs[1]")
        return (b[1],)

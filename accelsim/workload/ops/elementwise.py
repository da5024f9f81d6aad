"""Element-wise operators: Add and Mul with numpy broadcasting, and the ANN
activations Relu and Clip (which ``accelsim convert`` replaces by neurons)."""
from __future__ import annotations

import numpy as np
from pydantic import Field

from accelsim.workload.ops.registry import OpAttrs, OpSpec, ShapeError, register


@register
class Add(OpSpec):
    """ONNX Add with numpy broadcasting (residual sums, or a bias tensor)."""

    op = "Add"
    kind = "elementwise"
    roles = ("any", "any")

    @classmethod
    def infer(cls, attrs, shapes, consts):
        a, b = shapes
        # a tensor operand broadcasts against the per-sample value shape
        try:
            return tuple(np.broadcast_shapes(tuple(a), tuple(b)))
        except ValueError:
            raise ShapeError(f"shapes {list(a)} and {list(b)} do not broadcast", "inputs") from None


class ClipAttrs(OpAttrs):
    min: float = Field(0.0, description="lower bound; the converter supports 0 (a ReLU with a ceiling)")
    max: float = Field(description="upper bound (e.g. 6 for ReLU6)")


@register
class Relu(OpSpec):
    """ONNX Relu, y = max(x, 0): the activation of an ANN graph before conversion
    (``accelsim convert`` replaces it by a spiking neuron node)."""

    op = "Relu"
    kind = "elementwise"
    roles = ("value",)

    @classmethod
    def infer(cls, attrs, shapes, consts):
        return tuple(shapes[0])


@register
class Clip(Relu):
    """ONNX Clip with constant bounds as attributes, y = min(max(x, min), max) (ReLU6 and the like)."""

    op = "Clip"
    Attrs = ClipAttrs

    @classmethod
    def infer(cls, attrs, shapes, consts):
        if attrs.max < attrs.min:
            raise ShapeError(f"max must be >= min ({attrs.min})", "attrs.max", attrs.max)
        return tuple(shapes[0])


@register
class Mul(OpSpec):
    """ONNX Mul of a graph value by a constant tensor (NIR ``Scale``), numpy broadcasting."""

    op = "Mul"
    kind = "elementwise"
    roles = ("value", "tensor")

    @classmethod
    def infer(cls, attrs, shapes, consts):
        a, b = shapes
        try:
            out = tuple(np.broadcast_shapes(tuple(a), tuple(b)))
        except ValueError:
            raise ShapeError(f"shapes {list(a)} and {list(b)} do not broadcast", "inputs") from None
        if out != tuple(a):
            raise ShapeError(f"the factor of shape {list(b)} would change the value's shape {list(a)}", "inputs[1]")
        return out

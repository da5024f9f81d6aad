"""Shape operators: Flatten, Reshape and Concat of graph values (the batch axis kept apart)."""
from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field

from accelsim.workload.ops.registry import OpAttrs, OpSpec, ShapeError, register


class FlattenAttrs(OpAttrs):
    axis: int = Field(1, ge=1, description="ONNX axis; must keep the batch (axis 0) apart")


@register
class Flatten(OpSpec):
    """ONNX Flatten: [N, d1..dk] -> [N, d1*..*d(axis-1), rest] (axis=1: [N, prod])."""

    op = "Flatten"
    kind = "shape"
    roles = ("value",)
    Attrs = FlattenAttrs

    @classmethod
    def infer(cls, attrs, shapes, consts):
        x = shapes[0]
        a = attrs.axis - 1
        if a > len(x):
            raise ShapeError(f"axis {attrs.axis} out of range for input rank {len(x) + 1}", "attrs.axis", attrs.axis)
        head = int(np.prod(x[:a])) if a > 0 else None
        tail = int(np.prod(x[a:]))
        return (tail,) if head is None else (head, tail)


class ReshapeAttrs(OpAttrs):
    shape: Optional[list[int]] = Field(None, description="target shape incl. batch (alternative to a shape tensor input)")
    allowzero: Literal[0] = 0


@register
class Reshape(OpSpec):
    """ONNX Reshape. The target includes the batch: its first entry is 0, -1 or 1 (the batch)."""

    op = "Reshape"
    kind = "shape"
    roles = ("value", "tensor?")
    Attrs = ReshapeAttrs

    @classmethod
    def target(cls, attrs, consts) -> list[int]:
        if len(consts) > 1 and consts[1] is not None:
            if np.asarray(consts[1]).dtype.kind not in "iu":
                raise ShapeError(f"shape tensor must hold integers, got dtype {np.asarray(consts[1]).dtype}", "inputs[1]")
            return [int(v) for v in np.asarray(consts[1]).reshape(-1)]
        if attrs.shape is None:
            raise ShapeError("needs a shape: a second input (int tensor) or attrs.shape", "attrs.shape")
        return list(attrs.shape)

    @classmethod
    def infer(cls, attrs, shapes, consts):
        x = shapes[0]
        tgt = cls.target(attrs, consts)
        if not tgt or tgt[0] not in (0, -1, 1):
            raise ShapeError("first entry is the batch and must be 0, -1 or 1", "attrs.shape", tgt)
        rest = list(tgt[1:])
        for i, v in enumerate(rest):
            if v == 0:
                if i >= len(x):
                    raise ShapeError(f"0 at position {i + 1} copies an input dim that does not exist", "attrs.shape", tgt)
                rest[i] = x[i]
        if sum(v == -1 for v in rest) > 1 or any(v < -1 for v in rest):
            raise ShapeError("at most one -1 and no other negative entries", "attrs.shape", tgt)
        total = int(np.prod(x))
        known = int(np.prod([v for v in rest if v != -1])) if rest else 1
        if -1 in rest:
            if known == 0 or total % known:
                raise ShapeError(f"cannot reshape {total} elements per sample into {tgt}", "attrs.shape", tgt)
            rest[rest.index(-1)] = total // known
        if int(np.prod(rest)) != total:
            raise ShapeError(f"cannot reshape {list(x)} ({total} elements per sample) into {tgt}", "attrs.shape", tgt)
        return tuple(int(v) for v in rest)


class ConcatAttrs(OpAttrs):
    axis: int = Field(description="ONNX axis (1 = channels)")


@register
class Concat(OpSpec):
    """ONNX Concat of graph values along a non-batch axis."""

    op = "Concat"
    kind = "shape"
    roles = ("value*",)
    Attrs = ConcatAttrs

    @classmethod
    def infer(cls, attrs, shapes, consts):
        rank = len(shapes[0])
        ax = attrs.axis - 1 if attrs.axis > 0 else rank + attrs.axis + 1 - 1
        if attrs.axis == 0 or not 0 <= ax < rank:
            raise ShapeError(f"axis must be a non-batch axis in [1, {rank}] or negative", "attrs.axis", attrs.axis)
        out = list(shapes[0])
        for i, s in enumerate(shapes[1:], 1):
            if len(s) != rank or any(s[j] != out[j] for j in range(rank) if j != ax):
                raise ShapeError(f"shape {list(s)} does not match {list(shapes[0])} off axis {attrs.axis}", f"inputs[{i}]")
            out[ax] += s[ax]
        return tuple(out)

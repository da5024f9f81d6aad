"""Operator specifications: attributes, input roles and shape inference.

Shapes here exclude the batch dimension; ONNX axis numbers (which count the batch
as axis 0) are translated. Each operator is a small class with:

* ``kind``: ``synaptic`` (weights, fan-out: Conv, Gemm, MatMul), ``neuron``
  (stateful, spiking: LIF, IF), ``pool``, ``shape`` or ``elementwise``;
* ``roles``: what each input is: ``value`` (a graph value), ``tensor`` (a named
  tensor from the .npz), ``any``; a trailing ``?`` marks it optional, ``*`` variadic;
* ``Attrs``: a pydantic model of the ONNX attributes (unknown ones are errors);
* ``infer(attrs, shapes, consts)``: the output shape, or :class:`ShapeError`.

Add an operator by writing a class and decorating it with :func:`register`; the
functional engine adds its evaluator in :mod:`accelsim.engine.execute`.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

Shape = tuple[int, ...]

OPS: dict[str, type["OpSpec"]] = {}


class ShapeError(Exception):
    """A shape problem; ``path`` is relative to the node (e.g. ``attrs.pads``)."""

    def __init__(self, message: str, path: str = "", value: Any = None):
        super().__init__(message)
        self.path = path
        self.value = value


def register(cls: type["OpSpec"]) -> type["OpSpec"]:
    OPS[cls.op] = cls
    return cls


class _Attrs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class OpSpec:
    op: ClassVar[str]
    kind: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    Attrs: ClassVar[type[BaseModel]] = _Attrs
    # neuron attributes that are a number or a tensor name (scalar, per channel or per neuron)
    params: ClassVar[tuple[str, ...]] = ("threshold", "leak")
    # neurons only: does the node emit binary spikes (else its output is an analog state, e.g. LI),
    # and what one update of one neuron costs besides integrating its synaptic events (which the
    # cost models charge per event): multiplies, adds/compares, and state words read and written
    spiking: ClassVar[bool] = True
    update_mults: ClassVar[int] = 0
    update_adds: ClassVar[int] = 0
    state_words: ClassVar[int] = 1

    @classmethod
    def infer(cls, attrs: Any, shapes: list[Optional[Shape]], consts: list[Optional[np.ndarray]]) -> Shape:
        raise NotImplementedError


# --------------------------------------------------------------------------
# helpers for windowed operators (Conv, pools)

def _window_geometry(attrs: Any, in_spatial: Shape, kernel: Shape) -> Shape:
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


# --------------------------------------------------------------------------
# synaptic operators

class ConvAttrs(_Attrs):
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
        return (w[0],) + _window_geometry(attrs, tuple(x[1:]), kernel)


class GemmAttrs(_Attrs):
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


# --------------------------------------------------------------------------
# pooling

class PoolAttrs(_Attrs):
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
        return (x[0],) + _window_geometry(attrs, tuple(x[1:]), tuple(attrs.kernel_shape))


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


# --------------------------------------------------------------------------
# shape and elementwise operators

class FlattenAttrs(_Attrs):
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


class ReshapeAttrs(_Attrs):
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


class ConcatAttrs(_Attrs):
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


class ClipAttrs(_Attrs):
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


# --------------------------------------------------------------------------
# neurons

def _number_or_name(value: Any) -> Any:
    """One clear message instead of one per union member (float, int, str)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number or the name of a tensor in the .npz")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Param = Annotated[Union[float, int, str], BeforeValidator(_number_or_name)]


class NeuronAttrs(_Attrs):
    threshold: Param = Field(1.0, description="firing threshold: a number, or a tensor name (per channel or per neuron)")
    reset: Literal["subtract", "zero"] = Field("subtract", description="after a spike: v -= threshold, or v = v_reset")
    v_reset: float = Field(0.0, description="membrane value after a reset to zero (reset: zero)")
    v_init: float = Field(0.0, description="membrane value at t = 0")


class LIFAttrs(NeuronAttrs):
    leak: Param = Field(1.0, description="multiplicative leak lambda in [0, 1]: a number or a tensor name")


@register
class LIF(OpSpec):
    """Leaky integrate-and-fire, discrete time (ACE-SNN):

        v[t] = leak * v[t-1] + I[t];  s[t] = (v[t] >= threshold);
        v[t] -= threshold * s[t]  (reset: subtract)   or   v[t] = v_reset where s[t] (reset: zero)
    """

    op = "LIF"
    kind = "neuron"
    roles = ("value",)
    Attrs = LIFAttrs
    update_mults = 1   # leak * v
    update_adds = 1    # compare with the threshold

    @classmethod
    def infer(cls, attrs, shapes, consts):
        return tuple(shapes[0])


@register
class IF(LIF):
    """Integrate-and-fire: LIF with leak = 1 (Ding et al.'s converted neuron)."""

    op = "IF"
    Attrs = NeuronAttrs
    update_mults = 0   # no leak


class LIAttrs(_Attrs):
    leak: Param = Field(1.0, description="multiplicative leak alpha in [0, 1] per step")
    gain: Param = Field(1.0, description="input gain g (e.g. dt * R / tau from a NIR model)")
    bias: Param = Field(0.0, description="constant drive c per step (e.g. dt * v_leak / tau)")
    v_init: float = Field(0.0, description="membrane value at t = 0")


@register
class LI(OpSpec):
    """Leaky integrator, non-spiking; its output is the membrane (a NIR ``LI`` or ``I``):

        v[t] = leak * v[t-1] + gain * I[t] + bias;   output v[t]
    """

    op = "LI"
    kind = "neuron"
    roles = ("value",)
    Attrs = LIAttrs
    params = ("leak", "gain", "bias")
    spiking = False    # its output is the membrane
    update_mults = 2   # leak * v, gain * I
    update_adds = 2    # + gain * I, + bias

    @classmethod
    def infer(cls, attrs, shapes, consts):
        return tuple(shapes[0])


class CubaLIFAttrs(LIAttrs):
    threshold: Param = Field(1.0, description="firing threshold (strict: spike when v > threshold)")
    reset: Literal["subtract", "zero"] = Field("zero", description="after a spike: v -= threshold, or v = v_reset")
    v_reset: float = Field(0.0, description="membrane value after a reset (reset: zero)")
    syn_leak: Param = Field(0.0, description="synaptic current decay in [0, 1] per step (0: no synaptic state)")
    w_in: Param = Field(1.0, description="input weight of the synaptic current")


@register
class CubaLIF(OpSpec):
    """Current-based LIF with a synaptic current state (NIR ``CubaLIF``; with
    ``syn_leak = 0`` and ``w_in = 1`` it is NIR's ``LIF``/``IF``, ``Threshold`` with ``leak = 0``).
    The current is updated first and drives the membrane in the same step:

        i[t] = syn_leak * i[t-1] + w_in * I[t]
        v[t] = leak * v[t-1] + gain * i[t] + bias
        s[t] = (v[t] > threshold);   v[t] = v_reset where s[t] (reset: zero)  or  v[t] -= threshold * s[t]

    Unlike ``LIF`` (which fires at v >= threshold, as in ACE-SNN's code) the
    comparison is strict, as NIR and the frameworks define it.
    """

    op = "CubaLIF"
    kind = "neuron"
    roles = ("value",)
    Attrs = CubaLIFAttrs
    params = ("threshold", "leak", "gain", "bias", "syn_leak", "w_in")
    update_mults = 4   # syn_leak * i, w_in * I, leak * v, gain * i
    update_adds = 4    # i + w_in I, v + gain i, + bias, compare
    state_words = 2    # membrane and synaptic current

    @classmethod
    def infer(cls, attrs, shapes, consts):
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


SYNAPTIC = frozenset(n for n, c in OPS.items() if c.kind == "synaptic")
NEURONS = frozenset(n for n, c in OPS.items() if c.kind == "neuron")

"""The operator registry and the base class every operator spec extends.

An operator spec models one ONNX-like node type: its ``kind``, the roles of its
inputs, its attribute model and its shape inference (see :mod:`accelsim.workload.ops`).
Shapes exclude the batch dimension.
"""
from __future__ import annotations

from typing import Any, ClassVar, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict

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


# The base of every operator's attribute model (no docstring: it would enter the JSON Schema).
class OpAttrs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class OpSpec:
    op: ClassVar[str]
    kind: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    Attrs: ClassVar[type[BaseModel]] = OpAttrs
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


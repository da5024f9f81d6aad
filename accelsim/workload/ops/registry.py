"""The operator registry and the base class every operator spec extends.

An operator spec models one ONNX-like node type: its ``kind``, the roles of its
inputs, its attribute model and its shape inference (see :mod:`accelsim.workload.ops`).
Shapes exclude the batch dimension.
"""
from __future__ import annotations

from collections import ChainMap
from typing import Any, ClassVar, Mapping, Optional

import numpy as np
from pydantic import BaseModel

from accelsim.neurons.base import AttrsModel, NeuronKind, Range

Shape = tuple[int, ...]

# op name -> spec: the ops registered here, then (appended by :mod:`.neurons`) a live view of
# every registered neuron kind (:data:`accelsim.neurons.NEURONS`) as an op.
OPS: ChainMap[str, type["OpSpec"]] = ChainMap({})


class ShapeError(Exception):
    """A shape problem; ``path`` is relative to the node (e.g. ``attrs.pads``)."""

    def __init__(self, message: str, path: str = "", value: Any = None):
        super().__init__(message)
        self.path = path
        self.value = value


def register(cls: type["OpSpec"]) -> type["OpSpec"]:
    OPS[cls.op] = cls
    return cls


# The base of every operator's attribute model (extra keys forbidden, frozen, strict, finite).
OpAttrs = AttrsModel


class OpSpec:
    op: ClassVar[str]
    kind: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    Attrs: ClassVar[type[BaseModel]] = OpAttrs
    # neuron ops only (copied from their :class:`~accelsim.neurons.base.NeuronKind`, ``neuron``):
    # attributes that are a number or a tensor name with their allowed range; does the node emit
    # binary spikes; what one update of one neuron costs besides integrating its synaptic events
    # (multiplies, adds/compares, state words, sub-steps per time step, cycles per update or None)
    neuron: ClassVar[Optional[type[NeuronKind]]] = None
    params: ClassVar[Mapping[str, Range]] = {}
    spiking: ClassVar[bool] = True
    update_mults: ClassVar[int] = 0
    update_adds: ClassVar[int] = 0
    state_words: ClassVar[int] = 1
    phases: ClassVar[int] = 1
    update_cycles: ClassVar[Optional[int]] = None

    @classmethod
    def infer(cls, attrs: Any, shapes: list[Optional[Shape]], consts: list[Optional[np.ndarray]]) -> Shape:
        raise NotImplementedError


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
    # neuron ops only: their :class:`~accelsim.neurons.base.NeuronKind` (``neuron``), whose cost
    # hooks (spiking, update_mults, update_adds, state_words, phases, update_cycles) the op spec
    # carries (accelsim.workload.ops.neurons), and the attributes that are a number or a tensor name
    neuron: ClassVar[Optional[type[NeuronKind]]] = None
    params: ClassVar[Mapping[str, Range]] = {}

    @classmethod
    def infer(cls, attrs: Any, shapes: list[Optional[Shape]], consts: list[Optional[np.ndarray]]) -> Shape:
        raise NotImplementedError


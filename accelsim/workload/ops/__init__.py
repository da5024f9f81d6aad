"""Operator specifications: attributes, input roles and shape inference.

Shapes here exclude the batch dimension; ONNX axis numbers (which count the batch
as axis 0) are translated. Each operator is a small class with:

* ``kind``: ``synaptic`` (weights, fan-out: Conv, Gemm, MatMul), ``neuron``
  (stateful: LIF, IF, LI, CubaLIF), ``pool``, ``shape`` or ``elementwise``;
* ``roles``: what each input is: ``value`` (a graph value), ``tensor`` (a named
  tensor from the .npz), ``any``; a trailing ``?`` marks it optional, ``*`` variadic;
* ``Attrs``: a pydantic model of the ONNX attributes (unknown ones are errors);
* ``infer(attrs, shapes, consts)``: the output shape, or :class:`ShapeError`.

One module per kind: :mod:`.synaptic`, :mod:`.pool` (with the window geometry
in :mod:`.window`), :mod:`.shape`, :mod:`.elementwise` and :mod:`.neurons`; the
registry and the base class are in :mod:`.registry`. Importing this package
registers every operator in :data:`OPS`.

Add an operator by writing a class in the module of its kind and decorating it
with :func:`register`; the functional engine adds its evaluator in
:mod:`accelsim.engine.execute`. Neuron ops are not written here: every neuron kind
registered in :mod:`accelsim.neurons` is an op (:mod:`.neurons` adapts it), and the
engine runs it with its one generic neuron executor.
"""
from __future__ import annotations

from accelsim.workload.ops.registry import OPS, OpSpec, Shape, ShapeError, register
from accelsim.workload.ops import synaptic, pool, shape, elementwise, neurons  # noqa: F401,E402  (they register)

SYNAPTIC = frozenset(n for n, c in OPS.items() if c.kind == "synaptic")
NEURONS = neurons.NEURON_OPS  # live: neuron kinds registered later are included

__all__ = ["NEURONS", "OPS", "OpSpec", "SYNAPTIC", "Shape", "ShapeError", "register"]

"""Neuron kinds as plug-ins: one module per kind, each a :class:`NeuronKind` with its
attribute model, parameter ranges, state, cost hooks and a numba step with a
bit-identical numpy reference (see :mod:`.base`).

Importing this package registers the built-in kinds in :data:`NEURONS`:
``LIF`` and ``IF`` (:mod:`.lif`), ``LI`` (:mod:`.li`), ``CubaLIF`` (:mod:`.cuba_lif`), ``FS`` (:mod:`.fs`, few-spikes coding).
Every registered kind is a workload op (:mod:`accelsim.workload.ops.neurons`) and
runs in the functional engine (:class:`accelsim.engine.execute.NeuronExec`).
"""
from __future__ import annotations

from accelsim.neurons.base import (ANY, NEURONS, NON_NEGATIVE, POSITIVE, RESET_SUBTRACT, RESET_ZERO, UNIT, AttrsModel,
                                   NeuronKind, Param, Range, register, unregister)
from accelsim.neurons import lif, li, cuba_lif, fs  # noqa: F401,E402  (they register)

__all__ = ["ANY", "AttrsModel", "NEURONS", "NON_NEGATIVE", "NeuronKind", "POSITIVE", "Param", "RESET_SUBTRACT",
           "RESET_ZERO", "Range", "UNIT", "register", "unregister"]

"""The shipped hardware engines, registered on import, and helpers that need them.

Importing this module registers ``core`` (:mod:`accelsim.hw.core.engine`),
``pim`` (:mod:`accelsim.hw.pim.engine`) and ``ann`` (:mod:`accelsim.hw.ann.engine`) in :data:`accelsim.hw.engines.ENGINES`.
A new engine adds its import line here.

Other modules import the registry's names from here, so that the shipped engines
are registered before anything is assigned.
"""
from __future__ import annotations

import accelsim.hw.core.engine  # noqa: F401  (registers "core")
import accelsim.hw.pim.engine  # noqa: F401  (registers "pim")
import accelsim.hw.ann.engine  # noqa: F401  (registers "ann")
from accelsim.config.arch import Arch
from accelsim.config.loader import ArchSpec
from accelsim.engine.functional import simulate
from accelsim.engine.lower import Layer, lower
from accelsim.engine.trace import LayerCounts, Trace
from accelsim.hw.engines import (CostRun, HardwareNumerics, ann_engine, assign, by_priority, engine_of, engines_used,
                                 get, numerics_identity)
from accelsim.hw.result import LayerCost
from accelsim.workload.graph import Graph, Samples

__all__ = ["CostRun", "HardwareNumerics", "ann_engine", "assign", "by_priority", "engine_of", "engines_used",
           "first_layer_synaptic_cost", "get", "numerics_identity", "simulate_on"]


def simulate_on(arch: Arch, graph: Graph, samples: Samples, **kwargs) -> Trace:
    """The functional trace of ``graph`` with every layer on its engine of ``arch`` (keyword
    arguments go to :func:`accelsim.engine.functional.simulate`)."""
    layers = assign(lower(graph), arch)
    return simulate(graph, samples, layers=layers, executors=HardwareNumerics(arch, layers), **kwargs)


def first_layer_synaptic_cost(spec: ArchSpec, layer: Layer, counts: LayerCounts, samples: int, timesteps: int,
                              static: bool) -> LayerCost:
    """The synaptic part of the first layer on the engine the architecture gives it (for tests
    and tools that price it alone)."""
    engine = get(engine_of(layer, spec.arch))
    return engine.first_layer_synaptic(spec, layer, counts, samples, timesteps, static)

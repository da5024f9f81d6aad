"""The parameter groups the spike-core model's derived results depend on.

Each group is a frozen, hashable view of the architecture holding exactly what one
computation reads; the computation takes the group (not the architecture), so
its memo key is the group itself and cannot miss a field (see
:meth:`accelsim.engine.trace.Trace.derived`).
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.config.arch import CoreConfig, NocConfig
from accelsim.hw.noc import Mesh
from accelsim.util.mathx import cdiv


@dataclass(frozen=True)
class MappingParams:
    """What decides which core owns which neuron (:func:`accelsim.hw.core.mapping.map_layer`)."""

    cores: int
    partition: str
    min_neurons_per_core: int

    @classmethod
    def of(cls, core: CoreConfig) -> "MappingParams":
        return cls(core.count, core.partition, core.min_neurons_per_core)


@dataclass(frozen=True)
class RoutingParams:
    """What decides the per-core and per-link counts of routed events (:mod:`accelsim.hw.core.routes`)."""

    mapping: MappingParams
    mesh: Mesh
    weights_per_word: int      # whole weights per weight-SRAM word
    vmem_per_word: int         # whole membranes per Vmem-SRAM word
    flits_per_packet: int      # ceil(fifo_word_bits / flit_bits)

    @classmethod
    def of(cls, core: CoreConfig, noc: NocConfig) -> "RoutingParams":
        return cls(MappingParams.of(core), Mesh(noc.mesh_x, noc.mesh_y), core.sram_word_bits // core.weight_bits,
                   core.vmem_word // core.vmem_bits, cdiv(core.fifo_word_bits, noc.flit_bits))


@dataclass(frozen=True)
class VmemParams:
    """What decides the membrane SRAM each core needs."""

    mapping: MappingParams
    vmem_word_bits: int
    vmem_bits: int
    vmem_sram_kib: float

    @classmethod
    def of(cls, core: CoreConfig) -> "VmemParams":
        return cls(MappingParams.of(core), core.vmem_word, core.vmem_bits, core.vmem_sram_kib)

"""The ANN's state writes: its outputs written into the cores' membrane (Vmem) SRAM.

At every ANN run each binding writes its value over the bound neurons' state. The
neurons of the bound SNN layer live on the cores its mapping gives
(:func:`accelsim.hw.core.engine.core_maps`); core ``d`` holding ``n_d`` of them receives
``w_d = ceil(n_d / vpw)`` Vmem words (``vpw = core.vmem_word // core.vmem_bits``
membranes per word), sent from the ANN engine's mesh node ``ann.noc_node`` over the
XY mesh as ``f_d = ceil(w_d * vmem_word / flit_bits)`` flits (unicast: every core gets
other values). Per run and sample:

    state_write     = sum_d w_d * E_sram_write(vmem_sram_kib, vmem_word)
    state_noc       = sum_d f_d * flit_bits * ((h_d + 1) * router pJ/bit + h_d * link_mm * link pJ/bit/mm)

(``h_d``: XY hops from ``ann.noc_node`` to core ``d``; a core at that node is written
locally). Timing, one task per run: the packets occupy each link for
``sum_d ceil(f_d * flit_bits / link_bits_per_cycle)`` over the paths through it, the
deepest packet adds ``(h_max + 1) * router_latency_cycles``, then core ``d`` writes for
``ceil(w_d / sram_ports)`` cycles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.config.arch import Arch
from accelsim.engine.hybrid import AnnTrace
from accelsim.engine.lower import Layer
from accelsim.engine.trace import Trace
from accelsim.hw.core.engine import core_maps
from accelsim.hw.noc import Mesh
from accelsim.tech.table import TechTable
from accelsim.util.mathx import cdiv


@dataclass
class StateWrites:
    """Per run and sample: Vmem words and flits per core, and the energies (pJ)."""

    words: np.ndarray        # [cores]
    flits: np.ndarray        # [cores]
    hops: np.ndarray         # [cores]
    write_pj: float
    router_pj: float
    link_pj: float


def bound_layers(trace: Trace, ann: AnnTrace) -> list[Layer]:
    """The SNN layer owning each binding's neuron node."""
    by_neuron = {l.neuron.name: l for l in trace.layers if l.neuron is not None}
    return [by_neuron[b.neuron] for b in ann.bindings]


def state_writes(trace: Trace, arch: Arch, tech: TechTable) -> StateWrites:
    core, noc = arch.core, arch.noc
    maps = core_maps(trace, core)
    mesh = Mesh(noc.mesh_x, noc.mesh_y)
    vpw = core.vmem_word // core.vmem_bits
    words = np.zeros(core.count, dtype=np.int64)
    for layer in bound_layers(trace, trace.ann):
        words += cdiv(maps[layer.name].neurons_per_core, vpw)
    src = arch.ann.noc_node
    hops = np.array([mesh.hops(src, d) for d in range(core.count)], dtype=np.int64)
    flits = np.where(hops > 0, cdiv(words * core.vmem_word, noc.flit_bits), 0)
    bits = flits * noc.flit_bits
    return StateWrites(
        words, flits, hops,
        write_pj=float(words.sum() * tech.sram_access_pj(core.vmem_sram_kib, core.vmem_word, write=True)),
        router_pj=float(bits @ (hops + 1) * tech.noc_router_pj_per_bit),
        link_pj=float(bits @ hops * noc.link_mm * tech.noc_link_pj_per_bit_mm))


def write_link_cycles(sw: StateWrites, arch: Arch) -> np.ndarray:
    """[links] cycles each link carries the state packets of one run."""
    noc = arch.noc
    mesh = Mesh(noc.mesh_x, noc.mesh_y)
    out = np.zeros(mesh.links, dtype=np.int64)
    for d in np.flatnonzero(sw.flits):
        for link in mesh.path(arch.ann.noc_node, int(d)):
            out[link] += cdiv(int(sw.flits[d]) * noc.flit_bits, noc.link_bits_per_cycle)
    return out

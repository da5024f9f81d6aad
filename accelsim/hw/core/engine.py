"""The ``core`` engine: event-driven digital spike cores (every layer the PIM macro does not run).

Per run (:meth:`CoreEngine.prepare`, derived once per trace and parameter group):

1. *map*: every layer's neurons over ``core.count`` cores (``core.partition``,
   :mod:`.mapping`), the neurons of the first layer included;
2. *place*: the weights of the layers it runs in core SRAM, or streamed from DRAM
   (:mod:`.placement`);
3. *route*: each layer's recorded per-address spike counts through its event
   classes to per-core and per-link counts (:mod:`.routes`, :mod:`.cost`).

Functional (:meth:`CoreEngine.executor`, :meth:`CoreEngine.neuron_executor`): the first layer's
quantised MACs; with ``core.numerics: fixed`` every layer's synapse and neurons bit-true
(:mod:`.fixed`, :mod:`.datapath`, docs/numerics.md); else float64.

Per layer (:meth:`CoreEngine.layer_cost`): the spike-layer model
(:func:`.cost.spike_layer_cost`); a first layer (analog input) it runs as dense
MACs (:mod:`.first_layer`). After the schedule (:meth:`CoreEngine.finish`):
leakage of all core SRAM over the delay, split over layers by core busy time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Optional

import numpy as np

from accelsim.config.arch import Arch, CoreConfig, NocConfig
from accelsim.config.loader import ArchSpec
from accelsim.engine.lower import Layer
from accelsim.engine.trace import GraphKey, LayerCounts, Trace
from accelsim.hw.core.cost import CoreActivity, active_updates, route_layer, spike_layer_cost
from accelsim.hw.core.per_event import noc_latency_cycles, per_event_layer_cost, static_energy_pj
from accelsim.hw.core.first_layer import DigitalExec, core_first_layer_cost
from accelsim.hw.core.fixed import FixedNeuronExec, FixedPoint, LayerFormat, fixed_synapse
from accelsim.hw.core.mapping import LayerMap, global_owner, map_layers, producers, source_cores
from accelsim.hw.core.params import MappingParams, RoutingParams, VmemParams
from accelsim.hw.core.placement import Placement, place
from accelsim.hw.core.recurrent import StepSources, step_sources
from accelsim.hw.core.routes import event_classes, profiles
from accelsim.hw.engines import CostRun, Engine, register
from accelsim.hw.first_layer import FirstLayerActivity, first_layer_cost, recorded_evaluations
from accelsim.hw.memory import Dram, fifo_kib
from accelsim.hw.result import LayerCost
from accelsim.hw.tasks import LayerTasks
from accelsim.util.mathx import cdiv
from accelsim.workload.graph import Graph


@dataclass(frozen=True)
class DigitalNumerics:
    """What the core's executors read (a trace's identity): the digital first layer's precisions,
    and the fixed-point formats of every layer (None: float64 cores, ``core.numerics: float``)."""

    input_bits: int
    weight_bits: int
    input_full_scale: float
    fixed: Optional[FixedPoint] = None

    @classmethod
    def of(cls, arch: Arch) -> "DigitalNumerics":
        c = arch.core
        fixed = None
        if c.numerics == "fixed":
            fixed = FixedPoint(c.weight_bits, c.vmem_bits, c.vmem_frac_bits, c.vmem_overflow == "wrap",
                               c.leak_mode == "shift", c.leak_frac_bits, c.weight_scale == "channel")
        return cls(c.input_bits, c.weight_bits, arch.pim.input_full_scale, fixed)


def layer_maps(trace: Trace, p: MappingParams) -> dict[str, LayerMap]:
    return map_layers(trace.layers, p.cores, p.partition, p.min_neurons_per_core)


def graph_producers(trace: Trace, g: GraphKey) -> tuple[list[np.ndarray], np.ndarray]:
    return producers(g.graph, trace.layers)


def routed(trace: Trace, p: RoutingParams, g: GraphKey) -> list[CoreActivity]:
    """Exact per-core and per-link counts of every layer's events under the mapping."""
    maps = trace.derived(layer_maps, p.mapping)
    gids, _ = trace.derived(graph_producers, g)
    owners = global_owner([maps[l.name] for l in trace.layers], trace.layers)
    acts = []
    for layer, adr, gid in zip(trace.layers, trace.addresses, gids):
        lmap = maps[layer.name]
        classes = None
        if not layer.first_layer:
            prof = profiles(layer, lmap, p.weights_per_word, p.vmem_per_word)
            classes = event_classes(prof, source_cores(gid, owners), p.mesh, p.mapping.cores)
        acts.append(route_layer(layer, adr, lmap, classes, p.flits_per_packet, p.mesh.links))
    return acts


def active_per_core(trace: Trace, p: MappingParams) -> list[np.ndarray]:
    """Every layer's active neuron updates per step and core (read by the per-event model only)."""
    maps = trace.derived(layer_maps, p)
    return [active_updates(l, adr, maps[l.name]) for l, adr in zip(trace.layers, trace.addresses)]


def sources(trace: Trace, g: GraphKey) -> list[StepSources]:
    """Per layer, the layers whose neurons feed it (the first layer: none), as the schedule waits for
    them (:func:`.recurrent.step_sources`)."""
    gids, offsets = trace.derived(graph_producers, g)
    out = []
    for layer in trace.layers:
        ids = gids[layer.index]
        ids = ids[ids >= 0]
        if layer.first_layer:
            out.append(())
        elif ids.size == 0:
            out.append((layer.index - 1,) if layer.index > 0 else ())
        else:
            out.append(tuple(int(s) for s in np.unique(np.searchsorted(offsets, ids, side="right") - 1)))
    return step_sources(trace.layers, out)


def vmem_occupancy(trace: Trace, p: VmemParams) -> dict:
    """Membrane SRAM each core needs (``ceil(n_d / vpw)`` words per layer, all layers resident because
    layers pipeline across steps; a layer's pooling state, ``Layer.aux_state`` values, split evenly over
    the cores that own its outputs; a recurrent layer merging into other neurons adds nothing, it
    accumulates into their membranes); reported, not enforced."""
    maps = trace.derived(layer_maps, p.mapping)
    vpw = p.vmem_word_bits // p.vmem_bits

    def layer_words(l: Layer) -> np.ndarray:
        n = np.bincount(maps[l.name].owner if not l.spiking else maps[l.name].neuron_owner, minlength=p.mapping.cores)
        own = n > 0
        state = cdiv(l.aux_state, vpw * max(int(own.sum()), 1)) if l.aux_state else 0
        return cdiv(n, vpw) + np.where(own, state, 0)

    words = sum(layer_words(l) for l in trace.layers if not (l.recurrent and l.merges_into))  # no state of its own
    kib = float(np.max(words) * p.vmem_word_bits / 8 / 1024)
    return {"vmem_used_kib_max": kib, "vmem_capacity_kib": p.vmem_sram_kib, "vmem_fits": kib <= p.vmem_sram_kib}


def core_maps(trace: Trace, core: CoreConfig) -> dict[str, LayerMap]:
    """Every layer's mapping under ``core`` (derived once per trace and mapping)."""
    return trace.derived(layer_maps, MappingParams.of(core))


def core_activities(trace: Trace, graph: Graph, core: CoreConfig, noc: NocConfig) -> list[CoreActivity]:
    """Every layer's routed per-core counts under ``core`` and ``noc`` (derived once per trace and routing)."""
    return trace.derived(routed, RoutingParams.of(core, noc), GraphKey(graph))


def core_producers(trace: Trace, graph: Graph) -> tuple[list[np.ndarray], np.ndarray]:
    """The producing neuron of every layer's input elements (see :func:`.mapping.producers`)."""
    return trace.derived(graph_producers, GraphKey(graph))


@dataclass
class CoreRun:
    """The core engine's per-run state."""

    maps: dict[str, LayerMap]
    placement: Placement
    acts: list[CoreActivity]
    sources: list[StepSources]
    dram: Dram


class CoreEngine(Engine):
    name = "core"
    priority = 0
    always_used = True   # the neurons of every layer and the shared SRAM are on the cores

    def claims(self, layer: Layer, arch: Arch) -> bool:
        return True

    def numerics(self, arch: Arch) -> Hashable:
        return DigitalNumerics.of(arch)

    def executor(self, graph, node, layer, arch, backend, key):
        n = self.numerics(arch)
        if layer.first_layer:
            return DigitalExec(graph, node, backend, n.input_bits, n.weight_bits, n.input_full_scale)
        if n.fixed is None:
            return None
        return fixed_synapse(graph, node, backend, LayerFormat.of(graph, layer, n.fixed))

    def neuron_executor(self, graph, node, layer, arch, backend):
        """Fixed numerics: the layer's neurons on the integer datapath (kinds without a fixed-point
        form run in float64)."""
        n = self.numerics(arch)
        if n.fixed is None:
            return None
        ex = FixedNeuronExec(graph, node, backend, LayerFormat.of(graph, layer, n.fixed))
        return ex if ex.dp is not None else None

    def check(self, layers: list[Layer], spec: ArchSpec, maps: Optional[dict[str, LayerMap]] = None) -> Placement:
        """Place the weights of the layers it runs; InputError on overflow (``core.on_overflow: error``)."""
        core = spec.arch.core
        if maps is None:
            maps = map_layers(layers, core.count, core.partition, core.min_neurons_per_core)
        mine = [l for l in layers if l.engine == self.name]
        return place(mine, maps, core.sram_word_bits // core.weight_bits, core.sram_word_bits,
                     core.weight_sram_kib, core.on_overflow, spec.source)

    def prepare(self, run: CostRun) -> None:
        arch, trace = run.spec.arch, run.trace
        g = GraphKey(run.graph)
        maps = trace.derived(layer_maps, MappingParams.of(arch.core))
        run.state[self.name] = CoreRun(
            maps=maps, placement=self.check(trace.layers, run.spec, maps),
            acts=trace.derived(routed, RoutingParams.of(arch.core, arch.noc), g),
            sources=trace.derived(sources, g), dram=Dram.of(arch.memory, run.spec.tech))

    def neuron_part(self, run: CostRun, layer: Layer, counts: LayerCounts) -> tuple[LayerCost, np.ndarray, np.ndarray]:
        """The layer's part on the cores: events, neurons, FIFOs, NoC (energy, cycles, DRAM bits)."""
        st: CoreRun = run.state[self.name]
        a = run.spec.arch
        streamed = layer.name in st.placement.streamed
        if a.core.cost_model == "per_event":
            active = run.trace.derived(active_per_core, MappingParams.of(a.core))[layer.index]
            return per_event_layer_cost(a.core.per_event, a.core, a.noc, st.dram, layer, st.acts[layer.index],
                                        active, run.samples, run.timesteps, a.clock_ns, streamed=streamed)
        return spike_layer_cost(run.spec.tech, a.core, a.noc, st.dram, layer, counts, st.acts[layer.index],
                                run.samples, run.timesteps, streamed=streamed, integrate_input=layer.first_layer)

    def tasks(self, run: CostRun, layer: Layer, cycles: np.ndarray, dram_bits: np.ndarray,
              first_layer_ns: Optional[list[float]] = None, first_layer_resource: str = "pim") -> LayerTasks:
        """The layer's tasks for the schedule: core cycles, DRAM bits, NoC occupancy and latency."""
        st: CoreRun = run.state[self.name]
        noc, act = run.spec.arch.noc, st.acts[layer.index]
        link_cycles = cdiv(act.link_flits * noc.flit_bits, run.samples * noc.link_bits_per_cycle)
        if run.spec.arch.core.cost_model == "per_event" and not layer.first_layer:
            latency = noc_latency_cycles(run.spec.arch.core.per_event, act, run.spec.arch.clock_ns)
        else:
            latency = np.where(act.depth > 0, (act.depth + 1) * noc.router_latency_cycles, 0)
        src = st.sources[layer.index]
        return LayerTasks(layer.index, layer.name, cycles, dram_bits, np.asarray(link_cycles, np.int64),
                          latency.astype(np.int64), src.same, first_layer_ns, first_layer_resource,
                          delayed_sources=src.delayed, update_sources=src.update)

    def first_layer_synaptic(self, spec: ArchSpec, layer: Layer, counts: LayerCounts, samples: int,
                             timesteps: int, static: bool) -> LayerCost:
        act: Optional[FirstLayerActivity] = counts.activity
        evals = recorded_evaluations(self.name, layer.name, act, samples, timesteps, required=False)
        a = spec.arch

        def model(evals: int, policy: str) -> LayerCost:
            return core_first_layer_cost(spec.tech, a.core, a.clock_ns, layer, act, evals, policy, static, timesteps)
        return first_layer_cost(model, a.pim.static_input, static, timesteps, evals)

    def layer_cost(self, run: CostRun, layer: Layer, counts: LayerCounts) -> tuple[LayerCost, LayerTasks]:
        part, cycles, dram_bits = self.neuron_part(run, layer, counts)
        if not layer.first_layer:
            return part, self.tasks(run, layer, cycles, dram_bits)
        st: CoreRun = run.state[self.name]
        static = layer.name in run.trace.static_layers
        cost = self.first_layer_synaptic(run.spec, layer, counts, run.samples, run.timesteps, static)
        merge_parts(cost, part)
        first_layer_ns = list(cost.step_ns) if cost.step_ns is not None else [cost.latency_ns / run.timesteps] * run.timesteps
        if layer.name in st.placement.streamed:  # weights stay in DRAM: fetched once per evaluation
            bits = layer.weights * run.spec.arch.core.weight_bits
            evals = sum(1 for x in first_layer_ns if x > 0)
            cost.energy_pj["dram.weights"] = cost.energy_pj.get("dram.weights", 0.0) + st.dram.energy_pj(bits) * evals
            first_layer_ns = [x + st.dram.transfer_ns(bits) if x > 0 else x for x in first_layer_ns]
        return cost, self.tasks(run, layer, cycles, dram_bits, first_layer_ns, "cores")

    def finish(self, run: CostRun, costs: list[LayerCost], schedule) -> None:
        """Leakage of all core SRAM (weights, Vmem, FIFOs) over the delay (per-event model: the cores'
        static power), split by core busy time."""
        core, tech = run.spec.arch.core, run.spec.tech
        if core.cost_model == "per_event":
            key, total = "leakage.core", static_energy_pj(core.per_event, core.count, schedule.makespan_ns)
        else:
            kib = core.count * (core.weight_sram_kib + core.vmem_sram_kib
                                + 2 * fifo_kib(core.fifo_depth, core.fifo_word_bits))
            key, total = "leakage.sram", tech.sram_leakage_pj_per_ns(kib) * schedule.makespan_ns
        busy = np.array([schedule.layer_core_busy_ns.get(c.name, 0.0) for c in costs])
        share = busy / busy.sum() if busy.sum() > 0 else np.eye(len(costs))[0]
        for cost, s in zip(costs, share):
            cost.energy_pj[key] = float(total * s)

    def info(self, run: CostRun) -> dict:
        st: CoreRun = run.state[self.name]
        core, noc = run.spec.arch.core, run.spec.arch.noc
        return {"core_cost_model": core.cost_model, "partition": core.partition, "cores": core.count,
                "mesh": [noc.mesh_x, noc.mesh_y],
                **st.placement.info(), **run.trace.derived(vmem_occupancy, VmemParams.of(core))}


def merge_parts(cost: LayerCost, part: LayerCost) -> None:
    """Add the layer's spike-core part (its neurons) to an engine's synaptic cost."""
    for key, value in part.energy_pj.items():
        if value:
            cost.energy_pj[key] = cost.energy_pj.get(key, 0.0) + value
    cost.info = {**cost.info, "neurons_on_cores": part.info}


register(CoreEngine())

"""The whole-run cost model: functional trace + architecture -> energy, delay, schedule.

1. *map*: every layer's neurons over ``core.count`` cores (``core.partition``,
   :mod:`accelsim.hw.core.mapping`); weights placed in core SRAM or streamed from
   DRAM (:mod:`accelsim.hw.core.placement`);
2. *route*: each layer's recorded per-address spike counts through its event
   classes to per-core and per-link counts (:mod:`accelsim.hw.core.routes`);
3. *price*: the first layer's synaptic part with
   :func:`accelsim.cost.input_layer.input_layer_cost` (PIM macro or digital),
   its neurons and every later layer with the spike-core model
   (:func:`accelsim.cost.spike_layer.spike_layer_cost`);
4. *time*: the discrete-event schedule of all (layer, step, core) tasks
   (:mod:`accelsim.engine.timing`: simpy, or its exact numba replay by default);
   the delay is its makespan;
5. *leakage*: leakage power of all core SRAM (weights, Vmem, FIFOs) x delay,
   split over layers by their share of core busy time.

Routed counts are memoised per trace and mapping, schedules per task set, so a
sweep that reuses one trace re-does only what its parameters change.
"""
from __future__ import annotations

import weakref
from typing import Optional

import numpy as np

from accelsim.config.loader import ArchSpec
from accelsim.cost.components import fifo_kib
from accelsim.cost.input_layer import input_layer_cost, static_policy
from accelsim.cost.result import CostResult, LayerCost
from accelsim.cost.spike_layer import CoreActivity, LayerTasks, route_layer, spike_layer_cost
from accelsim.engine.lower import Layer
from accelsim.engine.timing import Schedule, schedule
from accelsim.engine.trace import Trace
from accelsim.hw.core.mapping import LayerMap, global_owner, map_layer, producers, source_cores
from accelsim.hw.core.placement import Placement, place
from accelsim.hw.core.routes import event_classes, profiles
from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.workload.graph import Graph

NAME = "spike_core"
NOTE = ("event-driven spike-core model: per-core counts routed from the recorded spike addresses, XY multicast "
        "NoC, weight placement, discrete-event schedule (tasks per layer, step and core; the simpy model, replayed "
        "exactly by a numba kernel; delay = makespan)")

_MEMO: dict[int, dict] = {}


def _memo(trace: Trace) -> dict:
    """Per-trace memo (freed with the trace)."""
    key = id(trace)
    if key not in _MEMO:
        _MEMO[key] = {}
        weakref.finalize(trace, _MEMO.pop, key, None)
    return _MEMO[key]


def _maps(trace: Trace, k: int, policy: str, min_neurons: int = 1) -> dict[str, LayerMap]:
    memo = _memo(trace)
    key = ("maps", k, policy, min_neurons)
    if key not in memo:
        memo[key] = {l.name: map_layer(l, k, policy, min_neurons) for l in trace.layers}
    return memo[key]


def _activities(trace: Trace, graph: Graph, spec: ArchSpec, maps: dict[str, LayerMap], mesh: Mesh,
                flits: int) -> list[CoreActivity]:
    core = spec.arch.core
    wpw, vpw = core.sram_word_bits // core.weight_bits, core.vmem_word // core.vmem_bits
    memo = _memo(trace)
    key = ("act", core.count, core.partition, core.min_neurons_per_core, mesh, wpw, vpw, flits)  # = the maps' key
    if key in memo:
        return memo[key]
    if "producers" not in memo:
        memo["producers"] = producers(graph, trace.layers)
    gids, _ = memo["producers"]
    owners = global_owner([maps[l.name] for l in trace.layers], trace.layers)
    acts = []
    for layer, adr, gid in zip(trace.layers, trace.addresses, gids):
        lmap = maps[layer.name]
        classes = None
        if not layer.input_layer:
            prof = profiles(layer, lmap, wpw, vpw)
            classes = event_classes(prof, source_cores(gid, owners), mesh, core.count)
        acts.append(route_layer(layer, adr, lmap, classes, flits, mesh.links))
    memo[key] = acts
    return acts


def _sources(trace: Trace, layer: Layer) -> tuple[int, ...]:
    """The layers whose neurons feed ``layer`` (memoised: it depends on the graph only)."""
    if layer.input_layer:
        return ()
    memo = _memo(trace)
    key = ("sources", layer.index)
    if key not in memo:
        gids, offsets = memo["producers"]
        g = gids[layer.index]
        g = g[g >= 0]
        if g.size == 0:
            memo[key] = (layer.index - 1,) if layer.index > 0 else ()
        else:
            memo[key] = tuple(int(s) for s in np.unique(np.searchsorted(offsets, g, side="right") - 1))
    return memo[key]


def check_placement(layers: list[Layer], spec: ArchSpec, arch_file: str = "",
                    maps: Optional[dict[str, LayerMap]] = None) -> Placement:
    """Place the weights of the layers that run on the cores; raises InputError on overflow (``error``).
    Needs only the lowered layers, so a run can check it before the functional simulation."""
    core = spec.arch.core
    if maps is None:
        maps = {l.name: map_layer(l, core.count, core.partition, core.min_neurons_per_core) for l in layers}
    on_cores = [l for l in layers if not (l.input_layer and spec.arch.pim.enabled)]
    return place(on_cores, maps, core.sram_word_bits // core.weight_bits, core.sram_word_bits,
                 core.weight_sram_kib, core.on_overflow, arch_file or spec.source)


def evaluate(trace: Trace, spec: ArchSpec, graph: Graph, arch_file: str = "") -> CostResult:
    """Energy and delay of one inference (averaged over the trace's samples)."""
    if len(trace.addresses) != len(trace.layers):
        raise ValueError("the trace has no per-address counts; run the functional engine of this version")
    arch, core, noc = spec.arch, spec.arch.core, spec.arch.noc
    N, T = trace.samples, trace.timesteps
    mesh = Mesh(noc.mesh_x, noc.mesh_y)
    flits = -(-core.fifo_word_bits // noc.flit_bits)
    maps = _maps(trace, core.count, core.partition, core.min_neurons_per_core)
    placement = check_placement(trace.layers, spec, arch_file, maps)
    acts = _activities(trace, graph, spec, maps, mesh, flits)
    dram = Dram(arch.memory.dram_bandwidth_gbps, arch.memory.dram_latency_ns, spec.tech.dram_pj_per_bit)

    costs: list[LayerCost] = []
    tasks: list[LayerTasks] = []
    policy_used: Optional[str] = None
    for layer, counts, act in zip(trace.layers, trace.counts, acts):
        streamed = layer.name in placement.streamed
        part, cycles, dram_bits = spike_layer_cost(spec, layer, counts, act, N, T, streamed=streamed,
                                                   integrate_input=layer.input_layer)
        front_ns, front_res = None, "pim"
        if layer.input_layer:
            static = layer.name in trace.static_layers
            cost = input_layer_cost(spec, layer, counts, N, T, static)
            policy_used = cost.info.get("static_input", static_policy(spec, static))
            for key, value in part.energy_pj.items():
                if value:
                    cost.energy_pj[key] = cost.energy_pj.get(key, 0.0) + value
            cost.info = {**cost.info, "neurons_on_cores": part.info}
            front_ns = list(cost.step_ns) if cost.step_ns is not None else [cost.latency_ns / T] * T
            front_res = "pim" if cost.engine == "pim" else "cores"
            if streamed:  # digital first layer whose weights stay in DRAM: fetched once per evaluation
                bits = layer.weights * core.weight_bits
                evals = sum(1 for x in front_ns if x > 0)
                cost.energy_pj["dram.weights"] = cost.energy_pj.get("dram.weights", 0.0) + dram.energy_pj(bits) * evals
                front_ns = [x + dram.transfer_ns(bits) if x > 0 else x for x in front_ns]
        else:
            cost = part
        link_cycles = -(-(act.link_flits * noc.flit_bits) // (N * noc.link_bits_per_cycle))
        latency = np.where(act.depth > 0, (act.depth + 1) * noc.router_latency_cycles, 0)
        tasks.append(LayerTasks(layer.index, layer.name, cycles, dram_bits, link_cycles.astype(np.int64),
                                latency.astype(np.int64), _sources(trace, layer), front_ns, front_res))
        costs.append(cost)

    # the first layer's task holds the macros its weights are programmed into (not idle spares)
    pim_used = next((int(c.info.get("macros_used", arch.pim.macros)) for c in costs if c.engine == "pim"), 1)
    sched = schedule(tasks, T, core.count, mesh, arch.clock_ns, dram, min(pim_used, arch.pim.macros))
    _leakage(spec, costs, sched)
    for cost in costs:
        cost.latency_ns = sched.layer_latency_ns(cost.name)
    info = {
        "static_input": policy_used,
        "mapping": {"partition": core.partition, "cores": core.count, "mesh": [noc.mesh_x, noc.mesh_y],
                    **placement.info(), **vmem_occupancy(trace, spec, maps)},
        "timing": timing_info(sched),
    }
    return CostResult(NAME, NOTE, costs, info, makespan_ns=sched.makespan_ns, schedule=sched)


def vmem_occupancy(trace: Trace, spec: ArchSpec, maps: dict[str, LayerMap]) -> dict:
    """Membrane SRAM each core needs (``ceil(n_d / vpw)`` words per layer, all layers resident because
    layers pipeline across steps); reported, not enforced."""
    core = spec.arch.core
    memo = _memo(trace)
    key = ("vmem", core.count, core.partition, core.vmem_word, core.vmem_bits, core.vmem_sram_kib)
    if key in memo:
        return memo[key]
    vpw = core.vmem_word // core.vmem_bits
    words = sum(-(-np.bincount(maps[l.name].owner if not l.spiking else maps[l.name].neuron_owner,
                                minlength=core.count) // vpw) for l in trace.layers)
    kib = float(np.max(words) * core.vmem_word / 8 / 1024)
    memo[key] = {"vmem_used_kib_max": kib, "vmem_capacity_kib": core.vmem_sram_kib,
                 "vmem_fits": kib <= core.vmem_sram_kib}
    return memo[key]


def _leakage(spec: ArchSpec, costs: list[LayerCost], sched: Schedule) -> None:
    """Leakage of all core SRAM over the delay, split over layers by core busy time."""
    core, tech = spec.arch.core, spec.tech
    kib = core.count * (core.weight_sram_kib + core.vmem_sram_kib + 2 * fifo_kib(core.fifo_depth, core.fifo_word_bits))
    total = tech.sram_leakage_pj_per_ns(kib) * sched.makespan_ns
    busy = np.array([sched.layer_core_busy_ns.get(c.name, 0.0) for c in costs])
    share = busy / busy.sum() if busy.sum() > 0 else np.eye(len(costs))[0]
    for cost, s in zip(costs, share):
        cost.energy_pj["leakage.sram"] = float(total * s)


def timing_info(sched: Schedule) -> dict:
    return {
        "makespan_ns": sched.makespan_ns,
        "utilization": {k: float(v) for k, v in sched.utilization().items()},
        "busy_ns": {k: float(v) for k, v in sched.busy_ns.items()},
        "layers": {name: {"start_ns": float(sched.layer_start_ns[name]), "end_ns": float(sched.layer_end_ns[name])}
                   for name in sched.layer_start_ns},
        "tasks": len(sched.rows),
    }

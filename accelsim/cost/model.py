"""The whole-run cost model: functional trace + architecture -> energy, delay, schedule.

1. every engine that runs a layer of the trace (:mod:`accelsim.hw.engines`; the
   ``core`` engine always, it holds every layer's neurons) prepares its per-run
   state: mapping, placement, routed event counts (derived once per trace and
   parameter group, so a sweep that reuses one trace re-does only what its
   parameters change);
2. each layer is priced by its engine: energy by component and the tasks it
   hands to the schedule;
3. *time*: the discrete-event schedule of all (layer, step, core) tasks
   (:mod:`accelsim.schedule`); the delay is its makespan;
4. each engine finishes what depends on the delay (the cores' SRAM leakage);
5. *throughput*: the same tasks for a stream of inputs entering back to back
   (:mod:`accelsim.schedule.pipeline`): the steady-state interval per input.
"""
from __future__ import annotations

from accelsim.config.loader import ArchSpec
from accelsim.cost.result import CostResult
from accelsim.engine.trace import Trace
from accelsim.hw.builtin import CostRun, by_priority, engine_of, engines_used, get
from accelsim.hw.noc import Mesh
from accelsim.hw.memory import Dram
from accelsim.schedule import Schedule, schedule
from accelsim.schedule.pipeline import pipelined
from accelsim.workload.graph import Graph

NAME = "spike_core"
NOTE = ("event-driven spike-core model: per-core counts routed from the recorded spike addresses, XY multicast "
        "NoC, weight placement, discrete-event schedule (tasks per layer, step and core; a numba scheduler checked "
        "bit for bit against its simpy specification; delay = makespan)")


def _check_engines(trace: Trace, spec: ArchSpec) -> None:
    for layer in trace.layers:
        want = engine_of(layer, spec.arch)
        if layer.engine != want:
            raise ValueError(f"layer {layer.name}: the trace ran it on the {layer.engine!r} engine but this "
                             f"architecture runs it on {want!r}; compute a trace for this architecture")


def evaluate(trace: Trace, spec: ArchSpec, graph: Graph, arch_file: str = "", scheduler: str = "fast",
             pipeline: bool = True) -> CostResult:
    """Energy and delay of one inference (averaged over the trace's samples); ``pipeline``: also the
    schedule of inputs streamed back to back (:mod:`accelsim.schedule.pipeline`, the throughput).
    ``scheduler``: ``fast`` (the numba model) or ``simpy`` (its executable specification), see
    :mod:`accelsim.schedule`; the same schedule either way, recorded as ``timing.scheduler``."""
    if len(trace.addresses) != len(trace.layers):
        raise ValueError("the trace has no per-address counts; run the functional engine of this version")
    _check_engines(trace, spec)
    arch = spec.arch
    run = CostRun(trace, spec, graph, arch_file or spec.source)
    engines = engines_used(trace.layers)
    for engine in engines:
        engine.prepare(run)
    costs, tasks = [], []
    for layer, counts in zip(trace.layers, trace.counts):
        cost, task = get(layer.engine).layer_cost(run, layer, counts)
        costs.append(cost)
        tasks.append(task)
    for engine in by_priority():  # what engines add beyond the layers (a hybrid's ANN: accelsim.hw.ann)
        extra, tasks = engine.extend(run, tasks)
        if extra:
            costs = costs + extra
            engines = engines + [engine] if engine not in engines else engines
    mesh = Mesh(arch.noc.mesh_x, arch.noc.mesh_y)
    macros = max([1] + [e.macros_held(run, costs) for e in engines])

    def run_schedule(task_list, steps):
        return schedule(task_list, steps, arch.core.count, mesh, arch.clock_ns, Dram.of(arch.memory, spec.tech),
                        macros, scheduler=scheduler)
    sched = run_schedule(tasks, trace.timesteps)
    stream = pipelined(tasks, trace.timesteps, sched, run_schedule) if pipeline else None
    for engine in engines:
        engine.finish(run, costs, sched)
    for cost in costs[:len(trace.layers)]:
        cost.latency_ns = sched.layer_latency_ns(cost.name)
    first = next((c for c, l in zip(costs, trace.layers) if l.first_layer), None)
    return CostResult(NAME, NOTE, costs, makespan_ns=sched.makespan_ns, schedule=sched,
                      static_input=first.static_input if first is not None else None,
                      mapping={k: v for e in engines for k, v in e.info(run).items()}, timing=timing_info(sched, scheduler),
                      pipeline=stream)


def timing_info(sched: Schedule, scheduler: str) -> dict:
    """report.json's ``timing``: which scheduler ran, makespan, busy time and utilisation per resource,
    each layer's span, the number of scheduled tasks."""
    return {
        "scheduler": scheduler,
        "makespan_ns": sched.makespan_ns,
        "utilization": {k: float(v) for k, v in sched.utilization().items()},
        "busy_ns": {k: float(v) for k, v in sched.busy_ns.items()},
        "layers": {name: {"start_ns": float(sched.layer_start_ns[name]), "end_ns": float(sched.layer_end_ns[name])}
                   for name in sched.layer_start_ns},
        "tasks": len(sched.rows),
    }

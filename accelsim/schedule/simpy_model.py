"""The schedule as simpy processes: the executable specification of the scheduler.

``--scheduler simpy`` runs these processes; the default scheduler
(:mod:`accelsim.schedule.kernel`, numba) is the model and must give the same
schedule bit for bit, which tests/test_timing_fast.py checks on the shipped
examples and on random task graphs built to tie. A timing change is made in
the kernel; when that test then fails, these processes follow (or the change
is wrong). They are the place to read the timing rules, and to try a new one
before writing it into the kernel.

Granularity is one task per (layer, time step, core), never per spike; the task
durations come from exact event counts (:mod:`accelsim.hw.core.cost`).

Per layer ``L`` and step ``t``, in this order (:meth:`SimpyRun.gate`):

1. *inputs*: every task of the layers feeding ``L`` at step ``t`` has finished
   (the first layer has no feeding layer; with an analog direct input it only
   waits for its own previous step), and, for a recurrent input
   (``LayerTasks.delayed_sources``), every task of the layers whose step ``t-1``
   spikes it reads (not at the first step of an input: the state starts at zero);
2. *first layer* only: its synaptic task, ``first_layer_ns[t]`` (the layer cost's
   ``step_ns``, :func:`accelsim.hw.first_layer.step_durations`), on all PIM macros
   (``pim0``...) at once, or on all cores when the first layer runs digitally;
3. *NoC*: the step's packets use every link they cross for
   ``ceil(flits * flit_bits / link_bits_per_cycle)`` cycles; the transfer
   acquires all its links (shared resources, so layers and steps contend),
   streams for the busiest link's time and releases them, then the deepest
   packet's router pipeline latency elapses;
4. *update sources* (``LayerTasks.update_sources``, a recurrent layer merged into
   ``L``'s neurons): every task of theirs at step ``t`` has finished;
5. *cores* (:meth:`SimpyRun.core_task`): each core with work runs its task
   (requesting the core; a task of a streamed layer also holds the shared DRAM
   port for its weight transfer, overlapped with its compute). A core runs its
   step-``t`` task of ``L`` after its step ``t-1`` task of ``L`` (membrane state).

Layers therefore pipeline across time steps: layer ``L`` at step ``t`` overlaps
layer ``L-1`` at step ``t+1``. Resources grant requests by priority
``(t, L)``: earlier steps first, then earlier layers; equal priorities in
request order (simpy's rule), so the schedule is deterministic. The delay of an
inference is the makespan.
"""
from __future__ import annotations

import numpy as np
import simpy

from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.hw.tasks import LayerTasks
from accelsim.schedule.result import Schedule, row_order


class SimpyRun:
    """One simulation: owns the environment, resources and bookkeeping."""

    def __init__(self, layers: list[LayerTasks], T: int, cores: int, mesh: Mesh, clock_ns: float, dram: Dram,
                 pim_macros: int = 1):
        self.env = simpy.Environment()
        self.layers, self.T, self.cores, self.mesh, self.clock, self.dram_model = layers, T, cores, mesh, clock_ns, dram
        env = self.env
        self.core = [simpy.PriorityResource(env, 1) for _ in range(cores)]
        self.pim = [simpy.PriorityResource(env, 1) for _ in range(pim_macros)]
        self.dram = simpy.PriorityResource(env, 1)
        used = sorted({int(l) for lt in layers for l in np.nonzero(lt.link_cycles.sum(axis=0))[0]})
        self.link = {l: simpy.PriorityResource(env, 1) for l in used}
        self.ready = [[env.event() for _ in range(T)] for _ in layers]
        self.done = [[env.event() for _ in range(T)] for _ in layers]
        self.left = [[int(np.count_nonzero(lt.core_cycles[t])) for t in range(T)] for lt in layers]
        self.rows: list[tuple] = []
        self.busy: dict[str, float] = {}
        self.core_busy = {lt.name: 0.0 for lt in layers}
        self.nl = len(layers)

    def _record(self, resource: str, layer: str, t: int, start: float, kind: str) -> None:
        end = self.env.now
        self.rows.append((resource, layer, t, start, end, kind))
        self.busy[resource] = self.busy.get(resource, 0.0) + (end - start)

    def _first_layer(self, units: list, prefix: str, kind: str, prio: int, dur: float, layer: str, t: int):
        """The first layer's synaptic task on all PIM macros (or all cores) at once: its work is
        spread evenly over them (``first_layer_ns`` already divides by their number)."""
        reqs = []
        for u in units:  # always in index order: no deadlock between such tasks
            r = u.request(priority=prio)
            reqs.append(r)
            yield r
        start = self.env.now
        yield self.env.timeout(dur)
        for m, (u, r) in enumerate(zip(units, reqs)):
            u.release(r)
            self._record(f"{prefix}{m}", layer, t, start, kind)

    def _transfer(self, lt: LayerTasks, t: int, prio: int, used: np.ndarray):
        """The step's packets: acquire every link they use (in link order, so two transfers can never
        wait on each other), stream for the busiest link's time, release. Each link is busy for its own
        share ``ceil(flits * flit_bits / link_bits_per_cycle)`` cycles; the transfer ends with the last."""
        reqs = []
        for l in used:
            r = self.link[int(l)].request(priority=prio)
            reqs.append(r)
            yield r
        start = self.env.now
        durs = [float(lt.link_cycles[t, l]) * self.clock for l in used]
        yield self.env.timeout(max(durs))
        for l, r, dur in zip(used, reqs, durs):
            self.link[int(l)].release(r)
            name = self.mesh.link_name(int(l))
            self.rows.append((name, lt.name, t, start, start + dur, "noc"))
            self.busy[name] = self.busy.get(name, 0.0) + dur

    def gate(self, i: int):
        """Per layer: wait for inputs, run the first layer's task, move packets, release the cores' tasks."""
        lt, env = self.layers[i], self.env
        for t in range(self.T):
            prio = t * self.nl + i
            deps = [self.done[s][t] for s in lt.sources]
            if lt.delayed_at(t, self.T):  # a recurrent input: the sources' spikes of the previous step
                deps += [self.done[s][t - 1] for s in lt.delayed_sources]
            if deps:
                yield env.all_of(deps)
            if lt.first_layer_ns is not None and lt.first_layer_ns[t] > 0:
                if lt.first_layer_resource == "pim":
                    yield from self._first_layer(self.pim, "pim", "pim", prio, lt.first_layer_ns[t], lt.name, t)
                else:
                    yield from self._first_layer(self.core, "core", "first_layer", prio, lt.first_layer_ns[t],
                                                 lt.name, t)
            used = np.nonzero(lt.link_cycles[t])[0]
            if used.size:
                yield from self._transfer(lt, t, prio, used)
            if lt.noc_latency_cycles[t] > 0:
                yield env.timeout(float(lt.noc_latency_cycles[t]) * self.clock)
            merged = [self.done[s][t] for s in lt.update_sources]
            if merged:  # a recurrent current into its neurons: accumulated before they update
                yield env.all_of(merged)
            self.ready[i][t].succeed()
            if self.left[i][t] == 0:
                self.done[i][t].succeed()

    def core_task(self, i: int, d: int):
        """Core ``d``'s tasks of layer ``i``, one per step with work, each after the layer's step is ready."""
        lt, env = self.layers[i], self.env
        cycles = lt.core_cycles[:, d].tolist()
        dram_bits = lt.dram_bits[:, d].tolist()
        for t in range(self.T):
            yield self.ready[i][t]
            cyc = cycles[t]
            if cyc == 0:
                continue
            dur = cyc * self.clock
            with self.core[d].request(priority=t * self.nl + i) as req:
                yield req
                start = env.now
                bits = dram_bits[t]
                if bits > 0:
                    with self.dram.request(priority=t * self.nl + i) as dreq:
                        yield dreq
                        s2 = env.now
                        yield env.timeout(self.dram_model.transfer_ns(bits))
                        self._record("dram", lt.name, t, s2, "dram")
                rest = dur - (env.now - start)
                if rest > 0:
                    yield env.timeout(rest)
                self._record(f"core{d}", lt.name, t, start, "core")
                self.core_busy[lt.name] += env.now - start
            self.left[i][t] -= 1
            if self.left[i][t] == 0:
                self.done[i][t].succeed()

    def run(self) -> Schedule:
        for i, lt in enumerate(self.layers):
            self.env.process(self.gate(i))
            for d in np.nonzero(lt.core_cycles.sum(axis=0))[0]:
                self.env.process(self.core_task(i, int(d)))
        self.env.run()
        missing = [(lt.name, t) for i, lt in enumerate(self.layers) for t in range(self.T)
                   if not self.done[i][t].triggered]
        if missing:
            raise RuntimeError(f"schedule deadlocked at {missing[:3]}")
        starts: dict[str, float] = {}
        ends: dict[str, float] = {}
        for _, layer, _, s, e, _ in self.rows:
            starts[layer] = min(starts.get(layer, s), s)
            ends[layer] = max(ends.get(layer, e), e)
        rows = sorted(self.rows, key=row_order)
        return Schedule(float(self.env.now), starts, ends, dict(sorted(self.busy.items())), self.core_busy, rows)


def schedule_simpy(layers: list[LayerTasks], T: int, cores: int, mesh: Mesh, clock_ns: float, dram: Dram,
                   pim_macros: int = 1) -> Schedule:
    """The schedule of one inference by the simpy processes (not memoised)."""
    return SimpyRun(layers, T, cores, mesh, clock_ns, dram, pim_macros).run()

"""Discrete-event schedule of one inference (simpy): tasks on cores, PIM macro, NoC links, DRAM.

Granularity is one task per (layer, time step, core), never per spike; the task
durations come from exact event counts (:mod:`accelsim.hw.core.cost`).

Per layer ``L`` and step ``t``, in this order:

1. *inputs*: every task of the layers feeding ``L`` at step ``t`` has finished
   (the first layer has no feeding layer; with an analog direct input it only
   waits for its own previous step);
2. *front* (first layer only): its synaptic task, ``step_ns[t]`` from
   :func:`accelsim.hw.first_layer_cost.input_layer_cost`, on all PIM macros
   (``pim0``...) at once, or on all cores when the first layer runs digitally;
3. *NoC*: the step's packets use every link they cross for
   ``ceil(flits * flit_bits / link_bits_per_cycle)`` cycles; the transfer
   acquires all its links (shared resources, so layers and steps contend),
   streams for the busiest link's time and releases them, then the deepest
   packet's router pipeline latency elapses;
4. *cores*: each core with work runs its task (requesting the core; a task of a
   streamed layer also holds the shared DRAM port for its weight transfer,
   overlapped with its compute). A core runs its step-``t`` task of ``L`` after
   its step ``t-1`` task of ``L`` (membrane state).

Layers therefore pipeline across time steps: layer ``L`` at step ``t`` overlaps
layer ``L-1`` at step ``t+1``. Resources grant requests by priority
``(t, L)``: earlier steps first, then earlier layers; equal priorities in
request order (simpy's rule), so the schedule is deterministic. The delay of an
inference is the makespan.

Schedules are memoised on their inputs (a digest of the task arrays), so a
sweep over energy-only parameters reuses them.

Two engines give the same schedule, bit for bit: ``"simpy"`` runs the
processes of :class:`_Run` (the reference); ``"fast"`` (default) replays the
same events in simpy's order in :mod:`accelsim.schedule.kernel` (numba),
about 60x faster (docs/spike-core.md §8.1).
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

import numpy as np
import simpy

from accelsim.hw.tasks import LayerTasks
from accelsim.schedule import kernel as timing_kernel
from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh

TIMELINE_HEADER = ("resource", "layer", "step", "start_ns", "end_ns", "kind")


@dataclass
class Schedule:
    makespan_ns: float
    layer_start_ns: dict[str, float]
    layer_end_ns: dict[str, float]
    busy_ns: dict[str, float]                 # per resource
    layer_core_busy_ns: dict[str, float]      # per layer: core-task time summed over cores
    rows: Sequence[tuple] = field(default_factory=list)  # timeline rows (TIMELINE_HEADER), by start

    def utilization(self) -> dict[str, float]:
        span = self.makespan_ns or 1.0
        return {r: b / span for r, b in sorted(self.busy_ns.items())}

    def layer_latency_ns(self, name: str) -> float:
        if name not in self.layer_start_ns:
            return 0.0
        return self.layer_end_ns[name] - self.layer_start_ns[name]


class _Rows(Sequence):
    """The timeline rows of :func:`_fast` in :meth:`_Run.run`'s order ``(start, end, resource, layer,
    step)``; sorted and made into tuples only when read (a sweep only asks for their number)."""

    def __init__(self, names: list[str], layers: list[str], res: np.ndarray, layer: np.ndarray, t: np.ndarray,
                 start: np.ndarray, end: np.ndarray, kind: np.ndarray):
        self._cols = (names, layers, res, layer, t, start, end, kind)
        self._rows: Optional[list[tuple]] = None

    def _list(self) -> list[tuple]:
        if self._rows is None:
            names, layers, res, layer, t, start, end, kind = self._cols
            rank = {n: k for k, n in enumerate(sorted(set(names)))}
            lrank = {n: k for k, n in enumerate(sorted(set(layers)))}
            res_rank = np.array([rank[n] for n in names], np.int64)
            layer_rank = np.array([lrank[n] for n in layers], np.int64)
            # np.lexsort is stable, as sorted() is: equal keys keep the recording order
            order = np.lexsort((t, layer_rank[layer], res_rank[res], end, start))
            kinds = timing_kernel.KINDS
            self._rows = [(names[r], layers[i], s, a, b, kinds[k]) for r, i, s, a, b, k in
                          zip(res[order].tolist(), layer[order].tolist(), t[order].tolist(), start[order].tolist(),
                              end[order].tolist(), kind[order].tolist())]
        return self._rows

    def __len__(self) -> int:
        return len(self._cols[2])

    def __getitem__(self, k):
        return self._list()[k]

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and self._list() == list(other)

    def __repr__(self) -> str:
        return repr(self._list())


class _Run:
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

    def _front(self, units: list, prefix: str, kind: str, prio: int, dur: float, layer: str, t: int):
        """The first layer's synaptic task on all PIM macros (or all cores) at once: its work is
        spread evenly over them (``step_ns`` already divides by their number)."""
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
        """Per layer: wait for inputs, run the front task, move packets, release the cores' tasks."""
        lt, env = self.layers[i], self.env
        for t in range(self.T):
            prio = t * self.nl + i
            deps = [self.done[s][t] for s in lt.sources]
            if deps:
                yield env.all_of(deps)
            if lt.front_ns is not None and lt.front_ns[t] > 0:
                if lt.front_resource == "pim":
                    yield from self._front(self.pim, "pim", "pim", prio, lt.front_ns[t], lt.name, t)
                else:
                    yield from self._front(self.core, "core", "input", prio, lt.front_ns[t], lt.name, t)
            used = np.nonzero(lt.link_cycles[t])[0]
            if used.size:
                yield from self._transfer(lt, t, prio, used)
            if lt.noc_latency_cycles[t] > 0:
                yield env.timeout(float(lt.noc_latency_cycles[t]) * self.clock)
            self.ready[i][t].succeed()
            if self.left[i][t] == 0:
                self.done[i][t].succeed()

    def core_task(self, i: int, d: int):
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
        missing = [(lt.name, t) for i, lt in enumerate(self.layers) for t in range(self.T) if not self.done[i][t].triggered]
        if missing:
            raise RuntimeError(f"schedule deadlocked at {missing[:3]}")
        starts: dict[str, float] = {}
        ends: dict[str, float] = {}
        for _, layer, _, s, e, _ in self.rows:
            starts[layer] = min(starts.get(layer, s), s)
            ends[layer] = max(ends.get(layer, e), e)
        rows = sorted(self.rows, key=lambda r: (r[3], r[4], r[0], r[1], r[2]))
        return Schedule(float(self.env.now), starts, ends, dict(sorted(self.busy.items())), self.core_busy, rows)


_CACHE: "OrderedDict[str, Schedule]" = OrderedDict()
_CACHE_SIZE = 256


def _digest(layers: list[LayerTasks], *params) -> str:
    h = hashlib.sha1(repr(params).encode())
    for lt in layers:
        h.update(repr((lt.index, lt.name, lt.sources, lt.front_resource, lt.front_ns)).encode())
        for a in (lt.core_cycles, lt.dram_bits, lt.link_cycles, lt.noc_latency_cycles):
            h.update(np.ascontiguousarray(a).tobytes())
            h.update(repr(a.shape).encode())
    return h.hexdigest()


ENGINES = ("fast", "simpy")


def schedule(layers: list[LayerTasks], T: int, cores: int, mesh: Mesh, clock_ns: float, dram: Dram,
             pim_macros: int = 1, cache: bool = True, engine: str = "fast") -> Schedule:
    """The schedule of one inference; memoised on its inputs unless ``cache`` is False.

    ``engine``: ``"simpy"`` runs the processes of :class:`_Run` (the reference); ``"fast"`` (default)
    replays the same events in :mod:`accelsim.schedule.kernel` and gives the identical schedule."""
    if engine not in ENGINES:
        raise ValueError(f"unknown schedule engine {engine!r}; expected one of {ENGINES}")
    params = (T, cores, mesh, clock_ns, dram, pim_macros, engine)
    if engine == "simpy":
        key = _digest(layers, *params) if cache else None
    else:  # the kernel's arrays hold everything the schedule depends on: digest those
        packed = _pack(layers, T, cores, dram)
        key = _digest_packed(packed, [lt.name for lt in layers], *params) if cache else None
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    if engine == "simpy":
        result = _Run(layers, T, cores, mesh, clock_ns, dram, pim_macros).run()
    else:
        result = _fast(packed, layers, T, cores, mesh, clock_ns, pim_macros)
    if key is not None:
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


@lru_cache(maxsize=64)
def _resource_names(cores: int, pim_macros: int, mesh: Mesh, n_links: int) -> list[str]:
    """Names of the kernel's resources by index (cores, PIM macros, DRAM, links)."""
    names = [f"core{d}" for d in range(cores)] + [f"pim{m}" for m in range(pim_macros)] + ["dram"]
    return names + [mesh.link_name(l) for l in range(n_links)]


def _pack(layers: list[LayerTasks], T: int, cores: int, dram: Dram) -> tuple:
    """The task arrays of all layers stacked for :func:`accelsim.schedule.kernel.simulate`
    (its arguments from ``core_cycles`` on)."""
    nl = len(layers)
    n_links = max([lt.link_cycles.shape[1] for lt in layers] + [0])
    core_cycles = np.zeros((nl, T, cores), np.int64)
    dram_on = np.zeros((nl, T, cores), np.bool_)
    dram_ns = np.zeros((nl, T, cores), np.float64)
    link_cycles = np.zeros((nl, T, n_links), np.int64)
    lat = np.zeros((nl, T), np.int64)
    front = np.zeros((nl, T), np.float64)
    front_kind = np.zeros(nl, np.int64)
    src_ptr = np.zeros(nl + 1, np.int64)
    proc_layer: list[int] = []
    proc_core: list[int] = []
    for i, lt in enumerate(layers):
        cc = np.asarray(lt.core_cycles)
        core_cycles[i, :, :cc.shape[1]] = cc
        bits = np.asarray(lt.dram_bits)
        on = bits > 0
        if on.any():  # the transfer time exactly as _Run computes it (same function, same operands)
            dram_on[i, :, :bits.shape[1]] = on
            values = bits.tolist()
            for t, d in zip(*np.nonzero(on)):
                dram_ns[i, t, d] = dram.transfer_ns(values[t][d])
        link_cycles[i, :, :lt.link_cycles.shape[1]] = lt.link_cycles
        lat[i] = lt.noc_latency_cycles
        if lt.front_ns is not None:
            front[i] = lt.front_ns
            front_kind[i] = 1 if lt.front_resource == "pim" else 2
        src_ptr[i + 1] = src_ptr[i] + len(lt.sources)
        # processes in _Run.run's order: the layer's gate (-1), then its cores with any work
        busy_cores = np.nonzero(cc.sum(axis=0))[0].tolist()
        proc_layer += [i] * (1 + len(busy_cores))
        proc_core += [-1] + busy_cores
    src_idx = np.array([s for lt in layers for s in lt.sources], np.int64)
    return (core_cycles, dram_on, dram_ns, link_cycles, lat, front, front_kind, src_ptr, src_idx,
            np.array(proc_layer, np.int64), np.array(proc_core, np.int64))


def _digest_packed(packed: tuple, names: list[str], *params) -> str:
    h = hashlib.sha1(repr((names, params)).encode())
    for a in packed:
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _fast(packed: tuple, layers: list[LayerTasks], T: int, cores: int, mesh: Mesh, clock_ns: float,
          pim_macros: int) -> Schedule:
    """The schedule of :class:`_Run`, computed by :func:`accelsim.schedule.kernel.simulate`."""
    nl = len(layers)
    n_links = packed[3].shape[2]
    done, now, rec, busy, has, core_busy, first, l_start, l_end = timing_kernel.simulate(
        T, cores, pim_macros, float(clock_ns), *packed)
    if not done.all():
        missing = [(layers[e // T].name, e % T) for e in np.nonzero(~done)[0].tolist()]
        raise RuntimeError(f"schedule deadlocked at {missing[:3]}")
    names = _resource_names(cores, pim_macros, mesh, n_links)
    lnames = [lt.name for lt in layers]
    ints = rec[:, [0, 1, 2, 5]].astype(np.int64)
    rows = _Rows(names, lnames, ints[:, 0], ints[:, 1], ints[:, 2], rec[:, 3], rec[:, 4], ints[:, 3])
    order = sorted((int(first[i]), i) for i in range(nl) if first[i] >= 0)
    starts = {lnames[i]: float(l_start[i]) for _, i in order}
    ends = {lnames[i]: float(l_end[i]) for _, i in order}
    busy_ns = dict(sorted((names[r], float(busy[r])) for r in np.nonzero(has)[0]))
    layer_busy = {name: float(b) for name, b in zip(lnames, core_busy)}
    return Schedule(float(now), starts, ends, busy_ns, layer_busy, rows)


def timeline_csv(sched: Schedule) -> str:
    """The timeline as CSV text (header :data:`TIMELINE_HEADER`), one row per scheduled task."""
    lines = [",".join(TIMELINE_HEADER)]
    for res, layer, t, s, e, kind in sched.rows:
        lines.append(f"{res},{layer},{t},{s:.6f},{e:.6f},{kind}")
    return "\n".join(lines) + "\n"



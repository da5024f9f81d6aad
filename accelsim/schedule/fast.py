"""The scheduler's Python side: the layers' tasks packed into the arrays of
:func:`accelsim.schedule.kernel.simulate`, and its result made a :class:`Schedule`."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from accelsim.errors import fail
from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.hw.tasks import LayerTasks
from accelsim.schedule import kernel
from accelsim.schedule.result import Schedule, TimelineRows


@lru_cache(maxsize=64)
def _resource_names(cores: int, pim_macros: int, mesh: Mesh, n_links: int) -> list[str]:
    """Names of the kernel's resources by index (cores, PIM macros, DRAM, links)."""
    names = [f"core{d}" for d in range(cores)] + [f"pim{m}" for m in range(pim_macros)] + ["dram"]
    return names + [mesh.link_name(l) for l in range(n_links)]


MAX_PACKED_BYTES = 512 * 2**20   # the stacked task arrays of one schedule


def check_packed_size(layers: list[LayerTasks], T: int, cores: int) -> int:
    """The NoC links of the packed arrays; an InputError naming the mesh when the arrays would take
    more than :data:`MAX_PACKED_BYTES` (checked before a memoised schedule is looked up, too)."""
    nl = len(layers)
    n_links = max([lt.link_cycles.shape[1] for lt in layers] + [0])
    need = nl * T * (17 * cores + 8 * n_links)
    if need > MAX_PACKED_BYTES:
        raise fail("", "noc", f"scheduling {nl} layers x {T} time steps on {cores} cores and {n_links} NoC links "
                   f"needs {need / 2**20:.0f} MiB, more than {MAX_PACKED_BYTES // 2**20} MiB: use a smaller mesh "
                   "(noc.mesh_x, noc.mesh_y), fewer cores or fewer time steps")
    return n_links


def pack(layers: list[LayerTasks], T: int, cores: int, dram: Dram) -> tuple:
    """The task arrays of all layers stacked for :func:`accelsim.schedule.kernel.simulate`
    (its arguments from ``core_cycles`` on); refused (an InputError naming the mesh) when they
    would take more than :data:`MAX_PACKED_BYTES`."""
    nl = len(layers)
    n_links = check_packed_size(layers, T, cores)
    core_cycles = np.zeros((nl, T, cores), np.int64)
    dram_on = np.zeros((nl, T, cores), np.bool_)
    dram_ns = np.zeros((nl, T, cores), np.float64)
    link_cycles = np.zeros((nl, T, n_links), np.int64)
    lat = np.zeros((nl, T), np.int64)
    first_ns = np.zeros((nl, T), np.float64)
    first_kind = np.zeros(nl, np.int64)
    src_ptr = np.zeros(nl + 1, np.int64)
    dsrc_ptr = np.zeros(nl + 1, np.int64)
    d_period = np.zeros(nl, np.int64)
    usrc_ptr = np.zeros(nl + 1, np.int64)
    proc_layer: list[int] = []
    proc_core: list[int] = []
    for i, lt in enumerate(layers):
        cc = np.asarray(lt.core_cycles)
        core_cycles[i, :, :cc.shape[1]] = cc
        bits = np.asarray(lt.dram_bits)
        on = bits > 0
        if on.any():  # the transfer time exactly as the simpy model computes it (same function, same operands)
            dram_on[i, :, :bits.shape[1]] = on
            values = bits.tolist()
            for t, d in zip(*np.nonzero(on)):
                dram_ns[i, t, d] = dram.transfer_ns(values[t][d])
        link_cycles[i, :, :lt.link_cycles.shape[1]] = lt.link_cycles
        lat[i] = lt.noc_latency_cycles
        if lt.first_layer_ns is not None:
            first_ns[i] = lt.first_layer_ns
            first_kind[i] = 1 if lt.first_layer_resource == "pim" else 2
        src_ptr[i + 1] = src_ptr[i] + len(lt.sources)
        dsrc_ptr[i + 1] = dsrc_ptr[i] + len(lt.delayed_sources)
        d_period[i] = lt.input_steps or T
        usrc_ptr[i + 1] = usrc_ptr[i] + len(lt.update_sources)
        # processes in SimpyRun.run's order: the layer's gate (-1), then its cores with any work
        busy_cores = np.nonzero(cc.sum(axis=0))[0].tolist()
        proc_layer += [i] * (1 + len(busy_cores))
        proc_core += [-1] + busy_cores
    src_idx = np.array([s for lt in layers for s in lt.sources], np.int64)
    dsrc_idx = np.array([s for lt in layers for s in lt.delayed_sources], np.int64)
    usrc_idx = np.array([s for lt in layers for s in lt.update_sources], np.int64)
    return (core_cycles, dram_on, dram_ns, link_cycles, lat, first_ns, first_kind, src_ptr, src_idx, dsrc_ptr,
            dsrc_idx, d_period, usrc_ptr, usrc_idx, np.array(proc_layer, np.int64), np.array(proc_core, np.int64))


def schedule_fast(packed: tuple, layers: list[LayerTasks], T: int, cores: int, mesh: Mesh, clock_ns: float,
                  pim_macros: int) -> Schedule:
    """The schedule of the packed tasks by :func:`accelsim.schedule.kernel.simulate` (not memoised)."""
    nl = len(layers)
    n_links = packed[3].shape[2]
    done, now, rec, busy, has, core_busy, first, l_start, l_end = kernel.simulate(
        T, cores, pim_macros, float(clock_ns), *packed)
    if not done.all():
        missing = [(layers[e // T].name, e % T) for e in np.nonzero(~done)[0].tolist()]
        raise RuntimeError(f"schedule deadlocked at {missing[:3]}")
    names = _resource_names(cores, pim_macros, mesh, n_links)
    lnames = [lt.name for lt in layers]
    ints = rec[:, [0, 1, 2, 5]].astype(np.int64)
    rows = TimelineRows(names, lnames, ints[:, 0], ints[:, 1], ints[:, 2], rec[:, 3], rec[:, 4], ints[:, 3])
    order = sorted((int(first[i]), i) for i in range(nl) if first[i] >= 0)
    starts = {lnames[i]: float(l_start[i]) for _, i in order}
    ends = {lnames[i]: float(l_end[i]) for _, i in order}
    busy_ns = dict(sorted((names[r], float(busy[r])) for r in np.nonzero(has)[0]))
    layer_busy = {name: float(b) for name, b in zip(lnames, core_busy)}
    return Schedule(float(now), starts, ends, busy_ns, layer_busy, rows)

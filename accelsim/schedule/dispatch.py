""":func:`schedule`: the schedule of one inference by the chosen scheduler, memoised on its inputs."""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.hw.tasks import LayerTasks
from accelsim.schedule.fast import check_packed_size, pack, schedule_fast
from accelsim.schedule.result import Schedule
from accelsim.schedule.simpy_model import schedule_simpy

# "fast": the numba scheduler (the model, :mod:`.kernel`); "simpy": its executable specification
# (:mod:`.simpy_model`). Both give the same schedule bit for bit.
SCHEDULERS = ("fast", "simpy")

_CACHE: "OrderedDict[str, Schedule]" = OrderedDict()
_CACHE_SIZE = 256


def task_digest(layers: list[LayerTasks], *params) -> str:
    """The one key of a schedule, whichever scheduler runs it: the scheduler's parameters and every
    field of every layer's tasks that a schedule reads (not ``info``), each array with its dtype and
    shape (the two schedulers read the same fields; tests/test_schedule_digest.py changes each)."""
    h = hashlib.sha1(repr(params).encode())
    for lt in layers:
        h.update(repr((lt.index, lt.name, lt.sources, lt.delayed_sources, lt.update_sources, lt.input_steps,
                       lt.first_layer_resource, lt.first_layer_ns)).encode())
        for a in (lt.core_cycles, lt.dram_bits, lt.link_cycles, lt.noc_latency_cycles):
            a = np.ascontiguousarray(a)
            h.update(repr((a.dtype.str, a.shape)).encode())
            h.update(a.tobytes())
    return h.hexdigest()


def schedule(layers: list[LayerTasks], T: int, cores: int, mesh: Mesh, clock_ns: float, dram: Dram,
             pim_macros: int = 1, cache: bool = True, scheduler: str = "fast") -> Schedule:
    """The schedule of one inference; memoised on its inputs unless ``cache`` is False (a sweep over
    energy-only parameters reuses it).

    ``scheduler``: ``"fast"`` (default) runs the numba model :mod:`accelsim.schedule.kernel`;
    ``"simpy"`` runs its specification, the processes of :mod:`accelsim.schedule.simpy_model`, and
    gives the identical schedule."""
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}; expected one of {SCHEDULERS}")
    params = (T, cores, mesh, clock_ns, dram, pim_macros, scheduler)
    if scheduler == "fast":
        check_packed_size(layers, T, cores)   # a problem too large is refused whether or not it is memoised
    key = task_digest(layers, *params) if cache else None
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    if scheduler == "simpy":
        result = schedule_simpy(layers, T, cores, mesh, clock_ns, dram, pim_macros)
    else:   # packed only when it runs
        result = schedule_fast(pack(layers, T, cores, dram), layers, T, cores, mesh, clock_ns, pim_macros)
    if key is not None:
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def clear_cache() -> None:
    """Forget every memoised schedule (benchmarks time fresh schedules)."""
    _CACHE.clear()

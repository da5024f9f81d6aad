"""The schedule's step dependency of a recurrent input (``LayerTasks.delayed_sources``): a layer's
step t waits for its delayed sources' step t-1; forward layers keep pipelining across steps. Both
schedulers (the numba kernel and its simpy specification) give the same schedule bit for bit."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import accelsim.schedule as timing
from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.hw.tasks import LayerTasks
from accelsim.schedule.pipeline import pipelined, tile

from tests.test_timing_fast import both, random_tasks

MESH = Mesh(2, 1)
DRAM = Dram(8.0, 1.0, 1.0)


def _layer(i: int, cycles: list[list[int]], sources=(), delayed=(), link: int = 0, latency: int = 0) -> LayerTasks:
    cyc = np.array(cycles, np.int64)
    T = cyc.shape[0]
    links = np.zeros((T, MESH.links), np.int64)
    links[:, 0] = link
    return LayerTasks(i, f"l{i}", cyc, np.zeros(cyc.shape), links, np.full(T, latency, np.int64), tuple(sources),
                      None, delayed_sources=tuple(delayed))


def test_merged_recurrent_current_holds_back_only_the_core_tasks():
    """``f`` (core 0) has a NoC transfer of 3 cycles before its 4-cycle core task at every step; the
    recurrent ``r`` (core 1, 2 cycles) merges into ``f``'s neurons: an update source of ``f``, so
    ``f``'s transfer of step t overlaps ``r``'s step t and only its core task waits. r0 0-2 while
    f's transfer runs 0-3, f0 3-7; r1 waits f0: 7-9; f's transfer of step 1 ran 3-6, so f1 9-13;
    r2 13-15, f2 15-19. As a same-step source (the whole step waits) it would be 0-2, 2-5, 5-9, ...
    3 cycles later at every step: 9 + 3 * 3 = 27 ns.
    """
    links = np.zeros((3, MESH.links), np.int64)
    links[:, 0] = 3
    f = replace(_layer(0, [[4, 0]] * 3), link_cycles=links, update_sources=(1,))
    r = _layer(1, [[0, 2]] * 3, delayed=(0,))
    s = both([f, r], 3, 2, MESH, 1.0, DRAM, 1)
    assert s.makespan_ns == 19.0
    core = sorted((row[1], row[2], row[3], row[4]) for row in s.rows if row[5] == "core")
    assert core == [("l0", 0, 3.0, 7.0), ("l0", 1, 9.0, 13.0), ("l0", 2, 15.0, 19.0),
                    ("l1", 0, 0.0, 2.0), ("l1", 1, 7.0, 9.0), ("l1", 2, 13.0, 15.0)]
    whole = both([replace(f, update_sources=(), sources=(1,)), r], 3, 2, MESH, 1.0, DRAM, 1)
    assert whole.makespan_ns == 27.0


def test_recurrent_layer_waits_for_its_own_previous_step():
    """Two layers on two cores, T = 3, clock 1 ns. ``f`` (forward, core 0) takes 4 cycles per step;
    ``r`` (core 1) takes 2 cycles per step and reads ``f``'s step t-1 (a recurrent input).

    Without the delay ``r`` and ``f`` are independent: ``f`` ends at 12 ns, ``r`` at 6 ns, the
    makespan is 12 ns. Made recurrent through a merge (``f``'s step t waits for ``r``'s step t,
    ``r``'s step t for ``f``'s step t-1) with a NoC transfer of 3 link cycles and a router
    latency of 1 cycle before each of ``r``'s steps but the first (its input at t = 0 is zero):
    r0: 0-2; f0: 2-6; r1: transfer 6-9, latency 9-10, core 10-12; f1: 12-16; r2: transfer 16-19,
    latency 19-20, core 20-22; f2: 22-26. Makespan 26 ns: every step of the loop is serial.
    """
    f = _layer(0, [[4, 0]] * 3)
    r = _layer(1, [[0, 2]] * 3)
    free = both([f, r], 3, 2, MESH, 1.0, DRAM, 1)
    assert free.makespan_ns == 12.0

    links = np.zeros((3, MESH.links), np.int64)
    links[1:, 0] = 3
    r = replace(r, link_cycles=links, noc_latency_cycles=np.array([0, 1, 1], np.int64), delayed_sources=(0,))
    f = replace(f, sources=(1,))
    loop = both([f, r], 3, 2, MESH, 1.0, DRAM, 1)
    assert loop.makespan_ns == 26.0
    core = sorted((row[1], row[2], row[3], row[4]) for row in loop.rows if row[5] == "core")
    assert core == [("l0", 0, 2.0, 6.0), ("l0", 1, 12.0, 16.0), ("l0", 2, 22.0, 26.0),
                    ("l1", 0, 0.0, 2.0), ("l1", 1, 10.0, 12.0), ("l1", 2, 20.0, 22.0)]


def test_forward_layers_keep_pipelining():
    """``a`` (core 0, 3 cycles/step) feeds the recurrent ``h`` (core 1, 2 cycles/step) whose step t
    waits for its own step t-1 (a self loop): ``a`` is not held back by the recurrence and runs its
    steps back to back (0-3, 3-6, 6-9), ``h`` follows each (3-5, 6-8, 9-11)."""
    a = _layer(0, [[3, 0]] * 3)
    h = _layer(1, [[0, 2]] * 3, sources=(0,), delayed=(1,))
    s = both([a, h], 3, 2, MESH, 1.0, DRAM, 1)
    core = sorted((row[1], row[2], row[3], row[4]) for row in s.rows if row[5] == "core")
    assert core == [("l0", 0, 0.0, 3.0), ("l0", 1, 3.0, 6.0), ("l0", 2, 6.0, 9.0),
                    ("l1", 0, 3.0, 5.0), ("l1", 1, 6.0, 8.0), ("l1", 2, 9.0, 11.0)]
    assert s.makespan_ns == 11.0


def test_stream_restarts_the_recurrence_with_every_input():
    """Inputs streamed back to back (``tile``, T = 2 per input, 3 inputs): the first step of every
    input does not wait for the previous input's last step (its recurrent input is zero).

    ``r`` (core 1): link transfer 2 cycles then 2 core cycles; ``f`` (core 0): 4 cycles after ``r``'s
    same step. One input: r0 0-4, f0 4-8, r1 8-12, f1 12-16. Streamed: r2 does not wait for f1 (its
    transfer 10-12 follows r1's, its core task 12-14), f2 16-20 (core 0 busy until 16); r3 waits f2:
    20-24, f3 24-28; r4 22-26 (after r3's transfer), f4 28-32; r5 32-36, f5 36-40: makespan 40 ns,
    where a single chain of 6 steps (no restart) takes 6 x 8 = 48 ns.
    """
    f = _layer(0, [[4, 0]] * 2, sources=(1,))
    r = _layer(1, [[0, 2]] * 2, delayed=(0,), link=2)
    assert both([f, r], 2, 2, MESH, 1.0, DRAM, 1).makespan_ns == 16.0
    tiled = tile([f, r], 3)
    assert all(lt.input_steps == 2 for lt in tiled)
    assert not tiled[1].delayed_at(2, 6) and tiled[1].delayed_at(3, 6)
    assert both(tiled, 6, 2, MESH, 1.0, DRAM, 1).makespan_ns == 40.0
    chain = [replace(lt, input_steps=0) for lt in tiled]
    assert both(chain, 6, 2, MESH, 1.0, DRAM, 1).makespan_ns == 48.0
    stream = pipelined([f, r], 2, both([f, r], 2, 2, MESH, 1.0, DRAM, 1),
                       lambda tasks, steps: both(tasks, steps, 2, MESH, 1.0, DRAM, 1), inputs=4)
    assert 0 < stream["interval_ns"] < 16.0


def random_recurrent_tasks(seed: int):
    """:func:`tests.test_timing_fast.random_tasks` with delayed sources added (any layer: itself,
    earlier or later ones, repeated), update sources (layers that come before it in the same-step
    order, so no step waits on itself), sometimes a stream of inputs (``input_steps``)."""
    layers, T, cores, mesh, clock, dram, pim = random_tasks(seed)
    rng = np.random.default_rng(10_000 + seed)
    nl = len(layers)
    before = _same_step_order(layers)
    out = []
    for lt in layers:
        delayed, update = (), ()
        if rng.random() < 0.6:
            delayed = tuple(int(s) for s in rng.choice(nl, size=int(rng.integers(1, nl + 1)),
                                                       replace=rng.random() < 0.3))
        earlier = before[:before.index(lt.index)]
        if earlier and rng.random() < 0.5:
            update = tuple(int(s) for s in rng.choice(earlier, size=int(rng.integers(1, len(earlier) + 1))))
        steps = int(rng.choice([0, 1, 2])) if T > 1 else 0
        out.append(replace(lt, delayed_sources=delayed, update_sources=update, input_steps=steps))
    return out, T, cores, mesh, clock, dram, pim


def _same_step_order(layers: list[LayerTasks]) -> list[int]:
    """The layers in an order where every layer comes after its same-step sources."""
    order: list[int] = []
    while len(order) < len(layers):
        order += [lt.index for lt in layers if lt.index not in order and all(s in order for s in lt.sources)][:1]
    return order


@pytest.mark.parametrize("seed", range(150))
def test_random_recurrent_task_graphs(seed):
    both(*random_recurrent_tasks(seed))


def test_delayed_sources_change_the_memo_key():
    f = _layer(0, [[4, 0]] * 3)
    r = _layer(1, [[0, 2]] * 3, link=1)
    for scheduler in timing.SCHEDULERS:
        a = timing.schedule([f, r], 3, 2, MESH, 1.0, DRAM, 1, scheduler=scheduler)
        b = timing.schedule([replace(f, sources=(1,)), replace(r, delayed_sources=(0,))], 3, 2, MESH, 1.0, DRAM, 1,
                            scheduler=scheduler)
        assert b.makespan_ns > a.makespan_ns

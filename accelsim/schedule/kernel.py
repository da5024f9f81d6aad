"""The scheduler (numba): the timing model of one inference, :func:`simulate`.

This is the model: a timing change is made here (the process phases of
:func:`_run`; simpy's event machinery is in :mod:`accelsim.schedule.events`).
Its executable specification is the simpy processes of
:mod:`accelsim.schedule.simpy_model`: the kernel replays exactly the events
they schedule, in simpy's order, with the same float arithmetic, so every
start, end, busy sum and the makespan are bit-identical, which
tests/test_timing_fast.py checks on the shipped examples and on random task
graphs built to tie. When a timing change makes that test fail, the simpy
processes follow in the same commit (or the change is wrong).

Pure: arrays in, arrays out. Processes are numbered as ``SimpyRun.run`` creates
them (per layer: its gate, then its core tasks by core index). Each process is
a state machine: every ``yield`` of the simpy process ends a phase, and a
process runs phase after phase until one makes it wait for an event.

numba keys a cached function on its own source file only, and :func:`simulate`
(and :func:`_run`) compile in the code of ``events.py`` and the kinds of
``result.py``; so their cache is also keyed on a digest of those files (:func:`_cached`), and an edit
there recompiles it (~10 s once) instead of reusing a stale build.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numba import njit

from accelsim.schedule import events, result
from accelsim.schedule.events import DONE, READY, RELEASE, RESUME, pop, push, record, release, request, try_grant, wait
from accelsim.schedule.result import KINDS

# record kinds: indices into the timeline's kinds
_K_PIM, _K_FIRST_LAYER, _K_CORE, _K_NOC, _K_DRAM = (KINDS.index(k) for k in ("pim", "first_layer", "core", "noc",
                                                                             "dram"))
# phases of a layer's gate and of a core's task (each begins after the yield it follows)
_G_STEP, _G_FIRST, _G_FIRST_REQ, _G_FIRST_RUN, _G_XFER, _G_LINK_REQ, _G_LINK_RUN, _G_LAT, _G_MERGE, _G_READY = range(10)
_C_STEP, _C_CHECK, _C_GRANT, _C_DGRANT, _C_DDONE, _C_REST, _C_END = range(10, 17)
_END = 99


def _cached(func):
    """``njit(cache=True)``, the cache keyed on the source of the modules ``func`` compiles in as well."""
    h = hashlib.sha1()
    for module in (events, result):
        h.update(Path(module.__file__).read_bytes())
    func.__qualname__ = f"{func.__qualname__}_{h.hexdigest()[:12]}"
    return njit(cache=True)(func)


@_cached
def simulate(T, n_core, n_pim, clock, core_cycles, dram_on, dram_ns, link_cycles, lat_cycles, first_ns,
             first_kind, src_ptr, src_idx, dsrc_ptr, dsrc_idx, d_period, usrc_ptr, usrc_idx, proc_layer, proc_core):
    """Run the schedule.

    ``core_cycles``/``dram_on``/``dram_ns`` [layers, T, cores] (task cycles; the task streams
    weights; its DRAM transfer time), ``link_cycles`` [layers, T, links], ``lat_cycles`` [layers, T],
    ``first_ns`` [layers, T] with ``first_kind`` per layer (0 none, 1 PIM macros, 2 cores): the first
    layer's synaptic task per step; sources of layer ``i`` = ``src_idx[src_ptr[i]:src_ptr[i+1]]``;
    its delayed (recurrent) sources ``dsrc_idx[dsrc_ptr[i]:dsrc_ptr[i+1]]``, whose step ``t-1`` it waits
    for at every step ``t`` with ``t % d_period[i] != 0``; the layers ``usrc_idx[usrc_ptr[i]:usrc_ptr[i+1]]``
    whose step ``t`` must be done before its core tasks of step ``t`` start (a recurrent current merged
    into its neurons);
    processes ``p`` run layer ``proc_layer[p]`` on core ``proc_core[p]`` (-1: the layer's gate).

    Resources: core ``d`` -> ``d``, PIM macro ``m`` -> ``n_core + m``, DRAM -> ``n_core + n_pim``,
    link ``l`` -> ``n_core + n_pim + 1 + l``.

    Returns (done per (layer, step) ``i * T + t``, makespan, records [n, 6] (resource, layer,
    step, start, end, kind) in the order simpy records them, busy per resource, has-records per
    resource, core busy per layer, layer's first record index, layer start, layer end); a step
    not done means a deadlock.
    """
    nl = core_cycles.shape[0]
    R = n_core + n_pim + 1 + link_cycles.shape[2]
    n_req, n_ev, n_wait = _bounds(T, n_core, n_pim, core_cycles, dram_on, link_cycles, first_ns, first_kind,
                                  src_idx, dsrc_idx, usrc_idx, proc_layer)
    H = np.empty((n_ev, 4), np.float64)         # events: time, id, kind, arg
    st = np.zeros(7, np.int64)                  # counters (:mod:`accelsim.schedule.events`)
    RS = np.zeros((R, 2), np.int64)             # per resource: busy, first queued request (-1: none)
    RS[:, 1] = -1
    RQ = np.empty((n_req + 1, 4), np.float64)   # requests: priority, time, process, next queued
    REC = np.empty((n_req + 1, 6), np.float64)  # records: resource, layer, step, start, end, kind
    busy = np.zeros(R, np.float64)
    core_busy = np.zeros(nl, np.float64)
    done, now = _run(T, n_core, n_pim, clock, core_cycles, dram_on, dram_ns, link_cycles, lat_cycles, first_ns,
                     first_kind, src_ptr, src_idx, dsrc_ptr, dsrc_idx, d_period, usrc_ptr, usrc_idx, proc_layer,
                     proc_core, n_wait, H, st, RS, RQ, REC, busy, core_busy)
    REC = REC[:st[3]]
    has, first_rec, l_start, l_end = _spans(REC, R, nl)
    return done, now, REC, busy, has, core_busy, first_rec, l_start, l_end


@njit(cache=True)
def _bounds(T, n_core, n_pim, core_cycles, dram_on, link_cycles, first_ns, first_kind, src_idx, dsrc_idx,
            usrc_idx, proc_layer):
    """Sizes every run fits: requests, events ever scheduled, waiter entries."""
    n_req = 0
    for i in range(core_cycles.shape[0]):
        units = n_pim if first_kind[i] == 1 else n_core
        for t in range(T):
            if first_kind[i] != 0 and first_ns[i, t] > 0:
                n_req += units
            for l in range(link_cycles.shape[2]):
                if link_cycles[i, t, l] != 0:
                    n_req += 1
            for d in range(n_core):
                if core_cycles[i, t, d] != 0:
                    n_req += 1
                    if dram_on[i, t, d]:
                        n_req += 1
    # per request a grant and a release, per core/DRAM request at most one timeout, per (layer, step) a
    # first-layer, transfer and latency timeout, a ready, a done, two conditions
    n_ev = 3 * n_req + 7 * core_cycles.shape[0] * T + 16
    n_wait = proc_layer.shape[0] * T + (src_idx.shape[0] + dsrc_idx.shape[0] + usrc_idx.shape[0]) * T + 1
    return n_req, n_ev, n_wait


@_cached
def _run(T, n_core, n_pim, clock, core_cycles, dram_on, dram_ns, link_cycles, lat_cycles, first_ns, first_kind,
         src_ptr, src_idx, dsrc_ptr, dsrc_idx, d_period, usrc_ptr, usrc_idx, proc_layer, proc_core, n_wait, H, st,
         RS, RQ, REC, busy, core_busy):
    """The event loop and the processes' phases; returns (done triggered per (layer, step), makespan).

    Per layer a *gate* (:meth:`SimpyRun.gate <accelsim.schedule.simpy_model.SimpyRun.gate>`: inputs,
    first layer's task, NoC transfer, latency, ready) and per core with work a *task* process
    (:meth:`SimpyRun.core_task <accelsim.schedule.simpy_model.SimpyRun.core_task>`); each phase
    below is named after the simpy line it continues from.

    One function of ~260 lines on purpose, measured on the shipped examples: with the state in
    named tuples and the phases as functions, the schedule ran ~7x slower (reading an array out of a
    tuple, or passing it to a jitted call, costs atomic reference-count updates) and, with those
    functions inlined (nested ``inline="always"``), numba's compile took ~50 s instead of ~11 s;
    phase functions taking the arrays themselves would need ~25 arguments each.
    """
    nl = core_cycles.shape[0]
    n_links = link_cycles.shape[2]
    dram_r = n_core + n_pim
    link_r0 = dram_r + 1
    n_proc = proc_layer.shape[0]
    nT = nl * T

    # (layer, step) e = i * T + t: its ready event processed, done event processed and triggered, core tasks
    # left; waiter lists (slot e: its ready event, nT + e: its done event)
    ready_done = np.zeros(nT, np.bool_)
    done_done = np.zeros(nT, np.bool_)
    done_trig = np.zeros(nT, np.bool_)
    left = np.zeros(nT, np.int64)
    for i in range(nl):
        for t in range(T):
            for d in range(n_core):
                if core_cycles[i, t, d] != 0:
                    left[i * T + t] += 1
    w_head = np.full(2 * nT, -1, np.int64)
    w_tail = np.full(2 * nT, -1, np.int64)
    w_proc = np.empty(n_wait, np.int64)
    w_next = np.empty(n_wait, np.int64)
    # per process: step, phase, unit or link requested, start, DRAM start, all_of events needed and counted
    p_t = np.zeros(n_proc, np.int64)
    p_phase = np.empty(n_proc, np.int64)
    for p in range(n_proc):
        p_phase[p] = _G_STEP if proc_core[p] < 0 else _C_STEP
    p_k = np.zeros(n_proc, np.int64)
    p_start = np.zeros(n_proc, np.float64)
    p_s2 = np.zeros(n_proc, np.float64)
    p_need = np.zeros(n_proc, np.int64)
    p_count = np.zeros(n_proc, np.int64)

    runq = np.empty(n_proc + 1, np.int64)
    for p in range(n_proc):  # URGENT initialisations: every process starts at time 0, in order
        runq[p] = p
    n_run = n_proc
    now = 0.0
    while True:
        for qi in range(n_run):
            p = runq[qi]
            i = proc_layer[p]
            d = proc_core[p]
            while True:  # run process p until it waits for an event
                ph = p_phase[p]
                t = p_t[p]
                prio = t * nl + i
                # ---- a layer's gate
                if ph == _G_STEP:  # for t in range(T): yield all_of(done of the sources at t, of the
                    if t == T:      # delayed sources at t - 1)
                        p_phase[p] = _END
                        break
                    n_src = src_ptr[i + 1] - src_ptr[i]
                    n_del = dsrc_ptr[i + 1] - dsrc_ptr[i] if t % d_period[i] != 0 else 0
                    p_phase[p] = _G_FIRST
                    if n_src + n_del > 0:
                        p_need[p] = n_src + n_del
                        p_count[p] = 0
                        for j in range(src_ptr[i], src_ptr[i + 1] + n_del):
                            if j < src_ptr[i + 1]:
                                e = src_idx[j] * T + t
                            else:
                                e = dsrc_idx[dsrc_ptr[i] + j - src_ptr[i + 1]] * T + t - 1
                            if done_done[e]:
                                p_count[p] += 1
                                if p_count[p] == p_need[p]:
                                    push(H, st, now, now, RESUME, p)
                            else:
                                wait(nT + e, p, w_head, w_tail, w_proc, w_next, st)
                        break
                elif ph == _G_FIRST:  # _first_layer: request every PIM macro (or core) in index order
                    if first_kind[i] != 0 and first_ns[i, t] > 0:
                        base = n_core if first_kind[i] == 1 else 0
                        p_k[p] = 0
                        p_phase[p] = _G_FIRST_REQ
                        request(base, prio, p, now, RS, RQ, H, st)
                        break
                    p_phase[p] = _G_XFER
                elif ph == _G_FIRST_REQ:  # yield r: the next unit, or all held: yield timeout(first_ns)
                    base = n_core if first_kind[i] == 1 else 0
                    units = n_pim if first_kind[i] == 1 else n_core
                    k = p_k[p] + 1
                    p_k[p] = k
                    if k < units:
                        request(base + k, prio, p, now, RS, RQ, H, st)
                        break
                    p_start[p] = now
                    p_phase[p] = _G_FIRST_RUN
                    push(H, st, now, now + first_ns[i, t], RESUME, p)
                    break
                elif ph == _G_FIRST_RUN:  # release and record every unit
                    base = n_core if first_kind[i] == 1 else 0
                    units = n_pim if first_kind[i] == 1 else n_core
                    rk = _K_PIM if first_kind[i] == 1 else _K_FIRST_LAYER
                    for m in range(units):
                        release(base + m, now, RS, H, st)
                        record(REC, st, base + m, i, t, p_start[p], now, rk)
                        busy[base + m] += now - p_start[p]
                    p_phase[p] = _G_XFER
                elif ph == _G_XFER or ph == _G_LINK_REQ:  # _transfer: request the used links in order
                    l = 0 if ph == _G_XFER else p_k[p] + 1
                    while l < n_links and link_cycles[i, t, l] == 0:
                        l += 1
                    if l < n_links:
                        p_k[p] = l
                        p_phase[p] = _G_LINK_REQ
                        request(link_r0 + l, prio, p, now, RS, RQ, H, st)
                        break
                    if ph == _G_XFER:  # no packets
                        p_phase[p] = _G_LAT
                        continue
                    p_start[p] = now  # all held: yield timeout(busiest link's time)
                    longest = -np.inf
                    for l in range(n_links):
                        if link_cycles[i, t, l] != 0:
                            dur = float(link_cycles[i, t, l]) * clock
                            if dur > longest:
                                longest = dur
                    p_phase[p] = _G_LINK_RUN
                    push(H, st, now, now + longest, RESUME, p)
                    break
                elif ph == _G_LINK_RUN:  # release every link, record its own share
                    start = p_start[p]
                    for l in range(n_links):
                        if link_cycles[i, t, l] != 0:
                            release(link_r0 + l, now, RS, H, st)
                            dur = float(link_cycles[i, t, l]) * clock
                            record(REC, st, link_r0 + l, i, t, start, start + dur, _K_NOC)
                            busy[link_r0 + l] += dur
                    p_phase[p] = _G_LAT
                elif ph == _G_LAT:  # yield timeout(router latency of the deepest packet)
                    p_phase[p] = _G_MERGE
                    if lat_cycles[i, t] > 0:
                        push(H, st, now, now + float(lat_cycles[i, t]) * clock, RESUME, p)
                        break
                elif ph == _G_MERGE:  # yield all_of(done of the update sources at t)
                    n_upd = usrc_ptr[i + 1] - usrc_ptr[i]
                    p_phase[p] = _G_READY
                    if n_upd > 0:
                        p_need[p] = n_upd
                        p_count[p] = 0
                        for j in range(usrc_ptr[i], usrc_ptr[i + 1]):
                            e = usrc_idx[j] * T + t
                            if done_done[e]:
                                p_count[p] += 1
                                if p_count[p] == n_upd:
                                    push(H, st, now, now, RESUME, p)
                            else:
                                wait(nT + e, p, w_head, w_tail, w_proc, w_next, st)
                        break
                elif ph == _G_READY:  # ready.succeed(); done.succeed() when no core has work
                    e = i * T + t
                    push(H, st, now, now, READY, e)
                    if left[e] == 0:
                        done_trig[e] = True
                        push(H, st, now, now, DONE, e)
                    p_t[p] = t + 1
                    p_phase[p] = _G_STEP
                # ---- a core's task
                elif ph == _C_STEP:  # for t in range(T): yield ready
                    if t == T:
                        p_phase[p] = _END
                        break
                    e = i * T + t
                    p_phase[p] = _C_CHECK
                    if not ready_done[e]:
                        wait(e, p, w_head, w_tail, w_proc, w_next, st)
                        break
                elif ph == _C_CHECK:  # no work: next step; else yield core request
                    if core_cycles[i, t, d] == 0:
                        p_t[p] = t + 1
                        p_phase[p] = _C_STEP
                        continue
                    p_phase[p] = _C_GRANT
                    request(d, prio, p, now, RS, RQ, H, st)
                    break
                elif ph == _C_GRANT:  # start; a streamed layer: yield DRAM request
                    p_start[p] = now
                    if dram_on[i, t, d]:
                        p_phase[p] = _C_DGRANT
                        request(dram_r, prio, p, now, RS, RQ, H, st)
                        break
                    p_phase[p] = _C_REST
                elif ph == _C_DGRANT:  # yield timeout(the weights' transfer)
                    p_s2[p] = now
                    p_phase[p] = _C_DDONE
                    push(H, st, now, now + dram_ns[i, t, d], RESUME, p)
                    break
                elif ph == _C_DDONE:  # record and release the DRAM port
                    record(REC, st, dram_r, i, t, p_s2[p], now, _K_DRAM)
                    busy[dram_r] += now - p_s2[p]
                    release(dram_r, now, RS, H, st)
                    p_phase[p] = _C_REST
                elif ph == _C_REST:  # yield timeout(the rest of the task's cycles)
                    dur = core_cycles[i, t, d] * clock
                    rest = dur - (now - p_start[p])
                    p_phase[p] = _C_END
                    if rest > 0:
                        push(H, st, now, now + rest, RESUME, p)
                        break
                elif ph == _C_END:  # record, release the core; done.succeed() by the step's last task
                    start = p_start[p]
                    record(REC, st, d, i, t, start, now, _K_CORE)
                    busy[d] += now - start
                    core_busy[i] += now - start
                    release(d, now, RS, H, st)
                    e = i * T + t
                    left[e] -= 1
                    if left[e] == 0:
                        done_trig[e] = True
                        push(H, st, now, now, DONE, e)
                    p_t[p] = t + 1
                    p_phase[p] = _C_STEP
                else:
                    break

        # ---- the next event and the processes it resumes, in simpy's callback order
        if st[0] == 0 and st[4] == st[5]:
            return done_trig, now
        now, kind, arg = pop(H, st)
        n_run = 0
        if kind == RESUME:
            runq[0] = arg
            n_run = 1
        elif kind == RELEASE:
            try_grant(arg, now, RS, RQ, H, st)
        elif kind == READY:  # the core tasks waiting for the step
            ready_done[arg] = True
            w = w_head[arg]
            while w >= 0:
                runq[n_run] = w_proc[w]
                n_run += 1
                w = w_next[w]
        else:  # DONE: the all_of conditions waiting on it count it
            done_done[arg] = True
            w = w_head[nT + arg]
            while w >= 0:
                q = w_proc[w]
                p_count[q] += 1
                if p_count[q] == p_need[q]:
                    push(H, st, now, now, RESUME, q)
                w = w_next[w]


@njit(cache=True)
def _spans(REC, R, nl):
    """Which resources have records; each layer's first record, start and end."""
    has = np.zeros(R, np.bool_)
    first_rec = np.full(nl, -1, np.int64)
    l_start = np.zeros(nl, np.float64)
    l_end = np.zeros(nl, np.float64)
    for k in range(REC.shape[0]):
        has[int(REC[k, 0])] = True
        i = int(REC[k, 1])
        if first_rec[i] < 0:
            first_rec[i] = k
            l_start[i] = REC[k, 3]
            l_end[i] = REC[k, 4]
        else:
            l_start[i] = min(l_start[i], REC[k, 3])
            l_end[i] = max(l_end[i], REC[k, 4])
    return has, first_rec, l_start, l_end

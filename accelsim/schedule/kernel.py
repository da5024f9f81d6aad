"""The schedule of :mod:`accelsim.schedule.model` without simpy: the same event order, in numba.

simpy orders events by ``(time, priority, id)``: ``id`` counts every event ever
scheduled, so events at the same time run in the order they were scheduled.
This kernel replays exactly the events the simpy processes of
:class:`accelsim.schedule.model._Run` schedule, in the same order, with the
same float arithmetic, so every start, end, busy sum and the makespan are
bit-identical. What it reproduces of simpy:

* an event heap keyed ``(time, id)`` (all events here are NORMAL priority; the
  URGENT process initialisations all run first at time 0, in creation order);
* ``PriorityResource(capacity=1)``: a request joins a queue sorted by
  ``(priority, request time, arrival)``; the head is granted (an event at
  ``now``) whenever the queue is tried while the resource is free: when a
  request arrives and when a release event is *processed*. A release frees the
  resource at once but schedules its release event, so a request arriving in
  between can be granted first;
* ``ready`` events resume their waiting core tasks in the order they started
  waiting; a task that reaches an already-processed ``ready`` goes on at once;
* ``all_of(done...)`` counts its processed events and schedules itself when
  the count is complete;
* events nobody waits on (process ends, the request's own no-op callback) are
  left out: they do not change the order of the others.

Pure: arrays in, arrays out. Processes are numbered as ``_Run.run`` creates
them (per layer: its gate, then its core tasks by core index).

Speed: the state lives in a few 2-D arrays (events, requests, records) because
every array a jitted helper receives costs two atomic reference-count updates
per call; ``_pop``, ``_try_grant`` and ``_request`` are inlined into the
simulation loop (the others are not: inlining them too saves ~25 % of the run
time but doubles the one-off compile time to ~17 s).
"""
from __future__ import annotations

import numpy as np
from numba import njit

# event kinds
_RESUME, _RELEASE, _READY, _DONE = 0, 1, 2, 3
# record kinds (timeline "kind" column)
KINDS = ("pim", "input", "core", "noc", "dram")
_K_PIM, _K_INPUT, _K_CORE, _K_NOC, _K_DRAM = 0, 1, 2, 3, 4
# process phases
_G_STEP, _G_FRONT, _G_FRONT_REQ, _G_FRONT_RUN, _G_XFER, _G_LINK_REQ, _G_LINK_RUN, _G_LAT, _G_READY = range(9)
_C_STEP, _C_CHECK, _C_GRANT, _C_DGRANT, _C_DDONE, _C_REST, _C_END = range(9, 16)
_END = 99


@njit(cache=True)
def _push(H, st, now, time, kind, arg):
    """Schedule an event: a row ``(time, id, kind, arg)`` of ``H``. st[0] = heap size, st[1] = next
    event id, st[4:6] = head and tail of the queue of events at ``now``: they come after every
    pending event of smaller id, so a FIFO (ids in order, at the end of ``H``) beside the heap keeps
    simpy's ``(time, id)`` order without heap operations."""
    eid = st[1]
    st[1] = eid + 1
    if time == now:
        j = H.shape[0] - 1 - st[5]
        st[5] += 1
        H[j, 0], H[j, 1], H[j, 2], H[j, 3] = time, eid, kind, arg
        return
    i = st[0]
    st[0] = i + 1
    while i > 0:
        parent = (i - 1) >> 1
        if H[parent, 0] < time or (H[parent, 0] == time and H[parent, 1] < eid):
            break
        H[i, 0], H[i, 1], H[i, 2], H[i, 3] = H[parent, 0], H[parent, 1], H[parent, 2], H[parent, 3]
        i = parent
    H[i, 0], H[i, 1], H[i, 2], H[i, 3] = time, eid, kind, arg


@njit(cache=True, inline="always")
def _pop(H, st):
    """Remove the earliest event of the heap and the FIFO; returns (time, kind, arg). The FIFO's
    events are all at the current time, so it is empty whenever time moves on; it restarts then."""
    if st[4] < st[5]:
        f = H.shape[0] - 1 - st[4]
        if st[0] == 0 or H[0, 0] > H[f, 0] or (H[0, 0] == H[f, 0] and H[0, 1] > H[f, 1]):
            st[4] += 1
            if st[4] == st[5]:
                st[4], st[5] = 0, 0
            return H[f, 0], int(H[f, 2]), int(H[f, 3])
    time, kind, arg = H[0, 0], int(H[0, 2]), int(H[0, 3])
    n = st[0] - 1
    st[0] = n
    if n > 0:
        lt, le, lk, la = H[n, 0], H[n, 1], H[n, 2], H[n, 3]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and (H[c + 1, 0] < H[c, 0] or (H[c + 1, 0] == H[c, 0] and H[c + 1, 1] < H[c, 1])):
                c += 1
            if lt < H[c, 0] or (lt == H[c, 0] and le < H[c, 1]):
                break
            H[i, 0], H[i, 1], H[i, 2], H[i, 3] = H[c, 0], H[c, 1], H[c, 2], H[c, 3]
            i = c
        H[i, 0], H[i, 1], H[i, 2], H[i, 3] = lt, le, lk, la
    return time, kind, arg


@njit(cache=True, inline="always")
def _try_grant(r, now, RS, RQ, H, st):
    """simpy's ``_trigger_put`` on a capacity-1 PriorityResource: grant the queue's head if free.
    ``RS[r]`` = (busy, first queued request); ``RQ[j]`` = (priority, request time, process, next)."""
    j = RS[r, 1]
    if RS[r, 0] or j < 0:
        return
    best, best_prev = j, -1
    prev, j = j, int(RQ[j, 3])
    while j >= 0:   # the list is in arrival order: strict < keeps the earliest of equal keys
        if RQ[j, 0] < RQ[best, 0] or (RQ[j, 0] == RQ[best, 0] and RQ[j, 1] < RQ[best, 1]):
            best, best_prev = j, prev
        prev, j = j, int(RQ[j, 3])
    if best_prev < 0:
        RS[r, 1] = int(RQ[best, 3])
    else:
        RQ[best_prev, 3] = RQ[best, 3]
    RS[r, 0] = 1
    _push(H, st, now, now, _RESUME, RQ[best, 2])


@njit(cache=True, inline="always")
def _request(r, prio, p, now, RS, RQ, H, st):
    j = st[2]
    st[2] = j + 1
    RQ[j, 0], RQ[j, 1], RQ[j, 2], RQ[j, 3] = prio, now, p, -1
    k = RS[r, 1]
    if k < 0:
        RS[r, 1] = j
    else:
        while RQ[k, 3] >= 0:
            k = int(RQ[k, 3])
        RQ[k, 3] = j
    _try_grant(r, now, RS, RQ, H, st)


@njit(cache=True)
def _release(r, now, RS, H, st):
    RS[r, 0] = 0
    _push(H, st, now, now, _RELEASE, r)


@njit(cache=True)
def _record(REC, st, res, layer, t, start, end, kind):
    k = st[3]
    st[3] = k + 1
    REC[k, 0], REC[k, 1], REC[k, 2], REC[k, 3], REC[k, 4], REC[k, 5] = res, layer, t, start, end, kind


@njit(cache=True)
def simulate(T, n_core, n_pim, clock, core_cycles, dram_on, dram_ns, link_cycles, lat_cycles, front_ns,
             front_kind, src_ptr, src_idx, proc_layer, proc_core):
    """Run the schedule.

    ``core_cycles``/``dram_on``/``dram_ns`` [layers, T, cores] (task cycles; the task streams
    weights; its DRAM transfer time), ``link_cycles`` [layers, T, links], ``lat_cycles`` [layers, T],
    ``front_ns`` [layers, T] with ``front_kind`` per layer (0 none, 1 PIM macros, 2 cores),
    sources of layer ``i`` = ``src_idx[src_ptr[i]:src_ptr[i+1]]``; processes ``p`` run layer
    ``proc_layer[p]`` on core ``proc_core[p]`` (-1: the layer's gate).

    Resources: core ``d`` -> ``d``, PIM macro ``m`` -> ``n_core + m``, DRAM -> ``n_core + n_pim``,
    link ``l`` -> ``n_core + n_pim + 1 + l``.

    Returns (done per (layer, step) ``i * T + t``, makespan, records [n, 6] (resource, layer,
    step, start, end, kind) in the order simpy records them, busy per resource, has-records per
    resource, core busy per layer, layer's first record index, layer start, layer end); a step
    not done means a deadlock.
    """
    nl = core_cycles.shape[0]
    n_links = link_cycles.shape[2]
    R = n_core + n_pim + 1 + n_links
    dram_r = n_core + n_pim
    link_r0 = dram_r + 1
    n_proc = proc_layer.shape[0]

    # bounds: requests, records, events
    n_req = 0
    for i in range(nl):
        units = n_pim if front_kind[i] == 1 else n_core
        for t in range(T):
            if front_kind[i] != 0 and front_ns[i, t] > 0:
                n_req += units
            for l in range(n_links):
                if link_cycles[i, t, l] != 0:
                    n_req += 1
            for d in range(n_core):
                if core_cycles[i, t, d] != 0:
                    n_req += 1
                    if dram_on[i, t, d]:
                        n_req += 1
    # every event ever scheduled fits: per request a grant and a release, per core/DRAM request at most
    # one timeout, per (layer, step) a front, transfer and latency timeout, a ready, a done, a condition
    n_ev = 3 * n_req + 6 * nl * T + 16
    n_wait = n_proc * T + src_idx.shape[0] * T + 1

    H = np.empty((n_ev, 4), np.float64)       # events: time, id, kind, arg
    st = np.zeros(6, np.int64)  # heap size, next event id, requests, records, FIFO head and tail
    RS = np.zeros((R, 2), np.int64)           # per resource: busy, first queued request (-1: none)
    RS[:, 1] = -1
    RQ = np.empty((n_req + 1, 4), np.float64)  # requests: priority, time, process, next queued
    REC = np.empty((n_req + 1, 6), np.float64)  # records: resource, layer, step, start, end, kind
    busy = np.zeros(R, np.float64)
    core_busy = np.zeros(nl, np.float64)

    # ready / done events of (layer, step) e = i * T + t: processed flags and waiter lists
    ready_done = np.zeros(nl * T, np.bool_)
    done_done = np.zeros(nl * T, np.bool_)
    done_trig = np.zeros(nl * T, np.bool_)
    w_head = np.full(2 * nl * T, -1, np.int64)  # [0, nl*T): ready, [nl*T, 2*nl*T): done
    w_tail = np.full(2 * nl * T, -1, np.int64)
    w_proc = np.empty(n_wait, np.int64)
    w_next = np.empty(n_wait, np.int64)
    n_w = 0
    left = np.zeros(nl * T, np.int64)
    for i in range(nl):
        for t in range(T):
            c = 0
            for d in range(n_core):
                if core_cycles[i, t, d] != 0:
                    c += 1
            left[i * T + t] = c

    # process state
    p_t = np.zeros(n_proc, np.int64)
    p_phase = np.empty(n_proc, np.int64)
    p_k = np.zeros(n_proc, np.int64)
    p_start = np.zeros(n_proc, np.float64)
    p_s2 = np.zeros(n_proc, np.float64)
    p_need = np.zeros(n_proc, np.int64)
    p_count = np.zeros(n_proc, np.int64)
    for p in range(n_proc):
        p_phase[p] = _G_STEP if proc_core[p] < 0 else _C_STEP

    runq = np.empty(n_proc + 1, np.int64)
    now = 0.0
    n_run = n_proc
    for p in range(n_proc):  # URGENT initialisations: every process starts at time 0, in order
        runq[p] = p
    first = True
    while True:
        if not first:
            if st[0] == 0 and st[4] == st[5]:
                break
            now, kind, arg = _pop(H, st)
            n_run = 0
            if kind == _RESUME:
                runq[0] = arg
                n_run = 1
            elif kind == _RELEASE:
                _try_grant(arg, now, RS, RQ, H, st)
            elif kind == _READY:
                ready_done[arg] = True
                w = w_head[arg]
                while w >= 0:
                    runq[n_run] = w_proc[w]
                    n_run += 1
                    w = w_next[w]
            else:  # _DONE: the all_of conditions waiting on it count it
                done_done[arg] = True
                w = w_head[nl * T + arg]
                while w >= 0:
                    q = w_proc[w]
                    p_count[q] += 1
                    if p_count[q] == p_need[q]:
                        _push(H, st, now, now, _RESUME, q)
                    w = w_next[w]
        first = False

        for qi in range(n_run):
            p = runq[qi]
            i = proc_layer[p]
            d = proc_core[p]
            while True:  # run process p until it waits for an event
                ph = p_phase[p]
                t = p_t[p]
                prio = t * nl + i
                if ph == _G_STEP:
                    if t == T:
                        p_phase[p] = _END
                        break
                    n_src = src_ptr[i + 1] - src_ptr[i]
                    p_phase[p] = _G_FRONT
                    if n_src > 0:
                        p_need[p] = n_src
                        p_count[p] = 0
                        for j in range(src_ptr[i], src_ptr[i + 1]):
                            e = src_idx[j] * T + t
                            if done_done[e]:
                                p_count[p] += 1
                                if p_count[p] == n_src:
                                    _push(H, st, now, now, _RESUME, p)
                            else:
                                slot = nl * T + e
                                w_proc[n_w], w_next[n_w] = p, -1
                                if w_head[slot] < 0:
                                    w_head[slot] = n_w
                                else:
                                    w_next[w_tail[slot]] = n_w
                                w_tail[slot] = n_w
                                n_w += 1
                        break
                elif ph == _G_FRONT:
                    if front_kind[i] != 0 and front_ns[i, t] > 0:
                        base = n_core if front_kind[i] == 1 else 0
                        p_k[p] = 0
                        p_phase[p] = _G_FRONT_REQ
                        _request(base, prio, p, now, RS, RQ, H, st)
                        break
                    p_phase[p] = _G_XFER
                elif ph == _G_FRONT_REQ:
                    base = n_core if front_kind[i] == 1 else 0
                    units = n_pim if front_kind[i] == 1 else n_core
                    k = p_k[p] + 1
                    p_k[p] = k
                    if k < units:
                        _request(base + k, prio, p, now, RS, RQ, H, st)
                        break
                    p_start[p] = now
                    p_phase[p] = _G_FRONT_RUN
                    _push(H, st, now, now + front_ns[i, t], _RESUME, p)
                    break
                elif ph == _G_FRONT_RUN:
                    base = n_core if front_kind[i] == 1 else 0
                    units = n_pim if front_kind[i] == 1 else n_core
                    rk = _K_PIM if front_kind[i] == 1 else _K_INPUT
                    for m in range(units):
                        _release(base + m, now, RS, H, st)
                        _record(REC, st, base + m, i, t, p_start[p], now, rk)
                        busy[base + m] += now - p_start[p]
                    p_phase[p] = _G_XFER
                elif ph == _G_XFER or ph == _G_LINK_REQ:
                    l = 0 if ph == _G_XFER else p_k[p] + 1
                    while l < n_links and link_cycles[i, t, l] == 0:
                        l += 1
                    if l < n_links:
                        p_k[p] = l
                        p_phase[p] = _G_LINK_REQ
                        _request(link_r0 + l, prio, p, now, RS, RQ, H, st)
                        break
                    if ph == _G_XFER:
                        p_phase[p] = _G_LAT
                        continue
                    p_start[p] = now
                    longest = -np.inf
                    for l in range(n_links):
                        if link_cycles[i, t, l] != 0:
                            dur = float(link_cycles[i, t, l]) * clock
                            if dur > longest:
                                longest = dur
                    p_phase[p] = _G_LINK_RUN
                    _push(H, st, now, now + longest, _RESUME, p)
                    break
                elif ph == _G_LINK_RUN:
                    start = p_start[p]
                    for l in range(n_links):
                        if link_cycles[i, t, l] != 0:
                            _release(link_r0 + l, now, RS, H, st)
                            dur = float(link_cycles[i, t, l]) * clock
                            _record(REC, st, link_r0 + l, i, t, start, start + dur, _K_NOC)
                            busy[link_r0 + l] += dur
                    p_phase[p] = _G_LAT
                elif ph == _G_LAT:
                    p_phase[p] = _G_READY
                    if lat_cycles[i, t] > 0:
                        _push(H, st, now, now + float(lat_cycles[i, t]) * clock, _RESUME, p)
                        break
                elif ph == _G_READY:
                    e = i * T + t
                    _push(H, st, now, now, _READY, e)
                    if left[e] == 0:
                        done_trig[e] = True
                        _push(H, st, now, now, _DONE, e)
                    p_t[p] = t + 1
                    p_phase[p] = _G_STEP
                elif ph == _C_STEP:
                    if t == T:
                        p_phase[p] = _END
                        break
                    e = i * T + t
                    p_phase[p] = _C_CHECK
                    if not ready_done[e]:
                        w_proc[n_w], w_next[n_w] = p, -1
                        if w_head[e] < 0:
                            w_head[e] = n_w
                        else:
                            w_next[w_tail[e]] = n_w
                        w_tail[e] = n_w
                        n_w += 1
                        break
                elif ph == _C_CHECK:
                    if core_cycles[i, t, d] == 0:
                        p_t[p] = t + 1
                        p_phase[p] = _C_STEP
                        continue
                    p_phase[p] = _C_GRANT
                    _request(d, prio, p, now, RS, RQ, H, st)
                    break
                elif ph == _C_GRANT:
                    p_start[p] = now
                    if dram_on[i, t, d]:
                        p_phase[p] = _C_DGRANT
                        _request(dram_r, prio, p, now, RS, RQ, H, st)
                        break
                    p_phase[p] = _C_REST
                elif ph == _C_DGRANT:
                    p_s2[p] = now
                    p_phase[p] = _C_DDONE
                    _push(H, st, now, now + dram_ns[i, t, d], _RESUME, p)
                    break
                elif ph == _C_DDONE:
                    _record(REC, st, dram_r, i, t, p_s2[p], now, _K_DRAM)
                    busy[dram_r] += now - p_s2[p]
                    _release(dram_r, now, RS, H, st)
                    p_phase[p] = _C_REST
                elif ph == _C_REST:
                    dur = core_cycles[i, t, d] * clock
                    rest = dur - (now - p_start[p])
                    p_phase[p] = _C_END
                    if rest > 0:
                        _push(H, st, now, now + rest, _RESUME, p)
                        break
                elif ph == _C_END:
                    start = p_start[p]
                    _record(REC, st, d, i, t, start, now, _K_CORE)
                    busy[d] += now - start
                    core_busy[i] += now - start
                    _release(d, now, RS, H, st)
                    e = i * T + t
                    left[e] -= 1
                    if left[e] == 0:
                        done_trig[e] = True
                        _push(H, st, now, now, _DONE, e)
                    p_t[p] = t + 1
                    p_phase[p] = _C_STEP
                else:
                    break

    n_rec = st[3]
    has = np.zeros(R, np.bool_)
    first_rec = np.full(nl, -1, np.int64)
    l_start = np.zeros(nl, np.float64)
    l_end = np.zeros(nl, np.float64)
    for k in range(n_rec):
        has[int(REC[k, 0])] = True
        i = int(REC[k, 1])
        if first_rec[i] < 0:
            first_rec[i] = k
            l_start[i] = REC[k, 3]
            l_end[i] = REC[k, 4]
        else:
            l_start[i] = min(l_start[i], REC[k, 3])
            l_end[i] = max(l_end[i], REC[k, 4])
    return done_trig, now, REC[:n_rec], busy, has, core_busy, first_rec, l_start, l_end

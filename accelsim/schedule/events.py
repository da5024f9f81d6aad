"""simpy's event queue, capacity-1 ``PriorityResource`` and event callbacks, in numba.

What the scheduler (:mod:`accelsim.schedule.kernel`) needs of simpy, with its
exact order, so that the kernel and the simpy specification
(:mod:`accelsim.schedule.simpy_model`) give bit-identical schedules:

* an event heap keyed ``(time, id)``: ``id`` counts every event ever
  scheduled, so events at the same time run in the order they were scheduled
  (all events here are NORMAL priority; the URGENT process initialisations all
  run first at time 0, in creation order). Events scheduled at the current
  time go to a FIFO beside the heap, which keeps that order without heap
  operations;
* ``PriorityResource(capacity=1)``: a request joins a queue sorted by
  ``(priority, request time, arrival)``; the head is granted (an event at
  ``now``) whenever the queue is tried while the resource is free: when a
  request arrives and when a release event is *processed*. A release frees the
  resource at once but schedules its release event, so a request arriving in
  between can be granted first;
* callbacks of an event (a ``ready`` event resuming its waiting core tasks, a
  ``done`` event counted by the ``all_of`` conditions waiting on it) run in
  the order they were registered: waiter lists in arrival order.

Events nobody waits on (process ends, the request's own no-op callback) are
left out: they do not change the order of the others.

The state lives in a few 2-D arrays and one counter array ``st`` because every
array a jitted helper receives costs two atomic reference-count updates per
call: ``st`` = [heap size, next event id, requests, records, FIFO head, FIFO
tail, waiters]. :func:`pop`, :func:`try_grant`, :func:`request` and
:func:`wait` are inlined into the caller; the others are not (inlining them too
saves ~25 % of the run time but doubles the one-off compile time to ~17 s).
"""
from __future__ import annotations

from numba import njit

# event kinds: a process resumes (a grant or a timeout), a resource's release, a layer's step is ready
# for its core tasks, a (layer, step) has finished all its tasks
RESUME, RELEASE, READY, DONE = 0, 1, 2, 3


@njit(cache=True)
def push(H, st, now, time, kind, arg):
    """Schedule an event: a row ``(time, id, kind, arg)`` of ``H``. An event at ``now`` comes after
    every pending event of smaller id, so it joins the FIFO (ids in order, at the end of ``H``)."""
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
def pop(H, st):
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
def try_grant(r, now, RS, RQ, H, st):
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
    push(H, st, now, now, RESUME, RQ[best, 2])


@njit(cache=True, inline="always")
def request(r, prio, p, now, RS, RQ, H, st):
    """Process ``p`` requests resource ``r`` with priority ``prio``; it resumes when granted."""
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
    try_grant(r, now, RS, RQ, H, st)


@njit(cache=True)
def release(r, now, RS, H, st):
    """Free resource ``r`` at once; its queue is tried when the release event is processed."""
    RS[r, 0] = 0
    push(H, st, now, now, RELEASE, r)


@njit(cache=True, inline="always")
def wait(slot, p, w_head, w_tail, w_proc, w_next, st):
    """Process ``p`` waits on the event of waiter list ``slot`` (appended: callbacks in arrival order)."""
    n = st[6]
    st[6] = n + 1
    w_proc[n], w_next[n] = p, -1
    if w_head[slot] < 0:
        w_head[slot] = n
    else:
        w_next[w_tail[slot]] = n
    w_tail[slot] = n


@njit(cache=True)
def record(REC, st, res, layer, t, start, end, kind):
    """A timeline row ``(resource, layer, step, start, end, kind)``, in the order simpy records them."""
    k = st[3]
    st[3] = k + 1
    REC[k, 0], REC[k, 1], REC[k, 2], REC[k, 3], REC[k, 4], REC[k, 5] = res, layer, t, start, end, kind

"""Discrete-event timing of one inference: tasks per (layer, step, core) on cores, PIM macros,
NoC links and the DRAM port; the delay is the makespan.

One scheduler model. The numba kernel is the scheduler: :mod:`.kernel` (the
event loop and the timing rules: each layer's gate and each core's task as
phases) with :mod:`.events` (simpy's event queue and priority resources). The
simpy processes of :mod:`.simpy_model` are its executable specification:
readable, extensible, and checked bit for bit against the kernel on the shipped
examples and on random task graphs built to tie (tests/test_timing_fast.py). A
timing change is made in the kernel; that test then says whether the simpy
specification must follow. ``--scheduler simpy`` (``schedule(...,
scheduler="simpy")``) runs the specification instead.

* :func:`schedule` (:mod:`.dispatch`): picks the scheduler, memoises schedules;
* :class:`Schedule`, :func:`timeline_csv`, :data:`TIMELINE_HEADER` (:mod:`.result`);
* :mod:`.fast`: the layers' tasks packed into the kernel's arrays, its result made a Schedule.
"""
from accelsim.schedule.dispatch import SCHEDULERS, schedule
from accelsim.schedule.result import TIMELINE_HEADER, Schedule, timeline_csv

__all__ = ["SCHEDULERS", "TIMELINE_HEADER", "Schedule", "schedule", "timeline_csv"]

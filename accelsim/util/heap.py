"""The C allocator of accelsim's own processes: freed memory is kept for the next array.

The functional pass allocates and frees arrays of the same sizes at every step and batch
(im2col matrices, convolution outputs, neuron states: up to hundreds of MB each). glibc
serves large requests with a fresh ``mmap`` and unmaps them when freed (requests above its
mmap threshold, which grows to at most 32 MiB), and gives the top of its heap back to the
system beyond a trim threshold, so each such array is faulted in page by page again: the
kernel zeroes every page on first touch, and with transparent huge pages (numpy asks for them
on arrays of 4 MiB and more) may compact memory first. On the project machine an hsi_hybrid
run made 99K minor page faults and a 16-point ADC sweep 240-300K with 3-4.5 s of system time;
with freed memory kept, 70K and 74K, and the sweep's system time fell to 0.7-1.3 s
(docs/performance.md).

:func:`keep_freed_memory` sets, through ``mallopt``, ``M_MMAP_MAX = 0`` (every request from the
heap, whose freed blocks later requests reuse) and ``M_TRIM_THRESHOLD`` to its largest value
(the heap is not given back while the process runs). It is called by the processes accelsim
starts itself (the command line, the shard workers of ``--jobs``, the local sweep workers),
not by ``import accelsim``: a program that imports accelsim keeps its own allocator settings.
The peak resident memory is what the pass needs at once either way (the kept blocks are what
the next batch allocates again); only addresses change, and no result depends on an address.
A process whose environment already tunes glibc's malloc (``MALLOC_MMAP_MAX_``,
``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, or ``GLIBC_TUNABLES`` naming
``glibc.malloc``) is left as it is, as is any C library without ``mallopt``.
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1   # glibc malloc.h
M_MMAP_MAX = -4         # glibc malloc.h
TRIM_NEVER = 2**31 - 1  # mallopt takes an int: the largest threshold it can be given
TUNING_ENV = ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")

_kept = False


def tuned_by_environment() -> bool:
    """Whether the environment already sets glibc's malloc parameters (then they are kept)."""
    return any(k in os.environ for k in TUNING_ENV) or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "")


def keep_freed_memory() -> bool:
    """Keep freed memory in the heap for later arrays (see the module docstring); True when the
    allocator now does (also when it did already), False where this C library cannot be told."""
    global _kept
    if _kept:
        return True
    if not sys.platform.startswith("linux") or tuned_by_environment():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):   # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _kept = bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_NEVER))
    return _kept

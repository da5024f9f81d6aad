"""Reused work buffers for the GEMM path's temporaries (im2col columns, GEMM outputs).

Why: on the machines we measure on (a KVM guest), the first write to freshly mapped memory costs
about 2 ms per MB (page faults), and glibc maps every array above its mmap threshold afresh and
unmaps it when freed, so a temporary allocated at every call pays that cost at every call: it was
more than half of im2col's time in a cold run (docs/performance.md). A buffer here is allocated
once per thread and name, grown to the largest request (never shrunk), and handed out as a view of
the requested shape; the caller must be done with it before asking for the same name again (every
use in the kernels is local to one call). Per thread (``threading.local``), so concurrent passes in
threads never share one. :func:`release` frees them all.
"""
from __future__ import annotations

import threading

import numpy as np

_local = threading.local()


def buffer(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype``, a view of this thread's buffer ``name``."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    buf = pool.get(name)
    if buf is None or buf.size < n:
        buf = pool[name] = np.empty(max(n, 1), dtype=np.uint8)
    return buf[:n].view(dtype).reshape(shape)


def release() -> None:
    """Free this thread's buffers."""
    _local.pool = {}


def held_bytes() -> int:
    """The bytes this thread's buffers hold."""
    return sum(b.size for b in getattr(_local, "pool", {}).values())

"""How many threads one process computes with: numba's parallel kernels and the BLAS library.

Within one sample the work is split by both (docs/performance.md): the numba kernels (scatter,
neuron steps) split a layer into blocks of output channels or neurons, and the GEMMs of
:mod:`accelsim.kernels.gemm` run on BLAS's own threads. The numba kernels never call BLAS and
BLAS is only called between kernels, so numba threads x BLAS threads *per numba thread* is
``n x 1`` and at most ``n`` threads are busy at any time. :func:`set_threads` gives both the same
count ``n`` (default: the cores this process may run on). Processes that run side by side
(sample-parallel workers) should share the cores out: ``n = cores // workers``.

Set from the command line with ``accelsim --threads N ...`` or the environment variable
``ACCELSIM_THREADS``; from Python with :func:`set_threads` or, for a block, :func:`limited`.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Optional

import numba

from accelsim.errors import fail

ENV = "ACCELSIM_THREADS"


def cores() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def requested(value: Optional[int] = None, source: str = "--threads") -> Optional[int]:
    """``value`` or, when None, ``$ACCELSIM_THREADS`` (None when neither is set); InputError when
    it is not a positive integer."""
    if value is None:
        env = os.environ.get(ENV)
        if env is None or env.strip() == "":
            return None
        source, value = ENV, env
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or str(value).strip() != str(n):
        raise fail(source, "", "must be a positive integer (threads of numba's kernels and of BLAS)", value)
    return n


def _blas_limits(n: int):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="blas")


def set_threads(n: Optional[int] = None) -> int:
    """Give numba's kernels and BLAS ``n`` threads each (default: :func:`cores`), for the rest of
    the process; numba's count is capped at the pool it started with (``NUMBA_NUM_THREADS``).
    Returns the count applied."""
    n = cores() if n is None else int(n)
    n = max(1, min(n, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    _blas_limits(n)
    return n


@contextmanager
def limited(n: int) -> Iterator[int]:
    """A block computing with ``n`` threads (numba and BLAS); the earlier counts come back after."""
    n = max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))
    old = numba.get_num_threads()
    with _blas_limits(n):
        numba.set_num_threads(n)
        try:
            yield n
        finally:
            numba.set_num_threads(old)


def info() -> dict:
    """numba's thread count and layer, and every BLAS/OpenMP pool threadpoolctl sees (for benchmarks)."""
    from threadpoolctl import threadpool_info

    try:
        layer = numba.threading_layer()
    except ValueError:   # no parallel kernel has run yet
        layer = numba.config.THREADING_LAYER
    pools = [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version", "architecture",
                                    "threading_layer")} for p in threadpool_info()]
    return {"numba_threads": numba.get_num_threads(), "numba_layer": layer, "pools": pools,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}

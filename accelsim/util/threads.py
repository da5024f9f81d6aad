"""How many threads one process computes with: numba's parallel kernels and the BLAS library.

Within one sample the work is split over numba's threads (the scatter kernels split a layer into
blocks of output channels; im2col and the GEMM epilogue are parallel passes); the GEMMs of
:mod:`accelsim.kernels.gemm` run on BLAS. The numba kernels never call BLAS and the GEMMs run
between kernels, so at any moment only one of the two pools computes: numba threads and BLAS
threads may each be the cores this process computes on, as long as neither pool's idle threads
hold a core. numba's do not (``OMP_WAIT_POLICY=PASSIVE``); OpenBLAS's spin ~0.1 s after each
call by default, which made BLAS on 2 threads cost more than it gave (the ResNet-18 pass: 0.76 s
with numba 2 x BLAS 1, 1.8 s with 2 x 2, docs/performance.md), unless
``OPENBLAS_THREAD_TIMEOUT`` makes them sleep at once (:mod:`accelsim.util.blasenv`, set by
``import accelsim``). So :func:`set_threads` gives numba ``n`` threads (default: the cores this
process may run on) and BLAS ``n`` too when its threads sleep after a call and the machine is not
busy (:func:`default_blas`), else one, unless asked otherwise. Processes that run
side by side (sample-parallel workers) should share the cores out: ``n = cores // workers``.

Set from the command line with ``accelsim --threads N ...`` or the environment variable
``ACCELSIM_THREADS``: the process computes on N cores. From Python with :func:`set_threads` or,
for a block, :func:`limited` (BLAS one thread unless given). The first GEMM of a process (and
``accelsim.run``) applies the default, or ``ACCELSIM_THREADS``, unless :func:`set_threads` was
called (:func:`ensure`).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Optional

import numba

from accelsim.errors import fail
from accelsim.util import blasenv

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
        raise fail(source, "", "must be a positive integer (threads of numba's kernels)", value)
    return n


def _blas_limits(n: int):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="blas")


_applied = False
_blas = 1   # BLAS threads last set here (read by the kernels' cost rule)


def _numba_count(n: int) -> int:
    """``n`` within numba's pool: at least 1, at most the pool it started with (``NUMBA_NUM_THREADS``)."""
    return max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))


def blas_threads() -> int:
    """The BLAS thread count :func:`set_threads` (or :func:`limited`) last set (1 before any)."""
    return _blas


def default_blas(n: int) -> int:
    """BLAS threads beside ``n`` numba threads: ``n`` when OpenBLAS's idle threads sleep at once
    (:func:`accelsim.util.blasenv.blas_sleeps`; else their spinning would take the cores) and the
    machine is quiet (1-minute load average below ``cores - 0.5``: at most about one busy process,
    this one), else 1. Beside another busy process a multi-thread GEMM waits for a core per thread
    at every call (OpenBLAS's caller spins meanwhile): on the 2-core project machine, BLAS on 2
    threads made the hsi_hybrid pass 2-7x slower than on one at load 4-6 (7.5 vs 2.4 s, numba on
    2 threads either way), and a whole in-process run 3.5-8.6 s against 1.7-1.9 s at load 1.7-2.3
    (docs/performance.md). The choice changes no result bit: the GEMM path runs only where its
    sums are exact in any order."""
    if not blasenv.blas_sleeps() or _load() >= cores() - 0.5:
        return 1
    return max(1, int(n))


def _load() -> float:
    """The 1-minute load average (0 where the system has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def set_threads(n: Optional[int] = None, blas: Optional[int] = None) -> int:
    """Give numba's kernels ``n`` threads (default: :func:`cores`) and BLAS ``blas`` (default:
    :func:`default_blas` of numba's count), for the rest of the process; numba's count is capped at
    the pool it started with (``NUMBA_NUM_THREADS``). Returns numba's count."""
    global _applied, _blas
    n = _numba_count(cores() if n is None else n)
    numba.set_num_threads(n)
    _blas = max(1, int(default_blas(n) if blas is None else blas))
    _blas_limits(_blas)
    _applied = True
    return n


def ensure() -> None:
    """Apply ``$ACCELSIM_THREADS`` or the default once, unless :func:`set_threads` already ran."""
    if not _applied:
        set_threads(requested(None, ENV))


@contextmanager
def limited(n: int, blas: int = 1) -> Iterator[int]:
    """A block computing with ``n`` numba threads and ``blas`` BLAS threads; the earlier counts
    come back after."""
    global _blas
    n, blas = _numba_count(n), max(1, int(blas))
    old, old_blas = numba.get_num_threads(), _blas
    with _blas_limits(blas):
        numba.set_num_threads(n)
        _blas = blas
        try:
            yield n
        finally:
            numba.set_num_threads(old)
            _blas = old_blas


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

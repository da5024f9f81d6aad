"""Environment defaults for the thread pools, set by ``import accelsim`` before numpy or numba
start theirs (a value already in the environment wins), and what they let
:mod:`accelsim.util.threads` do. Imports nothing heavy: ``import accelsim`` stays light.

* ``OMP_WAIT_POLICY=PASSIVE``: numba's OpenMP threads wait for work by sleeping, not spinning. A
  spinning thread holds its core while the thread it waits for cannot get one; on a loaded 2-core
  machine that made each parallel kernel ~10x slower than one thread (docs/performance.md).
* ``OPENBLAS_THREAD_TIMEOUT=4``: OpenBLAS's idle threads spin for 2^N cycles after each call
  before they sleep (N in [4, 30], default 28: ~0.1 s here). While they spin they take the cores
  the numba kernel after the GEMM needs, which is why BLAS was held to one thread. With N = 4 they
  sleep at once, so BLAS can use every core during a GEMM and leave them to numba after it; the
  next call wakes them (a few microseconds). OpenBLAS reads it when the library loads, so it
  counts for numpy's OpenBLAS only if numpy was not imported before accelsim (or the variable was
  already set); scipy's OpenBLAS loads later. Checked on the project machine (numpy's OpenBLAS
  0.3.31 and scipy's 0.3.30, pthreads): the CPU time a process used in 0.3 s of sleep right after
  a 2-thread GEMM was 39-60 ms without it and 0 with it (tests/test_threads_blas.py checks it).
"""
from __future__ import annotations

import os
import sys

TIMEOUT_ENV = "OPENBLAS_THREAD_TIMEOUT"
TIMEOUT_DEFAULT = 4
OPENBLAS_DEFAULT_TIMEOUT = 28   # OpenBLAS's own default (blas_server.c: THREAD_TIMEOUT)
SLEEPY = 20                     # at most 2^20 cycles (< 1 ms) of spinning: BLAS may share the cores

_numpy_blas_timeout = OPENBLAS_DEFAULT_TIMEOUT


def apply_defaults() -> None:
    """Set the defaults above where the environment has none, and note the spin time numpy's
    OpenBLAS runs with (:func:`blas_sleeps`)."""
    global _numpy_blas_timeout
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    preset = os.environ.get(TIMEOUT_ENV)
    os.environ.setdefault(TIMEOUT_ENV, str(TIMEOUT_DEFAULT))
    if preset is None and "numpy" in sys.modules:   # numpy's OpenBLAS already read its (absent) value
        _numpy_blas_timeout = OPENBLAS_DEFAULT_TIMEOUT
    else:
        _numpy_blas_timeout = _parse(os.environ[TIMEOUT_ENV])


def _parse(value: str) -> int:
    """OpenBLAS's reading of the variable: atoi, then clamped to [4, 30]; 0 or junk means its default."""
    try:
        n = int(value.strip())
    except ValueError:
        n = 0
    return OPENBLAS_DEFAULT_TIMEOUT if n <= 0 else min(30, max(4, n))


def blas_sleeps() -> bool:
    """Whether numpy's OpenBLAS threads sleep promptly after a call (spin at most 2^SLEEPY cycles),
    so that BLAS may use the cores numba's kernels use, at other moments."""
    return _numpy_blas_timeout <= SLEEPY

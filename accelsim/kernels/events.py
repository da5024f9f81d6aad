"""The events of a batch of values in one pass: what the kernels' cost rule and the functional
counts both read.

Every time step, every value that feeds a synaptic node or is counted (spikes, currents, pooled
spikes) is read by several consumers: the Conv/dense plan's choice between scatter and GEMM
(:mod:`.gemm`: the non-zeros and the :class:`~accelsim.kernels.exact.Grain`), the layer's input
counts (events per input element summed over the batch, events, samples with a value other than
0, 1, -1), the producing layer's spike counts (events per neuron, spikes), its non-zero outputs.
:func:`summarize` reads a value once and gives all of them (:class:`ValueStats`), without a
temporary of the value's size; :class:`StepStats` keeps each value's record for one time step so
every reader shares it (one pass per value per step).

Everything but the maximum is an integer count, and the maximum is order-independent, so the
parallel kernel gives the same result on any number of threads; :func:`summarize_reference` is the
numpy specification (tests/test_events.py).
"""
from __future__ import annotations

from typing import Optional

import numba
import numpy as np

from accelsim.kernels.exact import Grain, fine_grain

BLOCK = 4096          # columns (elements of one sample) per task of the parallel kernel
PARALLEL_MIN = 1 << 21   # elements from which the kernels run on numba's threads: the passes are memory-bound
                         # (0.2-0.3 ns per element on one thread here), so a second thread gains little, and
                         # on a shared machine a parallel region waits for a preempted thread (2-3 ms at the
                         # 90th percentile against 0.25 ms of work for 1.25 M elements, load 4)


class ValueStats:
    """One value ``x`` viewed as [batch, elements] (C order): ``nnz`` its non-zero entries,
    ``col[e]`` the samples whose element ``e`` is non-zero (int64), ``nonbinary`` the samples
    holding a value other than 0, 1, -1 (NaN included), ``finite`` no NaN or infinity, and when
    finite ``amax`` max |x| and ``integral`` every value an integer (else inf and False)."""

    __slots__ = ("nnz", "col", "nonbinary", "amax", "integral", "finite", "_x", "_grain")

    def __init__(self, x: np.ndarray, nnz: int, col: np.ndarray, nonbinary: int, amax: float, integral: bool,
                 finite: bool):
        self.nnz, self.col, self.nonbinary = nnz, col, nonbinary
        self.amax, self.integral, self.finite = amax, integral, finite
        self._x, self._grain = x, None

    def grain(self) -> Optional[Grain]:
        """:func:`accelsim.kernels.exact.grain` of the value (None: a value is not finite); the exact
        grain of non-integer data is found on first use and kept."""
        if not self.finite:
            return None
        if self.integral:
            return Grain(self.amax, 0)
        if self._grain is None:
            self._grain = fine_grain(self._x, self.amax)
        return self._grain


_ABS = np.int64(0x7FFFFFFFFFFFFFFF)   # float64 bits without the sign
_ONE = np.int64(0x3FF0000000000000)   # |x| = 1.0
_INF = np.int64(0x7FF0000000000000)   # |x| = inf; NaNs are above it


@numba.njit(cache=True)
def _block_results(nb, E):
    """Per block of ``BLOCK`` columns: (flags [blocks, nb], non-zeros, top bits, non-integers)."""
    nblk = (E + BLOCK - 1) // BLOCK
    return (np.empty((nblk, nb), np.bool_), np.empty(nblk, np.int64), np.empty(nblk, np.int64),
            np.empty(nblk, np.int64))


@numba.njit(cache=True, parallel=True)
def _summarize(x2, bits, col):
    """(non-zeros, the largest |x| as float64 bits with the sign cleared, values that are not
    integers, samples holding a value not in {0, 1, -1}) of ``x2`` [batch, elements], and ``col``
    its non-zeros per element. ``bits``: ``x2``'s bits as int64 (a view). The bits of |x| order
    like the magnitudes (NaN above inf). One task per block of columns; the blocks' results are
    combined in order afterwards (integers and a maximum: the same on any number of threads)."""
    flags, nnz, top, nonint = _block_results(x2.shape[0], x2.shape[1])
    nblk = nnz.shape[0]
    E = x2.shape[1]
    for b in numba.prange(nblk):
        j0 = b * BLOCK
        j1 = min(E, j0 + BLOCK)
        nnz[b], top[b], nonint[b] = _block(x2, bits, col, flags[b], j0, j1)
    return _combine(flags, nnz, top, nonint)


@numba.njit(cache=True)
def _summarize_serial(x2, bits, col):
    """:func:`_summarize` on the calling thread (small values: no parallel start-up)."""
    flags, nnz, top, nonint = _block_results(x2.shape[0], x2.shape[1])
    nblk = nnz.shape[0]
    E = x2.shape[1]
    for b in range(nblk):
        nnz[b], top[b], nonint[b] = _block(x2, bits, col, flags[b], b * BLOCK, min(E, b * BLOCK + BLOCK))
    return _combine(flags, nnz, top, nonint)


@numba.njit(cache=True)
def _combine(flags, nnz, top, nonint):
    other = 0
    for n in range(flags.shape[1]):
        other += flags[:, n].any()
    return nnz.sum(), top.max(), nonint.sum(), other


@numba.njit(cache=True)
def _block(x2, bits, col, flags, j0, j1):
    """Columns j0..j1 of :func:`_summarize`: branch-free integer tests on the bits over contiguous
    row segments, so the inner loop vectorises (about 0.3 ns per element on one thread, against
    ~1 ns for each of numpy's separate passes)."""
    c = col[j0:j1]
    c[:] = 0
    z = 0
    big = 0
    frac = 0
    for n in range(x2.shape[0]):
        xr = x2[n, j0:j1]
        br = bits[n, j0:j1]
        other = 0
        for j in range(j1 - j0):
            a = br[j] & _ABS
            nzv = a != 0
            c[j] += nzv
            z += nzv
            big = max(big, a)
            other += nzv & (a != _ONE)
            v = xr[j]
            frac += v != np.floor(v)
        flags[n] = other > 0
    return z, big, frac


def summarize(x: np.ndarray, col: Optional[np.ndarray] = None) -> ValueStats:
    """The :class:`ValueStats` of ``x`` [batch, ...] in one pass (``col``: an int64 array of the
    elements per sample to write the column counts into, else a new one)."""
    x = np.asarray(x)
    nb = x.shape[0] if x.ndim else 1
    E = int(np.prod(x.shape[1:])) if x.ndim else 1
    x2 = np.ascontiguousarray(x, dtype=np.float64).reshape(nb, E)
    col = np.empty(E, np.int64) if col is None else col
    if nb == 0 or E == 0:
        col[:] = 0
        return ValueStats(x2, 0, col, 0, 0.0, True, True)
    kernel = _summarize if x2.size >= PARALLEL_MIN else _summarize_serial
    nnz, top, nonint, nonbinary = kernel(x2, x2.view(np.int64), col)
    finite = bool(top < _INF)
    amax = float(np.int64(top).view(np.float64)) if finite else np.inf
    return ValueStats(x2, int(nnz), col, int(nonbinary), amax, finite and nonint == 0, finite)


def summarize_reference(x: np.ndarray) -> ValueStats:
    """numpy specification of :func:`summarize`."""
    x = np.asarray(x, dtype=np.float64)
    nb = x.shape[0] if x.ndim else 1
    x2 = x.reshape(nb, int(np.prod(x.shape[1:])) if x.ndim else 1)
    nz = x2 != 0
    fin = np.isfinite(x2)
    other = nz & (np.abs(x2) != 1)
    finite = bool(fin.all())
    amax = (float(np.abs(x2).max()) if x2.size else 0.0) if finite else np.inf
    return ValueStats(x2, int(nz.sum()), nz.sum(axis=0, dtype=np.int64), int(other.any(axis=1).sum()), amax,
                      finite and bool(np.all(x2 == np.floor(x2))), finite)


class StepStats:
    """The :class:`ValueStats` of the values of one time step, each computed once and shared by
    every reader (``of``); :meth:`clear` at the end of the step (the values may change after it).

    A value is recognised by its memory (first element's address, elements, dtype, batch), so a
    reshaped view of a value (Flatten, Reshape, a dense node's [batch, -1] view) shares its
    record; the records hold their arrays, so no address is reused while they are kept. The
    column-count arrays are reused from step to step (no fresh memory per step)."""

    def __init__(self):
        self._items: dict[tuple, tuple[np.ndarray, ValueStats]] = {}   # key -> (the array, its record)
        self._free: dict[int, list[np.ndarray]] = {}
        self._used: list[np.ndarray] = []

    def of(self, x: np.ndarray) -> ValueStats:
        if not isinstance(x, np.ndarray) or x.ndim == 0 or x.size == 0 or not x.flags.c_contiguous:
            return summarize(x)
        key = (x.ctypes.data, x.size, x.dtype.str, x.shape[0])
        hit = self._items.get(key)
        if hit is None:
            E = x.size // x.shape[0]
            free = self._free.get(E)
            col = free.pop() if free else np.empty(E, np.int64)
            self._used.append(col)
            hit = self._items[key] = (x, summarize(x, col))   # x held: its address is not reused meanwhile
        return hit[1]

    def clear(self) -> None:
        """Forget the step's records; their column arrays serve the next step."""
        self._items.clear()
        for col in self._used:
            self._free.setdefault(col.shape[0], []).append(col)
        self._used = []


@numba.njit(cache=True, parallel=True)
def _changed_and_kept(u, prev, counts):
    """Per block b of the flat arrays: ``counts[b]`` entries where ``u != prev``, and ``prev = u``."""
    n = u.shape[0]
    for b in numba.prange(counts.shape[0]):
        j0 = b * BLOCK * 4
        j1 = min(n, j0 + BLOCK * 4)
        c = 0
        for j in range(j0, j1):
            c += u[j] != prev[j]
            prev[j] = u[j]
        counts[b] = c


@numba.njit(cache=True)
def _changed_and_kept_serial(u, prev):
    """:func:`_changed_and_kept` on the calling thread (small arrays)."""
    c = 0
    for j in range(u.shape[0]):
        c += u[j] != prev[j]
        prev[j] = u[j]
    return c


def changed_and_kept(u: np.ndarray, prev: np.ndarray) -> int:
    """The entries where ``u`` differs from ``prev`` (NaN differs from everything, as numpy's
    ``!=``), then ``prev[...] = u``: one pass, no temporary. Same shape and dtype."""
    if u.shape != prev.shape or u.dtype != prev.dtype:
        raise ValueError(f"changed_and_kept: {u.shape} {u.dtype} against {prev.shape} {prev.dtype}")
    if not u.size:
        return 0
    if not prev.flags.c_contiguous:
        raise ValueError("changed_and_kept: prev must be C-contiguous")
    uf, pf = np.ascontiguousarray(u).reshape(-1), prev.reshape(-1)
    if uf.shape[0] < PARALLEL_MIN:
        return int(_changed_and_kept_serial(uf, pf))
    counts = np.empty((uf.shape[0] + BLOCK * 4 - 1) // (BLOCK * 4), np.int64)
    _changed_and_kept(uf, pf, counts)
    return int(counts.sum())


@numba.njit(cache=True)
def _add_counts(row, counts):
    for j in range(row.shape[0]):
        row[j] += counts[j]


def add_counts(row: np.ndarray, counts: np.ndarray) -> None:
    """``row += counts`` in ``row``'s unsigned dtype (the trace's count arrays), the counts being
    int64 that fit it (at most samples x phases): one pass, no cast temporary (numpy's mixed-type
    in-place add casts through a buffer)."""
    if row.shape != counts.shape or row.ndim != 1:
        raise ValueError(f"add_counts: {row.shape} and {counts.shape}")
    _add_counts(row, np.ascontiguousarray(counts, dtype=np.int64))

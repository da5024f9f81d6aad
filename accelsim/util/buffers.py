"""Arrays an object hands out again and again (e.g. a neuron executor's output, step after step)
without allocating and first-touching fresh memory each time, and without overwriting an array
that anyone still holds.

:class:`BufferPool` keeps a few arrays; :meth:`BufferPool.take` returns one that nothing but the
pool references (CPython's reference count: a caller that keeps the array, or any numpy view of it,
holds a reference to it, since a view's ``base`` is the array owning the data), else a fresh one,
which the pool keeps in place of the oldest. So a value handed out at one step and dropped by the
next is reused by the step after, and a value kept for longer is never touched again.
"""
from __future__ import annotations

import sys

import numpy as np


class BufferPool:
    """Up to ``keep`` arrays of ``dtype``, handed out by :meth:`take`."""

    def __init__(self, dtype, keep: int = 2):
        self.dtype = np.dtype(dtype)
        self.keep = keep
        self._items: list[np.ndarray] = []

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        """An array of ``shape`` (contents undefined) that no one else references."""
        shape = tuple(int(s) for s in shape)
        items = self._items
        for k in range(len(items)):
            # two references: the list's and getrefcount's argument; anything more is a holder
            if items[k].shape == shape and sys.getrefcount(items[k]) <= 2:
                return items[k]
        fresh = np.empty(shape, self.dtype)
        self._items = [fresh] + [a for a in items if a.shape == shape][:self.keep - 1]
        return fresh

"""util/buffers.py: an array is handed out again only when no one else references it."""
from __future__ import annotations

import numpy as np

from accelsim.util.buffers import BufferPool


def test_a_dropped_array_is_reused_and_a_held_one_never():
    pool = BufferPool(np.float64)
    a = pool.take((2, 3))
    b = pool.take((2, 3))
    assert b is not a                      # a is still held here
    del a
    c = pool.take((2, 3))
    assert c is not b and c.shape == (2, 3) and c.dtype == np.float64
    view = c.reshape(-1)[1:]               # a view holds its base
    del c
    d = pool.take((2, 3))
    assert d.base is None and not np.shares_memory(d, view)


def test_the_step_before_last_is_reused_when_each_step_drops_the_one_before():
    pool = BufferPool(np.int64)
    seen = []
    held = None
    for _ in range(6):
        x = pool.take((4,))
        seen.append(id(x))
        held = x                           # the caller keeps one step (as the functional pass does)
        del x
    assert len(set(seen)) == 2 and held is not None


def test_a_new_shape_gets_a_new_array_and_the_pool_stays_small():
    pool = BufferPool(np.float64, keep=2)
    kept = [pool.take((3,)) for _ in range(5)]     # all held: five fresh arrays
    assert len({id(k) for k in kept}) == 5 and len(pool._items) <= 2
    assert pool.take((1, 3)).shape == (1, 3)

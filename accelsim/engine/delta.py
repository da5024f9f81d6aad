"""Later layers of a sweep's design points from the differences of their inputs.

Design points that differ only in the first layer's numerics (an ADC sweep, :mod:`accelsim.hw.pim.reuse`)
run the later layers on inputs that differ from one point to the next in a few positions: a
high-precision ADC changes few first-layer spikes, and fewer the closer two points are. A synaptic
layer whose kernel is linear and exact (integer weights and spike counts,
:func:`accelsim.kernels.conv_delta.delta_exact`) can then take its output from the previous
point's by scattering only the changed inputs (:func:`~accelsim.kernels.conv_delta.conv_delta`),
whenever its cost rule says that is cheaper than the layer's own kernel (GEMM or scatter).

:class:`DeltaRefs` holds, per synaptic node and per call of a pass (batch, call in the batch: the
same sequence at every point of one graph and sample set), the *reference* of the next point: the
call's last input (int8) and, when that input was close to the one before it (:data:`NEAR`), the
kernel's output before the layer's own rounding. Every call leaves its own input (and output)
there, whichever way it was computed, so each point is taken from the one before it (sweeps run
their points in grid order, neighbours after each other), and points far from each other cost
only an int8 copy of their inputs. The results are bit for bit those of a full pass
(tests/test_delta.py); references beyond :data:`REF_BYTES` are not kept (those calls run in full).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np

REF_BYTES = 768 * 2**20   # references kept per sweep task at most (a stated default; one task per worker)
NEAR = 1.5                # a call keeps its output as the next point's reference when the delta from its own
                          # reference would have cost less than NEAR times its kernel (its input is close to
                          # the previous point's; the next point's is likely closer); far calls keep inputs only

POLICIES = ("auto", "always", "never")
POLICY = "auto"           # auto: the cost rule; always: whenever exact (tests); never: keep nothing


@contextmanager
def forced(policy: str) -> Iterator[None]:
    """Run a block under ``policy`` (one of :data:`POLICIES`)."""
    global POLICY
    if policy not in POLICIES:
        raise ValueError(f"delta policy {policy!r}: one of {POLICIES}")
    old, POLICY = POLICY, policy
    try:
        yield
    finally:
        POLICY = old


def held_array(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A new array for a reference: held for the whole sweep task and written once per point, so
    allocated without numpy's transparent-huge-page advice (streaming accesses gain nothing from
    huge pages, and where the kernel defragments on that advice, as on the project machine, the
    first touch of advised memory cost ~1.4 ms per MB against ~0.3 ms: 0.5 s per task for
    hsi_hybrid's ~350 MB of references, docs/performance.md)."""
    advise = getattr(getattr(np, "_core", np).multiarray, "_set_madvise_hugepage", None)
    if advise is None:
        return np.empty(shape, dtype)
    old = advise(False)
    try:
        return np.empty(shape, dtype)
    finally:
        advise(old)


@dataclass
class Ref:
    """One call's reference: its input as int8 and, when kept, the kernel's output (float64, C order)."""

    x: np.ndarray
    y: Optional[np.ndarray]

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + (0 if self.y is None else self.y.nbytes)


@dataclass
class DeltaRefs:
    """The references of every layer that keeps them (see the module docstring), within ``budget``
    bytes; ``deltas`` and ``full`` count the calls taken from a reference and those run in full
    (since the last :meth:`take_counts`)."""

    budget: int = REF_BYTES
    refs: dict[tuple[str, int, int], Ref] = field(default_factory=dict)
    nbytes: int = 0
    deltas: int = 0
    full: int = 0

    def layer(self, name: str) -> "LayerRefs":
        """The references of synaptic node ``name``, numbered by this pass's batches and calls."""
        return LayerRefs(self, name)

    def take_counts(self) -> tuple[int, int]:
        out = (self.deltas, self.full)
        self.deltas = self.full = 0
        return out


class LayerRefs:
    """One executor's view of :class:`DeltaRefs` during one pass: :meth:`next_batch` at every
    batch, :meth:`call` at every call, which gives the reference of that call (or None)."""

    def __init__(self, store: DeltaRefs, name: str):
        self.store, self.name = store, name
        self.batch, self.calls = -1, 0
        self.key: tuple[str, int, int] = (name, -1, 0)

    def next_batch(self) -> None:
        self.batch += 1
        self.calls = 0

    def call(self, x: np.ndarray) -> Optional[Ref]:
        """The reference of this call when one of ``x``'s shape is kept (the next call's key after)."""
        self.key = (self.name, self.batch, self.calls)
        self.calls += 1
        ref = self.store.refs.get(self.key)
        return ref if ref is not None and ref.x.shape == x.shape else None

    def took_delta(self) -> None:
        self.store.deltas += 1

    def keep(self, x: np.ndarray, y: np.ndarray, storable: bool, with_output: bool) -> bool:
        """After a full call: ``x`` as the reference input of this call and, when ``with_output``,
        ``y`` (the kernel's fresh output, now held here) as its output: True when ``y`` is held.
        ``storable`` False (an input int8 cannot hold exactly) drops the reference, and so do the
        budget and a ``y`` the delta kernel cannot update (the output only)."""
        s = self.store
        s.full += 1
        old = s.refs.pop(self.key, None)
        if old is not None:
            s.nbytes -= old.nbytes
        if not storable or POLICY == "never":
            return False
        xr = old.x if old is not None and old.x.shape == x.shape else held_array(x.shape, np.int8)
        if s.nbytes + xr.nbytes > s.budget:
            return False
        np.copyto(xr, x, casting="unsafe")
        held = (with_output and y.dtype == np.float64 and y.flags.c_contiguous
                and s.nbytes + xr.nbytes + y.nbytes <= s.budget)
        ref = s.refs[self.key] = Ref(xr, y if held else None)
        s.nbytes += ref.nbytes
        return held

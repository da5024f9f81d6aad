"""The functional traces of one sweep task's trace groups, computing what they share once.

A task holds trace groups of one reuse identity (:func:`accelsim.hw.engines.reuse_identity`):
they differ at most in numerics whose intermediate results an engine can reuse. Today that is
the PIM first layer's ADC (:mod:`accelsim.hw.pim.reuse`): the first trace records the
layer's bit-line sums before the ADC, every later trace re-quantises them with its own ADC
and re-runs the later layers; trace groups whose ADCs give the same codes on the recorded
sums (:func:`~accelsim.hw.pim.reuse.adc_equivalence`) share one trace. Every trace is bit for
bit the one a separate run gives (tests/test_adc_reuse.py). Anything else, or a store over its
memory budget, runs the functional pass in full.
"""
from __future__ import annotations

from typing import Hashable, Optional

from accelsim.engine.functional import simulate
from accelsim.engine.trace import Trace
from accelsim.hw.engines import reuse_identity
from accelsim.hw.pim.macro import MacroParams
from accelsim.hw.pim.reuse import ColumnStore, ReuseNumerics, adc_equivalence, reusable


class GroupTraces:
    """Traces of one task's trace groups, in the order asked (see the module docstring). Handed to
    :func:`accelsim.simulate.functional_trace` as ``Job.reuse``: :meth:`trace` gives the trace, or
    None when nothing is shared (the pass then runs in full)."""

    def __init__(self, budget: Optional[int] = None):
        self.store: Optional[ColumnStore] = None
        self.budget = budget
        self.identity: Optional[Hashable] = None
        self.by_adc: dict[Hashable, Trace] = {}
        self.recorded = 0         # full passes that recorded the column sums
        self.replays = 0          # passes that re-quantised recorded column sums
        self.shared = 0           # trace groups that took an equal trace of another

    def trace(self, job, layers: list, backend: str) -> Optional[Trace]:
        arch = job.spec.arch
        identity = (id(job.graph), id(job.data), backend,
                    reuse_identity(layers, arch, ann=job.graph.ann is not None))
        if not reusable(layers) or (self.identity is not None and identity != self.identity):
            return None
        if self.store is None:
            self.identity = identity
            self.store = ColumnStore() if self.budget is None else ColumnStore(budget=self.budget)
            trace = self._run(job, layers, backend, replay=False)
            self.recorded += 1
            if not self.store.complete:
                return trace
            eq = adc_equivalence(self.store, MacroParams.from_config(arch.pim))
        elif not self.store.complete:
            return None
        else:
            # a replay only reads the store: this key is also the one of the trace it gives
            eq = adc_equivalence(self.store, MacroParams.from_config(arch.pim))
            if eq in self.by_adc:
                self.shared += 1
                return self.by_adc[eq]
            trace = self._run(job, layers, backend, replay=True)
            self.replays += 1
        self.by_adc[eq] = trace
        return trace

    def _run(self, job, layers: list, backend: str, replay: bool) -> Trace:
        return simulate(job.graph, job.data, backend=backend, layers=layers,
                        executors=ReuseNumerics(job.spec.arch, layers, self.store, replay))

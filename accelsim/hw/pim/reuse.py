"""An ADC sweep re-quantises the first layer's bit-line sums instead of recomputing them.

Design points that differ only in the PIM's ADC (``pim.adc_bits``, ``adc_range``,
``adc_clip_ratio``, ``adc_offset_lsb``, ``adc_noise_lsb``) have equal bit-line sums
before the ADC: :meth:`~accelsim.hw.pim.macro.ProgrammedLayer.column_sums` reads the
programmed cells and the input slices only, i.e. the frozen group
:class:`~accelsim.hw.pim.macro.ArrayParams` (with ``input_full_scale``, the weights and
the inputs). The ``pim`` engine's :meth:`reusable_numerics` is that group, so a sweep
groups such points together (:func:`accelsim.hw.engines.reuse_identity`) and runs:

1. the first point's functional pass with :class:`RecordingPimExec`: the column sums
   of every sample and evaluation are kept in a :class:`ColumnStore` (bounded by
   :data:`STORE_BYTES`; beyond it the store gives up and every point runs in full);
2. every other point with :class:`ReplayPimExec`: the recorded sums through that
   point's ADC (:meth:`~accelsim.hw.pim.macro.ProgrammedLayer.convert`: LSB, offsets,
   noise, clipping), the later layers re-run. Bit for bit what a full run gives: the
   fused kernel and the two halves share their arithmetic.

Points whose ADCs quantise the recorded sums identically (:func:`adc_equivalence`: equal
LSBs, offsets and noise per row tile, and a top code no recorded sum can reach, or equal
top codes) have equal traces: a sweep runs one of them (e.g. every ``adc_bits`` at or
above what the calibrated range needs: LSB 1, nothing clipped).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Hashable, Optional

import numpy as np

from accelsim.config.arch import Arch
from accelsim.hw.engines import Engine, HardwareNumerics, get
from accelsim.hw.first_layer import FirstLayerActivity
from accelsim.hw.pim.macro import ColumnBlock, MacroParams, ProgrammedLayer
from accelsim.hw.pim.numerics import PimExec

STORE_BYTES = 2**30   # recorded column sums kept per sweep task at most (a stated default; one task per worker)


@dataclass
class ColumnStore:
    """The first layer's recorded bit-line sums: per (evaluation call, group), blocks of
    consecutive samples ``(first, stop, block)``; the per-(group, tile) largest sum; the
    drive statistics (pre-ADC activity) of the recording run."""

    budget: int = STORE_BYTES
    blocks: dict[tuple[int, int], list[tuple[int, int, ColumnBlock]]] = field(default_factory=dict)
    max_sum: dict[tuple[int, int], float] = field(default_factory=dict)
    nbytes: int = 0
    complete: bool = True          # False: over the budget, nothing kept
    activity: Optional[FirstLayerActivity] = None
    key: int = 0                   # the executor's build index (seeds of variation, offsets, noise)
    weights: Optional[list] = None  # the programmed integer weights per group

    def put(self, call: int, group: int, first: int, stop: int, block: ColumnBlock) -> None:
        if not self.complete:
            return
        if self.nbytes + block.nbytes > self.budget:
            self.blocks.clear()
            self.complete = False
            return
        self.blocks.setdefault((call, group), []).append((first, stop, block))
        self.nbytes += block.nbytes
        for t, sums in enumerate(block.tiles):
            m = float(sums.max()) if sums.size else 0.0
            self.max_sum[(group, t)] = max(self.max_sum.get((group, t), 0.0), m)

    def get(self, call: int, group: int, first: int, stop: int) -> ColumnBlock:
        """The sums of samples first..stop-1 (from one or more recorded blocks)."""
        parts = []
        for b0, b1, block in self.blocks.get((call, group), []):
            lo, hi = max(first, b0), min(stop, b1)
            if lo < hi:
                per = block.vectors // (b1 - b0)
                parts.append((lo, hi, block.rows((lo - b0) * per, (hi - b0) * per)))
        parts.sort(key=lambda p: p[0])
        # the recorded blocks must cover first..stop-1 without a gap
        if [p[0] for p in parts] != [first] + [p[1] for p in parts[:-1]] or parts[-1][1] != stop:
            raise ValueError(f"column sums of samples {first}..{stop - 1} (call {call}) were not recorded")
        if len(parts) == 1:
            return parts[0][2]
        blocks = [p[2] for p in parts]
        tiles = [np.concatenate([b.tiles[t] for b in blocks]) for t in range(len(blocks[0].tiles))]
        xsum = None if blocks[0].xsum is None else np.concatenate([b.xsum for b in blocks])
        return ColumnBlock(tiles, xsum)


class RecordingPimExec(PimExec):
    """The PIM first layer, computing column sums and ADC in two halves and keeping the sums."""

    def __init__(self, graph, node, backend, params: MacroParams, input_full_scale: float, key: int,
                 store: ColumnStore):
        super().__init__(graph, node, backend, params, input_full_scale, key=key)
        self.store = store
        store.activity, store.key, store.weights = self.activity, key, self.geo.matrices(self.wq)

    def _run(self, group, cols, s0, s1):
        block = self.macro.column_sums(group, cols(), self.activity)
        self.store.put(self.calls, group, self.samples_before + s0, self.samples_before + s1, block)
        return self.macro.convert(group, block, self.activity, self.noise_keys(s0, s1))


class ReplayPimExec(PimExec):
    """The PIM first layer of another ADC: the recorded sums through this point's ADC. Its
    activity is the recording's drive statistics plus its own inputs and conversions."""

    def __init__(self, graph, node, backend, params: MacroParams, input_full_scale: float, key: int,
                 store: ColumnStore):
        super().__init__(graph, node, backend, params, input_full_scale, key=key)
        self.store = store
        self.activity.row_driven[:] = store.activity.row_driven
        self.activity.row_drive_code_sq[:] = store.activity.row_drive_code_sq

    def _run(self, group, cols, s0, s1):
        block = self.store.get(self.calls, group, self.samples_before + s0, self.samples_before + s1)
        return self.macro.convert(group, block, self.activity, self.noise_keys(s0, s1))


def adc_equivalence(store: ColumnStore, params: MacroParams) -> Hashable:
    """What decides the ADC's codes of the recorded sums under ``params``: per group and row tile
    the LSB, the offsets and, when a recorded sum can reach it, the top code; the noise sigma.
    Points with equal values quantise every recorded sum to the same codes (equal traces)."""
    macro = ProgrammedLayer(store.weights, params, store.key)
    top = macro.adc_top
    per_tile = []
    for g in range(macro.groups):
        for t in range(macro.row_tiles):
            lsb, off = macro.lsb[g][t], macro.offsets[g][t]
            m = store.max_sum.get((g, t), 0.0)
            # the kernel's arithmetic, at the largest sum and offset: no code can be higher
            reach = int(np.floor(m * (1.0 / lsb) + 0.5 + (float(off.max()) if off.size else 0.0)))
            clips = params.adc_noise_lsb > 0 or reach > top
            per_tile.append((lsb, off.tobytes(), top if clips else None))
    return tuple(per_tile), params.adc_noise_lsb


class ReuseNumerics(HardwareNumerics):
    """:class:`HardwareNumerics` whose layers with a :meth:`~accelsim.hw.engines.Engine.reuse_executor`
    record into ``store`` (``replay`` False) or replay from it (``replay`` True)."""

    def __init__(self, arch: Arch, layers: list, store: ColumnStore, replay: bool):
        super().__init__(arch, layers)
        self.store, self.replay = store, replay

    def __call__(self, graph, node, backend):
        layer = self.by_synapse.get(node.name)
        ex = None if layer is None else get(layer.engine).reuse_executor(graph, node, layer, self.arch, backend,
                                                                          self.built, self.store, self.replay)
        if ex is None:
            return super().__call__(graph, node, backend)
        self.built += 1
        return ex


def reusable(layers: list) -> bool:
    """Whether a run of ``layers`` has exactly one layer whose engine keeps reusable results (the
    one :class:`ColumnStore` holds)."""
    return sum(1 for l in layers if type(get(l.engine)).reuse_executor is not Engine.reuse_executor) == 1

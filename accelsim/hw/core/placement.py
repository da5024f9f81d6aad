"""Weight placement in the cores' SRAM and the capacity check.

Storage (word-aligned rows, see :mod:`.routes`), in SRAM words per core ``d``:

* channel policy, conv: ``sum_g cin_g * ceil(taps * ch[g, d] / wpw)``;
* spatial policy, conv: every core that owns positions holds all weights:
  ``C_in * ceil(taps * out_g / wpw)``;
* dense: ``inputs * ceil(n_d / wpw)``.

Layers are placed in network order; a layer goes on chip when its words fit the
space left on every core, otherwise ``core.on_overflow`` decides: ``error``
raises an :class:`InputError` naming the layer, the KiB it needs on the fullest
core and the KiB available there; ``dram`` leaves that layer's weights in DRAM
and every weight word its events read is streamed from there instead
(energy ``dram_pj_per_bit``, time on the shared DRAM port).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.engine.lower import Layer
from accelsim.errors import fail
from accelsim.hw.core.mapping import LayerMap, blocks
from accelsim.util.mathx import cdiv


def weight_words(layer: Layer, lmap: LayerMap, wpw: int) -> np.ndarray:
    """SRAM words of ``layer``'s weights on each core."""
    k = lmap.cores
    if layer.kind != "conv":
        n_d = np.bincount(lmap.owner, minlength=k).astype(np.int64)
        return int(np.prod(layer.in_shape)) * cdiv(n_d, wpw)
    G, C = layer.group, layer.in_shape[0]
    cin_g, out_g, taps = C // G, lmap.channels // G, layer.window.taps
    if lmap.policy == "spatial":
        has = np.bincount(blocks(lmap.positions, k), minlength=k) > 0
        return np.where(has, C * cdiv(taps * out_g, wpw), 0).astype(np.int64)
    ch = np.zeros((G, k), dtype=np.int64)
    np.add.at(ch, (np.arange(lmap.channels) // out_g, blocks(lmap.channels, k)), 1)
    return (cin_g * cdiv(taps * ch, wpw)).sum(axis=0)


@dataclass(frozen=True)
class Placement:
    words: dict[str, np.ndarray]     # layer -> words per core (on chip or streamed)
    on_chip: frozenset[str]          # layers whose weights sit in SRAM
    streamed: frozenset[str]         # layers streamed from DRAM
    used_kib: np.ndarray             # per core, weights on chip
    capacity_kib: float

    def info(self) -> dict:
        return {"weight_sram_used_kib_max": float(self.used_kib.max(initial=0.0)),
                "weight_sram_capacity_kib": self.capacity_kib,
                "weight_sram_utilization": float(self.used_kib.max(initial=0.0) / self.capacity_kib),
                "streamed_from_dram": sorted(self.streamed)}


def place(layers: list[Layer], maps: dict[str, LayerMap], wpw: int, word_bits: int, capacity_kib: float,
          on_overflow: str, arch_file: str) -> Placement:
    """Place the weights of ``layers`` (those run on the cores) in order; see the module docstring."""
    kib_per_word = word_bits / 8.0 / 1024.0
    k = next(iter(maps.values())).cores if maps else 1
    used = np.zeros(k, dtype=np.float64)
    words, on_chip, streamed = {}, set(), set()
    for layer in layers:
        w = weight_words(layer, maps[layer.name], wpw)
        words[layer.name] = w
        need = w * kib_per_word
        if np.all(used + need <= capacity_kib + 1e-9):
            used += need
            on_chip.add(layer.name)
            continue
        if on_overflow == "dram":
            streamed.add(layer.name)
            continue
        d = int(np.argmax(used + need - capacity_kib))
        hint = ", use core.partition: channel" if any(m.policy == "spatial" for m in maps.values()) else ""
        placed = ", ".join(l.name for l in layers if l.name in on_chip) or "none"
        raise fail(arch_file, "core.weight_sram_kib",
                   f"layer {layer.name!r} needs {need[d]:.2f} KiB of weight SRAM on core {d}, but only "
                   f"{capacity_kib - used[d]:.2f} KiB of {capacity_kib:g} KiB are available there (already placed: "
                   f"{placed}); raise core.weight_sram_kib or core.count{hint}, or set core.on_overflow: dram",
                   capacity_kib)
    return Placement(words, frozenset(on_chip), frozenset(streamed), used, capacity_kib)

"""Memories of the spike core and the off-chip DRAM: per-access energy, transfer time.

SRAM access energy comes from the tech table's size curve ([H14], see
:meth:`accelsim.config.tech.TechTable.sram_access_pj`) for one word of the
memory's width; DRAM costs ``dram_pj_per_bit`` per bit moved and its one shared
port moves ``bandwidth`` bytes per ns after a fixed access latency:

    t_dram(bits) = latency_ns + bits / (8 * bandwidth_gbps)      [GB/s = bytes/ns]
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.config.tech import TechTable


@dataclass(frozen=True)
class Sram:
    """One SRAM macro: ``size_kib``, accessed a ``word_bits`` word at a time through ``ports`` ports."""

    size_kib: float
    word_bits: int
    ports: int

    def read_pj(self, tech: TechTable) -> float:
        return tech.sram_access_pj(self.size_kib, self.word_bits)

    def write_pj(self, tech: TechTable) -> float:
        return tech.sram_access_pj(self.size_kib, self.word_bits, write=True)

    def leakage_mw(self, tech: TechTable) -> float:
        """Leakage power in mW (= pJ/ns)."""
        return tech.sram_leakage_pj_per_ns(self.size_kib)


@dataclass(frozen=True)
class Dram:
    bandwidth_gbps: float
    latency_ns: float
    pj_per_bit: float

    def transfer_ns(self, bits: float) -> float:
        return self.latency_ns + bits / (8.0 * self.bandwidth_gbps) if bits > 0 else 0.0

    def energy_pj(self, bits: float) -> float:
        return bits * self.pj_per_bit

"""Memories of the spike core and the off-chip DRAM: per-access energy, transfer time.

SRAM access energy comes from the tech table's size curve ([H14], see
:meth:`accelsim.tech.table.TechTable.sram_access_pj`) for one word of the
memory's width; DRAM costs ``dram_pj_per_bit`` per bit moved and its one shared
port moves ``bandwidth_gb_per_s`` GB/s (= bytes per ns) after a fixed access latency:

    t_dram(bits) = latency_ns + bits / (8 * bandwidth_gb_per_s)      [GB/s = bytes/ns]
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.tech.table import TechTable


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



@dataclass(frozen=True)
class Dram:
    """The off-chip DRAM: one shared port of ``bandwidth_gb_per_s`` GB/s, ``latency_ns`` per transfer,
    ``pj_per_bit`` per bit moved."""

    bandwidth_gb_per_s: float
    latency_ns: float
    pj_per_bit: float

    @classmethod
    def of(cls, memory, tech: TechTable) -> "Dram":
        """The DRAM of an architecture's ``memory`` section with the tech table's energy per bit."""
        return cls(memory.dram_bandwidth_gb_per_s, memory.dram_latency_ns, tech.dram_pj_per_bit)

    def transfer_ns(self, bits: float) -> float:
        return self.latency_ns + bits / (8.0 * self.bandwidth_gb_per_s) if bits > 0 else 0.0

    def energy_pj(self, bits: float) -> float:
        return bits * self.pj_per_bit


def fifo_kib(depth: int, word_bits: int) -> float:
    """Size of a FIFO of ``depth`` words of ``word_bits`` (KiB)."""
    return depth * word_bits / 8.0 / 1024.0

"""Architecture description (``arch.yaml``): typed, validated, frozen.

Sections ``tech``, ``pim``, ``core``, ``noc``, ``memory``. Every field carries its
unit in its name or description. Load with :func:`accelsim.config.load_arch`.
Cross-field rules live in :mod:`accelsim.config.rules`, one named check each.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, Field, field_validator

from accelsim.config.per_event import PerEventConfig
from accelsim.config.macro import MacroConfig
from accelsim.tech.adc import ADC_MODELS
from accelsim.util.mathx import cdiv
from accelsim.util.strict import StrictModel

# Choices derived from their registries, never listed twice:
ADC_MODEL_NAMES = tuple(ADC_MODELS)      # pim.adc_model: the ADC energy models (accelsim.tech.adc)
PARTITIONS = ("channel", "spatial")      # core.partition: the spike-core mapping policies
                                         # (implemented in accelsim.hw.core.mapping, which imports this)


def at_least(low: float) -> AfterValidator:
    """A positive value's floor: below it the cost model's results are not representable
    (a latency of 1e300 ns); ``gt=0`` on the field still gives the usual message for 0."""
    def check(v: float) -> float:
        if v < low:
            raise ValueError(f"must be at least {low:g} (smaller values make the results unrepresentable)")
        return v
    return AfterValidator(check)


class TechConfig(StrictModel):
    node: str = Field("45nm", description="technology table in accelsim/tech/<node>.yaml")
    vdd: Optional[float] = Field(
        None, gt=0, le=5, description="supply voltage (V); default the table's. Energies, delays and leakage "
        "follow it by the scaling laws of accelsim/tech/scaling.py (logic: Stillmaker & Baas; switched "
        "capacitance: C V^2); outside [0.5, 1.5] x the node's nominal supply is an error")
    clock_mhz: Annotated[float, at_least(1e-3)] = Field(200.0, gt=0, le=10_000, description="digital clock of cores, NoC and PIM periphery (MHz)")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted tech-table keys to override, e.g. arith_pj.int8_add")


class PimBitSlicing:
    """Bit-slicing geometry of a PIM macro, derived from ``rows``, ``cell_bits``, ``weight_bits``,
    ``input_bits``, ``dac_bits`` and ``signed_weights`` (shared by the configuration and the
    macro's numerics parameters, :class:`accelsim.hw.pim.macro.MacroParams`)."""

    @property
    def stored_weight_bits(self) -> int:
        """Bits stored per weight column group: the magnitude (weight_bits - 1) for differential
        pairs, the whole offset code (weight_bits) for offset encoding."""
        return self.weight_bits - 1 if self.signed_weights == "differential" else self.weight_bits

    @property
    def weight_slices(self) -> int:
        """Columns per stored weight: ceil(stored_weight_bits / cell_bits)."""
        return cdiv(max(self.stored_weight_bits, 1), self.cell_bits)

    @property
    def input_slices(self) -> int:
        """Input slices applied one after another: ceil(input_bits / dac_bits)."""
        return cdiv(self.input_bits, self.dac_bits)

    @property
    def full_scale(self) -> int:
        """Largest bit-line sum of a full array: rows (2^dac_bits - 1)(2^cell_bits - 1)."""
        return self.rows * (2 ** self.dac_bits - 1) * (2 ** self.cell_bits - 1)

    @property
    def lossless_adc_bits(self) -> int:
        """ADC bits that resolve every bit-line sum exactly: ceil(log2(full_scale + 1))."""
        return max(1, math.ceil(math.log2(self.full_scale + 1)))


class PimConfig(StrictModel, PimBitSlicing):
    """Analog processing-in-memory crossbar macro that runs the first layer.

    Functional model and mapping: :mod:`accelsim.hw.pim`; cost:
    :mod:`accelsim.hw.pim.cost`; equations in docs/pim.md.
    """

    enabled: bool = Field(True, description="run the analog-input first layer on PIM macros (false: on the digital core)")
    macros: int = Field(4, ge=1, le=4096, description="number of crossbar macros")
    rows: int = Field(128, ge=1, le=8192, description="word lines per crossbar")
    cols: int = Field(128, ge=1, le=8192, description="bit lines per crossbar")
    cell_bits: int = Field(2, ge=1, le=8, description="bits stored per memory cell")
    weight_bits: int = Field(6, ge=1, le=16, description="weight precision incl. sign (bits)")
    input_bits: int = Field(8, ge=1, le=16, description="input (activation) precision (bits)")
    input_full_scale: float = Field(
        1.0, gt=0, le=1e12, description="analog input value mapped to the largest input code (in the unit of the "
                               "workload's input values); inputs are clipped to [0, input_full_scale] (also the "
                               "digital first layer's input range)")
    dac_bits: int = Field(1, ge=1, le=8, description="DAC resolution per input slice (bits)")
    adc_bits: int = Field(6, ge=1, le=16, description="ADC resolution (bits)")
    adc_share: int = Field(8, ge=1, le=1024, description="bit-line columns sharing one ADC (conversions serialise)")
    adc_model: Literal[ADC_MODEL_NAMES] = Field("survey", description="ADC energy model")
    adc_range: Literal["full_scale", "calibrated"] = Field(
        "full_scale", description="ADC input range: the array's full scale, or calibrated to the programmed weights")
    adc_clip_ratio: float = Field(
        1.0, gt=0, le=1, description="calibrated range only: clip at this fraction of the largest reachable bit-line sum")
    signed_weights: Literal["differential", "offset"] = Field("differential", description="signed-weight encoding")
    read_pulse_ns: float = Field(10.0, gt=0, le=1e6, description="word-line read pulse per input slice (ns)")
    pipelined_adc: bool = Field(
        False, description="sample-and-hold between array and ADCs: the next read overlaps the conversions "
                           "of the previous one")
    replicate_weights: bool = Field(
        True, description="copy the layer's weights into idle macros to process output positions in parallel")
    replicate_in_array: bool = Field(
        False, description="copy a layer that fits one tile block-diagonally inside each array (own rows and bit "
                           "lines per copy) to process output positions in parallel; the functional model keeps "
                           "one programmed copy (no per-copy variation)")
    static_input: Literal["auto", "recompute", "hold"] = Field(
        "auto", description="direct input: recompute the first layer every step, or compute once and hold "
                            "(auto: the cheaper)")
    conductance_sigma: float = Field(0.0, ge=0, le=1, description="relative conductance variation (sigma / level)")
    adc_offset_lsb: float = Field(0.0, ge=0, le=1e6, description="ADC offset sigma, fixed per bit line (LSB)")
    adc_noise_lsb: float = Field(0.0, ge=0, le=1e6, description="ADC noise sigma per conversion (LSB)")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="seed of the non-idealities")


class CoreConfig(StrictModel):
    """Event-driven digital spike core (all later layers)."""

    count: int = Field(4, ge=1, le=4096, description="number of spike cores")
    lanes: int = Field(16, ge=1, le=4096, description="accumulate units per core")
    weight_bits: int = Field(8, ge=1, le=32, description="stored weight precision (bits)")
    vmem_bits: int = Field(16, ge=1, le=32, description="membrane potential precision (bits)")
    input_bits: int = Field(8, ge=1, le=32, description="first-layer input precision when it runs here (bits)")
    weight_sram_kib: float = Field(64.0, gt=0, le=1_048_576, description="weight SRAM per core (KiB)")
    vmem_sram_kib: float = Field(16.0, gt=0, le=1_048_576, description="membrane SRAM per core (KiB)")
    sram_word_bits: int = Field(64, ge=8, le=1024, description="weight SRAM word width (bits); also the Vmem "
                                "SRAM's unless core.vmem_word_bits is set")
    vmem_word_bits: Optional[int] = Field(None, ge=1, le=1024, description="Vmem SRAM word width (bits); "
                                          "default core.sram_word_bits")
    sram_ports: int = Field(1, ge=1, le=16, description="ports per SRAM")
    fifo_depth: int = Field(256, ge=1, le=2**24, description="spike FIFO depth (events)")
    fifo_word_bits: int = Field(32, ge=1, le=256, description="spike FIFO word (AER address) width (bits)")
    neuron_update_cycles: int = Field(1, ge=1, le=1_000_000, description="cycles per neuron update per lane")
    task_overhead_cycles: int = Field(16, ge=0, le=1_000_000_000, description="fixed cycles per (layer, step, core) task")
    on_overflow: Literal["error", "dram"] = Field(
        "error", description="weights that do not fit SRAM: error (naming the layer and KiB), or stream them from DRAM")
    numerics: Literal["fixed", "float"] = Field(
        "float", description="arithmetic of the layers on the cores: fixed (bit-true: weights at core.weight_bits, "
        "membrane and synaptic current at core.vmem_bits, docs/numerics.md) or float (exact float64)")
    weight_scale: Literal["layer", "channel"] = Field(
        "layer", description="fixed numerics: one weight scale per layer, or per output channel (the membrane "
        "LSB follows it per channel)")
    vmem_frac_bits: int = Field(
        0, ge=0, le=16, description="fixed numerics: fractional bits of the membrane below the weight LSB "
        "(membrane LSB = weight scale / 2^vmem_frac_bits)")
    vmem_overflow: Literal["saturate", "wrap"] = Field(
        "saturate", description="fixed numerics: a membrane or current beyond core.vmem_bits saturates or wraps "
        "(two's complement); counted per layer")
    leak_mode: Literal["multiply", "shift"] = Field(
        "multiply", description="fixed numerics: leak as a fixed-point multiplier (core.leak_frac_bits) or as "
        "v - (v >> k) with k = round(-log2(1 - leak))")
    leak_frac_bits: int = Field(
        12, ge=1, le=30, description="fixed numerics: fractional bits of the fixed-point multipliers (leak, "
        "gain, synaptic decay, input weight)")
    partition: Literal[PARTITIONS] = Field(
        "channel", description="how a layer's neurons are split over cores: contiguous output-channel blocks "
        "(weights split, default) or contiguous blocks of output positions (weights replicated); see docs/spike-core.md")
    min_neurons_per_core: int = Field(
        1, ge=1, le=2**31, description="a layer uses ceil(neurons / this) cores at most (consecutive layers start on "
        "different cores); 1 spreads every layer over all cores. A small layer spread thin pays a weight word "
        "and a Vmem word per event on every core it touches")
    cost_model: Literal["components", "per_event"] = Field(
        "components", description="how spike layers are priced: components (SRAM words, adders, FIFOs, NoC bits "
        "from the tech table) or per_event (core.per_event: energy and time per synaptic op, neuron update, spike, "
        "hop, barrier; docs/spike-core.md section 11)")
    per_event: PerEventConfig = PerEventConfig()

    @property
    def vmem_word(self) -> int:
        """Word width of the Vmem SRAM (bits)."""
        return self.vmem_word_bits if self.vmem_word_bits is not None else self.sram_word_bits


class NocConfig(StrictModel):
    """2-D mesh network-on-chip carrying AER spike packets."""

    mesh_x: int = Field(2, ge=1, le=64, description="mesh columns")
    mesh_y: int = Field(2, ge=1, le=64, description="mesh rows")
    flit_bits: int = Field(32, ge=1, le=1024, description="flit width (bits)")
    router_latency_cycles: int = Field(1, ge=0, le=1_000_000, description="router pipeline latency per hop (cycles)")
    link_bits_per_cycle: int = Field(32, ge=1, le=65_536, description="link bandwidth (bits per cycle)")
    link_mm: float = Field(1.0, gt=0, le=100, description="length of one mesh link (mm); sets link energy "
                           "with the tech table's noc_link_pj_per_bit_mm")


class MemoryConfig(StrictModel):
    """Off-chip DRAM: where weights that do not fit core SRAM stream from (core.on_overflow: dram)."""

    dram_bandwidth_gb_per_s: Annotated[float, at_least(1e-6)] = Field(12.8, gt=0, le=1e6, description="off-chip DRAM bandwidth (GB/s), one shared port")
    dram_latency_ns: float = Field(50.0, ge=0, le=1e9, description="access latency added once per DRAM transfer (ns); "
                                   "assumption, order of a DDR row access")


class BaselineConfig(StrictModel):
    """Iso-architecture CNN baselines in every report (see docs/baselines.md).

    The CNN always runs at FP32 and at the workload's weight precision; list more
    precisions here. Memory traffic (each weight and activation moved once per
    inference, an ideal-reuse lower bound) is added when ``memory_traffic`` says
    where the data lives.
    """

    precisions: list[Any] = Field(
        default_factory=list, description="extra CNN precisions: 'fp32', 'fp16' or integer bits in [2, 32]",
        json_schema_extra={"items": {"anyOf": [{"enum": ["fp32", "fp16"]},
                                               {"type": "integer", "minimum": 2, "maximum": 32}]}})
    memory_traffic: Literal["none", "sram", "dram"] = Field(
        "none", description="CNN memory traffic: none (compute only, ACE-SNN's method), sram (weights and "
                            "activations from on-chip SRAM) or dram (weights from DRAM, activations in SRAM)")
    sram_kib: float = Field(256.0, gt=0, le=1_048_576,
                            description="size of the CNN engine's SRAM (KiB), sets its energy per bit; assumption")


    @field_validator("precisions")
    @classmethod
    def _precision_names(cls, v: list[Any]) -> list[Any]:
        for i, p in enumerate(v):
            ok = p in ("fp32", "fp16") or (type(p) is int and 2 <= p <= 32)
            if not ok:
                raise ValueError(f"item {i} = {p!r}: must be 'fp32', 'fp16' or integer bits in [2, 32]")
        return v


class AnnConfig(StrictModel):
    """The ``ann`` engine of a hybrid ANN-SNN workload (docs/hybrid.md): where the ANN's dense
    layers run and the quantisation of their accumulated-event input. Unused by SNN-only workloads.
    The MAC-array width and SRAM size are assumptions (parameters), not figures of a chip."""

    target: Literal["digital", "pim"] = Field(
        "digital", description="digital: a dense MAC array of mac_units MACs per cycle; pim: the PIM macros "
        "(analog accumulated-event input, pim.* macro parameters; they also hold the first layer's weights)")
    mac_units: int = Field(256, ge=1, le=1_048_576, description="MACs per cycle of the digital MAC array; assumption")
    input_bits: int = Field(8, ge=1, le=16, description="ANN input/activation precision (bits)")
    weight_bits: int = Field(8, ge=1, le=16, description="ANN weight precision on the digital MAC array (bits)")
    input_full_scale: float = Field(
        4.0, gt=0, description="ANN inputs (accumulated events, activations) are quantised over [0, input_full_scale]")
    weight_sram_kib: float = Field(512.0, gt=0, description="weight SRAM of the digital MAC array (KiB); assumption")
    noc_node: int = Field(0, ge=0, description="mesh node where the ANN engine injects its state writes")


class Arch(StrictModel):
    """A whole accelerator: technology, PIM macro, spike cores, NoC, memory, baselines, and the PIM
    macro's circuit description (``macro``, read by ``accelsim macro`` only)."""

    name: str = Field("arch", description="name shown in reports")
    tech: TechConfig = TechConfig()
    pim: PimConfig = PimConfig()
    core: CoreConfig = CoreConfig()
    noc: NocConfig = NocConfig()
    memory: MemoryConfig = MemoryConfig()
    baselines: BaselineConfig = BaselineConfig()
    macro: MacroConfig = MacroConfig()
    ann: AnnConfig = AnnConfig()

    @property
    def clock_ns(self) -> float:
        return 1e3 / self.tech.clock_mhz

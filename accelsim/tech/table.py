"""Technology tables: per-action energies of one process node.

The numbers live in ``accelsim/tech/<node>.yaml`` with their sources; this module
validates them and derives energies at other bit widths and sizes:

* integer add/mult at ``b`` bits: power law ``E(b) = E(8) * (b/8)**k`` with ``k``
  fitted through the table's 8-bit and 32-bit points (Horowitz: add k~0.87,
  mult k~1.98, i.e. add ~linear, mult ~quadratic in width);
* SRAM access of ``w`` bits from an array of ``S`` KiB: the 64-bit read energy
  interpolated log-log between the table's sizes (clamped outside), times w/64.
"""
from __future__ import annotations

import functools
import math
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from accelsim.errors import InputError, Problem, fail
from accelsim.util import reader
from accelsim.util.dotted import NotAMapping, flatten, set_dotted
from accelsim.util.strict import StrictModel

TECH_DIR = Path(__file__).resolve().parent
MAX_TABLE_BYTES = 2**20   # a technology table (the shipped ones are a few KiB)

# Every table value is a number (not a string or a boolean, also in tech.overrides) in a range the
# cost model represents without overflow: 1e-9 .. 1e9 in the table's units (pJ, uW, ns, fF, kOhm, V).
def _at_least_1e_9(v: float) -> float:
    if v < 1e-9:
        raise ValueError("must be at least 1e-9 (smaller values make the results unrepresentable)")
    return v


PositiveFloat = Annotated[float, Field(gt=0, le=1e9), AfterValidator(_at_least_1e_9)]
Magnitude = Annotated[float, Field(ge=0, le=1e9)]


class ArithPJ(StrictModel):
    int8_add: PositiveFloat
    int32_add: PositiveFloat
    int8_mult: PositiveFloat
    int32_mult: PositiveFloat
    fp16_add: PositiveFloat
    fp16_mult: PositiveFloat
    fp32_add: PositiveFloat
    fp32_mult: PositiveFloat


class AdcTable(StrictModel):
    """ADC energy/time models' constants (see accelsim/tech/adc.py)."""

    survey_pj_8b: PositiveFloat
    survey_pj_4b: PositiveFloat
    survey_rate_mhz: PositiveFloat
    sar_uw_per_bit: PositiveFloat
    sar_uw_offset: PositiveFloat
    sar_ns_per_cycle: PositiveFloat
    walden_fom_fj: PositiveFloat


class DacTable(StrictModel):
    cap_ff: PositiveFloat  # DAC capacitance per bit (fF)


class RramTable(StrictModel):
    """Memory cell of the crossbar: on/off resistance (kOhm), read voltage (V); the read pulse is
    the architecture's ``pim.read_pulse_ns``."""

    r_on_kohm: PositiveFloat
    r_off_kohm: PositiveFloat
    read_v: PositiveFloat

    @field_validator("r_off_kohm")
    @classmethod
    def _off_above_on(cls, v: float, info) -> float:
        on = info.data.get("r_on_kohm")
        if on is not None and v <= on:
            raise ValueError(f"must be greater than r_on_kohm = {on} (the off state conducts less)")
        return v


class TechTable(StrictModel):
    """Per-action energies of one technology node (see the YAML for sources)."""

    node_nm: PositiveFloat
    vdd_v: PositiveFloat
    arith_pj: ArithPJ
    sram_read_64b_pj: dict[float, PositiveFloat] = Field(description="64-bit read energy (pJ) by array size (KiB)")
    sram_write_over_read: PositiveFloat
    dram_pj_per_bit: PositiveFloat
    sram_leakage_uw_per_kib: Magnitude
    noc_router_pj_per_bit: Magnitude = Field(description="router traversal energy per bit (pJ)")
    noc_link_pj_per_bit_mm: Magnitude = Field(description="link energy per bit per mm (pJ)")
    adc: AdcTable
    dac: DacTable
    rram: RramTable

    @field_validator("sram_read_64b_pj", mode="before")
    @classmethod
    def _sizes_are_numbers(cls, v: Any) -> Any:
        """Sizes set by a dotted key (``tech.overrides.sram_read_64b_pj.8``) arrive as text."""
        if isinstance(v, dict):
            out = {}
            for k, e in v.items():
                try:
                    out[float(k) if isinstance(k, str) else k] = e
                except ValueError:
                    raise ValueError(f"size {k!r} must be a number of KiB") from None
            return out
        return v

    @field_validator("sram_read_64b_pj")
    @classmethod
    def _two_sizes(cls, v: dict) -> dict:
        if len(v) < 2:
            raise ValueError("needs at least two sizes to interpolate")
        return v

    # -- derived energies -------------------------------------------------
    @staticmethod
    def _power_law(e8: float, e32: float, bits: float) -> float:
        k = math.log(e32 / e8) / math.log(4.0)
        return e8 * (bits / 8.0) ** k

    def int_add_pj(self, bits: float) -> float:
        """Energy of one ``bits``-wide integer addition (pJ)."""
        return self._power_law(self.arith_pj.int8_add, self.arith_pj.int32_add, bits)

    def int_mult_pj(self, bits: float) -> float:
        """Energy of one ``bits`` x ``bits`` integer multiplication (pJ)."""
        return self._power_law(self.arith_pj.int8_mult, self.arith_pj.int32_mult, bits)

    def mult_ab_pj(self, a_bits: float, b_bits: float) -> float:
        """An ``a_bits`` x ``b_bits`` integer multiplier: the power law at the geometric mean width
        sqrt(a b) (array-multiplier area and energy grow with a * b)."""
        return self.int_mult_pj(math.sqrt(a_bits * b_bits))

    def mac_pj(self, bits: int | str, acc_bits: int | None = None) -> float:
        """One multiply-accumulate: ``bits`` multiply + accumulator-width add.

        ``bits`` may be ``"fp32"``/``"fp16"``; integer MACs accumulate in
        ``acc_bits`` (default ``2*bits + 8``, capped at 32).
        """
        if bits == "fp32":
            return self.arith_pj.fp32_mult + self.arith_pj.fp32_add
        if bits == "fp16":
            return self.arith_pj.fp16_mult + self.arith_pj.fp16_add
        b = int(bits)
        acc = acc_bits if acc_bits is not None else min(2 * b + 8, 32)
        return self.int_mult_pj(b) + self.int_add_pj(acc)

    @cached_property
    def _sram_points(self) -> tuple[list[float], list[float]]:
        sizes = sorted(self.sram_read_64b_pj)
        return [math.log(s) for s in sizes], [math.log(self.sram_read_64b_pj[s]) for s in sizes]

    def sram_access_pj(self, size_kib: float, bits: float, write: bool = False) -> float:
        """Energy of accessing ``bits`` bits of a ``size_kib`` SRAM (pJ)."""
        xs, ys = self._sram_points
        x = math.log(max(size_kib, 1e-3))
        if x <= xs[0]:
            y = ys[0]
        elif x >= xs[-1]:
            y = ys[-1]
        else:
            i = next(i for i in range(1, len(xs)) if x <= xs[i])
            f = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            y = ys[i - 1] + f * (ys[i] - ys[i - 1])
        e = math.exp(y) * bits / 64.0
        return e * (self.sram_write_over_read if write else 1.0)

    def sram_leakage_pj_per_ns(self, size_kib: float) -> float:
        """Leakage of a ``size_kib`` SRAM in pJ/ns (= mW)."""
        return self.sram_leakage_uw_per_kib * size_kib * 1e-3


def _parse_table(node: str) -> tuple[str, dict]:
    """(file, mapping) of a node's table YAML, read through the bounded reader."""
    path = TECH_DIR / f"{node}.yaml"
    raw = reader.parse_yaml(reader.read_text(path, "technology table (YAML)", MAX_TABLE_BYTES), str(path))
    if not isinstance(raw, dict):
        raise fail(str(path), "", "a technology table must be a mapping of its entries", raw)
    return str(path), raw


@functools.lru_cache(maxsize=8)
def _read_table(node: str) -> dict:
    """The parsed YAML of a node's table, through the bounded reader (a regular file of at most
    :data:`MAX_TABLE_BYTES`, nesting and integers bounded), checked: a measured table is a valid
    :class:`TechTable`; a derived one names a measured table (``derive_from``) and its own
    ``node_nm`` and ``vdd_v``. Any problem is an :class:`InputError` naming the table's file.
    Parsed once per process, never mutated (overrides are set copy-on-write)."""
    import pydantic

    from accelsim.util.pydantic_errors import problems_from

    file, raw = _parse_table(node)
    if "derive_from" not in raw:
        try:
            TechTable.model_validate(raw)
        except pydantic.ValidationError as exc:
            raise InputError(problems_from(exc, TechTable, file, prefix="")) from None
        return raw
    base = raw["derive_from"]
    measured = [n for n in available_nodes() if n != node]
    if base not in measured or "derive_from" in _parse_table(base)[1]:
        raise fail(file, "derive_from", f"must name a measured node's table (one without derive_from) among: "
                   f"{', '.join(measured)}", base)
    for key in ("node_nm", "vdd_v"):
        if isinstance(raw.get(key), bool) or not isinstance(raw.get(key), (int, float)) or not raw[key] > 0:
            raise fail(file, key, "a derived table gives its node (nm) and supply (V) as positive numbers",
                       raw.get(key))
    return raw


def available_nodes() -> list[str]:
    return sorted(p.stem for p in TECH_DIR.glob("*.yaml"))


def _raw_table(node: str, vdd: float | None, file: str, path: str) -> dict:
    """The node's raw table (derived from its base by the scaling laws when the file says
    ``derive_from``), moved to supply ``vdd`` when given (:mod:`accelsim.tech.derived`)."""
    from accelsim.tech.derived import scale_raw
    from accelsim.tech.scaling import ScalingRangeError

    raw = _read_table(node)
    try:
        if "derive_from" in raw:
            raw = scale_raw(_read_table(raw["derive_from"]), float(raw["node_nm"]), float(raw["vdd_v"]))
        if vdd is not None and vdd != raw["vdd_v"]:
            raw = scale_raw(raw, float(raw["node_nm"]), vdd)
    except ScalingRangeError as exc:
        key = f"{path}.vdd" if exc.where == "tech.vdd" else f"{path}.node"
        raise InputError([Problem(file, key, exc.allowed, exc.value if key.endswith("vdd") else node)]) from None
    return raw


def load_tech(node: str, overrides: dict[str, Any] | None = None, *, file: str = "", path: str = "tech",
              vdd: float | None = None) -> TechTable:
    """Load the table for ``node`` (e.g. ``"45nm"``), at supply ``vdd`` (V; default the table's),
    and apply dotted overrides."""
    from accelsim.util.pydantic_errors import problems_from
    import pydantic

    if node not in available_nodes():  # a name, never a path out of TECH_DIR
        raise InputError([Problem(file, f"{path}.node", f"unknown technology node; available: {', '.join(available_nodes())}", node)])
    raw = _raw_table(node, vdd, file, path)
    bad = []
    for key, value in flatten(overrides or {}):
        try:
            raw = set_dotted(raw, key, value)
        except NotAMapping as exc:
            bad.append(Problem(file, f"{path}.overrides.{key}",
                               f"{exc.prefix} is a value, not a section; cannot set a key inside it", value))
    if bad:
        raise InputError(bad)
    try:
        return TechTable.model_validate(raw)
    except pydantic.ValidationError as exc:
        probs = problems_from(exc, TechTable, file, prefix=f"{path}.overrides" if overrides else path)
        raise InputError(probs) from None

"""Technology scaling across nodes and supply voltages: one law per kind of component.

* **logic** (adders, registers, SRAM, control, digital periphery): Stillmaker & Baas
  (Integration 58:74-81, 2017) polynomial fits in Vdd of delay, energy and power for
  each node, 180 nm to 7 nm (``stillmaker_baas.csv``, with its source). A logic energy
  known at ``(node0, V0)`` is at ``(node1, V1)``:
  ``E1 = E0 * energy(node1, V1) / energy(node0, V0)``; delays likewise with the delay
  polynomial, static power with the power polynomial.
* **switched capacitance** (word/bit lines, capacitor arrays, DAC and ADC capacitors,
  wires): ``E = C V^2``; a capacitance is a property of the circuit, so only the
  supply it swings changes the energy: ``E1 = E0 (V1 / V0)^2``.

Nodes are the paper's (180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7 nm; HP flavour
below 65 nm) and 22 nm, which the paper does not tabulate: its factors are
interpolated log-log in feature size between 32 and 20 nm,
``f22 = f32^(1-t) f20^t`` with ``t = ln(32/22) / ln(32/20)`` (stated assumption).

Supplies are accepted in ``[VDD_MIN_FRACTION, VDD_MAX_FRACTION] x`` the node's nominal
supply: below, the circuit approaches its threshold voltage, where the fits do not
hold; above, the fits are extrapolated. Outside: :class:`ScalingRangeError`.
"""
from __future__ import annotations

import csv
import functools
import io
import math
from pathlib import Path

from accelsim.errors import fail
from accelsim.util import reader

TABLE = Path(__file__).resolve().parent / "stillmaker_baas.csv"
MAX_TABLE_BYTES = 2**20  # the scaling table (a few KiB)
VDD_MIN_FRACTION = 0.5   # assumption: lowest supply / nominal the fits are trusted at (near threshold below)
VDD_MAX_FRACTION = 1.5   # assumption: highest supply / nominal (overdrive beyond is extrapolation)
INTERPOLATED = {22: (32, 20)}   # node -> (tabulated neighbours), log-log in feature size


class ScalingRangeError(ValueError):
    """A node without a table or a supply outside the scaling law's range (``where`` names which)."""

    def __init__(self, where: str, value: float, allowed: str):
        self.where, self.value, self.allowed = where, value, allowed
        super().__init__(f"{where} = {value}: {allowed}")


@functools.lru_cache(maxsize=1)
def _rows() -> dict[int, dict[str, float]]:
    text = reader.read_text(TABLE, "scaling table (CSV)", MAX_TABLE_BYTES)   # regular file, bounded
    lines = [ln for ln in io.StringIO(text, newline="") if not ln.startswith("#")]
    try:
        return {int(r["node"]): {k: float(v) for k, v in r.items() if k != "node"} for r in csv.DictReader(lines)}
    except (KeyError, TypeError, ValueError) as exc:
        raise fail(str(TABLE), "", f"not a scaling table (a 'node' column and numbers in every cell): {exc}") from None


def nodes_nm() -> list[int]:
    """Nodes with a scaling law (tabulated and interpolated), ascending."""
    return sorted([*_rows(), *INTERPOLATED])


def nominal_vdd(node_nm: float) -> float:
    """The node's nominal supply (V); an interpolated node takes the larger neighbour's."""
    node = _node(node_nm)
    if node in INTERPOLATED:
        return _rows()[INTERPOLATED[node][0]]["vdd_nominal"]
    return _rows()[node]["vdd_nominal"]


def _node(node_nm: float) -> int:
    n = int(round(node_nm))
    if abs(node_nm - n) > 1e-9 or n not in nodes_nm():
        raise ScalingRangeError("tech.node", node_nm, f"no scaling table; nodes with one: "
                                f"{', '.join(f'{x}nm' for x in nodes_nm())}")
    return n


def check_vdd(node_nm: float, vdd: float, where: str = "tech.vdd") -> None:
    """Raise :class:`ScalingRangeError` when ``vdd`` is outside the node's trusted supply range."""
    v0 = nominal_vdd(node_nm)
    lo, hi = VDD_MIN_FRACTION * v0, VDD_MAX_FRACTION * v0
    if not lo <= vdd <= hi:
        why = ("lower is near or below the threshold voltage, where the Stillmaker-Baas fits do not hold"
               if vdd < lo else "higher is beyond the supplies the Stillmaker-Baas fits were made at")
        raise ScalingRangeError(where, vdd, f"supply out of range for {node_nm:g} nm (nominal {v0} V): must be in "
                                f"[{lo:.3g}, {hi:.3g}] V; {why}")


def _poly(node: int, kind: str, vdd: float) -> float:
    r = _rows()[node]
    if kind == "delay":
        return sum(r[f"delay_a{i}"] * vdd ** i for i in range(4))
    if kind == "energy":
        return sum(r[f"energy_b{i}"] * vdd ** i for i in range(3))
    return sum(r[f"power_c{i}"] * vdd ** i for i in range(3))


def factor(kind: str, node_nm: float, vdd: float) -> float:
    """Stillmaker-Baas ``kind`` ("delay", "energy" or "power") factor at ``(node, vdd)`` (ratios only)."""
    node = _node(node_nm)
    check_vdd(node, vdd)
    if node in INTERPOLATED:
        big, small = INTERPOLATED[node]
        t = math.log(big / node) / math.log(big / small)
        return _poly(big, kind, vdd) ** (1 - t) * _poly(small, kind, vdd) ** t
    return _poly(node, kind, vdd)


def logic_ratio(kind: str, node0: float, vdd0: float, node1: float, vdd1: float) -> float:
    """Multiplier taking a logic ``kind`` figure from ``(node0, vdd0)`` to ``(node1, vdd1)``."""
    return factor(kind, node1, vdd1) / factor(kind, node0, vdd0)


def cv2_ratio(vdd0: float, vdd1: float) -> float:
    """Multiplier taking a switched-capacitance energy from supply ``vdd0`` to ``vdd1``: (V1/V0)^2."""
    return (vdd1 / vdd0) ** 2

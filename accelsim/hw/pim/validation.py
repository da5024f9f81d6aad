"""The PIM macro model against silicon: each reference point's model value and error.

A points file (YAML list, e.g. tests/data/validation/cim_points.yaml) says, per row of
the reference CSV, which architecture and ``--set`` keys state the row's condition,
which output of :func:`accelsim.hw.pim.circuit.evaluate` it compares (``metric``), and
whether the row was fitted, is an input, is derived from published parameters, or is
predicted. Metrics: an output key (``tops``, ``tops_per_w``, ``tops_per_mm2``,
``energy_per_mac_fj``) or ``<kind>:<block>[+<block>...]`` with kind ``per_conversion_pj``
(block energy per conversion), ``per_op_fj`` (per operation, 2 per MAC), ``fraction``
(of the counted energy), ``area_mm2``, ``area_um2``, ``area_fraction`` (of the counted area).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from accelsim.config.loader import load_arch
from accelsim.hw.pim.circuit import evaluate_spec
from accelsim.util import reader

KINDS = ("fitted", "input", "derived", "predicted", "duplicate")


@dataclass(frozen=True)
class Comparison:
    row: int
    macro: str
    paper_source: str
    conditions: str
    metric: str
    unit: str
    reference: float
    model: float
    kind: str
    band: float

    @property
    def error(self) -> float:
        """Relative error of the model, ``model / reference - 1``."""
        return self.model / self.reference - 1.0


def metric_value(out: dict, metric: str) -> float:
    """The value of ``metric`` (see the module docstring) in a macro evaluation ``out``."""
    if ":" not in metric:
        return float(out[metric])
    kind, names = metric.split(":", 1)
    blocks = names.split("+")
    energy = sum(out["energy_pj_by_block"][b] for b in blocks)
    area = sum(out["area_mm2_by_block"][b] for b in blocks)
    if kind == "per_conversion_pj":
        return energy / out["conversions_per_mvm"]
    if kind == "per_op_fj":
        return energy * 1e3 / (2 * out["macs_per_mvm"])
    if kind == "fraction":
        return energy / out["energy_pj_per_mvm"]
    if kind == "area_mm2":
        return area
    if kind == "area_um2":
        return area * 1e6
    if kind == "area_fraction":
        return area / out["area_mm2"]
    raise ValueError(f"unknown metric kind {kind!r} in {metric!r}")


def reference_rows(csv_path: str | Path) -> list[dict]:
    with io.StringIO(reader.read_text(csv_path, "reference CSV"), newline="") as fh:
        return list(csv.DictReader(fh))


def compare(points_path: str | Path, csv_path: str | Path, root: str | Path) -> list[Comparison]:
    """Every point of the points file with its reference row and model value (architecture paths
    relative to ``root``)."""
    rows = reference_rows(csv_path)
    points = reader.read_yaml(points_path, "validation points (YAML)")
    cache: dict[tuple, dict] = {}
    out = []
    for p in points:
        ref = rows[p["row"]]
        if ref["macro"] != p["macro"] or p["kind"] not in KINDS:
            raise ValueError(f"point for row {p['row']}: macro {p['macro']!r} / kind {p['kind']!r} does not match "
                             f"the reference row ({ref['macro']!r}) or {KINDS}")
        key = (p["arch"], tuple(p.get("sets", [])))
        if key not in cache:
            cache[key] = evaluate_spec(load_arch(Path(root) / p["arch"], list(key[1])))
        out.append(Comparison(p["row"], ref["macro"], ref["paper_source"], ref["conditions"], ref["metric"],
                              ref["unit"], float(ref["reference_value"]), metric_value(cache[key], p["metric"]),
                              p["kind"], float(p["band"]) if p.get("band") is not None else float("nan")))
    return out


def mean_abs_error(comparisons: list[Comparison], metrics: tuple[str, ...], kind: str = "predicted") -> float:
    """Mean |error| over the points of ``kind`` whose reference metric starts with one of ``metrics``."""
    errs = [abs(c.error) for c in comparisons if c.kind == kind and c.metric.startswith(metrics)]
    return sum(errs) / len(errs) if errs else float("nan")

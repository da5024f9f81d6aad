"""Shared figure setup: Agg backend, output formats, unit scaling and axis labels."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from accelsim.errors import fail  # noqa: E402

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
DPI = 150

ENERGY_UNITS = ((1e9, "mJ"), (1e6, "µJ"), (1e3, "nJ"), (1.0, "pJ"))
TIME_UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns"))


def output_format(path: str | Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise fail("-o", "", f"unknown figure type; use one of {', '.join(FORMATS)}", str(path))
    return fmt


def scale(max_value: float, units: tuple[tuple[float, str], ...]) -> tuple[float, str]:
    """(divisor, unit) so that ``max_value`` reads as 1..1000 of the unit."""
    for factor, unit in units:
        if abs(max_value) >= factor:
            return factor, unit
    return units[-1]


def new_figure(width: float, height: float):
    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
                         "svg.hashsalt": "accelsim"})  # stable SVG ids: same data, same file
    return plt.figure(figsize=(width, height), layout="constrained")


def save(fig: Any, path: str | Path) -> None:
    """Save by extension (metadata stripped so that the same data gives the same file)."""
    fmt = output_format(path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    meta = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    fig.savefig(path, format=fmt, dpi=DPI, metadata=meta, bbox_inches="tight")
    plt.close(fig)


METRIC_LABELS = {
    "energy_pj": "energy per inference (pJ)",
    "latency_ns": "latency per inference (ns)",
    "edp_pj_ns": "energy-delay product (pJ·ns)",
    "accuracy": "accuracy",
    "timesteps": "time steps",
    "samples": "samples",
}


def metric_label(column: str) -> str:
    if column in METRIC_LABELS:
        return METRIC_LABELS[column]
    if column.startswith("energy_pj."):
        return f"energy of {column.removeprefix('energy_pj.')} (pJ)"
    if column.startswith("cnn_over_snn."):
        return f"{column.removeprefix('cnn_over_snn.')} energy / SNN energy (x)"
    return column

"""Two metrics of a sweep's results.csv against each other, Pareto front marked.

Swept parameters (the columns between ``point`` and ``status``) become the
colour (first one not on an axis) and the marker (second one). By default
``accuracy`` and ``cnn_over_snn.*`` are maximised and every other metric is
minimised; ``maximize`` overrides that.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from accelsim.errors import fail
from accelsim.plot.style import ENERGY_UNITS, TIME_UNITS, metric_label, new_figure, scale
from accelsim.sweep.store import read_results

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


def maximised(column: str) -> bool:
    return column == "accuracy" or column.startswith("cnn_over_snn.")


def pareto_mask(x: np.ndarray, y: np.ndarray, max_x: bool = False, max_y: bool = False) -> np.ndarray:
    """True for points no other point dominates (at least as good in both, better in one)."""
    a = -x if max_x else x
    b = -y if max_y else y
    order = np.lexsort((b, a))            # by a, then b
    mask = np.zeros(len(a), dtype=bool)
    best_b = np.inf
    last = None
    for i in order:
        if b[i] < best_b:
            mask[i] = True
            best_b = b[i]
            last = (a[i], b[i])
        elif last is not None and (a[i], b[i]) == last:
            mask[i] = True               # an exact duplicate of a front point is not dominated
    return mask


def scaled_label(column: str, values: np.ndarray) -> tuple[float, str]:
    """(divisor, axis label) with a readable unit for energies (pJ) and latency (ns)."""
    label = metric_label(column)
    top = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    if column == "latency_ns":
        div, unit = scale(top, TIME_UNITS)
        return div, label.replace("(ns)", f"({unit})")
    if column == "energy_pj" or column.startswith("energy_pj."):
        div, unit = scale(top, ENERGY_UNITS)
        return div, label.replace("(pJ)", f"({unit})")
    return 1.0, label


def _numbers(rows: list[dict], column: str, file: str, columns: list[str]) -> np.ndarray:
    if column not in columns:
        raise fail(file, column, "no such column; available: " + ", ".join(c for c in columns if c != "point"))
    out = np.full(len(rows), np.nan)
    for i, r in enumerate(rows):
        try:
            out[i] = float(r[column]) if r[column] not in ("", None) else np.nan
        except ValueError:
            raise fail(file, column, "is not numeric", r[column]) from None
    return out


def _as_number(values: list[str]) -> Optional[np.ndarray]:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def plot_pareto(path: str | Path, x: str, y: str, maximize: Iterable[str] = ()):
    file = str(path)
    swept, columns, rows = read_results(path)
    rows = [r for r in rows if r["status"] == "ok"]
    if not rows:
        raise fail(file, "", "has no successful design points to plot")
    xs, ys = _numbers(rows, x, file, columns), _numbers(rows, y, file, columns)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if not keep.any():
        raise fail(file, f"{x}, {y}", "no design point has both values")
    rows = [r for r, k in zip(rows, keep) if k]
    xs, ys = xs[keep], ys[keep]
    maximize = set(maximize)
    max_x, max_y = maximised(x) or x in maximize, maximised(y) or y in maximize
    front = pareto_mask(xs, ys, max_x, max_y)
    params = [s for s in swept if s not in (x, y)]

    fig = new_figure(8, 5)
    ax = fig.subplots()
    colour_key = params[0] if params else None
    marker_key = params[1] if len(params) > 1 else None
    colours: list = ["tab:blue"] * len(rows)
    handles = []
    from matplotlib.lines import Line2D

    if colour_key:
        vals = [r[colour_key] for r in rows]
        distinct = list(dict.fromkeys(vals))
        nums = _as_number(distinct)
        if nums is not None:
            distinct = [d for _, d in sorted(zip(nums, distinct))]
        import matplotlib

        cmap = matplotlib.colormaps["viridis"]
        cmap_of = {d: cmap(i / max(1, len(distinct) - 1)) for i, d in enumerate(distinct)}
        colours = [cmap_of[v] for v in vals]
        handles += [Line2D([], [], marker="o", ls="", color=cmap_of[d], label=f"{colour_key} = {d}")
                    for d in distinct]
    markers = ["o"] * len(rows)
    if marker_key:
        vals = [r[marker_key] for r in rows]
        distinct = list(dict.fromkeys(vals))
        mk = {d: MARKERS[i % len(MARKERS)] for i, d in enumerate(distinct)}
        markers = [mk[v] for v in vals]
        handles += [Line2D([], [], marker=mk[d], ls="", color="grey", label=f"{marker_key} = {d}") for d in distinct]
    (xdiv, xlabel), (ydiv, ylabel) = scaled_label(x, xs), scaled_label(y, ys)
    xs, ys = xs / xdiv, ys / ydiv
    for m in dict.fromkeys(markers):
        idx = [i for i, mm in enumerate(markers) if mm == m]
        ax.scatter(xs[idx], ys[idx], c=[colours[i] for i in idx], marker=m, s=30, alpha=0.9, linewidths=0, zorder=3)
    fi = np.where(front)[0]
    fi = fi[np.argsort(xs[fi])]
    ax.scatter(xs[fi], ys[fi], s=120, facecolors="none", edgecolors="black", linewidths=1.0, zorder=4)
    ax.plot(xs[fi], ys[fi], color="black", lw=0.8, ls="--", drawstyle="steps-post" if max_y != max_x else "steps-pre",
            zorder=2)
    handles.append(Line2D([], [], color="black", ls="--", marker="o", mfc="none", ms=9, label="Pareto front"))
    ax.set_xlabel(xlabel + (" ↑ better" if max_x else " ↓ better"))
    ax.set_ylabel(ylabel + (" ↑ better" if max_y else " ↓ better"))
    for axis, vals in (("x", xs), ("y", ys)):
        if np.all(vals > 0) and vals.max() / vals.min() > 100:
            (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    hidden = params[2:]
    ax.set_title(f"{len(rows)} design points, {int(front.sum())} on the Pareto front"
                 + (f"\n(also swept, not shown: {', '.join(hidden)})" if hidden else ""))
    fig.legend(handles=handles, loc="outside right upper", frameon=False)
    return fig

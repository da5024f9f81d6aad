"""Energy breakdown of a report: stacked bars per layer by component, and the component totals."""
from __future__ import annotations

from typing import Any

import numpy as np

from accelsim.plot.report_input import steps_text
from accelsim.plot.style import ENERGY_UNITS, TIME_UNITS, new_figure, scale


def component_order(report: dict[str, Any]) -> list[str]:
    """Components by total energy, largest first."""
    return [k for k, _ in sorted(report["energy_breakdown_pj"].items(), key=lambda kv: (-kv[1], kv[0]))]


def plot_breakdown(report: dict[str, Any]):
    layers = report["layers"]
    comps = component_order(report)
    names = [f"{l['name']}\n({l['engine']})" for l in layers]
    per_layer = np.array([[l.get("energy_breakdown_pj", {}).get(c, 0.0) for c in comps] for l in layers])
    totals = np.array([report["energy_breakdown_pj"][c] for c in comps])
    div, unit = scale(max(per_layer.sum(axis=1).max(initial=0.0), totals.max(initial=0.0)), ENERGY_UNITS)
    colors = palette(len(comps))

    fig = new_figure(11, 4.2)
    left, right = fig.subplots(1, 2, width_ratios=[max(len(layers), 3), 3])
    bottom = np.zeros(len(layers))
    for j, comp in enumerate(comps):
        left.bar(names, per_layer[:, j] / div, bottom=bottom, color=colors[j], label=comp, edgecolor="white",
                 linewidth=0.4)
        bottom += per_layer[:, j] / div
    for x, total in enumerate(bottom):
        left.annotate(f"{total:.3g}", (x, total), ha="center", va="bottom", fontsize=8,
                      xytext=(0, 2), textcoords="offset points")
    left.set_ylabel(f"energy per inference ({unit})")
    left.set_title("energy per layer, by component")
    left.set_ylim(0, 1.12 * max(bottom.max(initial=0.0), 1e-30))
    left.grid(axis="y", alpha=0.3)
    left.set_axisbelow(True)

    grand = totals.sum() or 1.0
    y = np.arange(len(comps))[::-1]
    right.barh(y, totals / div, color=colors)
    right.set_yticks(y, comps)
    for yy, v in zip(y, totals):
        right.annotate(f"{100 * v / grand:.1f}%", (v / div, yy), va="center", fontsize=8,
                       xytext=(3, 0), textcoords="offset points")
    right.set_xlabel(f"energy per inference ({unit})")
    right.set_title("by component, all layers")
    right.margins(x=0.25)
    right.grid(axis="x", alpha=0.3)
    right.set_axisbelow(True)
    fig.legend(*left.get_legend_handles_labels(), loc="outside right upper", title="component", frameon=False)
    pi = report["per_inference"]
    ldiv, lunit = scale(pi["latency_ns"], TIME_UNITS)
    ediv, eunit = scale(pi["energy_pj"], ENERGY_UNITS)
    acc = "" if report.get("accuracy") is None else f", accuracy {100 * report['accuracy']:.1f} %"
    fig.suptitle(f"{report['workload']} on {report['arch']} ({steps_text(report)}): "
                 f"{pi['energy_pj'] / ediv:.3g} {eunit}, {pi['latency_ns'] / ldiv:.3g} {lunit} "
                 f"per inference{acc}")
    return fig


def palette(n: int) -> list:
    """``n`` distinct colours: tab10, or tab20 when more are needed."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]

"""Spike rate and sparsity per layer of a report."""
from __future__ import annotations

from typing import Any

import numpy as np

from accelsim.plot.report_input import steps_text
from accelsim.plot.style import new_figure


def plot_activity(report: dict[str, Any]):
    layers = report["layers"]
    names = [f"{l['name']}\n({l['engine']})" for l in layers]
    rate = np.array([np.nan if l.get("spike_rate") is None else l["spike_rate"] for l in layers])
    sparsity = np.array([np.nan if l.get("sparsity") is None else l["sparsity"] for l in layers])
    x = np.arange(len(layers))
    w = 0.38
    fig = new_figure(max(6.0, 1.1 * len(layers) + 3), 3.8)
    ax = fig.subplots()
    b1 = ax.bar(x - w / 2, np.nan_to_num(rate), w, label="spike rate = spikes / (neurons x T)", color="tab:orange")
    b2 = ax.bar(x + w / 2, np.nan_to_num(sparsity), w, label="sparsity = 1 - spike rate\n(zero outputs for a readout layer)",
                color="tab:blue")
    for bars, vals in ((b1, rate), (b2, sparsity)):
        for bar, v in zip(bars, vals):
            text = "n/a" if np.isnan(v) else f"{v:.3f}"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, 0 if np.isnan(v) else v), ha="center",
                        va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("fraction")
    ax.set_title(f"activity per layer: {report['workload']} on {report['arch']}\n"
                 f"{steps_text(report)} steps, {report.get('samples') or '?'} samples")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig

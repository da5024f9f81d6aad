"""Metrics of a sweep's results.csv against one swept parameter (``--kind trend --x KEY``).

One panel per metric, stacked, sharing the x axis: energy per inference, average power
(``power_w``, when the workload declares ``step_s``) and accuracy by default. Other
swept parameters, if any, each value a line. Made for ``workload.ann_every`` (K) of a
hybrid ANN-SNN, and useful for any single swept parameter (``workload.timesteps``, ...).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from accelsim.errors import fail
from accelsim.plot.pareto import _numbers, scaled_label
from accelsim.plot.style import metric_label, new_figure
from accelsim.sweep.store import read_results

DEFAULT_METRICS = ("energy_pj", "power_w", "accuracy")


def plot_trend(path: str | Path, x: Optional[str], metrics: Optional[Sequence[str]] = None):
    file = str(path)
    swept, columns, rows = read_results(path)
    rows = [r for r in rows if r["status"] == "ok"]
    if not rows:
        raise fail(file, "", "has no successful design points to plot")
    x = x or (swept[0] if swept else None)
    if x is None or x not in swept:
        raise fail(file, x or "--x", f"--x must be a swept parameter: {', '.join(swept) or 'none'}")
    wanted = list(metrics) if metrics else [m for m in DEFAULT_METRICS if m in columns]
    xs = _numbers(rows, x, file, columns)
    others = [s for s in swept if s != x]
    group = [tuple(r[s] for s in others) for r in rows]
    fig = new_figure(6, 2.4 * len(wanted))
    axes = np.atleast_1d(fig.subplots(len(wanted), 1, sharex=True))
    for ax, metric in zip(axes, wanted):
        ys = _numbers(rows, metric, file, columns)
        div, label = scaled_label(metric, ys)
        if metric == "power_w":
            label = "average power (W)"
        for g in sorted(set(group)):
            idx = np.array([k for k, gg in enumerate(group) if gg == g])
            order = idx[np.argsort(xs[idx])]
            name = ", ".join(f"{s}={v}" for s, v in zip(others, g)) or None
            ax.plot(xs[order], ys[order] / div, marker="o", label=name)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if others:
            ax.legend(fontsize=7)
    axes[-1].set_xlabel(metric_label(x))
    fig.suptitle(f"{', '.join(wanted)} vs {x}")
    return fig

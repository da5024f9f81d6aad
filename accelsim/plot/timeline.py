"""Gantt chart of a timeline CSV (``resource,layer,step,start_ns,end_ns,kind``, one row per task)."""
from __future__ import annotations

import re

import csv
import io
from pathlib import Path

import numpy as np

from accelsim.errors import fail
from accelsim.util.reader import read_text
from accelsim.plot.style import TIME_UNITS, new_figure, scale

TIMELINE_COLUMNS = ("resource", "layer", "step", "start_ns", "end_ns", "kind")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo")


def read_timeline(path: str | Path) -> list[dict]:
    file = str(path)
    with io.StringIO(read_text(path, "timeline CSV"), newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in TIMELINE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise fail(file, "header", f"a timeline needs the columns {','.join(TIMELINE_COLUMNS)}; missing "
                       f"{', '.join(missing)}", ",".join(reader.fieldnames or []))
        tasks = []
        for i, row in enumerate(reader, start=2):
            try:
                start, end = float(row["start_ns"]), float(row["end_ns"])
                step = int(row["step"])
            except (TypeError, ValueError):
                raise fail(file, f"line {i}", "start_ns, end_ns must be numbers and step an integer",
                           [row.get("start_ns"), row.get("end_ns"), row.get("step")]) from None
            if not (np.isfinite(start) and np.isfinite(end)) or end < start:
                raise fail(file, f"line {i}", "needs finite start_ns <= end_ns", [start, end])
            tasks.append({"resource": row["resource"], "layer": row["layer"], "step": step, "start_ns": start,
                          "end_ns": end, "kind": row["kind"]})
    if not tasks:
        raise fail(file, "", "the timeline has no tasks")
    return tasks


def _first_seen(values) -> list:
    return list(dict.fromkeys(values))


def _resource_order(name: str) -> tuple:
    """PIM macros, then cores, then DRAM, then NoC links; numbers in natural order (core2 < core10)."""
    kind = next((i for i, p in enumerate(("pim", "core", "dram", "link")) if name.startswith(p)), 4)
    return (kind, [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", name)])


MAX_LINK_ROWS = 8         # NoC links drawn one per row (the busiest); the others share one row
MAX_HEIGHT_IN = 14.0      # figure height cap (inches); rows get thinner beyond it


def group_links(tasks: list[dict], keep: int = MAX_LINK_ROWS) -> tuple[list[dict], str]:
    """Tasks with every link but the ``keep`` busiest moved to one row ``other links (K)``, and a
    note saying what was grouped ("" when nothing was). Cores, PIM macros and DRAM keep their rows."""
    busy: dict[str, float] = {}
    for t in tasks:
        if t["resource"].startswith("link"):
            busy[t["resource"]] = busy.get(t["resource"], 0.0) + t["end_ns"] - t["start_ns"]
    if len(busy) <= keep + 1:
        return tasks, ""
    kept = set(sorted(busy, key=lambda r: (-busy[r], _resource_order(r)))[:keep])
    rest = len(busy) - keep
    row = f"other links ({rest})"
    out = [t if t["resource"] in kept or t["resource"] not in busy else {**t, "resource": row} for t in tasks]
    return out, f"{len(busy)} NoC links: the {keep} busiest drawn, the other {rest} in one row"


def plot_timeline(path: str | Path):
    from accelsim.plot.breakdown import palette

    tasks, grouped = group_links(read_timeline(path))
    resources = sorted(_first_seen(t["resource"] for t in tasks), key=_resource_order)
    layers = _first_seen(t["layer"] for t in tasks)
    kinds = _first_seen(t["kind"] for t in tasks)
    colors = dict(zip(layers, palette(len(layers))))
    hatches = {k: HATCHES[i % len(HATCHES)] for i, k in enumerate(kinds)}
    div, unit = scale(max(t["end_ns"] for t in tasks), TIME_UNITS)
    fig = new_figure(11, min(1.2 + 0.45 * len(resources), MAX_HEIGHT_IN))
    ax = fig.subplots()
    row = {r: i for i, r in enumerate(resources)}
    for t in tasks:
        ax.barh(row[t["resource"]], (t["end_ns"] - t["start_ns"]) / div, left=t["start_ns"] / div, height=0.7,
                color=colors[t["layer"]], hatch=hatches[t["kind"]], edgecolor="black", linewidth=0.3)
    ax.set_yticks(range(len(resources)), resources, fontsize=max(4.0, min(10.0, 700.0 / max(len(resources), 1))))
    ax.invert_yaxis()
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(f"schedule: {len(tasks)} tasks on {len(resources)} resources, makespan "
                 f"{max(t['end_ns'] for t in tasks) / div:.3g} {unit}" + (f"\n{grouped}" if grouped else ""))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=colors[l], edgecolor="black", linewidth=0.3, label=l) for l in layers]
    if len(kinds) > 1:
        handles += [Patch(facecolor="white", edgecolor="black", hatch=hatches[k], label=f"kind: {k}") for k in kinds]
    fig.legend(handles=handles, loc="outside right upper", title="layer", frameon=False)
    return fig

"""Pick the figure for an input file and write it: ``plot_file(input, output, kind, x, y)``."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from accelsim.errors import fail
from accelsim.plot.report_input import checked_report
from accelsim.util import reader
from accelsim.plot.style import output_format, save
from accelsim.plot.timeline import TIMELINE_COLUMNS

REPORT_KINDS = ("breakdown", "activity")
KINDS = REPORT_KINDS + ("timeline", "pareto", "trend")


def input_kind(path: Path) -> str:
    """``report``, ``timeline`` or ``results`` from the file's content."""
    with reader.open_regular(path, "report.json, timeline CSV or results.csv", reader.MAX_TEXT_BYTES) as fh:
        head = fh.readline(4096).decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    if head.startswith("{"):
        return "report"
    cols = [c.strip() for c in head.split(",")]
    if all(c in cols for c in TIMELINE_COLUMNS):
        return "timeline"
    if "point" in cols and "status" in cols:
        return "results"
    raise fail(str(path), "", "not a report.json, a timeline CSV (" + ",".join(TIMELINE_COLUMNS)
               + ") or a sweep results.csv")


def load_report(path: Path) -> dict:
    return checked_report(reader.read_json(path, "report.json"), str(path))


def plot_file(source: str | Path, output: str | Path, kind: Optional[str] = None, x: Optional[str] = None,
              y: Optional[str] = None, maximize: Iterable[str] = ()) -> str:
    """Write the figure; returns the kind drawn."""
    source = Path(source)
    output_format(output)                       # refuse a bad extension before any work
    what = input_kind(source)
    allowed = {"report": REPORT_KINDS, "timeline": ("timeline",), "results": ("pareto", "trend")}[what]
    kind = kind or allowed[0]
    if kind not in allowed:
        raise fail("--kind", "", f"a {what} file can be plotted as: {', '.join(allowed)}", kind)
    if what != "results" and (x or y):
        raise fail("--x" if x else "--y", "", f"only for a sweep's results.csv; a {what} file is plotted as "
                   f"{', '.join(allowed)}", x or y)
    if what == "report":
        from accelsim.plot.activity import plot_activity
        from accelsim.plot.breakdown import plot_breakdown

        report = load_report(source)
        fig = plot_breakdown(report) if kind == "breakdown" else plot_activity(report)
    elif what == "timeline":
        from accelsim.plot.timeline import plot_timeline

        fig = plot_timeline(source)
    elif kind == "trend":
        from accelsim.plot.trend import plot_trend

        fig = plot_trend(source, x, [y] if y else None)
    else:
        from accelsim.plot.pareto import plot_pareto

        fig = plot_pareto(source, x or "energy_pj", y or "accuracy", maximize)
    save(fig, output)
    return kind

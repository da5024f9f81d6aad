"""``accelsim plot REPORT_OR_RESULTS -o FILE [--kind ...] [--x M --y M]``: figures (PNG/SVG/PDF by extension)."""
from __future__ import annotations

NAME = "plot"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="plot a report.json, a timeline CSV or a sweep results.csv",
                       description="report.json: energy breakdown (default) or activity; timeline CSV "
                                   "(resource,layer,step,start_ns,end_ns,kind): Gantt chart; sweep results.csv: "
                                   "--y against --x with the Pareto front. The format follows -o's extension.")
    p.add_argument("source", help="report.json, timeline .csv or sweep results.csv")
    p.add_argument("-o", "--out", required=True, help="figure file: .png, .svg or .pdf")
    p.add_argument("--kind", choices=("breakdown", "activity", "timeline", "pareto", "trend"), default=None,
                   help="figure kind (default: breakdown for a report, timeline, pareto for results; trend: "
                        "energy, power and accuracy against the swept parameter --x)")
    p.add_argument("--x", default=None, metavar="METRIC", help="results.csv column on x (default energy_pj)")
    p.add_argument("--y", default=None, metavar="METRIC", help="results.csv column on y (default accuracy)")
    p.add_argument("--maximize", action="append", default=[], metavar="METRIC",
                   help="treat METRIC as higher-is-better for the Pareto front (accuracy and cnn_over_snn.* are)")


def run(args) -> int:
    from accelsim.plot.dispatch import plot_file
    from accelsim.util.io import output_file

    output_file(args.out, "figure file")
    kind = plot_file(args.source, args.out, args.kind, args.x, args.y, args.maximize)
    print(f"wrote {args.out} ({kind})")
    return 0

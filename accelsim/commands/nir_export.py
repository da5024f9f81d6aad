"""``accelsim export WORKLOAD -o GRAPH.nir``: a workload as a NIR graph."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


NAME = "export"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="export a workload as a NIR graph (.nir)",
                       description="Export a workload as a NIR graph (see docs/importing.md).")
    p.add_argument("workload", help="workload JSON")
    p.add_argument("-o", "--out", required=True, metavar="GRAPH.nir")
    p.add_argument("--dt", type=float, default=1.0, help="time step the NIR time constants are expressed in (default 1)")
    p.add_argument("--discretisation", choices=("euler", "exact"), default="euler",
                   help="how the discrete leaks map to time constants (default euler)")


def run(args) -> int:
    from accelsim.util.io import output_file
    from accelsim.convert.nir_export import export_nir
    from accelsim.convert.nir_files import require_nir
    from accelsim.workload.loader import load_workload

    nir = require_nir()
    out = output_file(args.out, ".nir file")
    graph = load_workload(args.workload)
    ng, lossy = export_nir(graph, dt=args.dt, discretisation=args.discretisation)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        nir.write(tmp, ng)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if lossy:
        print(f"note: {', '.join(lossy)} reset by subtraction or start from a non-zero membrane (v_init), which NIR "
              "cannot express; other tools will reset to v_reset and start at 0 (accelsim import restores the exact "
              "nodes from the metadata)", file=sys.stderr)
    print(f"wrote {out}", file=sys.stderr)
    return 0

"""One simulation: load and validate, run the functional engine, cost it, report."""
from __future__ import annotations

from typing import Iterable, Optional

from accelsim.config.loader import load_arch, parse_set
from accelsim.cost import first_order
from accelsim.engine.functional import simulate
from accelsim.errors import fail
from accelsim.report.build import build_report
from accelsim.workload.loader import load_inputs, load_workload


def run_simulation(arch_file: str, workload_file: str, sets: Iterable[str] = (), samples: Optional[int] = None,
                   inputs: Optional[str] = None, backend: str = "numba", progress: bool = False) -> dict:
    pairs = [parse_set(s) for s in sets]
    spec = load_arch(arch_file, [(k, v) for k, v in pairs if not k.startswith("workload.")])
    graph = load_workload(workload_file, [(k, v) for k, v in pairs if k.startswith("workload.")])
    if inputs is not None:
        data = load_inputs(inputs, graph)
    elif graph.samples is not None:
        data = graph.samples
    else:
        raise fail(workload_file, "samples", "the workload has no samples; pass --inputs FILE.npz")
    if samples is not None:
        data = data.head(samples)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(data), unit="sample", desc="simulating", leave=False)
    try:
        trace = simulate(graph, data, backend=backend, progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()
    cost = first_order.evaluate(trace, spec)
    return build_report(graph, spec, trace, cost, arch_file=str(arch_file), workload_file=str(workload_file),
                        inputs=str(inputs) if inputs else (graph.samples.source if graph.samples else ""))

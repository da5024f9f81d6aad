"""Figures from accelsim outputs (matplotlib, Agg backend; PNG/SVG/PDF chosen by the file extension).

* a report.json: energy breakdown per layer and component (``breakdown``), spike
  rate and sparsity per layer (``activity``);
* a timeline CSV (``accelsim run --timeline``): a Gantt chart (``timeline``);
* a sweep results.csv: any two metrics with the Pareto front (``pareto``).

Entry point: :func:`accelsim.plot.dispatch.plot_file`.
"""

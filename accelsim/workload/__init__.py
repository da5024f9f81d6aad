"""Workloads: the JSON + .npz format, validation and the typed graph."""
from accelsim.workload.graph import Graph, Node, Samples
from accelsim.workload.loader import load_inputs, load_workload

__all__ = ["Graph", "Node", "Samples", "load_inputs", "load_workload"]

"""The ``ann`` engine: the ANN part of a hybrid ANN-SNN workload (docs/hybrid.md)."""

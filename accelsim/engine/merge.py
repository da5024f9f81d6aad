"""One trace from the traces of consecutive shards of a run's samples.

A run split into shards (:mod:`accelsim.shards`: samples ``0..a-1``, ``a..b-1``, ...
each simulated on its own) gives back the trace of the whole run, bit for bit:

* every count of :class:`~accelsim.engine.trace.LayerCounts`, of the per-address
  records and of a hybrid's :class:`~accelsim.engine.hybrid.AnnTrace` is an exact
  integer summed over samples, so the shards' counts are added (in int64, then
  stored in the dtype the whole run would have used, :func:`count_dtype`);
* an engine's activity record is merged by its own ``merge`` method (its counts
  are integers too, e.g. :class:`accelsim.hw.first_layer.FirstLayerActivity`);
* scores, predictions and labels are per sample: the shards' rows are concatenated
  in sample order; the correct predictions per step are added.

Every sample's computation is independent of the others (the functional engine
does not depend on the batch size), so this is the trace of one run over all
samples.
"""
from __future__ import annotations

import copy
from dataclasses import fields, replace
from typing import Any, Optional

import numpy as np

from accelsim.engine.lower import Layer
from accelsim.engine.trace import AddressCounts, LayerCounts, Trace, count_dtype


def _sum(arrays: list[Optional[np.ndarray]], dtype=None) -> Optional[np.ndarray]:
    if any(a is None for a in arrays):
        if not all(a is None for a in arrays):
            raise ValueError("merging traces: a count is recorded in some shards only")
        return None
    total = np.sum([a.astype(np.int64) if a.dtype.kind in "ui" else a for a in arrays], axis=0)
    return total if dtype is None else total.astype(dtype)


def _activity(records: list[Any]) -> Any:
    if records[0] is None:
        if any(r is not None for r in records):
            raise ValueError("merging traces: an activity record is in some shards only")
        return None
    if not callable(getattr(records[0], "merge", None)):
        raise ValueError(f"merging traces: the activity record {type(records[0]).__name__} has no merge method")
    out = copy.deepcopy(records[0])
    for r in records[1:]:
        out.merge(r)
    return out


def merge_counts(parts: list[LayerCounts]) -> LayerCounts:
    """The counts of one layer over all shards."""
    out = {}
    for f in fields(LayerCounts):
        values = [getattr(p, f.name) for p in parts]
        out[f.name] = _activity(values) if f.name == "activity" else _sum(values)
    return LayerCounts(**out)


def _addresses(parts: list[AddressCounts], dtype: np.dtype) -> AddressCounts:
    return AddressCounts(*(_sum([getattr(p, f.name) for p in parts], dtype) for f in fields(AddressCounts)))


def _ann(parts: list[Any]) -> Any:
    if parts[0] is None:
        return None
    first = parts[0]
    counts = [merge_counts([p.counts[i] for p in parts]) for i in range(len(first.counts))]
    writes = [_sum([p.state_writes[i] for p in parts]) for i in range(len(first.state_writes))]
    return replace(first, counts=counts, state_writes=writes)


def _rows(parts: list[Trace], name: str) -> Optional[np.ndarray]:
    values = [getattr(p, name) for p in parts]
    return None if values[0] is None else np.concatenate(values, axis=0)


def merge_traces(parts: list[Trace], layers: Optional[list[Layer]] = None) -> Trace:
    """The trace of the samples of ``parts`` (consecutive shards, in sample order) as one run;
    ``layers``: the layer objects to hold (default: the first part's)."""
    if not parts:
        raise ValueError("merging traces: no shard")
    if len(parts) == 1 and layers is None:
        return parts[0]
    first = parts[0]
    n = sum(p.samples for p in parts)
    dtype = count_dtype(n * int(first.meta.get("phases", 1)))
    for p in parts[1:]:
        if (p.workload, p.timesteps, p.static_layers, p.meta) != (first.workload, first.timesteps,
                                                                  first.static_layers, first.meta):
            raise ValueError("merging traces: the shards are not of one run")
    counts = [merge_counts([p.counts[i] for p in parts]) for i in range(len(first.counts))]
    addresses = [_addresses([p.addresses[i] for p in parts], dtype) for i in range(len(first.addresses))]
    correct = _sum([p.correct_by_step for p in parts])
    return Trace(workload=first.workload, samples=n, timesteps=first.timesteps,
                 layers=layers if layers is not None else first.layers, counts=counts,
                 static_layers=first.static_layers, scores=_rows(parts, "scores"),
                 predictions=_rows(parts, "predictions"), labels=_rows(parts, "labels"),
                 correct_by_step=correct, addresses=addresses, meta=dict(first.meta), ann=_ann([p.ann for p in parts]))

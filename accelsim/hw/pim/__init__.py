"""Analog PIM crossbar macro running the analog-input first layer.

* :mod:`~accelsim.hw.pim.quantize` -- input and weight quantisers (shared with the
  digital first layer, so both see the same integers);
* :mod:`~accelsim.hw.pim.mapping` -- im2col rows x columns x weight slices, tiling
  over ``rows x cols`` macros, replication, utilisation;
* :mod:`~accelsim.hw.pim.macro` -- the programmed crossbar: bit-sliced weights,
  input slices, bit-line sums, ADC, shift-and-add, non-idealities;
* :mod:`~accelsim.hw.first_layer` -- executors that run the first layer's
  synaptic node through the macro (or the quantised digital model) inside the
  functional engine, recording :class:`~accelsim.hw.pim.activity.FirstLayerActivity`.

Equations: docs/pim.md.
"""

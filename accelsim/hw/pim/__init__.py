"""The ``pim`` engine: analog PIM crossbar macros running the analog-input first layer.

* :mod:`~accelsim.hw.pim.mapping` -- im2col rows x columns x weight slices, tiling
  over ``rows x cols`` macros, replication, utilisation;
* :mod:`~accelsim.hw.pim.macro` -- the programmed crossbar: bit-sliced weights,
  input slices, bit-line sums, ADC, shift-and-add, non-idealities;
* :mod:`~accelsim.hw.pim.numerics` -- the executor that runs the first layer's
  synaptic node through the macro inside the functional engine, recording a
  :class:`~accelsim.hw.first_layer.FirstLayerActivity`;
* :mod:`~accelsim.hw.pim.periphery` and :mod:`~accelsim.hw.pim.cost` -- energy per
  action and the layer's cost; :mod:`~accelsim.hw.pim.engine` -- the plug-in.

Shared with the digital first layer: :mod:`accelsim.hw.quantize`,
:mod:`accelsim.hw.first_layer`. Equations: docs/pim.md.
"""

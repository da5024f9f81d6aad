"""Discrete-event timing of one inference: tasks per (layer, step, core) on cores, PIM
macros, NoC links and DRAM (:mod:`.model`; its numba replay in :mod:`.kernel`)."""

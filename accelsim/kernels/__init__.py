"""Numerical kernels: numba (``cache=True``) event-driven kernels and plain numpy
references that tests compare them against. Kernels take arrays and return
arrays; they know nothing about graphs, costs or hardware."""

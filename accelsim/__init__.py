"""accelsim: a cycle-approximate simulator of a hybrid neuromorphic accelerator.

An analog processing-in-memory crossbar runs the first (analog-input) layer of a
converted spiking neural network; an event-driven digital spike core runs the
rest. See ``docs/`` for the formats and models.
"""

from accelsim.version import __version__

__all__ = ["__version__"]

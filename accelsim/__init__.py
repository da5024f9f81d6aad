"""accelsim: a cycle-approximate simulator of a hybrid neuromorphic accelerator.

An analog processing-in-memory crossbar runs the first (analog-input) layer of a
converted spiking neural network; an event-driven digital spike core runs the
rest. See ``docs/`` for the formats and models.
"""

__version__ = "0.1.0"

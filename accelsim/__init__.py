"""accelsim: a cycle-approximate simulator of a hybrid neuromorphic accelerator.

An analog processing-in-memory crossbar runs the first (analog-input) layer of a
converted spiking neural network; an event-driven digital spike core runs the
rest. See ``docs/`` for the formats and models, ``docs/api.md`` for the Python API:
``accelsim.run``, ``accelsim.sweep``, ``accelsim.load_arch``, ``accelsim.load_workload``,
``accelsim.convert``, ``accelsim.import_nir``, ``accelsim.Report``, ``accelsim.AccelsimError``.
Importing accelsim is light: the API and its dependencies load on first use.
"""

import os
import sys
import types

from accelsim.version import __version__

# numba's OpenMP threads wait for work by sleeping, not spinning: a spinning thread holds its core
# while the thread it waits for cannot get one, which on a loaded 2-core machine made each parallel
# kernel ~10x slower than one thread (docs/performance.md). Set before any kernel starts OpenMP;
# a value in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_API = ("run", "sweep", "load_arch", "load_workload", "convert", "import_nir", "Report", "LayerResult",
        "AccelsimError", "InputError")

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from accelsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'accelsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_API))


class _Package(types.ModuleType):
    """``accelsim.sweep`` is the API's function, although a subpackage has the same name: the
    import system binds the subpackage as an attribute of its parent after loading it; that binding
    is dropped here (the subpackage stays importable: ``from accelsim.sweep import run_sweep``)."""

    @property
    def sweep(self):
        from accelsim import api

        return api.sweep

    @sweep.setter
    def sweep(self, module) -> None:
        pass


sys.modules[__name__].__class__ = _Package

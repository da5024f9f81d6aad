"""accelsim: a cycle-approximate simulator of a hybrid neuromorphic accelerator.

An analog processing-in-memory crossbar runs the first (analog-input) layer of a
converted spiking neural network; an event-driven digital spike core runs the
rest. See ``docs/`` for the formats and models, ``docs/api.md`` for the Python API:
``accelsim.run``, ``accelsim.sweep``, ``accelsim.load_arch``, ``accelsim.load_workload``,
``accelsim.convert``, ``accelsim.import_nir``, ``accelsim.Report``, ``accelsim.AccelsimError``.
Importing accelsim is light: the API and its dependencies load on first use.
"""

import sys
import types

from accelsim.version import __version__

# Thread-pool defaults, before numpy or numba start theirs (a value in the environment wins):
# numba's OpenMP threads wait passively, OpenBLAS's idle threads sleep at once after a call
# (OMP_WAIT_POLICY=PASSIVE, OPENBLAS_THREAD_TIMEOUT=4; why: accelsim/util/blasenv.py).
from accelsim.util import blasenv as _blasenv

_blasenv.apply_defaults()

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

"""Technology: per-action energies of a process node (``<node>.yaml`` tables, with their
sources) and the component models built on them (:mod:`.table`, :mod:`.adc`)."""

"""ANN-to-SNN conversion: threshold balancing (and, later, importers)."""

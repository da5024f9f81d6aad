"""Data for the shipped examples: synthetic hyperspectral scenes and a loader
for the real hyperspectral .mat files (Indian Pines, Pavia University, Salinas)."""

"""The functional SNN engine (spikes, exact counts) and hardware lowering."""

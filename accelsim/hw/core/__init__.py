"""Digital spike cores: neuron mapping (mapping), event routing (routes), weight placement (placement)."""

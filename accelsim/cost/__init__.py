"""Cost models: functional trace + architecture -> energy and latency."""
from accelsim.cost.result import CostResult, LayerCost

__all__ = ["CostResult", "LayerCost"]

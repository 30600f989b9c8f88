"""What the server keeps: the validator's weights per epoch and the log of commit attempts."""

from .migrations import migrate
from .weights import WeightRangeError, WeightStore

__all__ = ["WeightRangeError", "WeightStore", "migrate"]

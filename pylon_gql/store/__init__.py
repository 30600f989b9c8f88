"""What the server keeps: the validator's weights per epoch and the log of commit attempts."""

from .migrations import migrate
from .weights import EpochAt, WeightRangeError, WeightStore

__all__ = ["EpochAt", "WeightRangeError", "WeightStore", "migrate"]

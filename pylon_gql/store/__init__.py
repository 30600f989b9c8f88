"""What the server keeps: the validator's weights per epoch and the log of commit attempts."""

from .commits import EpochClaimed
from .errors import StoreUnavailable, WeightRangeError
from .migrations import migrate
from .replica import replica_id
from .weights import EpochAt, WeightStore

__all__ = [
    "EpochAt",
    "EpochClaimed",
    "StoreUnavailable",
    "WeightRangeError",
    "WeightStore",
    "migrate",
    "replica_id",
]

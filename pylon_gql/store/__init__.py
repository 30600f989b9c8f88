"""What the server keeps: the validator's weights per epoch and the log of commit attempts."""

from .weights import (
    CommitRecord,
    WeightEntry,
    WeightRangeError,
    WeightStore,
    migrate,
    weights_digest,
)

__all__ = [
    "CommitRecord",
    "WeightEntry",
    "WeightRangeError",
    "WeightStore",
    "migrate",
    "weights_digest",
]

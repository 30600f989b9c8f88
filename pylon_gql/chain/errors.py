"""What can go wrong when reading the chain, in terms a caller can act on."""


class ChainError(Exception):
    """Base of every chain-side failure the server expects and reports as such."""


class ChainUnavailable(ChainError):
    """The node cannot be reached or did not answer in time."""


class BlockNotFound(ChainError):
    """No block with this number or hash is known to the node."""


class FutureBlock(BlockNotFound):
    """The block number is past the current head."""

    def __init__(self, number: int, head: int) -> None:
        super().__init__(f"block {number} is in the future: the head is {head}")
        self.number = number
        self.head = head


class BlockPruned(ChainError):
    """The node no longer keeps the state of this block (configure PYLON_ARCHIVE_NETWORK)."""


class SubnetNotFound(ChainError):
    """The subnet does not exist at this block."""


class NoEpochs(ChainError):
    """The subnet's tempo is 0 at this block: subtensor runs no epoch of it, so there is no
    epoch, no commit window and nothing to key the validator's weights by."""


class SubscriptionUnsupported(ChainError):
    """The node cannot subscribe (no such RPC method): follow heads by polling instead."""


class ExtrinsicFailed(ChainError):
    """The chain refused a write: invalid (bad signature, nonce, fees) or failed in dispatch
    (`reason` is the module error, e.g. `BadOrigin`, `SettingWeightsTooFast`)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason

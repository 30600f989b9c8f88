"""What every resolver gets: the settings, the chain reader, and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from ..auth import Role
from ..events import EventBus
from ..models import (
    Block,
    BlockRef,
    ChainInfo,
    Commitment,
    Epoch,
    Hyperparameters,
    Metagraph,
)
from ..models_block import BlockContent
from ..models_metagraph import (
    ChainMatrix,
    MatrixKind,
    NeuronStakes,
    PendingWeightCommit,
    RevealedCommitment,
    StakeLinks,
)
from ..models_subnets import SubnetOverview
from ..settings import Settings
from .turns import DeliveryTurns

if TYPE_CHECKING:
    from ..writes import WritePath


class Reader(Protocol):
    """The chain reads the schema makes (`pylon_gql.chain.reader.ChainReader`)."""

    @property
    def head(self) -> BlockRef | None: ...

    async def resolve(self, number: int | None = None, hash: str | None = None) -> BlockRef: ...

    def holds(self, number: int) -> bool:
        """Whether block `number`'s data is cached (reading it costs no node call)."""
        ...

    async def block(self, ref: BlockRef) -> Block: ...

    async def metagraph(self, ref: BlockRef, netuid: int | None = None) -> Metagraph: ...

    async def hyperparameters(
        self, ref: BlockRef, netuid: int | None = None
    ) -> Hyperparameters: ...

    async def subnet(self, ref: BlockRef, netuid: int | None = None) -> SubnetOverview: ...

    async def epoch(self, ref: BlockRef, netuid: int | None = None) -> Epoch: ...

    async def commitment(
        self, ref: BlockRef, hotkey: str, netuid: int | None = None
    ) -> Commitment | None: ...

    async def commitments(
        self, ref: BlockRef, netuid: int | None = None
    ) -> tuple[Commitment, ...]: ...

    async def chain_info(self) -> ChainInfo: ...

    # The full metagraph and blocks' content (read only when a query selects them).
    async def neuron_stakes(self, ref: BlockRef, netuid: int | None = None) -> NeuronStakes: ...

    async def stake_links(self, ref: BlockRef, netuid: int | None = None) -> StakeLinks: ...

    async def chain_matrix(
        self, ref: BlockRef, kind: MatrixKind, mechanism: int = 0, netuid: int | None = None
    ) -> ChainMatrix: ...

    async def pending_weight_commits(
        self, ref: BlockRef, netuid: int | None = None
    ) -> tuple[PendingWeightCommit, ...]: ...

    async def revealed_commitments(
        self, ref: BlockRef, hotkey: str | None = None, netuid: int | None = None
    ) -> tuple[RevealedCommitment, ...]: ...

    async def block_content(self, ref: BlockRef) -> BlockContent: ...

    async def subnets(self, ref: BlockRef) -> tuple[SubnetOverview, ...]: ...


def _no_head_age() -> float | None:
    return None


@dataclass
class Context:
    settings: Settings
    reader: Reader
    request_id: str
    #: Seconds since the follower last saw a new head (None before the first one).
    head_age: Callable[[], float | None] = _no_head_age
    #: New blocks as the follower announces them (None: no subscriptions).
    events: EventBus | None = None
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    #: What the caller may do, from its bearer token (for a websocket, the `connection_init`
    #: payload's `authorization` or `token`, else the handshake's Authorization header).
    roles: frozenset[Role] = frozenset()
    #: The weight store, the committer and the keys to sign with (None: no write path).
    writes: WritePath | None = None
    #: A websocket's `connection_init` payload (strawberry sets it).
    connection_params: dict[str, object] | None = None
    #: The head that queries naming no block are answered at, when the response cache moves
    #: it later than the reader's (None: the reader's head).
    served_head: Callable[[], BlockRef | None] | None = None
    #: This connection's turns at delivering subscription results (schema/turns.py).
    turns: DeliveryTurns = field(default_factory=DeliveryTurns)


Info: TypeAlias = strawberry.Info[Context, None]

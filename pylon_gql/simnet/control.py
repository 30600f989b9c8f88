"""The simnet's own control methods (`simnet_*`), for tests and demos: produce blocks, set
faults, and say where the chain stands. Faults never touch them, so a test can always turn
faults off again."""

from __future__ import annotations

from typing import Any, Protocol

from .errors import RpcError, invalid_params
from .faults import Faults
from .keys import dev_keys
from .node.params import single_param
from .world import World

CONTROL_METHODS = (
    "simnet_produceBlocks",
    "simnet_setFaults",
    "simnet_getFaults",
    "simnet_info",
)


class Controlled(Protocol):
    """What the control methods act on: the running simnet."""

    @property
    def world(self) -> World: ...

    @property
    def faults(self) -> Faults: ...

    async def produce_blocks(self, count: int = 1) -> int: ...

    def set_faults(self, faults: Faults | None = None, **settings: Any) -> Faults: ...


async def control(simnet: Controlled, method: str, params: Any) -> Any:
    """The answer to control method `method`; RpcError as for any other method."""
    if method == "simnet_produceBlocks":
        count = single_param(params, ("count", "n"), default=1)
        if not isinstance(count, int) or count < 0:
            raise invalid_params("count must be a non-negative number")
        await simnet.produce_blocks(count)
        return info(simnet.world)
    if method == "simnet_setFaults":
        settings = single_param(params, ("faults",), default=None)
        if settings is None and isinstance(params, dict) and "faults" not in params:
            settings = params
        try:
            return simnet.set_faults(Faults.from_json(settings or {})).as_json()
        except (TypeError, ValueError) as e:
            raise invalid_params(str(e)) from None
    if method == "simnet_getFaults":
        return simnet.faults.as_json()
    if method == "simnet_info":
        return info(simnet.world)
    raise RpcError(-32601, "Method not found")


def info(world: World) -> dict[str, Any]:
    """Where the chain stands: head, finalized head, subnets, and the dev keys."""
    return {
        "head": {"number": world.head_number, "hash": world.head.hash},
        "finalized": {"number": world.finalized_number, "hash": world.finalized_hash},
        "subnets": sorted(world.head.subnets),
        "devKeys": {role: {"uri": u, "ss58": a} for role, (u, a) in dev_keys().items()},
    }

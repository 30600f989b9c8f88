"""The fake's subnets: each one's canned answers, `subnets(...)` (the list, filtered and ordered
as the server does) and `history(...)` (a subnet's metagraph at spaced blocks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Unpack

from .. import rules
from ..api import NeuronQuery
from ..errors import InvalidInput
from ..models import (
    BlockRef,
    Commitment,
    Epoch,
    Hyperparameters,
    Metagraph,
    Neuron,
    NeuronFilter,
    NeuronOrder,
    OrderDirection,
    Subnet,
)
from ..subnet_models import SubnetFilter, SubnetInfo, SubnetOrder, SubnetOrderField
from .refusals import bad_input, check_account, check_ints, variable_refused


class FakeChain(Protocol):
    """What the subnets' answers read of the fake's chain (`chain.FakeChain`, which imports
    this module: named here by what it offers, not imported)."""

    subnet: Subnet
    others: dict[int, SubnetData]
    subnet_list: list[SubnetInfo]

    def resolve(self, block: int | None) -> BlockRef | None: ...

    def ref_at(self, number: int) -> BlockRef: ...

    def served(self, netuid: int | None, number: int) -> SubnetData: ...

    def metagraph_at(self, ref: BlockRef | None, netuid: int | None = None) -> Metagraph: ...

    def neurons(
        self,
        max_page_size: int,
        ref: BlockRef | None,
        *,
        netuid: int | None = None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron]: ...


#: The attribute each subnet order field sorts by (the server's).
SUBNET_ORDER_KEYS: dict[SubnetOrderField, str] = {
    SubnetOrderField.NETUID: "netuid",
    SubnetOrderField.PRICE: "price",
    SubnetOrderField.EMISSION: "emission_rao",
    SubnetOrderField.TAO_IN: "tao_in_rao",
    SubnetOrderField.ALPHA_IN: "alpha_in_rao",
    SubnetOrderField.NEURON_COUNT: "neuron_count",
    SubnetOrderField.BURN: "burn_rao",
    SubnetOrderField.REGISTERED_AT: "registered_at",
}


@dataclass
class SubnetData:
    """One subnet's canned answers (the server's JSON for the client's documents)."""

    epoch: Epoch
    hyperparameters: Hyperparameters
    subnet: Subnet
    commitments: list[Commitment]
    metagraph: Metagraph

    @classmethod
    def from_json(cls, canned: Mapping[str, Any]) -> SubnetData:
        return cls(
            epoch=Epoch.model_validate(canned["epoch"]),
            hyperparameters=Hyperparameters.model_validate(canned["hyperparameters"]),
            subnet=Subnet.model_validate(canned["subnet"]),
            commitments=[Commitment.model_validate(c) for c in canned["commitments"]],
            metagraph=Metagraph.model_validate(canned["metagraph"]),
        )


def check_netuid(netuid: int | None) -> None:
    """A `netuid` argument as GraphQL and the server judge it (before the block)."""
    check_ints(netuid=netuid)
    problem = rules.netuid_problem(netuid)
    if problem is not None:
        raise bad_input(problem)


def subnets(
    chain: FakeChain,
    block: int | None,
    where: SubnetFilter | Mapping[str, Any] | None,
    order_by: SubnetOrder | Mapping[str, Any] | None,
) -> list[SubnetInfo]:
    """The fake's subnet list at `block`, filtered and ordered (ties by netuid)."""
    condition = (
        where if isinstance(where, SubnetFilter) else SubnetFilter.model_validate(where or {})
    )
    order = (
        order_by
        if isinstance(order_by, SubnetOrder)
        else SubnetOrder.model_validate(order_by or {})
    )
    for index, netuid in enumerate(condition.netuids or ()):
        problem = rules.int_problem(netuid)
        if problem is not None:
            raise variable_refused("where", problem, f".netuids[{index}]")
    if condition.min_neurons is not None:
        problem = rules.int_problem(condition.min_neurons)
        if problem is not None:
            raise variable_refused("where", problem, ".minNeurons")
    if condition.owner_coldkey is not None:
        check_account(condition.owner_coldkey, "ownerColdkey")
    ref = chain.resolve(block)
    # each subnet as `subnet(netuid=...)` answers it, where the fake has its answers (a write
    # changes the served one's)
    current = {s.netuid: s for s in chain.subnet_list}
    current |= {netuid: data.subnet for netuid, data in chain.others.items()}
    current[chain.subnet.netuid] = chain.subnet
    kept = [s for s in current.values() if _keeps(condition, s)]
    kept.sort(key=lambda s: s.netuid)
    if order.field is not SubnetOrderField.NETUID:
        key = SUBNET_ORDER_KEYS[order.field]
        kept.sort(key=lambda s: getattr(s, key), reverse=order.direction is OrderDirection.DESC)
    elif order.direction is OrderDirection.DESC:
        kept.reverse()
    return [s if ref is None else s.model_copy(update={"block": ref}) for s in kept]


def _keeps(condition: SubnetFilter, subnet: SubnetInfo) -> bool:
    name = condition.name_contains
    return (
        (condition.netuids is None or subnet.netuid in condition.netuids)
        and (condition.owner_coldkey is None or subnet.owner_coldkey == condition.owner_coldkey)
        and (name is None or name.casefold() in subnet.name.casefold())
        and (condition.min_neurons is None or subnet.neuron_count >= condition.min_neurons)
    )


@dataclass(frozen=True)
class HistoryQuery:
    """What one `history(...)` call asks: the series and each point's neuron list."""

    start: int
    end: int
    step: int
    netuid: int | None
    where: NeuronFilter | Mapping[str, Any] | None
    order_by: NeuronOrder | Mapping[str, Any] | None
    first: int | None


def history(
    chain: FakeChain, max_page_size: int, most: int, asked: HistoryQuery
) -> list[Metagraph]:
    """The subnet's metagraph at `start`, `start + step`, ... up to `end`, judged in the
    server's order: the variables, the netuid, the series' bounds, `end` past the head, the
    subnet, then each point's neuron list. The fake keeps one state: each point is it, said to
    be at the point's block."""
    start, end, step = asked.start, asked.end, asked.step
    check_ints(**{"from": start, "to": end, "step": step, "first": asked.first})
    check_netuid(asked.netuid)
    problem = rules.history_problem(start, end, step, most)
    if problem is not None:
        extensions: dict[str, Any] = {"code": "BAD_USER_INPUT"}
        if step >= 1 and 0 <= start <= end:  # too many points: the server says how many fit
            extensions["maxPoints"] = most
        raise InvalidInput(problem, extensions=extensions)
    chain.resolve(end)
    chain.served(asked.netuid, end)  # NOT_FOUND before any point
    points = []
    for number in range(start, end + 1, step):
        ref: BlockRef = chain.ref_at(number)
        neurons = chain.neurons(
            max_page_size,
            ref,
            netuid=asked.netuid,
            where=asked.where,
            order_by=asked.order_by,
            first=asked.first,
        )
        metagraph = chain.metagraph_at(ref, asked.netuid)
        points.append(metagraph.model_copy(update={"neurons": neurons}))
    return points

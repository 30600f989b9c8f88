"""Reads across subnets, on the real server and on the fake alike: each read of one subnet with
`netuid`, `subnets(...)` filtered and ordered, `history(...)` and its bounds, and a subnet
neither has.

Both hold subnets 1 and 2 (the fake's sample is the simnet's, each trimmed to 64 uids): what
the subnets are (number, name, symbol, owner, creation block) is compared across the sides,
and every answer against the other methods of its own side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from pylon_gql_client import (
    AsyncPylonClient,
    Block,
    BlockInFuture,
    InvalidInput,
    NotFound,
    SubnetInfo,
    SubnetOrder,
    SubnetOrderField,
)
from pylon_gql_client.testing import FakeAsyncPylonClient

from ..conftest import Server, serving
from .conftest import STRANGER, Api, Outcome, Sides

NETUIDS = (1, 2)
#: A subnet number neither side has.
MISSING = 77


@pytest.fixture
async def head(api: Api, server: Server) -> Block:
    """The head after 4 new blocks: a short history has blocks each side made."""
    if isinstance(api, AsyncPylonClient):
        await server.produce_blocks(4)
    else:
        api.produce_blocks(4)
    return await api.head()


def identity(subnet: SubnetInfo) -> tuple[Any, ...]:
    """What a subnet is, the same on the server and in the fake's sample of it."""
    return (subnet.netuid, subnet.name, subnet.symbol, subnet.owner_coldkey, subnet.registered_at)


@pytest.mark.parametrize("netuid", NETUIDS)
async def test_every_read_of_one_subnet_takes_its_netuid(
    api: Api, head: Block, netuid: int
) -> None:
    metagraph = await api.metagraph(head.number, netuid=netuid)
    assert (metagraph.netuid, metagraph.block.number) == (netuid, head.number)
    assert [n.uid for n in metagraph.neurons] == list(range(metagraph.neuron_count))
    assert await api.neurons(head.number, netuid=netuid) == metagraph.neurons
    partial = await api.neurons(head.number, netuid=netuid, fields=["hotkey"], first=4)
    assert [p.hotkey for p in partial] == [n.hotkey for n in metagraph.neurons[:4]]
    third = metagraph.neurons[3]
    assert await api.neuron(3, block=head.number, netuid=netuid) == third
    assert await api.neuron(hotkey=third.hotkey, block=head.number, netuid=netuid) == third
    with pytest.raises(InvalidInput):
        await api.neuron(metagraph.neuron_count, block=head.number, netuid=netuid)

    epoch = await api.epoch(head.number, netuid=netuid)
    hyperparameters = await api.hyperparameters(head.number, netuid=netuid)
    subnet = await api.subnet(head.number, netuid=netuid)
    assert epoch.netuid == subnet.netuid == netuid
    assert epoch.tempo == hyperparameters.tempo == subnet.tempo
    assert hyperparameters.block.number == subnet.block.number == head.number
    assert epoch.start <= head.number <= epoch.end
    # subtensor runs subnet `netuid`'s epoch where tempo - (start + netuid + 1) % (tempo + 1) == 0
    assert (epoch.start + netuid + 1) % (epoch.tempo + 1) == epoch.tempo
    ahead = await api.epoch(head.number + 1000, netuid=netuid)
    assert (ahead.predicted, ahead.netuid, ahead.tempo) == (True, netuid, epoch.tempo)

    commitments = await api.commitments(head.number, netuid=netuid)
    assert commitments  # the simnet seeds a few on both subnets
    for commitment in commitments:
        found = await api.commitment(commitment.hotkey, block=head.number, netuid=netuid)
        assert found == commitment
    assert await api.commitment(STRANGER, block=head.number, netuid=netuid) is None

    [listed] = await api.subnets(head.number, where={"netuids": [netuid]})
    assert identity(listed)[:3] == (netuid, subnet.name, subnet.symbol)
    assert (listed.owner_coldkey, listed.tempo) == (subnet.owner_coldkey, subnet.tempo)
    assert listed.neuron_count == metagraph.neuron_count


async def test_the_two_subnets_are_not_the_same(api: Api, head: Block) -> None:
    one, two = [await api.metagraph(head.number, netuid=netuid, first=8) for netuid in NETUIDS]
    assert (one.netuid, two.netuid) == NETUIDS
    assert [n.hotkey for n in one.neurons] != [n.hotkey for n in two.neurons]
    served = await api.metagraph(head.number, first=8)
    assert served == one  # the server's subnet (PYLON_NETUID) is 1, the fake's sample's too
    assert (await api.subnet(head.number)).netuid == 1


async def test_subnets_filtered_and_ordered(api: Api, head: Block) -> None:
    everyone = await api.subnets(head.number)
    assert [s.netuid for s in everyone] == [1, 2]
    assert all(s.block.number == head.number for s in everyone)
    assert await api.subnets(head.number, where={"name_contains": "SIMNET"}) == everyone[1:]
    assert await api.subnets(head.number, where={"netuids": [2, MISSING]}) == everyone[1:]
    assert await api.subnets(head.number, where={"owner_coldkey": STRANGER}) == []
    owned = await api.subnets(head.number, where={"owner_coldkey": everyone[0].owner_coldkey})
    assert owned == [s for s in everyone if s.owner_coldkey == everyone[0].owner_coldkey]
    newest = SubnetOrder(field=SubnetOrderField.REGISTERED_AT, direction="DESC")  # type: ignore[arg-type]
    assert [s.netuid for s in await api.subnets(head.number, order_by=newest)] == [2, 1]
    backwards = await api.subnets(head.number, order_by={"direction": "DESC"})
    assert backwards == everyone[::-1]
    by_price = await api.subnets(head.number, order_by={"field": "PRICE"})
    assert by_price == sorted(everyone, key=lambda s: (s.price, s.netuid))
    large = await api.subnets(
        head.number, where={"min_neurons": 2}, order_by={"field": "NEURON_COUNT"}
    )
    assert large == sorted(everyone, key=lambda s: (s.neuron_count, s.netuid))
    with pytest.raises(InvalidInput):
        await api.subnets(head.number, where={"owner_coldkey": "5FakeKey"})
    with pytest.raises(BlockInFuture):
        await api.subnets(head.number + 100)


async def test_the_fake_lists_the_servers_subnets(sides: Sides) -> None:
    (real, found), (fake, canned) = await sides.both(lambda api: api.subnets())
    assert real == fake == Outcome(None)
    assert found is not None and canned is not None
    assert [identity(s) for s in found] == [identity(s) for s in canned]
    for netuid in NETUIDS:
        (_, real_subnet), (_, fake_subnet) = await sides.both(
            lambda api, netuid=netuid: api.subnet(netuid=netuid)
        )
        assert real_subnet is not None and fake_subnet is not None
        assert real_subnet.name == fake_subnet.name
        assert real_subnet.owner_hotkey == fake_subnet.owner_hotkey


async def test_history_points_at_the_blocks_asked(api: Api, head: Block) -> None:
    start = head.number - 4
    # `first`: an anonymous caller's query has a cost budget (the fake does not model it)
    series = await api.history(start, head.number, step=2, netuid=2, first=16)
    assert [point.block.number for point in series] == [start, start + 2, head.number]
    assert all(point.netuid == 2 for point in series)
    assert all(n.block == point.block for point in series for n in point.neurons)
    assert series[-1] == await api.metagraph(head.number, netuid=2, first=16)
    chosen = await api.history(
        head.number - 1, head.number, netuid=1, where={"uids": [0, 1, 2]}, first=2
    )
    assert [[n.uid for n in point.neurons] for point in chosen] == [[0, 1], [0, 1]]
    one = await api.history(head.number, head.number, first=16)
    assert one == [await api.metagraph(head.number, first=16)]


@pytest.fixture(scope="module")
async def short_history(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """A server of series of 3 points at most: the 500 of the default would be over any
    caller's cost budget (10,000 a block not in its cache) before they are over the bound."""
    async with serving(tmp_path_factory.mktemp("client-short-history"), max_history_points=3) as s:
        yield s


@pytest.fixture(params=["server", "fake"])
async def charts(request: pytest.FixtureRequest, short_history: Server) -> AsyncIterator[Api]:
    """A client of `short_history`, or a fake held to 3 points as well."""
    if request.param == "server":
        async with AsyncPylonClient(short_history.url) as client:
            yield client
        return
    fake = FakeAsyncPylonClient()
    fake.max_history_points = 3
    yield fake


async def test_history_bounds(charts: Api) -> None:
    # `first=1`: the server weighs a query's cost (up to PYLON_MAX_COST_ANONYMOUS) before it
    # reads the arguments; the fake does not model that budget.
    head = (await charts.head()).number
    with pytest.raises(InvalidInput, match="`step` must be 1 or more"):
        await charts.history(head - 2, head, step=0)
    with pytest.raises(InvalidInput, match="at most `toBlock`"):
        await charts.history(head, head - 1)
    with pytest.raises(InvalidInput, match="PYLON_MAX_HISTORY_POINTS") as caught:
        await charts.history(head - 3, head, first=1)
    assert caught.value.extensions["maxPoints"] == 3
    with pytest.raises(BlockInFuture) as future:
        await charts.history(head - 1, head + 1, first=1)
    assert future.value.head == head
    with pytest.raises(NotFound):
        await charts.history(head, head, netuid=MISSING, first=1)


def subnet_calls(netuid: int) -> list[tuple[str, Callable[[Api, int], Awaitable[Any]]]]:
    """Every read of one subnet, of subnet `netuid` (each given its side's head)."""
    return [
        ("metagraph", lambda api, head: api.metagraph(head, netuid=netuid)),
        ("neurons", lambda api, head: api.neurons(netuid=netuid, first=1)),
        ("neurons(fields)", lambda api, head: api.neurons(netuid=netuid, fields=["stake"])),
        ("neuron(uid)", lambda api, head: api.neuron(0, netuid=netuid)),
        ("neuron(hotkey)", lambda api, head: api.neuron(hotkey=STRANGER, netuid=netuid)),
        ("neuron_page", lambda api, head: api.neuron_page(head, netuid=netuid, first=1)),
        ("epoch", lambda api, head: api.epoch(netuid=netuid)),
        ("epoch ahead", lambda api, head: api.epoch(head + 1000, netuid=netuid)),
        ("hyperparameters", lambda api, head: api.hyperparameters(head, netuid=netuid)),
        ("subnet", lambda api, head: api.subnet(netuid=netuid)),
        ("commitments", lambda api, head: api.commitments(head, netuid=netuid)),
        ("commitment", lambda api, head: api.commitment(STRANGER, netuid=netuid)),
        ("history", lambda api, head: api.history(head, head, netuid=netuid)),
        ("subscribe_epochs", lambda api, head: anext(api.subscribe_epochs(netuid=netuid))),
    ]


async def at_head(api: Api, call: Callable[[Api, int], Awaitable[Any]]) -> Any:
    return await call(api, (await api.head()).number)


@pytest.mark.parametrize(
    ("netuid", "code"), [(MISSING, "NOT_FOUND"), (-1, "BAD_USER_INPUT"), (65536, "BAD_USER_INPUT")]
)
async def test_a_subnet_neither_has(sides: Sides, netuid: int, code: str) -> None:
    wrong = []
    for label, call in subnet_calls(netuid):
        (real, _), (fake, _) = await sides.both(lambda api, call=call: at_head(api, call))
        if (real, fake) != (Outcome(code), Outcome(code)):
            wrong.append(f"{label}: expected {code}, server {real}, fake {fake}")
    assert wrong == []

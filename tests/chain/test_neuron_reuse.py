"""Neurons taken from the last answer are the neurons a full decode gives: in block order, out
of order (a `history` series' points come back in any order), across subnets, and when a
subnet's neuron count changes."""

from __future__ import annotations

import random

from pylon_gql.chain import _internals
from pylon_gql.chain.client import ChainClient, _codec_of
from pylon_gql.chain.decode import neurons_from_scale
from pylon_gql.chain.neuron_reuse import NeuronReuse
from pylon_gql.models import BlockRef
from pylon_gql.scale import Codec
from pylon_gql.simnet import Simnet


async def answers(client: ChainClient, netuid: int, hashes: list[str]) -> list[bytes]:
    found = []
    for block_hash in hashes:
        answer, _ = await _internals.runtime_call_bytes(
            client._bt, "NeuronInfoRuntimeApi", "get_neurons_lite", block_hash, netuid=netuid
        )
        assert answer is not None
        found.append(answer)
    return found


async def codec_and_output(client: ChainClient, simnet: Simnet) -> tuple[Codec, int]:
    await client.metagraph(1, BlockRef(simnet.finalized_number, simnet.finalized_hash))
    _, output = await _internals.runtime_call_bytes(
        client._bt, "NeuronInfoRuntimeApi", "get_neurons_lite", simnet.finalized_hash, netuid=1
    )
    return _codec_of(client._bt), output


async def test_reused_neurons_equal_a_full_decode(simnet: Simnet, client: ChainClient) -> None:
    await simnet.produce_blocks(30)
    last = simnet.finalized_number
    hashes = [simnet.world.hash_by_number[n] for n in range(last - 29, last + 1)]
    codec, output = await codec_and_output(client, simnet)
    by_subnet = {netuid: await answers(client, netuid, hashes) for netuid in (1, 2)}
    decode = codec.decoder(output)
    reuse = NeuronReuse()
    order = [(netuid, i) for netuid in (1, 2) for i in range(len(hashes))]
    random.Random(7).shuffle(order)
    for netuid, i in [(1, i) for i in range(len(hashes))] + order:
        answer = by_subnet[netuid][i]
        assert reuse.neurons(netuid, codec, output, answer) == neurons_from_scale(
            decode(answer, 0)[0]
        )


async def test_unchanged_neurons_are_shared_and_changed_ones_are_new(
    simnet: Simnet, client: ChainClient
) -> None:
    await simnet.produce_blocks(2)
    last = simnet.finalized_number
    codec, output = await codec_and_output(client, simnet)
    before, after = await answers(
        client, 1, [simnet.world.hash_by_number[last - 1], simnet.world.hash_by_number[last]]
    )
    reuse = NeuronReuse()
    first = reuse.neurons(1, codec, output, before)
    second = reuse.neurons(1, codec, output, after)
    shared = sum(a is b for a, b in zip(first, second, strict=True))
    differing = sum(a != b for a, b in zip(first, second, strict=True))
    assert differing > 0  # the drift moved some neurons between the two blocks
    assert shared == len(first) - differing


async def test_a_subnet_of_another_size_decodes_whole(simnet: Simnet, client: ChainClient) -> None:
    codec, output = await codec_and_output(client, simnet)
    (answer,) = await answers(client, 1, [simnet.finalized_hash])
    full = neurons_from_scale(codec.decoder(output)(answer, 0)[0])
    reuse = NeuronReuse()
    # the same subnet with its last neuron gone, then whole again, then the last 10 alone
    fewer = neurons_from_scale(codec.decoder(output)(answer, 0)[0][:-1])
    encoded_fewer = codec.encode(output, codec.decoder(output)(answer, 0)[0][:-1])
    assert reuse.neurons(1, codec, output, encoded_fewer) == fewer
    assert reuse.neurons(1, codec, output, answer) == full
    tail = codec.decoder(output)(answer, 0)[0][-10:]
    assert reuse.neurons(1, codec, output, codec.encode(output, tail)) == neurons_from_scale(tail)

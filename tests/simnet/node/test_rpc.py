"""The node's JSON-RPC surface: errors as a node words them, params as lists, pruning, control."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
import turbobt
import websockets.asyncio.client
from scalecodec.utils.ss58 import ss58_encode
from turbobt.substrate.exceptions import SubstrateException, UnknownBlock

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.node import PARAM_NAMES, AnswerCache

from .conftest import raw_request

SNAPSHOT_HASH = "0xdb13c066e2c63969f140164fb3bfe7a0aaa7b71407fc0fe525d68e57329ef9d0"
NEURONS_LITE_1 = ["NeuronInfoRuntimeApi_get_neurons_lite", "0x0100"]


async def test_unknown_method_is_method_not_found(simnet: Simnet, bt: turbobt.Bittensor):
    answer = await raw_request(simnet.url, "chain_getNothing", [])
    assert answer["error"] == {"code": -32601, "message": "Method not found"}
    with pytest.raises(SubstrateException, match="Method not found"):
        await bt.subtensor.rpc("chain_getNothing", {})


async def test_future_and_unknown_blocks(simnet: Simnet, bt: turbobt.Bittensor):
    future = simnet.head_number + 100
    assert await bt.subtensor.chain.getBlockHash(future) is None
    unknown = "0x" + "ab" * 32
    assert await bt.subtensor.chain.getHeader(unknown) is None
    assert await bt.subtensor.chain.getBlock(unknown) is None
    with pytest.raises(UnknownBlock, match=f"Header was not found in the database: {unknown}"):
        await bt.subtensor.neuron_info.get_neurons_lite(1, block_hash=unknown)
    answer = await raw_request(simnet.url, "state_getStorage", ["0x" + "00" * 32, unknown])
    assert answer["error"]["code"] == 4003
    assert answer["error"]["message"].startswith("Client error: UnknownBlock:")


async def test_genesis_and_best_block_hash(simnet: Simnet):
    genesis = await raw_request(simnet.url, "chain_getBlockHash", [0])
    assert genesis["result"] == "0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03"
    best = await raw_request(simnet.url, "chain_getBlockHash", [])
    assert best["result"] == simnet.head_hash
    finalized = await raw_request(simnet.url, "chain_getFinalizedHead", [])
    assert finalized["result"] == simnet.finalized_hash


async def test_params_as_a_list_or_an_object(simnet: Simnet):
    by_list = await raw_request(simnet.url, "state_call", [*NEURONS_LITE_1, SNAPSHOT_HASH])
    by_dict = await raw_request(
        simnet.url,
        "state_call",
        {"name": NEURONS_LITE_1[0], "bytes": NEURONS_LITE_1[1], "hash": SNAPSHOT_HASH},
    )
    assert by_list["result"] == by_dict["result"]
    assert by_list["result"].startswith("0x0110")  # compact 1024
    bad = await raw_request(simnet.url, "chain_getBlockHash", ["not a number"])
    assert bad["error"]["code"] == -32602


async def test_system_methods(simnet: Simnet):
    methods = (await raw_request(simnet.url, "rpc_methods"))["result"]["methods"]
    for name in (
        "chain_getHeader",
        "chain_getBlock",
        "chain_getBlockHash",
        "chain_getFinalizedHead",
        "state_call",
        "state_getStorage",
        "state_getKeys",
        "state_getKeysPaged",
        "state_queryStorageAt",
        "state_getRuntimeVersion",
        "state_getMetadata",
        "system_accountNextIndex",
        "account_nextIndex",
        "chain_subscribeFinalizedHeads",
        "chain_subscribeNewHeads",
    ):
        assert name in methods
    assert (await raw_request(simnet.url, "system_chain"))["result"] == "Bittensor"
    properties = (await raw_request(simnet.url, "system_properties"))["result"]
    assert properties == {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"}
    assert (await raw_request(simnet.url, "system_name"))["result"]
    assert (await raw_request(simnet.url, "system_version"))["result"]
    version = (await raw_request(simnet.url, "state_getRuntimeVersion", []))["result"]
    assert version["specVersion"] == 318
    alice = simnet.dev_keys["owner_coldkey"][1]
    assert (await raw_request(simnet.url, "system_accountNextIndex", [alice]))["result"] == 0
    assert (await raw_request(simnet.url, "account_nextIndex", {"account": alice}))["result"] == 0


async def test_state_get_metadata_is_v14_of_the_same_runtime(simnet: Simnet, bt: turbobt.Bittensor):
    # turbobt's own start: Metadata_metadata_at_version(15), decoded into pallets and APIs
    await bt.subtensor._init_runtime()
    v15: Any = bt.subtensor._metadata
    assert "NeuronInfoRuntimeApi" in (bt.subtensor._apis or {})
    # state_getMetadata answers V14, as a node does: the same types, pallets and extrinsic
    metadata: Any = await bt.subtensor.state.getMetadata(SNAPSHOT_HASH)
    (v14,) = metadata.value[1].values()
    assert "V14" in metadata.value[1]
    v15_value = v15.value[1]["V15"]
    assert v14["types"] == v15_value["types"]
    assert [p["name"] for p in v14["pallets"]] == [p["name"] for p in v15_value["pallets"]]
    for old, new in zip(v14["pallets"], v15_value["pallets"], strict=True):
        assert old["storage"] == new["storage"]
        assert old["calls"] == new["calls"]
    assert v14["extrinsic"]["signed_extensions"] == v15_value["extrinsic"]["signed_extensions"]
    assert v14["extrinsic"]["ty"] == 526  # fp_self_contained::UncheckedExtrinsic
    versions = await bt.subtensor.state.call("Metadata_metadata_versions", "0x", SNAPSHOT_HASH)
    assert versions == bytearray.fromhex("080e0000000f000000")


async def test_storage_keys_paged_and_query(simnet: Simnet, bt: turbobt.Bittensor):
    await bt.subtensor._init_runtime()
    state = bt.subtensor.state
    metadata: Any = bt.subtensor._metadata
    pallet = metadata.get_metadata_pallet("SubtensorModule")
    prefix = state._storage_key(pallet, pallet.get_storage_function("Uids"), [2])
    every = await state.getKeys(prefix, block_hash=SNAPSHOT_HASH)
    assert isinstance(every, list)
    assert len(every) == 256
    assert every == sorted(every)
    paged: list[str] = []
    while True:
        page = await state.getKeysPaged(
            prefix, 100, paged[-1] if paged else None, block_hash=SNAPSHOT_HASH
        )
        assert isinstance(page, list)
        if not page:
            break
        paged.extend(page)
    assert paged == every
    missing = prefix + "00" * 40
    (change_set,) = await state.queryStorageAt([every[0], missing], block_hash=SNAPSHOT_HASH)
    assert change_set["block"] == SNAPSHOT_HASH
    assert change_set["changes"][0][1] is not None
    assert change_set["changes"][1] == [missing, None]


async def test_subnet_owner_and_keys_storage(simnet: Simnet, bt: turbobt.Bittensor):
    owner = await bt.subtensor.state.getStorage(
        "SubtensorModule.SubnetOwner", 1, block_hash=SNAPSHOT_HASH
    )
    assert owner == "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"  # //Alice
    hotkey = await bt.subtensor.state.getStorage(
        "SubtensorModule.Keys", 2, 0, block_hash=SNAPSHOT_HASH
    )
    assert hotkey == "0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48"  # //Bob


async def test_control_method_produces_blocks(simnet: Simnet):
    before = simnet.head_number
    answer = await raw_request(simnet.url, "simnet_produceBlocks", [3])
    assert answer["result"]["head"]["number"] == before + 3 == simnet.head_number
    assert answer["result"]["finalized"]["number"] == simnet.finalized_number
    info = (await raw_request(simnet.url, "simnet_info"))["result"]
    assert info["subnets"] == [1, 2]
    assert info["devKeys"]["validator_hotkey"]["uri"] == "//Bob"


async def test_new_heads_subscription_and_unsubscribe(simnet: Simnet, bt: turbobt.Bittensor):
    subscription_id = await bt.subtensor.rpc("chain_subscribeNewHeads", {})
    assert isinstance(subscription_id, str)
    subscription = await bt.subtensor.subscribe(subscription_id)
    first = int((await subscription.__anext__())["number"], 16)
    assert first == simnet.head_number
    await simnet.produce_blocks(2)
    async with asyncio.timeout(10):
        numbers = [int((await subscription.__anext__())["number"], 16) for _ in range(2)]
    assert numbers == [first + 1, first + 2]
    rpc: Any = bt.subtensor.rpc  # turbobt sends unsubscribe params as a list
    assert await rpc("chain_unsubscribeNewHeads", [subscription_id]) is True
    assert await rpc("chain_unsubscribeNewHeads", [subscription_id]) is False
    await bt.subtensor.unsubscribe(subscription_id)


async def test_pruned_state_is_already_discarded():
    config = SimnetConfig(port=0, manual=True, history=4, finality_lag=1)
    async with Simnet(config) as simnet, turbobt.Bittensor(simnet.url) as bt:
        await simnet.produce_blocks(6)
        assert simnet.finalized_number == simnet.head_number - 1
        # headers stay (a pruned node keeps blocks); the state of old blocks does not
        snapshot = await bt.block(6852690).get()
        assert snapshot.hash == SNAPSHOT_HASH
        with pytest.raises(UnknownBlock, match=f"State already discarded for {SNAPSHOT_HASH}"):
            await bt.subnet(1).list_neurons(block_hash=SNAPSHOT_HASH)
        with pytest.raises(UnknownBlock, match="State already discarded"):
            await snapshot.get_timestamp()
        # kept: the last 4 finalized blocks and the unfinalized head
        oldest_kept = await bt.block(simnet.finalized_number - 3).get()
        assert len(await bt.subnet(1).list_neurons(block_hash=oldest_kept.hash)) == 1024
        too_old = await bt.block(simnet.finalized_number - 4).get()
        with pytest.raises(UnknownBlock, match="State already discarded"):
            await too_old.get_timestamp()


async def test_archive_keeps_every_state():
    async with Simnet(SimnetConfig(port=0, manual=True, history=2, archive=True)) as simnet:
        await simnet.produce_blocks(5)
        answer = await raw_request(simnet.url, "state_call", [*NEURONS_LITE_1, SNAPSHOT_HASH])
        assert "result" in answer


async def test_blocks_are_produced_by_themselves():
    async with (
        Simnet(SimnetConfig(port=0, block_time=0.05)) as simnet,
        websockets.asyncio.client.connect(simnet.url) as ws,
    ):
        start = simnet.head_number
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "chain_subscribeNewHeads"}))
        numbers: list[int] = []
        async with asyncio.timeout(10):
            while len(numbers) < 4:
                message = json.loads(await ws.recv())
                if message.get("method") == "chain_newHead":
                    numbers.append(int(message["params"]["result"]["number"], 16))
        assert numbers[0] >= start
        assert numbers == list(range(numbers[0], numbers[0] + 4))


async def test_the_same_seed_gives_the_same_chain():
    async def chain(seed: int) -> list[str]:
        config = SimnetConfig(port=0, manual=True, seed=seed, start_timestamp_ms=1)
        async with Simnet(config) as simnet:
            await simnet.produce_blocks(5)
            return [simnet.world.hash_by_number[6852690 + i] for i in range(6)]

    first, again, other = await chain(7), await chain(7), await chain(8)
    assert first == again
    assert first[0] == other[0] == SNAPSHOT_HASH
    assert first[1:] != other[1:]


async def test_unchanged_neurons_are_shared_between_blocks(simnet: Simnet):
    await simnet.produce_blocks(1)
    world = simnet.world
    head = world.head
    parent = world.state_of(head.header.parent_hash)
    assert parent is not None
    shared = sum(
        a is b for a, b in zip(head.subnets[1].neurons, parent.subnets[1].neurons, strict=True)
    )
    assert 900 < shared < 1024


async def test_deregistered_uid_gets_a_new_hotkey(simnet: Simnet, bt: turbobt.Bittensor):
    world = simnet.world
    start = world.head
    found = None
    for _ in range(200):
        await simnet.produce_blocks(1)
        before = world.state_of(world.head.header.parent_hash)
        assert before is not None
        for netuid in (1, 2):
            for old, new in zip(
                before.subnets[netuid].neurons, world.head.subnets[netuid].neurons, strict=True
            ):
                if old.hotkey != new.hotkey and old.uid != start.subnets[netuid].uid_of(
                    bytes.fromhex(
                        "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48"
                    )
                ):
                    found = (netuid, old, new, before.hash, world.head.hash)
        if found:
            break
    assert found is not None, "no uid was re-registered in 200 blocks"
    netuid, old, new, before_hash, after_hash = found
    uids = bt.subtensor.subtensor_module.Uids
    assert await uids.get(netuid, ss58_encode(old.hotkey), block_hash=before_hash) == old.uid
    assert await uids.get(netuid, ss58_encode(old.hotkey), block_hash=after_hash) is None
    assert await uids.get(netuid, ss58_encode(new.hotkey), block_hash=after_hash) == new.uid
    neuron = await bt.subnet(netuid).get_neuron(new.uid, block_hash=after_hash)
    assert neuron is not None
    assert neuron.hotkey == ss58_encode(new.hotkey)
    assert neuron.stake == 0


async def test_storage_subscription_sends_changes(simnet: Simnet, bt: turbobt.Bittensor):
    await bt.subtensor._init_runtime()
    subscription = await bt.subtensor.timestamp.Now.subscribe()
    first = await subscription.__anext__()
    assert first["block"] == simnet.head_hash
    ((_, now),) = first["changes"]
    await simnet.produce_blocks(2)
    async with asyncio.timeout(10):
        changes = [await subscription.__anext__() for _ in range(2)]
    assert [c["changes"][0][1] for c in changes] == [now + 12_000, now + 24_000]
    assert changes[-1]["block"] == simnet.head_hash
    assert await bt.subtensor.state.unsubscribeStorage(subscription.id) is True


async def test_answers_are_cached_per_block(simnet: Simnet):
    await simnet.produce_blocks(1)
    cache = simnet._node.cache  # type: ignore[union-attr]
    params = [*NEURONS_LITE_1, simnet.head_hash]
    first = await raw_request(simnet.url, "state_call", params)
    entries = len(cache)
    again = await raw_request(simnet.url, "state_call", params)
    assert again["result"] == first["result"]
    assert len(cache) == entries
    assert cache.get((simnet.head_hash, NEURONS_LITE_1[0], b"\x01\x00")) == first["result"]


def test_answer_cache_is_bounded():
    cache = AnswerCache(max_bytes=100)
    for i in range(10):
        cache.put(i, f"answer {i}", 30)
    assert cache.size <= 100
    assert cache.get(9) == "answer 9"
    assert cache.get(0) is None


async def test_malformed_requests_get_errors_and_the_connection_stays(simnet: Simnet):
    """Seeded junk for every method: each request gets a well-formed answer, none kills the
    connection, and the node still answers properly afterwards."""
    rng = random.Random(0)
    junk: list[Any] = [
        None,
        7,
        -1,
        "x",
        "0x",
        "0xzz",
        "0x" + "ab" * 32,
        [],
        {},
        [None],
        [1, 2, 3, 4, 5, 6],
        {"hash": 5},
        {"name": 1},
        {"keys": "nope"},
        {"prefix": None, "count": "ten"},
        ["NeuronInfoRuntimeApi_get_neurons_lite", "0x01"],
        ["NeuronInfoRuntimeApi_get_neurons_lite", "0xffff"],
        ["Nope_nothing", "0x"],
        {"count": 10**9, "prefix": "0x"},
    ]
    methods = [*PARAM_NAMES, "rpc_methods", "system_chain", "chain_subscribeNewHeads"]
    async with websockets.asyncio.client.connect(simnet.url, max_size=2**24) as ws:
        for request_id in range(1, 301):
            method = rng.choice(methods)
            params = rng.choice(junk)
            await ws.send(
                json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
            )
            while True:
                answer = json.loads(await ws.recv())
                if answer.get("id") == request_id:
                    break
            assert ("result" in answer) != ("error" in answer), answer
            if "error" in answer:
                assert isinstance(answer["error"]["code"], int)
                assert answer["error"]["code"] != -32603, (method, params, answer)
        await ws.send("this is not json")
        assert json.loads(await ws.recv())["error"]["code"] == -32700
    assert (await raw_request(simnet.url, "chain_getHeader", []))["result"]


async def test_a_batch_gets_one_array(simnet: Simnet):
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "system_chain"},
        {"jsonrpc": "2.0", "id": 2, "method": "chain_getBlockHash", "params": [0]},
        {"jsonrpc": "2.0", "id": 3, "method": "nope"},
    ]
    async with websockets.asyncio.client.connect(simnet.url) as ws:
        await ws.send(json.dumps(batch))
        answers = {a["id"]: a for a in json.loads(await ws.recv())}
    assert answers[1]["result"] == "Bittensor"
    assert answers[2]["result"].startswith("0x2f0555cc")
    assert answers[3]["error"]["code"] == -32601

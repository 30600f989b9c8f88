"""The node's plain JSON-RPC methods: blocks, state, storage reads, errors as a node words them,
params as lists or objects."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import turbobt
import websockets.asyncio.client
from turbobt.substrate.exceptions import SubstrateException, UnknownBlock

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.hashing import blake2_256
from pylon_gql.simnet.node.params import PARAM_NAMES
from pylon_gql.simnet.runtime import get_runtime

from ..conftest import NEURONS_LITE_1, SNAPSHOT, SNAPSHOT_HASH, raw_request


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


async def test_head_and_blocks_by_number_and_hash(simnet: Simnet, bt: turbobt.Bittensor):
    snapshot = await bt.block(SNAPSHOT).get()
    assert snapshot.hash == SNAPSHOT_HASH
    assert (await bt.blocks[SNAPSHOT_HASH].get()).number == SNAPSHOT

    await simnet.produce_blocks(2)
    head = await bt.head.get()
    assert head.number == simnet.head_number >= SNAPSHOT + 2
    assert head.hash == simnet.head_hash
    by_hash = await bt.blocks[head.hash].get()
    assert by_hash.number == head.number

    # the hash chain: each header names its parent
    header: Any = await bt.subtensor.chain.getHeader(head.hash)
    assert header is not None
    parent = await bt.block(simnet.head_number - 1).get()
    assert header["parentHash"] == parent.hash
    real: Any = await bt.subtensor.chain.getHeader(SNAPSHOT_HASH)
    assert real is not None
    assert (
        real["parentHash"] == "0x7348409fe36728fa2ac7f0886346fd35b79804d294046d152ba1baccd9d0be3a"
    )


async def test_block_body_has_the_timestamp_inherent(simnet: Simnet, bt: turbobt.Bittensor):
    await simnet.produce_blocks(1)
    block: Any = await bt.subtensor.chain.getBlock(simnet.head_hash)
    assert block is not None
    (extrinsic,) = block["block"]["extrinsics"]
    assert extrinsic["call"]["call_module"] == "Timestamp"
    now = await bt.subtensor.timestamp.Now.get(block_hash=simnet.head_hash)
    assert extrinsic["call"]["call_args"][0]["value"] == now


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


async def test_the_sdk_s_rpc_methods(simnet: Simnet):
    head = (await raw_request(simnet.url, "chain_getHead"))["result"]
    assert head == simnet.head_hash
    methods = (await raw_request(simnet.url, "rpc_methods"))["result"]["methods"]
    for method in (
        "chain_getHead",
        "payment_queryInfo",
        "state_subscribeRuntimeVersion",
        "chain_subscribeRuntimeVersion",
        "state_getStorageHash",
        "state_getStorageSize",
        "state_queryStorage",
        "system_dryRun",
    ):
        assert method in methods
    key = "0x" + (await _tempo_key())
    size = await raw_request(simnet.url, "state_getStorageSize", [key, SNAPSHOT_HASH])
    assert size["result"] == 2  # a u16
    digest = await raw_request(simnet.url, "state_getStorageHash", [key, SNAPSHOT_HASH])
    assert digest["result"] == "0x" + blake2_256((99).to_bytes(2, "little")).hex()
    fee = await raw_request(simnet.url, "payment_queryInfo", ["0x00"])
    assert fee["result"]["partialFee"] == "0"  # the simnet takes no fees


async def _tempo_key() -> str:
    runtime = get_runtime()
    return runtime.entry("SubtensorModule", "Tempo").key(runtime.codec, 1).hex()


async def test_query_storage_lists_the_blocks_where_a_value_changed(simnet: Simnet):
    await simnet.produce_blocks(3)
    first, last = simnet.head_number - 2, simnet.head_number
    hashes = [simnet.world.hash_by_number[n] for n in (first, last)]
    runtime_key = "0x" + (await _tempo_key())
    runtime = get_runtime()
    number_key = "0x" + runtime.entry("System", "Number").key(runtime.codec).hex()
    answer = await raw_request(
        simnet.url, "state_queryStorage", [[runtime_key, number_key], *hashes]
    )
    sets = answer["result"]
    # the block number changes at every block, the tempo never: it only comes in the first set
    assert [s["block"] for s in sets] == [
        simnet.world.hash_by_number[n] for n in range(first, last + 1)
    ]
    assert [k for k, _ in sets[0]["changes"]] == [runtime_key, number_key]
    assert all([k for k, _ in s["changes"]] == [number_key] for s in sets[1:])


async def test_the_snapshot_s_ancestors_have_headers_and_pruned_state(simnet: Simnet):
    parent = await raw_request(simnet.url, "chain_getBlockHash", [SNAPSHOT - 1])
    header = await raw_request(simnet.url, "chain_getHeader", [SNAPSHOT_HASH])
    assert parent["result"] == header["result"]["parentHash"]
    version = await raw_request(simnet.url, "state_getRuntimeVersion", [parent["result"]])
    assert version["result"]["specVersion"] == 318
    state = await raw_request(simnet.url, "state_getStorage", ["0x00", parent["result"]])
    assert "State already discarded" in state["error"]["message"]
    deepest = await raw_request(simnet.url, "chain_getBlockHash", [SNAPSHOT - 16])
    assert deepest["result"] is not None
    assert (await raw_request(simnet.url, "chain_getBlockHash", [SNAPSHOT - 17]))["result"] is None


async def test_runtime_version_subscription_sends_the_version_once(simnet: Simnet):
    async with websockets.asyncio.client.connect(simnet.url) as ws:
        request = {"jsonrpc": "2.0", "id": 1, "method": "state_subscribeRuntimeVersion"}
        await ws.send(json.dumps(request))
        answer = json.loads(await ws.recv())
        note = json.loads(await ws.recv())
        assert note["method"] == "state_runtimeVersion"
        assert note["params"]["subscription"] == answer["result"]
        assert note["params"]["result"]["specVersion"] == 318

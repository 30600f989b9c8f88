"""`subnets(block:)` over HTTP, against the simnet: every subnet's dynamic info equals
turbobt's own decode of `get_all_dynamic_info` and of the subnets' storage at that block."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scalecodec.utils.ss58 import ss58_encode
from turbobt import Bittensor

from pylon_gql import metrics

from .conftest import PATIENCE, Served

pytestmark = pytest.mark.timeout(300)

FIELDS = """block { number } netuid name symbol ownerHotkey ownerColdkey tempo registeredAt
  lastStep blocksSinceLastStep neuronCount maxNeurons burn burnRao alphaIn alphaInRao alphaOut
  alphaOutRao taoIn taoInRao price movingPrice emission emissionRao taoInEmissionRao
  alphaInEmissionRao alphaOutEmissionRao volumeRao epoch { netuid start end }"""

SUBNETS = f"""query ($b: Int, $where: SubnetFilter, $order: SubnetOrder) {{
  subnets(block: $b, where: $where, orderBy: $order) {{ {FIELDS} }} }}"""


async def _head(served: Served) -> tuple[int, str]:
    head = (await served.query("{ head { number hash } }"))["data"]["head"]
    return head["number"], head["hash"]


def _account(value: Any) -> str:
    return ss58_encode(bytes.fromhex(value.removeprefix("0x")), 42)


async def test_every_subnet_agrees_with_the_chains_dynamic_info(served: Served) -> None:
    number, block_hash = await _head(served)
    answer = await served.query(SUBNETS, {"b": number})
    assert "errors" not in answer, answer
    got = answer["data"]["subnets"]
    simnet = served.services.simnet
    assert simnet is not None
    async with Bittensor(simnet.url) as bt:
        raw: Any = await bt.subtensor.api_call(
            "SubnetInfoRuntimeApi", "get_all_dynamic_info", block_hash=block_hash
        )

        async def storage(name: str, netuid: int) -> Any:
            return await bt.subtensor.state.getStorage(
                f"SubtensorModule.{name}", netuid, block_hash=block_hash
            )

        want = []
        for info in raw:
            netuid = info["netuid"]
            alpha_in, tao_in = info["alpha_in"], info["tao_in"]
            want.append(
                {
                    "netuid": netuid,
                    "name": bytes(info["subnet_name"]).decode(),
                    "symbol": bytes(info["token_symbol"]).decode(),
                    "ownerHotkey": _account(info["owner_hotkey"]),
                    "ownerColdkey": _account(info["owner_coldkey"]),
                    "tempo": info["tempo"],
                    "registeredAt": info["network_registered_at"],
                    "lastStep": info["last_step"],
                    "blocksSinceLastStep": info["blocks_since_last_step"],
                    "neuronCount": await storage("SubnetworkN", netuid),
                    "maxNeurons": await storage("MaxAllowedUids", netuid),
                    "burnRao": str(await storage("Burn", netuid)),
                    "alphaInRao": str(alpha_in),
                    "alphaOutRao": str(info["alpha_out"]),
                    "taoInRao": str(tao_in),
                    "price": pytest.approx(tao_in / alpha_in if netuid else 1.0),
                    "movingPrice": pytest.approx(info["moving_price"]["bits"] / 2**32),
                    "emissionRao": str(info["emission"]),
                    "taoInEmissionRao": str(info["tao_in_emission"]),
                    "alphaInEmissionRao": str(info["alpha_in_emission"]),
                    "alphaOutEmissionRao": str(info["alpha_out_emission"]),
                    "volumeRao": str(info["subnet_volume"]),
                }
            )
    assert [s["netuid"] for s in got] == sorted(w["netuid"] for w in want)
    assert len(got) >= 2
    for subnet, expected in zip(got, sorted(want, key=lambda w: w["netuid"]), strict=True):
        assert {key: subnet[key] for key in expected} == expected, subnet["netuid"]
        assert subnet["block"] == {"number": number}
        assert subnet["burn"] == pytest.approx(int(subnet["burnRao"]) / 1e9)
        assert subnet["taoIn"] == pytest.approx(int(subnet["taoInRao"]) / 1e9)
        assert subnet["epoch"]["netuid"] == subnet["netuid"]
        assert subnet["epoch"]["start"] <= number <= subnet["epoch"]["end"]
    # the served subnet's entry agrees with `subnet` and `metagraph`
    one = await served.query(
        "query ($b: Int) { subnet(block: $b) { name tempo ownerColdkey } "
        "metagraph(block: $b) { neuronCount } }",
        {"b": number},
    )
    first = next(s for s in got if s["netuid"] == 1)
    assert one["data"]["subnet"] == {k: first[k] for k in ("name", "tempo", "ownerColdkey")}
    assert one["data"]["metagraph"]["neuronCount"] == first["neuronCount"] == 1024


async def test_where_and_order_by(served: Served) -> None:
    number, _ = await _head(served)
    every = (await served.query(SUBNETS, {"b": number}))["data"]["subnets"]

    async def ask(where: Any = None, order: Any = None) -> list[int]:
        answer = await served.query(SUBNETS, {"b": number, "where": where, "order": order})
        assert "errors" not in answer, answer
        return [s["netuid"] for s in answer["data"]["subnets"]]

    assert await ask({"netuids": [2, 99]}) == [2]
    assert await ask({"minNeurons": 1000}) == [
        s["netuid"] for s in every if s["neuronCount"] >= 1000
    ]
    name = every[0]["name"]
    assert await ask({"nameContains": name[1:4].upper()}) == [
        s["netuid"] for s in every if name[1:4].lower() in s["name"].lower()
    ]
    by_price = sorted(every, key=lambda s: (-s["price"], s["netuid"]))
    assert await ask(order={"field": "PRICE", "direction": "DESC"}) == [
        s["netuid"] for s in by_price
    ]
    assert await ask(order={"direction": "DESC"}) == sorted(
        (s["netuid"] for s in every), reverse=True
    )
    owner = every[0]["ownerColdkey"]
    assert await ask({"ownerColdkey": owner}) == [
        s["netuid"] for s in every if s["ownerColdkey"] == owner
    ]
    bad = await served.query(SUBNETS, {"where": {"ownerColdkey": "nope"}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


SUBNET = f"""query ($b: Int, $n: Int) {{ subnet(block: $b, netuid: $n) {{ {FIELDS} }} }}"""


async def test_subnet_answers_what_subnets_lists_and_turbobt_reads(served: Served) -> None:
    number, block_hash = await _head(served)
    listed = (await served.query(SUBNETS, {"b": number}))["data"]["subnets"]
    assert len(listed) >= 2
    for entry in listed:
        one = await served.query(SUBNET, {"b": number, "n": entry["netuid"]})
        assert one == {"data": {"subnet": entry}}, entry["netuid"]
    simnet = served.services.simnet
    assert simnet is not None
    async with Bittensor(simnet.url) as bt:
        for entry in listed:
            info: Any = await bt.subtensor.subnet_info.get_dynamic_info(
                entry["netuid"], block_hash=block_hash
            )
            assert info is not None
            want = {
                "netuid": info["netuid"],
                "name": info["subnet_name"],
                "symbol": info["token_symbol"],
                "ownerHotkey": info["owner_hotkey"],
                "ownerColdkey": info["owner_coldkey"],
                "tempo": info["tempo"],
                "registeredAt": info["network_registered_at"],
                "lastStep": info["last_step"],
                "blocksSinceLastStep": info["blocks_since_last_step"],
                "alphaInRao": str(info["alpha_in"]),
                "alphaOutRao": str(info["alpha_out"]),
                "taoInRao": str(info["tao_in"]),
                "emissionRao": str(info["emission"]),
                "movingPrice": pytest.approx(info["moving_price"]["bits"] / 2**32),
                "volumeRao": str(info["subnet_volume"]),
            }
            assert {key: entry[key] for key in want} == want, entry["netuid"]
    # the server's subnet when no netuid is given; NOT_FOUND for one that does not exist
    served_one = await served.query(SUBNET, {"b": number})
    assert served_one == {"data": {"subnet": next(s for s in listed if s["netuid"] == 1)}}
    missing = await served.query(SUBNET, {"b": number, "n": 999})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND", missing


async def test_each_subnets_next_epoch_starts_after_its_epoch(served: Served) -> None:
    number, _ = await _head(served)
    answer = await served.query(
        "query ($b: Int) { subnets(block: $b) { netuid epoch { netuid end tempo "
        "next { block { number } forBlock predicted netuid tempo start end } } } }",
        {"b": number},
    )
    assert "errors" not in answer, answer
    for subnet in answer["data"]["subnets"]:
        epoch = subnet["epoch"]
        if epoch is None:
            continue  # tempo 0: no epochs
        following = epoch["next"]
        assert following["start"] == epoch["end"] + 1 == following["forBlock"]
        assert following["end"] == following["start"] + epoch["tempo"]
        assert following["netuid"] == subnet["netuid"]
        # the head's epoch ends past it: the next one is predicted from the head
        assert following["predicted"] is True
        assert following["block"] == {"number": number}


def _calls(call: str) -> float:
    return metrics.CHAIN_CALLS.labels(call, "ok")._value.get()


async def test_one_subnet_is_read_alone_and_once_per_block(served: Served) -> None:
    simnet = served.services.simnet
    assert simnet is not None
    before = await _head(served)
    await simnet.produce_blocks(1 + simnet.config.finality_lag)
    async with asyncio.timeout(PATIENCE):
        while (number := (await _head(served))[0]) <= before[0]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    alone, every = _calls("dynamic_info"), _calls("all_dynamic_info")
    # two documents (the response cache would share one), asked at once: one read
    answers = await asyncio.gather(
        served.query("query ($b: Int) { subnet(block: $b, netuid: 2) { price } }", {"b": number}),
        served.query("query ($b: Int) { subnet(block: $b, netuid: 2) { burn } }", {"b": number}),
    )
    assert all("errors" not in answer for answer in answers), answers
    assert _calls("dynamic_info") - alone == 1
    assert _calls("all_dynamic_info") == every  # not every subnet's

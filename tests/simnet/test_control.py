"""The control methods (`simnet_*`)."""

from __future__ import annotations

from pylon_gql.simnet import Faults, Simnet

from .conftest import raw_request


async def test_control_method_produces_blocks(simnet: Simnet):
    before = simnet.head_number
    answer = await raw_request(simnet.url, "simnet_produceBlocks", [3])
    assert answer["result"]["head"]["number"] == before + 3 == simnet.head_number
    assert answer["result"]["finalized"]["number"] == simnet.finalized_number
    info = (await raw_request(simnet.url, "simnet_info"))["result"]
    assert info["subnets"] == [1, 2]
    assert info["devKeys"]["validator_hotkey"]["uri"] == "//Bob"


async def test_control_methods_refuse_bad_params(simnet: Simnet):
    answer = await raw_request(simnet.url, "simnet_nothing")
    assert answer["error"] == {"code": -32601, "message": "Method not found"}
    before = simnet.head_number
    answer = await raw_request(simnet.url, "simnet_produceBlocks", [-1])
    assert answer["error"]["code"] == -32602
    assert simnet.head_number == before
    answer = await raw_request(simnet.url, "simnet_setFaults", {"nonsense": 1})
    assert answer["error"]["code"] == -32602
    assert "nonsense" in answer["error"]["data"]
    faults = (await raw_request(simnet.url, "simnet_getFaults"))["result"]
    assert faults == Faults().as_json()

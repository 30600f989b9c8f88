"""Subnet 1 at finney block 6852690, decoded from the fixture's SCALE bytes with scalecodec alone.

This is what a client must get from `metagraph(block: 6852690)`: the same bytes the simulated
node serves, decoded without any of the server's code.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from pathlib import Path
from typing import Any

import scalecodec
import scalecodec.type_registry
from scalecodec.base import RuntimeConfigurationObject
from scalecodec.utils.ss58 import ss58_encode
from turbobt.substrate._scalecodec import load_type_registry_v15_types

FIXTURES = Path("/work/shared/chain-fixtures")
_SNAPSHOT = json.loads((FIXTURES / "finney-netuid1-block6852690.json").read_text())
NUMBER: int = _SNAPSHOT["block_number"]
HASH: str = _SNAPSHOT["block_hash"]
U16_MAX = 65535


def _runtime() -> tuple[RuntimeConfigurationObject, Any]:
    """A scalecodec runtime with the portable registry of the fixture's metadata, as turbobt
    builds it."""
    metadata_hex = json.loads((FIXTURES / "metadata-v15.json").read_text())["result"]
    config = RuntimeConfigurationObject()
    config.update_type_registry(scalecodec.type_registry.load_type_registry_preset(name="core"))
    config.update_type_registry_types(load_type_registry_v15_types())
    config.type_registry["types"]["metadataall"].type_mapping.append(["V15", "MetadataV15"])
    opaque = config.create_scale_object("Option<Vec<u8>>", data=scalecodec.ScaleBytes(metadata_hex))
    opaque.decode()
    metadata: Any = config.create_scale_object(
        "MetadataVersioned", data=scalecodec.ScaleBytes(str(opaque.value))
    )
    metadata.decode()
    config.add_portable_registry(metadata)
    return config, metadata.value[1]["V15"]["apis"]


def _ip(value: int, ip_type: int) -> str:
    return str(ipaddress.IPv6Address(value) if ip_type == 6 else ipaddress.IPv4Address(value))


@functools.cache
def neurons() -> list[dict[str, Any]]:
    """Each neuron as the GraphQL answer should show it (camelCase, rao as strings)."""
    config, apis = _runtime()
    api = next(a for a in apis if a["name"] == "NeuronInfoRuntimeApi")
    output = next(m for m in api["methods"] if m["name"] == "get_neurons_lite")["output"]
    call = next(
        c for c in _SNAPSHOT["state_call"] if c["method"] == "NeuronInfoRuntimeApi_get_neurons_lite"
    )
    raw: list[dict[str, Any]] = config.create_scale_object(f"scale_info::{output}").decode(
        scalecodec.ScaleBytes(call["result"])
    )  # type: ignore[assignment]
    decoded = []
    for n in raw:
        axon = n["axon_info"]
        stake_rao = sum(int(amount) for _, amount in n["stake"])
        decoded.append(
            {
                "uid": n["uid"],
                "hotkey": ss58_encode(n["hotkey"], 42),
                "coldkey": ss58_encode(n["coldkey"], 42),
                "active": n["active"],
                "validatorPermit": n["validator_permit"],
                "stakeRao": str(stake_rao),
                "stake": stake_rao / 10**9,
                "incentive": n["incentive"] / U16_MAX,
                "dividends": n["dividends"] / U16_MAX,
                "emissionRao": str(int(n["emission"])),
                "lastUpdate": n["last_update"],
                "axon": {
                    "ip": _ip(axon["ip"], axon["ip_type"]),
                    "port": axon["port"],
                    "protocol": axon["protocol"],
                    "version": axon["version"],
                },
            }
        )
    return decoded


@functools.cache
def stake_columns() -> list[dict[str, Any]]:
    """Each neuron's stake split, registration block and identity name as finney answered
    `get_selective_mechagraph` (every column), decoded with scalecodec alone."""
    config, apis = _runtime()
    api = next(a for a in apis if a["name"] == "SubnetInfoRuntimeApi")
    output = next(m for m in api["methods"] if m["name"] == "get_selective_mechagraph")["output"]
    call = next(
        c
        for c in _SNAPSHOT["state_call"]
        if c["method"] == "SubnetInfoRuntimeApi_get_selective_mechagraph"
    )
    graph: Any = config.create_scale_object(f"scale_info::{output}").decode(
        scalecodec.ScaleBytes(call["result"])
    )
    identities = graph["identities"]
    return [
        {
            "uid": uid,
            "alphaStakeRao": str(int(graph["alpha_stake"][uid])),
            "taoStakeRao": str(int(graph["tao_stake"][uid])),
            "totalStakeRao": str(int(graph["total_stake"][uid])),
            "registeredAt": int(graph["block_at_registration"][uid]),
            "identity": None if identities[uid] is None else identities[uid]["name"],
        }
        for uid in range(len(graph["hotkeys"]))
    ]

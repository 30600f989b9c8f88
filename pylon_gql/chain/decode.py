"""What turbobt hands back (plain dicts, as it decodes the node's SCALE), as frozen domain models.

Pure functions, no I/O: the neuron decode runs in a worker thread, and each can be checked
against a raw value alone.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import ipaddress
from typing import Any, cast

from scalecodec.utils.ss58 import ss58_encode

from ..models import (
    AdminCall,
    AdminCallArg,
    AxonInfo,
    Block,
    Commitment,
    Hyperparameters,
    HyperparameterValue,
    Neuron,
    PrometheusInfo,
)

#: The chain keeps fractions (trust, incentive, ...) and weights as u16 proportions of this.
U16_MAX = 65535

_INT_KINDS = {f"{sign}{bits}" for sign in "ui" for bits in (8, 16, 32, 64, 128)}
_HYPERPARAMETER_FIELDS = tuple(
    f.name for f in dataclasses.fields(Hyperparameters) if f.name != "runtime_fields"
)


def as_hex(value: Any) -> str:
    """A hash as the node sends it (turbobt turns "0x..." into a bytearray) as "0x..." text."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return str(value)


def header_number(value: Any) -> int:
    """A header's block number: hex text in JSON-RPC headers, an int where turbobt decoded it."""
    return int(value, 16) if isinstance(value, str) else int(value)


def block_from_raw(block_hash: str, header: dict[str, Any], millis: Any) -> Block:
    """A header and its `Timestamp.Now` (None when the node no longer keeps the state)."""
    timestamp = None
    if millis is not None:
        timestamp = datetime.datetime.fromtimestamp(int(millis) / 1000, tz=datetime.UTC)
    return Block(
        number=int(header["number"]),
        hash=block_hash,
        parent_hash=header["parentHash"],
        timestamp=timestamp,
    )


def neuron_from_raw(raw: dict[str, Any]) -> Neuron:
    """A `NeuronInfoRuntimeApi_get_neurons_lite` entry as turbobt decodes it (keys in SS58)."""
    axon, prometheus = raw["axon_info"], raw["prometheus_info"]
    stake = raw["stake"]
    stake_values = stake.values() if isinstance(stake, dict) else (value for _, value in stake)
    return Neuron(
        uid=int(raw["uid"]),
        hotkey=raw["hotkey"],
        coldkey=raw["coldkey"],
        active=bool(raw["active"]),
        axon=AxonInfo(
            ip=_ip(axon["ip"], axon["ip_type"]),
            port=int(axon["port"]),
            ip_type=int(axon["ip_type"]),
            protocol=int(axon["protocol"]),
            version=int(axon["version"]),
            block=int(axon["block"]),
        ),
        prometheus=PrometheusInfo(
            ip=_ip(prometheus["ip"], prometheus["ip_type"]),
            port=int(prometheus["port"]),
            ip_type=int(prometheus["ip_type"]),
            version=int(prometheus["version"]),
            block=int(prometheus["block"]),
        ),
        stake_rao=sum(int(value) for value in stake_values),
        rank=raw["rank"] / U16_MAX,
        emission_rao=int(raw["emission"]),
        incentive=raw["incentive"] / U16_MAX,
        consensus=raw["consensus"] / U16_MAX,
        trust=raw["trust"] / U16_MAX,
        validator_trust=raw["validator_trust"] / U16_MAX,
        dividends=raw["dividends"] / U16_MAX,
        last_update=int(raw["last_update"]),
        validator_permit=bool(raw["validator_permit"]),
        pruning_score=int(raw["pruning_score"]),
    )


def neurons_from_scale(decoded: list[dict[str, Any]] | None) -> tuple[Neuron, ...]:
    """`get_neurons_lite` as `pylon_gql.scale` decodes it (account ids as 32 bytes)."""
    return tuple(neuron_from_scale(raw) for raw in decoded or ())


def neuron_from_scale(raw: dict[str, Any]) -> Neuron:
    """One `get_neurons_lite` entry as `pylon_gql.scale` decodes it."""
    return neuron_from_raw(_with_ss58_keys(raw))


def _with_ss58_keys(raw: dict[str, Any]) -> dict[str, Any]:
    return raw | {
        "hotkey": ss58_of(raw["hotkey"]),
        "coldkey": ss58_of(raw["coldkey"]),
        "stake": [(ss58_of(key), value) for key, value in raw["stake"]],
    }


@functools.lru_cache(maxsize=65536)
def ss58_of(account_id: bytes) -> str:
    """An account id as an SS58 address (format 42). Cached: a metagraph's keys barely change
    from block to block, and base58 is most of a neuron's decode otherwise."""
    return ss58_encode(account_id, ss58_format=42)


def _ip(value: int, ip_type: int) -> str:
    if ip_type == 6:
        return str(ipaddress.IPv6Address(value))
    return str(ipaddress.ip_address(value))


def hyperparameters_from_raw(
    raw: dict[str, Any], runtime_fields: tuple[HyperparameterValue, ...] = ()
) -> Hyperparameters:
    """`SubnetInfoRuntimeApi_get_subnet_hyperparams(_v2)`: the fields the model names, int or
    bool; the I32F32 steepness as a number. A field the runtime does not return is None.
    `runtime_fields`: every field of the answer, as `hyperparameter_fields` reads them."""
    values: dict[str, Any] = {"runtime_fields": runtime_fields}
    for name in _HYPERPARAMETER_FIELDS:
        if name not in raw:
            continue  # v1's answer: v2's fields keep their None
        value: Any = raw[name]
        if isinstance(value, dict):  # I32F32 {"bits": n}: fixed point, 32 fractional bits
            values[name] = int(cast(dict[str, Any], value)["bits"]) / 2**32
        else:
            values[name] = value if isinstance(value, bool) else int(value)
    return Hyperparameters(**values)


def commitment_from_raw(hotkey: str, raw: dict[str, Any]) -> Commitment | None:
    """A `Commitments.CommitmentOf` registration: its first data field, as turbobt reads it.

    None when it holds no data field (nothing a reader could use), instead of failing the
    whole subnet's list the way turbobt's `_map_to_commitment` does.
    """
    field = next((f for f in raw["info"]["fields"] if isinstance(f, dict)), None)
    if not field:
        return None
    kind, value = next(iter(field.items()))
    if kind == "TimelockEncrypted" and isinstance(value, dict):
        data = _bytes(value.get("encrypted"))
        reveal_round = int(value.get("reveal_round", 0))
        return Commitment(hotkey, int(raw["block"]), data, reveal_round=reveal_round)
    return Commitment(hotkey, int(raw["block"]), _bytes(value))


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    if isinstance(value, (bytes, bytearray, list)):
        return bytes(value)
    return b""


def admin_calls_from_metadata(registry: Any, metadata: Any) -> dict[str, AdminCall]:
    """The runtime's `AdminUtils.sudo_set_*` calls and the kinds of their arguments, by name."""
    calls: dict[str, AdminCall] = {}
    for call in metadata.get_metadata_pallet("AdminUtils").calls:
        if not call.name.startswith("sudo_set_"):
            continue
        args = tuple(
            _admin_arg(registry, field["name"], field["type"]) for field in call.value["fields"]
        )
        calls[call.name] = AdminCall(call.name, args)
    return calls


def _admin_arg(registry: Any, name: str, type_id: int) -> AdminCallArg:
    decoder: Any = registry.get_decoder_class(f"scale_info::{type_id}")
    bases = [cls.__name__ for cls in decoder.__mro__]
    kind = bases[0].lower()
    if kind in _INT_KINDS or kind == "bool":
        return AdminCallArg(name, kind)
    if "GenericAccountId" in bases:
        return AdminCallArg(name, "account")
    mapping = getattr(decoder, "type_mapping", None)
    if "Enum" in bases and mapping and all(t == "Null" for _, t in mapping):
        return AdminCallArg(name, "enum", tuple(variant for variant, _ in mapping))
    return AdminCallArg(name, "unsupported")

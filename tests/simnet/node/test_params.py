"""How params arrive: a list in the node's order, an object by name (with other clients'
aliases), hex for bytes; anything else is Invalid params."""

from __future__ import annotations

import pytest

from pylon_gql.simnet.errors import RpcError
from pylon_gql.simnet.node.params import (
    hex_bytes,
    normalize_params,
    single_param,
    to_hex,
)


def test_a_list_maps_onto_the_nodes_names_in_order():
    assert normalize_params("state_call", ["f", "0x00"]) == {"name": "f", "bytes": "0x00"}
    assert normalize_params("state_getKeysPaged", ["0x", 10, None, "0xab"]) == {
        "prefix": "0x",
        "count": 10,
        "startKey": None,
        "hash": "0xab",
    }
    assert normalize_params("chain_getHeader", None) == {}
    with pytest.raises(RpcError) as raised:
        normalize_params("chain_getFinalizedHead", [1])
    assert raised.value.code == -32602


def test_an_object_keeps_names_and_maps_other_clients_aliases():
    assert normalize_params("state_call", {"name": "f", "data": "0x", "at": "0xab"}) == {
        "name": "f",
        "bytes": "0x",
        "hash": "0xab",
    }
    assert normalize_params("state_getKeysPaged", {"start_key": "0x01", "block": None}) == {
        "startKey": "0x01",
        "hash": None,
    }
    with pytest.raises(RpcError, match="Invalid params"):
        normalize_params("state_call", "f")


def test_hex_with_or_without_0x():
    assert hex_bytes("0x0102", "key") == hex_bytes("0102", "key") == b"\x01\x02"
    assert to_hex(b"\x01\x02") == "0x0102"
    for bad in ("0xzz", 7, None):
        with pytest.raises(RpcError) as raised:
            hex_bytes(bad, "key")
        assert raised.value.code == -32602
        assert "key" in raised.value.data


def test_single_param_first_in_a_list_or_by_name():
    assert single_param([3, 4], ("count",), default=1) == 3
    assert single_param([], ("count",), default=1) == 1
    assert single_param({"n": 5}, ("count", "n"), default=1) == 5
    assert single_param({"other": 5}, ("count",), default=1) == 1
    assert single_param(None, ("count",), default=1) == 1

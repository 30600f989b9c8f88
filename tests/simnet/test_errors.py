"""Error answers as a node words them."""

from __future__ import annotations

from pylon_gql.simnet.errors import (
    RpcError,
    invalid_params,
    invalid_transaction,
    method_not_found,
)


def test_error_objects_carry_data_only_when_there_is_some():
    assert method_not_found().as_json() == {"code": -32601, "message": "Method not found"}
    assert invalid_params("why").as_json() == {
        "code": -32602,
        "message": "Invalid params",
        "data": "why",
    }
    assert invalid_transaction("Transaction is outdated").as_json() == {
        "code": 1010,
        "message": "Invalid Transaction",
        "data": "Transaction is outdated",
    }
    error = RpcError(4003, "Client error: UnknownBlock")
    assert str(error) == error.message == "Client error: UnknownBlock"
    assert error.as_json() == {"code": 4003, "message": "Client error: UnknownBlock"}

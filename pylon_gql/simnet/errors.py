"""Errors as a node answers them: a JSON-RPC error object with the node's code and words."""

from __future__ import annotations

from typing import Any


class RpcError(Exception):
    """An error answer: code, message and optional data, as the node sends it."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def method_not_found() -> RpcError:
    return RpcError(-32601, "Method not found")


def invalid_params(detail: str) -> RpcError:
    return RpcError(-32602, "Invalid params", detail)


def invalid_transaction(reason: str) -> RpcError:
    """What a node answers for a transaction its pool refuses as invalid."""
    return RpcError(1010, "Invalid Transaction", reason)

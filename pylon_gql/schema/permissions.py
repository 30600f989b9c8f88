"""Who may do what: strawberry `BasePermission` classes on the mutations, and the read gate.

Two checks guard every write. The caller's role, from its bearer token (`IsValidator`,
`IsOwner`): without it the answer is FORBIDDEN and nothing changes. Then what the server itself
can do (`HasValidatorHotkey`, `OwnsSubnet`): a validator write needs a hotkey to sign with, an
owner write a coldkey that owns the subnet on chain; without it the answer is NOT_CONFIGURED,
naming the setting to fix. The validator's weights and commit log need the validator role
(`SeesWeights`). Reads are open to anyone unless reader tokens are configured (`ReadAccess`):
then a query or subscription needs a token of any role.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from graphql.execution import ExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.types.graphql import OperationType

from ..auth import Role, bearer_token
from ..writes import WritePath
from .context import Context, Info
from .errors import ApiError, ErrorCode

__all__ = [
    "HasValidatorHotkey",
    "IsOwner",
    "IsValidator",
    "OwnsSubnet",
    "ReadAccess",
    "SeesWeights",
]


def _forbidden(message: str) -> ApiError:
    return ApiError(message, ErrorCode.FORBIDDEN)


def _not_configured(message: str) -> ApiError:
    return ApiError(message, ErrorCode.NOT_CONFIGURED)


def write_path(info: Info) -> WritePath:
    writes = info.context.writes
    if writes is None:
        raise _not_configured("this server has no write path (no weight store or chain client)")
    return writes


def sent_token(context: Context) -> bool:
    """Whether the caller sent a token at all (known or not): in the Authorization header, or
    in a websocket's `connection_init` payload."""
    request = context.request
    if request is not None and bearer_token(request.headers.get("authorization")) is not None:
        return True
    params = context.connection_params or {}
    return any(params.get(key) for key in ("authorization", "Authorization", "token"))


def _refusal(context: Context, needs: str, setting: str) -> ApiError:
    """FORBIDDEN, saying which of three it is: no token, a token the server does not know (a
    typo, another server's, a dev token of another data dir), or a known one of another role."""
    if context.roles:
        held = ", ".join(f"`{role}`" for role in sorted(context.roles))
        return _forbidden(
            f"this needs {needs}: a token from {setting}; the token sent has the role {held}"
        )
    if sent_token(context):
        return _forbidden(
            f"unknown token: this server has no such token (this needs {needs}: a token from "
            f"{setting}; send it as `Authorization: Bearer <token>`, the prefix once)"
        )
    return _forbidden(
        f"this needs a token: send `Authorization: Bearer <token>` with {needs} (a token from "
        f"{setting})"
    )


class _HasRole(BasePermission):
    role: Role
    setting: str

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if self.role in info.context.roles:
            return True
        raise _refusal(info.context, f"the `{self.role}` role", self.setting)

    def on_unauthorized(self) -> None:
        raise _forbidden(
            f"this needs the `{self.role}` role: send `Authorization: Bearer <token>` with a "
            f"token from {self.setting}"
        )


class IsValidator(_HasRole):
    """The validator's own service: writes weights, commits them, sets the commitment."""

    role = Role.VALIDATOR
    setting = "PYLON_VALIDATOR_TOKENS"
    message = "this needs the `validator` role"


class IsOwner(_HasRole):
    """The subnet owner: sets hyperparameters."""

    role = Role.OWNER
    setting = "PYLON_OWNER_TOKENS"
    message = "this needs the `owner` role"


class SeesWeights(BasePermission):
    """The validator's off-chain weights and commit log: before commit-reveal hides them on
    chain, anyone who reads them can copy them. So only the validator role, unless the
    operator opens them (PYLON_PUBLIC_WEIGHTS)."""

    message = "this needs the `validator` role"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        if context.settings.public_weights or Role.VALIDATOR in context.roles:
            return True
        raise _refusal(
            context,
            "the `validator` role (the validator's weights are private unless the server runs "
            "with PYLON_PUBLIC_WEIGHTS=true)",
            "PYLON_VALIDATOR_TOKENS",
        )

    def on_unauthorized(self) -> None:
        raise _forbidden(
            "the validator's weights are private: send `Authorization: Bearer <token>` with a "
            "token from PYLON_VALIDATOR_TOKENS (or run the server with PYLON_PUBLIC_WEIGHTS=true)"
        )


class HasValidatorHotkey(BasePermission):
    """The server has a validator hotkey to sign with."""

    message = "this server has no validator hotkey"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        signers = write_path(info).signers
        if signers.validator is None:
            raise _not_configured(
                signers.validator_missing or "this server has no validator hotkey"
            )
        return True


class OwnsSubnet(BasePermission):
    """The server has a coldkey, and it is the owner of the subnet at the head."""

    message = "this server has no coldkey of the subnet owner"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        signers = write_path(info).signers
        if signers.owner is None:
            raise _not_configured(signers.owner_missing or "this server has no owner coldkey")
        context = info.context
        head = context.reader.head
        if head is None:
            raise ApiError(
                "the server has not seen a finalized head yet; retry in a few seconds",
                ErrorCode.UNAVAILABLE,
            )
        subnet = await context.reader.subnet(head)
        if subnet.owner_coldkey != signers.owner.ss58_address:
            raise _not_configured(
                f"the owner wallet's coldkey {signers.owner.ss58_address} does not own subnet "
                f"{subnet.netuid} (its owner is {subnet.owner_coldkey} at block {head.number}): "
                "set PYLON_OWNER_WALLET_NAME to the owner's wallet"
            )
        return True


def read_refused(context: object) -> GraphQLError | None:
    """The error for a caller without a role when reads are closed (None: it may read)."""
    if (
        isinstance(context, Context)
        and context.settings.reader_tokens is not None
        and not context.roles
    ):
        refusal = _refusal(
            context, "a token of any role to read", "PYLON_READER_TOKENS (or of any other role)"
        )
        return GraphQLError(str(refusal), extensions={"code": ErrorCode.FORBIDDEN.value})
    return None


class ReadAccess(SchemaExtension):
    """With reader tokens configured, queries need a token of any role (mutations have their
    own permission classes; subscriptions are refused in `PylonSchema.stream`)."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        error = read_refused(execution.context)
        if error is not None and execution.operation_type is not OperationType.MUTATION:
            execution.result = ExecutionResult(data=None, errors=[error])
        yield

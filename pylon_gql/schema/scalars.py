"""The schema's own scalars, below every type module."""

from __future__ import annotations

from typing import NewType

import strawberry

BigInt = NewType("BigInt", int)

BIG_INT = strawberry.scalar(
    name="BigInt",
    description=(
        "An integer of any size, sent as a decimal string so that JSON keeps every digit "
        "(amounts in rao: 1 TAO = 10^9 rao)."
    ),
    serialize=str,
    parse_value=int,
)

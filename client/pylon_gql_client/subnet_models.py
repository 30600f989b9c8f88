"""Typed arguments of `subnets(...)` (see `models` for the rules); its items are `Subnet`s."""

from __future__ import annotations

from enum import StrEnum

from .models import Input, OrderDirection, Subnet

#: The items of `subnets(...)`: the server's one type `Subnet`, as `subnet()` answers it (the
#: name of the list's items before the two were one).
SubnetInfo = Subnet


class SubnetOrderField(StrEnum):
    NETUID = "NETUID"
    PRICE = "PRICE"
    EMISSION = "EMISSION"
    TAO_IN = "TAO_IN"
    ALPHA_IN = "ALPHA_IN"
    NEURON_COUNT = "NEURON_COUNT"
    BURN = "BURN"
    REGISTERED_AT = "REGISTERED_AT"


class SubnetFilter(Input):
    """Subnets to keep; every condition given must hold."""

    netuids: list[int] | None = None
    owner_coldkey: str | None = None
    name_contains: str | None = None
    min_neurons: int | None = None


class SubnetOrder(Input):
    """Order of a subnet list; ties are broken by netuid, ascending."""

    field: SubnetOrderField = SubnetOrderField.NETUID
    direction: OrderDirection = OrderDirection.ASC

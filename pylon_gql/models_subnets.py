"""Every subnet at a block, as `get_all_dynamic_info` and the subnets' storage give them."""

from __future__ import annotations

from dataclasses import dataclass

from .models import BlockRef


@dataclass(frozen=True, slots=True)
class SubnetOverview:
    """A subnet's identity, size and pool at one block (TAO and alpha in rao, 10^-9)."""

    netuid: int
    block: BlockRef
    name: str
    symbol: str
    owner_hotkey: str
    owner_coldkey: str
    tempo: int
    registered_at: int
    last_step: int
    blocks_since_last_step: int
    neuron_count: int
    #: `MaxAllowedUids`; None when the chain keeps no value for the subnet.
    max_neurons: int | None
    burn_rao: int
    alpha_in_rao: int
    alpha_out_rao: int
    tao_in_rao: int
    emission_rao: int
    tao_in_emission_rao: int
    alpha_in_emission_rao: int
    alpha_out_emission_rao: int
    moving_price: float
    volume_rao: int

    @property
    def price(self) -> float:
        """TAO per alpha in the pool (`taoIn / alphaIn`); 1 for the root subnet (0), whose
        token is TAO; 0 for an empty pool."""
        if self.netuid == 0:
            return 1.0
        return 0.0 if self.alpha_in_rao == 0 else self.tao_in_rao / self.alpha_in_rao

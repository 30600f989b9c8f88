"""What a neuron holds beyond `get_neurons_lite`: the stake split, registration and immunity,
the owner's identity, parent and child hotkeys, and how recently a validator set weights.

These come from reads of their own (`ChainReader.neuron_stakes`, `stake_links`,
`hyperparameters`), made only when a query selects a field that needs one: a neuron list that
selects none of them costs what it cost before. The values are set as plain attributes on the
`Neuron` objects, so a list of 1024 neurons still goes through the compiled completion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from .. import models
from ..models_metagraph import HotkeyLinks, NeuronStakes, StakeLink
from ..models_metagraph import Identity as IdentityModel
from .context import Info
from .scalars import BigInt

#: Neuron fields read from `get_selective_metagraph` (and the immunity period).
STAKE_FIELDS = frozenset(
    {
        "alphaStake",
        "alphaStakeRao",
        "taoStake",
        "taoStakeRao",
        "totalStake",
        "totalStakeRao",
        "registeredAt",
        "isImmune",
        "identity",
    }
)
#: Neuron fields read from `ParentKeys`/`ChildKeys`.
LINK_FIELDS = frozenset({"parents", "children"})
#: Neuron fields computed from the hyperparameters at the block.
LIVENESS_FIELDS = frozenset({"validatorLiveness", "isImmune"})


@strawberry.type(
    description="A coldkey's on-chain identity (`IdentitiesV2`), as its owner set it; an "
    "empty string where a field is unset."
)
class Identity:
    name: str = strawberry.field(description="Display name.")
    url: str = strawberry.field(description="Web site.")
    github_repo: str = strawberry.field(description="Source repository.")
    image: str = strawberry.field(description="URL of an image or logo.")
    discord: str = strawberry.field(description="Discord handle.")
    description: str = strawberry.field(description="Free text.")
    additional: str = strawberry.field(description="Anything else the owner added.")

    @classmethod
    def from_model(cls, identity: IdentityModel) -> Identity:
        return cls(
            name=identity.name,
            url=identity.url,
            github_repo=identity.github_repo,
            image=identity.image,
            discord=identity.discord,
            description=identity.description,
            additional=identity.additional,
        )


@strawberry.type(
    name="StakeLink",
    description="A parent or child hotkey, and the share of stake the link carries (subtensor's "
    "u64 proportion: a child gets that share of its parent's stake).",
)
class StakeLinkInfo:
    hotkey: str = strawberry.field(description="SS58 address of the other hotkey.")
    proportion: float = strawberry.field(
        description="The share, in [0, 1]: `proportionRaw / (2^64 - 1)`."
    )
    proportion_raw: BigInt = strawberry.field(
        description="The share as the chain keeps it, a u64 proportion of 2^64 - 1."
    )

    @classmethod
    def from_model(cls, link: StakeLink) -> StakeLinkInfo:
        return cls(
            hotkey=link.hotkey,
            proportion=link.proportion,
            proportion_raw=BigInt(link.proportion_raw),
        )


@strawberry.type(
    description="How recently a validator set (or committed) weights, against the subnet's "
    "tempo and activity cutoff at the block."
)
class ValidatorLiveness:
    blocks_since_last_update: int = strawberry.field(
        description="Blocks since its `lastUpdate`: `block.number - lastUpdate`."
    )
    tempos_since_last_update: int = strawberry.field(
        description="Whole epochs since then: blocks since the last update divided by the "
        "epoch's length (`tempo + 1`), rounded down; equal to `blocksSinceLastUpdate` when "
        "the tempo is 0."
    )
    active: bool = strawberry.field(
        description="Whether the subnet's epoch would count it active at this block: "
        "`lastUpdate + activityCutoff >= block.number`."
    )


def selected_names(info: Info, names: Iterable[str] | None = None) -> set[str]:
    """The names of the fields selected under the field being resolved (through fragments),
    or those of them in `names`."""
    found: set[str] = set()

    def walk(selections: Sequence[Selection]) -> None:
        for selection in selections:
            if isinstance(selection, SelectedField):
                found.add(selection.name)
            elif isinstance(selection, (FragmentSpread, InlineFragment)):
                walk(selection.selections)

    for field in info.selected_fields:
        walk(field.selections)
    return found if names is None else found & set(names)


async def fill_details(
    info: Info,
    ref: models.BlockRef,
    pairs: Sequence[tuple[models.Neuron, Any]],
    wanted: set[str],
    netuid: int | None = None,
) -> None:
    """Set the detail fields `wanted` (GraphQL names) on each served `Neuron` (of
    `neurons.py`, which imports this module) of `pairs`, neurons of subnet `netuid` (the
    server's when None)."""
    if not wanted or not pairs:
        return
    reader = info.context.reader
    stakes: NeuronStakes | None = None
    if wanted & STAKE_FIELDS:
        stakes = await reader.neuron_stakes(ref, netuid)
    links = await reader.stake_links(ref, netuid) if wanted & LINK_FIELDS else None
    hyperparameters = (
        await reader.hyperparameters(ref, netuid) if wanted & LIVENESS_FIELDS else None
    )
    for model, served in pairs:
        if stakes is not None:
            stake = stakes.of(model.uid)
            if stake is not None:
                served.alpha_stake = stake.alpha_stake_rao / models.RAO_PER_TAO
                served.alpha_stake_rao = BigInt(stake.alpha_stake_rao)
                served.tao_stake = stake.tao_stake_rao / models.RAO_PER_TAO
                served.tao_stake_rao = BigInt(stake.tao_stake_rao)
                served.total_stake = stake.total_stake_rao / models.RAO_PER_TAO
                served.total_stake_rao = BigInt(stake.total_stake_rao)
                served.registered_at = stake.registered_at
                served.identity = (
                    None if stake.identity is None else Identity.from_model(stake.identity)
                )
                if hyperparameters is not None:
                    # subtensor's get_neuron_is_immune
                    served.is_immune = (
                        ref.number - stake.registered_at < hyperparameters.immunity_period
                    )
        if links is not None:
            found: HotkeyLinks = links.of(model.hotkey)
            served.parents = [StakeLinkInfo.from_model(link) for link in found.parents]
            served.children = [StakeLinkInfo.from_model(link) for link in found.children]
        if hyperparameters is not None:
            served.validator_liveness = liveness(model, ref.number, hyperparameters)


def liveness(
    neuron: models.Neuron, number: int, hyperparameters: models.Hyperparameters
) -> ValidatorLiveness | None:
    """A validator's liveness at block `number`; None for a neuron without a permit."""
    if not neuron.validator_permit:
        return None
    since = number - neuron.last_update
    return ValidatorLiveness(
        blocks_since_last_update=since,
        tempos_since_last_update=since // (hyperparameters.tempo + 1),
        active=neuron.last_update + hyperparameters.activity_cutoff >= number,
    )

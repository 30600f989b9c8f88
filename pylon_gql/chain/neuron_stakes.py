"""The neurons' stake split, registration blocks and identities, and their parent and child
hotkeys, from what the chain answers (pure functions, no I/O).

The split comes from one runtime call per block, `get_selective_metagraph` with only the
columns needed (subtensor computes them as the epoch does: the alpha and TAO each hotkey holds
and inherits, and the stake weight `alpha + TAO x TaoWeight`), not from thousands of storage
reads. Parents and children are storage (`ParentKeys`, `ChildKeys`, keyed by hotkey and
netuid): one batch of keys for the subnet's hotkeys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..models import BlockRef
from ..models_metagraph import HotkeyLinks, Identity, NeuronStake, NeuronStakes, StakeLink
from .decode import ss58_of
from .runtime_types import RuntimeTypes, StorageItem

#: The `SelectiveMetagraph` columns read, by their field names in the metadata.
COLUMNS = ("identities", "block_at_registration", "alpha_stake", "tao_stake", "total_stake")
_IDENTITY_FIELDS = ("name", "url", "github_repo", "image", "discord", "description", "additional")


def column_indexes(types: RuntimeTypes, output_type: int) -> list[int]:
    """The indexes `get_selective_metagraph` takes for `COLUMNS` (a field's position in the
    runtime's `SelectiveMetagraph`, as subtensor numbers them)."""
    inner = types.codec.type_def(output_type)
    if inner.get("path") == ["Option"]:
        some = inner["def"]["variant"]["variants"][1]["fields"][0]["type"]
        inner = types.codec.type_def(some)
    names = [f["name"] for f in inner["def"]["composite"]["fields"]]
    return [names.index(column) for column in COLUMNS]


def stakes_from_scale(netuid: int, ref: BlockRef, decoded: Mapping[str, Any]) -> NeuronStakes:
    """A decoded `SelectiveMetagraph` holding `COLUMNS` as `NeuronStakes`."""
    columns = [decoded[name] or [] for name in COLUMNS]
    identities, registered, alpha, tao, total = columns
    count = max(len(column) for column in columns)
    neurons = tuple(
        NeuronStake(
            uid=uid,
            alpha_stake_rao=_at(alpha, uid),
            tao_stake_rao=_at(tao, uid),
            total_stake_rao=_at(total, uid),
            registered_at=_at(registered, uid),
            identity=identity_from_scale(identities[uid] if uid < len(identities) else None),
        )
        for uid in range(count)
    )
    return NeuronStakes(netuid=netuid, block=ref, neurons=neurons)


def _at(column: Sequence[int], uid: int) -> int:
    return int(column[uid]) if uid < len(column) else 0


def identity_from_scale(raw: Mapping[str, Any] | None) -> Identity | None:
    """A `ChainIdentityV2` (bytes fields) as an `Identity`; None when unset or all empty."""
    if not raw:
        return None
    values = {name: _text(raw.get(name)) for name in _IDENTITY_FIELDS}
    if not any(values.values()):
        return None
    return Identity(**values)


def _text(value: Any) -> str:
    if value is None:
        return ""
    data = bytes(value) if not isinstance(value, str) else value.encode()
    return data.decode("utf-8", errors="replace")


def link_keys(item: StorageItem, netuid: int, hotkeys: Sequence[bytes]) -> list[str]:
    """The `ParentKeys`/`ChildKeys` keys of `hotkeys` (account ids) on the subnet."""
    return [item.key(hotkey, netuid) for hotkey in hotkeys]


def links_from_scale(
    parents: Mapping[bytes, list[Any]], children: Mapping[bytes, list[Any]]
) -> dict[str, HotkeyLinks]:
    """Decoded `ParentKeys` and `ChildKeys` values (`[(u64 proportion, account)]`) by hotkey
    (account id) as `HotkeyLinks` by SS58 hotkey; hotkeys with neither are left out."""
    found: dict[str, HotkeyLinks] = {}
    for hotkey in {*parents, *children}:
        found[ss58_of(hotkey)] = HotkeyLinks(
            parents=_links(parents.get(hotkey, ())), children=_links(children.get(hotkey, ()))
        )
    return found


def _links(raw: Sequence[Any]) -> tuple[StakeLink, ...]:
    return tuple(StakeLink(hotkey=ss58_of(bytes(key)), proportion_raw=int(p)) for p, key in raw)

"""Child and parent hotkeys (`ChildKeys`, `ParentKeys`) and the stake they move.

subtensor's epoch and metagraph count a hotkey's stake as it inherits it
(`get_inherited_for_hotkey_on_subnet`): its own alpha, less `proportion` of it for each child,
plus `proportion` of each parent's own alpha. The simnet keeps the links by parent
(`Subnet.children`); the parents of a hotkey are the inverse. Its own alpha stays in
`TotalHotkeyAlpha` and `get_neurons_lite`'s stake, as on the chain.
"""

from __future__ import annotations

from typing import Any

from .state import Subnet

#: A link's proportion is a u64 share of this.
U64_MAX = 2**64 - 1


def parents_of(subnet: Subnet) -> dict[bytes, list[list[Any]]]:
    """Child hotkey -> [(proportion, parent hotkey)], in the parents' order of `children`."""
    parents: dict[bytes, list[list[Any]]] = {}
    for parent, links in subnet.children.items():
        for proportion, child in links:
            parents.setdefault(child, []).append([proportion, parent])
    return parents


def inherited_alpha(subnet: Subnet) -> dict[int, int]:
    """The alpha each linked uid counts (uid -> rao); uids without links are left out."""
    if not subnet.children:
        return {}
    own = {n.hotkey: int(n.extra["alpha_stake"]) for n in subnet.neurons}
    parents = parents_of(subnet)
    found: dict[int, int] = {}
    for neuron in subnet.neurons:
        hotkey = neuron.hotkey
        children = subnet.children.get(hotkey, ())
        from_parents = parents.get(hotkey, ())
        if not children and not from_parents:
            continue
        alpha = own[hotkey]
        given = sum(alpha * int(p) // U64_MAX for p, _ in children)
        taken = sum(own.get(parent, 0) * int(p) // U64_MAX for p, parent in from_parents)
        found[neuron.uid] = max(0, alpha - given + taken)
    return found

"""What moves between blocks without a transaction, deterministically from the seed.

Every block, each subnet drifts: validators (except //Bob) set weights every 10 blocks, a few
neurons' stake wobbles, and now and then a miner is deregistered and its uid re-registered.
Scores (incentive, dividends, consensus, rank, trust), emission and bonds move only in the
block where the subnet's epoch runs, as on the chain. On subnet 1 //Bob takes a miner's uid
at the first produced block. And the chain's reveal of timelocked commits, which the simnet
cannot decrypt: they are dropped when the chain would reveal them.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from typing import Any

from .keys import VALIDATOR_COLDKEY, VALIDATOR_HOTKEY, VALIDATOR_STAKE, seeded_hash
from .runtime import Runtime
from .state import Neuron, Subnet, epoch_index, is_epoch_block


class Drift:
    """Moves subnets one block on, the same way for the same seed."""

    def __init__(self, runtime: Runtime, seed: int) -> None:
        self.runtime = runtime
        self.seed = seed

    def move(self, subnet: Subnet, number: int) -> Subnet:
        """Move a subnet one block on: validators set weights (last_update), emissions and
        stake wobble, and now and then a miner is deregistered and its uid re-registered."""
        rng = random.Random(f"{self.seed}:drift:{subnet.netuid}:{number}")
        neurons = list(subnet.neurons)
        changed: dict[int, dict[str, Any]] = {}
        protected = {n.uid for n in neurons if n.hotkey == VALIDATOR_HOTKEY}

        if subnet.netuid == 1 and not protected:
            uid = self._validator_slot(neurons)
            # its last update a rate limit back: the dev validator may set weights at once
            rate_limit = int(subnet.hyperparameters.get("weights_rate_limit", 0))
            neurons[uid] = self._register_validator(neurons[uid], number, number - rate_limit)
            protected.add(uid)

        # validators set weights every 10 blocks, staggered by uid: a new row, a new last_update
        new_rows: dict[int, list[list[int]]] = {}
        for neuron in neurons:
            if neuron.uid in protected or not neuron.lite["validator_permit"]:
                continue
            if (number + neuron.uid) % 10 == 0:
                changed.setdefault(neuron.uid, {})["last_update"] = number
                row = subnet.weights.get(neuron.uid)
                if row is not None:
                    new_rows[neuron.uid] = _wobble_weights(rng, row)
        weights = {**subnet.weights, **new_rows} if new_rows else subnet.weights

        # a few stakers add or take stake every block
        candidates = [n.uid for n in neurons if n.uid not in protected]
        for uid in rng.sample(candidates, min(8, len(candidates))):
            stake = neurons[uid].lite["stake"]
            if stake and stake[0][1]:
                amount = max(0, round(stake[0][1] * rng.uniform(0.99, 1.01)))
                change = changed.setdefault(uid, {})
                change["stake"] = [[stake[0][0], amount], *stake[1:]]
                change["alpha_stake"] = amount
                change["total_stake"] = amount + neurons[uid].extra["tao_stake"]

        # scores, emission and bonds move only when the subnet's epoch runs, as on the chain
        bonds = subnet.bonds
        if is_epoch_block(subnet, number):
            for neuron in neurons:
                if neuron.uid not in protected:
                    _epoch_scores(rng, neuron, changed.setdefault(neuron.uid, {}))
            bonds = _moved_bonds(subnet.bonds, weights)

        for uid, change in changed.items():
            if change:
                neurons[uid] = neurons[uid].replace(self.runtime, **change)

        commitments = subnet.commitments
        if rng.random() < 1 / 25:
            miners = [
                n.uid
                for n in neurons
                if n.uid not in protected
                and not n.lite["validator_permit"]
                # a hotkey registered by an extrinsic is immune for immunity_period blocks
                and n.extra.get("immune_until", 0) <= number
            ]
            if miners:
                uid = rng.choice(miners)
                old = neurons[uid]
                neurons[uid] = self._reregister(old, subnet.netuid, number)
                if old.hotkey in commitments:
                    commitments = {k: v for k, v in commitments.items() if k != old.hotkey}
        return dataclasses.replace(
            subnet, neurons=tuple(neurons), commitments=commitments, weights=weights, bonds=bonds
        )

    def _validator_slot(self, neurons: list[Neuron]) -> int:
        """The uid //Bob takes on subnet 1: the lowest-stake miner (lowest uid on a tie)."""
        miners = [n for n in neurons if not n.lite["validator_permit"]]
        return min(miners, key=lambda n: (n.total_stake, n.uid)).uid

    def _register_validator(self, old: Neuron, number: int, last_update: int) -> Neuron:
        return old.reregistered(
            self.runtime,
            VALIDATOR_HOTKEY,
            VALIDATOR_COLDKEY,
            number,
            stake=VALIDATOR_STAKE,
            validator_permit=True,
        ).replace(self.runtime, last_update=max(last_update, 0))

    def _reregister(self, old: Neuron, netuid: int, number: int) -> Neuron:
        hotkey = seeded_hash(self.seed, netuid, number, old.uid, "new-hotkey")
        coldkey = seeded_hash(self.seed, netuid, number, old.uid, "new-coldkey")
        return old.reregistered(self.runtime, hotkey, coldkey, number)


def age_commits(subnet: Subnet, number: int) -> Subnet:
    """Drop the timelocked commits the chain would have revealed by now: those of epoch E go
    when epoch E + commit_reveal_period begins. The simnet cannot decrypt drand timelocks, so
    their weights are never applied."""
    oldest_kept = epoch_index(subnet, number) - subnet.hyperparameters["commit_reveal_period"] + 1

    def aged(commits: Mapping[int, list[list[Any]]]) -> Mapping[int, list[list[Any]]]:
        if not commits or min(commits) >= oldest_kept:
            return commits
        return {e: c for e, c in commits.items() if e >= oldest_kept}

    kept = aged(subnet.weight_commits)
    others = {m: aged(c) for m, c in subnet.mechanism_weight_commits.items()}
    if kept is subnet.weight_commits and all(
        others[m] is c for m, c in subnet.mechanism_weight_commits.items()
    ):
        return subnet
    return dataclasses.replace(subnet, weight_commits=kept, mechanism_weight_commits=others)


def _wobble_weights(rng: random.Random, row: list[list[int]]) -> list[list[int]]:
    """The row moved by up to 10 % each, normalised so the largest is 65535 again."""
    raw = [max(1, round(w * rng.uniform(0.9, 1.1))) for _, w in row]
    top = max(raw)
    return [[uid, round(w * 65535 / top)] for (uid, _), w in zip(row, raw, strict=True)]


def _epoch_scores(rng: random.Random, neuron: Neuron, change: dict[str, Any]) -> None:
    """What an epoch moves in a neuron: its scores (±10 %), emission (±5 %) and dividends."""
    lite = neuron.lite
    for name in ("incentive", "dividends", "consensus", "rank", "trust", "validator_trust"):
        if lite[name]:
            change[name] = _wobble_u16(rng, lite[name])
    if lite["emission"]:
        change["emission"] = max(0, round(lite["emission"] * rng.uniform(0.95, 1.05)))
    for name in ("alpha_dividends", "tao_dividends"):
        if neuron.extra.get(name):
            change[name] = max(0, round(neuron.extra[name] * rng.uniform(0.95, 1.05)))


def _moved_bonds(
    bonds: Mapping[int, list[list[int]]], weights: Mapping[int, list[list[int]]]
) -> dict[int, list[list[int]]]:
    """Bonds one epoch on: a tenth of the way from the old bond to the weight's share of its
    row (subtensor's bonds moving average, without the stake weighting)."""
    moved: dict[int, list[list[int]]] = {}
    for uid in sorted({*bonds, *weights}):
        row = weights.get(uid, [])
        total = sum(w for _, w in row) or 1
        target = {miner: w * 65535 // total for miner, w in row}
        old = dict((miner, b) for miner, b in bonds.get(uid, []))
        new = {m: round(0.9 * old.get(m, 0) + 0.1 * target.get(m, 0)) for m in {*old, *target}}
        kept = [[m, b] for m, b in sorted(new.items()) if b > 0]
        if kept:
            moved[uid] = kept
    return moved


def _wobble_u16(rng: random.Random, value: int) -> int:
    return min(65535, max(0, round(value * rng.uniform(0.9, 1.1))))

"""Run by test_sdk10.py in the 10.x SDK's process (`sdk10` in conftest.py; bittensor 10.x pins
what the server cannot install beside it): reads the simnet at the URL given through the 10.x
SDK's blocking `Subtensor` and returns what it read (as JSON when run alone:
`python sdk10_reads.py ws://...`). Not a test module: pytest does not collect it."""

from __future__ import annotations

import json
import sys
from typing import Any

import bittensor as bt  # 10.x, in the isolated environment

BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


def main(url: str) -> dict[str, Any]:
    # typed as Any: the checker sees the 11.x SDK of the server's environment, not 10.x
    sub: Any = bt.Subtensor(network=url)
    out: dict[str, Any] = {"version": bt.__version__, "block": sub.get_current_block()}

    def read(name: str, get: Any) -> None:
        try:
            out[name] = get()
        except Exception as e:  # the suite compares what failed, and how
            out[name] = {"error": f"{type(e).__name__}: {e}"}

    read("neurons_lite", lambda: [[n.uid, n.hotkey, n.last_update] for n in sub.neurons_lite(1)])
    read("neuron_for_uid", lambda: sub.neuron_for_uid(5, 1).hotkey)
    read("metagraph_lite", lambda: sub.metagraph(1, lite=True).last_update.tolist())
    # metagraph(lite=False) works as well, but costs the 10.x client 9 s of decoding: left out
    read("hyperparameters", lambda: sub.get_subnet_hyperparameters(1).tempo)
    read("all_subnets", lambda: [s.netuid for s in sub.all_subnets()])
    read("subnet_info", lambda: sub.get_subnet_info(1).subnetwork_n)
    read("all_commitments", lambda: sub.get_all_commitments(1))
    read("commitment", lambda: sub.get_commitment(1, 24))
    read("weights", lambda: [[uid, [list(p) for p in row]] for uid, row in sub.weights(1)])
    read("bonds", lambda: [[uid, [list(p) for p in row]] for uid, row in sub.bonds(1)])
    read("tempo", lambda: sub.tempo(1))
    read("subnetwork_n", lambda: sub.subnetwork_n(1))
    read("blocks_since_last_update", lambda: sub.blocks_since_last_update(1, 5))
    read("blocks_until_next_epoch", lambda: sub.blocks_until_next_epoch(1))
    read("netuids_for_hotkey", lambda: sub.get_netuids_for_hotkey(BOB))
    read("stake_for_hotkey", lambda: sub.get_stake_for_hotkey(BOB, 2).rao)
    read("immunity_period", lambda: sub.immunity_period(1))
    read("min_allowed_weights", lambda: sub.min_allowed_weights(1))
    read("commit_reveal_enabled", lambda: sub.commit_reveal_enabled(1))
    read("weights_rate_limit", lambda: sub.weights_rate_limit(1))
    sub.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))

"""Run by test_sdk10.py in the 10.x SDK's process (see sdk10_reads.py): writes to the simnet at
the URL given (started with `auto_produce_on_submit`) through the 10.x SDK's blocking
`Subtensor`, reads each write back through the SDK at a block it records, and returns what it
saw; the test compares it with the simnet's world state at those blocks. Not a test module.

Order matters (one chain): the owner turns commit-reveal off on subnet 1 and lowers its rate
limit; //Bob sets weights there in the clear; the owner turns commit-reveal back on; //Bob
commits a hash and reveals it in the next epoch. On subnet 2 (commit-reveal on) //Bob's
`set_weights` takes the timelocked path. Then a commitment, an axon, a transfer to //Dave and
the registration of //Eve (coldkey //Dave) by burning.
"""

from __future__ import annotations

import json
import sys
import tempfile
from typing import Any

import bittensor as bt  # 10.x, in the isolated environment

# 10.x modules: the checker sees the 11.x SDK of the server's environment, which lacks them
from bittensor.core.extrinsics.utils import sudo_call_extrinsic  # pyright: ignore[reportMissingImports]
from bittensor.core.types import EpochScheduleState  # pyright: ignore[reportMissingImports]
from bittensor_wallet import Keypair  # pyright: ignore[reportMissingImports]

SALT = [5, 6, 7]


def wallet(root: str, hotkey: str, coldkey: str) -> Any:
    made: Any = bt.Wallet(name=f"{hotkey[2:]}-{coldkey[2:]}", hotkey="default", path=root)
    made.set_hotkey(Keypair.create_from_uri(hotkey), encrypt=False, overwrite=True)
    made.set_coldkey(Keypair.create_from_uri(coldkey), encrypt=False, overwrite=True)
    made.set_coldkeypub(Keypair.create_from_uri(coldkey), overwrite=True)
    return made


def main(url: str) -> dict[str, Any]:
    root = tempfile.mkdtemp()
    bob, alice = wallet(root, "//Bob", "//Charlie"), wallet(root, "//Alice", "//Alice")
    eve = wallet(root, "//Eve", "//Dave")
    # typed as Any: the checker sees the 11.x SDK of the server's environment, not 10.x
    sub: Any = bt.Subtensor(network=url)
    out: dict[str, Any] = {"version": bt.__version__}

    def write(name: str, do: Any) -> dict[str, Any]:
        """One write: its ExtrinsicResponse as success, message and the block it landed in."""
        try:
            answer = do()
        except Exception as e:  # the suite compares what failed, and how
            out[name] = {"success": False, "message": f"{type(e).__name__}: {e}", "block": None}
            return out[name]
        receipt, block = answer.extrinsic_receipt, None
        if answer.success and receipt is not None:
            block = sub.substrate.get_block_number(receipt.block_hash)
        out[name] = {"success": answer.success, "message": str(answer.message), "block": block}
        return out[name]

    def read(name: str, get: Any) -> None:
        """One read at the head, kept with the head's number: {"block", "value"}."""
        block = sub.get_current_block()
        try:
            out[name] = {"block": block, "value": get(block)}
        except Exception as e:
            out[name] = {"block": block, "error": f"{type(e).__name__}: {e}"}

    def sudo(name: str, call: str, **params: Any) -> None:
        write(name, lambda: sudo_call_extrinsic(sub, alice, call, params))

    bob_uid = sub.get_uid_for_hotkey_on_subnet(bob.hotkey.ss58_address, 1)
    out["bob_uid"] = bob_uid

    # the owner (//Alice) sets hyperparameters through Sudo.sudo; read back through the SDK
    sudo("sudo_cr_off", "sudo_set_commit_reveal_weights_enabled", netuid=1, enabled=False)
    sudo("sudo_rate_limit", "sudo_set_weights_set_rate_limit", netuid=1, weights_set_rate_limit=0)
    read("commit_reveal_enabled", lambda b: sub.commit_reveal_enabled(1, block=b))
    read("weights_rate_limit", lambda b: sub.weights_rate_limit(1, block=b))
    read(
        "hyperparameters",
        lambda b: (lambda h: [h.commit_reveal_weights_enabled, h.weights_rate_limit])(
            sub.get_subnet_hyperparameters(1, block=b)
        ),
    )

    # set_weights, commit-reveal off: set_mechanism_weights, into Weights
    write(
        "set_weights_clear",
        lambda: sub.set_weights(bob, 1, uids=[3, 4], weights=[0.25, 0.75], mev_protection=False),
    )
    read("weights_clear", lambda b: dict(sub.weights(1, block=b)).get(bob_uid))
    read("blocks_since_last_update", lambda b: sub.blocks_since_last_update(1, bob_uid, block=b))

    # commit_weights + reveal_weights (the hash path), commit-reveal on again
    sudo("sudo_cr_on", "sudo_set_commit_reveal_weights_enabled", netuid=1, enabled=True)
    uids, values = [3, 4, 5], [21845, 43690, 65535]  # u16, the largest 65535: as revealed
    commit = write(
        "commit_weights",
        lambda: sub.commit_weights(
            bob, 1, salt=SALT, uids=uids, weights=values, mev_protection=False,
            wait_for_inclusion=True, wait_for_finalization=True,
        ),
    )  # fmt: skip
    read(
        "hash_commit_pending",
        lambda b: [
            list(c)
            for c in sub.query_subtensor(
                "WeightCommits", block=b, params=[1, bob.hotkey.ss58_address]
            ).value
            or []
        ],
    )

    def reveal() -> Any:
        return sub.reveal_weights(
            bob, 1, uids=uids, weights=values, salt=SALT, max_attempts=1, mev_protection=False
        )

    write("reveal_too_early", reveal)
    if commit["block"]:
        # subtensor's epoch index is (block + netuid + 1) // (tempo + 1); the commit is
        # revealed in its epoch + the reveal period: the first block of that epoch
        tempo, period = sub.tempo(1), sub.get_subnet_hyperparameters(1).commit_reveal_period
        epoch = (commit["block"] + 1 + 1) // (tempo + 1) + period
        first = epoch * (tempo + 1) - 1 - 1
        sub.substrate.rpc_request("simnet_produceBlocks", [first - sub.get_current_block() - 1])
    write("reveal_weights", reveal)
    read("weights_revealed", lambda b: dict(sub.weights(1, block=b)).get(bob_uid))

    # set_weights, commit-reveal on (subnet 2, //Bob is uid 0): the timelocked path, which
    # reads LastEpochBlock, PendingEpochAt, SubnetEpochIndex (newer than spec 318)
    def set_timelocked() -> Any:
        return sub.set_weights(bob, 2, uids=[1, 2], weights=[0.5, 0.5], mev_protection=False)

    write("set_weights_timelocked", set_timelocked)

    def schedule(netuid: int, block: int | None = None) -> EpochScheduleState:
        """What 10.x reads from newer runtimes, made from what spec 318 has (a user's shim)."""
        number = block or sub.get_current_block()
        since = sub.blocks_since_last_step(netuid, block=number)
        tempo = sub.tempo(netuid, block=number)
        return EpochScheduleState(
            last_epoch_block=number - since,
            pending_epoch_at=0,
            subnet_epoch_index=(number + netuid + 1) // (tempo + 1),
            tempo=tempo,
            blocks_since_last_step=since,
            current_block=number,
        )

    sub.get_epoch_schedule_state = schedule
    write("set_weights_timelocked_shimmed", set_timelocked)
    read(
        "timelocked_pending",
        lambda b: [[c[0], c[1], c[3]] for c in sub.get_timelocked_weight_commits(2, block=b)],
    )
    read("weights_timelocked", lambda b: dict(sub.weights(2, block=b)).get(0))

    # a commitment, read back with get_commitment (//Bob is uid 0 on subnet 2)
    write("set_commitment", lambda: sub.set_commitment(bob, 2, "sdk 10 was here"))
    read("commitment", lambda b: sub.get_commitment(2, 0, block=b))

    # an axon
    axon = bt.Axon(wallet=bob, ip="10.1.2.3", port=8099, external_ip="10.1.2.3")
    write("serve_axon", lambda: sub.serve_axon(2, axon))
    read("axon", lambda b: (lambda a: [a.ip, a.port])(sub.neuron_for_uid(0, 2, block=b).axon_info))

    # a transfer to //Dave, then //Eve (coldkey //Dave) registers by burning
    dave = eve.coldkeypub.ss58_address
    read("balance_before", lambda b: sub.get_balance(dave, block=b).rao)
    amount = bt.Balance.from_tao(5000)
    write("transfer", lambda: sub.transfer(alice, dave, amount, wait_for_finalization=True))
    read("balance_after", lambda b: sub.get_balance(dave, block=b).rao)
    read("recycle", lambda b: sub.recycle(2, block=b).rao)
    write("burned_register", lambda: sub.burned_register(eve, 2))
    read("eve_uid", lambda b: sub.get_uid_for_hotkey_on_subnet(eve.hotkey.ss58_address, 2, block=b))
    sub.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))

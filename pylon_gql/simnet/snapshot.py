"""The real finney block 6852690 and subnet 1 at it: the recorded fixture, decoded once per
process and shared (read-only) by every World."""

from __future__ import annotations

import threading
from typing import Any

from ..scale import decode_compact
from .runtime import Runtime, load_fixture_json
from .state import BlockHeader, Neuron

SNAPSHOT_FIXTURE = "finney-netuid1-block6852690.json"


class Snapshot:
    """The recorded header, runtime answers, neurons and mechagraph of the snapshot block."""

    def __init__(self, runtime: Runtime) -> None:
        fixture = load_fixture_json(SNAPSHOT_FIXTURE)
        self.fixture = fixture
        self.number: int = fixture["block_number"]
        header = fixture["header"]
        self.header = BlockHeader(
            number=int(header["number"], 16),
            hash=fixture["block_hash"],
            parent_hash=header["parentHash"],
            state_root=header["stateRoot"],
            extrinsics_root=header["extrinsicsRoot"],
            logs=tuple(header["digest"]["logs"]),
        )
        calls = {call["method"]: call for call in fixture["state_call"]}
        self.results = {name: bytes.fromhex(call["result"][2:]) for name, call in calls.items()}
        # aura pre-runtime digest: 0x06 'aura' compact(8) slot(u64 le)
        aura = bytes.fromhex(self.header.logs[0][2:])
        self.slot = int.from_bytes(aura[-8:], "little")

        raw = self.results["NeuronInfoRuntimeApi_get_neurons_lite"]
        decode_one = runtime.codec.decoder(runtime.neuron_lite_type)
        count, offset = decode_compact(raw, 0)
        lites: list[tuple[dict[str, Any], bytes]] = []
        for _ in range(count):
            lite, end = decode_one(raw, offset)
            lites.append((lite, raw[offset:end]))
            offset = end
        state_type = runtime.methods["SubnetInfoRuntimeApi_get_subnet_state"].output
        state = runtime.codec.decode(
            state_type, self.results["SubnetInfoRuntimeApi_get_subnet_state"]
        )
        self.subnet_state = state
        graph_type = runtime.methods["SubnetInfoRuntimeApi_get_selective_mechagraph"].output
        self.mechagraph = runtime.codec.decode(
            graph_type, self.results["SubnetInfoRuntimeApi_get_selective_mechagraph"]
        )
        graph = self.mechagraph
        self.neurons = tuple(
            Neuron(
                lite,
                {
                    "block_at_registration": state["block_at_registration"][i],
                    "alpha_stake": state["alpha_stake"][i],
                    "tao_stake": state["tao_stake"][i],
                    "total_stake": state["total_stake"][i],
                    # per-hotkey dividends of the last epoch, as the metagraph reports them
                    "tao_dividends": graph["tao_dividends_per_hotkey"][i][1],
                    "alpha_dividends": graph["alpha_dividends_per_hotkey"][i][1],
                    # the coldkey's on-chain identity (IdentitiesV2), None for most
                    "identity": graph["identities"][i],
                },
                encoded,
            )
            for i, (lite, encoded) in enumerate(lites)
        )


_snapshot: Snapshot | None = None
_snapshot_lock = threading.Lock()


def get_snapshot(runtime: Runtime) -> Snapshot:
    """The process-wide decoded snapshot (immutable; every World starts from it)."""
    global _snapshot
    with _snapshot_lock:
        if _snapshot is None:
            _snapshot = Snapshot(runtime)
        return _snapshot

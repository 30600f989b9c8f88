"""The runtime calls (`state_call`) the simnet answers, encoded with the metadata's types.

Each reads one block's state; the runtime never changes, so the metadata answers are the same
at every block. An unknown subnet or uid gives what the runtime gives (`None` or an empty list).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...scale import encode_compact
from ..errors import RpcError
from ..runtime import Runtime
from ..stake_links import inherited_alpha
from ..state import BlockState, Subnet, blocks_since_last_step
from .chain_api import chain_calls
from .metagraph import full_metagraph, neuron_columns, selective_metagraph, subnet_info_v2


class RuntimeApi:
    """The runtime APIs of the metadata that the simnet simulates, by `state_call` name."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._calls: dict[str, Callable[[BlockState, dict[str, Any]], bytes]] = {
            "Metadata_metadata_at_version": self._metadata_at_version,
            "Metadata_metadata_versions": lambda s, a: self.runtime.metadata_versions(),
            "Metadata_metadata": self._metadata,
            "Core_version": self._core_version,
            "NeuronInfoRuntimeApi_get_neurons_lite": self._neurons_lite,
            "NeuronInfoRuntimeApi_get_neuron_lite": self._neuron_lite,
            "NeuronInfoRuntimeApi_get_neurons": self._neurons,
            "NeuronInfoRuntimeApi_get_neuron": self._neuron,
            "SubnetInfoRuntimeApi_get_subnet_hyperparams": self._hyperparams,
            "SubnetInfoRuntimeApi_get_subnet_hyperparams_v2": self._hyperparams_v2,
            "SubnetInfoRuntimeApi_get_dynamic_info": self._dynamic_info,
            "SubnetInfoRuntimeApi_get_all_dynamic_info": self._all_dynamic_info,
            "SubnetInfoRuntimeApi_get_subnet_state": self._subnet_state,
            "SubnetInfoRuntimeApi_get_metagraph": self._metagraph,
            "SubnetInfoRuntimeApi_get_mechagraph": self._metagraph,
            "SubnetInfoRuntimeApi_get_all_metagraphs": self._all_metagraphs,
            "SubnetInfoRuntimeApi_get_all_mechagraphs": self._all_metagraphs,
            "SubnetInfoRuntimeApi_get_selective_metagraph": self._selective_metagraph,
            "SubnetInfoRuntimeApi_get_selective_mechagraph": self._selective_metagraph,
        }
        # SubnetInfo and SubnetInfov2 differ only by the identity the encoder leaves out
        for name in ("get_subnet_info", "get_subnet_info_v2"):
            self._calls[f"SubnetInfoRuntimeApi_{name}"] = self._encoding(
                f"SubnetInfoRuntimeApi_{name}", self._subnet_info
            )
        for name in ("get_subnets_info", "get_subnets_info_v2"):
            self._calls[f"SubnetInfoRuntimeApi_{name}"] = self._encoding(
                f"SubnetInfoRuntimeApi_{name}",
                lambda s, a: [subnet_info_v2(s, n) for _, n in sorted(s.subnets.items())],
            )
        # calls that answer a value: encoded here with the method's output type
        for name, handler in chain_calls().items():
            self._calls[name] = self._encoding(name, handler)
        # only what this runtime's metadata has
        self._calls = {k: v for k, v in self._calls.items() if k in runtime.methods}

    def call(self, state: BlockState, name: str, data: bytes) -> bytes:
        """The SCALE answer of runtime call `name` with input `data` at a block, or the error
        a node gives for a method the metadata lacks (or the simnet does not simulate)."""
        if name not in self.runtime.methods:
            raise RpcError(
                4003,
                f"Client error: Execution failed: Other: Exported method {name} is not found",
            )
        handler = self._calls.get(name)
        if handler is None:
            raise RpcError(
                4003,
                f"Client error: Execution failed: Other: {name} is not simulated by the simnet",
            )
        try:
            arguments = self.runtime.decode_call_input(name, data)
        except (ValueError, IndexError) as e:
            raise RpcError(
                4003, f"Client error: Execution failed: Could not decode the input of {name}: {e}"
            ) from None
        return handler(state, arguments)

    def _encoding(
        self, name: str, handler: Callable[[BlockState, dict[str, Any]], Any]
    ) -> Callable[[BlockState, dict[str, Any]], bytes]:
        return lambda state, arguments: self._encode_output(name, handler(state, arguments))

    def _metagraph(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        # mechanism 0 is the only one the simnet has (MechanismCountCurrent 1)
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None or arguments.get("mecid", 0) != 0:
            return b"\x00"
        value = full_metagraph(self.runtime, state, subnet)
        return self._encode_output("SubnetInfoRuntimeApi_get_metagraph", value)

    def _all_metagraphs(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        values = [full_metagraph(self.runtime, state, s) for _, s in sorted(state.subnets.items())]
        return self._encode_output("SubnetInfoRuntimeApi_get_all_metagraphs", values)

    def _selective_metagraph(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None or arguments.get("subid", 0) != 0:
            return b"\x00"
        value = selective_metagraph(self.runtime, state, subnet, arguments["metagraph_indexes"])
        return self._encode_output("SubnetInfoRuntimeApi_get_selective_mechagraph", value)

    def _subnet_info(self, state: BlockState, arguments: dict[str, Any]) -> Any:
        subnet = state.subnets.get(arguments["netuid"])
        return None if subnet is None else subnet_info_v2(state, subnet)

    def _encode_output(self, name: str, value: Any) -> bytes:
        return self.runtime.codec.encode(self.runtime.methods[name].output, value)

    def _metadata_at_version(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        if arguments["version"] == 15:
            return self.runtime.metadata_at_version_15
        if arguments["version"] == 14:
            metadata = self.runtime.metadata_v14_bytes
            return b"\x01" + encode_compact(len(metadata)) + metadata
        return b"\x00"

    def _metadata(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        metadata = self.runtime.metadata_v14_bytes
        return encode_compact(len(metadata)) + metadata

    def _core_version(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        version = self.runtime.runtime_version
        return self._encode_output(
            "Core_version",
            {
                "spec_name": version["specName"],
                "impl_name": version["implName"],
                "authoring_version": version["authoringVersion"],
                "spec_version": version["specVersion"],
                "impl_version": version["implVersion"],
                "apis": [[bytes.fromhex(a[2:]), v] for a, v in version["apis"]],
                "transaction_version": version["transactionVersion"],
                "system_version": version["systemVersion"],
            },
        )

    def _neurons_lite(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None:
            return b"\x00"
        # each neuron's bytes were encoded when the record was made: join, do not re-encode
        return encode_compact(len(subnet.neurons)) + b"".join(n.encoded for n in subnet.neurons)

    def _neuron_lite(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        uid = arguments["uid"]
        if subnet is None or uid >= len(subnet.neurons):
            return b"\x00"
        return b"\x01" + subnet.neurons[uid].encoded

    def _neuron_info(self, subnet: Subnet, uid: int) -> dict[str, Any]:
        neuron = subnet.neurons[uid]
        return {
            **neuron.lite,
            "weights": subnet.weights.get(uid, []),
            "bonds": subnet.bonds.get(uid, []),
        }

    def _neuron(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        uid = arguments["uid"]
        if subnet is None or uid >= len(subnet.neurons):
            return b"\x00"
        return self._encode_output(
            "NeuronInfoRuntimeApi_get_neuron", self._neuron_info(subnet, uid)
        )

    def _neurons(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None:
            return b"\x00"
        return self._encode_output(
            "NeuronInfoRuntimeApi_get_neurons",
            [self._neuron_info(subnet, n.uid) for n in subnet.neurons],
        )

    def _hyperparams(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_subnet_hyperparams",
            None if subnet is None else subnet.hyperparameters,
        )

    def _hyperparams_v2(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_subnet_hyperparams_v2",
            None if subnet is None else subnet.hyperparameters,
        )

    def _dynamic_info_value(self, state: BlockState, subnet: Subnet) -> dict[str, Any]:
        tempo = subnet.hyperparameters["tempo"]
        since = blocks_since_last_step(subnet.netuid, tempo, state.number)
        pool = subnet.pool
        return {
            "netuid": subnet.netuid,
            "owner_hotkey": subnet.owner_hotkey,
            "owner_coldkey": subnet.owner_coldkey,
            "subnet_name": list(subnet.name.encode()),
            "token_symbol": list(subnet.symbol.encode()),
            "tempo": tempo,
            "last_step": state.number - since,
            "blocks_since_last_step": since,
            "emission": pool["subnet_emission"],
            "alpha_in": pool["alpha_in"],
            "alpha_out": pool["alpha_out"],
            "tao_in": pool["tao_in"],
            "alpha_out_emission": pool["alpha_out_emission"],
            "alpha_in_emission": pool["alpha_in_emission"],
            "tao_in_emission": pool["tao_in_emission"],
            "pending_alpha_emission": pool["pending_alpha_emission"],
            "pending_root_emission": pool["pending_root_emission"],
            "subnet_volume": pool["subnet_volume"],
            "network_registered_at": subnet.registered_at,
            "subnet_identity": subnet.identity,
            "moving_price": {"bits": pool["moving_price"]},
        }

    def _dynamic_info(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_dynamic_info",
            None if subnet is None else self._dynamic_info_value(state, subnet),
        )

    def _all_dynamic_info(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_all_dynamic_info",
            [self._dynamic_info_value(state, s) for _, s in sorted(state.subnets.items())],
        )

    def _subnet_state(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None:
            return b"\x00"
        neurons = subnet.neurons
        lite = [n.lite for n in neurons]
        extra = [n.extra for n in neurons]
        value = {
            "netuid": subnet.netuid,
            **neuron_columns(lite, extra, inherited_alpha(subnet)),
            "emission_history": subnet.emission_history,
        }
        return self._encode_output("SubnetInfoRuntimeApi_get_subnet_state", value)

"""The private names of turbobt and bittensor that `pylon_gql.chain._internals` relies on.

Each test touches what the shim touches, through the shim where it can, and fails naming the
package, its installed version and the name an upgrade moved. Fix `_internals.py` (and nothing
else should need it), then this file.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from bittensor.keyfiles import Keypair
from bittensor.wallet import Wallet
from turbobt import Bittensor
from turbobt.substrate.extrinsic import ExtrinsicResult

from pylon_gql.chain import _internals
from pylon_gql.chain.transport import Reply

from .fixtures import SNAPSHOT_HASH, STATE_CALLS, FixtureTransport

T = TypeVar("T")

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


def reach(package: str, name: str, get: Callable[[], T]) -> T:
    """`get()`, or a failure that names what an upgrade of `package` moved."""
    try:
        return get()
    except (AttributeError, ImportError, KeyError, TypeError) as exc:
        pytest.fail(moved(package, name, repr(exc)), pytrace=False)


def moved(package: str, name: str, detail: str = "") -> str:
    version = importlib.metadata.version(package)
    return (
        f"{package} {version} moved or changed {name}, which pylon_gql/chain/_internals.py "
        f"relies on{': ' + detail if detail else ''}"
    )


def private_module(package: str, module: str) -> Any:
    return reach(package, module, lambda: importlib.import_module(module))


# --- turbobt


def test_turbobt_keeps_the_substrate_attributes_the_shim_uses() -> None:
    transport = FixtureTransport()
    wrapped = Bittensor(transport=transport).subtensor
    # `_Substrate__lock`: `Substrate.__lock`, the lock `_init_runtime` loads under.
    names = ("_transport", "_registry", "_metadata", "_apis", "_init_runtime", "_Substrate__lock")
    for name in names:
        reach("turbobt", f"Substrate.{name}", lambda name=name: getattr(wrapped, name))
    assert wrapped._apis is None, moved("turbobt", "Substrate._apis (None until loaded)")

    bt = _internals.open_bittensor(transport)
    assert bt.subtensor._transport is transport, moved("turbobt", "Substrate._transport")


async def test_turbobt_loads_its_runtime_in_the_shape_the_shim_reads() -> None:
    bt = _internals.open_bittensor(FixtureTransport())
    assert not _internals.runtime_loaded(bt)
    await reach("turbobt", "Substrate._init_runtime()", lambda: _internals.load_runtime(bt))

    runtime = _internals.runtime_of(bt)
    assert runtime is not None, moved("turbobt", "Substrate._apis, set by _init_runtime()")
    method = reach(
        "turbobt",
        'the shape of Substrate._apis: apis[api]["methods"][method]',
        lambda: runtime.apis["NeuronInfoRuntimeApi"]["methods"]["get_neurons_lite"],
    )
    assert {"inputs", "output"} <= method.keys(), moved("turbobt", "Substrate._apis' methods")
    reach("turbobt", "Substrate._registry", lambda: runtime.registry.create_scale_object)
    reach(
        "turbobt",
        "Substrate._metadata",
        lambda: runtime.metadata.get_metadata_pallet("AdminUtils").calls,
    )

    another = _internals.open_bittensor(FixtureTransport())
    _internals.adopt_runtime(another, runtime)
    assert _internals.runtime_loaded(another)
    await bt.close()


async def test_turbobt_calls_a_runtime_api_and_hands_over_its_portable_types() -> None:
    bt = _internals.open_bittensor(FixtureTransport())
    answer, output = await reach(
        "turbobt",
        "Substrate._apis' inputs and output, and State.call",
        lambda: _internals.runtime_call_bytes(
            bt, "NeuronInfoRuntimeApi", "get_neurons_lite", SNAPSHOT_HASH, netuid=1
        ),
    )
    types = reach("turbobt", "Substrate._metadata.value", lambda: _internals.portable_types(bt))

    assert answer == bytes.fromhex(STATE_CALLS["NeuronInfoRuntimeApi_get_neurons_lite"][2:])
    assert types[output]["def"].keys() == {"sequence"}, moved("turbobt", "the V15 type registry")
    await bt.close()


async def test_turbobt_reads_an_extrinsic_status_put_back_on_its_subscription() -> None:
    models = private_module("turbobt", "turbobt.substrate._models")
    subscription = reach(
        "turbobt", "Subscription", lambda: models.Subscription("0x1", asyncio.Queue())
    )
    result = ExtrinsicResult(cast(Any, None), subscription, cast(Any, None))

    reach("turbobt", "Subscription.queue", lambda: _internals.requeue_status(result, {"x": 1}))

    status = await asyncio.wait_for(anext(result.subscription), timeout=1)
    assert status == {"x": 1}, moved("turbobt", "Subscription, read from its queue")


def test_turbobt_transport_protocol_is_what_node_connection_speaks() -> None:
    models = private_module("turbobt", "turbobt.substrate._models")
    response = reach("turbobt", "turbobt.substrate._models.Response", lambda: models.Response)
    request = reach("turbobt", "turbobt.substrate._models.Request", lambda: models.Request)
    assert response._fields == Reply._fields, moved("turbobt", "Response's fields")
    assert request._fields == ("method", "params"), moved("turbobt", "Request's fields")
    base = private_module("turbobt", "turbobt.substrate.transports.base").BaseTransport
    for name in ("send", "subscribe", "unsubscribe", "close"):
        reach("turbobt", f"BaseTransport.{name}", lambda name=name: getattr(base, name))


def test_turbobt_type_registry_the_test_fixtures_decode_with() -> None:
    # Not the shim's: tests/chain/fixtures.py and tests/e2e/snapshot.py decode with it.
    scalecodec = private_module("turbobt", "turbobt.substrate._scalecodec")
    reach(
        "turbobt",
        "_scalecodec.load_type_registry_v15_types",
        lambda: scalecodec.load_type_registry_v15_types,
    )


# --- bittensor


def test_bittensor_wallet_writes_a_given_keypair(tmp_path: Path) -> None:
    wallet = Wallet("w", "default", str(tmp_path))
    alice = Keypair.create_from_uri("//Alice")

    for key in ("hotkey", "coldkey"):
        reach(
            "bittensor",
            f"Wallet._set_{key}, _set_{key}pub",
            lambda key=key: _internals.write_keypair(wallet, key, alice),
        )

    again = Wallet("w", "default", str(tmp_path))
    assert again.hotkey.ss58_address == again.hotkeypub.ss58_address == ALICE
    assert again.coldkey.ss58_address == again.coldkeypub.ss58_address == ALICE
    assert not again.coldkey_file.is_encrypted(), moved("bittensor", "Wallet._set_coldkey")


def test_bittensor_reads_a_key_password_from_the_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the variable's name comes from the keyfile, so no encrypted key is written here
    # (bittensor takes seconds per encryption); tests/test_keys.py writes and reports one.
    keyfile = Wallet("w", "default", str(tmp_path)).coldkey_file
    monkeypatch.delenv(keyfile.env_var_name(), raising=False)
    absent = reach(
        "bittensor", "keyfiles.resolve_key_password", lambda: _internals.password_from_env(keyfile)
    )
    assert absent is None, moved("bittensor", "resolve_key_password(allow_prompt=False)")

    monkeypatch.setenv(keyfile.env_var_name(), "")  # restored after the test
    keyfile.save_password_to_env("a password")
    assert _internals.password_from_env(keyfile) == "a password", moved(
        "bittensor", "resolve_key_password(env_var_name=...)"
    )

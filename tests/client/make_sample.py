"""Writes the fake client's built-in data from the simnet: `pylon_gql_client/testing/sample.json`
and `admin_calls.json`.

Run `uv run python -m tests.client.make_sample` after a change to the client's documents or to
the simnet's runtime. The sample is the server's own JSON for the client's documents, trimmed to
the first 64 uids: of the server's subnet (1) at the top level, of every other subnet under
`otherSubnets` (by netuid), and the `subnets` list (each size the trimmed one); the admin calls
are the runtime's `AdminUtils.sudo_set_*` calls with their arguments, as the server reads them
from the metadata (the fake judges `set_hyperparameter` by them).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
from pylon_gql_client import documents

from pylon_gql.models import RENAMED_HYPERPARAMETERS, AdminCall
from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig
from tests.client.conftest import Server
from tests.e2e.conftest import PATIENCE, settings_for, wait_for_health

TESTING = Path(documents.__file__).parent.parent / "testing"
SAMPLE = TESTING / "sample.json"
ADMIN_CALLS = TESTING / "admin_calls.json"
RENAMED = TESTING / "renamed_hyperparameters.json"
UIDS = 64
#: The answers kept per subnet (with `metagraph`), each a document taking `$netuid`.
PER_SUBNET = ("epoch", "hyperparameters", "subnet", "commitments")


def admin_calls_json(calls: dict[str, AdminCall]) -> dict[str, dict[str, Any]]:
    """{call: {argument: kind}}, calls by name, arguments in the runtime's order; an enum's kind
    is the list of its variant names."""
    return {
        name: {
            arg.name: list(arg.variants) if arg.kind == "enum" else arg.kind for arg in call.args
        }
        for name, call in sorted(calls.items())
    }


async def subnet_answers(server: Server, head: int, netuid: int | None) -> dict[str, Any]:
    """The answers of one subnet at the head (the server's when `netuid` is None), its
    metagraph trimmed to `UIDS` neurons."""
    answers: dict[str, Any] = {}
    variables = {"block": head, "netuid": netuid}
    for name in PER_SUBNET:
        answer = await server.query(documents.document(name), variables)
        assert "errors" not in answer, answer
        answers.update(answer["data"])
    answer = await server.query(documents.document("metagraph"), {**variables, "first": UIDS})
    metagraph = answer["data"]["metagraph"]
    metagraph["neuronCount"] = len(metagraph["neurons"])
    answers["metagraph"] = metagraph
    answers["subnet"]["neuronCount"] = metagraph["neuronCount"]  # as trimmed
    return answers


async def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="pylon-sample-"))
    settings = settings_for(network="sim", data_dir=data_dir)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    await services.start()
    server = Server(services)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=PATIENCE) as http:
            await wait_for_health(http)
        data: dict = {}
        for name in ("head", "chain"):
            data.update((await server.query(documents.document(name)))["data"])
        head = data["head"]["number"]
        subnets = (await server.query(documents.document("subnets"), {"block": head}))["data"]
        data.update(await subnet_answers(server, head, None))
        data["otherSubnets"] = {}
        for subnet in subnets["subnets"]:
            netuid = subnet["netuid"]
            if netuid != data["metagraph"]["netuid"]:
                data["otherSubnets"][str(netuid)] = await subnet_answers(server, head, netuid)
            kept = data["otherSubnets"].get(str(netuid), data)
            subnet["neuronCount"] = kept["metagraph"]["neuronCount"]
        data.update(subnets)
        assert services.writes is not None
        calls = admin_calls_json(await services.writes.admin_calls())
    finally:
        await server.stop()
        await services.stop()
    SAMPLE.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {SAMPLE} ({SAMPLE.stat().st_size} bytes)")
    ADMIN_CALLS.write_text(json.dumps(calls, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {ADMIN_CALLS} ({len(calls)} calls)")
    RENAMED.write_text(json.dumps(RENAMED_HYPERPARAMETERS, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RENAMED} ({len(RENAMED_HYPERPARAMETERS)} renamed hyperparameters)")


if __name__ == "__main__":
    asyncio.run(main())

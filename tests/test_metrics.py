"""The per-operation metrics' labels: bounded, and not theirs who come first.

Against the app served by uvicorn on the simnet, reads open: strangers flood the labels with
junk operation names, and the configured operations (`PYLON_METRIC_OPERATIONS`) and those of
callers with a token still count under their own names.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from pylon_gql.metrics import OperationLabels
from pylon_gql.services import Services
from pylon_gql.settings import Settings
from pylon_gql.simnet import SimnetConfig
from tests.e2e.conftest import PATIENCE, running, settings_for, wait_for_health

VALIDATOR = "validator-secret"
CONFIGURED = "DashboardHead"


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(
        network="sim", validator_tokens=VALIDATOR, metric_operations=f" {CONFIGURED} ,Other2"
    )
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield client


def count(text: str, operation: str) -> float:
    """`pylon_graphql_requests_total` of `operation`, outcome ok."""
    line = f'pylon_graphql_requests_total{{operation="{operation}",outcome="ok"}} '
    found = [row for row in text.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


async def ask(client: httpx.AsyncClient, name: str, token: str | None = None) -> None:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": f"query {name} {{ __typename }}"}, headers=headers
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text


async def test_junk_names_from_strangers_leave_real_operations_their_labels(
    client: httpx.AsyncClient,
) -> None:
    for i in range(200):
        await ask(client, f"Junk{i}")
    before = (await client.get("/metrics")).text
    await ask(client, CONFIGURED)  # configured: its own label, whoever asks
    await ask(client, "ValidatorSync", token=VALIDATOR)  # a token holder's: learned
    await ask(client, "ValidatorSync")  # ... and labelled for anyone from then on
    await ask(client, "LateStranger")  # a stranger's, after the flood: `other`
    after = (await client.get("/metrics")).text

    assert count(after, CONFIGURED) == count(before, CONFIGURED) + 1
    assert count(after, "ValidatorSync") == 2
    assert count(after, "LateStranger") == 0
    assert count(after, "other") == count(before, "other") + 1
    labelled = {
        match.group(1)
        for match in re.finditer(r'pylon_graphql_requests_total\{operation="(Junk[^"]*)"', after)
    }
    assert len(labelled) <= OperationLabels.MAX_ANONYMOUS


def test_names_beyond_the_bounds_count_as_other() -> None:
    labels = OperationLabels(["Configured", "not a name"])
    assert labels.configured == {"Configured"}
    for i in range(OperationLabels.MAX_ANONYMOUS):
        assert labels.label(f"A{i}", authenticated=False, anonymous_may_add=True) == f"A{i}"
    assert labels.label("A_late", authenticated=False, anonymous_may_add=True) == "other"
    for i in range(OperationLabels.MAX_LEARNED):
        assert labels.label(f"T{i}", authenticated=True, anonymous_may_add=True) == f"T{i}"
    assert labels.label("T_late", authenticated=True, anonymous_may_add=True) == "other"
    # Configured and admitted names keep their labels for anyone.
    assert labels.label("Configured", authenticated=False, anonymous_may_add=False) == "Configured"
    assert labels.label("T3", authenticated=False, anonymous_may_add=False) == "T3"


def test_strangers_add_no_label_while_reads_are_closed() -> None:
    labels = OperationLabels()
    assert labels.label("Probe", authenticated=False, anonymous_may_add=False) == "other"
    assert labels.label("Probe", authenticated=True, anonymous_may_add=False) == "Probe"


@pytest.mark.parametrize(
    ("name", "label"), [(None, "anonymous"), ("", "anonymous"), ("A" * 65, "other"), (5, "other")]
)
def test_unnamed_and_impossible_names(name: object, label: str) -> None:
    assert OperationLabels().label(name, authenticated=True, anonymous_may_add=True) == label


def test_configured_names_are_checked() -> None:
    assert Settings(_env_file=None, metric_operations="A, B_2").metric_operation_names == [  # type: ignore[call-arg]
        "A",
        "B_2",
    ]
    with pytest.raises(ValueError, match="not an operation name: 9lives"):
        Settings(_env_file=None, metric_operations="A,9lives")  # type: ignore[call-arg]

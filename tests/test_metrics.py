"""The per-operation metrics: labels bounded, and not theirs who come first; answers from the
response cache counted too; the process's own metrics and the build's versions.

Against the app served by uvicorn on the simnet, reads open: strangers flood the labels with
junk operation names, and the configured operations (`PYLON_METRIC_OPERATIONS`) and those of
callers with a token still count under their own names.
"""

from __future__ import annotations

import platform
import re
from collections.abc import AsyncIterator
from importlib.metadata import version

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import pylon_gql
from pylon_gql.metrics import OperationLabels
from pylon_gql.services import Services
from pylon_gql.settings import Settings
from pylon_gql.simnet import SimnetConfig
from tests.e2e.conftest import PATIENCE, running, settings_for, wait_for_health
from tests.e2e.test_health_metrics import sample

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
    """`pylon_graphql_requests_total` of `operation`, outcome ok (whatever the cache did)."""
    return sample(text, "pylon_graphql_requests_total", operation=operation, outcome="ok")


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
        for match in re.finditer(
            r'pylon_graphql_requests_total\{[^}]*operation="(Junk[^"]*)"', after
        )
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


async def test_answers_from_the_response_cache_count_per_operation(
    client: httpx.AsyncClient,
) -> None:
    def counted(text: str, cache: str) -> tuple[float, float]:
        """(requests of CachedRead answered ok, latencies observed) with this `cache` label."""
        return (
            sample(text, "pylon_graphql_requests_total", operation="CachedRead", cache=cache),
            sample(
                text, "pylon_graphql_request_seconds_count", operation="CachedRead", cache=cache
            ),
        )

    before = (await client.get("/metrics")).text
    query = {"query": "query CachedRead { metagraph { neuronCount } }"}
    headers = {"authorization": f"Bearer {VALIDATOR}"}
    caches = []
    for _ in range(3):
        response = await client.post("/graphql", json=query, headers=headers)
        assert response.json()["data"]["metagraph"]["neuronCount"] == 1024
        caches.append(response.headers["x-pylon-cache"])
    assert caches == ["miss", "hit", "hit"]  # the simnet makes no block meanwhile (manual)
    # Not cacheable (its answer changes without a new block): executed each time.
    volatile = {"query": "query HeadAge { chain { headAgeSeconds } }"}
    await client.post("/graphql", json=volatile, headers=headers)
    after = (await client.get("/metrics")).text

    for cache, expected in (("miss", 1), ("hit", 2), ("none", 0)):
        now, then = counted(after, cache), counted(before, cache)
        assert (now[0] - then[0], now[1] - then[1]) == (expected, expected), cache
    age = sample(after, "pylon_graphql_requests_total", operation="HeadAge", cache="none")
    assert age - sample(before, "pylon_graphql_requests_total", operation="HeadAge") == 1
    # The response cache's own count agrees.
    assert (
        sample(after, "pylon_response_cache_requests_total", outcome="hit")
        - sample(before, "pylon_response_cache_requests_total", outcome="hit")
        == 2
    )


async def test_the_process_gc_and_build_metrics_are_exposed(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    build = [
        found
        for family in text_string_to_metric_families(text)
        for found in family.samples
        if found.name == "pylon_gql_build_info"
    ]
    assert len(build) == 1 and build[0].value == 1
    assert build[0].labels == {
        "version": pylon_gql.__version__,
        "python": platform.python_version(),
        "turbobt": version("turbobt"),
        "strawberry": version("strawberry-graphql"),
    }
    # prometheus-client's default collectors, on the server's own registry.
    assert sample(text, "process_resident_memory_bytes") > 0
    assert sample(text, "process_cpu_seconds_total") > 0
    assert sample(text, "process_open_fds") > 0
    assert sample(text, "python_gc_collections_total", generation="0") >= 0
    assert "python_gc_objects_collected_total{" in text
    assert sample(text, "python_info", implementation=platform.python_implementation()) == 1

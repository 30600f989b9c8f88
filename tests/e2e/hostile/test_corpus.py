"""Issue 12's attack corpus against one `pylon-gql serve` on default limits (a subprocess).

Each attack must be answered with a typed GraphQL error (or bounded work), while a probe polls
/health every 20 ms: its slowest answer must stay under 250 ms, the server must log no
traceback, and after the attacks on memory its RSS must be within 150 MB of before. The table
of what each attack got is printed at the end of the module (attack, answer, worst /health
latency, RSS growth).

A few settings differ from the defaults, each to make the test quick, not the server stronger:
blocks every 0.5 s and a chain cache of 16 blocks (so that blocks 30 behind the head are cold
after seconds, not minutes), a 2 s websocket send timeout with pings every 0.5 s, and no rate
limits (the corpus sends thousands of requests from one address; tests/http covers them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import pytest
import websockets

from pylon_gql.schema.errors import ErrorCode

from ..conftest import PATIENCE
from .server import Probe, Server, serve

WORST_HEALTH = 0.250
RSS_GROWTH_MB = 150.0
#: Every code but the one that means a bug.
TYPED = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL_SERVER_ERROR.value}
HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"  # the simnet's //Bob
NEURON_FIELDS = (
    "uid hotkey coldkey active validatorPermit stake stakeRao rank emission emissionRao "
    "incentive consensus trust validatorTrust dividends lastUpdate blocksSinceLastUpdate "
    "pruningScore axon { ip port ipType protocol version } "
    "prometheus { ip port ipType version block }"
)
MB = 1_000_000

# /health latency under attack means nothing while other tests load the same cores.
pytestmark = pytest.mark.quiet_machine


@dataclass
class Row:
    attack: str
    answer: str
    worst_ms: float
    rss_mb: float
    ok: bool


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    env = {
        "PYLON_SIM_BLOCK_TIME": "0.5",
        "PYLON_CACHE_BLOCKS": str(CACHE_BLOCKS),
        "PYLON_WS_SEND_TIMEOUT": "2",
        "PYLON_WS_KEEP_ALIVE_INTERVAL": "0.5",
        "PYLON_RATE_LIMITS": "false",
        "PYLON_LOG_LEVEL": "INFO",
    }
    async with serve(tmp_path_factory.mktemp("hostile"), **env) as running:
        yield running


def table(rows: list[Row]) -> str:
    """The rows, as a Markdown table (printed at the session's end by tests/conftest.py)."""
    lines = [
        "attack corpus (issue 12): pylon-gql serve on default limits",
        f"| {'attack':<46} | {'answer':<40} | worst /health | ΔRSS |",
        f"| {'-' * 46} | {'-' * 40} | ---: | ---: |",
    ]
    for row in rows:
        mark = "" if row.ok else " FAIL"
        lines.append(
            f"| {row.attack:<46} | {row.answer[:40]:<40} | {row.worst_ms:.0f} ms{mark} "
            f"| {row.rss_mb:+.0f} MB |"
        )
    return "\n".join(lines)


# --- the answers


def answer_of(response: httpx.Response) -> str:
    """`<status> <codes>` of the GraphQL errors, or `<status> data`."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} not JSON"
    if not isinstance(body, dict):
        return f"{response.status_code} not an object"
    errors = body.get("errors") or []
    if errors:
        codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
        return f"{response.status_code} {','.join(codes)}"
    return f"{response.status_code} data"


def typed(answer: str, data_allowed: bool) -> bool:
    status, _, codes = answer.partition(" ")
    if int(status) >= 500:
        return False
    if codes == "data":
        return data_allowed
    return bool(codes) and set(codes.split(",")) <= TYPED


def summarise(answers: list[str]) -> str:
    counts: dict[str, int] = {}
    for answer in answers:
        counts[answer] = counts.get(answer, 0) + 1
    if len(counts) == 1:
        return answers[0] if len(answers) == 1 else f"{len(answers)} x {answers[0]}"
    return ", ".join(f"{n} x {a}" for a, n in counts.items())


async def post(client: httpx.AsyncClient, body: Any) -> str:
    if isinstance(body, bytes):
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
    else:
        response = await client.post("/graphql", json=body)
    return answer_of(response)


async def post_or_closed(client: httpx.AsyncClient, body: Any) -> str:
    """`post`; for a body over a megabyte, `post_raw`, which reads an answer sent early."""
    if not isinstance(body, bytes) and len(encoded := json.dumps(body).encode()) > MB:
        return await post_raw(str(client.base_url), encoded)
    return await post(client, body)


async def post_raw(url: str, body: bytes) -> str:
    """POST over a plain socket, reading while uploading: a server that answers 413 before
    the body is read, and closes, is heard (httpx raises on the failed upload instead)."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST /graphql HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    received = bytearray()

    async def read() -> None:
        with contextlib.suppress(OSError):
            while chunk := await reader.read(65536):
                received.extend(chunk)

    reading = asyncio.create_task(read())
    try:
        async with asyncio.timeout(PATIENCE):
            with contextlib.suppress(OSError):
                writer.write(head)
                for start in range(0, len(body), 65536):
                    if reading.done():
                        break
                    writer.write(body[start : start + 65536])
                    await writer.drain()
            await reading
    finally:
        reading.cancel()
        writer.close()
    status_line, _, rest = bytes(received).partition(b"\r\n")
    if not status_line.startswith(b"HTTP/1.1 "):
        return "599 closed without an answer"
    status = int(status_line.split()[1])
    payload = rest.partition(b"\r\n\r\n")[2]
    return answer_of(httpx.Response(status, content=payload))


async def bounded(limit: int, calls: list[Callable[[], Awaitable[str]]]) -> list[str]:
    """Run `calls`, `limit` at a time."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[str]]) -> str:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


# --- the attacks: each builds its payloads first (outside the probe), then returns the attack


Attack = Callable[[httpx.AsyncClient, Server], Awaitable[list[str]]]


def many(bodies: list[Any], concurrency: int) -> Attack:
    async def attack(client: httpx.AsyncClient, server: Server) -> list[str]:
        return await bounded(
            concurrency, [lambda body=body: post_or_closed(client, body) for body in bodies]
        )

    return attack


def fan_out(k: int) -> Attack:
    fragments = ["fragment F0 on Query { head { number } }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, k + 1)
    ]
    return many([{"query": f"query {{ ...F{k} }} " + " ".join(fragments)}], 1)


def string_literal() -> Attack:
    return many([{"query": '{ neuron(hotkey: "' + "a" * (10 * MB) + '") { uid } }'}], 1)


def long_hotkeys(length: int, count: int) -> Attack:
    query = "query($h: String!) { neuron(hotkey: $h) { uid } }"
    body = {"query": query, "variables": {"h": "5" * length}}
    return many([body] * count, count)


def hotkey_list() -> Attack:
    hotkeys = ", ".join(f'"{HOTKEY}"' for _ in range(100_000))
    query = f"{{ metagraph {{ neurons(where: {{hotkeys: [{hotkeys}]}}) {{ uid }} }} }}"
    return many([{"query": query}], 1)


def cold_metagraphs() -> Attack:
    async def attack(client: httpx.AsyncClient, server: Server) -> list[str]:
        # 30 blocks behind a head at least 50 past the first: out of the 16-block cache.
        first = server.first_head + 1
        async with asyncio.timeout(PATIENCE):
            while (await client.get("/health")).json()["head"]["number"] < first + 50:  # noqa: ASYNC110 - another process's head
                await asyncio.sleep(0.2)
        aliases = " ".join(
            f"m{i}: metagraph(block: {first + i}) {{ neurons {{ {NEURON_FIELDS} }} }}"
            for i in range(30)
        )
        return [await post(client, {"query": f"{{ {aliases} }}"})]

    return attack


def comments() -> Attack:
    bodies = [{"query": f"# {i} " + "x" * MB + "\n{ head { number } }"} for i in range(300)]
    return many(bodies, 4)


def unused_variables() -> Attack:
    bodies = [
        {"query": "{ head { number } }", "variables": {"pad": f"{i}" + "x" * MB}}
        for i in range(200)
    ]
    return many(bodies, 4)


MALFORMED: dict[str, bytes] = {
    "JSON null": b"null",
    "JSON number": b"1",
    "JSON string": b'"{ head { number } }"',
    "JSON true": b"true",
    "invalid UTF-8 body": b'\xff\xfe{"query": "{ head { number } }"}',
    "invalid UTF-8 in a string": b'{"query": "{ head { number } }", "variables": {"a": "\xff"}}',
    "100k-deep variables": b'{"query": "{ head { number } }", "variables": {"a": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}}",
}


def malformed(body: bytes) -> Attack:
    return many([body], 1)


SLOW_READERS, SUBSCRIPTIONS_EACH = 20, 100
CACHE_BLOCKS = 16


def slow_readers() -> Attack:
    async def attack(client: httpx.AsyncClient, server: Server) -> list[str]:
        head = (await client.get("/health")).json()["head"]["number"]
        # As far back as the server replays (PYLON_CACHE_BLOCKS = 16 here): each of the 2,000
        # subscriptions is accepted and replays 15 blocks (fromBlock further back is refused).
        start = max(server.first_head + 1, head - CACHE_BLOCKS + 2)
        query = (
            "subscription($from: Int) { newBlock(fromBlock: $from) "
            "{ number hash parentHash timestamp epoch { index start end blocksRemaining } } }"
        )
        url = server.url.replace("http://", "ws://") + "/graphql"
        connections = []
        try:
            for _ in range(SLOW_READERS):
                connections.append(await stalled(url, query, start))
            # A client that reads gets the replay the stalled ones were sent: the attack is
            # 2,000 accepted replays, not 2,000 refusals.
            first = await first_message(url, query, start)
            if first.get("type") != "next":
                return [f"a reading client got {first}"]
            # Well past the send timeout (2 s): every connection must have been dropped.
            await asyncio.sleep(8)
        finally:
            for ws in connections:
                ws.transport.abort()
        await asyncio.sleep(1)
        drops = server.log_text().count("dropping its connection")
        return [f"{SLOW_READERS} stalled, {drops} drop lines"]

    return attack


async def first_message(url: str, query: str, start: int) -> dict[str, Any]:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": query, "variables": {"from": start}}
        await ws.send(json.dumps({"id": "reader", "type": "subscribe", "payload": payload}))
        return json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))


async def stalled(url: str, query: str, start: int) -> Any:
    """A client that subscribes, then reads nothing: a small receive buffer that fills up."""
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    ws = await websockets.connect(
        url,
        sock=sock,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_queue=1,
        ping_interval=None,
        compression=None,
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    for i in range(SUBSCRIPTIONS_EACH):
        payload = {"query": query, "variables": {"from": start}}
        await ws.send(json.dumps({"id": f"s{i}", "type": "subscribe", "payload": payload}))
    return ws


#: name -> (the attack's builder, whether bounded work (data) is an acceptable answer,
#: whether it attacks memory: RSS checked).
CORPUS: dict[str, tuple[Callable[[], Attack], bool, bool]] = {
    "fragment fan-out k=18": (lambda: fan_out(18), False, False),
    "fragment fan-out k=21": (lambda: fan_out(21), False, False),
    "10 MB string literal": (string_literal, False, True),
    "40,000-char hotkey": (lambda: long_hotkeys(40_000, 1), False, False),
    "8 concurrent 20,000-char hotkeys": (lambda: long_hotkeys(20_000, 8), False, False),
    "neurons(where: {hotkeys: [100k addresses]})": (hotkey_list, False, True),
    "300 distinct queries, 1 MB comment each": (comments, True, True),
    "200 head queries, 1 MB unused variables each": (unused_variables, True, True),
    # After the slow attacks above, so that the head is past the cold blocks by now.
    "30 aliases of the full metagraph, 30 cold blocks": (cold_metagraphs, False, True),
    **{
        f"malformed: {name}": (lambda b=body: malformed(b), False, False)
        for name, body in MALFORMED.items()
    },
    f"{SLOW_READERS} websockets x {SUBSCRIPTIONS_EACH} replays, never read": (
        slow_readers,
        False,
        True,
    ),
}


@pytest.mark.parametrize("name", list(CORPUS))
async def test_attack(
    server: Server, name: str, record_property: Callable[[str, object], None]
) -> None:
    build, data_allowed, on_memory = CORPUS[name]
    attack = build()
    tracebacks = server.tracebacks()
    rss_before = server.rss_mb()
    async with httpx.AsyncClient(base_url=server.url, timeout=PATIENCE) as client:
        async with Probe(server.url) as probe:
            answers = await attack(client, server)
        await asyncio.sleep(0.5)  # what the attack left behind, not what it holds in flight
    growth = server.rss_mb() - rss_before
    new_tracebacks = server.tracebacks() - tracebacks
    answer = summarise(answers)
    if name.startswith(f"{SLOW_READERS} websockets"):
        # A stalled client sees no answer: each of its connections must have been dropped.
        answered = answer.endswith(f", {SLOW_READERS} drop lines")
    else:
        answered = all(typed(a, data_allowed) for a in answers)
    ok = (
        answered
        and probe.worst < WORST_HEALTH
        and not probe.failures
        and new_tracebacks == 0
        and (not on_memory or growth < RSS_GROWTH_MB)
    )
    # Reported to the session's summary, through the report (a worker's under xdist).
    record_property("corpus_row", asdict(Row(name, answer, probe.worst * 1000, growth, ok)))
    assert answered, f"{name}: {answer}"
    assert probe.worst < WORST_HEALTH, f"{name}: /health took {probe.worst * 1000:.0f} ms"
    assert not probe.failures, probe.failures[:3]
    assert new_tracebacks == 0, server.log_text()[-4000:]
    if on_memory:
        assert growth < RSS_GROWTH_MB, f"{name}: RSS grew {growth:.0f} MB"

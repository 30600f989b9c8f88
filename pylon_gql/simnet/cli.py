"""`pylon-gql simnet`: run the simulated subtensor node until Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import logging

import click

from .faults import Faults
from .server import Simnet, SimnetConfig

logger = logging.getLogger("pylon_gql.simnet")


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", default=9944, type=int, help="Port to listen on (0: a free port).")
@click.option(
    "--block-time",
    default=12.0,
    type=click.FloatRange(min=0.001),
    help="Seconds between produced blocks (timestamps are this far apart too).",
)
@click.option(
    "--manual",
    is_flag=True,
    help="Produce no blocks by themselves; only on `simnet_produceBlocks` (timestamps still "
    "advance by --block-time per block).",
)
@click.option(
    "--auto-produce-on-submit",
    is_flag=True,
    help="Produce blocks when a valid extrinsic arrives: its block and --finality-lag more, so "
    "that it is finalized at once (useful with --manual).",
)
@click.option("--seed", default=0, type=int, help="Seed of the synthetic subnet and the drift.")
@click.option(
    "--finality-lag",
    default=2,
    type=click.IntRange(min=0),
    help="How many blocks the finalized head trails the best head.",
)
@click.option(
    "--history",
    default=256,
    type=click.IntRange(min=1),
    help="Blocks whose state is kept, like a pruned node; older ones answer 'State already "
    "discarded'.",
)
@click.option("--archive", is_flag=True, help="Keep the state of every block (ignore --history).")
@click.option(
    "--synthetic-neurons",
    default=256,
    type=click.IntRange(min=1, max=4096),
    help="Neurons of the synthetic subnet 2.",
)
@click.option(
    "--synthetic-validators",
    default=8,
    type=click.IntRange(min=1, max=4096),
    help="Validators (with permits) of the synthetic subnet 2.",
)
@click.option(
    "--weights-per-validator",
    default=16,
    type=click.IntRange(min=1, max=4096),
    help="Uids each validator's seeded weights row gives weight to (its subnet's miners at "
    "most): 4096 for full rows, as on finney.",
)
@click.option("--latency", default=0.0, type=float, help="Fault: seconds added to every answer.")
@click.option("--jitter", default=0.0, type=float, help="Fault: up to this many more seconds.")
@click.option(
    "--error-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Fault: share of requests answered 'Server is busy' (-32009).",
)
@click.option(
    "--error-method",
    "error_methods",
    multiple=True,
    help="Fault: only these methods fail at --error-rate (repeatable; default: all).",
)
@click.option(
    "--drop-every",
    default=0,
    type=click.IntRange(min=0),
    help="Fault: abruptly close the connection carrying every Nth request (0: never).",
)
@click.option("--stall", is_flag=True, help="Fault: read requests but never answer them.")
@click.option(
    "--log-level",
    default="INFO",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
def simnet_command(
    host: str,
    port: int,
    block_time: float,
    manual: bool,
    auto_produce_on_submit: bool,
    seed: int,
    finality_lag: int,
    history: int,
    archive: bool,
    synthetic_neurons: int,
    synthetic_validators: int,
    weights_per_validator: int,
    latency: float,
    jitter: float,
    error_rate: float,
    error_methods: tuple[str, ...],
    drop_every: int,
    stall: bool,
    log_level: str,
) -> None:
    """Run a simulated subtensor node: finney block 6852690 with subnet 1 (1024 real neurons)
    and a synthetic subnet 2, speaking the node's JSON-RPC over a websocket.

    Point turbobt (or the server, network=sim) at ws://HOST:PORT. Control methods:
    simnet_produceBlocks [n], simnet_setFaults {..}, simnet_getFaults, simnet_info.
    Runs until Ctrl-C.
    """
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    faults = Faults(
        latency=latency,
        jitter=jitter,
        error_rate=error_rate,
        error_methods=error_methods,
        drop_every=drop_every,
        stall=stall,
    )
    faults.validate()
    config = SimnetConfig(
        host=host,
        port=port,
        block_time=block_time,
        manual=manual,
        auto_produce_on_submit=auto_produce_on_submit,
        seed=seed,
        finality_lag=finality_lag,
        history=history,
        archive=archive,
        faults=faults,
        synthetic_neurons=synthetic_neurons,
        synthetic_validators=synthetic_validators,
        weights_per_validator=weights_per_validator,
    )
    if faults.active:
        logger.info("simnet faults at start: %s", json.dumps(faults.as_json()))
    try:
        asyncio.run(_run(config))
    except KeyboardInterrupt:
        logger.info("simnet stopped")


async def _run(config: SimnetConfig) -> None:
    async with Simnet(config):
        await asyncio.Event().wait()

"""The `pylon-gql` command: serve, simnet, export-schema."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pylon-gql")
def main() -> None:
    """pylon-gql: a GraphQL API server for a Bittensor subnet."""

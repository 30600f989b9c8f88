"""A simulated subtensor node: the node's JSON-RPC over a real websocket, for tests and demos.

It stands apart from the rest of pylon_gql (imports nothing from it). See docs/simnet.md.
"""

from .faults import Faults
from .runtime import load_fixture_json
from .server import Simnet, SimnetConfig

__all__ = ["Faults", "Simnet", "SimnetConfig", "load_fixture_json"]

"""Python client for pylon-gql (filled in by the client issue)."""

__version__ = "0.1.0"

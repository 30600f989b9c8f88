"""pylon-gql: a GraphQL API server for Bittensor subnets."""

__version__ = "0.1.0"

"""The attack corpus of issue 12, against `pylon-gql serve` in a subprocess (see server.py)."""

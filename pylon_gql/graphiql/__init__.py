"""GraphiQL's page and its browser files, fetched from the npm registry (see fetch.py)."""

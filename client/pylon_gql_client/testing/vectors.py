"""Shared test vectors: inputs, and the verdict the real pylon-gql server gives on each.

`vectors.json` (next to this module, shipped in the wheel) is read by the client's tests (its
rules, `pylon_gql_client.rules`, must agree with it), by the contract suite (which sends every
vector to the real server and to the fake and asserts both answer as it says) and by the
server's own tests of its validation. Load it with `load()`, or with
`importlib.resources.files("pylon_gql_client.testing").joinpath("vectors.json")`.

The file is one JSON object; `about` is a sentence, every other key a list of vectors. Each
vector has a `why` (what it exercises). `code` is what a client sees: null when the call
succeeds, else the error's code: `BAD_USER_INPUT` (also when GraphQL refused a variable before
the server's own rules ran), `BLOCK_IN_FUTURE`, or
`VALIDATION_ERROR` (a write's `ValidationError` result). A weight is a JSON number or one of the
strings "nan", "inf", "-inf" (`float()` of it, see `weight`). A vector with `server_bug`
states the verdict the server should give and says what it does instead.

- `addresses`: `address`, `valid` (SS58 of format 42 with a valid checksum, as scalecodec's
  `is_valid_ss58_address(address, valid_ss58_format=42)` judges it). A query refuses an
  invalid one with BAD_USER_INPUT, a write names it in its ValidationError.
- `weights`: `weight`, `code` of `setWeight` for a registered hotkey.
- `weight_batches`: `weights` ([hotkey, weight] pairs), `code` of `setWeights` on subnet 1 of
  the simulated chain (the sample's hotkeys of uids 1 and 24 are registered there; not uid
  2's: the lowest stake, its uid is the dev validator's from the block after the snapshot),
  `entries` (the indices the ValidationError names, in order).
- `digests`: `weights` ([uid, weight] pairs), `digest`: a weight commit's digest of them.
- `blocks`: `block` (a number) or `ahead` (that many blocks past the head), `code` of a
  query's `block` argument.
- `block_hashes`: `hash`, `valid` (`block(hash:)` answers BAD_USER_INPUT for an invalid one).
- `commitments`: `data`, `encoding` (as sent), `bytes` (the hex of what is committed, null
  when refused), `code` of `setCommitment`.
- `hyperparameters`: `name`, `value`, `code` of `setHyperparameter` (owner role, subnet 1 of
  the simulated chain's runtime); when it succeeds, `call` (the AdminUtils call made) and
  `read_back` (the `value` it answers).
- `commit_refusals`: whether the validator's hotkey is `registered`, its `last_update`, the
  subnet's `weights_rate_limit` and the `head`; `reason`: why a commit of the weights is
  refused (`not_registered`, `rate_limited`), null when it may go ahead.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load() -> dict[str, Any]:
    """Every vector, by section."""
    text = resources.files(__package__ or __name__).joinpath("vectors.json").read_text("utf-8")
    return json.loads(text)


def weight(value: float | str) -> float:
    """A vector's weight: a number as it is (an integer stays one: how a client sends it
    matters), "nan", "inf" and "-inf" (strings in JSON) as floats."""
    return float(value) if isinstance(value, str) else value
